"""The variant check (tools/variants.py, its table tests/course/variant_table.py): the table is complete,
a rejected variant fails the check and names its tests, and a sample of variants is accepted.

The whole check (`make variants`) runs every variant; here a small fixed sample of quick ones
keeps it honest in CI, as for the mutants.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from utils.internals.subtasks import SUBTASKS

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tools"))
import variants  # noqa: E402

pytestmark = pytest.mark.instructor

# Quick variants (tiny data, no MNIST), one of them editing two fences.
SAMPLE = ("3d: torch.inference_mode()", "2b: one torch.nn.Sequential", "4d: colours \"k\" and \"r\"")


def test_every_core_subtask_has_two_variants_and_each_applies_once_to_its_own_fences():
    assert not variants.check_table(), "\n".join(variants.check_table())
    for subtask in SUBTASKS:
        count = sum(v.tag == subtask.tag for v in variants.VARIANTS)
        assert subtask.is_bonus or count >= 2, (subtask.tag, count)


def test_a_variant_may_edit_two_fences_and_both_subtasks_are_checked(tmp_path, monkeypatch):
    text = ("# TODO 2b: build\n### BEGIN SOLUTION\na = 1\n### END SOLUTION\n"
            "# TODO 2c: use\n### BEGIN SOLUTION\nb = a\n### END SOLUTION\n")
    variant = variants.Variant("2b", "renamed", "f.py", "a = 1", "z = 1", also=(("2c", "b = a", "b = z"),))
    assert variants.apply(variant, text).count("z") == 2
    with pytest.raises(ValueError, match="0 times"):
        variants.apply(variants.Variant("2b", "outside", "f.py", "b = a", "b = 2"), text)

    solution = tmp_path / "solutions" / "f.py"
    solution.parent.mkdir()
    solution.write_text(text)
    seen = {}

    def records(command, **kwargs):
        seen["markers"] = [command[i + 1] for i, argument in enumerate(command) if argument == "-m"][-1]
        tests = {"tests/subtasks/t.py::a": {"status": "passed", "subtasks": ["2b"], "detail": ""},
                 "tests/grading/t.py::b": {"status": "failed", "subtasks": ["2c"],
                                           "detail": "expected red, got 'tab:red'\nhint: ..."}}
        record = command[command.index("--record-outcomes") + 1]
        Path(record).write_text(json.dumps({"tests": tests, "subtasks": {}}))
        return subprocess.CompletedProcess(command, 1, "", "")

    monkeypatch.setattr(subprocess, "run", records)
    outcome, failed, _ = variants.run_variant(variant, tmp_path)
    assert seen["markers"] == "task2b or task2c"
    assert outcome == variants.REJECTED and failed == [("tests/grading/t.py::b", "expected red, got 'tab:red'")]
    assert solution.read_text() == text, "the solution is restored"


def test_a_rejected_variant_fails_the_check_and_is_named(monkeypatch, capsys):
    monkeypatch.setattr(variants, "scratch_repository", lambda *args, **kwargs: None)
    outcomes = iter([(variants.REJECTED, [("tests/x.py::t", "expected 1, got 2")], 0.0)])
    monkeypatch.setattr(variants, "run_variant",
                        lambda variant, repo: next(outcomes, (variants.ACCEPTED, [], 0.0)))
    assert variants.main(["--only", "1a"]) == 1
    out = capsys.readouterr().out
    count = sum("1a" in variants.tags(v) for v in variants.VARIANTS)
    assert "tests/x.py::t" in out and "expected 1, got 2" in out
    assert f"{count - 1} of {count} variants accepted, 1 rejected" in out
    assert f"rejected: {variants.choose('1a')[0].label}" in out


@pytest.mark.slow
def test_a_sample_of_variants_is_accepted(tmp_path):
    sample = [v for v in variants.VARIANTS if v.label in SAMPLE]
    assert len(sample) == len(SAMPLE)
    repo = variants.scratch_repository(tmp_path / "repo", templates=False)
    rejected = []
    for variant in sample:
        outcome, failed, _ = variants.run_variant(variant, repo)
        if outcome != variants.ACCEPTED:
            rejected.append(f"{variant.label}: {failed}")
    assert not rejected, "correct variants rejected by their subtask's checks:\n" + "\n".join(rejected)
