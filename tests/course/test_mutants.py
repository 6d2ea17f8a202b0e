"""The mutation check (tools/mutants.py, its table tests/course/mutant_table.py): the table is complete, a
sample of mutants is caught, and a mutant whose tests hang is reported as timed out, not killed.

The whole check (`make mutants`, about 15 minutes) runs every mutant; here a small fixed sample
of the quick subtasks keeps it honest in CI.
"""

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from utils.internals.subtasks import SUBTASKS

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tools"))
import mutants  # noqa: E402

pytestmark = pytest.mark.instructor

# Subtasks whose tests load or train on all of MNIST take 10-30 s per mutant: left to `make mutants`.
SLOW = {"1b", "2d", "4c", "bonus_b", "bonus_h", "bonus_i"}


def test_every_subtask_has_enough_mutants_and_each_applies_to_its_own_fence():
    assert not mutants.check_table(), "\n".join(mutants.check_table())
    for subtask in SUBTASKS:
        count = sum(m.tag == subtask.tag for m in mutants.MUTANTS)
        assert count >= (3 if subtask.is_bonus else 5), (subtask.tag, count)


def test_a_snippet_outside_its_fence_is_refused():
    text = "x = 1\n# TODO 9z: write\n### BEGIN SOLUTION\ny = 2\n### END SOLUTION\n"
    assert mutants.apply(mutants.Mutant("9z", "y three", "f.py", "y = 2", "y = 3"), text).count("y = 3") == 1
    with pytest.raises(ValueError, match="0 times"):
        mutants.apply(mutants.Mutant("9z", "x two", "f.py", "x = 1", "x = 2"), text)


@pytest.mark.slow
def test_a_sample_of_mutants_is_killed(tmp_path):
    quick = [m for m in mutants.MUTANTS if m.tag not in SLOW]
    sample = random.Random(4).sample(quick, 6)
    repo = mutants.scratch_repository(tmp_path / "repo", templates=False)
    survivors = []
    for mutant in sample:
        outcome, message, _ = mutants.run_mutant(mutant, repo)
        if outcome != mutants.KILLED:
            survivors.append(f"{mutant.label}: {message[:300]}")
    assert not survivors, "mutants not caught by their subtask's tests:\n" + "\n".join(survivors)


def test_a_mutant_whose_tests_hang_is_timed_out_not_killed(tmp_path, monkeypatch):
    mutant = mutants.MUTANTS[0]
    solution = tmp_path / "solutions" / mutant.file
    solution.parent.mkdir(parents=True)
    shutil.copy(REPO_ROOT / "solutions" / mutant.file, solution)
    original = solution.read_text()

    def hangs(command, timeout, **kwargs):
        raise subprocess.TimeoutExpired(command, timeout)

    monkeypatch.setattr(subprocess, "run", hangs)
    outcome, message, _ = mutants.run_mutant(mutant, tmp_path, timeout=7)
    assert outcome == mutants.TIMED_OUT and "7 s" in message
    assert solution.read_text() == original, "the solution is restored"


def test_timed_out_mutants_are_counted_apart_and_fail_the_check(monkeypatch, capsys):
    monkeypatch.setattr(mutants, "scratch_repository", lambda *args, **kwargs: None)
    outcomes = iter([mutants.TIMED_OUT, mutants.KILLED])
    monkeypatch.setattr(mutants, "run_mutant", lambda mutant, repo: (next(outcomes, mutants.KILLED), "", 0.0))
    assert mutants.main(["--only", "1a"]) == 1
    out = capsys.readouterr().out
    count = sum(m.tag == "1a" for m in mutants.MUTANTS)
    assert f"{count - 1} of {count} mutants killed, 1 timed out, 0 survived" in out
    assert f"timed out: {mutants.MUTANTS[0].label}" in out


def test_the_report_counts_what_the_public_and_the_hidden_checks_killed(monkeypatch, capsys):
    monkeypatch.setattr(mutants, "scratch_repository", lambda *args, **kwargs: None)
    chosen = [m for m in mutants.MUTANTS if m.tag == "2c"]
    verdicts = iter([(True, True), (False, True), (True, False)])

    def run(mutant, repo):
        public, hidden = next(verdicts, (True, True))
        return mutants.Outcome(mutants.KILLED, public, hidden), "", 0.0

    monkeypatch.setattr(mutants, "run_mutant", run)
    assert mutants.main(["--only", "2c"]) == 0
    out = capsys.readouterr().out
    assert "[public: passed, hidden: killed]" in out and "[public: killed, hidden: passed]" in out
    head = next(line for line in out.splitlines() if line.startswith("subtask"))
    assert head.split() == ["subtask", "mutants", "killed", "public", "kills", "hidden", "kills", "hidden", "only",
                            "timed", "out"]
    count = len(chosen)
    for name in ("2c", "total"):
        row = next(line for line in out.splitlines() if line.startswith(f"{name} "))
        assert row.split()[1:] == [str(count), str(count), str(count - 1), str(count - 1), "1", "0"], row
    assert f"{count} of {count} mutants killed, 0 timed out, 0 survived; the hidden checks killed {count - 1}, " \
           "1 of them missed by the public checks" in out


def test_a_mutants_outcome_says_which_checks_failed_it(tmp_path, monkeypatch):
    mutant = next(m for m in mutants.MUTANTS if m.tag == "2a")
    solution = tmp_path / "solutions" / mutant.file
    solution.parent.mkdir(parents=True)
    shutil.copy(REPO_ROOT / "solutions" / mutant.file, solution)
    for folder in ("subtasks", "grading"):
        (tmp_path / "tests" / folder).mkdir(parents=True)
    seen = {}

    def records(command, **kwargs):
        seen["command"] = command
        tests = {"tests/subtasks/test_task2_network.py::test_a": {"status": "passed", "subtasks": ["2a"]},
                 "tests/grading/test_hidden_task2.py::test_b": {"status": "failed", "subtasks": ["2a"]},
                 "tests/grading/test_hidden_task2.py::test_c": {"status": "failed", "subtasks": ["2b"]}}
        record = command[command.index("--record-outcomes") + 1]
        Path(record).write_text(json.dumps({"tests": tests, "subtasks": {"2a": {"status": "failing",
                                                                                "detail": "hidden says no"}}}))
        return subprocess.CompletedProcess(command, 1, "", "")

    monkeypatch.setattr(subprocess, "run", records)
    outcome, message, _ = mutants.run_mutant(mutant, tmp_path)
    assert outcome == mutants.KILLED and (outcome.public, outcome.hidden) == (False, True)
    assert "hidden says no" in message
    assert "tests/subtasks" in seen["command"] and "tests/grading" in seen["command"]
    assert mutants.kills({}, "2a") == (None, None)
