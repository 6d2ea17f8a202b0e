"""Running one submission's checks: one pytest process at a time, under a watchdog outside the sandbox.

pytest runs every expected test in a fixed order (core first) and says on the outcome channel
when a test starts and how it ended. The watchdog owns the clock: a test that runs past its
limit, or a run that takes too much memory or disk, is stopped by killing the whole sandbox; the
test that was running is recorded as such, and a new pytest, in a fresh scratch copy, runs the
tests that are left. So one hang or crash costs the subtasks of one test, never the others.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from grader import cgroups, safe, sandbox, scratch
from grader.data import folder as data_folder
from grader.expected import HIDDEN_FOLDER, PYTEST_OPTIONS
from utils.internals.subtasks import ASSIGNMENT

DATA_FOLDER = data_folder(ASSIGNMENT)  # relative to a repository; None: the assignment has no data

OUTPUT_TAIL = 20_000        # bytes of pytest's output kept per submission
MAX_LINE = 64 << 10         # bytes of one line on the outcome channel
MAX_CHANNEL = 16 << 20      # bytes on the outcome channel per run
POLL = 0.25                 # seconds between the watchdog's looks
STATUSES = {"passed", "failed", "todo", "does not load", "skipped"}
TODO = re.compile(r"TODO (\w+)")


@dataclass
class Checked:
    """What one submission's checks came to."""
    tests: dict = field(default_factory=dict)     # nodeid -> outcome (status, detail, where, subtasks, ...)
    stops: list = field(default_factory=list)     # one line per stopped test or run
    channel_notes: list = field(default_factory=list)  # what on the outcome channel was out of protocol
    output: str = ""
    runs: int = 0


class Tail:
    """The last ``limit`` bytes of a stream."""

    def __init__(self, limit=OUTPUT_TAIL):
        self.limit, self.data, self.cut = limit, bytearray(), 0

    def add(self, chunk):
        self.data += chunk
        if len(self.data) > 2 * self.limit:
            self.cut += len(self.data) - self.limit
            del self.data[:len(self.data) - self.limit]

    def text(self):
        data = self.data[-self.limit:]
        cut = self.cut + len(self.data) - len(data)
        return (f"[... {cut} bytes cut ...]\n" if cut else "") + data.decode(errors="replace")


