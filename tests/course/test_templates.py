"""The templates are in sync with the solutions, and every subtask's check is honest and independent.

Honest: it fails on the untouched template and passes on the solution. Independent: with only a
subtask and the ones it needs (``assignment.toml``) solved, and everything else blank, its check
passes. The student mode runs in a subprocess, in a scratch copy of the repository with freshly
generated templates, so none of this depends on what a student has already written.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from utils.internals.subtasks import BY_TAG, STUDENT_FILES, SUBTASKS

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tools"))
import make_templates  # noqa: E402
from make_templates import scratch_repository, write_templates  # noqa: E402
from tables import markdown_table  # noqa: E402

pytestmark = pytest.mark.instructor


def test_templates_are_in_sync_with_the_solutions():
    result = subprocess.run([sys.executable, str(REPO_ROOT / "tools" / "make_templates.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, "templates are stale; run `make templates`\n" + result.stdout[-3000:]


def test_every_fence_becomes_a_one_line_stub_that_names_its_subtask():
    source = ("def f():\n    # TODO 9z: write\n    #   it all\n"
              "    ### BEGIN SOLUTION\n    x = 1\n    return x\n    ### END SOLUTION\n")
    template = make_templates.make_template(source)
    assert template.splitlines()[-1] == '    raise NotImplementedError("TODO 9z")'
    assert "# TODO 9z: write" in template and "return x" not in template
    namespace = {}
    exec(template, namespace)  # noqa: S102 - our own generated code
    with pytest.raises(NotImplementedError, match="TODO 9z"):
        namespace["f"]()
    assert "return x" in make_templates.make_template(source, solved={"9z"})


def test_uncomment_fences_keep_the_lines_commented_out():
    source = "steps = [\n    # TODO 9y: uncomment\n    ### BEGIN SOLUTION uncomment\n    1,\n    ### END SOLUTION\n]\n"
    assert "    # 1," in make_templates.make_template(source)


def test_a_fence_without_a_todo_comment_is_refused():
    with pytest.raises(make_templates.FenceError, match="TODO <tag>"):
        make_templates.make_template("x = 1\n### BEGIN SOLUTION\ny = 2\n### END SOLUTION\n")


def test_every_todo_tag_is_a_subtask_of_the_table_in_the_file_the_table_names():
    for solution, template, _ in make_templates.template_pairs():
        relative = template.relative_to(REPO_ROOT).as_posix()
        for tag in set(re.findall(r"# TODO (\w+):", solution.read_text())):
            assert tag in BY_TAG, f"{relative}: TODO {tag} is not in assignment.toml"
            assert BY_TAG[tag].file == relative, f"TODO {tag} is in {relative}, the table says {BY_TAG[tag].file}"
    assert {s.file for s in SUBTASKS} <= {t.relative_to(REPO_ROOT).as_posix()
                                          for _, t, _ in make_templates.template_pairs()}


def test_the_readme_table_is_the_subtask_table():
    assert markdown_table(SUBTASKS) in (REPO_ROOT / "README.md").read_text(), \
        "README's subtask table differs from assignment.toml; make templates writes it"


def student_run(repo, tmp_path, *args):
    """Run the student mode in ``repo``; return (outcomes JSON, stdout, return code)."""
    record = tmp_path / "outcomes.json"
    record.unlink(missing_ok=True)
    result = subprocess.run([sys.executable, "-m", "pytest", "--impl", "student", "-p", "no:randomly",
                             "--record-outcomes", str(record), *args],
                            cwd=repo, capture_output=True, text=True,
                            env=dict(os.environ, MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1", OMP_NUM_THREADS="1"))
    assert record.exists(), result.stdout[-3000:] + result.stderr[-3000:]
    return json.loads(record.read_text()), result.stdout, result.returncode


@pytest.fixture(scope="module")
def blank(tmp_path_factory):
    repo = scratch_repository(tmp_path_factory.mktemp("blank"))
    outcomes, stdout, code = student_run(repo, tmp_path_factory.mktemp("blank-out"))
    return repo, outcomes, stdout, code


@pytest.mark.slow
def test_every_subtask_test_fails_on_the_untouched_templates(blank):
    _, outcomes, _, code = blank
    passing = sorted(test for test, o in outcomes["tests"].items() if o["status"] == "passed")
    assert not passing, f"these subtask tests pass on the blank templates: {passing}"
    assert code == 1


@pytest.mark.slow
def test_every_subtask_has_tests_and_is_not_started_on_the_blank_templates(blank):
    _, outcomes, _, _ = blank
    assert list(outcomes["subtasks"]) == [s.tag for s in SUBTASKS], "one row per subtask, in the table's order"
    for subtask in SUBTASKS:  # a subtask that builds on an earlier one may wait for it instead
        allowed = {"not started", "waiting"} if subtask.needs else {"not started"}
        assert outcomes["subtasks"][subtask.tag]["status"] in allowed, (subtask.tag, outcomes["subtasks"][subtask.tag])


@pytest.mark.slow
def test_the_student_summary_is_short_and_explains_itself(blank):
    _, _, stdout, _ = blank
    lines = stdout.strip().splitlines()
    assert len(lines) <= 80, f"{len(lines)} lines of output on the blank templates"
    assert "your progress, per subtask" in stdout
    assert re.search(r"^2a\s+not started", stdout, re.M)
    assert re.search(rf"^0 of {len(SUBTASKS)} subtasks done\.", stdout, re.M)
    # pytest's own summary agrees with the table: nothing failed, the subtasks not started are skipped
    assert re.search(r"\b\d+ skipped\b", lines[-1]) and not re.search(r"\b(failed|error|errors|warnings?)\b",
                                                                      lines[-1]), lines[-1]
    assert "Traceback" not in stdout


@pytest.mark.slow
def test_the_untouched_main_script_stops_at_1a_with_one_short_message(blank):
    repo, _, _, _ = blank
    result = subprocess.run([sys.executable, "01_main.py", "--no-show"], cwd=repo, capture_output=True, text=True,
                            env=dict(os.environ, MPLBACKEND="Agg"))
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    line = 1 + next(i for i, text in enumerate((repo / "01_main.py").read_text().splitlines())
                    if text.strip().startswith("# TODO 1a"))
    assert "Not done yet: TODO 1a" in result.stderr
    assert f"01_main.py, line {line}" in result.stderr, result.stderr
    assert "pytest --impl student -m task1a" in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 4


@pytest.mark.slow
def test_each_subtask_passes_with_only_itself_and_what_it_needs_solved(tmp_path):
    """No check waits on a later subtask: task 3's parts in any order, each bonus on the core at most."""
    from concurrent.futures import ThreadPoolExecutor

    def check(index, subtasks):
        """One scratch repository per worker; the two workers take turns through the table."""
        repo = scratch_repository(tmp_path / f"repo{index}")
        out = tmp_path / f"out{index}"
        out.mkdir()
        failures = []
        for subtask in subtasks:
            write_templates(repo, {subtask.tag, *subtask.needs})
            # the hidden grading checks too: grading runs them beside the public ones
            outcomes, stdout, _ = student_run(repo, out, "-m", subtask.marker, "tests/subtasks", "tests/grading")
            row = outcomes["subtasks"].get(subtask.tag, {"status": "no tests ran"})
            if row["status"] != "done":
                failures.append(f"{subtask.tag} ({row['status']}): {row.get('detail', '')[:300]}\n{stdout[-1500:]}")
        return failures

    with ThreadPoolExecutor(2) as pool:
        failures = sum(pool.map(check, (0, 1), (SUBTASKS[0::2], SUBTASKS[1::2])), [])
    assert not failures, "\n".join(failures)


