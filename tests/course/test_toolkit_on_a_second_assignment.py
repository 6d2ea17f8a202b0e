"""The course toolkit, unchanged, on a second assignment: tests/course/tiny_assignment/.

Nothing in ``tools/`` or the generic test machinery may know this course's assignment. The tiny
assignment (statistics of a list, no MNIST, no torch) is assembled in a scratch folder with the
machinery copied in, and there the template check, the subtask checks (red on blanks, green on
the solutions), the release, the mutation check and sandboxed grading all run.
"""

import shutil

import pytest
from tiny_course import GENERIC_MACHINERY, POINTS, TAGS, TINY, assemble, checks, explain, grades, run

pytestmark = pytest.mark.instructor


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    repo = assemble(tmp_path_factory.mktemp("second") / "tiny")
    result = run(repo, "tools/make_templates.py")
    assert result.returncode == 0, explain(result)
    return repo


def test_the_fixture_holds_none_of_the_generic_machinery():
    held = [name for name in GENERIC_MACHINERY if (TINY / name).exists()]
    assert not held, f"the fixture must get these from the toolkit, not keep copies: {held}"


def test_the_templates_are_written_and_in_sync(tiny):
    result = run(tiny, "tools/make_templates.py", "--check")
    assert result.returncode == 0, explain(result)
    template = (tiny / "stats.py").read_text()
    assert 'raise NotImplementedError("TODO 1a")' in template and "sum(numbers)" not in template
    assert "| 1b standardise a list | `stats.py` |" in (tiny / "README.md").read_text()


def test_the_fixture_readme_table_is_the_generated_one(tiny):
    assert (tiny / "README.md").read_text() == (TINY / "README.md").read_text(), \
        "tests/course/tiny_assignment/README.md: its subtask table differs from its assignment.toml"


@pytest.mark.slow
def test_the_checks_are_red_on_the_blank_templates_and_green_on_the_solutions(tiny):
    statuses, result = checks(tiny, "--impl", "student")
    assert result.returncode != 0 and set(statuses) == set(TAGS), explain(result)
    assert all(status != "done" for status in statuses.values()), statuses
    statuses, result = checks(tiny)
    assert result.returncode == 0, explain(result)
    assert statuses == dict.fromkeys(TAGS, "done"), statuses


@pytest.mark.slow
def test_the_release_holds_no_solution_and_is_red_on_blanks(tiny, tmp_path):
    dest = tmp_path / "release"
    result = run(tiny, "tools/release.py", dest)
    assert result.returncode == 0, explain(result)
    files = {path.relative_to(dest).as_posix() for path in dest.rglob("*") if path.is_file()}
    assert {"stats.py", "README.md", "docs/assignment.md", "tests/subtasks/test_stats.py",
            "tests/subtasks/hints.py", ".github/workflows/classroom.yml"} <= files, sorted(files)
    assert not any(name.startswith(("solutions/", "tools/", "tests/grading/", "tests/course/")) for name in files)
    for name in files:
        text = (dest / name).read_text(errors="replace")
        assert "BEGIN SOLUTION" not in text and "sum(numbers)" not in text, name
    assert (dest / "stats.py").read_text() == (tiny / "stats.py").read_text()
    statuses, result = checks(dest)
    assert result.returncode != 0 and statuses and all(s != "done" for s in statuses.values()), explain(result)


@pytest.mark.slow
def test_the_mutation_check_kills_every_mutant(tiny):
    result = run(tiny, "tools/mutants.py")
    assert result.returncode == 0, explain(result)
    assert "15 of 15 mutants killed" in result.stdout, result.stdout[-2000:]


@pytest.mark.slow
def test_sandboxed_grading_gives_a_blank_nothing_and_a_solved_one_full_points(tiny, tmp_path):
    submissions = tmp_path / "submissions"
    (submissions / "blank").mkdir(parents=True)
    shutil.copy(tiny / "stats.py", submissions / "blank" / "stats.py")
    (submissions / "solved").mkdir()
    shutil.copy(tiny / "solutions" / "stats.py", submissions / "solved" / "stats.py")
    out = tmp_path / "out"
    result = run(tiny, "tools/grade.py", submissions, "--out", out, "--no-progress")
    assert result.returncode == 0, explain(result)
    rows = grades(out)
    assert {tag: float(rows["blank"][tag]) for tag in TAGS} == dict.fromkeys(TAGS, 0.0), rows["blank"]
    assert {tag: float(rows["solved"][tag]) for tag in TAGS} == POINTS, rows["solved"]
