"""Which implementation the checks test, and how they load it (generic: a pytest plugin).

``pytest`` checks the reference solutions (``solutions/``) and the course's own code, hidden
grading checks (``tests/grading/``) included; ``pytest --impl student`` checks the files students
fill in, subtask by subtask (only ``tests/subtasks/``, and ``tests/grading/`` where it is named on
the command line: ``pytest --impl student tests/grading``). Where there are no solutions (the
students' repository), student mode is the default. Student files are imported when a test first
needs them, so a file that does not load fails only the subtasks that use it. The assignment's
own fixtures live in ``tests/conftest.py``, which loads this plugin.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = REPO_ROOT / "solutions"
sys.path.insert(0, str(REPO_ROOT))

from student_imports import (  # noqa: E402, F401 - tests import these from conftest
    STUDENT_MODULES,
    DoesNotLoad,
    StudentModule,
    load_student_module,
    only_from,
)

from utils.internals.subtasks import ASSIGNMENT, BY_MARKER, SUBTASKS  # noqa: E402

# Never released; tools/grade.py adds them to a submission's run.
HIDDEN_CHECKS = ASSIGNMENT.path("hidden_checks") or REPO_ROOT / "tests" / "grading"

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
    # Both implementations use the same module names (the student files'); which
    # folder comes first on sys.path decides which one is imported. `utils` is a namespace
    # package, so the provided modules are found in either mode.
    if config.getoption("impl") == "solution":
        sys.path.insert(0, str(SOLUTIONS))
        only_from(SOLUTIONS)
    for name in STUDENT_MODULES:  # utils is a namespace package: its path follows sys.path
        sys.modules.pop(name, None)
    if config.getoption("impl") == "student":
        if config.option.tbstyle == "auto" and config.option.verbose <= 0:
            config.option.tbstyle = "no"  # the progress table says what failed and why; -v shows tracebacks
        config.addinivalue_line("filterwarnings", "ignore")


def pytest_ignore_collect(collection_path, config):
    """Student mode checks subtasks only (the hidden checks only where named on the command line);
    with one marker (-m task2a) only the files that have it."""
    if config.getoption("impl") != "student" or collection_path.suffix != ".py":
        return None
    if "subtasks" not in collection_path.parts and not hidden_checks_named(collection_path, config):
        return True
    marker = (config.getoption("markexpr") or "").strip()
    if marker in BY_MARKER and collection_path.name.startswith("test_"):
        return f"mark.{marker}" not in collection_path.read_text()
    return None


def hidden_checks_named(path, config):
    """Whether ``path`` lies in tests/grading/ under a path given on the command line (not testpaths)."""
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        return False
    path = Path(path).resolve()
    if not path.is_relative_to(HIDDEN_CHECKS):
        return False
    for argument in config.args:
        named = (Path(config.invocation_params.dir) / argument.split("::")[0]).resolve()
        if named.is_relative_to(HIDDEN_CHECKS) and (path == named or path.is_relative_to(named)):
            return True
    return False


def pytest_collection_modifyitems(config, items):
    if config.getoption("impl") == "student":
        items[:] = [item for item in items if subtasks_of(item)]


def subtasks_of(item):
    return [mark.name for mark in item.iter_markers() if mark.name in BY_MARKER]


@pytest.fixture(scope="session")
def impl(pytestconfig):
    return pytestconfig.getoption("impl")
