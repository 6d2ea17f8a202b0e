"""The isolated command of one pytest run: bubblewrap, the container's own isolation, or none.

``bwrap`` (the default): a new mount, pid, network, IPC and UTS namespace; a file system that
holds only the system's /usr, the Python environment (read-only), the grader's plugin
(read-only), the assignment's data (read-only) and the run's scratch copy of the release, a private /tmp and
/dev/shm (the writable places: one tmpfs of the run's own where runs are staged, see scratch),
/proc of its own pid namespace and a minimal /dev. As root, bubblewrap runs without a user
namespace and drops to a uid of the run's own (uids) with setpriv, without capabilities (so
RLIMIT_NPROC holds: it is not enforced for root); as another user it maps that user to 65534 in a
new user namespace (needs unprivileged user namespaces).

``container``: no bubblewrap, for a container that is itself the sandbox (Gradescope): as root,
the checks run as a uid of their own (setpriv), in new pid and network namespaces where the kernel lets
``unshare`` make them; the limits below hold in every mode.

``none`` (``--no-sandbox``): a child process of the grader's own user, limits only.

In every mode the launcher sets the resource limits, then becomes pytest.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from grader import cgroups, scratch, uids
from grader.data import folder as data_folder
from utils.internals.subtasks import ASSIGNMENT

MODES = ("bwrap", "container", "none")
SANDBOX_UID = 65534  # "nobody": the uid inside a user namespace


def run_uid():
    """A uid of its own for one run (as root: from this grader's block, see uids), or SANDBOX_UID."""
    if os.geteuid() != 0:
        return SANDBOX_UID
    return uids.next_uid()


INSIDE = Path("/grading")  # where the scratch copy and the plugin appear in a bwrap sandbox

# Sets the limits, then becomes pytest (no preexec_fn: unsafe with the grader's threads).
LAUNCHER = """
import os, resource, sys
memory, file_size, processes, address_space, open_files = (int(value) for value in sys.argv[1:6])
for limit, value in ((resource.RLIMIT_DATA, memory), (resource.RLIMIT_FSIZE, file_size),
                     (resource.RLIMIT_NPROC, processes), (resource.RLIMIT_AS, address_space),
                     (resource.RLIMIT_NOFILE, open_files), (resource.RLIMIT_CORE, 0)):
    resource.setrlimit(limit, (value, value))
try:  # first in line for the kernel's OOM killer, before the grader (a container's memory is shared)
    with open("/proc/self/oom_score_adj", "w") as handle:
        handle.write("1000")
except OSError:
    pass
os.execv(sys.argv[6], sys.argv[6:])
"""


class SandboxError(Exception):
    """A sandbox that cannot be made here (bubblewrap missing, user namespaces disabled)."""


@dataclass
class Limits:
    timeout: float = 900.0      # seconds of wall-clock time per submission, all its tests together
    test_timeout: float = 120.0  # seconds per test
    memory_mb: int = 4096       # all resident memory of its processes together (polled); RLIMIT_DATA each
    data_mb: int | None = None  # RLIMIT_DATA per process where it must differ from memory_mb: torch reserves
                                # more than it uses (VmData 785 MB after importing it, 520 MB resident, here)
    disk_mb: int = 2048         # all it writes: the scratch copy, /tmp, /dev/shm (a tmpfs of this size, or polled)
    inodes: int = 20000         # files and folders it may make (the tmpfs's nr_inodes)
    file_mb: int = 256          # RLIMIT_FSIZE: the largest file it may write
    processes: int = 256        # RLIMIT_NPROC: processes and threads of the sandbox's user
    address_space_mb: int = 16384  # RLIMIT_AS per process: torch alone maps 3.2 GB of address space
    open_files: int = 1024      # RLIMIT_NOFILE per process
    cpus: float = 1.0           # cores' worth of CPU time per period (the control group's quota), so that
                                # one run cannot starve a classmate's graded beside it
    tmp_mb: int = 512           # size of the private /tmp (bwrap)
    shm_mb: int = 64            # size of the private /dev/shm (bwrap)


def _ancestors(path):
    """Every folder above ``path`` (not / itself), outermost first."""
    return [parent for parent in reversed(Path(path).parents) if str(parent) != "/"]


@functools.cache
def python_trees():
    """The folders a sandboxed Python needs: its environment and the installation it was made from."""
    trees = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), Path(sys.executable).resolve().parent}
    trees = sorted(trees, key=lambda tree: len(tree.parts))
    kept = []
    for tree in trees:
        if str(tree).startswith("/usr/") or tree == Path("/usr"):
            continue  # /usr is bound whole
        if not any(tree.is_relative_to(other) for other in kept):
            kept.append(tree)
    return kept


