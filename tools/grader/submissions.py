"""Reading submissions: which entries of a folder are submissions, and the student files in each.

Only the student files (the templates' paths) are ever taken, from the top of a submission or
from inside a single subfolder. Every file is read as a bounded regular file (never a link, a
FIFO or a device); a folder holding a link anywhere, or a zip with an unsafe member, is refused.
"""

from __future__ import annotations

import os
import re
import stat
import zipfile
from pathlib import Path, PurePosixPath

from utils.internals.subtasks import STUDENT_FILES

MAX_STUDENT_FILE = 2 << 20      # bytes; a student's .py file is a few kB
MAX_UNZIPPED = 500 << 20        # bytes, all members of a submitted zip together
MAX_MEMBERS = 20_000
MAX_FOLDER_ENTRIES = 20_000     # entries walked in a submitted folder
IGNORED_FOLDERS = {"__MACOSX", "__pycache__", ".git", ".venv", "venv", "data", "runs"}
# Names the grader writes into OUT beside the submissions' folders.
RESERVED_NAMES = {"grades.csv", "feedback", "summary.txt", "results.json", "outcomes.json", "output.txt",
                  "feedback.md"}


class SubmissionError(Exception):
    """A submission that cannot be read (an unsafe or oversized zip, a link, a clashing name)."""


def read_regular_file(path, limit):
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes, else None.

    Opened without following a link and without blocking (a FIFO would), then checked with fstat,
    so nothing a submission put there (a link to /dev/zero, a FIFO) can stall or flood the reader.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(descriptor, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        data = b"".join(chunks)
        return data if len(data) <= limit else None
    finally:
        os.close(descriptor)


def submission_entries(folder):
    """([(name, path)], [(name, reason)]): the submissions in ``folder``, and those refused by name.

    A sub-folder or a ``.zip`` is a submission, named after it (characters other than letters,
    digits, ``.``, ``_``, ``-`` become ``_``; a second entry of the same name gets ``-2``). Names
    equal but for case, and names the grader writes itself (``grades.csv``, ``feedback``), are
    refused: on a case-insensitive disk, or beside the gradebook, they would overwrite each other.
    """
    candidates = []
    for path in sorted(Path(folder).iterdir()):
        if path.name.startswith(".") or path.name in IGNORED_FOLDERS:
            continue
        if path.is_symlink():
            continue
        if path.is_dir():
            name = path.name
        elif path.is_file() and path.suffix.lower() == ".zip":
            name = path.stem
        else:
            continue
        candidates.append((re.sub(r"[^\w.-]+", "_", name).strip("._") or "submission", path))
    entries, refused, seen = [], [], set()
    for name, path in candidates:
        unique, count = name, 1
        while unique in seen:
            count += 1
            unique = f"{name}-{count}"
        seen.add(unique)
        entries.append((unique, path))
    by_case = {}
    for name, _ in entries:
        by_case.setdefault(name.lower(), []).append(name)
    kept = []
    for name, path in entries:
        twins = by_case[name.lower()]
        if name.lower() in RESERVED_NAMES:
            refused.append((name, f"refused: the name {path.name!r} is one the grader writes into the output "
                                  "folder; rename the submission"))
        elif len(twins) > 1:
            others = ", ".join(repr(twin) for twin in twins if twin != name)
            refused.append((name, f"refused: its name differs from {others} only in case; rename one of them"))
        else:
            kept.append((name, path))
    return kept, refused


def find_root(names, is_dir):
    """The prefix ("" or "sub/" or "sub/sub/") of ``names`` under which the student files lie.

    ``names``: every file's path relative to the submission, with "/" separators. The student
    files are at the top, or inside a single subfolder (ignored folders do not count), up to three
    levels down.
    """
    prefix = ""
    for _ in range(3):
        if any(prefix + file in names for file in STUDENT_FILES):
            return prefix
        subfolders = {name[len(prefix):].split("/")[0] for name in names
                      if name.startswith(prefix) and "/" in name[len(prefix):]}
        subfolders = {sub for sub in subfolders if sub not in IGNORED_FOLDERS and not sub.startswith(".")
                      and is_dir(prefix + sub)}
        if len(subfolders) != 1:
            return prefix
        prefix += subfolders.pop() + "/"
    return prefix


def read_folder(folder):
    """{student file: bytes} of a submitted folder; refuses a folder that holds a link anywhere."""
    root = Path(folder)
    names, folders, count = set(), set(), 0
    for current, subfolders, files in os.walk(root, followlinks=False):
        relative = Path(current).relative_to(root).as_posix()
        relative = "" if relative == "." else relative + "/"
        for entry in (*subfolders, *files):
            count += 1
            if count > MAX_FOLDER_ENTRIES:
                raise SubmissionError(f"the folder holds more than {MAX_FOLDER_ENTRIES} entries")
            if os.path.islink(os.path.join(current, entry)):
                raise SubmissionError(f"the submission holds a link ({relative}{entry}); hand in files, not links")
        folders.update(relative + sub for sub in subfolders)
        names.update(relative + file for file in files)
    prefix = find_root(names, lambda name: name in folders)
    found = {}
    for file in STUDENT_FILES:
        if prefix + file in names:
            data = read_regular_file(root / (prefix + file), MAX_STUDENT_FILE)
            if data is not None:
                found[file] = data
    return found


def read_zip(path):
    """{student file: bytes} of a submitted zip; refuses unsafe or oversized archives."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise SubmissionError(f"not a readable zip file ({error})") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise SubmissionError(f"the zip holds {len(members)} entries (at most {MAX_MEMBERS})")
        if sum(member.file_size for member in members) > MAX_UNZIPPED:
            raise SubmissionError(f"the zip unpacks to more than {MAX_UNZIPPED >> 20} MB")
        names = {}
        for member in members:
            name = member.filename.replace("\\", "/")
            parts = PurePosixPath(name).parts
            if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in parts:
                raise SubmissionError(f"unsafe path in the zip: {member.filename!r}")
            if (member.external_attr >> 16) & 0o170000 == 0o120000:
                raise SubmissionError(f"the zip holds a link ({member.filename}); hand in files, not links")
            if not member.is_dir():
                names[name] = member
        folders = {"/".join(name.split("/")[:depth]) for name in names for depth in range(1, name.count("/") + 1)}
        prefix = find_root(set(names), lambda name: name in folders)
        found = {}
        for file in STUDENT_FILES:
            member = names.get(prefix + file)
            if member is not None and member.file_size <= MAX_STUDENT_FILE:
                with archive.open(member) as handle:
                    data = handle.read(MAX_STUDENT_FILE + 1)
                if len(data) <= MAX_STUDENT_FILE:
                    found[file] = data
        return found


def student_files(path):
    """{student file: bytes} of one submission (a folder or a zip)."""
    path = Path(path)
    if path.is_symlink():
        raise SubmissionError("the submission is a link; hand in a folder or a zip")
    return read_zip(path) if path.is_file() else read_folder(path)
