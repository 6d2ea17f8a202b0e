"""tools/grade.py against the attacks of issue 25, in ONE grading run beside honest submissions of every shape.

Run by ``make attacks`` (minutes: about fifteen submissions, each in its sandbox). The run must
finish with every row in grades.csv, a feedback file for each graded submission, no scratch
folder left behind; honest shapes keep their points unflagged; each forgery is flagged.
"""

import csv
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from grading_helpers import REPO_ROOT, append, write_student_files
from test_grading_intake import FORGERIES, PAYLOAD, patch_headers

from utils.internals.subtasks import STUDENT_FILES

pytestmark = [pytest.mark.instructor, pytest.mark.slow,
              pytest.mark.skipif(not os.environ.get("COURSE_ATTACKS"), reason="run by make attacks")]

SURROGATE = """
def _dense_layer(*args, **kwargs):
    raise ValueError("\\udcff")
"""

LEAKER = """
def _dense_layer(*args, **kwargs):
    raise ValueError("leak:" + "A" * 100_000)


def count_labels(*args, **kwargs):
    raise RuntimeError("leak:" + "B" * 100_000)
"""

NESTER = """
def count_labels(*args, **kwargs):
    import os
    start = os.getcwd()
    for _ in range(1200):
        os.mkdir("d")
        os.chdir("d")
    os.chdir(start)
    raise NotImplementedError("TODO 1b: count the labels")
"""

GETATTR_FORGERY = """
import torch

_modules = getattr(getattr(torch, "sys"), "mod" + "ules")
_calls = _modules["pytest"].CallInfo
_original = _calls.__init__


def _no_errors(self, *args, **kwargs):
    _original(self, *args, **kwargs)
    object.__setattr__(self, "excinfo", None)


setattr(_calls, "__in" + "it__", _no_errors)
"""


def _pickled_exec(code):
    escaped = code.replace("\\", "\\u005c").replace("\n", "\\u000a").encode("raw_unicode_escape")
    return b"cbuiltins\nexec\n(V" + escaped + b"\ntR."


def forgeries(base):
    """The issue's five forgeries, each a blank submission with the payload in fnn.py."""
    for name in ("bom", "latin-1", "utf-7", "getattr", "pickle"):
        folder = write_student_files(base / f"forgery-{name}")
        template = (folder / "fnn.py").read_text()
        if name == "bom":
            data = ("\ufeff" + template + "\n\n" + PAYLOAD).encode()
        elif name == "latin-1":
            data = ("# -*- coding: latin-1 -*-\n" + template + "\n\n" + PAYLOAD + "\n# caf\xe9\n").encode("latin-1")
        elif name == "utf-7":
            hidden = "".join("+AAo-" if char == "\n" else char for char in PAYLOAD)
            data = ("# coding: utf-7\n" + template).encode("utf-7") + b"\n# " + hidden.encode() + b"\n"
        elif name == "getattr":
            data = (template + "\n\n" + GETATTR_FORGERY).encode()
        else:
            data = (template + f"\n\nimport pickle\n\npickle.loads({_pickled_exec(PAYLOAD)!r})\n").encode()
        (folder / "fnn.py").write_bytes(data)
    assert set(FORGERIES) == {"bom", "latin-1", "utf-7", "getattr", "pickle"}


def zip_folder(folder, path, prefix="", backslashes=False):
    with zipfile.ZipFile(path, "w") as archive:
        for file in STUDENT_FILES:
            name = prefix + file
            member = zipfile.ZipInfo(name.replace("/", "\\") if backslashes else name)
            if backslashes:
                member.create_system, member.external_attr = 0, 0x20
            archive.writestr(member, (folder / file).read_bytes())
    return path


