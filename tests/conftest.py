"""Which implementation the tests check, and how they load it.

``pytest`` checks the reference solutions (``solutions/``) and the course's own code;
``pytest --impl student`` checks the files students fill in, subtask by subtask (only
``tests/subtasks/``). Where there are no solutions (the students' repository), student mode is
the default. Student files are imported when a test first needs them, so a file that does not
load fails only the subtasks that use it.
"""

from __future__ import annotations

import importlib
import sys
import traceback
import types
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = REPO_ROOT / "solutions"
sys.path.insert(0, str(REPO_ROOT))

from utils.subtasks import BY_MARKER, STUDENT_FILES, SUBTASKS  # noqa: E402

pytest_plugins = ["progress_report"]
STUDENT_MODULES = {file[:-3].replace("/", "."): file for file in STUDENT_FILES}


def pytest_addoption(parser):
    group = parser.getgroup("course")
    group.addoption("--impl", choices=("solution", "student"), default=None,
                    help="check the reference solutions (default where solutions/ exists) or your own files")
    group.addoption("--record-outcomes", metavar="FILE", default=None,
                    help="write every test's outcome and subtasks to FILE as JSON")
    group.addoption("--hint", type=int, choices=(1, 2, 3), default=1,
                    help="how much help a subtask's row gives: 1 the idea (the default), 2 which name or "
                         "torch function to use, 3 the shape of the code with blanks")


def pytest_configure(config):
    if config.getoption("impl") is None:
        config.option.impl = "solution" if SOLUTIONS.is_dir() else "student"
    for subtask in SUBTASKS:
        config.addinivalue_line("markers", f"{subtask.marker}: {subtask.tag} {subtask.title}")
    # Both implementations use the same module names (fnn, utils.network_trainer, 01_main); which
    # folder comes first on sys.path decides which one is imported. `utils` is a namespace
    # package, so the provided modules (utils/mnist.py, ...) are found in either mode.
    if config.getoption("impl") == "solution":
        sys.path.insert(0, str(SOLUTIONS))
        _checked_folder.append(SOLUTIONS)
    for name in [*STUDENT_MODULES, "utils"]:
        sys.modules.pop(name, None)
    if config.getoption("impl") == "student":
        if config.option.tbstyle == "auto" and config.option.verbose <= 0:
            config.option.tbstyle = "no"  # the progress table says what failed and why; -v shows tracebacks
        config.addinivalue_line("filterwarnings", "ignore")


def pytest_ignore_collect(collection_path, config):
    """Student mode checks subtasks only; with one marker (-m task2a) only the files that have it."""
    if config.getoption("impl") != "student" or collection_path.suffix != ".py":
        return None
    if "subtasks" not in collection_path.parts:
        return True
    marker = (config.getoption("markexpr") or "").strip()
    if marker in BY_MARKER and collection_path.name.startswith("test_"):
        return f"mark.{marker}" not in collection_path.read_text()
    return None


def pytest_collection_modifyitems(config, items):
    if config.getoption("impl") == "student":
        items[:] = [item for item in items if subtasks_of(item)]


def subtasks_of(item):
    return [mark.name for mark in item.iter_markers() if mark.name in BY_MARKER]


# ---------------------------------------------------------------------------------------------
# Loading the files under test


class DoesNotLoad(Exception):
    """A student file that cannot be imported (a syntax error, an error at import time)."""


_failures = {}
_checked_folder = []  # in solution mode: where every student module must come from


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
    try:
        relative = path.resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return None
    relative = relative.removeprefix("solutions/")
    return relative[:-3].replace("/", ".") if relative in STUDENT_FILES else None


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

    def __init__(self, name):
        self._name = name

    def __getattr__(self, attribute):
        return getattr(load_student_module(self._name), attribute)


@pytest.fixture(scope="session")
def impl(pytestconfig):
    return pytestconfig.getoption("impl")


@pytest.fixture(scope="session")
def main_module():
    """The main script (01_main.py) of the implementation under test."""
    return StudentModule("01_main")


@pytest.fixture(scope="session")
def fnn():
    return StudentModule("fnn")


@pytest.fixture(scope="session")
def trainer_module():
    return StudentModule("utils.network_trainer")


class LazyMnistLoader:
    """Real MNIST through the DataLoaderFNN under test (80/20, batches of 100, seed 0), made on first use."""

    def __init__(self):
        self._loader = None

    def _get(self):
        if self._loader is None:
            self._loader = load_student_module("fnn").DataLoaderFNN(verbose=False)
        return self._loader

    def __call__(self, split):
        return self._get()(split)

    def __getattr__(self, attribute):
        return getattr(self._get(), attribute)


@pytest.fixture(scope="session")
def mnist_loader():
    return LazyMnistLoader()
