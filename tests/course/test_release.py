"""The student repository that tools/release.py writes: complete, without solutions, red then green.

Red: ``make test`` on the untouched release fails every subtask. Green: with the solution files
copied over the templates, plain ``python -m pytest`` passes every subtask. Both run in a
subprocess, in a release written to a scratch folder.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from utils.internals.subtasks import BY_MARKER, STUDENT_FILES, SUBTASKS

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tools"))
import make_templates  # noqa: E402
import release  # noqa: E402

pytestmark = pytest.mark.instructor


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    dest = tmp_path_factory.mktemp("release") / "session01"
    release.write_release(dest)
    return dest


def files_of(folder):
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())


def test_the_release_holds_the_student_repository(released):
    files = set(files_of(released))
    expected = {*STUDENT_FILES, "README.md", "Makefile", "pyproject.toml", "requirements.txt", ".gitignore",
                "data/README.md", "docs/assignment.md", ".github/workflows/classroom.yml",
                "tests/conftest.py", "tests/student_imports.py", "tests/progress_report.py", "tests/stand_ins.py",
                "tests/tiny_data.py",
                *(f"utils/{path.name}" for path in (REPO_ROOT / "utils").glob("*.py")),
                *(path.relative_to(REPO_ROOT).as_posix() for path in (REPO_ROOT / "tests/subtasks").glob("*.py"))}
    assert expected <= files, f"missing from the release: {sorted(expected - files)}"
    for _, template, text in make_templates.template_pairs():
        relative = template.relative_to(REPO_ROOT).as_posix()
        assert (released / relative).read_text() == text, f"{relative} is not the generated template"


def test_the_release_holds_no_solutions_answers_or_instructor_tests(released):
    files = files_of(released)
    assert not (released / "solutions").exists() and not (released / "docs" / "answers.md").exists()
    assert not (released / "tests" / "course").exists(), "tests/course/ imports the solutions"
    assert not any(name.startswith(("tools/", "benchmarks/")) for name in files), files
    for name in files:
        text = (released / name).read_text(errors="replace")
        assert "### BEGIN SOLUTION" not in text and "### END SOLUTION" not in text, name
        assert not re.search(r"^\s*(from|import)\s+solutions\b", text, re.M), f"{name} imports the solutions"


def _code_lines(text):
    """The lines of ``text`` that are code: stripped, no blank lines, no comments."""
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def test_no_file_of_the_release_contains_a_reference_answer(released):
    """Every fenced answer of two or more code lines is nowhere in the release, not even in a test."""
    release_code = {name: "\n".join(_code_lines((released / name).read_text(errors="replace")))
                    for name in files_of(released) if name.endswith(".py")}
    leaks = []
    for solution in sorted((REPO_ROOT / "solutions").rglob("*.py")):
        blocks = re.findall(r"### BEGIN SOLUTION[^\n]*\n(.*?)\n\s*### END SOLUTION", solution.read_text(), re.S)
        for block in blocks:
            code = _code_lines(block)
            if len(code) < 2:
                continue
            needle = "\n".join(code)
            leaks += [f"{solution.relative_to(REPO_ROOT)} -> {name}: {code[0]}"
                      for name, text in release_code.items() if needle in text]
    assert not leaks, "reference answers found in the release:\n" + "\n".join(leaks)


def test_the_readme_names_only_commands_and_files_that_exist(released):
    readme = (released / "README.md").read_text()
    assert release.markdown_table(SUBTASKS) in readme, "the README's table is the subtask table"
    makefile = (released / "Makefile").read_text()
    targets = set(re.findall(r"^([\w-]+):", makefile, re.M))
    for target in re.findall(r"\bmake (\w[\w-]*)", readme):
        assert target in targets, f"README names `make {target}`, the Makefile has {sorted(targets)}"
    for marker in re.findall(r"(?<!python )-m (\w+)", readme):
        assert marker in BY_MARKER, f"README names the marker {marker}"
    paths = set(re.findall(r"`([\w./-]+\.(?:py|md|txt|yml|toml))`", readme))
    paths |= set(re.findall(r"\]\(([\w./-]+)\)", readme))
    paths |= set(re.findall(r"python ([\w./-]+\.py)", readme))
    assert {"01_main.py", "docs/assignment.md"} <= paths
    for path in paths:
        assert (released / path).is_file(), f"README names {path}, which is not in the release"
    assert "{{" not in readme


def test_the_makefile_runs_the_students_main_script_and_checks(released):
    result = subprocess.run(["make", "-n", "run", "test"], cwd=released, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert ".venv/bin/python 01_main.py" in result.stdout and ".venv/bin/python -m pytest" in result.stdout
    assert "solutions" not in (released / "Makefile").read_text()


def test_the_workflow_runs_one_step_per_subtask_on_every_push(released):
    workflow = (released / ".github/workflows/classroom.yml").read_text()
    assert re.search(r"^on:\n\s+push:", workflow, re.M)
    assert 'python-version: "3.11"' in workflow and "pip install -r requirements.txt" in workflow
    steps = re.findall(r"- name: (.*)\n(?:\s+.*\n)*?\s+run: (.*)", workflow)
    runs = [run for _, run in steps]
    for subtask in SUBTASKS:
        assert runs.count(f"python -m pytest -m {subtask.marker}") == 1, subtask.tag
    assert runs[-1] == "python -m pytest", "the last step shows the whole table"
    assert workflow.count("continue-on-error: true") == len(SUBTASKS)
    assert "\t" not in workflow and "{{" not in workflow


def test_a_release_is_never_written_into_a_folder_in_use(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(release.ReleaseError, match="not empty"):
        release.write_release(tmp_path)
    assert (tmp_path / "keep.txt").read_text() == "mine"


def scratch_release(target):
    """A release in ``target`` that can run: MNIST and this repository's .venv linked in."""
    release.write_release(target)
    (target / "data" / "MNIST").symlink_to(REPO_ROOT / "data" / "MNIST", target_is_directory=True)
    return target


