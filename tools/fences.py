"""Read the solution fences of a reference file: the one parser the template generator and the
mutation check share.

A fence is the part of a solution a student writes, with its TODO comment right above it::

    # TODO 2a: build the linear layer and the optional activation
    ### BEGIN SOLUTION
    ...reference code...
    ### END SOLUTION

``### BEGIN SOLUTION uncomment`` marks a fence whose lines the template keeps, commented out.
Lines between ``### BEGIN SOLUTIONS ONLY`` and ``### END SOLUTIONS ONLY`` belong to the solution
file alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

BEGIN = re.compile(r"^(?P<indent>\s*)### BEGIN SOLUTION(?P<mode> uncomment)?\s*$")
END = re.compile(r"^\s*### END SOLUTION\s*$")
ONLY_BEGIN = re.compile(r"^\s*### BEGIN SOLUTIONS ONLY\s*$")
ONLY_END = re.compile(r"^\s*### END SOLUTIONS ONLY\s*$")
TODO = re.compile(r"^\s*# TODO (?P<tag>\w+):\s*(?P<text>.*)$")
CONTINUATION = re.compile(r"^\s*#\s+(?P<text>\S.*)$")


class FenceError(ValueError):
    """A solution file whose fences are not well formed."""


@dataclass(frozen=True)
class Fence:
    """One fenced block: its TODO's tag and text, its BEGIN line, its body and where it lies."""

    tag: str
    text: str          # the TODO comment, continuation lines joined
    begin: re.Match    # the BEGIN line: begin["indent"], begin["mode"] (" uncomment" or None)
    body: tuple        # the lines between BEGIN and END
    start: int         # index of the BEGIN line in the file's lines
    end: int           # index of the END line


def todo_above(lines, index, path):
    """Tag and text of the ``# TODO tag: text`` comment (with continuation lines) above ``index``."""
    text_lines = []
    position = index - 1
    while position >= 0:
        todo = TODO.match(lines[position])
        if todo:
            text = " ".join([todo["text"], *reversed(text_lines)])
            return todo["tag"], re.sub(r"\s+", " ", text).strip()
        continuation = CONTINUATION.match(lines[position])
        if not continuation:
            break
        text_lines.append(continuation["text"])
        position -= 1
    raise FenceError(f"{path}:{index + 1}: a solution fence needs a '# TODO <tag>: <what to write>' "
                     "comment right above it")


def pieces(source, path="<solution>"):
    """The file ``source`` as a list of its lines outside fences (str) and its fences (:class:`Fence`).

    Lines of ``SOLUTIONS ONLY`` blocks, and their markers, are left out.

    Raises
    ------
    FenceError
        For a fence without a TODO comment above it, one that is never closed, nested fences, an
        END without a BEGIN, or a ``SOLUTIONS ONLY`` block that is never closed.
    """
    lines = source.splitlines()
    out = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if ONLY_BEGIN.match(line):
            while not ONLY_END.match(lines[index]):
                index += 1
                if index == len(lines):
                    raise FenceError(f"{path}: '### BEGIN SOLUTIONS ONLY' is never closed")
            index += 1
            continue
        begin = BEGIN.match(line)
        if not begin:
            if END.match(line):
                raise FenceError(f"{path}:{index + 1}: '### END SOLUTION' without a BEGIN")
            out.append(line)
            index += 1
            continue
        tag, text = todo_above(lines, index, path)
        start = index
        body = []
        index += 1
        while index < len(lines) and not END.match(lines[index]):
            if BEGIN.match(lines[index]):
                raise FenceError(f"{path}:{index + 1}: fences cannot nest")
            body.append(lines[index])
            index += 1
        if index == len(lines):
            raise FenceError(f"{path}: the fence of TODO {tag} is never closed")
        out.append(Fence(tag, text, begin, tuple(body), start, index))
        index += 1
    return out


def fences(source, path="<solution>"):
    """The fences of ``source``, in order."""
    return [piece for piece in pieces(source, path) if isinstance(piece, Fence)]
