"""pytest plugin used by tools/grade.py: writes each test's outcome as it finishes.

``-p grading_plugin --record-lines FILE`` appends one JSON line per event to FILE, flushed at
once, so a run that is killed (time limit, ``os._exit``, memory) still tells which tests passed
before: ``{"collected": {nodeid: [subtasks]}}`` after collection, ``{"start": nodeid}`` when a
test starts, ``{"test": nodeid, "outcome": {...}}`` when it ends (the same entry as
``--record-outcomes`` writes). It also pins torch to ``COURSE_GRADE_THREADS`` threads.
"""

from __future__ import annotations

import json
import os

import pytest


def pytest_addoption(parser):
    parser.getgroup("course").addoption("--record-lines", metavar="FILE", default=None,
                                        help="append every test's outcome to FILE as it finishes (JSON lines)")


def pytest_configure(config):
    threads = os.environ.get("COURSE_GRADE_THREADS")
    if threads:
        import torch

        torch.set_num_threads(int(threads))
    path = config.getoption("record_lines")
    if path:
        config.pluginmanager.register(LineRecorder(config, path), "course-grading-lines")


class LineRecorder:
    def __init__(self, config, path):
        self.config = config
        self.handle = open(path, "a", buffering=1)  # noqa: SIM115 - open for the whole session

    def _write(self, entry):
        self.handle.write(json.dumps(entry) + "\n")
        self.handle.flush()

    def pytest_collection_finish(self, session):
        from utils.subtasks import BY_MARKER  # the repository's own table; on sys.path through conftest

        collected = {item.nodeid: [BY_MARKER[mark.name].tag for mark in item.iter_markers()
                                   if mark.name in BY_MARKER]
                     for item in session.items}
        self._write({"collected": collected})

    def pytest_runtest_logstart(self, nodeid, location):
        self._write({"start": nodeid})

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report):
        reporter = self.config.pluginmanager.get_plugin("course-progress")
        entry = getattr(reporter, "tests", {}).get(report.nodeid)
        if entry is not None and report.when in ("setup", "call") and not (report.when == "setup" and report.passed):
            self._write({"test": report.nodeid, "outcome": entry})

    def pytest_unconfigure(self, config):
        self.handle.close()
