"""tools/grade.py: reading submissions safely, the tampering scan, and grading one submission.

The hostile submissions, graded as a class beside honest ones, are in test_grading_sandbox.py.
"""

import json
import os
import sys
import threading
import zipfile
from pathlib import Path

import pytest
from grading_helpers import REPO_ROOT, write_student_files

from utils.internals.subtasks import STUDENT_FILES

sys.path.insert(0, str(REPO_ROOT / "tools"))
import grade  # noqa: E402
from grader import scan, submissions  # noqa: E402

pytestmark = pytest.mark.instructor


# ---------------------------------------------------------------------------------------------
# Reading submissions


def make_zip(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return path


def test_student_files_are_found_at_the_top_or_in_one_subfolder_of_a_folder_or_zip(tmp_path):
    top = tmp_path / "top"
    (top / "utils").mkdir(parents=True)
    (top / "fnn.py").write_text("top")
    (top / "utils" / "network_trainer.py").write_text("trainer")
    (top / "notes.txt").write_text("not a student file")
    assert grade.student_files(top) == {"fnn.py": b"top", "utils/network_trainer.py": b"trainer"}
    nested = tmp_path / "nested" / "session01-alice"
    nested.mkdir(parents=True)
    (nested / "01_main.py").write_text("main")
    (nested.parent / "__MACOSX").mkdir()
    assert grade.student_files(nested.parent) == {"01_main.py": b"main"}
    archive = make_zip(tmp_path / "bob.zip", {"bob/fnn.py": "zipped", "bob/utils/network_trainer.py": "t",
                                              "bob/tests/conftest.py": "ignored", "__MACOSX/bob/._fnn.py": "x"})
    assert grade.student_files(archive) == {"fnn.py": b"zipped", "utils/network_trainer.py": b"t"}


def test_huge_files_fifos_and_devices_are_not_taken_and_never_block(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "01_main.py").write_bytes(b"x" * (grade.MAX_STUDENT_FILE + 1))
    os.mkfifo(folder / "fnn.py")
    (folder / "handwriting.py").write_text("ok")
    found = {}
    reader = threading.Thread(target=lambda: found.update(grade.student_files(folder)), daemon=True)
    reader.start()
    reader.join(10)
    assert not reader.is_alive(), "a FIFO blocked the reader"
    assert found == {"handwriting.py": b"ok"}
    assert submissions.read_regular_file("/dev/zero", 100) is None


@pytest.mark.parametrize("link", ["fnn.py", "utils", "utils/network_trainer.py"])
def test_a_folder_with_a_link_where_a_student_file_lies_is_refused(tmp_path, link):
    folder = write_student_files(tmp_path / "sub")
    other = write_student_files(tmp_path / "other")
    target = folder / link
    if target.exists():
        target.unlink() if target.is_file() else __import__("shutil").rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to(other / ("utils" if link == "utils" else "fnn.py"))
    with pytest.raises(grade.SubmissionError, match="holds a link"):
        grade.student_files(folder)


def test_a_zip_with_a_link_is_refused(tmp_path):
    path = tmp_path / "linked.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("fnn.py", "x")
        member = zipfile.ZipInfo("utils")
        member.external_attr = (0o120777 << 16)
        archive.writestr(member, "../other/utils")
    with pytest.raises(grade.SubmissionError, match="holds a link"):
        grade.student_files(path)


@pytest.mark.parametrize("name", ["../fnn.py", "/etc/fnn.py", "a/../../fnn.py", "C:/fnn.py"])
def test_a_zip_with_a_path_out_of_its_folder_is_refused(tmp_path, name):
    archive = make_zip(tmp_path / "evil.zip", {name: "x", "fnn.py": "y"})
    with pytest.raises(grade.SubmissionError, match="unsafe path"):
        grade.student_files(archive)


def test_a_zip_too_large_or_not_a_zip_is_refused(tmp_path, monkeypatch):
    from grader import zips

    monkeypatch.setattr(zips, "MAX_ZIP_BYTES", 1000)
    archive = make_zip(tmp_path / "big.zip", {"fnn.py": "x" * 2000, "notes.txt": "y" * 2000})
    with pytest.raises(grade.SubmissionError, match="the zip is 0 MB"):
        grade.student_files(archive)
    (tmp_path / "broken.zip").write_text("not a zip")
    with pytest.raises(grade.SubmissionError, match="not a readable zip"):
        grade.student_files(tmp_path / "broken.zip")


def test_submissions_are_named_after_their_folder_or_zip(tmp_path):
    (tmp_path / "Alice Smith").mkdir()
    make_zip(tmp_path / "bob.zip", {"fnn.py": ""})
    (tmp_path / "notes.txt").write_text("")
    (tmp_path / ".DS_Store").write_text("")
    names = [name for name, _ in grade.submission_entries(tmp_path)[0]]
    assert names == ["Alice_Smith", "bob"]


def test_names_equal_but_for_case_or_taken_by_the_outputs_are_refused(tmp_path):
    for name in ("carol", "Carol", "feedback", "dave"):
        (tmp_path / name).mkdir()
    make_zip(tmp_path / "grades.csv.zip", {"fnn.py": ""})
    kept, refused = grade.submission_entries(tmp_path)
    assert [name for name, _ in kept] == ["dave"]
    reasons = dict(refused)
    assert set(reasons) == {"Carol", "carol", "feedback", "grades.csv"}
    assert "only in case" in reasons["carol"] and "'Carol'" in reasons["carol"]
    assert "the grader writes" in reasons["grades.csv"]


# ---------------------------------------------------------------------------------------------
# The tampering scan


def test_the_course_own_files_raise_no_flag():
    for root in (REPO_ROOT, REPO_ROOT / "solutions"):
        files = {file: (root / file).read_bytes() for file in STUDENT_FILES}
        assert scan.scan_files(files) == [], root


@pytest.mark.parametrize("code, found", [
    ("import os\nos._exit(0)", "fnn.py:2 os._exit"),
    ("import sys\npath = sys.argv[1]", "fnn.py:2 sys.argv"),
    ("import sys\nsys.modules['x'] = None", "sys.modules"),
    ("import ctypes", "ctypes"), ("import gc", "gc"), ("from socket import socket", "sockets"),
    ("import subprocess as sp", "subprocesses"), ("from _pytest import reports", "pytest internals"),
    ("import builtins", "builtins"), ("import importlib\nimportlib.import_module('conftest')", "importlib"),
    ("open('/proc/1/environ')", "a path outside its folder: '/proc/1/environ'"),
    ("open('../../grades.csv', 'w')", "a path outside its folder"),
    ("x = __builtins__", "__builtins__"), ("f = getattr(os, '_exit')", "getattr"),
    ("exec('print(1)')", "exec"), ("import sys\nf = sys._getframe(1).f_globals", "_getframe"),
])
def test_code_that_reaches_for_the_grader_is_flagged_with_its_line(code, found):
    flags = scan.scan_files({"fnn.py": code.encode()})
    assert any(found in flag for flag in flags), flags


def test_a_docstring_that_mentions_a_path_is_not_flagged():
    assert scan.scan_files({"fnn.py": b'"""Reads /proc? No: see ../README."""\nx = 1\n'}) == []




# ---------------------------------------------------------------------------------------------
# One submission, as on Gradescope: --single, --sandbox container, hidden checks


HIDDEN_TESTS = """
import pytest


@pytest.mark.task1a
def test_hidden_1a_has_its_function(main_module):
    assert callable(main_module.show_example_images)


@pytest.mark.task4a
def test_hidden_4a_always_fails(main_module):
    assert False, "a hidden check that fails; hint: a hint"
"""


@pytest.mark.slow
def test_one_submission_in_a_container_with_hidden_checks(tmp_path):
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "test_hidden_checks.py").write_text(HIDDEN_TESTS)
    submission = write_student_files(tmp_path / "submission", ("1a", "4a"))
    out = tmp_path / "out"
    code = grade.main(["--single", str(submission), "--out", str(out), "--sandbox", "container",
                       "--hidden", str(hidden), "--hidden-visibility", "after_due_date", "--test-timeout", "60"])
    assert code == 0
    results = json.loads((out / "results.json").read_text())
    assert {"score", "execution_time", "output", "output_format", "tests"} <= set(results)
    entries = {test["name"].split(" ")[0] + (":public" if test["name"].endswith("public checks") else ""): test
               for test in results["tests"]}
    assert entries["1a:public"]["visibility"] == "visible" and entries["1a:public"]["max_score"] == 0
    assert entries["1a"]["visibility"] == "after_due_date" and entries["1a"]["score"] == 1
    assert entries["4a:public"]["status"] == "passed"
    assert entries["4a"]["score"] == 0 and "grading adds checks you do not see" in entries["4a"]["output"]
    assert entries["2a"]["visibility"] == "visible" and "2a:public" not in entries
    assert results["score"] == 1 == sum(test["score"] for test in results["tests"])
    record = json.loads((out / "outcomes.json").read_text())
    assert record["tests"]["tests/grading/test_hidden_checks.py::test_hidden_1a_has_its_function"]["visibility"] \
        == "hidden"
    order = list(record["tests"])
    first_1a_hidden = order.index("tests/grading/test_hidden_checks.py::test_hidden_1a_has_its_function")
    assert all("grading" not in nodeid for nodeid in order[:first_1a_hidden])
    assert "test_task1_data" in order[first_1a_hidden - 1], "run right after the public tests of 1a"
    feedback = (out / "feedback.md").read_text()
    assert "| 4a output activation and loss | failing | 0 / 1 | public checks pass; grading adds checks you do " \
           "not see: 1 of 1 of them fail" in feedback
    assert "sandbox: the container itself" in (out / "summary.txt").read_text()


