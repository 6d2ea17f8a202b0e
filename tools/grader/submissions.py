"""Reading submissions: which entries of a folder are submissions, and the student files in each.

Only the student files (the templates' paths) are ever taken, from the top of a submission or
from inside one subfolder (``grader.layout``). Every file is read as a bounded regular file
(never a link, a FIFO or a device). Links, and the number of entries in a folder, are judged
only where a student file or one of its folders lies: a ``.venv`` full of links, a linked
``data/`` or a ``.git`` of any size is skipped, neither read nor refused. Zips: ``grader.zips``.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from grader import layout, zips
from grader.layout import IGNORED_FOLDERS  # noqa: F401 - part of this module's interface
from grader.safe import clean

MAX_STUDENT_FILE = 2 << 20      # bytes; a student's .py file is a few kB
MAX_FOLDER_ENTRIES = 20_000     # entries of one folder the root search lists
MAX_NAME = 100                  # characters of a gradebook row's name
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


def row_name(entry_name):
    """The gradebook row of a folder or zip name: letters, digits, ``.``, ``_``, ``-``; never empty."""
    name = re.sub(r"[^\w.-]+", "_", clean(entry_name, 4 * MAX_NAME, newlines=False)).strip("._-")
    return name[:MAX_NAME].rstrip("._-") or "submission"


def submission_entries(folder):
    """([(name, path)], [(name, reason)]): the submissions in ``folder``, and those refused by name.

    A sub-folder or a ``.zip`` is a submission, named after it (``row_name``). Entries whose names
    give the same row, ignoring case (``alice``, ``@alice``, `` alice``, ``Alice.zip``), are refused
    together, each under its own name, never renamed: on a case-insensitive disk, or in the
    gradebook, one would take the other's place. Names the grader writes itself are refused too.
    """
    candidates = []
    for path in sorted(Path(folder).iterdir()):
        if path.name.startswith(".") or path.name in IGNORED_FOLDERS or path.is_symlink():
            continue
        if path.is_dir():
            stem = path.name
        elif path.is_file() and path.suffix.lower() == ".zip":
            stem = path.stem
        else:
            continue
        candidates.append((row_name(stem), path))
    groups = {}
    for name, path in candidates:
        groups.setdefault(name.lower(), []).append((name, path))
    kept, refused = [], []
    for name, path in candidates:
        group = groups[name.lower()]
        shown = clean(path.name, MAX_NAME, newlines=False)
        if len(group) > 1:
            others = ", ".join(repr(clean(other.name, MAX_NAME, newlines=False)) for _, other in group if other != path)
            if len({other.name.lower() for _, other in group}) == 1:
                why = f"its name differs from {others} only in case; rename one of them"
            else:
                why = (f"its name and {others} give the same gradebook row {name!r}; rename them so that each "
                       "student has a row of their own")
            refused.append((shown, f"refused: {why}"))
        elif name.lower() in RESERVED_NAMES:
            refused.append((name, f"refused: the name {shown!r} is one the grader writes into the output "
                                  "folder; rename the submission"))
        else:
            kept.append((name, path))
    return kept, refused


def _kind(path):
    """"dir", "link", "file" (anything else that is there) or None, without following a link."""
    try:
        mode = os.lstat(path).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISLNK(mode):
        return "link"
    return "dir" if stat.S_ISDIR(mode) else "file"


def _lister(root):
    def children(prefix):
        names = []
        try:
            with os.scandir(root / prefix if prefix else root) as entries:
                for entry in entries:
                    names.append(entry.name)
                    if len(names) > MAX_FOLDER_ENTRIES:
                        raise SubmissionError(f"the folder {clean(prefix or '.', 200)!r} holds more than "
                                              f"{MAX_FOLDER_ENTRIES} entries")
        except OSError:
            return []
        return names
    return children


def read_folder(folder):
    """{student file: bytes} of a submitted folder; refuses a link where a student file or its folder lies."""
    root = Path(folder)
    prefix = layout.choose_root(lambda name: _kind(root / name) in ("file", "link"),
                                lambda name: _kind(root / name) == "dir", _lister(root))
    for place in layout.student_paths(prefix):
        if _kind(root / place) == "link":
            raise SubmissionError(f"the submission holds a link ({clean(place, 200)}); hand in files, not links")
    found = {}
    for file in layout.student_paths(prefix, files_only=True):
        data = read_regular_file(root / (prefix + file), MAX_STUDENT_FILE)
        if data is not None:
            found[file] = data
    return found


def read_zip(path):
    """{student file: bytes} of a submitted zip; refuses one too large, damaged, or with a link in place."""
    try:
        return zips.read_zip(path, MAX_STUDENT_FILE)
    except zips.ZipRefused as error:
        raise SubmissionError(clean(str(error), 300)) from None
    except OSError as error:
        raise SubmissionError(f"not a readable zip file ({type(error).__name__})") from None


def student_files(path):
    """{student file: bytes} of one submission (a folder or a zip)."""
    path = Path(path)
    if path.is_symlink():
        raise SubmissionError("the submission is a link; hand in a folder or a zip")
    return read_zip(path) if path.is_file() else read_folder(path)
