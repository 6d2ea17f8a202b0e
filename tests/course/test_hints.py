"""Hints come in steps, and no step hands over the solution.

Every subtask has three hints in the ``HINTS`` table of its test file (the idea, the name or
torch function to use, the shape of the code with blanks). No text a subtask check can print
(the tables, every hint and message in the test files) writes out a line of a fenced solution.
The progress table shows level 1 with a failure, levels 2 and 3 on request (``--hint``), and
says how to ask for the next.
"""

from __future__ import annotations

import ast
import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from utils.internals.subtasks import BY_MARKER, SUBTASKS

REPO_ROOT = Path(__file__).resolve().parents[2]
SUBTASK_TESTS = REPO_ROOT / "tests" / "subtasks"
sys.path.insert(0, str(REPO_ROOT / "tools"))
sys.path.insert(0, str(SUBTASK_TESTS))
from hints import LEVELS, Steps  # noqa: E402
from make_templates import scratch_repository  # noqa: E402
from test_todo_words import all_fences, normalized, solution_lines  # noqa: E402

pytestmark = pytest.mark.instructor


def fence_lines():
    """tag -> the solution lines of that subtask's fences."""
    lines = {}
    for _file, tag, _text, body, uncomment in all_fences():
        if not uncomment:  # an "uncomment" fence's lines are in the template anyway, commented out
            lines.setdefault(tag, []).extend(solution_lines(body))
    return lines


def hint_tables():
    """tag -> Steps, from the HINTS tables of every subtask test file."""
    tables = {}
    for path in sorted(SUBTASK_TESTS.glob("test_*.py")):
        module = importlib.import_module(path.stem)
        for tag, steps in getattr(module, "HINTS", {}).items():
            assert tag not in tables, f"the hints of {tag} are in two places"
            tables[tag] = (path.name, steps)
    return tables


def texts_of(path):
    """Every string a test file can print: its constants and the literal parts of its f-strings."""
    tree = ast.parse(path.read_text())
    texts = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            texts.append("".join(part.value if isinstance(part, ast.Constant) else "\x00" for part in node.values))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            texts.append(node.value)
    return texts


def markers_of(path):
    return {tag for marker, subtask in BY_MARKER.items() for tag in [subtask.tag]
            if f"mark.{marker}" in path.read_text()}


def test_every_subtask_has_three_steps_of_hints_in_one_place():
    tables = hint_tables()
    missing = [subtask.tag for subtask in SUBTASKS if subtask.tag not in tables]
    assert not missing, f"subtasks without a HINTS entry: {missing}"
    for tag, (file, steps) in tables.items():
        assert isinstance(steps, Steps) and all(step.strip() for step in steps), f"{file}: {tag} needs three hints"
        assert tag in markers_of(SUBTASK_TESTS / file), f"the hints of {tag} are not beside its tests ({file})"
        assert "___" in steps.shape, f"{tag}: hint 3 shows the shape of the code with blanks (___)"


def test_no_hint_of_any_level_writes_out_a_solution_line():
    lines = fence_lines()
    offenders = []
    for tag, (file, steps) in hint_tables().items():
        for level in LEVELS:
            text = normalized(steps.level(level))
            offenders += [f"{file} {tag} hint {level}: {line}" for line in lines.get(tag, [])
                          if normalized(line) in text]
    assert not offenders, "\n".join(offenders)


def test_no_message_of_a_subtask_check_writes_out_a_solution_line():
    every_line = sorted({line for group in fence_lines().values() for line in group})
    offenders = []
    for path in sorted(SUBTASK_TESTS.glob("*.py")):
        for text in texts_of(path):
            flat = normalized(text)
            offenders += [f"{path.name}: {line!r} in {text[:80]!r}" for line in every_line if normalized(line) in flat]
    assert not offenders, "solution lines in the checks' messages:\n" + "\n".join(offenders)


