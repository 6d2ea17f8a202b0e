"""A control group per pytest run: the kernel counts all of a sandbox's memory and processes.

Memory a process maps (``memfd``, shared memory, tmpfs files, the page cache it fills) is charged
to its group, whether or not a process still maps it, and the kernel stops the group at its limit
(the OOM killer, inside the group only). As root a child group is made in the cgroup file system:
cgroup v2 where its memory controller is enabled (``memory.max``, ``memory.swap.max`` 0,
``pids.max``, ``cpu.max``), else the v1 ``memory``, ``pids`` and ``cpu`` hierarchies. The CPU
quota (``Limits.cpus``, the run's torch threads) keeps one run from starving another beside it.
The sandbox's first process moves itself in (``enter_script``) before it starts anything, so
nothing it forks escapes.
Elsewhere (not root, no writable cgroup file system) ``make`` returns None and the runner falls
back to polling the memory its processes map.
"""

from __future__ import annotations

import functools
import os
import shlex
import signal
import time
import uuid
from pathlib import Path


def _mounts():
    """(cgroup v2 mount point or None, {v1 controller: (mount point, hierarchy root)})."""
    v2, v1 = None, {}
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return v2, v1
    for line in lines:
        left, _, right = line.partition(" - ")
        fields, kind = left.split(), right.split()
        if len(fields) < 5 or len(kind) < 3:
            continue
        if kind[0] == "cgroup2" and v2 is None:
            v2 = (fields[4], fields[3])
        elif kind[0] == "cgroup":
            for name in kind[2].split(","):
                if name in ("memory", "pids", "cpu"):
                    v1[name] = (fields[4], fields[3])
    return v2, v1


def _own(controller):
    """This process's group in the hierarchy of ``controller`` ("" for cgroup v2)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        number, names, path = line.split(":", 2)
        if (controller == "" and number == "0" and names == "") or controller in names.split(","):
            return path
    return None


def _folder(mount, controller):
    """The folder of this process's own group under ``mount`` (point, root of the hierarchy there)."""
    point, root = mount
    own = _own(controller)
    if own is None or not own.startswith(root.rstrip("/") + "/") and own != root:
        return None
    return Path(point) / own[len(root):].lstrip("/")


def _write(path, value):
    with open(path, "w") as handle:
        handle.write(str(value))


def _number(path, key=None):
    """An integer from a cgroup file: the whole file, or the value of ``key`` in a ``key value`` list."""
    try:
        text = Path(path).read_text()
    except OSError:
        return 0
    if key is None:
        return int(text.split()[0]) if text.strip() and text.split()[0].isdigit() else 0
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == key:
            return int(parts[1])
    return 0


class Group:
    """One run's control group (one folder per hierarchy)."""

    def __init__(self, folders, version):
        self.folders, self.version = folders, version

    @property
    def procs(self):
        return [folder / "cgroup.procs" for folder in self.folders]

    def _memory(self):
        return self.folders[0]

    def oom_kills(self):
        """How many processes the kernel killed in this group for memory."""
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        return _number(self._memory() / name, "oom_kill")

    def peak_bytes(self):
        name = "memory.peak" if self.version == 2 else "memory.max_usage_in_bytes"
        return _number(self._memory() / name)

    def pids(self):
        found = set()
        for procs in self.procs:
            try:
                found.update(int(pid) for pid in procs.read_text().split())
            except (OSError, ValueError):
                continue
        return found

    def kill(self):
        """SIGKILL every process in the group, until none is left (a fork between two looks is caught next)."""
        if self.version == 2 and (self._memory() / "cgroup.kill").exists():
            try:
                _write(self._memory() / "cgroup.kill", 1)
            except OSError:
                pass
        for _ in range(100):
            left = self.pids()
            if not left:
                return
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.02)

    def remove(self):
        self.kill()
        for folder in reversed(self.folders):
            for _ in range(100):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # busy while the last killed process is reaped
                    time.sleep(0.02)


def _make_v2(limits, name):
    v2, _ = _mounts()
    if v2 is None:
        return None
    parent = Path(v2[0])  # the hierarchy's root: the one place where processes and child controllers may mix
    if "memory" not in (parent / "cgroup.subtree_control").read_text().split():
        try:
            _write(parent / "cgroup.subtree_control", "+memory +pids")
            try:  # the CPU quota where the cpu controller can be enabled too
                _write(parent / "cgroup.subtree_control", "+cpu")
            except OSError:
                pass
        except OSError:
            return None
    folder = parent / name
    folder.mkdir(mode=0o755)
    group = Group([folder], 2)
    try:
        _write(folder / "memory.max", limits.memory_mb << 20)
        for setting, value in (("memory.swap.max", 0), ("memory.oom.group", 1), ("pids.max", limits.processes),
                               ("cpu.max", f"{_quota(limits)} {PERIOD_US}")):
            if (folder / setting).exists():
                _write(folder / setting, value)
    except OSError:
        group.remove()
        return None
    return group


PERIOD_US = 100_000


def _quota(limits):
    """Microseconds of CPU per period: ``limits.cpus`` cores' worth (1 by default)."""
    return max(1000, int(getattr(limits, "cpus", 1.0) * PERIOD_US))


def _make_v1(limits, name):
    _, v1 = _mounts()
    if "memory" not in v1:
        return None
    folders = []
    try:
        for controller in ("memory", "pids", "cpu"):
            if controller not in v1:
                continue
            parent = _folder(v1[controller], controller)
            if parent is None:
                raise OSError(f"no {controller} group of this process")
            (parent / name).mkdir(mode=0o755)
            folders.append(parent / name)
        memory = folders[0]
        _write(memory / "memory.limit_in_bytes", limits.memory_mb << 20)
        try:  # memory and swap together: no swap to escape to (absent where swap is not accounted)
            _write(memory / "memory.memsw.limit_in_bytes", limits.memory_mb << 20)
        except OSError:
            pass
        for folder in folders[1:]:
            if (folder / "pids.max").exists():
                _write(folder / "pids.max", limits.processes)
            if (folder / "cpu.cfs_quota_us").exists():
                _write(folder / "cpu.cfs_period_us", PERIOD_US)
                _write(folder / "cpu.cfs_quota_us", _quota(limits))
    except OSError:
        Group(folders, 1).remove()
        return None
    return Group(folders, 1)


def make(limits):
    """A new group with the memory and process limits of ``limits``, or None where none can be made here."""
    if not available():
        return None
    name = f"course-grading-{os.getpid()}-{uuid.uuid4().hex[:12]}"
    try:
        return _make_v2(limits, name) or _make_v1(limits, name)
    except OSError:
        return None


@functools.cache
def available():
    """Whether this process may make control groups with a memory limit (root, a cgroup file system)."""
    if os.geteuid() != 0:
        return False

    class Probe:
        memory_mb, processes = 64, 16

    name = f"course-grading-probe-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        group = _make_v2(Probe, name) or _make_v1(Probe, name)
    except OSError:
        return False
    if group is None:
        return False
    group.remove()
    return True


def enter_script(group):
    """Shell lines that move the shell itself into ``group`` (its children follow it)."""
    if group is None:
        return ""
    return "".join(f"echo $$ > {shlex.quote(str(procs))} || exit 97\n" for procs in group.procs)