# ---------------------------------------------------------------------------------------------
# The command line and the sandbox it needs


def test_without_bubblewrap_grading_stops_with_a_message_naming_the_fix(tmp_path, monkeypatch, capsys):
    from grader import sandbox

    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    sandbox.check_mode.cache_clear()
    try:
        with pytest.raises(SystemExit) as stop:
            grade.main([str(tmp_path), "--out", str(tmp_path / "out")])
    finally:
        sandbox.check_mode.cache_clear()
    assert stop.value.code == 2
    message = capsys.readouterr().err
    assert "bubblewrap is not installed" in message and "apt-get install bubblewrap" in message
    assert "--no-sandbox" in message and not (tmp_path / "out").exists()


@pytest.mark.parametrize("arguments, error", [
    ([], "give either SUBMISSIONS"),
    (["SUBS", "--single", "SUBS"], "give either SUBMISSIONS"),
    (["--single", "missing"], "does not exist"),
    (["SUBS", "--test-timeout", "0"], "--test-timeout must be positive"),
    (["SUBS", "--hidden", "missing"], "--hidden missing: not a folder"),
])
def test_bad_command_lines_get_one_line_naming_the_problem(tmp_path, capsys, arguments, error):
    arguments = [str(tmp_path) if argument == "SUBS" else argument for argument in arguments]
    with pytest.raises(SystemExit) as stop:
        grade.main([*arguments, "--out", str(tmp_path / "out")])
    assert stop.value.code == 2 and error in capsys.readouterr().err


