"""tools/new_subtask.py (``make subtask``) on a scratch copy of the tiny assignment.

The stubs it writes leave the suite red exactly where the new subtask's own work is still to be
written (its fence, its checks, its hidden checks, its mutants), and green everywhere else; with
that work written, the new subtask is green too.
"""

import pytest
from tiny_course import TAGS, assemble, checks, explain, run

pytestmark = pytest.mark.instructor

NEW = ["--tag", "1c", "--file", "stats.py", "--function", "variance_of", "--title", "the variance of a list",
       "--needs", "1a"]


@pytest.fixture
def tiny(tmp_path):
    repo = assemble(tmp_path / "tiny")
    result = run(repo, "tools/make_templates.py")
    assert result.returncode == 0, explain(result)
    return repo


def test_a_tag_already_in_the_table_is_refused(tiny):
    result = run(tiny, "tools/new_subtask.py", "--tag", "1a", "--file", "stats.py", "--function", "f",
                 "--title", "again")
    assert result.returncode == 2 and "already in assignment.toml" in result.stderr, explain(result)
    assert not (tiny / "tests" / "subtasks" / "test_1a.py").exists()


@pytest.mark.slow
def test_the_stubs_are_red_only_for_the_new_subtask(tiny):
    result = run(tiny, "tools/new_subtask.py", *NEW)
    assert result.returncode == 0, explain(result)
    for name in ("tests/subtasks/test_1c.py", "tests/grading/test_hidden_1c.py"):
        assert (tiny / name).is_file(), name
    row = "| 1c the variance of a list | `stats.py` | `variance_of` | `-m task1c` |"
    assert row in (tiny / "README.md").read_text()
    assert 'raise NotImplementedError("TODO 1c")' in (tiny / "stats.py").read_text()
    templates = run(tiny, "tools/make_templates.py", "--check")
    assert templates.returncode == 0, explain(templates)

    statuses, result = checks(tiny)
    assert statuses == {**dict.fromkeys(TAGS, "done"), "1c": "failing"}, explain(result)
    statuses, result = checks(tiny, "--impl", "student")
    assert statuses["1c"] == "not started", statuses
    table = run(tiny, "tools/mutants.py", "--list")
    assert table.returncode == 2 and table.stdout.count("needs at least") == 1, explain(table)
    assert "1c: 0 mutants, needs at least 5" in table.stdout

    write_the_new_subtask(tiny)
    statuses, result = checks(tiny)
    assert statuses == {**dict.fromkeys(TAGS, "done"), "1c": "done"}, explain(result)
    assert run(tiny, "tools/mutants.py", "--list").returncode == 0


def write_the_new_subtask(repo):
    """What the instructor writes by hand after the scaffold: the fence, the checks, the mutants."""
    def replace(name, old, new):
        path = repo / name
        text = path.read_text()
        assert old in text, f"{name}: the stub changed; update this test"
        path.write_text(text.replace(old, new))

    replace("solutions/stats.py", 'def variance_of():', 'def variance_of(numbers):')
    replace("solutions/stats.py", 'raise NotImplementedError("the reference solution of 1c is not written yet")',
            "mean = mean_of(numbers)\n    return mean_of([(x - mean) ** 2 for x in numbers])")
    replace("tests/subtasks/test_1c.py", "got = MODULE.variance_of()", "got = MODULE.variance_of([1, 2, 3, 4])")
    replace("tests/subtasks/test_1c.py", 'pytest.fail(f"TODO: check {got!r} against what 1c asks")',
            "assert got == pytest.approx(1.25), got")
    replace("tests/grading/test_hidden_1c.py", "    got = None  # TODO: a case the public checks do not show\n",
            "    got = MODULE.variance_of([5])\n")
    replace("tests/grading/test_hidden_1c.py",
            'assert got is not None, f"TODO: expected ..., got {got!r}.\\nhint: TODO"',
            'assert got == 0, f"one number: expected a variance of 0, got {got!r}.\\nhint: no spread, no variance"')
    replace("tests/grading/test_hidden_1c.py", "import pytest\n",
            'import pytest\nfrom course_checks import StudentModule\n\nMODULE = StudentModule("stats")\n')
    mutants = [("squares not centred", "(x - mean) ** 2", "x ** 2"), ("root taken", "for x in numbers])",
               "for x in numbers]) ** 0.5"), ("absolute deviation", "(x - mean) ** 2", "abs(x - mean)"),
               ("the mean taken as 0", "mean = mean_of(numbers)", "mean = 0"),
               ("cubes", "(x - mean) ** 2", "(x - mean) ** 3")]
    rows = "".join(f'    Mutant("1c", "{name}", "stats.py", "{old}", "{new}"),\n' for name, old, new in mutants)
    replace("tests/course/mutant_table.py", "MUTANTS += (\n", "MUTANTS += (\n" + rows)
