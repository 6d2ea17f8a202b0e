"""Where in a submission its student files lie, and which places the grader judges.

The student files (``utils.internals.subtasks.STUDENT_FILES``) lie at the top of a submission or inside
one subfolder, up to three levels down. Folders the grader skips (``.git``, ``.venv``,
``__MACOSX``, ``data``, ...) are never searched; where several subfolders could hold the work,
the one with a student file at its top is taken.
"""

from __future__ import annotations

from utils.internals.subtasks import STUDENT_FILES

IGNORED_FOLDERS = {"__MACOSX", "__pycache__", ".git", ".venv", "venv", "env", "data", "runs", "node_modules"}
DEPTH = 3


def skipped(name):
    return name in IGNORED_FOLDERS or name.startswith(".")


def choose_root(is_present, is_dir, children):
    """The prefix ("", "sub/", "sub/sub/") of the student files.

    ``is_present(path)``: something not a folder is at ``path`` (a file, or a link);
    ``is_dir(path)``: a real folder (not a link) is there; ``children(prefix)``: names in that folder.
    """
    prefix = ""
    for _ in range(DEPTH):
        if any(is_present(prefix + file) for file in STUDENT_FILES):
            return prefix
        subfolders = [name for name in sorted(children(prefix)) if not skipped(name) and is_dir(prefix + name)]
        if len(subfolders) > 1:
            subfolders = [name for name in subfolders
                          if any(is_present(f"{prefix}{name}/{file}") for file in STUDENT_FILES)]
        if len(subfolders) != 1:
            return prefix
        prefix += subfolders[0] + "/"
    return prefix


def student_paths(prefix, files_only=False):
    """The student files under ``prefix`` (relative to it, when ``files_only``), else every place where
    a student file or one of its folders lies, from the submission's top: the places links are judged."""
    if files_only:
        return list(STUDENT_FILES)
    places = []
    parts = [part for part in prefix.split("/") if part]
    places += ["/".join(parts[:depth]) for depth in range(1, len(parts) + 1)]
    for file in STUDENT_FILES:
        pieces = file.split("/")
        places += [prefix + "/".join(pieces[:depth]) for depth in range(1, len(pieces) + 1)]
    return list(dict.fromkeys(places))
