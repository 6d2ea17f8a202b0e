"""The tiny assignment (tests/course/tiny_assignment/) assembled in a scratch folder, and runs in it.

The fixture holds only what is the assignment's own; :func:`assemble` copies the generic
machinery (``tools/new_assignment.py``: ``GENERIC_MACHINERY``) from this repository in beside
it, as assignment 02 would. Every tool runs as a subprocess with ``COURSE_ROOT`` set to the copy.
"""

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TINY = Path(__file__).resolve().parent / "tiny_assignment"
sys.path.insert(0, str(REPO_ROOT / "tools"))
from new_assignment import GENERIC_MACHINERY, copy_machinery  # noqa: E402, F401

TAGS = ("1a", "1b", "bonus_a")
POINTS = {"1a": 1.0, "1b": 2.0, "bonus_a": 1.0}  # as the fixture's assignment.toml says


def assemble(target):
    """The tiny assignment in ``target``: its own files and the generic machinery; templates not yet made."""
    shutil.copytree(TINY, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache"))
    return copy_machinery(target, REPO_ROOT)


def run(repo, *arguments, timeout=600):
    """``python *arguments`` in ``repo``, with ``COURSE_ROOT`` naming it; the finished process."""
    env = dict(os.environ, COURSE_ROOT=str(repo), PYTHONDONTWRITEBYTECODE="1", OMP_NUM_THREADS="1",
               MPLBACKEND="Agg")
    return subprocess.run([sys.executable, *map(str, arguments)], cwd=repo, capture_output=True, text=True,
                          env=env, timeout=timeout)


def checks(repo, *options):
    """Run the checks in ``repo``: (per-subtask statuses, the finished process)."""
    record = Path(repo) / "outcomes.json"
    record.unlink(missing_ok=True)
    result = run(repo, "-m", "pytest", "-p", "no:randomly", "--record-outcomes", record, *options)
    assert record.exists(), result.stdout[-2000:] + result.stderr[-2000:]
    subtasks = json.loads(record.read_text())["subtasks"]
    return {tag: row["status"] for tag, row in subtasks.items()}, result


def grades(out):
    """The rows of ``OUT/grades.csv`` by submission name."""
    with open(Path(out) / "grades.csv", newline="") as handle:
        return {row["submission"]: row for row in csv.DictReader(handle)}


def explain(result):
    return result.stdout[-3000:] + result.stderr[-3000:]
