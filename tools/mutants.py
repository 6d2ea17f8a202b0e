"""Mutation check of the subtask tests: every realistic mistake must turn its own subtask red.

Each mutant is a wrong version of one fenced reference solution, the kind of code a student
writes (a class where an instance belongs, a softmax in ``forward``, a loss averaged per batch,
...). For each one the tool copies the repository's ``solutions/``, ``utils/``, ``tests/``,
``tools/`` and ``pyproject.toml`` into a scratch folder (``data/`` is linked), applies the
mutant to the scratch copy of the solution, runs that subtask's tests there in solution mode and
checks that the subtask is not "done" (the mutant is killed). The hidden grading checks
(``tests/grading/``, never released) run with the public ones (``tests/subtasks/``); the report
says, per mutant, whether the public checks killed it and whether the hidden ones did, and counts
the mutants only the hidden checks catch. A mutant whose tests are still
running at the time-out is reported as "timed out": not killed, since nothing failed, and not
passed either. One scratch copy serves all mutants; each file is restored after its mutant. The
table of mutants is the file ``assignment.toml`` names (``mutants``).

Usage::

    python tools/mutants.py                   # every mutant; exit 1 if one survives or times out
    python tools/mutants.py --only 3c         # the mutants of one subtask (or bonus_c)
    python tools/mutants.py --sample 6 --seed 1
    python tools/mutants.py --list            # the table, without running anything
"""

from __future__ import annotations

import random
import sys
import tempfile
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent))
from course_root import ROOT, SUBTASKS  # noqa: E402, F401 - SUBTASKS: for callers
from fence_edits import (  # noqa: E402, F401 - apply: for callers
    BY_TAG,
    HIDDEN_TESTS,
    apply,
    checked_arguments,
    load_table,
    run_checks,
    snippet_problems,
    table_parser,
)
from make_templates import scratch_repository  # noqa: E402

REPO_ROOT = ROOT
_TABLE = load_table("mutants")
MUTANTS, Mutant = _TABLE.MUTANTS, _TABLE.Mutant  # Mutant: for callers that build one

MIN_CORE, MIN_BONUS = 5, 3
KILLED, SURVIVED, TIMED_OUT = "killed", "SURVIVED", "timed out"  # the outcomes of one mutant


class Outcome(str):
    """KILLED, SURVIVED or TIMED_OUT, and which checks killed the mutant: ``public`` and ``hidden``
    are True (some test of the subtask failed), False (all passed) or None (none ran or not known)."""

    def __new__(cls, value, public=None, hidden=None):
        outcome = super().__new__(cls, value)
        outcome.public, outcome.hidden = public, hidden
        return outcome


def kills(tests, tag):
    """(public, hidden): whether the public and the hidden tests of ``tag`` in a recorded run failed
    the mutant (True), all passed (False), or were not there (None)."""
    verdicts = []
    for hidden in (False, True):
        mine = [outcome for nodeid, outcome in tests.items()
                if tag in outcome["subtasks"] and nodeid.startswith(HIDDEN_TESTS + "/") == hidden]
        verdicts.append(any(outcome["status"] != "passed" for outcome in mine) if mine else None)
    return tuple(verdicts)


def check_table(solutions=REPO_ROOT / "solutions"):
    """Problems of the table: too few mutants for a subtask, snippets not found once in their fence."""
    problems = []
    for subtask in SUBTASKS:
        count = sum(m.tag == subtask.tag for m in MUTANTS)
        needed = MIN_BONUS if subtask.is_bonus else MIN_CORE
        if count < needed:
            problems.append(f"{subtask.tag}: {count} mutants, needs at least {needed}")
    return problems + snippet_problems(MUTANTS, solutions)


def run_mutant(mutant, repo, timeout=300):
    """(outcome: KILLED, SURVIVED or TIMED_OUT, an ``Outcome`` that says which checks killed it;
    what the student would read; seconds)."""
    checked = run_checks(mutant, repo, timeout)
    if checked.timed_out:
        return Outcome(TIMED_OUT), checked.output, checked.seconds
    if checked.record is None:
        return Outcome(SURVIVED), "(no outcomes recorded) " + checked.output.strip()[-300:], checked.seconds
    row = checked.record["subtasks"].get(mutant.tag, {"status": "no tests ran", "detail": ""})
    public, hidden = kills(checked.record["tests"], mutant.tag)
    outcome = Outcome(SURVIVED if row["status"] == "done" else KILLED, public, hidden)
    return outcome, f"[{row['status']}] {row['detail'].strip()}", checked.seconds