@pytest.mark.slow
def test_a_file_that_does_not_load_fails_only_its_own_subtasks(tmp_path):
    repo = scratch_repository(tmp_path / "repo", solved={s.tag for s in SUBTASKS if s.file == "01_main.py"})
    with open(repo / "fnn.py", "a") as handle:
        handle.write("\ndef broken(:\n")
    outcomes, stdout, _ = student_run(repo, tmp_path)
    rows = outcomes["subtasks"]
    assert rows["2a"]["status"] == "does not load" and "SyntaxError at fnn.py:" in rows["2a"]["detail"]
    for tag in ("1a", "1b", "4a", "4b", "4d"):
        assert rows[tag]["status"] == "done", (tag, rows[tag])
    assert rows["3a"]["status"] == "not started"
    assert rows["4c"]["status"] == "does not load"


def test_templates_are_never_written_over_a_students_work(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(REPO_ROOT / "solutions", repo / "solutions")
    shutil.copytree(REPO_ROOT / "tools", repo / "tools")
    shutil.copytree(REPO_ROOT / "utils", repo / "utils")  # the description's reader
    shutil.copy(REPO_ROOT / "assignment.toml", repo)
    tool = [sys.executable, str(repo / "tools" / "make_templates.py")]
    subprocess.run(tool, check=True, capture_output=True)
    (repo / "fnn.py").write_text((repo / "fnn.py").read_text() + "\n# my own work\n")
    refused = subprocess.run(tool, capture_output=True, text=True)
    assert refused.returncode == 1 and "fnn.py" in refused.stdout and "--force" in refused.stdout
    assert "# my own work" in (repo / "fnn.py").read_text()
    subprocess.run([*tool, "--force"], check=True, capture_output=True)
    assert "# my own work" not in (repo / "fnn.py").read_text()


def test_student_files_of_the_table_exist_as_templates():
    for file in STUDENT_FILES:
        assert (REPO_ROOT / file).is_file(), file


def test_the_readme_examples_name_the_lines_the_templates_have():
    readme = (REPO_ROOT / "README.md").read_text()
    for file, pattern, tag in (("01_main.py", r"where: 01_main\.py, line (\d+)", "1a"),
                               ("utils/network_trainer.py", r"network_trainer\.py:(\d+) and below \(TODO 3c", "3c")):
        shown = re.search(pattern, readme)
        lines = (REPO_ROOT / file).read_text().splitlines()
        actual = 1 + next(i for i, text in enumerate(lines) if text.strip().startswith(f"# TODO {tag}"))
        assert shown and int(shown.group(1)) == actual, f"README shows {file} line {shown and shown.group(1)}, " \
                                                        f"the TODO {tag} is on line {actual}"
