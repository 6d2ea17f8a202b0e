"""Subtask verdicts, derived by the grader from the per-test outcomes it recorded.

A subtask is "done" (earns its points) when every expected test of it, public and hidden,
passed. Anything else (failed, skipped, xfail, timed out, crashed, never run) is not a pass.
"""

from __future__ import annotations

from progress_report import summary_rows

from utils.internals.subtasks import SUBTASKS

STOPPED_WORDS = ("timed out", "crashed", "out of memory", "disk full", "waiting")
HIDDEN_NOTE = "public checks pass; grading adds checks you do not see"


def subtask_verdicts(tests, expected):
    """{tag: {"status", "detail", "hidden"}} from ``tests`` ({nodeid: outcome}), for every subtask."""
    verdicts = {}
    hidden_tags = expected.hidden_subtasks()
    public = {nodeid: test for nodeid, test in tests.items() if test["visibility"] == "visible"}
    rows = {tag: (status, detail) for tag, status, detail in summary_rows(tests)}
    public_rows = {tag: status for tag, status, _ in summary_rows(public)}
    for subtask in SUBTASKS:
        tag = subtask.tag
        mine = [test for test in tests.values() if tag in test["subtasks"]]
        if not mine:
            verdicts[tag] = {"status": "not checked", "detail": "no check of this subtask ran", "hidden": False}
            continue
        status, detail = rows[tag]
        detail = "\n".join(detail)
        stopped = [test for test in mine if test.get("stopped") in STOPPED_WORDS]
        if status != "done" and stopped:
            status, detail = stopped[0]["stopped"], stopped[0]["detail"]
        elif status != "done" and all(test["status"] == "passed" or test.get("stopped") == "not run" for test in mine):
            status, detail = "not checked", next(test["detail"] for test in mine if test.get("stopped") == "not run")
        elif status != "done" and tag in hidden_tags and public_rows.get(tag) == "done":
            hidden = [test for test in mine if test["visibility"] == "hidden"]
            failing = [test for test in hidden if test["status"] != "passed"]
            status = "failing"
            detail = f"{HIDDEN_NOTE}: {len(failing)} of {len(hidden)} of them fail"
            if failing and failing[0]["detail"]:
                detail += f"; {failing[0]['detail']}"
        elif status == "done" and tag in hidden_tags:
            detail = f"{sum(test['visibility'] == 'visible' for test in mine)} public and " \
                     f"{sum(test['visibility'] == 'hidden' for test in mine)} grading check(s) pass"
        verdicts[tag] = {"status": status, "detail": detail, "hidden": tag in hidden_tags}
    return verdicts


def public_verdict(tests, tag):
    """(passed, detail) of the public tests of ``tag`` alone (for Gradescope's visible entry)."""
    public = {nodeid: test for nodeid, test in tests.items() if test["visibility"] == "visible"}
    for row_tag, status, detail in summary_rows(public):
        if row_tag == tag:
            return status == "done", f"{status}: " + "\n".join(detail)
    return False, "no public check of this subtask ran"
