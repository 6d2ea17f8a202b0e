"""Write the student templates from the reference solutions.

The solutions under ``solutions/`` fence every part a student writes::

    # TODO 2a: build the linear layer and the optional activation
    ### BEGIN SOLUTION
    ...reference code...
    ### END SOLUTION

In the template, each fenced block becomes one line, ``raise NotImplementedError("TODO 2a")``,
indented like the block; the TODO comment above it says what to write. ``### BEGIN SOLUTION
uncomment`` keeps the block's lines, commented out (where the sheet says "uncomment"). Lines
between ``### BEGIN SOLUTIONS ONLY`` and ``### END SOLUTIONS ONLY`` are left out of the template.
Solution files without fences get no template.

A template is never written over when it differs from what this tool last wrote there (its
SHA-256 is kept in ``solutions/templates.lock``): that is somebody's work. ``--force`` overwrites.
The subtask table of the repository's README.md is written from ``assignment.toml`` too.

Usage::

    python tools/make_templates.py           # write the templates
    python tools/make_templates.py --check   # exit 1 with a diff if a template is out of date
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import shutil
import sys
from pathlib import Path

if str(Path(__file__).resolve().parent) not in sys.path:  # appended: never before solutions/ or the templates
    sys.path.append(str(Path(__file__).resolve().parent))

from course_root import ROOT, SOLUTIONS, SUBTASKS, TOOLKIT  # noqa: E402
from fences import Fence, FenceError, pieces  # noqa: E402, F401 - FenceError: callers catch it from here
from tables import with_table  # noqa: E402

REPO_ROOT = ROOT  # the assignment's repository
LOCK = SOLUTIONS / "templates.lock"


def make_template(source, path="<solution>", solved=()):
    """Return the template text for one solution file's text.

    Fences of the tags in ``solved`` keep their solution (the tests use this to check one
    subtask with everything after it still blank).
    """
    out = []
    for piece in pieces(source, path):
        if not isinstance(piece, Fence):
            out.append(piece)
            continue
        tag, begin, body = piece.tag, piece.begin, piece.body
        indent = begin["indent"]
        if tag in solved:
            out.extend(body)
        elif begin["mode"]:
            out.extend(f"{indent}# {entry[len(indent):]}" if entry.strip() else entry for entry in body)
        else:
            out.append(f'{indent}raise NotImplementedError("TODO {tag}")')
    return "\n".join(out) + "\n"


def template_pairs(solutions=SOLUTIONS, target=REPO_ROOT, solved=()):
    """(solution path, template path, template text) for every solution file with fences."""
    pairs = []
    for solution in sorted(solutions.rglob("*.py")):
        source = solution.read_text()
        if "### BEGIN SOLUTION" not in source:
            continue
        relative = solution.relative_to(solutions)
        header = "# Your file: fill in its TODOs. Each says what to write; the sheet (docs/assignment.md) says why.\n"
        pairs.append((solution, target / relative, header + make_template(source, solution, solved)))
    return pairs


def write_templates(repo, solved=()):
    """Write every template into ``repo`` from ``repo/solutions``, the ``solved`` subtasks filled in."""
    for _, template, text in template_pairs(repo / "solutions", repo, solved=set(solved)):
        template.parent.mkdir(parents=True, exist_ok=True)
        template.write_text(text)


def scratch_repository(target, solved=(), templates=True):
    """A copy of this repository in ``target`` for tests and tools to run pytest in.

    Solutions, provided code, tests and tools are copied, ``data/`` is linked; the templates are
    freshly generated (blank, except for the ``solved`` subtasks) unless ``templates`` is False.
    """
    target = Path(target)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("solutions", "utils", "tests"):
        shutil.copytree(ROOT / name, target / name, ignore=ignore)
    shutil.copytree(TOOLKIT, target / "tools", ignore=ignore)
    for name in ("pyproject.toml", "assignment.toml"):
        shutil.copy(ROOT / name, target)
    if (ROOT / "data").is_dir():
        (target / "data").symlink_to(ROOT / "data", target_is_directory=True)
    if templates:
        write_templates(target, solved)
    return target


def _digest(text):
    return hashlib.sha256(text.encode()).hexdigest()


def _read_lock():
    try:
        return json.loads(LOCK.read_text())
    except (OSError, ValueError):
        return {}


def _sync_readme_table(readme, check):
    """Write the README's subtask table from the description; with ``check``, 1 if it is stale."""
    if not readme.is_file():
        return 0
    text = readme.read_text()
    new = with_table(text, SUBTASKS)
    if new == text:
        return 0
    if check:
        print(f"{readme.name}: the subtask table differs from assignment.toml")
        return 1
    readme.write_text(new)
    print(f"wrote the subtask table of {readme.name}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 with a diff if a template is out of date")
    parser.add_argument("--force", action="store_true",
                        help="overwrite templates even where they hold changes of their own")
    parser.add_argument("--target", type=Path, default=REPO_ROOT,
                        help="folder to write the templates into (the repository root)")
    args = parser.parse_args(argv)
    lock = _read_lock()
    stale, kept = 0, []
    for _solution, template, text in template_pairs(target=args.target):
        key = template.relative_to(args.target).as_posix()
        current = template.read_text() if template.exists() else None
        if current == text:
            lock[key] = _digest(text)  # in sync (e.g. after a merge): the lock follows
            continue
        if args.check:
            stale += 1
            sys.stdout.writelines(difflib.unified_diff(
                (current or "").splitlines(keepends=True), text.splitlines(keepends=True),
                fromfile=f"{key} (now)", tofile=f"{key} (from solutions/{key})"))
            continue
        if current is not None and _digest(current) != lock.get(key) and not args.force:
            kept.append(key)
            continue
        template.parent.mkdir(parents=True, exist_ok=True)
        template.write_text(text)
        lock[key] = _digest(text)
        print(f"wrote {key}")
    stale += _sync_readme_table(args.target / "README.md", args.check)
    if not args.check and args.target.resolve() == REPO_ROOT:
        LOCK.write_text(json.dumps(dict(sorted(lock.items())), indent=1) + "\n")
    if kept:
        print(f"Not overwritten, since they differ from what this tool last wrote (somebody's work?): "
              f"{', '.join(kept)}.\nMove them away first, or run with --force to overwrite them.")
        return 1
    if stale:
        print(f"\n{stale} template(s) out of date: run `python tools/make_templates.py` (make templates).")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
