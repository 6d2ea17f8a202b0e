"""tools/grader: reading submissions of every shape, their names, the review scan, safe text and clean-up.

Fast: no sandbox and no pytest run. The same attacks, graded end to end beside honest
submissions, are in test_grading_attacks.py (``make attacks``).
"""

import os
import struct
import sys
import zipfile
from pathlib import Path

import pytest
from grading_helpers import REPO_ROOT, write_student_files

from utils.internals.subtasks import STUDENT_FILES, SUBTASKS

sys.path.insert(0, str(REPO_ROOT / "tools"))
import grade  # noqa: E402
from grader import reports, safe, scan, submissions, zips  # noqa: E402

pytestmark = pytest.mark.instructor


# ---------------------------------------------------------------------------------------------
# Zips that are damaged or odd: each costs only its own submission, with the reason


def make_zip(path, members, method=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return path


def patch_headers(path, name, flags=0, method=None, new_name=None):
    """Change ``name``'s general-purpose flags, compression method or name bytes in both of its headers."""
    data = bytearray(Path(path).read_bytes())
    encoded = name.encode()
    for signature, flag_at, method_at, name_at in ((b"PK\x03\x04", 6, 8, 30), (b"PK\x01\x02", 8, 10, 46)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            if data[start + name_at:start + name_at + len(encoded)] == encoded:
                old_flags = struct.unpack_from("<H", data, start + flag_at)[0]
                struct.pack_into("<H", data, start + flag_at, old_flags | flags)
                if method is not None:
                    struct.pack_into("<H", data, start + method_at, method)
                if new_name is not None:
                    data[start + name_at:start + name_at + len(encoded)] = new_name
            start += 4
    Path(path).write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("damage, reason", [
    ("crc", "fnn.py in the zip cannot be read (BadZipFile"),
    ("encrypted", "fnn.py in the zip is encrypted"),
    ("method9", "fnn.py in the zip uses a compression method Python cannot read (9)"),
    ("name", "a name marked UTF-8 is not UTF-8"),
])
def test_a_damaged_zip_is_unreadable_with_its_reason(tmp_path, damage, reason):
    path = make_zip(tmp_path / "z.zip", {"fnn.py": "x = 1\n", "01_main.py": "y = 2\n", "name.txt": "n"})
    if damage == "crc":
        data = path.read_bytes()
        path.write_bytes(data.replace(b"x = 1", b"x = 7", 1))
    elif damage == "encrypted":
        patch_headers(path, "fnn.py", flags=0x1)
    elif damage == "method9":
        patch_headers(path, "fnn.py", method=9)
    else:
        patch_headers(path, "name.txt", flags=0x800, new_name=b"n\xffme.txt")
    with pytest.raises(submissions.SubmissionError) as error:
        grade.student_files(path)
    assert reason in str(error.value)


def test_a_zip_of_too_many_entries_is_refused_before_its_directory_is_read(tmp_path, monkeypatch):
    path = make_zip(tmp_path / "many.zip", {f"junk/{number}": "" for number in range(50)} | {"fnn.py": "x"})
    monkeypatch.setattr(zips, "MAX_ZIP_ENTRIES", 20)
    monkeypatch.setattr(zips.zipfile, "ZipFile", lambda *args, **kwargs: pytest.fail("the directory was read"))
    with pytest.raises(submissions.SubmissionError, match="holds 51 entries"):
        grade.student_files(path)
    monkeypatch.setattr(zips, "MAX_ZIP_ENTRIES", 100)
    monkeypatch.setattr(zips, "MAX_ZIP_DIRECTORY", 100)
    with pytest.raises(submissions.SubmissionError, match="directory is 0 MB"):
        grade.student_files(path)


def test_a_macos_zip_with_links_outside_the_student_files_is_read(tmp_path):
    path = tmp_path / "mac.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for file in STUDENT_FILES:
            archive.writestr(f"session01/{file}", f"# {file}\n")
            archive.writestr(f"__MACOSX/session01/._{Path(file).name}", b"\x00\x05\x16\x07")
        archive.writestr("session01/._fnn.py", b"\x00\x05\x16\x07")
        for name in ("session01/.venv/bin/python", "session01/data"):
            link = zipfile.ZipInfo(name)
            link.create_system, link.external_attr = 3, 0o120777 << 16
            archive.writestr(link, "/usr/bin/python3")
    found = grade.student_files(path)
    assert sorted(found) == sorted(STUDENT_FILES) and found["fnn.py"] == b"# fnn.py\n"


def test_a_zip_with_a_link_where_a_student_file_lies_is_refused(tmp_path):
    path = tmp_path / "linked.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("fnn.py", "x")
        link = zipfile.ZipInfo("utils/network_trainer.py")
        link.create_system, link.external_attr = 3, 0o120777 << 16
        archive.writestr(link, "../../other/utils/network_trainer.py")
    with pytest.raises(submissions.SubmissionError, match=r"holds a link \(utils/network_trainer.py\)"):
        grade.student_files(path)


def test_a_windows_zip_with_backslashes_is_read(tmp_path):
    path = tmp_path / "win.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in {"alice\\fnn.py": "f", "alice\\utils\\network_trainer.py": "t"}.items():
            member = zipfile.ZipInfo(name)
            member.create_system, member.external_attr = 0, 0x20
            archive.writestr(member, text)
    assert grade.student_files(path) == {"fnn.py": b"f", "utils/network_trainer.py": b"t"}


# ---------------------------------------------------------------------------------------------
# Folders in the shapes students hand in


def test_a_clone_with_git_venv_links_thousands_of_files_and_a_linked_data_folder_is_read(tmp_path):
    folder = write_student_files(tmp_path / "alice" / "session01-alice", ("1a",))
    venv = folder / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to("/usr/bin/python3")
    packages = venv / "lib" / "site-packages"
    packages.mkdir(parents=True)
    for number in range(30_500):
        (packages / f"m{number}.py").touch()
    (folder / ".git" / "objects").mkdir(parents=True)
    (folder / "data").symlink_to(tmp_path)
    (folder / "notes").mkdir()
    os.symlink("/etc/passwd", os.fsencode(folder / "notes") + b"/l\xffnk")
    (folder / "runs").mkdir()
    found = grade.student_files(tmp_path / "alice")
    assert sorted(found) == sorted(STUDENT_FILES)
    assert found["01_main.py"] == (folder / "01_main.py").read_bytes()


def test_a_folder_of_too_many_entries_where_the_files_lie_is_refused(tmp_path, monkeypatch):
    folder = tmp_path / "wide"
    folder.mkdir()
    for number in range(30):
        (folder / f"f{number}").touch()
    monkeypatch.setattr(submissions, "MAX_FOLDER_ENTRIES", 20)
    with pytest.raises(submissions.SubmissionError, match="holds more than 20 entries"):
        grade.student_files(folder)


def test_a_nested_folder_beside_an_unrelated_one_is_found(tmp_path):
    folder = write_student_files(tmp_path / "bob" / "session01")
    (tmp_path / "bob" / "screenshots").mkdir()
    (tmp_path / "bob" / "screenshots" / "a.png").write_bytes(b"png")
    assert sorted(grade.student_files(tmp_path / "bob")) == sorted(STUDENT_FILES)
    assert grade.student_files(tmp_path / "bob")["fnn.py"] == (folder / "fnn.py").read_bytes()


# ---------------------------------------------------------------------------------------------
# Names: one row per student, never taken by another entry


def test_names_that_give_the_same_row_are_refused_together_and_named_in_the_summary(tmp_path):
    for name in ("alice", "@alice", "_alice", " alice", "bob"):
        (tmp_path / name).mkdir()
    make_zip(tmp_path / "Alice.zip", {"fnn.py": ""})
    os.mkdir(os.fsencode(tmp_path) + b"/c\xffrol")
    kept, refused = grade.submission_entries(tmp_path)
    assert [name for name, _ in kept] == ["bob", "c_rol"]
    reasons = dict(refused)
    assert set(reasons) == {"alice", "@alice", "_alice", " alice", "Alice.zip"}
    assert "same gradebook row 'alice'" in reasons["@alice"] and "'alice'" in reasons["@alice"]
    results = [grade.refused(name, reason, "bwrap") for name, reason in refused]
    text = reports.summary(results, 1.0, "sandbox: test")
    assert all(f"refused: {name}: " in text for name in reasons)


def test_a_long_name_is_cut_to_a_row_that_fits_a_file_name():
    assert len(submissions.row_name("x" * 400)) == submissions.MAX_NAME
    assert submissions.row_name("@@@") == "submission"


# ---------------------------------------------------------------------------------------------
# The review scan: read as Python reads it, an allow-list


def test_no_reference_student_file_raises_a_flag():
    """The reference versions of the files students hand in (the instructors' own scripts are not graded)."""
    files = [REPO_ROOT / "solutions" / name for name in STUDENT_FILES]
    assert all(path.is_file() for path in files)
    for path in files:
        assert scan.scan_files({str(path.relative_to(REPO_ROOT)): path.read_bytes()}) == [], path


PAYLOAD = """import pytest

_original = pytest.CallInfo.__init__


def _no_errors(self, *args, **kwargs):
    _original(self, *args, **kwargs)
    object.__setattr__(self, "excinfo", None)


pytest.CallInfo.__init__ = _no_errors
"""

FORGERIES = {
    "bom": ("\ufeff" + PAYLOAD).encode(),
    "latin-1": b"# -*- coding: latin-1 -*-\nNAME = '\xe9'\n",
    "utf-7": b"# coding: utf-7\n# +AAo-import pytest+AAo-pytest.CallInfo.+AF8AXw-init+AF8AXw- = print\n",
    "getattr": b"import torch\nmodules = getattr(getattr(torch, 'sys'), 'mod' + 'ules')\n",
    "pickle": b"import pickle\npickle.loads(b'cbuiltins\\nexec\\n(Vprint(1)\\ntR.')\n",
}


@pytest.mark.parametrize("name", FORGERIES)
def test_each_forgery_of_the_issue_is_flagged_with_file_and_line(name):
    flags = scan.scan_files({"fnn.py": FORGERIES[name]})
    assert flags and all(flag.startswith("fnn.py:") for flag in flags), flags


@pytest.mark.parametrize("code, found", [
    ("import torch\nx = torch.sys", ".sys"), ("import os\nm = os.sys.modules", "os.sys"),
    ("import numpy as np\nnp.os.system('x')", ".os"), ("x = ().__class__.__base__.__subclasses__()", "__class__"),
    ("g = getattr\n", "getattr used as a value"), ("import torch\nf = getattr(torch, name)", "computed name"),
    ("setattr(obj, 'x' + 'y', 1)", "computed name"),
    ("import torch\ntorch.load('w.pt', weights_only=False)", "unpickles"),
    ("import marshal", "marshal"), ("import codecs", "codecs"), ("import base64", "base64"), ("import zlib", "zlib"),
    ("import importlib", "importlib"), ("x = eval('1')", "eval()"), ("c = compile('1', 'f', 'eval')", "compile()"),
    ("m = __import__('os')", "__import__"), ("import torch\ntorch._C._set_x(1)", "private part of torch"),
    ("import torch\ntorch.serialization.pickle.loads(b'')", ".pickle"), ("from os import sys", "from os import sys"),
    ("x = vars(torch)", "vars()"), ("Net.__init__ = f", ".__init__ assigned"),
    ("import torch\ntorch.utils.cpp_extension.load_inline('m', '')", ".cpp_extension"),
])
def test_code_outside_the_allow_list_is_flagged(code, found):
    flags = scan.scan_files({"fnn.py": code.encode()})
    assert any(found in flag for flag in flags), flags


HONEST = '''"""A student's fnn.py, with the usual Python a course sees."""
from dataclasses import dataclass
import torch
import torch.nn as nn


@dataclass
class Shape:
    width: int = 500


class FNN(torch.nn.Module):
    def __init__(self, sizes=(784, 500, 10), activation="ReLU"):
        super().__init__()
        self.layers = torch.nn.ModuleList([nn.Linear(a, b) for a, b in zip(sizes, sizes[1:])])
        self.activation = getattr(nn, activation)()
        self.__hidden = {i: layer for i, layer in enumerate(self.layers)}

    def forward(self, x):
        for index, layer in enumerate(self.layers):
            x = layer(x)
            if index < len(self.layers) - 1:
                x = self.activation(x)
        return x

    def __repr__(self):
        return f"{type(self).__name__}({len(self.layers)} layers, {sum(p.numel() for p in self.parameters())})"


if __name__ == "__main__":
    print(FNN(), list(FNN().modules()), FNN.__doc__, __file__)
    print(f"true {1} / pred {2} ({0.5:.0%})", "{} of {}".format(1, 2), " / ")
    import sys
    sys.exit(0)
'''


# The second attacker's routes: a module under another name, a course module's import, a match pattern, a
# string annotation, loads whose options are hidden, a replaced library function, format fields, odd paths.
SECOND_ROUND = {
    "alias": ("import sys\n_s = sys\n_s._getframe(0).f_builtins['exec']('x = 1')\n", "sys used as a value"),
    "course import": ("from fnn import sys as _s\nm = _s.modules\n", "from fnn import sys"),
    "match": ("import sys\nmatch sys:\n    case object(modules=m):\n        pass\n", "sys used as a value"),
    "match dunder": ("def f():\n    pass\nmatch f:\n    case object(__globals__=g):\n        pass\n", "__globals__"),
    "annotation": ("import typing\ndef f(x: 'exec(P)'):\n    pass\ntyping.get_type_hints(f)\n", "annotation"),
    "hidden kwargs": ("import numpy as np\nnp.load('f', **{'allow_pickle': True})\n", "load(**...)"),
    "computed flag": ("import torch\ntorch.load('f', weights_only=bool(0))\n", "without weights_only=True"),
    "library patched": ("import torch\ntorch.allclose = lambda *a, **k: True\n", "torch.allclose assigned"),
    "format field": ("x = '{0.__init__.__globals__}'.format(f)\n", "format field"),
    "path with a newline": ("p = '/proc/self/fd\\n'\n", "path outside"),
    "tuple": ("import sys\nm = [sys][0].modules\n", "sys used as a value"),
    "walrus": ("import os\nif (o := os):\n    pass\n", "os used as a value"),
    "lambda default": ("import sys\nf = lambda s=sys: s\n", "sys used as a value"),
    "code in a string": ("P = '''\nimport pytest\npytest.x = 1\n'''\n", "code in a string"),
}


@pytest.mark.parametrize("name", SECOND_ROUND)
def test_each_route_of_the_second_attacker_is_flagged(name):
    code, found = SECOND_ROUND[name]
    flags = scan.scan_files({"fnn.py": code.encode()})
    assert any(found in flag for flag in flags), flags


def test_honest_code_is_not_flagged():
    assert scan.scan_files({"fnn.py": HONEST.encode()}) == []
    assert scan.scan_files({"fnn.py": ("\ufeff" + HONEST).encode()}) == []
    assert scan.scan_files({"fnn.py": b"# -*- coding: utf-8 -*-\n" + HONEST.encode()}) == []


def test_what_cannot_be_read_walked_or_parsed_is_flagged_never_a_crash():
    long_sum = ("x = " + " + ".join(["1"] * 900) + "\n").encode()
    assert scan.scan_files({"fnn.py": long_sum}) == []  # Python imports it, and the walk has no depth limit
    nested = ("x = " + "[" * 5000 + "]" * 5000 + "\n").encode()
    assert scan.scan_files({"fnn.py": nested}) != []
    scan.scan_files({"fnn.py": ("x = " + "-" * 200_000 + "1\n").encode()})  # parsed or flagged, never raised
    assert "does not parse" in scan.scan_files({"fnn.py": b"def f(:\n"})[0]
    assert "does not decode" in scan.scan_files({"fnn.py": b"x = 1\ny = 2\nz = '\xff'\n"})[0]
    assert "cannot be read as Python" in scan.scan_files({"fnn.py": b"# coding: nonsense\n"})[0]
    assert scan.scan_files({"fnn.py": b"x = 1\x00\n"})


# ---------------------------------------------------------------------------------------------
# Text from a submission, and removing what it left


def test_submission_text_is_made_safe_and_short():
    assert safe.clean("a\udcffb\x1b[31mc\u202ed") == "a?b?[31mc?d"
    assert len(safe.clean("x" * 10_000)) == safe.MAX_MESSAGE
    message = safe.clean_message("ValueError: " + "y" * 5000 + "\nhint: use torch.nn.Linear")
    assert message.endswith("\nhint: use torch.nn.Linear") and len(message) < 2 * safe.MAX_MESSAGE + 10
    budget = safe.Budget(10)
    assert budget.take("12345", "cut") == "12345" and budget.take("123456", "cut") == "cut"


def test_a_deep_or_locked_tree_is_removed(tmp_path):
    top = tmp_path / "scratch"
    deep = os.fsencode(top)
    os.makedirs(deep)
    os.chdir(deep)
    try:
        for _ in range(1200):
            os.mkdir(b"d")
            os.chdir(b"d")
        Path("file").write_text("x")
    finally:
        os.chdir(REPO_ROOT)
    locked = top / "locked"
    (locked / "inner").mkdir(parents=True)
    (locked / "inner" / "f").write_text("x")
    locked.chmod(0)
    safe.remove_tree(top)
    assert not top.exists()


# ---------------------------------------------------------------------------------------------
# One run, many submissions: whatever fails for one is its status; the gradebook is always written


class _Setup:
    def __init__(self, work, mode, *args):
        self.work, self.mode, self.release_dir, self.plugin_dir, self.hidden_dir = work, mode, work, work, None

    def expected(self):
        from grader.expected import Expected

        tags = {f"t::{subtask.tag}": [subtask.tag] for subtask in SUBTASKS}
        return Expected(tags, list(tags))

    def wait(self):
        pass


def test_a_failure_in_one_submission_is_its_status_and_the_class_is_graded(tmp_path, monkeypatch):
    from grader import runner
    from grader.runner import Checked

    def check_submission(files, *args):
        text = files.get("fnn.py", b"").decode()
        if "explode" in text:
            raise ValueError("\udcff boom")
        tests = {f"t::{subtask.tag}": {"status": "failed", "detail": "ValueError: \udcff" + "z" * 5000
                                       + "\nhint: read the sheet", "where": "fnn.py:1\x1b", "subtasks": [subtask.tag],
                                       "visibility": "visible"} for subtask in SUBTASKS}
        return Checked(tests=tests, output="out\udcff")

    monkeypatch.setattr(grade, "Setup", _Setup)
    monkeypatch.setattr(runner, "check_submission", check_submission)
    submissions_dir = tmp_path / "subs"
    for name, text in (("explodes", "explode"), ("surrogate", "x = 1"), ("fine", "y = 2")):
        (submissions_dir / name).mkdir(parents=True)
        (submissions_dir / name / "fnn.py").write_text(text)
    make_zip(submissions_dir / "crc.zip", {"fnn.py": "x = 1"})
    (submissions_dir / "crc.zip").write_bytes((submissions_dir / "crc.zip").read_bytes().replace(b"x = 1", b"x = 2"))
    before = set(Path("/tmp").glob("grading-*"))
    out = tmp_path / "out"
    results = {graded.name: graded for graded in grade.grade_all(submissions_dir, out, progress=False)}
    assert set(Path("/tmp").glob("grading-*")) == before, "the scratch folder is removed"
    assert results["explodes"].status == "grader error" and "ValueError" in results["explodes"].note
    assert results["crc"].status == "unreadable" and "BadZipFile" in results["crc"].note
    assert results["surrogate"].status == "ok"
    rows = (out / "grades.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) == 5
    for name in ("explodes", "surrogate", "fine"):
        feedback = (out / "feedback" / f"{name}.md").read_text(encoding="utf-8")
        assert "\udcff" not in feedback and "\x1b" not in feedback
        assert len(feedback) < 4 * 1024 + 3000, len(feedback)
        results_json = (out / name / "results.json").read_text()
        assert len(results_json) < 16 * 1024
