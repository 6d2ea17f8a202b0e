"""Fault-tolerant imports of the files under test (the student's files, or the solutions).

A student file that does not load (a syntax error, an error at import time) fails only the tests
that use it: :func:`load_student_module` raises :class:`DoesNotLoad` with a one-line message that
names the file and line, and a broken file that another one imports is replaced by a stand-in, so
the importing file's own subtasks still run. ``tests/conftest.py`` decides which implementation
is on ``sys.path`` and calls :func:`only_from` in solution mode.
"""

from __future__ import annotations

import importlib
import sys
import traceback
import types
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from utils.internals.subtasks import STUDENT_FILES, student_file  # noqa: E402

STUDENT_MODULES = {file[:-3].replace("/", "."): file for file in STUDENT_FILES}


class DoesNotLoad(Exception):
    """A student file that cannot be imported (a syntax error, an error at import time)."""


_failures = {}
_checked_folder = []  # in solution mode: where every student module must come from


def only_from(folder):
    """Make :func:`load_student_module` refuse a student module that is not imported from ``folder``."""
    _checked_folder[:] = [Path(folder)]


def _where(error):
    """``file:line`` of the student file where ``error`` arose, and that file's module name."""
    if isinstance(error, SyntaxError) and error.filename:
        path = Path(error.filename)
        return f"{_short(path)}:{error.lineno}", _module_of(path)
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        module = _module_of(Path(frame.filename))
        if module:
            return f"{_short(Path(frame.filename))}:{frame.lineno}", module
    return "?", None


def _short(path):
    try:
        return path.resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return path.name


def _module_of(path):
    found = student_file(path)
    return found[0][:-3].replace("/", ".") if found else None


def _placeholder(name, message):
    """Stands in for a student module that does not load, so files that import it still load."""

    class Broken:
        def __call__(self, *args, **kwargs):
            raise DoesNotLoad(message)

        def __getattr__(self, attribute):
            raise DoesNotLoad(message)

    def attribute_of_module(attribute):
        if attribute.startswith("__"):  # tools such as inspect look for __file__ and the like
            raise AttributeError(attribute)
        return Broken()

    module = types.ModuleType(name)
    module.__getattr__ = attribute_of_module
    return module


def load_student_module(name):
    """Import ``name`` (e.g. ``fnn``); a file that does not load fails only the tests that use it."""
    if name in _failures:
        raise DoesNotLoad(_failures[name])
    for _ in range(len(STUDENT_MODULES) + 1):
        try:
            module = importlib.import_module(name)
            if _checked_folder and _checked_folder[0] not in Path(module.__file__).resolve().parents:
                raise RuntimeError(f"{name} was imported from {module.__file__}, not from solutions/: something "
                                   "put the repository root before solutions/ on sys.path")
            return module
        except Exception as error:  # noqa: BLE001 - any error while importing a student's file
            where, module = _where(error)
            first_line = str(error).splitlines()[0] if str(error) else ""
            message = f"does not load: {type(error).__name__} at {where}: {first_line}"
            sys.modules.pop(name, None)
            if module is None or module == name:
                _failures[name] = message
                raise DoesNotLoad(message) from None
            # A file it imports is broken: let that one stand in, so this one's own subtasks still run.
            _failures[module] = message
            sys.modules[module] = _placeholder(module, message)
    raise DoesNotLoad(f"does not load: {name}")


class StudentModule:
    """The module ``name`` of the implementation under test, imported on first use."""

    # pytest's collection probes module-level objects for these names (mocks, wrapped fixtures): answered
    # here, without importing, so a file that exits or hangs at import costs only the tests that use it.
    _mock_name = None

    def __init__(self, name):
        self._name = name

    def __getattr__(self, attribute):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        return getattr(load_student_module(self._name), attribute)
