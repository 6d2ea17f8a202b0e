"""The data an assignment's checks read: where it lies, whether it is intact, where graded runs see it.

``assignment.toml``'s ``[data]`` table names a folder (relative to the repository, e.g.
``data/raw``), the SHA-256 of every file in it, and optionally ``fetch``, a ``module:function``
of the assignment's provided code that puts the files there. An assignment without a ``[data]``
table has none: nothing is bound into the sandbox or shipped in the Gradescope zip.
"""

from __future__ import annotations

import hashlib
import importlib
from pathlib import Path


class DataError(Exception):
    """The data is missing or altered."""


def folder(assignment):
    """The data folder relative to a repository (a ``Path``), or None when the assignment has no data."""
    name = assignment.data.get("folder")
    return Path(name) if name else None


def checksums(assignment):
    """``{file name: SHA-256}`` of the data files."""
    return dict(assignment.data.get("sha256", {}))


def broken(path, assignment):
    """Names of the data files missing from ``path`` or not matching their SHA-256."""
    bad = []
    for name, digest in checksums(assignment).items():
        file = Path(path) / name
        if not file.is_file() or hashlib.sha256(file.read_bytes()).hexdigest() != digest:
            bad.append(name)
    return bad


def source(assignment, prebuilt=None):
    """The folder graded runs get the data from: the prebuilt release's, else the repository's
    (fetched first where the description names how); None when the assignment has no data."""
    relative = folder(assignment)
    if relative is None:
        return None
    if prebuilt is not None and (Path(prebuilt) / relative).is_dir():
        path = Path(prebuilt) / relative
    else:
        path = assignment.root / relative
        if broken(path, assignment) and assignment.data.get("fetch"):
            module, _, function = assignment.data["fetch"].partition(":")
            getattr(importlib.import_module(module), function)()
    bad = broken(path, assignment)
    if bad:
        raise DataError(f"the data in {path} is not intact ({', '.join(bad)} missing or altered)")
    return path
