"""The per-subtask table at the end of ``pytest --impl student``: done, not started, failing, and why.

Each failing subtask gets what its test said (expected, got, hint) and the line of the student's
own code where it went wrong. ``--record-outcomes FILE`` writes the same as JSON (for grading).
"""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest

from utils.internals.cli import todo_line
from utils.internals.subtasks import BY_MARKER, BY_TAG, SUBTASKS, order, student_file

REPO_ROOT = Path(__file__).resolve().parents[1]
HIDDEN_PREFIX = "tests/grading/"  # the hidden checks: never in a student's repository, added by grading
PUBLIC_PASS_NOTE = "public checks pass; grading adds checks you do not see"
TODO_RAISED = re.compile(r"^TODO (\w+)")
MAX_DETAIL_LINES = 4


def _student_frame(excinfo, tag=None):
    """``file:line (function)`` of the deepest traceback entry in a student file, or None.

    When that line comes after the TODO of subtask ``tag`` in the same function (provided code
    such as the ``return`` that ran what the student built), the TODO's line is named too.
    """
    for entry in reversed(excinfo.traceback):
        found = student_file(str(entry.path))
        if found:
            where = f"{found[0]}:{entry.lineno + 1} ({entry.name})"
            subtask = BY_TAG.get(tag)
            if subtask is not None and subtask.file == found[0]:
                todo = todo_line(REPO_ROOT / found[0], tag, entry.name)
                if todo is not None and todo < entry.lineno + 1:
                    where += f", which runs your code of TODO {tag} (line {todo} and below)"
            return where
    return None


def _outcome(call, tag=None):
    """(status, detail, location) of a failed test call of subtask ``tag``."""
    error = call.excinfo.value
    text = str(error).strip()
    if isinstance(error, NotImplementedError) and TODO_RAISED.match(text):
        return "todo", TODO_RAISED.match(text).group(1), _student_frame(call.excinfo)
    if type(error).__name__ == "DoesNotLoad":
        return "does not load", text, None
    lines = [line for line in text.splitlines() if line.strip()]
    if not isinstance(error, AssertionError):
        lines = [f"{type(error).__name__}: {lines[0] if lines else ''}", *lines[1:]]
    else:
        lines = _message_only(lines)
    return "failed", "\n".join(lines[:MAX_DETAIL_LINES]), _student_frame(call.excinfo, tag)


def _message_only(lines):
    """The test's own message: up to its hint line; pytest's comparison details after it are left out."""
    noise = ("+", "where", "assert ", "comparison failed", "Obtained:", "Expected:", "Use -v")
    lines = [line.strip() for line in lines if not line.lstrip().startswith(noise)]
    hint = next((index for index, line in enumerate(lines) if line.startswith("hint:")), None)
    if hint is not None:
        return lines[:hint + 1]
    return lines[:2] or ["assertion failed"]


def _todo_place(subtask, test_function):
    """``file:line`` of the subtask's TODO in the function the test calls (when it calls one)."""
    try:
        test_source = inspect.getsource(test_function)
    except (OSError, TypeError):
        test_source = ""
    functions = [name.strip() for name in subtask.function.split(",")]
    called = [name for name in functions if re.search(rf"\b{re.escape(name.split('.')[-1])}\b", test_source)
              and not name.endswith("__init__")]
    where = called[0] if len(called) == 1 else subtask.function
    line = todo_line(REPO_ROOT / subtask.file, subtask.tag, called[0].split(".")[-1] if len(called) == 1 else None)
    return f"{subtask.file}:{line} and below (TODO {subtask.tag}, in {where})" if line else f"{subtask.file}, {where}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    report.subtasks = [BY_MARKER[mark.name].tag for mark in item.iter_markers() if mark.name in BY_MARKER]
    table = getattr(getattr(item, "module", None), "HINTS", {})
    report.hint_steps = {tag: tuple(table[tag]) for tag in report.subtasks if tag in table}
    if call.excinfo is not None and report.failed:
        status, detail, where = _outcome(call, report.subtasks[0] if report.subtasks else None)
        if where is None and status == "failed" and report.subtasks:
            where = _todo_place(BY_TAG[report.subtasks[0]], getattr(item, "function", None))
        if status == "failed" and "hint:" not in detail and report.subtasks[:1]:
            steps = report.hint_steps.get(report.subtasks[0])
            if steps:
                detail += f"\nhint: {steps[0]}"
        report.course_outcome = (status, detail, where)
        if status == "todo" and item.config.getoption("impl") == "student":
            # Not started (or waiting for a TODO it builds on): pytest's own summary counts it as
            # skipped, as the table says; pytest_sessionfinish keeps the exit code red.
            path, line, _ = item.location
            report.outcome = "skipped"
            report.longrepr = (str(item.path), (line or 0) + 1, f"Skipped: not started: TODO {detail}")


