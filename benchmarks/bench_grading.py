"""What grading costs: a fully solved submission graded by tools/grade.py vs its checks run directly.

Direct: ``python -m pytest`` in a release with the solution files copied over the templates,
with one thread (``OMP_NUM_THREADS=1``), as grade.py gives each submission by default.
Graded: ``python tools/grade.py`` on a folder holding that one submission (building the clean
release, collecting its test ids, a scratch copy, the bubblewrap sandbox, the watchdog, the
outputs: everything; ``--sandbox`` picks the sandbox, bwrap by default). Then two such submissions
at ``--jobs 2``. The three alternate over ``--repeats`` rounds; medians. Projects a class of 30.

Usage::

    python benchmarks/bench_grading.py [--repeats 3] [--sandbox bwrap|container|none] [--no-pair]
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


def timed(command, cwd):
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True,
                            env=dict(os.environ, MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1", OMP_NUM_THREADS="1",
                                     MKL_NUM_THREADS="1"))
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sandbox", choices=("bwrap", "container", "none"), default="bwrap")
    parser.add_argument("--no-pair", action="store_true", help="skip the two submissions at --jobs 2")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as work:
        work = Path(work)
        direct = work / "direct"
        release.write_release(direct)
        shutil.copytree(REPO_ROOT / "data" / "MNIST", direct / "data" / "MNIST")
        for root in (direct, work / "one" / "solved", work / "two" / "solved-a", work / "two" / "solved-b"):
            for file in STUDENT_FILES:
                (root / file).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(REPO_ROOT / "solutions" / file, root / file)
        grade = [sys.executable, str(REPO_ROOT / "tools" / "grade.py"), "--no-progress", "--sandbox", args.sandbox]
        times = {"direct": [], "graded": [], "graded per submission": [], "two at --jobs 2": []}
        for round_ in range(args.repeats):
            times["direct"].append(timed([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly"], direct))
            out = work / f"out-one-{round_}"
            times["graded"].append(timed([*grade, str(work / "one"), "--out", str(out), "--jobs", "1"], REPO_ROOT))
            results = json.loads((out / "solved" / "results.json").read_text())
            assert results["score"] == sum(test["max_score"] for test in results["tests"]), "not all points"
            times["graded per submission"].append(results["execution_time"])
            if not args.no_pair:
                out = work / f"out-two-{round_}"
                times["two at --jobs 2"].append(timed([*grade, str(work / "two"), "--out", str(out), "--jobs", "2"],
                                                      REPO_ROOT))
            print(f"round {round_ + 1}: " + ", ".join(f"{name} {values[-1]:.1f} s"
                                                      for name, values in times.items() if values),
                  flush=True)
    median = {name: statistics.median(values) if values else float("nan") for name, values in times.items()}
    setup = median["graded"] - median["graded per submission"]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nmedians of {args.repeats} rounds on {cores} core(s), one torch thread each, --sandbox {args.sandbox} "
          f"(load average at the end: {load:.1f}):")
    print(f"  checks run directly (python -m pytest):    {median['direct']:6.1f} s")
    print(f"  graded (python tools/grade.py, --jobs 1):  {median['graded']:6.1f} s "
          f"(of which {setup:.1f} s once per grading run: release, MNIST copy, start-up)")
    print(f"  ratio graded / direct:                     {median['graded'] / median['direct']:6.2f}")
    one = median["graded per submission"]
    if args.no_pair:
        print(f"  a class of 30: --jobs 1 about {(setup + 30 * one) / 60:.1f} min")
        return
    print(f"  two submissions at --jobs 2:               {median['two at --jobs 2']:6.1f} s")
    pair = median["two at --jobs 2"] - setup
    print(f"  a class of 30: --jobs 1 about {(setup + 30 * one) / 60:.1f} min, "
          f"--jobs 2 about {(setup + 15 * pair) / 60:.1f} min")


if __name__ == "__main__":
    main()
