"""Variant check of the subtask tests: every correct solution, in whatever style, must pass.

The mirror of the mutation check (``tools/mutants.py``). Each variant is a correct version of
one fenced reference solution written another way (a loop instead of ``torch.bincount``, the
layers in a ``Sequential``, ``torch.inference_mode()``, ...). For each one the tool applies it
to a scratch copy of ``solutions/``, runs the public (``tests/subtasks/``) and hidden
(``tests/grading/``) tests of the subtasks it edits there, in solution mode, and requires every
one of them to pass (the variant is accepted). A rejected variant is a check that judges
spelling rather than behaviour: the report names each test that failed and the first line of
what it said. The table of variants is the file ``assignment.toml`` names (``variants``); the
engine is ``tools/fence_edits.py``, shared with the mutation check.

Usage::

    python tools/variants.py                  # every variant; exit 1 if one is rejected
    python tools/variants.py --only 3d        # the variants that edit one subtask
    python tools/variants.py --sample 3 --seed 1
    python tools/variants.py --list           # the table, without running anything
"""

from __future__ import annotations

import random
import sys
import tempfile
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent))
from course_root import ROOT, SUBTASKS  # noqa: E402
from fence_edits import BY_TAG, apply, checked_arguments, load_table, run_checks, snippet_problems, table_parser, tags  # noqa: E402, F401 - apply
from make_templates import scratch_repository  # noqa: E402

_TABLE = load_table("variants")
VARIANTS, Variant = _TABLE.VARIANTS, _TABLE.Variant  # Variant: for callers that build one

MIN_CORE, MIN_BONUS = 2, 1
ACCEPTED, REJECTED = "accepted", "REJECTED"


def check_table(solutions=ROOT / "solutions"):
    """Problems of the table: too few variants for a core subtask, snippets not found once in their fence."""
    problems = []
    for subtask in SUBTASKS:
        count = sum(v.tag == subtask.tag for v in VARIANTS)
        needed = MIN_BONUS if subtask.is_bonus else MIN_CORE
        if count < needed:
            problems.append(f"{subtask.tag}: {count} variants, needs at least {needed}")
    return problems + snippet_problems(VARIANTS, solutions)


def failures(record, variant):
    """``(test id, first line of its message)`` of every test of the variant's subtasks that did not pass."""
    mine = set(tags(variant))
    found = []
    for nodeid, outcome in record["tests"].items():
        if mine & set(outcome["subtasks"]) and outcome["status"] != "passed":
            lines = [line for line in outcome["detail"].splitlines() if line.strip()] or [outcome["status"]]
            found.append((nodeid, lines[0].strip()))
    return found


def run_variant(variant, repo, timeout=300):
    """(ACCEPTED or REJECTED; the failed tests as ``(test id, first line)``; seconds)."""
    checked = run_checks(variant, repo, timeout)
    if checked.record is None:
        reason = checked.output if checked.timed_out else "(no outcomes recorded) " + checked.output.strip()[-300:]
        return REJECTED, [("(pytest)", reason.strip().splitlines()[-1] if reason.strip() else reason)], checked.seconds
    failed = failures(checked.record, variant)
    ran = any(set(tags(variant)) & set(outcome["subtasks"]) for outcome in checked.record["tests"].values())
    if not ran:
        failed = [("(pytest)", "no test of the variant's subtasks ran")]
    return (REJECTED if failed else ACCEPTED), failed, checked.seconds


def choose(only=None, sample=None, seed=0):
    """The variants to run: those that edit subtask ``only`` (all if None), or a sample of them."""
    chosen = [v for v in VARIANTS if only is None or only in tags(v)]
    if sample is not None and sample < len(chosen):
        chosen = random.Random(seed).sample(chosen, sample)
    return chosen


def table(chosen, outcomes):
    """Per subtask (the variant's own tag): variants, accepted, rejected; then a total line."""
    lines = [f"{'subtask':<8}  {'variants':>8}  {'accepted':>8}  {'rejected':>8}"]

    def line(name, mine):
        return f"{name:<8}  {len(mine):>8}  {mine.count(ACCEPTED):>8}  {mine.count(REJECTED):>8}"

    for subtask in SUBTASKS:
        mine = [outcomes[v] for v in chosen if v.tag == subtask.tag and v in outcomes]
        if mine:
            lines.append(line(subtask.tag, mine))
    lines.append(line("total", [outcomes[v] for v in chosen if v in outcomes]))
    return "\n".join(lines)


def main(argv=None):
    args = checked_arguments(table_parser(__doc__.splitlines()[0], "variant", "2b, bonus_c"), argv, "variant",
                             check_table)
    if args == 2:
        return 2
    chosen = choose(args.only, args.sample, args.seed)
    if args.list:
        for variant in chosen:
            print(f"{'+'.join(tags(variant)):<8} {variant.name}")
        print(f"{len(chosen)} variants")
        return 0
    outcomes = {}
    with tempfile.TemporaryDirectory(prefix="variants-") as scratch:
        repo = scratch_repository(Path(scratch), templates=False)
        for number, variant in enumerate(chosen, 1):
            outcome, failed, seconds = run_variant(variant, repo)
            print(f"{number:>3}/{len(chosen)} {'+'.join(tags(variant)):<10} {outcome:<8} {seconds:5.1f}s  "
                  f"{variant.name}", flush=True)
            for nodeid, first_line in failed:
                print(f"{'':>8}{nodeid}\n{'':>12}{first_line[:160]}", flush=True)
            outcomes[variant] = outcome
    print()
    print(table(chosen, outcomes))
    rejected = [v for v in chosen if outcomes[v] == REJECTED]
    print(f"{len(chosen) - len(rejected)} of {len(chosen)} variants accepted, {len(rejected)} rejected")
    for variant in rejected:
        print(f"  rejected: {variant.label}")
    return 1 if rejected else 0


if __name__ == "__main__":
    sys.exit(main())