@functools.cache
def check_mode(mode):
    """None if ``mode`` works here, else why not (one line, naming the fix)."""
    if mode == "bwrap":
        if shutil.which("bwrap") is None:
            return ("bubblewrap is not installed: install it (Debian/Ubuntu: apt-get install bubblewrap), "
                    "or grade with --no-sandbox at your own risk")
        probe = bwrap_prefix(Path("/"), scratch=None, limits=Limits()) + ["/bin/true"]
        result = subprocess.run(probe, capture_output=True, text=True)
        if result.returncode != 0:
            return ("bubblewrap cannot make a sandbox here (" + (result.stderr.strip().splitlines() or ["?"])[-1]
                    + "): enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, "
                    "or user.max_user_namespaces > 0), run as root, or grade with --no-sandbox at your own risk")
    return None


@functools.cache
def can_unshare():
    """Whether util-linux ``unshare`` can make pid and network namespaces here (root in most containers)."""
    if shutil.which("unshare") is None:
        return False
    result = subprocess.run(["unshare", "--pid", "--fork", "--kill-child", "--net", "--mount-proc", "/bin/true"],
                            capture_output=True)
    return result.returncode == 0


def bwrap_prefix(plugin_dir, scratch, limits, data_dir=None, uid=SANDBOX_UID, box=None):
    """The bubblewrap part of the command; ``scratch`` (the run's folder) appears as /grading/repo.

    ``box``: the run's own tmpfs (scratch.Box), made before bubblewrap starts: its repo, tmp and shm
    folders become /grading/repo, /tmp and /dev/shm. Without one, /tmp and /dev/shm are tmpfs of
    bubblewrap's of a capped size, and the scratch copy is a folder of the host's disk."""
    root = os.geteuid() == 0
    command = ["bwrap", "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net", "--unshare-ipc",
               "--unshare-uts", "--unshare-cgroup-try"]
    if root:
        command += ["--cap-add", "CAP_SETUID,CAP_SETGID"]  # only for setpriv below, which drops them all
    else:
        command += ["--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID), "--cap-drop", "ALL"]
    command += ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "lib", "lib64", "sbin"):
        top = Path("/") / name
        if top.is_symlink():
            command += ["--symlink", os.readlink(top), str(top)]
        elif top.is_dir():
            command += ["--ro-bind", str(top), str(top)]
    command += ["--proc", "/proc", "--dev", "/dev"]
    if box is not None:
        command += ["--bind", str(box.box / "shm"), "/dev/shm", "--bind", str(box.box / "tmp"), "/tmp"]
        scratch = box.box / "repo"
    else:
        command += ["--perms", "1777", "--size", str(limits.shm_mb << 20), "--tmpfs", "/dev/shm",
                    "--perms", "1777", "--size", str(limits.tmp_mb << 20), "--tmpfs", "/tmp"]
    # After the private /tmp: a Python environment that lives under /tmp (a CI checkout) stays visible.
    made = set()
    for tree in python_trees():
        for folder in _ancestors(tree):
            if folder not in made:
                made.add(folder)
                command += ["--perms", "0755", "--dir", str(folder)]
        command += ["--ro-bind", str(tree), str(tree)]
    command += ["--perms", "0755", "--dir", str(INSIDE)]
    if scratch is not None:
        command += ["--bind", str(scratch), str(INSIDE / "repo")]
        if data_dir is not None:
            command += ["--ro-bind", str(data_dir), str(INSIDE / "repo" / data_folder(ASSIGNMENT))]
    command += ["--ro-bind", str(plugin_dir), str(INSIDE / "plugin"), "--remount-ro", "/",
                "--chdir", str(INSIDE / "repo") if scratch is not None else "/"]
    if root:
        command += ["--", "setpriv", "--reuid", str(uid), "--regid", str(uid), "--clear-groups",
                    "--inh-caps=-all", "--bounding-set=-all"]
    command += ["--"]
    return command


def python_inside():
    """This Python as the sandbox sees it: through the environment's real folder (links resolved)."""
    if sys.prefix != sys.base_prefix:
        return str(Path(sys.prefix).resolve() / "bin" / Path(sys.executable).name)
    return str(Path(sys.executable).resolve())


def launcher(limits, python):
    """``python -c LAUNCHER`` with the limits: it sets them and becomes the command after it."""
    return [python, "-c", LAUNCHER, str((limits.data_mb or limits.memory_mb) << 20), str(limits.file_mb << 20),
            str(limits.processes), str(limits.address_space_mb << 20), str(limits.open_files)]