def choose(only=None, sample=None, seed=0):
    chosen = [m for m in MUTANTS if only is None or m.tag == only]
    if sample is not None and sample < len(chosen):
        chosen = random.Random(seed).sample(chosen, sample)
    return chosen


def main(argv=None):
    parser = table_parser(__doc__.splitlines()[0], "mutant", "2a, bonus_c")
    parser.add_argument("--full", action="store_true", help="print every mutant's whole message, not its first line")
    args = checked_arguments(parser, argv, "mutant", check_table)
    if args == 2:
        return 2
    chosen = choose(args.only, args.sample, args.seed)
    if args.list:
        for mutant in chosen:
            print(f"{mutant.tag:<8} {mutant.name}")
        print(f"{len(chosen)} mutants")
        return 0
    outcomes = {}
    with tempfile.TemporaryDirectory(prefix="mutants-") as scratch:
        repo = scratch_repository(Path(scratch), templates=False)
        for number, mutant in enumerate(chosen, 1):
            outcome, message, seconds = run_mutant(mutant, repo)
            lines = [line for line in message.splitlines() if line.strip()] or [""]
            print(f"{number:>3}/{len(chosen)} {mutant.tag:<8} {outcome:<9} {seconds:5.1f}s  {mutant.name}  "
                  f"[public: {_word(getattr(outcome, 'public', None))}, hidden: "
                  f"{_word(getattr(outcome, 'hidden', None))}]", flush=True)
            for line in (lines if args.full else lines[:1]):
                print(f"{'':>25}{line[:160]}", flush=True)
            outcomes[mutant] = outcome
    print()
    print(table(chosen, outcomes))
    counts = list(outcomes.values())
    hidden = [o for o in counts if getattr(o, "hidden", None)]
    only_hidden = [o for o in hidden if getattr(o, "public", None) is False]
    print(f"{counts.count(KILLED)} of {len(chosen)} mutants killed, {counts.count(TIMED_OUT)} timed out, "
          f"{counts.count(SURVIVED)} survived; the hidden checks killed {len(hidden)}, "
          f"{len(only_hidden)} of them missed by the public checks")
    for mutant, outcome in outcomes.items():
        if outcome != KILLED:
            print(f"  {'survived' if outcome == SURVIVED else 'timed out'}: {mutant.label}")
    return 0 if counts.count(KILLED) == len(chosen) else 1


def _word(killed):
    return {True: "killed", False: "passed", None: "-"}[killed]


TABLE_HEAD = ("subtask", "mutants", "killed", "public kills", "hidden kills", "hidden only", "timed out")


def table(chosen, outcomes):
    """Per subtask: mutants, killed, killed by the public checks, by the hidden ones, by the hidden
    ones alone (the public checks passed them), timed out; then a total line."""
    def counts(mine):
        return (len(mine), mine.count(KILLED), sum(getattr(o, "public", None) is True for o in mine),
                sum(getattr(o, "hidden", None) is True for o in mine),
                sum(getattr(o, "hidden", None) is True and getattr(o, "public", None) is False for o in mine),
                mine.count(TIMED_OUT))

    widths = [max(8, len(head)) for head in TABLE_HEAD]
    lines = ["  ".join(head.ljust(width) if index == 0 else head.rjust(width)
                       for index, (head, width) in enumerate(zip(TABLE_HEAD, widths)))]

    def line(name, values):
        return "  ".join([name.ljust(widths[0]), *(str(v).rjust(w) for v, w in zip(values, widths[1:]))])

    for subtask in SUBTASKS:
        mine = [outcomes[m] for m in chosen if m.tag == subtask.tag and m in outcomes]
        if mine:
            lines.append(line(subtask.tag, counts(mine)))
    lines.append(line("total", counts([outcomes[m] for m in chosen if m in outcomes])))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