def test_grades_without_a_sandbox_say_so():
    from grader.reports import Graded

    assert Graded("a", sandbox="none").status_line == "ok (not sandboxed)"
    assert Graded("a", status="crashed", note="crashed: exit code 3", sandbox="bwrap").status_line == \
        "crashed: exit code 3"


# ---------------------------------------------------------------------------------------------
# The outcome channel: what the grader accepts from a run


def _run(order):
    from grader.expected import Expected
    from grader.runner import Run
    from grader.sandbox import Limits

    tags = {nodeid: ["1a"] for nodeid in order}
    return Run(order, Expected(tags, list(order)), Limits(), deadline=float("inf"))


def _line(**entry):
    return json.dumps(entry)


PASSED = {"status": "passed", "detail": "", "where": None}


def test_outcomes_count_only_in_order_and_once_the_run_goes_on_past_them():
    run = _run(["t::a", "t::b", "t::c"])
    run.take(_line(start="t::b"))                      # out of order: ignored
    run.take(_line(test="t::c", outcome=PASSED))       # not running: ignored
    run.take(_line(start="t::a"))
    run.take(_line(test="t::a", outcome=PASSED))
    assert run.recorded == {}, "not yet: the run must go on past it"
    run.take(_line(start="t::b"))
    assert list(run.recorded) == ["t::a"]
    run.take(_line(test="t::b", outcome={"status": "passed!", "detail": "x" * 10_000}))
    run.take("not json")
    run.finish(returncode=0)                            # died without "end": b's report does not count
    assert list(run.recorded) == ["t::a"] and run.lost == "t::b"
    assert len(run.notes) == 3


def test_a_normal_end_confirms_the_last_outcome_and_unknown_statuses_are_failures():
    run = _run(["t::a"])
    run.take(_line(start="t::a"))
    run.take(_line(test="t::a", outcome={"status": "great", "detail": "y" * 5000}))
    run.take(_line(end=True))
    run.finish(returncode=1)
    outcome = run.recorded["t::a"]
    assert outcome["status"] == "failed" and len(outcome["detail"]) <= 2000


def test_a_skip_is_not_a_pass_and_a_todo_skip_keeps_its_reason():
    from grader.runner import _outcome

    assert _outcome({"outcome": {"status": "skipped", "detail": "TODO 2a: not started"}})["status"] == "todo"
    skipped = _outcome({"outcome": {"status": "skipped", "detail": "needs a GPU"}})
    assert skipped == {"status": "failed", "detail": "skipped: needs a GPU", "where": None}


def test_a_python_environment_under_tmp_stays_visible_in_the_bwrap_sandbox(tmp_path, monkeypatch):
    """CI checks out under /tmp: its .venv must be bound after the sandbox's private /tmp, not hidden by it."""
    from grader import sandbox

    venv = Path("/tmp/ci-checkout/.venv")
    monkeypatch.setattr(sandbox, "python_trees", lambda: [venv])
    command = sandbox.bwrap_prefix(tmp_path, None, sandbox.Limits())
    private_tmp = next(index for index in range(len(command) - 1) if command[index:index + 2] == ["--tmpfs", "/tmp"])
    bind = next(index for index in range(len(command) - 2) if command[index:index + 3] == ["--ro-bind", str(venv),
                                                                                           str(venv)])
    assert private_tmp < bind