@functools.cache
def nobody_runs_python():
    """Whether uid 65534 can start this Python (not where it lives in root's home, as with pyenv)."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        return False
    result = subprocess.run(["setpriv", "--reuid", str(SANDBOX_UID), "--regid", str(SANDBOX_UID), "--clear-groups",
                             "--inh-caps=-all", sys.executable, "-c",
                             "import os, sys; os.execv(sys.executable, [sys.executable, '-c', 'import torch'])"],
                            capture_output=True, cwd="/")
    return result.returncode == 0


def drops_user(mode):
    """Whether the checks run as another user than the grader's (so they cannot touch its files)."""
    return mode == "bwrap" or (mode == "container" and nobody_runs_python())


def staged(mode):
    """Whether runs in ``mode`` get a control group and a tmpfs of their own (root, with the tools for it)."""
    return mode != "none" and scratch.available() and cgroups.available()


def describe(mode):
    """One line for the summary: what isolated the submissions, and how their limits were held."""
    if staged(mode):
        limits = ("limits held by the kernel: a control group per run (memory, shared memory and tmpfs, "
                  "processes) and a tmpfs of capped bytes and files for all it writes")
    else:
        limits = ("limits polled (no control group or private tmpfs here, not root: memory no process maps, "
                  "such as a memfd, and files unlinked while open are not counted)")
    if mode == "bwrap":
        who = "uid 65534" if os.geteuid() != 0 else "a uid of its own per run"
        return f"sandbox: bubblewrap (no network, private file system, {who}, own pid namespace); {limits}"
    if mode == "container":
        user = "a uid of its own per run" if nobody_runs_python() else \
            "the grader's user (uid 65534 cannot run this Python)"
        spaces = "own pid and network namespaces" if os.geteuid() == 0 and can_unshare() else "no namespaces"
        return f"sandbox: the container itself (no bubblewrap layer): {user}, {spaces}; {limits}"
    return "NOT SANDBOXED (--no-sandbox): submissions ran as your user and could read and write your files"


def command_for(mode, scratch_dir, plugin_dir, limits, pytest_args, data_dir=None, uid=SANDBOX_UID, box=None,
                group=None):
    """(command, cwd, folder the scratch copy has inside, plugin folder inside) of one pytest run.

    ``box`` (scratch.Box) and ``group`` (cgroups.Group): the run's own tmpfs and control group, made by
    the command's first process before anything else runs."""
    python = python_inside() if mode == "bwrap" else sys.executable
    tail = [python, "-m", "pytest", *pytest_args]
    under_tmp = [tree for tree in python_trees() if tree.is_relative_to("/tmp") or tree.is_relative_to("/var/tmp")]
    stage = [] if box is None else box.stage_command(limits, uid, mode, group, plugin_dir, data_dir,
                                                      data_folder(ASSIGNMENT), under_tmp)
    if mode == "bwrap":
        prefix = bwrap_prefix(plugin_dir, scratch_dir, limits, data_dir, uid, box)
        return stage + prefix + launcher(limits, python) + tail, "/", INSIDE / "repo", INSIDE / "plugin"
    prefix = []
    if mode == "container":
        if os.geteuid() == 0 and can_unshare():
            prefix += ["unshare", "--pid", "--fork", "--kill-child", "--net", "--mount-proc"]
        if nobody_runs_python():
            prefix += ["setpriv", "--reuid", str(uid), "--regid", str(uid), "--clear-groups",
                       "--inh-caps=-all"]
    if box is not None:
        return stage + prefix + launcher(limits, python) + tail, "/", Path("/tmp/repo"), Path("/tmp/plugin")
    return prefix + launcher(limits, python) + tail, scratch_dir, scratch_dir, plugin_dir


def environment(mode, scratch_dir, inside, plugin_inside, threads, uid=SANDBOX_UID, box=None):
    """The sandbox's whole environment: nothing of the grader's own (no paths to its folders)."""
    env = {key: os.environ[key] for key in ("LANG", "LC_ALL") if key in os.environ}
    if mode == "bwrap":
        tmp = Path("/tmp")
    elif box is not None:
        tmp = Path("/tmp/tmp")
    else:
        tmp = scratch_dir.parent / "tmp"
    if mode != "bwrap" and box is None:
        tmp.mkdir(exist_ok=True)
        if drops_user(mode):
            os.chown(tmp, uid, uid)
    env.update(PATH=f"{Path(python_inside()).parent}:/usr/local/bin:/usr/bin:/bin", HOME=str(tmp), TMPDIR=str(tmp),
               MPLCONFIGDIR=str(tmp / "matplotlib"), MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1",
               PYTHONPATH=str(plugin_inside), PYTHONHASHSEED="0", CUDA_VISIBLE_DEVICES="",
               COURSE_GRADE_THREADS=str(threads),
               **{name: str(threads) for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")})
    return env, tmp
