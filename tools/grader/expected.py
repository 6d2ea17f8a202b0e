"""The tests a submission must pass: collected once per grading run from the clean release itself.

The grader never learns the test ids or their subtasks from a submission's own run: a test it
does not expect is not run, and an expected test with no outcome counts as failed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from utils.internals.subtasks import SUBTASKS

HIDDEN_FOLDER = "tests/grading"  # where the hidden checks sit in the release copy
PYTEST_OPTIONS = ("-q", "-p", "no:randomly", "-p", "no:cacheprovider", "-p", "grading_plugin")
POSITION = {subtask.tag: index for index, subtask in enumerate(SUBTASKS)}
# A test's time limit: FACTOR times its time on the reference, at least FLOOR seconds; the first test of a
# pytest process also pays for starting Python, torch and the student's imports (STARTUP).
FLOOR, FACTOR, STARTUP = 15.0, 5.0, 30.0


def _needs():
    """Each subtask's tag with every subtask whose code its checks run (the table's needs, followed through)."""
    direct = {subtask.tag: set(subtask.needs) for subtask in SUBTASKS}
    closed = {}
    for tag in direct:
        found, stack = {tag}, list(direct[tag])
        while stack:
            other = stack.pop()
            if other not in found:
                found.add(other)
                stack.extend(direct.get(other, ()))
        closed[tag] = found
    return closed


NEEDS = _needs()


class CollectError(Exception):
    """The clean release's tests could not be collected (a broken checkout, not a submission's fault)."""


@dataclass
class Expected:
    tags: dict = field(default_factory=dict)    # nodeid -> [subtask tags], from the clean release
    order: list = field(default_factory=list)   # nodeids in the order they run: core first, hidden after public
    seconds: dict = field(default_factory=dict)  # nodeid -> its time on the reference (measure), where known

    def limit(self, nodeid, ceiling, first=False):
        """Seconds ``nodeid`` may run: from its time on the reference where measured, never over ``ceiling``."""
        measured = self.seconds.get(nodeid)
        if measured is None:
            return ceiling
        return min(ceiling, max(FLOOR, FACTOR * measured) + (STARTUP if first else 0.0))

    def calls(self, nodeid, tags):
        """The subtasks among ``tags`` whose code the test ``nodeid`` runs (its own and what they need)."""
        return sorted({tag for own in self.tags.get(nodeid, ()) for tag in NEEDS.get(own, {own})} & set(tags),
                      key=lambda tag: POSITION.get(tag, len(POSITION)))

    def visibility(self, nodeid):
        return "hidden" if is_hidden(nodeid) else "visible"

    def hidden_subtasks(self):
        return {tag for nodeid, tags in self.tags.items() if is_hidden(nodeid) for tag in tags}


def is_hidden(nodeid):
    return nodeid.startswith(HIDDEN_FOLDER + "/")


def run_order(tags):
    """Core subtasks before bonus ones, in the table's order; a subtask's hidden tests after its public ones."""
    def key(item):
        index, (nodeid, subtasks) = item
        first = min((POSITION.get(tag, len(POSITION)) for tag in subtasks), default=len(POSITION))
        return first, is_hidden(nodeid), index

    return [nodeid for _, (nodeid, _) in sorted(enumerate(tags.items()), key=key)]


def collect(release_dir, plugin_dir, hidden, timeout=300):
    """The Expected tests of the untouched release in ``release_dir`` (``hidden``: its hidden checks too)."""
    read_end, write_end = os.pipe()
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH",)}
    env.update(PYTHONPATH=str(plugin_dir), PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg")
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen([sys.executable, "-m", "pytest", *PYTEST_OPTIONS, "--collect-only"],
                                   cwd=release_dir, env=env, stdin=subprocess.PIPE, stdout=log,
                                   stderr=subprocess.STDOUT, pass_fds=(write_end,))
        os.close(write_end)
        orders = {"channel": write_end, "collect": True, "hidden": HIDDEN_FOLDER if hidden else None}
        with os.fdopen(read_end, "rb") as channel:
            process.stdin.write(json.dumps(orders).encode() + b"\n")
            process.stdin.close()
            lines = channel.read().decode(errors="replace").splitlines()
        process.wait(timeout=timeout)
        log.seek(0)
        output = log.read().decode(errors="replace")
    collected = None
    for line in lines:
        entry = json.loads(line)
        if "collected" in entry:
            collected = entry["collected"]
    if not collected:
        raise CollectError("the clean release's tests could not be collected:\n" + output[-3000:])
    tags = {nodeid: subtasks for nodeid, subtasks in collected.items() if subtasks}
    return Expected(tags, run_order(tags))


def save(expected, path):
    """Write the test ids, their subtasks and their times on the reference to ``path`` (JSON), for ``load``."""
    data = {"tests": expected.tags}
    if expected.seconds:
        data["seconds"] = expected.seconds
    Path(path).write_text(json.dumps(data, indent=1) + "\n")


def load(path, hidden_dir, release_dir=None):
    """The Expected tests saved in ``path``, checked against what this grading run holds.

    The ids must name only known subtasks, hidden ids must come with a hidden folder and the other
    way round, and every file they name must be in ``release_dir`` (or ``hidden_dir``): a file of
    ids from another release is refused, not graded with.
    """
    try:
        data = json.loads(Path(path).read_text())
        tags, seconds = data["tests"], data.get("seconds", {})
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise CollectError(f"{path}: not a file of test ids ({error})") from error
    if not isinstance(seconds, dict) or not all(
            isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 1e6
            for value in seconds.values()):
        raise CollectError(f"{path}: its seconds are not a table of test ids to times")
    if not isinstance(tags, dict) or not tags or not all(
            isinstance(nodeid, str) and isinstance(subtasks, list) and subtasks
            and all(tag in POSITION for tag in subtasks) for nodeid, subtasks in tags.items()):
        raise CollectError(f"{path}: not a file of test ids (each id needs a list of known subtasks)")
    has_hidden = any(is_hidden(nodeid) for nodeid in tags)
    if has_hidden != (hidden_dir is not None):
        raise CollectError(f"{path}: its ids {'include' if has_hidden else 'lack'} hidden checks, but this run has "
                           f"{'none' if hidden_dir is None else hidden_dir}: collect them again with the same --hidden")
    for nodeid in tags:
        file = nodeid.split("::")[0]
        if is_hidden(nodeid):
            place = Path(hidden_dir) / file[len(HIDDEN_FOLDER) + 1:]
        elif release_dir is not None:
            place = Path(release_dir) / file
        else:
            continue
        if not place.is_file():
            raise CollectError(f"{path}: names {file}, which is not in the release: collect the ids again")
    measured = {nodeid: float(value) for nodeid, value in seconds.items() if nodeid in tags}
    return Expected(tags, run_order(tags), measured)
