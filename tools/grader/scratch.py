"""The run's own file system: one tmpfs, limited in bytes and in files, that exists for one pytest run only.

As root, where util-linux ``unshare`` can make a mount namespace, the run's first process (a
shell, ``stage_command``) moves into its control group, makes a private mount namespace, mounts a
tmpfs of ``disk_mb`` (plus the copy) and ``inodes`` files on the run's ``box`` folder, copies the
prepared release with the student files into ``box/repo``, hands it to the sandbox's user and
becomes the sandbox's command. Every place the checks may write (the copy, ``/tmp``,
``/dev/shm``) is in that one tmpfs: files unlinked but held open, and empty files, count against
its limits, and its pages count as the run's memory. The mount exists only in that namespace, so
it ends with the run's last process and leaves nothing on the host.

In ``container`` mode the box is also bound over ``/tmp`` (and ``/dev/shm``, ``/var/tmp``) of that
namespace: the checks see ``/tmp/repo``, ``/tmp/plugin``, ``/tmp/tmp``, and nothing of the
grader's own folders under ``/tmp``.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from grader import cgroups

FULL_BYTES = 1 << 20   # less room than this left: the box is full
FULL_FILES = 32        # fewer files than this left: the box is full

STAGE = r"""
set -e
box=$1 seed=$2 uid=$3 size=$4 inodes=$5 mode=$6 plugin=$7 data=$8 datadir=$9
shift 9
keep=$1
shift
mount -t tmpfs -o "size=$size,nr_inodes=$inodes,mode=0711" course-grading "$box"
mkdir -m 0700 "$box/repo" "$box/tmp" "$box/shm"
cp -a "$seed/." "$box/repo/"
chown -R "$uid:$uid" "$box/repo" "$box/tmp" "$box/shm"
if [ "$mode" = container ]; then
    mkdir -m 0755 "$box/plugin"
    mount --bind "$plugin" "$box/plugin"
    mount -o remount,bind,ro "$box/plugin"
    if [ -n "$data" ]; then
        mkdir -p "$box/repo/$datadir"
        mount --bind "$data" "$box/repo/$datadir"
        mount -o remount,bind,ro "$box/repo/$datadir"
    fi
    # The Python environment may live under /tmp (a checkout there): held aside, read-only, and bound
    # back at its own path inside the box once the box covers /tmp.
    held=0
    for tree in $(printf '%s' "$keep" | tr ':' ' '); do
        held=$((held + 1))
        mkdir -p "$box/.held/$held"
        mount --bind "$tree" "$box/.held/$held"
        mount -o remount,bind,ro "$box/.held/$held"
    done
    mount --rbind "$box" /tmp
    held=0
    for tree in $(printf '%s' "$keep" | tr ':' ' '); do
        held=$((held + 1))
        mkdir -p "$tree"
        mount --bind "/tmp/.held/$held" "$tree"
        mount -o remount,bind,ro "$tree"
    done
    mount --bind /tmp/shm /dev/shm
    if [ -d /var/tmp ]; then mount --bind /tmp/tmp /var/tmp; fi
    cd /tmp/repo
fi
exec "$@"
"""


@functools.cache
def available():
    """Whether runs here get a tmpfs of their own (root, ``unshare`` may make a mount namespace)."""
    if os.geteuid() != 0 or not all(shutil.which(tool) for tool in ("unshare", "mount", "sh")):
        return False
    with tempfile.TemporaryDirectory(prefix="grading-probe-") as folder:
        result = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                                 'mount -t tmpfs -o size=1m,nr_inodes=64 probe "$1" && touch "$1/x"', "sh", folder],
                                capture_output=True)
        return result.returncode == 0 and not os.path.exists(os.path.join(folder, "x"))


def tree_size(folder):
    """(bytes, entries) under ``folder``, links not followed."""
    size, count = 0, 0
    for current, folders, files in os.walk(folder):
        count += len(folders) + len(files)
        for name in files:
            try:
                size += os.lstat(os.path.join(current, name)).st_blocks * 512
            except OSError:
                pass
    return size, count


class Box:
    """One run's folder on the host: ``seed`` (the prepared copy) and ``box`` (where its tmpfs is mounted)."""

    def __init__(self, run, seed):
        self.run, self.seed, self.box = Path(run), Path(seed), Path(run) / "box"
        self.box.mkdir(mode=0o700)
        self.inside = None  # the tmpfs as the run's first process sees it, once started

    def stage_command(self, limits, uid, mode, group, plugin_dir, data, data_dir=None, keep=()):
        """The command that makes the box and then runs what follows it; ``keep``: folders under /tmp
        (the Python environment) that stay visible, read-only, once the box covers /tmp."""
        size, entries = tree_size(self.seed)
        room = (limits.disk_mb << 20) + size + (4 << 20)
        inodes = limits.inodes + entries + 16
        self.inside = Path("/tmp") if mode == "container" else self.box
        script = cgroups.enter_script(group) + STAGE
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "stage", str(self.box),
                str(self.seed), str(uid), str(room), str(inodes), mode, str(plugin_dir), str(data or ""),
                str(data_dir or ""), ":".join(str(tree) for tree in keep if " " not in str(tree))]

    def full(self, pid):
        """None, or why the box of the run whose first process is ``pid`` is full."""
        try:
            usage = os.statvfs(f"/proc/{pid}/root{self.inside}")
        except (OSError, TypeError):
            return None
        if usage.f_bavail * usage.f_frsize < FULL_BYTES:
            return "bytes"
        if usage.f_favail < FULL_FILES:
            return "files"
        return None
