"""The assignment's description (``assignment.toml`` at the repository's root), read once.

Generic: it knows no assignment. The pytest markers, the progress table, the main script's
hints, the README and release tables, the templates, the grading points and the data the grader
ships all come from the description this module reads. Instructors change points there.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DESCRIPTION = "assignment.toml"


@dataclass(frozen=True)
class Subtask:
    tag: str            # as written in the TODO comments: "2a", "bonus_b"
    title: str          # a few words for tables and messages
    file: str           # the student's file that holds the TODO, relative to the repository
    function: str       # where in that file
    needs: tuple = ()   # subtasks whose code this one's checks run as well
    points: float = 1.0

    @property
    def marker(self):
        """The pytest marker: ``task2a`` for core subtasks, ``bonus_b`` for bonus ones."""
        return self.tag if self.is_bonus else f"task{self.tag}"

    @property
    def is_bonus(self):
        return self.tag.startswith("bonus_")

    @property
    def check(self):
        """The one check command of this subtask, e.g. ``python -m pytest -m task2a``.

        In the course repository, which also holds the reference solutions, the tests check the
        reference unless told ``--impl student``; in the students' release that is the default.
        """
        extra = " --impl student" if (REPO_ROOT / "solutions").is_dir() else ""
        return f"python -m pytest{extra} -m {self.marker}"


@dataclass(frozen=True)
class Assignment:
    """What ``assignment.toml`` says, with paths relative to ``root``."""

    root: Path
    subtasks: tuple
    settings: dict = field(default_factory=dict)   # the [assignment] table
    data: dict = field(default_factory=dict)       # the [data] table: folder, sha256

    def path(self, key):
        """The path a setting names, e.g. ``path("hidden_checks")``; None where it is not set."""
        value = self.settings.get(key)
        return None if value is None else self.root / value

    @property
    def student_files(self):
        return tuple(dict.fromkeys(subtask.file for subtask in self.subtasks))


def load(root=REPO_ROOT):
    """The description of the assignment rooted at ``root``."""
    root = Path(root)
    with open(root / DESCRIPTION, "rb") as file:
        raw = tomllib.load(file)
    subtasks = tuple(Subtask(entry["tag"], entry["title"], entry["file"], entry["function"],
                             tuple(entry.get("needs", ())), float(entry.get("points", 1)))
                     for entry in raw.get("subtask", ()))
    return Assignment(root, subtasks, raw.get("assignment", {}), raw.get("data", {}))


ASSIGNMENT = load()
SUBTASKS = ASSIGNMENT.subtasks
BY_TAG = {subtask.tag: subtask for subtask in SUBTASKS}
BY_MARKER = {subtask.marker: subtask for subtask in SUBTASKS}
STUDENT_FILES = ASSIGNMENT.student_files


def student_file(path):
    """Which student file ``path`` is: ``(relative path, is_reference)``, e.g.
    ``("fnn.py", False)`` for the template and ``("fnn.py", True)`` for ``solutions/fnn.py``;
    None for any other file. The one place that recognises the student's files by their path."""
    relative = _relative(path)
    if relative is None:
        return None
    reference = relative.startswith("solutions/")
    relative = relative.removeprefix("solutions/")
    return (relative, reference) if relative in STUDENT_FILES else None


def from_reference(path):
    """Whether ``path`` is part of the reference solutions (``solutions/``)."""
    return (_relative(path) or "").startswith("solutions/")


def _relative(path):
    try:
        return Path(path).resolve().relative_to(REPO_ROOT).as_posix()
    except (ValueError, OSError):
        return None


def order(tag):
    """Position of a subtask in the assignment (the key to sort tags by); unknown tags go last."""
    return next((index for index, subtask in enumerate(SUBTASKS) if subtask.tag == tag), len(SUBTASKS))
