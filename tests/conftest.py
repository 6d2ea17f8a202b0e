"""Which implementation the tests check, and the fixtures they share.

``pytest`` checks the reference solutions (``solutions/``); ``pytest --impl student`` checks
the files at the top level that students fill in, and then runs only the subtask tests.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = REPO_ROOT / "solutions"

pytest_plugins = ["progress_report"]


def pytest_addoption(parser):
    group = parser.getgroup("course")
    group.addoption("--impl", choices=("solution", "student"), default="solution",
                    help="check the reference solutions (default) or the student's files")
    group.addoption("--record-outcomes", metavar="FILE", default=None,
                    help="write every test's outcome and subtasks to FILE as JSON")


def pytest_configure(config):
    # Both implementations use the same module names (fnn, utils.network_trainer, 01_main);
    # which folder comes first on sys.path decides which one the tests import. `utils` is a
    # namespace package, so the provided modules (utils/mnist.py, ...) are found in either mode.
    impl_dirs = [SOLUTIONS, REPO_ROOT] if config.getoption("impl") == "solution" else [REPO_ROOT]
    for folder in reversed(impl_dirs):
        sys.path.insert(0, str(folder))
    if config.getoption("impl") == "student" and config.option.tbstyle == "auto":
        config.option.tbstyle = "short"
    stale = [name for name in ("fnn", "01_main", "utils", "utils.network_trainer") if name in sys.modules]
    for name in stale:
        del sys.modules[name]


def pytest_collection_modifyitems(config, items):
    if config.getoption("impl") != "student":
        return
    skip = pytest.mark.skip(reason="tests the provided code; run plain `pytest` for it")
    for item in items:
        if not subtasks_of(item):
            item.add_marker(skip)


def subtasks_of(item):
    return [mark.name for mark in item.iter_markers()
            if mark.name.startswith(("task", "bonus_"))]


@pytest.fixture(scope="session")
def impl(pytestconfig):
    return pytestconfig.getoption("impl")


@pytest.fixture(scope="session")
def main_module():
    """The main script (01_main.py) of the implementation under test, imported as a module."""
    return importlib.import_module("01_main")


@pytest.fixture(scope="session")
def mnist_loader():
    """Real MNIST through the DataLoaderFNN under test (80/20 split, batches of 100, seed 0)."""
    from fnn import DataLoaderFNN

    return DataLoaderFNN(verbose=False)
