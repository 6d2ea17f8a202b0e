"""Peak memory and time of the checks, graded and direct, and of the course run: will it fit Gradescope?

Gradescope's default container has 768 MB of memory, half a CPU and 10 minutes. Each row runs one
command in a fresh control group of its own (cgroup v1 or v2, as root), which is how a container
limits memory and CPU too:

- peak memory: the group's peak charge (every process in it together, page cache it brought in),
  and beside it the largest resident set of a single process (``ru_maxrss``);
- time on this machine's cores, and time under a CPU quota of half a CPU (50 ms per 100 ms).

Rows: the libraries alone (``import torch, torchvision, matplotlib, pytest``: what any check pays
before it does anything), the checks of a fully solved submission run directly (``python -m pytest``
in a release with the solutions copied in, one thread, hidden checks not included), the same
submission graded (``tools/grade.py --single --sandbox container``, hidden checks included), the
autograder end to end (``make autograder``'s zip unpacked to a stand-in /autograder,
``run_autograder`` run inside a group limited to 768 MB and half a CPU, as Gradescope's default
container; its score says whether it fit), and the course run (``solutions/01_main.py --epochs 12
--no-plots``, what ``make run`` trains).

This machine's torch is a CUDA build, whose libraries alone take about 500 MB more than the CPU
wheels the autograder installs. ``--cpu-python`` names a Python with the CPU wheels: it adds the
libraries and the direct check with that Python, and runs the autograder row with it. Without a
writable cgroup, only ``ru_maxrss`` and full-speed times are measured, and the table says so.

Usage::

    python benchmarks/bench_memory.py [--repeats 1] [--skip-run] [--cpu-python PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "tools"))

import release  # noqa: E402

from utils.internals.subtasks import STUDENT_FILES  # noqa: E402

CONTAINER_MB, CONTAINER_SECONDS = 768, 600
IMPORTS = "import torch, torchvision, matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot, pytest"


class ControlGroup:
    """A fresh cgroup (v1: memory and cpu hierarchies; v2: one folder) for one command, or None if none can be made."""

    V1, V2 = Path("/sys/fs/cgroup/memory"), Path("/sys/fs/cgroup")

    def __init__(self, name, cpu_share=None, memory_mb=None):
        self.folders, self.version = [], None
        try:
            if (self.V1 / "memory.max_usage_in_bytes").exists():
                memory, cpu = self.V1 / name, Path("/sys/fs/cgroup/cpu") / name
                memory.mkdir()
                self.folders.append(memory)
                if memory_mb is not None:
                    (memory / "memory.limit_in_bytes").write_text(str(memory_mb << 20))
                if cpu_share is not None:
                    cpu.mkdir()
                    self.folders.append(cpu)
                    (cpu / "cpu.cfs_period_us").write_text("100000")
                    (cpu / "cpu.cfs_quota_us").write_text(str(int(100000 * cpu_share)))
                self.version = 1
            elif (self.V2 / "cgroup.controllers").exists():
                folder = self.V2 / name
                folder.mkdir()
                self.folders.append(folder)
                if cpu_share is not None:
                    (folder / "cpu.max").write_text(f"{int(100000 * cpu_share)} 100000")
                if memory_mb is not None:
                    (folder / "memory.max").write_text(str(memory_mb << 20))
                self.version = 2
        except OSError:
            self.remove()
            self.version = None

    def enter(self):
        """Put the calling process into the group (run in the child before it becomes the command)."""
        for folder in self.folders:
            (folder / "cgroup.procs").write_text(str(os.getpid()))

    def peak_bytes(self):
        name = "memory.max_usage_in_bytes" if self.version == 1 else "memory.peak"
        try:
            return int((self.folders[0] / name).read_text())
        except (OSError, ValueError, IndexError):
            return None

    def remove(self):
        for folder in reversed(self.folders):
            for _ in range(50):
                try:
                    folder.rmdir()
                    break
                except OSError:
                    time.sleep(0.1)
        self.folders = []


def measure(command, cwd, cpu_share=None, memory_mb=None, env=None):
    """Run ``command``; return (seconds, group peak MB or None, largest process MB)."""
    group = ControlGroup(f"bench-memory-{os.getpid()}-{time.monotonic_ns()}", cpu_share, memory_mb)
    if (cpu_share is not None or memory_mb is not None) and group.version is None:
        return None, None, None
    env = dict(os.environ, MPLBACKEND="Agg", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1",
               **(env or {}))
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   preexec_fn=group.enter if group.version else None)
        _, status, usage = os.wait4(process.pid, 0)  # this child's own rusage: its largest resident set
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0)
        output = log.read()
    largest = usage.ru_maxrss / 1024
    peak = group.peak_bytes()
    group.remove()
    if process.returncode != 0:
        sys.exit(f"failed ({process.returncode}): {' '.join(map(str, command))}\n{output.decode()[-3000:]}")
    return seconds, (peak / 2**20 if peak is not None else None), largest


def solved_release(work):
    """A release with the solutions' student files copied in, and MNIST."""
    direct = work / "direct"
    release.write_release(direct)
    shutil.copytree(REPO_ROOT / "data" / "MNIST", direct / "data" / "MNIST")
    submission = work / "submission"
    for root in (direct, submission):
        for file in STUDENT_FILES:
            (root / file).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(REPO_ROOT / "solutions" / file, root / file)
    return direct, submission


