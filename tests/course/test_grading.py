"""tools/grade.py: reading submissions safely, and grading seven kinds of them as expected.

Grades a blank, a fully solved (zipped), a half-solved, a test-tampering, a crashing, a hanging
and a disk-filling submission at ``--jobs 2``; the last two with a 60 s limit.
"""

import csv
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from utils.subtasks import BY_TAG, STUDENT_FILES, SUBTASKS

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tools"))
import grade  # noqa: E402
import make_templates  # noqa: E402

pytestmark = pytest.mark.instructor
HALF = ("1a", "1b", "2a", "2b", "2c", "2d")
BEFORE_TASK1B = ("1a", "bonus_b", "bonus_c", "bonus_e", "bonus_f", "bonus_g", "bonus_h", "bonus_i")


def write_student_files(folder, solved=()):
    """The templates in ``folder``, with the subtasks of ``solved`` solved ("all": the solution files)."""
    for file in STUDENT_FILES:
        target = folder / file
        target.parent.mkdir(parents=True, exist_ok=True)
        if solved == "all":
            target.write_text((REPO_ROOT / "solutions" / file).read_text())
    if solved != "all":
        for _, template, text in make_templates.template_pairs(REPO_ROOT / "solutions", folder, solved=set(solved)):
            template.write_text(text)
    return folder


def append(path, code):
    with open(path, "a") as handle:
        handle.write("\n\n" + code)


# ---------------------------------------------------------------------------------------------
# Reading submissions