def spelled_out(line, names, shape):
    """Whether hint 3's ``shape``, its blanks filled only with text hint 2 (``names``) gives, writes ``line``.

    Each piece of the shape (pieces are separated by ``/``) is a pattern; a blank may stand for
    any text, but the line counts as spelled out only when every blank's text appears in hint 2:
    then hints 2 and 3 together leave the student no decision.
    """
    target, given = normalized(line), normalized(names)
    for piece in shape.split("/"):
        parts = normalized(piece).split("___")
        if len(parts) < 2:
            if parts[0] and parts[0] == target:
                return True
            continue
        pattern = "(.+?)".join(re.escape(part) for part in parts)
        match = re.fullmatch(pattern, target)
        if match and all(blank in given for blank in match.groups()):
            return True
    return False


def test_hints_2_and_3_together_leave_a_decision_open():
    lines = fence_lines()
    offenders = [f"{file} {tag}: {line}" for tag, (file, steps) in hint_tables().items()
                 for line in lines.get(tag, []) if spelled_out(line, steps.names, steps.shape)]
    assert not offenders, ("hint 3's blanks, filled with what hint 2 names, write out these solution lines "
                           "(leave one real decision open):\n" + "\n".join(offenders))


def test_the_combined_measure_tells_a_decision_from_a_dictation():
    names = "optimizer.zero_grad and optimizer.step"
    assert spelled_out("optimizer.step()", names, "optimizer.___()  /  loss = ___")
    assert not spelled_out("return (predicted.argmax(dim=1) == target).sum()", "Tensor.argmax, .sum()",
                           "return (predicted.argmax(dim=___) == ___).___()")


def test_the_measure_finds_a_solution_line_in_a_hint():
    assert normalized("loss = criterion(output, target)") in normalized("hint: loss = criterion(output,  target)")


def _student_run(repo, *args):
    return subprocess.run([sys.executable, "-m", "pytest", "--impl", "student", "-p", "no:randomly", "-p",
                           "no:cacheprovider", *args], cwd=repo, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1", OMP_NUM_THREADS="1"))


@pytest.fixture(scope="module")
def wrong_3c(tmp_path_factory):
    """A scratch repository whose 3c averages per batch, the mistake the sheet warns about."""
    repo = scratch_repository(tmp_path_factory.mktemp("hints"), solved={"3c"})
    trainer = repo / "utils" / "network_trainer.py"
    text = trainer.read_text()
    assert "len_train_data" in text
    trainer.write_text(re.sub(r"\* len\(target\)", "", text, count=1))
    return repo


def test_a_failure_shows_hint_1_and_says_how_to_ask_for_more(wrong_3c):
    result = _student_run(wrong_3c, "-m", "task3c")
    _, steps = hint_tables()["3c"]
    row = result.stdout[result.stdout.index("your progress"):]
    assert result.returncode == 1 and "3c       failing" in row
    assert "hint:" in row and "hint 2:" not in row and "hint 3:" not in row
    assert "more hints: python -m pytest --impl student -m task3c --hint 2" in row


@pytest.mark.parametrize("level", [2, 3])
def test_asking_shows_the_next_levels_of_hints(wrong_3c, level):
    result = _student_run(wrong_3c, "-m", "task3c", "--hint", str(level))
    _, steps = hint_tables()["3c"]
    row = " ".join(result.stdout[result.stdout.index("your progress"):].split())
    for number in range(2, level + 1):
        assert f"hint {number}: {' '.join(steps.level(number).split())}" in row
    assert ("--hint 3" in row) == (level == 2)


def test_hint_1_is_one_short_idea():
    long = [tag for tag, (_, steps) in hint_tables().items() if len(steps.idea) >= 200]
    assert not long, f"hint 1 is one idea, under 200 characters: {long}"


def test_explain_keeps_a_plain_string_hint_as_level_1_and_takes_steps_too():
    from hints import explain

    with pytest.raises(AssertionError, match=r"(?s)expected a layer; got TypeError: no\nhint: call the class"):
        with explain("a layer", (TypeError, "no", "call the class")):
            raise TypeError("no")
    steps = Steps("the idea", "the names", "the ___ shape")
    with pytest.raises(AssertionError, match=r"hint: the idea$"):
        with explain("a layer", (TypeError, "", steps)):
            raise TypeError("no")