def summary_rows(tests):
    """One row per subtask that has tests: (tag, status, detail lines)."""
    rows = []
    for subtask in SUBTASKS:
        outcomes = [o for o in tests.values() if subtask.tag in o["subtasks"]]
        if not outcomes:
            continue
        passed = sum(o["status"] == "passed" for o in outcomes)
        failures = [o for o in outcomes if o["status"] == "failed"]
        todos = {o["detail"] for o in outcomes if o["status"] == "todo"}
        broken = [o for o in outcomes if o["status"] == "does not load"]
        if passed == len(outcomes):
            rows.append((subtask.tag, "done", [f"{passed} test(s) pass"]))
        elif broken:
            rows.append((subtask.tag, "does not load", [broken[0]["detail"].removeprefix("does not load: ")]))
        elif subtask.tag in todos:
            rows.append((subtask.tag, "not started", [f"TODO {subtask.tag} still raises NotImplementedError"]))
        elif failures:
            first = failures[0]
            detail = [f"{passed}/{len(outcomes)} pass; {first['detail']}"]
            if first.get("where"):
                detail.append(f"at {first['where']}")
            rows.append((subtask.tag, "failing", "\n".join(detail).splitlines()))
        else:
            needed = ", ".join(sorted(todos, key=order))
            rows.append((subtask.tag, "waiting", [f"needs TODO {needed} first"]))
    return rows


def all_done_note(tests, rows):
    """What a student may conclude when every subtask checked is done: the checks they have pass,
    and grading runs more (the hidden checks) unless this run included them."""
    if not rows or any(status != "done" for _, status, _ in rows):
        return None
    if any(nodeid.startswith(HIDDEN_PREFIX) for nodeid in tests):
        return "public and hidden checks pass."
    return PUBLIC_PASS_NOTE + "."


def pytest_configure(config):
    config.pluginmanager.register(ProgressReporter(config), "course-progress")


class ProgressReporter:
    def __init__(self, config):
        self.config = config
        self.tests = {}
        self.hints = {}  # tag -> the three steps of hints of its test file's HINTS table
        self.not_started = 0

    def pytest_sessionstart(self, session):
        # In student mode the table is the summary; pytest's list of failed tests (-ra) would repeat it.
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if self.config.getoption("impl") == "student" and reporter is not None:
            reporter.reportchars = ""

    def pytest_runtest_logreport(self, report):
        if not hasattr(report, "subtasks"):
            return
        if report.when == "call" or (report.when == "setup" and not report.passed):
            if hasattr(report, "course_outcome"):
                status, detail, where = report.course_outcome
            elif report.passed:
                status, detail, where = "passed", "", None
            elif report.skipped:
                status, detail, where = "skipped", "", None
            else:
                status, detail, where = "failed", "error", None
            self.tests[report.nodeid] = {"status": status, "detail": detail, "where": where,
                                         "subtasks": report.subtasks}
            if status == "todo":
                self.not_started += 1
        self.hints.update(getattr(report, "hint_steps", {}))

    def pytest_sessionfinish(self, session):
        """A subtask not started is not done: the run stays red although pytest counted it skipped."""
        if self.not_started and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter):
        rows = summary_rows(self.tests)
        record = self.config.getoption("record_outcomes")
        if record:
            subtasks = {tag: {"status": status, "detail": "\n".join(detail)} for tag, status, detail in rows}
            Path(record).write_text(json.dumps({"tests": self.tests, "subtasks": subtasks}, indent=1))
        if self.config.getoption("impl") != "student" or not rows:
            return
        write = terminalreporter.write_line
        level = self.config.getoption("hint", 1) or 1
        terminalreporter.section("your progress, per subtask")
        for tag, status, detail in rows:
            detail = [*detail, *self._more_hints(tag, status, level)]
            write(f"{tag:<8} {status:<14} {detail[0]}")
            for line in detail[1:]:
                write(f"{'':<24}{line}")
        done = sum(status == "done" for _, status, _ in rows)
        upcoming = next((BY_TAG[tag] for tag, status, _ in rows if status != "done"), None)
        after = f" Next: {upcoming.tag}, checked with {upcoming.check} (-v adds the traceback)." if upcoming else ""
        write(f"{done} of {len(rows)} subtasks done.{after}")
        note = all_done_note(self.tests, rows)
        if note:
            write(note)

    def _more_hints(self, tag, status, level):
        """The hints asked for with --hint 2 or 3, and how to ask for the next one."""
        steps = self.hints.get(tag)
        if not steps or status in ("done", "waiting", "does not load") or (status == "not started" and level < 2):
            return []
        lines = [f"hint {number}: {steps[number - 1]}" for number in range(2, min(level, len(steps)) + 1)]
        if status == "not started" and level >= 2:
            lines.insert(0, f"hint 1: {steps[0]}")
        if level < len(steps):
            lines.append(f"more hints: {BY_TAG[tag].check} --hint {level + 1}")
        return lines
