"""Per-subtask progress at the end of ``pytest --impl student``: done, not started, or failing."""

from __future__ import annotations

import json
import re

import pytest

TODO_RAISED = re.compile(r"NotImplementedError: TODO (\w+)")


def _tag(marker):
    return marker[len("task"):] if marker.startswith("task") else marker


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    report.subtasks = [_tag(mark.name) for mark in item.iter_markers()
                       if mark.name.startswith(("task", "bonus_"))]


def _classify(report):
    """(status, detail) of one test report."""
    if report.passed:
        return "passed", ""
    if report.skipped:
        return "skipped", ""
    text = str(report.longrepr)
    raised = TODO_RAISED.search(text)
    if raised:
        return "todo", raised.group(1)
    crash = getattr(report.longrepr, "reprcrash", None)
    message = crash.message if crash is not None else text.strip().splitlines()[-1]
    return "failed", message.splitlines()[0][:150]


class Progress:
    def __init__(self):
        self.outcomes = {}

    def add(self, report):
        if report.when == "call" or (report.when == "setup" and not report.passed):
            status, detail = _classify(report)
            self.outcomes[report.nodeid] = {"status": status, "detail": detail,
                                            "subtasks": report.subtasks}

    def by_subtask(self):
        table = {}
        for outcome in self.outcomes.values():
            for subtask in outcome["subtasks"]:
                table.setdefault(subtask, []).append(outcome)
        return table


def _order(subtask):
    return (subtask.startswith("bonus"), subtask)


def summary_rows(table):
    rows = []
    for subtask in sorted(table, key=_order):
        outcomes = [o for o in table[subtask] if o["status"] != "skipped"]
        if not outcomes:
            continue
        passed = sum(o["status"] == "passed" for o in outcomes)
        if passed == len(outcomes):
            rows.append((subtask, "done", f"{passed} test(s) pass"))
            continue
        todos = [o["detail"] for o in outcomes if o["status"] == "todo"]
        failures = [o["detail"] for o in outcomes if o["status"] == "failed"]
        if subtask in todos:
            rows.append((subtask, "not started yet", f"TODO {subtask} still raises NotImplementedError"))
        elif failures:
            rows.append((subtask, "failing", f"{passed}/{len(outcomes)} pass; {failures[0]}"))
        else:
            needed = ", ".join(sorted(set(todos), key=_order))
            rows.append((subtask, "waiting", f"needs TODO {needed} first"))
    return rows


def pytest_configure(config):
    config.pluginmanager.register(ProgressReporter(config), "course-progress")


class ProgressReporter:
    def __init__(self, config):
        self.config = config
        self.progress = Progress()

    def pytest_sessionstart(self, session):
        # In student mode the table below is the summary; pytest's list of failed tests
        # (-ra) would only repeat it in a longer form.
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if self.config.getoption("impl") == "student" and reporter is not None:
            reporter.reportchars = ""

    def pytest_runtest_logreport(self, report):
        if hasattr(report, "subtasks"):
            self.progress.add(report)

    def pytest_terminal_summary(self, terminalreporter):
        record = self.config.getoption("record_outcomes")
        if record:
            with open(record, "w") as handle:
                json.dump(self.progress.outcomes, handle, indent=1)
        if self.config.getoption("impl") != "student":
            return
        rows = summary_rows(self.progress.by_subtask())
        if not rows:
            return
        write = terminalreporter.write_line
        terminalreporter.section("your progress, per subtask")
        for subtask, status, detail in rows:
            marker = subtask if subtask.startswith("bonus") else f"task{subtask}"
            write(f"{subtask:<8} {status:<16} {detail}   [-m {marker}]")
        done = sum(status == "done" for _, status, _ in rows)
        write(f"{done} of {len(rows)} subtasks done.")
