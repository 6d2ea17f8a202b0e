"""Peak memory and time of the checks, graded and direct, and of the course run: will it fit Gradescope?

Gradescope's default container has 768 MB of memory, half a CPU and 10 minutes. Each row runs one
command in a fresh control group of its own (cgroup v1 or v2, as root), which is how a container
limits memory and CPU too:

- peak memory: the group's peak charge (every process in it together, page cache it brought in),
  and beside it the largest resident set of a single process (``ru_maxrss``);
- time on this machine's cores, and time under a CPU quota of half a CPU (50 ms per 100 ms).

Rows: the libraries alone (``import torch, torchvision, matplotlib, pytest``: what any check pays
before it does anything), the checks of a fully solved submission run directly (``python -m pytest``
in a release with the solutions copied in, one thread), the same submission graded as the
autograder grades it (``tools/grade.py --single --sandbox container``, hidden checks included), and
the course run (``solutions/01_main.py --epochs 12 --no-plots``, what ``make run`` trains).
``--cpu-python`` adds ``import torch`` of another Python (e.g. a venv with the CPU wheel) for
comparison: this machine's torch is a CUDA build, whose libraries alone take far more memory than
the CPU wheels the autograder installs. Without a writable cgroup, only ``ru_maxrss`` and full-speed
times are measured, and the table says so.

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

from utils.subtasks import STUDENT_FILES  # noqa: E402

CONTAINER_MB, CONTAINER_SECONDS = 768, 600
IMPORTS = "import torch, torchvision, matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot, pytest"


class ControlGroup:
    """A fresh cgroup (v1: memory and cpu hierarchies; v2: one folder) for one command, or None if none can be made."""

    V1, V2 = Path("/sys/fs/cgroup/memory"), Path("/sys/fs/cgroup")

    def __init__(self, name, cpu_share=None):
        self.folders, self.version = [], None
        try:
            if (self.V1 / "memory.max_usage_in_bytes").exists():
                memory, cpu = self.V1 / name, Path("/sys/fs/cgroup/cpu") / name
                memory.mkdir()
                self.folders.append(memory)
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


def measure(command, cwd, cpu_share=None):
    """Run ``command``; return (seconds, group peak MB or None, largest process MB)."""
    group = ControlGroup(f"bench-memory-{os.getpid()}-{time.monotonic_ns()}", cpu_share)
    if cpu_share is not None and group.version is None:
        return None, None, None
    env = dict(os.environ, MPLBACKEND="Agg", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1, help="runs per row and speed (medians)")
    parser.add_argument("--skip-run", action="store_true", help="leave out the 12-epoch course run")
    parser.add_argument("--cpu-python", type=Path,
                        help="a Python with the CPU wheel of torch: its import, for comparison")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as work:
        work = Path(work)
        direct, submission = solved_release(work)
        rows = [("libraries alone (import torch, torchvision, matplotlib, pytest)",
                 [sys.executable, "-c", IMPORTS], REPO_ROOT)]
        if args.cpu_python:
            rows.append(("import torch alone, CPU wheel (--cpu-python)", [str(args.cpu_python), "-c", "import torch"],
                         REPO_ROOT))
            rows.append(("import torch alone, this Python", [sys.executable, "-c", "import torch"], REPO_ROOT))
        rows.append(("checks of a solved submission, direct (python -m pytest)",
                     [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"], direct))
        graded_out = work / "graded"
        rows.append(("the same, graded (grade.py --single --sandbox container)",
                     [sys.executable, str(REPO_ROOT / "tools" / "grade.py"), "--single", str(submission), "--out",
                      str(graded_out), "--sandbox", "container", "--no-progress"], REPO_ROOT))
        if not args.skip_run:
            rows.append(("course run (solutions/01_main.py --epochs 12, make run)",
                         [sys.executable, str(REPO_ROOT / "solutions" / "01_main.py"), "--epochs", "12", "--no-plots",
                          "--no-progress", "--runs-dir", str(work / "runs")], REPO_ROOT))
        table = []
        for label, command, cwd in rows:
            full = [measure(command, cwd) for _ in range(args.repeats)]
            half = [measure(command, cwd, cpu_share=0.5) for _ in range(args.repeats)] if "import" not in label \
                else [(None, None, None)]
            table.append((label, full, half))
            print(f"measured: {label}", flush=True)
            if "graded" in label:
                results = json.loads((graded_out / "results.json").read_text())
                lost = [test["name"] for test in results["tests"] if test["score"] < test["max_score"]]
                if lost:
                    sys.exit(f"the solved submission lost points when graded: {lost}")
        groups = table[0][1][0][1] is not None

    def median(values):
        values = [value for value in values if value is not None]
        return statistics.median(values) if values else None

    def shown(value, unit):
        return f"{value:8.0f} {unit}" if value is not None else "       - " + " " * len(unit)

    print(f"\nmedians of {args.repeats} run(s) each; {os.cpu_count()} cores; one torch thread; "
          f"torch {_torch_version()}; memory limit of the target: {CONTAINER_MB} MB, time limit {CONTAINER_SECONDS} s")
    print(f"{'':62} {'group peak':>11} {'largest proc':>13} {'time':>9} {'time at 0.5 CPU':>16}")
    for label, full, half in table:
        print(f"{label:62} {shown(median([r[1] for r in full]), 'MB')} {shown(median([r[2] for r in full]), 'MB')}"
              f"  {shown(median([r[0] for r in full]), 's')} {shown(median([r[0] for r in half]), 's'):>16}")
    imports = {label: median([r[2] for r in full]) for label, full, _ in table if label.startswith("import torch")}
    if len(imports) == 2:
        saved = imports["import torch alone, this Python"] - imports["import torch alone, CPU wheel (--cpu-python)"]
        for label, full, _ in table:
            if "solved" in label or "graded" in label:
                print(f"  estimate with the CPU wheel: {label.split(' (')[0]}: about "
                      f"{median([r[2] for r in full]) - saved:.0f} MB largest process "
                      f"(this torch's import takes {saved:.0f} MB more than the CPU wheel's)")
    if groups:
        print("group peak: the command's own memory cgroup (memory.max_usage_in_bytes or memory.peak), every process "
              "of it together; half a CPU: a CPU quota of 50 ms per 100 ms (cpu.cfs_quota_us or cpu.max).")
    else:
        print("no writable cgroup here (not root?): only the largest process and full-speed times were measured.")


def _torch_version():
    import torch

    return torch.__version__


if __name__ == "__main__":
    main()
