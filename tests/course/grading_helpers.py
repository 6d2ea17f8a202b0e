"""Submissions for the grading tests: blank or solved student files, and code appended to them."""

import shutil
import subprocess
import sys
from pathlib import Path

from utils.internals.subtasks import BY_TAG, STUDENT_FILES, SUBTASKS

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tools"))
import make_templates  # noqa: E402

ALL = [subtask.tag for subtask in SUBTASKS]


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


def grade_run(submissions, out, *options, timeout=900):
    """Run tools/grade.py as an instructor would; return (out, the finished process)."""
    result = subprocess.run([sys.executable, str(REPO_ROOT / "tools" / "grade.py"), str(submissions),
                             "--out", str(out), *options], capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out, result


def points(row, tags=ALL):
    return {tag: float(row[tag]) for tag in tags}


def full(tags):
    return {tag: float(BY_TAG[tag].points) for tag in tags}


def process_state(pid):
    """``R``, ``S``, ... of a live process, ``Z`` of a killed one not yet reaped, None when gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def processes_with(marker):
    """Live (not zombie) processes whose command line holds ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes() and process_state(entry.name) != "Z":
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def measured_ids(folder):
    """ids.json for ``grade.py --expected``: the test ids of a fresh release and each test's time on the solutions."""
    import release
    from grader import expected, timing

    folder.mkdir(parents=True, exist_ok=True)
    ids = folder / "ids.json"
    subprocess.run([sys.executable, str(REPO_ROOT / "tools" / "grade.py"), "--collect", str(ids)], check=True,
                   capture_output=True, timeout=600)
    hidden = REPO_ROOT / "tests" / "grading"
    hidden = hidden if hidden.is_dir() else None
    tests = expected.load(ids, hidden)
    release.write_release(folder / "release")
    (folder / "plugin").mkdir()
    shutil.copyfile(REPO_ROOT / "tools" / "grading_plugin.py", folder / "plugin" / "grading_plugin.py")
    tests.seconds = timing.measure(tests, folder / "release", folder / "plugin", hidden, REPO_ROOT / "solutions",
                                   REPO_ROOT / "data" / "MNIST" / "raw")
    expected.save(tests, ids)
    return ids