def _descendants(pid):
    """``pid`` and every process below it (from /proc)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    parent = int(handle.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, []))
    return found


def resident_bytes(pid):
    """Memory of ``pid`` and all its descendants together: proportional set sizes, so pages that
    forked children share are counted once (resident size where smaps_rollup is missing)."""
    page, total = os.sysconf("SC_PAGE_SIZE"), 0
    for process in _descendants(pid):
        try:
            with open(f"/proc/{process}/smaps_rollup", "rb") as handle:
                for line in handle:
                    if line.startswith(b"Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
            continue
        except (OSError, IndexError, ValueError):
            pass
        try:
            with open(f"/proc/{process}/statm", "rb") as handle:
                total += int(handle.read().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
    return total


def folder_bytes(folder, stop_at):
    """Bytes under ``folder`` (links not followed); stops counting past ``stop_at``."""
    total, stack = 0, [folder]
    while stack and total <= stop_at:
        try:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    else:
                        total += entry.stat(follow_symlinks=False).st_blocks * 512
        except OSError:
            continue
    return total


def kill_user(uid):
    """SIGKILL every process of ``uid`` (the sandbox's user where there is no pid namespace to end)."""
    for _ in range(3):
        found = False
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    if os.stat(f"/proc/{entry}").st_uid == uid:
                        os.kill(int(entry), signal.SIGKILL)
                        found = True
                except OSError:
                    continue
        if not found:
            return
        time.sleep(0.05)


def remove_tree(path):
    """Delete a run's scratch copy, however deep a submission nested its folders (``safe.remove_tree``)."""
    safe.remove_tree(path)


def _chown_tree(folder, uid):
    for current, _folders, files in os.walk(folder):
        os.chown(current, uid, uid)
        for name in files:
            os.chown(os.path.join(current, name), uid, uid, follow_symlinks=False)


def fresh_copy(release_dir, files, work, mode, hidden_dir, uid):
    """A new scratch copy of the clean release with the student files in; (run folder, repo, data folder).

    Where runs are staged (sandbox.staged) the copy is only the seed of the run's own tmpfs: it stays
    the grader's, in a folder only the grader may enter, and the data is bound into the tmpfs read-only."""
    run = work / f"run-{uuid.uuid4().hex}"
    run.mkdir(mode=0o700)
    repo = run / "repo"
    source = release_dir / DATA_FOLDER if DATA_FOLDER else None
    shutil.copytree(release_dir, repo, symlinks=True, ignore=_leave_out(source))
    if hidden_dir is not None:
        shutil.copytree(hidden_dir, repo / HIDDEN_FOLDER, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for file, data in files.items():
        (repo / file).write_bytes(data)
    if source is None:
        pass
    elif sandbox.staged(mode):
        (repo / DATA_FOLDER).mkdir(parents=True, exist_ok=True)  # the data itself is bound read-only over it
        return run, repo, source
    elif mode == "bwrap":
        (repo / DATA_FOLDER).mkdir(parents=True)
    else:
        # The checks run as another user in a container: links to read-only files are safe. Without a
        # sandbox they run as the grader's user, who could change a linked file for everyone: copies.
        copy = os.link if sandbox.drops_user(mode) else shutil.copy2
        shutil.copytree(source, repo / DATA_FOLDER, copy_function=copy)
    if sandbox.drops_user(mode) and os.geteuid() == 0:
        _chown_tree(repo, uid)
        os.chown(run, uid, uid)
    return run, repo, (source if mode == "bwrap" else None)


def _leave_out(path):
    """A copytree ignore function that leaves out ``path`` (the data, bound or copied apart)."""
    target = None if path is None else Path(path).resolve()

    def ignore(directory, names):
        if target is None:
            return set()
        return {name for name in names if (Path(directory) / name).resolve() == target}

    return ignore


def _outcome(entry):
    """A test's outcome from the channel, normalised: only known statuses, bounded text."""
    outcome = entry.get("outcome") if isinstance(entry.get("outcome"), dict) else {}
    status = outcome.get("status") if outcome.get("status") in STATUSES else "failed"
    detail = str(outcome.get("detail", ""))[:2000]
    where = outcome.get("where")
    where = str(where)[:300] if where else None
    if status == "skipped":  # a skip or xfail is not a pass; a "not started" skip names its TODO
        match = TODO.search(detail)
        status, detail = ("todo", match.group(1)) if match else ("failed", f"skipped: {detail}".strip())
    return {"status": status, "detail": detail, "where": where}


class Run:
    """One pytest process in one sandbox, and what its outcome channel said.

    The plugin runs the tests in exactly the order it was given, so every "start" must name the
    next test of that order. An outcome counts once the run goes on past it (the next test starts,
    or the run ends and pytest exits normally): a process that dies right after reporting a
    pass, as code that forges a report and then calls ``os._exit`` would, gets no pass for it.
    """

    def __init__(self, order, expected, limits, deadline):
        self.order, self.expected, self.limits, self.deadline = list(order), expected, limits, deadline
        self.position, self.recorded, self.notes = 0, {}, []
        self.current, self.started_at, self.ended, self.stopped = None, 0.0, False, None
        self.current_limit = limits.test_timeout
        self.provisional = None  # (nodeid, outcome) not yet confirmed by what follows it
        self.channel_bytes = 0
        self.returncode = None

    def _confirm(self):
        if self.provisional is not None:
            nodeid, outcome = self.provisional
            self.recorded[nodeid] = outcome
            self.provisional = None

    def take(self, line):
        try:
            entry = json.loads(line)
        except ValueError:
            entry = None
        if not isinstance(entry, dict):
            self.notes.append(f"a line that is not an event: {line[:80]!r}")
            return
        now = time.monotonic()
        if "start" in entry:
            nodeid = entry["start"]
            expected_next = self.order[self.position] if self.position < len(self.order) else None
            if self.current is not None or self.ended or nodeid != expected_next:
                self.notes.append(f"a test started out of order: {str(nodeid)[:120]}")
                return
            self._confirm()
            self.current, self.started_at = nodeid, now
            self.current_limit = self.expected.limit(nodeid, self.limits.test_timeout, first=self.position == 0)
            self.position += 1
        elif "test" in entry:
            nodeid = entry["test"]
            if nodeid != self.current:
                self.notes.append(f"an outcome for a test that was not running: {str(nodeid)[:120]}")
                return
            self.provisional = (nodeid, {**_outcome(entry), "seconds": round(now - self.started_at, 2)})
            self.current = None
        elif entry.get("end") is True and self.current is None:
            self.ended = True
        elif "teardown" in entry:
            pass
        else:
            self.notes.append(f"an unexpected event: {line[:80]!r}")

    def finish(self, returncode):
        """After the process is gone: the last outcome counts only if the run ended normally."""
        self.returncode = returncode
        if self.provisional is not None:
            if self.ended and returncode in (0, 1) and self.stopped is None:
                self._confirm()
            else:
                nodeid, _ = self.provisional
                self.provisional = None
                self.lost = nodeid
                return
        self.lost = None

    def overdue(self, now):
        if now >= self.deadline:
            return "timed out", f"the submission's time ({self.limits.timeout:g} s) ran out"
        if self.current is not None and now - self.started_at > self.current_limit:
            return "timed out", f"timed out after {self.current_limit:g} s"
        return None


def run_once(repo_run, repo, data_dir, remaining, get_expected, plugin_dir, limits, mode, threads, deadline, tail,
             hidden, uid):
    """Run pytest once on the tests ``remaining`` (None: all expected) in the scratch copy ``repo``; return its Run.

    pytest starts at once; the order of the tests is sent when ``get_expected()`` has it, which on
    the first run of a grading run may still be collecting the clean release.
    """
    staged = sandbox.staged(mode)
    group = cgroups.make(limits) if staged else None
    box = scratch.Box(repo_run, repo) if staged else None
    try:
        return _run_in(repo_run, repo, data_dir, remaining, get_expected, plugin_dir, limits, mode, threads, deadline,
                       tail, hidden, uid, group, box)
    finally:
        if group is not None:
            group.remove()


def _run_in(repo_run, repo, data_dir, remaining, get_expected, plugin_dir, limits, mode, threads, deadline, tail,
            hidden, uid, group, box):
    command, cwd, inside, plugin_inside = sandbox.command_for(mode, repo, plugin_dir, limits, [], data_dir, uid,
                                                              box, group)
    env, tmp = sandbox.environment(mode, repo, inside, plugin_inside, threads, uid, box)
    command += [*PYTEST_OPTIONS, "--basetemp", str(tmp / "pytest")]
    if remaining is not None:  # a restart collects only the files it still needs
        command += sorted({nodeid.split("::")[0] for nodeid in remaining})
    read_end, write_end = os.pipe()
    out_read, out_write = os.pipe()
    try:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=out_write,
                                   stderr=out_write, pass_fds=(write_end,), start_new_session=True)
    finally:
        os.close(write_end)
        os.close(out_write)
    first = {"channel": write_end, "hidden": HIDDEN_FOLDER if hidden else None}
    try:
        process.stdin.write(json.dumps(first).encode() + b"\n")
        process.stdin.flush()
    except OSError:
        pass
    try:
        expected = get_expected()
    except BaseException:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        os.close(read_end)
        os.close(out_read)
        raise
    order = list(expected.order) if remaining is None else remaining
    run = Run(order, expected, limits, deadline)
    try:
        process.stdin.write(json.dumps({"order": order}).encode() + b"\n")
        process.stdin.close()
    except OSError:
        pass
    selector = selectors.DefaultSelector()
    for descriptor in (read_end, out_read):
        os.set_blocking(descriptor, False)
        selector.register(descriptor, selectors.EVENT_READ)
    pending, open_ends, last_look = b"", 2, 0.0
    disk_limit = folder_bytes(repo_run, 1 << 62) + (limits.disk_mb << 20)
    exited_at = None

    def over_limits():
        """What the run has used too much of, or None: the kernel's count where there is one, else a poll."""
        if group is not None and group.oom_kills():
            return "out of memory", f"used more than {limits.memory_mb} MB of memory"
        if box is not None:
            full = box.full(process.pid)
            if full == "bytes":
                return "disk full", f"wrote more than {limits.disk_mb} MB"
            if full == "files":
                return "disk full", f"made more than {limits.inodes} files"
            return None
        if group is None and resident_bytes(process.pid) > limits.memory_mb << 20:
            return "out of memory", f"used more than {limits.memory_mb} MB of memory"
        if folder_bytes(repo_run, disk_limit) > disk_limit:
            return "disk full", f"wrote more than {limits.disk_mb} MB"
        return None

    try:
        while open_ends:
            for key, _ in selector.select(POLL):
                try:
                    chunk = os.read(key.fd, 1 << 16)
                except BlockingIOError:
                    continue
                if not chunk:
                    selector.unregister(key.fd)
                    open_ends -= 1
                    continue
                if key.fd == out_read:
                    tail.add(chunk)
                    continue
                run.channel_bytes += len(chunk)
                pending += chunk
                *lines, pending = pending.split(b"\n")
                if len(pending) > MAX_LINE or run.channel_bytes > MAX_CHANNEL:
                    run.notes.append("the outcome channel was flooded")
                    run.stopped = ("crashed", "flooded the grader's outcome channel")
                    pending = b""
                for line in lines:
                    run.take(line.decode(errors="replace"))
                    if run.stopped is None and run.provisional is not None and run.current is None and box:
                        run.stopped = over_limits()  # a test that filled the box is the one to blame
            now = time.monotonic()
            if run.stopped is None:
                run.stopped = run.overdue(now)
            if run.stopped is None and now - last_look >= 1.0:
                last_look = now
                run.stopped = over_limits()
            if run.stopped is not None:
                break
            if process.poll() is not None:
                exited_at = exited_at or now
                if group is not None and group.oom_kills():
                    run.stopped = over_limits()
                    break
                if now - exited_at > 2.0:
                    break  # something it left holds the pipes open
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # with it its pid namespace, and so everything it started
        except (ProcessLookupError, PermissionError):
            pass
        if group is not None:
            group.kill()
        process.wait()
        if group is None and mode != "bwrap" and sandbox.drops_user(mode) and not sandbox.can_unshare():
            kill_user(uid)
        selector.close()
        os.close(read_end)
        os.close(out_read)
    if run.stopped is None and group is not None and group.oom_kills():
        run.stopped = over_limits()
    run.finish(process.returncode)
    return run


def _crash_reason(code, limits):
    if code is None:
        return "crashed"
    if code < 0:
        number = -code
        if number == signal.SIGXFSZ:
            return f"wrote a file over {limits.file_mb} MB"
        if number == signal.SIGKILL:
            return "killed (out of memory?)"
        return f"signal {signal.Signals(number).name}"
    return f"exit code {code}"


def check_submission(files, release_dir, plugin_dir, get_expected, limits, mode, threads, work, hidden_dir):
    """Run every expected test on ``files`` ({student file: bytes}); return a Checked.

    ``get_expected()`` gives the Expected tests (it may wait for their collection to finish).
    """
    checked, tail = Checked(), Tail()
    deadline = time.monotonic() + limits.timeout
    remaining = None  # all the expected tests, once they are known
    stopped_tags = set()  # subtasks whose test was stopped: they cannot pass, so their other tests wait no more
    hung = set()  # subtasks whose test hung: a later test that runs their code would hang too, so it fails at once
    while remaining is None or remaining:
        if time.monotonic() >= deadline:
            break
        uid = sandbox.run_uid()
        run_dir, repo, data_dir = fresh_copy(release_dir, files, work, mode, hidden_dir, uid)
        try:
            if checked.runs:
                tail.add(f"\n--- the checks go on with {len(remaining)} test(s) left ---\n".encode())
            run = run_once(run_dir, repo, data_dir, remaining, get_expected, plugin_dir, limits, mode, threads,
                           deadline, tail, hidden_dir is not None, uid)
        finally:
            remove_tree(run_dir)
        expected = get_expected()
        if remaining is None:
            remaining = list(expected.order)
        checked.runs += 1
        checked.channel_notes += run.notes
        for nodeid, outcome in run.recorded.items():
            checked.tests[nodeid] = outcome
        if run.current is not None:
            kind, why = run.stopped or ("crashed", _crash_reason(run.returncode, limits))
            name = run.current.split("::")[-1]
            detail = f"crashed ({why}) while {name} ran" if kind == "crashed" else f"{why} while {name} ran"
            checked.tests[run.current] = {"status": "failed", "detail": detail, "where": None, "stopped": kind,
                                          "seconds": round(time.monotonic() - run.started_at, 2)}
            checked.stops.append(f"{kind}: {why} ({run.current})")
            stopped_tags.update(expected.tags[run.current])
            if why.startswith("timed out after"):
                hung.update(expected.tags[run.current])
        elif run.lost is not None:
            kind, why = run.stopped or ("crashed", _crash_reason(run.returncode, limits))
            checked.tests[run.lost] = {"status": "failed", "where": None, "stopped": kind,
                                       "detail": f"{kind} ({why}) right after {run.lost.split('::')[-1]} "
                                                 "reported; the run did not go on, so its report does not count"}
            checked.stops.append(f"{kind}: {why} ({run.lost})")
            stopped_tags.update(expected.tags[run.lost])
        elif run.stopped is not None:
            checked.stops.append(f"{run.stopped[0]}: {run.stopped[1]} (between tests)")
        progressed = bool(run.recorded) or run.current is not None or run.lost is not None
        remaining = [nodeid for nodeid in remaining if nodeid not in checked.tests]
        for nodeid in remaining if hung else ():
            waits_for = expected.calls(nodeid, hung)
            if waits_for:
                checked.tests[nodeid] = {"status": "failed", "where": None, "stopped": "waiting",
                                         "detail": f"waiting for {', '.join(waits_for)} (it hung)"}
        if stopped_tags:
            for nodeid in remaining:
                if set(expected.tags[nodeid]) <= stopped_tags:
                    checked.tests[nodeid] = {"status": "failed", "where": None, "stopped": "skipped",
                                             "detail": "not run: an earlier check of this subtask was stopped"}
            remaining = [nodeid for nodeid in remaining if nodeid not in checked.tests]
        if run.ended or not progressed:
            if remaining and not run.ended:
                why = run.stopped[1] if run.stopped else _crash_reason(run.returncode, limits)
                checked.stops.append(f"crashed: the checks did not start ({why})")
            break
    expected = get_expected()
    for nodeid in expected.order if remaining is None else remaining:
        ran_out = time.monotonic() >= deadline
        checked.tests[nodeid] = {"status": "failed", "where": None, "stopped": "not run",
                                 "detail": f"not run: the submission's time ({limits.timeout:g} s) ran out"
                                 if ran_out else "not run: the checks stopped before it"}
        if ran_out and not any("ran out" in stop for stop in checked.stops):
            checked.stops.append(f"timed out: the submission's time ({limits.timeout:g} s) ran out")
    for nodeid, outcome in checked.tests.items():
        outcome["subtasks"] = list(expected.tags[nodeid])
        outcome["visibility"] = expected.visibility(nodeid)
    checked.tests = {nodeid: checked.tests[nodeid] for nodeid in expected.order}
    checked.output = tail.text()
    return checked
