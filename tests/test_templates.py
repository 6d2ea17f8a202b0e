"""The templates are in sync with the solutions, and every subtask test is honest.

Honest means: it fails on the untouched template and passes on the solution. The student
mode runs in a subprocess, in a scratch copy of the repository with freshly generated
templates, so the check does not depend on what a student has already written.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "tools"))
import make_templates  # noqa: E402

TEMPLATE_FILES = tuple(template.relative_to(REPO_ROOT).as_posix()
                       for _, template, _ in make_templates.template_pairs())
# Subtasks whose tests need more than their own file: 4c and bonus h train the student's FNN with
# the student's trainer; bonus i feeds augmentation through the student's DataLoaderFNN.
NEEDS_OTHER_FILES = {"4c", "bonus_h", "bonus_i"}


def tags_in(solution_file):
    return set(re.findall(r"# TODO (\w+):", (REPO_ROOT / "solutions" / solution_file).read_text()))


def test_templates_are_in_sync_with_the_solutions():
    result = subprocess.run([sys.executable, str(REPO_ROOT / "tools" / "make_templates.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, "templates are stale; run `make templates`\n" + result.stdout[-3000:]


def test_every_fence_becomes_a_stub_that_names_its_subtask():
    source = ("def f():\n    # TODO 9z: write\n    #   it all\n"
              "    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n")
    template = make_templates.make_template(source)
    assert "return 1" not in template
    namespace = {}
    exec(template, namespace)  # noqa: S102 - our own generated code
    with pytest.raises(NotImplementedError, match="TODO 9z: write it all"):
        namespace["f"]()


def test_uncomment_fences_keep_the_lines_commented_out():
    source = "steps = [\n    # TODO 9y: uncomment\n    ### BEGIN SOLUTION uncomment\n    1,\n    ### END SOLUTION\n]\n"
    assert "    # 1," in make_templates.make_template(source)


def test_a_fence_without_a_todo_comment_is_refused():
    with pytest.raises(make_templates.FenceError, match="TODO <tag>"):
        make_templates.make_template("x = 1\n### BEGIN SOLUTION\ny = 2\n### END SOLUTION\n")


def scratch_repository(target, solved=()):
    """A copy of the repository with untouched templates, plus the solution of ``solved`` files."""
    for name in ("solutions", "utils", "tests", "tools"):
        shutil.copytree(REPO_ROOT / name, target / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(REPO_ROOT / "pyproject.toml", target)
    (target / "data").symlink_to(REPO_ROOT / "data", target_is_directory=True)
    subprocess.run([sys.executable, str(target / "tools" / "make_templates.py")], check=True,
                   capture_output=True)
    for relative in solved:
        shutil.copy(target / "solutions" / relative, target / relative)
    return target


def student_outcomes(repo, tmp_path):
    record = tmp_path / "outcomes.json"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--impl", "student", "-q", "-x" if False else "-q",
         "--record-outcomes", str(record), "-p", "no:randomly"],
        cwd=repo, capture_output=True, text=True, env=dict(os.environ, MPLBACKEND="Agg"))
    assert record.exists(), result.stdout[-3000:] + result.stderr[-3000:]
    return json.loads(record.read_text()), result.stdout


def green_subtasks(outcomes):
    by_subtask = {}
    for outcome in outcomes.values():
        for subtask in outcome["subtasks"]:
            by_subtask.setdefault(subtask, []).append(outcome["status"] == "passed")
    return {subtask for subtask, passed in by_subtask.items() if all(passed)}


@pytest.fixture(scope="module")
def blank(tmp_path_factory):
    repo = scratch_repository(tmp_path_factory.mktemp("blank"))
    outcomes, stdout = student_outcomes(repo, tmp_path_factory.mktemp("blank-out"))
    return repo, outcomes, stdout


@pytest.mark.slow
def test_every_subtask_test_fails_on_the_untouched_templates(blank):
    _, outcomes, _ = blank
    subtask_tests = {test: o for test, o in outcomes.items() if o["subtasks"]}
    passing = sorted(test for test, o in subtask_tests.items() if o["status"] != "failed" and o["status"] != "todo")
    assert not passing, f"these subtask tests do not fail on the blank templates: {passing}"


@pytest.mark.slow
def test_every_todo_of_the_solutions_has_a_test(blank):
    _, outcomes, _ = blank
    tested = {subtask for o in outcomes.values() for subtask in o["subtasks"]}
    todos = set().union(*(tags_in(name) for name in TEMPLATE_FILES))
    assert todos <= tested, f"TODOs without a subtask test: {sorted(todos - tested)}"


@pytest.mark.slow
def test_the_student_summary_lists_every_subtask(blank):
    _, _, stdout = blank
    assert "your progress, per subtask" in stdout
    assert re.search(r"^2a\s+not started yet", stdout, re.M)
    assert re.search(r"^0 of \d+ subtasks done\.$", stdout, re.M)


@pytest.mark.slow
def test_the_untouched_main_script_stops_with_one_short_message(blank):
    repo, _, _ = blank
    result = subprocess.run([sys.executable, "01_main.py", "--no-plots"], cwd=repo,
                            capture_output=True, text=True)
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert "Not done yet: TODO 2d" in result.stderr and "fnn.py" in result.stderr
    assert "pytest --impl student -m task2d" in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 6


@pytest.mark.slow
@pytest.mark.parametrize("solved", TEMPLATE_FILES)
def test_a_solved_file_turns_exactly_its_own_subtasks_green(solved, tmp_path):
    repo = scratch_repository(tmp_path / "repo", solved=[solved])
    outcomes, _ = student_outcomes(repo, tmp_path)
    expected = tags_in(solved) - NEEDS_OTHER_FILES
    assert green_subtasks(outcomes) == expected
