"""The time each expected test takes on the reference, from which its time limit in grading follows.

The reference's student files go into a copy of the release (with the hidden checks and the data),
and pytest runs every expected test there, in the grading order, through the grading plugin; the
clock is read here, between each test's start and end on the outcome channel. The reference is
trusted code: no sandbox, one torch thread, as a submission is graded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader.data import folder as data_folder
from grader.expected import HIDDEN_FOLDER, PYTEST_OPTIONS, CollectError
from utils.internals.subtasks import ASSIGNMENT, STUDENT_FILES


def measure(expected, release_dir, plugin_dir, hidden_dir, reference, data_dir, timeout=1800):
    """{nodeid: seconds} of every test of ``expected`` on the student files in ``reference``; every test must pass."""
    with tempfile.TemporaryDirectory(prefix="grading-timing-") as work:
        repo = Path(work) / "repo"
        shutil.copytree(release_dir, repo, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
        if hidden_dir is not None:
            shutil.copytree(hidden_dir, repo / HIDDEN_FOLDER, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        for file in STUDENT_FILES:
            shutil.copyfile(Path(reference) / file, repo / file)
        relative = data_folder(ASSIGNMENT)
        if relative is not None and data_dir is not None:
            shutil.rmtree(repo / relative, ignore_errors=True)
            shutil.copytree(data_dir, repo / relative, ignore=shutil.ignore_patterns("*.gz", ".*"))
        return _timed_run(expected, repo, plugin_dir, hidden_dir is not None, Path(work), timeout)


def _timed_run(expected, repo, plugin_dir, hidden, work, timeout):
    read_end, write_end = os.pipe()
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env.update(PYTHONPATH=str(plugin_dir), PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg", COURSE_GRADE_THREADS="1",
               OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", HOME=str(work), MPLCONFIGDIR=str(work / "matplotlib"))
    command = [sys.executable, "-m", "pytest", *PYTEST_OPTIONS, "--basetemp", str(work / "pytest")]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=repo, env=env, stdin=subprocess.PIPE, stdout=log,
                                   stderr=subprocess.STDOUT, pass_fds=(write_end,))
        os.close(write_end)
        orders = [{"channel": write_end, "hidden": HIDDEN_FOLDER if hidden else None}, {"order": expected.order}]
        process.stdin.write(b"".join(json.dumps(line).encode() + b"\n" for line in orders))
        process.stdin.close()
        seconds, failed, started = {}, [], {}
        deadline = time.monotonic() + timeout
        with os.fdopen(read_end, "rb") as channel:
            for line in channel:
                now = time.monotonic()
                entry = json.loads(line)
                if "start" in entry:
                    started[entry["start"]] = now
                elif "test" in entry and entry["test"] in started:
                    seconds[entry["test"]] = round(now - started[entry["test"]], 3)
                    if entry["outcome"]["status"] != "passed":
                        failed.append(entry["test"])
                if now > deadline:
                    process.kill()
        process.wait()
        log.seek(0)
        output = log.read().decode(errors="replace")
    missing = [nodeid for nodeid in expected.order if nodeid not in seconds]
    if failed or missing:
        raise CollectError(f"the reference does not pass every check ({(failed + missing)[:5]}):\n" + output[-3000:])
    return seconds