def honest_shapes(base, scratch):
    clone = write_student_files(base / "clone", ("1a", "2a"))
    (clone / ".git" / "objects").mkdir(parents=True)
    (clone / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    venv = clone / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to("/usr/bin/python3")
    packages = venv / "lib" / "site-packages"
    packages.mkdir(parents=True)
    for number in range(30_500):
        (packages / f"m{number}.py").touch()
    (clone / "data").symlink_to(REPO_ROOT / "data")
    mac = write_student_files(scratch / "mac", ("1a",))
    with zipfile.ZipFile(base / "macos.zip", "w") as archive:
        for file in STUDENT_FILES:
            archive.writestr(f"session01/{file}", (mac / file).read_bytes())
            archive.writestr(f"__MACOSX/session01/._{Path(file).name}", b"\x00\x05\x16\x07")
        link = zipfile.ZipInfo("session01/.venv/bin/python")
        link.create_system, link.external_attr = 3, 0o120777 << 16
        archive.writestr(link, "/usr/bin/python3")
    zip_folder(write_student_files(scratch / "win", ("1b",)), base / "windows.zip", "session01/", backslashes=True)
    write_student_files(base / "nested" / "session01-nested", ("4a",))


def damaged_zips(base, scratch):
    blank = write_student_files(scratch / "blank")
    for name in ("crc", "encrypted", "method9", "badname"):
        path = zip_folder(blank, base / f"{name}.zip")
        if name == "crc":
            data = bytearray(path.read_bytes())
            at = data.find(b"def ") + 4
            data[at] ^= 0x01
            path.write_bytes(bytes(data))
        elif name == "encrypted":
            patch_headers(path, "fnn.py", flags=0x1)
        elif name == "method9":
            patch_headers(path, "fnn.py", method=9)
        else:
            with zipfile.ZipFile(path, "a") as archive:
                archive.writestr("notes.txt", "n")
            patch_headers(path, "notes.txt", flags=0x800, new_name=b"n\xfftes.txt")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    from grader import sandbox

    problem = sandbox.check_mode("bwrap")
    if problem:
        pytest.skip(f"no sandbox can be made here, so hostile code is not run: {problem}")
    base = tmp_path_factory.mktemp("attacks")
    subs, scratch = base / "submissions", base / "scratch"
    subs.mkdir()
    honest_shapes(subs, scratch)
    damaged_zips(subs, scratch)
    forgeries(subs)
    linked = write_student_files(subs / "linkname")
    os.symlink("/etc/passwd", os.fsencode(linked) + b"/l\xffnk")
    append(write_student_files(subs / "surrogate") / "fnn.py", SURROGATE)
    append(write_student_files(subs / "deep") / "fnn.py", "DEEP = " + " + ".join(["1"] * 900) + "\n")
    append(write_student_files(subs / "nester") / "01_main.py", NESTER)
    append(write_student_files(subs / "leaker") / "fnn.py", LEAKER)
    write_student_files(subs / "alice", ("1a",))
    write_student_files(subs / "@alice")
    scratch_root = base / "tmp"  # the grader's scratch folders go here, apart from other runs on this machine
    scratch_root.mkdir()
    out = base / "out"
    result = subprocess.run([sys.executable, str(REPO_ROOT / "tools" / "grade.py"), str(subs), "--out", str(out),
                             "--no-progress", "--test-timeout", "60"], capture_output=True, text=True, timeout=3600,
                            env={**os.environ, "TMPDIR": str(scratch_root)})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    left = list(scratch_root.iterdir())
    shutil.rmtree(scratch)
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        rows = {row["submission"]: row for row in csv.DictReader(handle)}
    return out, result, rows, left


def test_the_run_ends_with_every_row_and_no_scratch_folder(graded):
    out, result, rows, left = graded
    assert left == [], "a scratch folder was left behind"
    assert len(rows) == 20, sorted(rows)
    assert (out / "summary.txt").is_file()
    for name, row in rows.items():
        if not row["status"].startswith(("refused", "unreadable")):
            feedback = (out / "feedback" / f"{name}.md").read_text(encoding="utf-8")
            assert feedback.startswith(f"# Feedback: {name}")


def test_honest_submissions_of_every_shape_keep_their_points_unflagged(graded):
    _, _, rows, _ = graded
    for name, earned in (("clone", {"1a": 1, "2a": 2}), ("macos", {"1a": 1}), ("windows", {"1b": 1}),
                         ("nested", {"4a": 1})):
        row = rows[name]
        assert row["status"] == "ok" and row["review"] == "", row
        assert float(row["total"]) == sum(earned.values()), row
        assert all(float(row[tag]) == points for tag, points in earned.items()), row


def test_damaged_zips_are_unreadable_with_their_reason(graded):
    _, _, rows, _ = graded
    for name, reason in (("crc", "BadZipFile"), ("encrypted", "encrypted"), ("method9", "compression method"),
                         ("badname", "not UTF-8")):
        assert rows[name]["status"].startswith("unreadable") and reason in rows[name]["status"], rows[name]


def test_hostile_text_depth_and_nesting_cost_only_their_own_submission(graded):
    out, _, rows, _ = graded
    for name in ("linkname", "surrogate", "deep", "leaker"):
        assert rows[name]["status"] == "ok", rows[name]
        assert float(rows[name]["total"]) == 0
    assert rows["deep"]["review"] == ""
    assert rows["nester"]["status"] != "", rows["nester"]
    feedback = (out / "feedback" / "leaker.md").read_text(encoding="utf-8")
    assert "leak:AAAA" in feedback and "A" * 400 not in feedback and len(feedback) < 8000, len(feedback)
    assert len((out / "leaker" / "results.json").read_text()) < 16_000


def test_every_forgery_is_flagged_with_file_and_line(graded):
    _, result, rows, _ = graded
    for name in ("bom", "latin-1", "utf-7", "getattr", "pickle"):
        row = rows[f"forgery-{name}"]
        assert row["review"].startswith("flagged: fnn.py:"), row
        assert f"  forgery-{name}: fnn.py:" in result.stdout
    assert "source encoding iso-8859-1" in rows["forgery-latin-1"]["review"]
    assert "source encoding utf-7" in rows["forgery-utf-7"]["review"]


def test_names_giving_one_row_are_refused_together_and_named(graded):
    _, result, rows, _ = graded
    for name in ("alice", "@alice"):
        assert rows[name]["status"].startswith("refused: its name and"), rows[name]
        assert f"refused: {name}: " in result.stdout
