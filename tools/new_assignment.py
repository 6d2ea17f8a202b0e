"""Start another assignment: copy the generic machinery, unchanged, into its repository.

The course toolkit (``tools/``) and the generic test machinery know no assignment: they read
everything from the ``assignment.toml`` of the repository they sit in. A new assignment copies
them (:data:`GENERIC_MACHINERY`) and writes the rest anew: its ``assignment.toml``,
``solutions/``, ``tests/conftest.py`` (its own fixtures), ``tests/subtasks/``, ``tests/grading/``,
its mutant table, its sheet and its release README. ``tests/course/tiny_assignment/`` is a
complete example, and ``tests/course/test_toolkit_on_a_second_assignment.py`` runs the toolkit on
it with exactly this list copied in.

Usage::

    python tools/new_assignment.py DEST     # copy the machinery into DEST (its files are kept)
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]

# Relative to a course repository; a folder is copied whole (without caches).
GENERIC_MACHINERY = (
    "tools",
    "tests/course_checks.py",
    "tests/student_imports.py",
    "tests/progress_report.py",
    "tests/subtasks/hints.py",
    "utils/internals/subtasks.py",
    "utils/internals/cli.py",
    "utils/internals/errors.py",
)


def copy_machinery(dest, source=HERE):
    """Copy :data:`GENERIC_MACHINERY` from the repository ``source`` into ``dest``; return ``dest``.

    Files of ``dest`` that are not part of the machinery are left as they are.
    """
    dest = Path(dest)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in GENERIC_MACHINERY:
        origin, target = Path(source) / name, dest / name
        if origin.is_dir():
            shutil.copytree(origin, target, ignore=ignore, dirs_exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(origin, target)
    return dest


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path, help="the new assignment's repository (made if missing)")
    args = parser.parse_args(argv)
    copy_machinery(args.dest)
    print(f"copied {len(GENERIC_MACHINERY)} entries into {args.dest}. Next: its assignment.toml, solutions/, "
          "tests/conftest.py, tests/subtasks/, tests/grading/, the mutant table and docs/ "
          "(docs/instructors.md, 'Starting assignment 02').")
    return 0


if __name__ == "__main__":
    sys.exit(main())
