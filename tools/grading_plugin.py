"""pytest plugin of tools/grade.py: runs the tests the grader asks for, in its order, and reports each.

Loaded with ``-p grading_plugin`` only. The grader's orders arrive on standard input as two JSON
lines: ``{"channel": fd, "collect": bool, "hidden": "tests/grading"}``, read when the plugin is
imported, and ``{"order": [nodeid, ...]}``, read after collection, before any test (or student
code) runs: so pytest starts while the grader is still collecting the clean release's test ids.
Standard input is /dev/null from then on. ``fd`` is an inherited pipe, named nowhere in the arguments or the
environment, on which the plugin writes one JSON line per event: ``{"collected": {nodeid:
[subtasks]}}``, ``{"start": nodeid}``, ``{"test": nodeid, "outcome": {"status", "detail",
"where"}}``, ``{"end": true}``. The grader trusts none of it beyond "this test started / ended
so": it knows the test ids and their subtasks itself, and it watches the clock.
It also pins torch to ``COURSE_GRADE_THREADS`` threads, and removes the hidden checks' folder once
they are collected (compiled into the test process), before any test runs.
"""

from __future__ import annotations

import json
import linecache
import os
import shutil
from pathlib import Path

import pytest

MAX_DETAIL = 2000  # characters of a failure's message sent back


def _read_line(descriptor):
    data = b""
    while not data.endswith(b"\n"):
        chunk = os.read(descriptor, 1)
        if not chunk:
            break
        data += chunk
    return json.loads(data or b"{}")


def _read_orders():
    """The first line (the channel) now; the order follows once the grader knows it (see below)."""
    try:
        orders = _read_line(0)
    except (OSError, ValueError):
        orders = {}
    # pytest replaces descriptor 0 with /dev/null while it captures; keep the grader's pipe apart.
    orders["_pipe"] = os.dup(0)
    os.set_inheritable(orders["_pipe"], False)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    channel = orders.get("channel")
    if isinstance(channel, int):
        os.set_inheritable(channel, False)  # not handed on to what a test starts
    return orders


ORDERS = _read_orders()


def _rest_of_orders():
    """The order of the tests: the grader's second line, read before any test (or student code) runs."""
    pipe = ORDERS.pop("_pipe", None)
    if pipe is None:
        return
    try:
        ORDERS.update(_read_line(pipe))
    except (OSError, ValueError):
        pass
    finally:
        os.close(pipe)


def _channel_writer(orders, dumps, write):
    """The writer the hooks hold in their closures: code that replaces ``grading_plugin._send`` (or
    ``json.dumps``, ``os.write``) later, from the test process, does not change what they send."""

    def send(entry):
        channel = orders.get("channel")
        if isinstance(channel, int):
            data = (dumps(entry) + "\n").encode()
            while data:
                data = data[write(channel, data):]

    return send


_send = _channel_writer(ORDERS, json.dumps, os.write)


def _tags(item):
    from utils.internals.subtasks import BY_MARKER  # the release's own table; on sys.path through conftest

    return [BY_MARKER[mark.name].tag for mark in item.iter_markers() if mark.name in BY_MARKER]


def pytest_configure(config):
    threads = os.environ.get("COURSE_GRADE_THREADS")
    if threads and not ORDERS.get("collect"):
        import torch

        torch.set_num_threads(int(threads))


@pytest.hookimpl(tryfirst=True)
def pytest_ignore_collect(collection_path, config):
    """The hidden checks are collected although the release's conftest keeps to tests/subtasks."""
    hidden = ORDERS.get("hidden")
    if hidden and collection_path.suffix == ".py":
        try:
            relative = Path(collection_path).relative_to(config.rootpath).as_posix()
        except ValueError:
            return None
        if relative.startswith(hidden.rstrip("/") + "/"):
            return not Path(collection_path).name.startswith(("test_", "conftest"))
    return None


def _remove_hidden(config):
    """The hidden checks are compiled now; their files go before any student code runs, so it cannot read them."""
    hidden = ORDERS.get("hidden")
    if not hidden:
        return
    folder = Path(config.rootpath) / hidden
    shutil.rmtree(folder, ignore_errors=True)
    if os.path.lexists(folder):
        pytest.exit("the grader could not remove the hidden checks from the sandbox", returncode=4)
    linecache.checkcache()  # drops any line it kept of a file that is gone


def _hooks(send):
    """The hooks that report, each calling ``send`` from its closure."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(session, config, items):
        _rest_of_orders()
        if ORDERS.get("collect"):
            send({"collected": {item.nodeid: _tags(item) for item in items}})
            return
        _remove_hidden(config)
        order = {nodeid: index for index, nodeid in enumerate(ORDERS.get("order", []))}
        kept = sorted((item for item in items if item.nodeid in order), key=lambda item: order[item.nodeid])
        dropped = [item for item in items if item.nodeid not in order]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        items[:] = kept

    def pytest_runtest_logstart(nodeid, location):
        send({"start": nodeid})

    _SKIP = pytest.skip.Exception
    _XFAIL = pytest.xfail.Exception

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_makereport(item, call):
        """Each phase's outcome from the call itself, not from the report object code could have patched."""
        outcome = yield
        if call.when == "teardown":
            return
        report = outcome.get_result()
        error = call.excinfo.value if call.excinfo is not None else None
        if error is None and call.when == "setup":
            return  # the call phase follows and reports
        if error is None and not getattr(report, "wasxfail", None):
            entry = {"status": "passed", "detail": "", "where": None}
        elif error is None or isinstance(error, (_SKIP, _XFAIL)):
            reason = str(error) if error is not None else f"xfail: {report.wasxfail}"
            entry = {"status": "skipped", "detail": reason, "where": None}
        else:
            status, detail, where = getattr(report, "course_outcome", ("failed", f"{type(error).__name__}", None))
            entry = {"status": status, "detail": str(detail), "where": where}
        entry["detail"] = entry["detail"][:MAX_DETAIL]
        send({"test": item.nodeid, "outcome": entry})

    def pytest_sessionfinish(session, exitstatus):
        send({"end": True})

    return (pytest_collection_modifyitems, pytest_runtest_logstart, pytest_runtest_makereport,
            pytest_sessionfinish)


(pytest_collection_modifyitems, pytest_runtest_logstart, pytest_runtest_makereport,
 pytest_sessionfinish) = _hooks(_send)
