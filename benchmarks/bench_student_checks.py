"""How long a student waits for a check, against the floor of starting Python with torch.

In a scratch copy of the repository with untouched templates (what a student starts from), it
times, in turns, ``python -c "import torch"``, a one-subtask check
(``pytest --impl student -m task2a``) and the whole student run (``pytest --impl student``).
Medians of ``--repeats`` rounds (default 5), after one warm-up run that fills the bytecode
caches as a student's first check does; the two ratios are the targets (2x and 3x).

    python benchmarks/bench_student_checks.py [--repeats 5]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "tools"))
from make_templates import scratch_repository  # noqa: E402


def seconds(command, cwd):
    # Python's default, as on a student's machine: compiled files (and pytest's rewritten test
    # modules) are cached in __pycache__ after the first run. Some sandboxes switch that off.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=dict(env, MPLBACKEND="Agg"))
    return time.perf_counter() - started


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    python = sys.executable
    commands = {
        'python -c "import torch"': [python, "-c", "import torch"],
        "pytest --impl student -m task2a": [python, "-m", "pytest", "--impl", "student", "-m", "task2a", "-q"],
        "pytest --impl student (all)": [python, "-m", "pytest", "--impl", "student", "-q"],
    }
    times = {name: [] for name in commands}
    with tempfile.TemporaryDirectory() as folder:
        repo = Path(folder)
        scratch_repository(repo)
        seconds(commands["pytest --impl student (all)"], repo)  # warm the file cache once
        for _ in range(args.repeats):
            for name, command in commands.items():
                times[name].append(seconds(command, repo))
    floor = statistics.median(times['python -c "import torch"'])
    print(f"{'command (blank templates)':<36}{'median s':>9}{'x torch':>9}   all rounds")
    for name, values in times.items():
        median = statistics.median(values)
        rounds = ", ".join(f"{value:.2f}" for value in values)
        print(f"{name:<36}{median:>9.2f}{median / floor:>9.2f}   {rounds}")


if __name__ == "__main__":
    main()