def autograder_root(work, submission):
    """``make autograder``'s zip, unpacked to a stand-in /autograder with MNIST placed and ``submission`` in."""
    zip_path = work / "autograder.zip"
    subprocess.run([sys.executable, str(REPO_ROOT / "tools" / "autograder.py"), "build", "--out", str(zip_path)],
                   check=True, capture_output=True)
    root = work / "autograder"
    (root / "source").mkdir(parents=True)
    shutil.unpack_archive(zip_path, root / "source")
    subprocess.run(["bash", str(root / "source" / "setup.sh")], check=True, capture_output=True,
                   env=dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_SKIP_INSTALL="1"))
    shutil.copytree(submission, root / "submission")
    (root / "results").mkdir()
    return root


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1, help="runs per row and speed (medians)")
    parser.add_argument("--skip-run", action="store_true", help="leave out the 12-epoch course run")
    parser.add_argument("--cpu-python", type=Path,
                        help="a Python with the CPU wheels of torch and torchvision (as the autograder installs): "
                             "adds its rows, and the autograder row uses it")
    args = parser.parse_args(argv)
    pythons = {"this Python": Path(sys.executable)}
    if args.cpu_python:
        pythons["CPU wheel"] = args.cpu_python
    autograder_python = pythons["CPU wheel" if args.cpu_python else "this Python"]
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as work:
        work = Path(work)
        direct, submission = solved_release(work)
        root = autograder_root(work, submission)
        rows = []  # (label, command, cwd, env, kinds of run: "full", "half", "container")
        for name, python in pythons.items():
            rows.append((f"libraries alone, {name}", [str(python), "-c", IMPORTS], REPO_ROOT, None, ("full",)))
        for name, python in pythons.items():
            rows.append((f"direct check (pytest in a solved release), {name}",
                         [str(python), "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"],
                         direct, None, ("full", "half")))
        rows.append(("graded (grade.py --single --sandbox container), this Python",
                     [sys.executable, str(REPO_ROOT / "tools" / "grade.py"), "--single", str(submission), "--out",
                      str(work / "graded"), "--sandbox", "container", "--no-progress", "--memory-mb", "4096"],
                     REPO_ROOT, None, ("full", "half")))
        autograder_name = "CPU wheel" if args.cpu_python else "this Python"
        rows.append((f"autograder zip, run_autograder, {autograder_name}",
                     ["bash", str(root / "source" / "run_autograder")], root,
                     {"AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": str(autograder_python)}, ("container",)))
        if not args.skip_run:
            rows.append(("course run (solutions/01_main.py --epochs 12), this Python",
                         [sys.executable, str(REPO_ROOT / "solutions" / "01_main.py"), "--epochs", "12", "--no-plots",
                          "--no-progress", "--runs-dir", str(work / "runs")], REPO_ROOT, None, ("full", "half")))
        table, scores = [], {}
        limits = {"full": {}, "half": {"cpu_share": 0.5}, "container": {"cpu_share": 0.5, "memory_mb": CONTAINER_MB}}
        for label, command, cwd, env, kinds in rows:
            measured = {kind: [measure(command, cwd, env=env, **limits[kind]) for _ in range(args.repeats)]
                        for kind in kinds}
            table.append((label, measured))
            if "run_autograder" in label:
                results = json.loads((root / "results" / "results.json").read_text())
                possible = sum(test["max_score"] for test in results["tests"])
                scores[label] = f"{results['score']:g} of {possible:g} points"
            print(f"measured: {label}", flush=True)
        results = json.loads((work / "graded" / "results.json").read_text())
        lost = [test["name"] for test in results["tests"] if test["score"] < test["max_score"]]
        if lost:
            sys.exit(f"the solved submission lost points when graded: {lost}")

    def median(values):
        values = [value for value in values if value is not None]
        return statistics.median(values) if values else None

    def shown(value, unit, width=8):
        return f"{value:{width}.0f} {unit}" if value is not None else f"{'-':>{width}} {' ' * len(unit)}"

    print(f"\nmedians of {args.repeats} run(s) each; {os.cpu_count()} cores; one torch thread; this Python's torch "
          f"{_torch_version()}; target: {CONTAINER_MB} MB, half a CPU, {CONTAINER_SECONDS} s")
    print(f"{'':62} {'group peak':>11} {'largest proc':>13} {'time':>9} {'time, 0.5 CPU':>14}  "
          f"in a {CONTAINER_MB} MB, 0.5 CPU group")
    for label, measured in table:
        full, half, boxed = (measured.get(kind, [(None, None, None)]) for kind in ("full", "half", "container"))
        memory = boxed if boxed[0][0] is not None else full
        line = (f"{label:62} {shown(median([r[1] for r in memory]), 'MB')} "
                f"{shown(median([r[2] for r in memory]), 'MB')}  ")
        if boxed[0][0] is not None:
            line += f"{'':>10} {'':>14}  {median([r[0] for r in boxed]):.0f} s, {scores.get(label, '')}"
        else:
            line += f"{shown(median([r[0] for r in full]), 's')} {shown(median([r[0] for r in half]), 's', 11)}"
        print(line)
    if table[0][1]["full"][0][1] is not None:
        print("group peak: the command's own memory cgroup (memory.max_usage_in_bytes or memory.peak), all its "
              "processes and the page cache they brought in; largest proc: ru_maxrss of the largest process; "
              "0.5 CPU: a quota of 50 ms per 100 ms (cpu.cfs_quota_us or cpu.max).")
    else:
        print("no writable cgroup here (not root?): only the largest process and full-speed times were measured.")


def _torch_version():
    import torch

    return torch.__version__


if __name__ == "__main__":
    main()
