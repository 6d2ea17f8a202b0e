"""The hidden grading checks (tests/grading/): never released, one or more per subtask, honest.

Honest as the public checks are: each fails on the untouched templates (run in student mode with
tests/grading named on the command line, in a scratch copy) and passes on the solutions (plain
``pytest`` collects tests/grading). Their messages write out no solution line. A student's run
says, once every public check passes, that grading adds checks they do not see.
"""

import re
import sys
from pathlib import Path

import pytest

from utils.internals.subtasks import SUBTASKS

REPO_ROOT = Path(__file__).resolve().parents[2]
HIDDEN = REPO_ROOT / "tests" / "grading"
sys.path.insert(0, str(REPO_ROOT / "tools"))
sys.path.insert(0, str(REPO_ROOT / "tests"))
import release  # noqa: E402
from make_templates import scratch_repository, write_templates  # noqa: E402
from progress_report import PUBLIC_PASS_NOTE, all_done_note  # noqa: E402
from test_hints import fence_lines, texts_of  # noqa: E402
from test_templates import student_run  # noqa: E402
from test_todo_words import normalized  # noqa: E402

pytestmark = pytest.mark.instructor


def hidden_files():
    return sorted(HIDDEN.glob("test_*.py"))


def test_no_hidden_check_reaches_the_release(tmp_path):
    names = release.release_files()
    assert not [name for name in names if name.startswith("tests/grading")], "tests/grading in the release"
    written = release.write_release(tmp_path / "release")
    assert not (tmp_path / "release" / "tests" / "grading").exists()
    hidden_names = {path.name for path in HIDDEN.iterdir()}
    assert not [name for name in written if Path(name).name in hidden_names], "a hidden check's file in the release"
    leaked = [name for name in written if (tmp_path / "release" / name).is_file() and name.endswith(".py")
              and re.search(r"def test_hidden_", (tmp_path / "release" / name).read_text())]
    assert not leaked, f"hidden tests inside released files: {leaked}"


def test_every_subtask_has_hidden_checks():
    text = "\n".join(path.read_text() for path in hidden_files())
    missing = [subtask.tag for subtask in SUBTASKS if f"@pytest.mark.{subtask.marker}\n" not in text]
    assert not missing, f"subtasks without a hidden check in tests/grading/: {missing}"


def test_no_message_of_a_hidden_check_writes_out_a_solution_line():
    every_line = sorted({line for group in fence_lines().values() for line in group})
    offenders = []
    for path in sorted(HIDDEN.glob("*.py")):
        for text in texts_of(path):
            flat = normalized(text)
            offenders += [f"{path.name}: {line!r} in {text[:80]!r}" for line in every_line if normalized(line) in flat]
    assert not offenders, "solution lines in the hidden checks' messages:\n" + "\n".join(offenders)


def test_most_hidden_assertions_carry_a_hint():
    """A hidden failure is read in the grading feedback only: it must say what to look at."""
    for path in hidden_files():
        source = path.read_text()
        asserts = len(re.findall(r"^\s+assert ", source, re.M))
        hints = len(re.findall(r"hint: ", source))
        assert hints >= asserts * 0.8, f"{path.name}: {asserts} assertions but only {hints} hints"


def test_the_note_when_every_public_check_passes():
    done = [("2a", "done", ["3 test(s) pass"])]
    public = {"tests/subtasks/test_task2_network.py::test_a": {"status": "passed", "subtasks": ["2a"]}}
    hidden = {**public, "tests/grading/test_hidden_task2.py::test_b": {"status": "passed", "subtasks": ["2a"]}}
    assert all_done_note(public, done) == PUBLIC_PASS_NOTE + "."
    assert all_done_note(hidden, done) == "public and hidden checks pass."
    assert all_done_note(public, [*done, ("2b", "failing", ["no"])]) is None
    assert all_done_note({}, []) is None


@pytest.mark.slow
def test_every_hidden_check_fails_on_the_blank_templates_and_a_plain_run_leaves_them_out(tmp_path):
    repo = scratch_repository(tmp_path / "repo")
    outcomes, stdout, code = student_run(repo, tmp_path, "tests/grading")
    tests = outcomes["tests"]
    assert tests and all(nodeid.startswith("tests/grading/") for nodeid in tests), list(tests)[:5]
    passing = sorted(nodeid for nodeid, outcome in tests.items() if outcome["status"] == "passed")
    assert not passing, f"these hidden checks pass on the blank templates: {passing}"
    assert code == 1
    covered = {tag for outcome in tests.values() for tag in outcome["subtasks"]}
    assert covered == {subtask.tag for subtask in SUBTASKS}, "a subtask without hidden checks"
    assert PUBLIC_PASS_NOTE not in stdout
    # A student's plain run (one subtask, as the classroom workflow runs it) never collects them.
    write_templates(repo, {"2a"})
    outcomes, stdout, code = student_run(repo, tmp_path, "-m", "task2a")
    assert code == 0 and not [nodeid for nodeid in outcomes["tests"] if "grading" in nodeid]
    assert PUBLIC_PASS_NOTE + "." in stdout
    outcomes, stdout, code = student_run(repo, tmp_path, "-m", "task2a", "tests/subtasks", "tests/grading")
    assert code == 0 and [nodeid for nodeid in outcomes["tests"] if nodeid.startswith("tests/grading/")]
    assert "public and hidden checks pass." in stdout and PUBLIC_PASS_NOTE not in stdout
