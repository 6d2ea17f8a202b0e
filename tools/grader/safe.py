"""Making what a submission controls safe to write, and removing what it left behind.

Text from a submission (its names, its exception messages) may hold lone surrogates, control
characters or megabytes; ``clean`` makes it printable UTF-8 of bounded length. ``remove_tree``
deletes a scratch folder however deep, wide or locked a submission made it.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess

MAX_MESSAGE = 300           # characters of one message from a submission shown in feedback
MAX_FEEDBACK_TEXT = 4000    # characters of all its messages together, per submission

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def clean(text, limit=MAX_MESSAGE, newlines=True):
    """``text`` as printable UTF-8 of at most ``limit`` characters (a cut is marked with "...")."""
    text = str(text)
    if len(text) > 4 * limit:
        text = text[:4 * limit]
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates become "?"
    text = _CONTROL.sub("?", text.replace("\r\n", "\n").replace("\t", " "))
    if not newlines:
        text = text.replace("\n", " ")
    return text if len(text) <= limit else text[:max(0, limit - 3)] + "..."


def clean_message(text, limit=MAX_MESSAGE):
    """A check's message: its own text and its ``hint:`` line, each capped (so the hint survives a long message)."""
    text = str(text)
    head, marker, hint = text.partition("\nhint:")
    if not marker:
        return clean(text, limit)
    return clean(head, limit) + "\nhint:" + clean(hint, limit)


class Budget:
    """Characters of submission text one submission's feedback may still show."""

    def __init__(self, total=MAX_FEEDBACK_TEXT):
        self.left = total

    def take(self, text, cut_note):
        text = str(text)
        if len(text) <= self.left:
            self.left -= len(text)
            return text
        self.left = 0
        return cut_note


def remove_tree(path):
    """Delete ``path`` and everything below it: no recursion, links never followed, locked folders opened.

    ``rm -rf`` walks any depth without Python's recursion; what it could not remove (a folder a
    submission made unreadable, where the grader is not root) is opened bottom-up and removed again.
    """
    path = os.fspath(path)
    if not os.path.lexists(path):
        return
    subprocess.run(["rm", "-rf", "--one-file-system", "--", path], stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    if os.path.lexists(path):
        _unlock(path)
        subprocess.run(["rm", "-rf", "--one-file-system", "--", path], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    if os.path.lexists(path) and not os.path.isdir(path):
        os.unlink(path)


def _unlock(top):
    """Give the owner rwx on every folder under ``top`` (an explicit stack; links are not followed)."""
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            os.chmod(folder, stat.S_IRWXU, follow_symlinks=False)
        except (OSError, NotImplementedError):
            pass
        try:
            with os.scandir(folder) as entries:
                stack.extend(entry.path for entry in entries if entry.is_dir(follow_symlinks=False))
        except OSError:
            continue