def checks(repo, record, *command):
    result = subprocess.run([*command], cwd=repo, capture_output=True, text=True,
                            env=dict(os.environ, MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1", OMP_NUM_THREADS="1"))
    assert record.exists(), result.stdout[-3000:] + result.stderr[-3000:]
    return json.loads(record.read_text()), result


@pytest.mark.slow
def test_make_test_in_the_untouched_release_fails_every_subtask(tmp_path):
    repo = scratch_release(tmp_path / "student")
    (repo / ".venv").symlink_to(Path(sys.executable).parents[1], target_is_directory=True)
    os.utime(repo / "requirements.txt", (0, 0))  # older than .venv/.installed: make installs nothing
    if not (repo / ".venv" / ".installed").exists():
        pytest.skip("this .venv was not made by make (no .venv/.installed)")
    record = tmp_path / "outcomes.json"
    outcomes, result = checks(repo, record, "make", "test", f"ARGS=-p no:randomly --record-outcomes {record}")
    assert result.returncode != 0
    assert "pip install" not in result.stdout
    assert not [test for test, o in outcomes["tests"].items() if o["status"] == "passed"]
    assert list(outcomes["subtasks"]) == [subtask.tag for subtask in SUBTASKS]
    assert {row["status"] for row in outcomes["subtasks"].values()} <= {"not started", "waiting"}
    assert f"0 of {len(SUBTASKS)} subtasks done" in result.stdout


@pytest.mark.slow
def test_plain_pytest_passes_every_subtask_with_the_solutions_copied_over_the_templates(tmp_path):
    repo = scratch_release(tmp_path / "student")
    for file in STUDENT_FILES:
        shutil.copyfile(REPO_ROOT / "solutions" / file, repo / file)
    record = tmp_path / "outcomes.json"
    outcomes, result = checks(repo, record, sys.executable, "-m", "pytest", "-p", "no:randomly",
                              "--record-outcomes", str(record))
    assert result.returncode == 0, result.stdout[-3000:]
    not_done = {tag: row for tag, row in outcomes["subtasks"].items() if row["status"] != "done"}
    assert not not_done and len(outcomes["subtasks"]) == len(SUBTASKS), not_done
    assert f"{len(SUBTASKS)} of {len(SUBTASKS)} subtasks done" in result.stdout
