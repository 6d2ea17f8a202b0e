"""Edit a reference solution inside its fences and run the subtask checks on the result.

The engine that the mutation check (``tools/mutants.py``, wrong versions that must fail) and the
variant check (``tools/variants.py``, other correct versions that must pass) share. A change is
a mutant or a variant: it names a ``file`` under ``solutions/`` and replaces snippets that each
occur exactly once inside the fences of one subtask. A change with an ``edits`` attribute gives
its replacements as ``(tag, old, new)`` triples, applied in order; otherwise its ``tag``,
``old`` and ``new`` are the one replacement. The checks run in a scratch copy of the repository
(``make_templates.scratch_repository``), in solution mode, public and hidden tests together.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent))
from course_root import ASSIGNMENT, ROOT, SUBTASKS  # noqa: E402
from fences import fences  # noqa: E402

BY_TAG = {subtask.tag: subtask for subtask in SUBTASKS}
PUBLIC_TESTS = ASSIGNMENT.settings.get("public_checks", "tests/subtasks")
HIDDEN_TESTS = ASSIGNMENT.settings.get("hidden_checks", "tests/grading")


def load_table(key):
    """The module ``assignment.toml`` names under ``key`` (``mutants``, ``variants``), loaded from its file."""
    path = ASSIGNMENT.path(key)
    spec = importlib.util.spec_from_file_location(f"{key}_table", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


def edits(change):
    """The ``(tag, old, new)`` replacements of a mutant or variant, in the order they apply."""
    return tuple(getattr(change, "edits", None) or ((change.tag, change.old, change.new),))


def tags(change):
    """The subtasks whose fences ``change`` edits, its own first, each once."""
    return tuple(dict.fromkeys([change.tag, *(tag for tag, _, _ in edits(change))]))


def fence_spans(text, tag, path="<solution>"):
    """(start, end) character offsets of the bodies of the fences of ``tag`` in ``text``."""
    offsets = [0]
    for line in text.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))
    return [(offsets[fence.start + 1], offsets[fence.end]) for fence in fences(text, path) if fence.tag == tag]


def locate(tag, old, text, path="<solution>", label=""):
    """The offset of ``old`` inside a fence of ``tag`` in ``text``; it must occur there exactly once."""
    hits = []
    for start, end in fence_spans(text, tag, path):
        position = text.find(old, start, end)
        while position != -1:
            if position + len(old) <= end:
                hits.append(position)
            position = text.find(old, position + 1, end)
    if len(hits) != 1:
        raise ValueError(f"{label}: the old snippet occurs {len(hits)} times in the fences of "
                         f"TODO {tag} in solutions/{path} (must be once):\n{old}")
    return hits[0]


def apply(change, text):
    """``text`` (the solution file of ``change``) with every replacement of ``change`` made."""
    for tag, old, new in edits(change):
        position = locate(tag, old, text, change.file, change.label)
        text = text[:position] + new + text[position + len(old):]
    return text


def snippet_problems(changes, solutions=ROOT / "solutions"):
    """Problems of a table of changes: an unknown subtask, a snippet not found once in its fence,
    a change that changes nothing."""
    problems = []
    for change in changes:
        unknown = [tag for tag in tags(change) if tag not in BY_TAG]
        if unknown:
            problems.append(f"{change.label}: unknown subtask {', '.join(unknown)}")
            continue
        try:
            text = (solutions / change.file).read_text()
            if apply(change, text) == text:
                problems.append(f"{change.label}: changes nothing")
        except (OSError, ValueError) as error:
            problems.append(str(error))
    return problems


@dataclass
class Checked:
    """What the checks of a changed solution said: ``record`` is the JSON of ``--record-outcomes``
    (None where pytest wrote none, or ran past the time-out: then ``timed_out``), ``output`` its
    stdout and stderr, ``seconds`` how long it took."""

    record: dict | None
    output: str
    seconds: float
    timed_out: bool = False


def run_checks(change, repo, timeout=300):
    """Apply ``change`` to the scratch copy ``repo`` and run the public and hidden tests of the
    subtasks it edits there; the solution file is restored afterwards."""
    path = repo / "solutions" / change.file
    original = path.read_text()
    record = repo / "outcomes.json"
    record.unlink(missing_ok=True)
    started = time.monotonic()
    try:
        path.write_text(apply(change, original))
        env = dict(os.environ, MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1", OMP_NUM_THREADS="1")
        folders = [folder for folder in (PUBLIC_TESTS, HIDDEN_TESTS) if (repo / folder).is_dir()] or [PUBLIC_TESTS]
        markers = " or ".join(BY_TAG[tag].marker for tag in tags(change))
        try:
            result = subprocess.run(
                [sys.executable, "-m", "pytest", *folders, "-m", markers, "-q",
                 "-p", "no:randomly", "--record-outcomes", str(record)],
                cwd=repo, capture_output=True, text=True, env=env, timeout=timeout)
        except subprocess.TimeoutExpired:
            return Checked(None, f"(its tests were still running after {timeout} s)", time.monotonic() - started,
                           timed_out=True)
    finally:
        path.write_text(original)
    seconds = time.monotonic() - started
    recorded = json.loads(record.read_text()) if record.exists() else None
    return Checked(recorded, result.stdout + result.stderr, seconds)


def table_parser(description, noun, example):
    """The options both checks share: ``--only TAG``, ``--sample N``, ``--seed S``, ``--list``."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--only", metavar="TAG", help=f"only the {noun}s of one subtask ({example}, ...)")
    parser.add_argument("--sample", type=int, metavar="N", help=f"a random sample of N {noun}s")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample (default 0)")
    parser.add_argument("--list", action="store_true", help="print the table and exit")
    return parser


def checked_arguments(parser, argv, noun, problems):
    """The parsed arguments, or the exit status 2 where the table itself has ``problems()``."""
    args = parser.parse_args(argv)
    if args.only and args.only not in BY_TAG:
        parser.error(f"unknown subtask {args.only!r}; one of {', '.join(BY_TAG)}")
    found = problems()
    if found:
        print(f"The {noun} table has problems:\n  " + "\n  ".join(found))
        return 2
    return args