def make_zip(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return path


def test_student_files_are_found_at_the_top_or_in_one_subfolder_of_a_folder_or_zip(tmp_path):
    top = tmp_path / "top"
    (top / "utils").mkdir(parents=True)
    (top / "fnn.py").write_text("top")
    (top / "utils" / "network_trainer.py").write_text("trainer")
    (top / "notes.txt").write_text("not a student file")
    assert grade.student_files(top) == {"fnn.py": b"top", "utils/network_trainer.py": b"trainer"}
    nested = tmp_path / "nested" / "session01-alice"
    nested.mkdir(parents=True)
    (nested / "01_main.py").write_text("main")
    (nested.parent / "__MACOSX").mkdir()
    assert grade.student_files(nested.parent) == {"01_main.py": b"main"}
    archive = make_zip(tmp_path / "bob.zip", {"bob/fnn.py": "zipped", "bob/utils/network_trainer.py": "t",
                                              "bob/tests/conftest.py": "ignored", "__MACOSX/bob/._fnn.py": "x"})
    assert grade.student_files(archive) == {"fnn.py": b"zipped", "utils/network_trainer.py": b"t"}


def test_links_and_huge_files_are_not_taken(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "fnn.py").symlink_to(REPO_ROOT / "solutions" / "fnn.py")
    (folder / "01_main.py").write_bytes(b"x" * (grade.MAX_STUDENT_FILE + 1))
    (folder / "handwriting.py").write_text("ok")
    assert grade.student_files(folder) == {"handwriting.py": b"ok"}


@pytest.mark.parametrize("name", ["../fnn.py", "/etc/fnn.py", "a/../../fnn.py", "C:/fnn.py"])
def test_a_zip_with_a_path_out_of_its_folder_is_refused(tmp_path, name):
    archive = make_zip(tmp_path / "evil.zip", {name: "x", "fnn.py": "y"})
    with pytest.raises(grade.SubmissionError, match="unsafe path"):
        grade.student_files(archive)


def test_a_zip_that_unpacks_too_large_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(grade, "MAX_UNZIPPED", 1000)
    archive = make_zip(tmp_path / "big.zip", {"fnn.py": "x" * 2000})
    with pytest.raises(grade.SubmissionError, match="unpacks to more than"):
        grade.student_files(archive)
    (tmp_path / "broken.zip").write_text("not a zip")
    with pytest.raises(grade.SubmissionError, match="not a readable zip"):
        grade.student_files(tmp_path / "broken.zip")


def test_submissions_are_named_after_their_folder_or_zip(tmp_path):
    (tmp_path / "Alice Smith").mkdir()
    make_zip(tmp_path / "Alice Smith.zip", {"fnn.py": ""})
    make_zip(tmp_path / "bob.zip", {"fnn.py": ""})
    (tmp_path / "notes.txt").write_text("")
    (tmp_path / ".DS_Store").write_text("")
    names = [name for name, _ in grade.submission_entries(tmp_path)]
    assert names == ["Alice_Smith", "Alice_Smith-2", "bob"]


# ---------------------------------------------------------------------------------------------
# Grading a class


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("grading")
    submissions = base / "submissions"
    submissions.mkdir()
    write_student_files(submissions / "blank")
    solved = write_student_files(base / "solved" / "assignment-solved", "all")
    with zipfile.ZipFile(submissions / "solved.zip", "w") as archive:
        for file in STUDENT_FILES:
            archive.write(solved / file, f"assignment-solved/{file}")
    write_student_files(submissions / "half" / "assignment-half", HALF)
    tampered = write_student_files(submissions / "tampered")
    (tampered / "tests" / "subtasks").mkdir(parents=True)
    for test in (REPO_ROOT / "tests" / "subtasks").glob("test_*.py"):
        (tampered / "tests" / "subtasks" / test.name).write_text("def test_fine():\n    pass\n")
    (tampered / "tests" / "conftest.py").write_text("")
    sleeper = base / "sleeper.pid"
    hanging = write_student_files(submissions / "hanging", "all")
    append(hanging / "01_main.py",
           "def count_labels(*args, **kwargs):\n"
           "    import pathlib, subprocess, sys, time\n"
           "    child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
           f"    pathlib.Path({str(sleeper)!r}).write_text(str(child.pid))\n"
           "    while True:\n"
           "        time.sleep(0.1)\n")
    crashing = write_student_files(submissions / "crashing", "all")
    append(crashing / "bonus_g_regression.py",
           "import sys\nOneHotMSELoss.forward = lambda self, *args, **kwargs: sys.exit(3)\n")
    append(crashing / "01_main.py", "def count_labels(*args, **kwargs):\n    import os\n    os._exit(3)\n")
    disk = write_student_files(submissions / "disk", "all")
    append(disk / "01_main.py",
           "def count_labels(*args, **kwargs):\n"
           "    import itertools, time\n"
           "    for number in itertools.count():\n"
           "        with open(f'filler{number}.bin', 'wb') as handle:\n"
           "            handle.write(bytes(10 << 20))\n"
           "        time.sleep(0.02)\n")
    # Two runs at --jobs 2: the submissions that finish get a generous limit (a loaded machine must not
    # time them out), the hanging and the disk-filling one a short one.
    stoppers = base / "stoppers"
    stoppers.mkdir()
    for name in ("hanging", "disk"):
        (submissions / name).rename(stoppers / name)
    runs = [grade_run(submissions, base / "out", "--timeout", "600"),
            grade_run(stoppers, base / "out-stoppers", "--timeout", "60", "--disk-mb", "300")]
    rows, where = {}, {}
    for out, _ in runs:
        with open(out / "grades.csv", newline="") as handle:
            for row in csv.DictReader(handle):
                rows[row["submission"]], where[row["submission"]] = row, out
    return where, rows, [result for _, result in runs], sleeper


def grade_run(submissions, out, *options):
    result = subprocess.run([sys.executable, str(REPO_ROOT / "tools" / "grade.py"), str(submissions),
                             "--out", str(out), "--jobs", "2", *options],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out, result


def process_state(pid):
    """``R``, ``S``, ... of a live process, ``Z`` of a killed one not yet reaped, None when gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def points(row, tags):
    return {tag: float(row[tag]) for tag in tags}


def full(tags):
    return {tag: float(BY_TAG[tag].points) for tag in tags}


ALL = [subtask.tag for subtask in SUBTASKS]


@pytest.mark.slow
def test_the_gradebook_has_one_column_per_subtask_and_one_row_per_submission(graded):
    where, rows, results, _ = graded
    for out in set(where.values()):
        header = (out / "grades.csv").read_text().splitlines()[0]
        assert header == ",".join(["submission", *ALL, "total", "status"])
    assert sorted(rows) == ["blank", "crashing", "disk", "half", "hanging", "solved", "tampered"]
    for row in rows.values():
        assert float(row["total"]) == sum(float(row[tag]) for tag in ALL)
    assert "mean points per subtask" in results[0].stdout and "1 crashed" in results[0].stdout
    assert "1 timed out" in results[1].stdout and "1 disk full" in results[1].stdout
    assert "submission" in results[0].stderr, "a progress bar"


@pytest.mark.slow
def test_blank_solved_and_half_solved_submissions_get_their_points(graded):
    _, rows, _, _ = graded
    assert points(rows["blank"], ALL) == dict.fromkeys(ALL, 0.0) and rows["blank"]["status"] == "ok"
    assert points(rows["solved"], ALL) == full(ALL) and rows["solved"]["status"] == "ok"
    assert float(rows["solved"]["total"]) == sum(subtask.points for subtask in SUBTASKS)
    assert points(rows["half"], ALL) == {**dict.fromkeys(ALL, 0.0), **full(HALF)}


@pytest.mark.slow
def test_edited_tests_in_a_submission_gain_nothing(graded):
    _, rows, _, _ = graded
    assert points(rows["tampered"], ALL) == dict.fromkeys(ALL, 0.0) and rows["tampered"]["status"] == "ok"


@pytest.mark.slow
def test_a_hanging_submission_keeps_what_passed_before_and_leaves_no_process_behind(graded):
    where, rows, _, sleeper = graded
    row = rows["hanging"]
    assert row["status"].startswith("timed out")
    assert points(row, ALL) == {**dict.fromkeys(ALL, 0.0), **full(BEFORE_TASK1B)}
    assert process_state(int(sleeper.read_text())) in (None, "Z"), "the child it started was killed with it"
    feedback = (where["hanging"] / "feedback" / "hanging.md").read_text()
    assert "did not finish (timed out after 60 s)" in feedback
    assert "| 1b label counts per split | timed out | 0 / 1 |" in feedback
    assert "| 2a one dense layer | not checked |" in feedback


@pytest.mark.slow
def test_a_crashing_submission_keeps_what_passed_before(graded):
    _, rows, _, _ = graded
    row = rows["crashing"]
    assert row["status"].startswith("crashed: exit code 3")
    assert points(row, ALL) == {**dict.fromkeys(ALL, 0.0), **full(set(BEFORE_TASK1B) - {"bonus_g"})}, \
        "sys.exit fails only its own subtask; os._exit ends the run"


@pytest.mark.slow
def test_a_submission_that_fills_the_disk_is_stopped_and_keeps_what_passed_before(graded):
    _, rows, _, _ = graded
    row = rows["disk"]
    assert row["status"].startswith("disk full")
    assert points(row, ALL) == {**dict.fromkeys(ALL, 0.0), **full(BEFORE_TASK1B)}


@pytest.mark.slow
def test_feedback_and_gradescope_results_for_every_submission(graded):
    where, rows, _, _ = graded
    for name, row in rows.items():
        out = where[name]
        results = json.loads((out / name / "results.json").read_text())
        assert [test["number"] for test in results["tests"]] == ALL
        assert all({"name", "score", "max_score", "output"} <= set(test) for test in results["tests"])
        assert results["score"] == float(row["total"]) == sum(test["score"] for test in results["tests"])
        feedback = (out / "feedback" / f"{name}.md").read_text()
        assert f"**{float(row['total']):g} points**" in feedback
        assert feedback.count("\n| ") == len(SUBTASKS) + 1
        assert len((out / name / "output.txt").read_text()) <= 2 * grade.OUTPUT_TAIL + 200
    half = (where["half"] / "feedback" / "half.md").read_text()
    assert "| 3b the training step | not started | 0 / 3 | TODO 3b still raises NotImplementedError |" in half
