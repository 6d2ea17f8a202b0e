"""The tiny assignment's fixtures: its one student module.

Which implementation is checked, the subtask markers and the progress table come from the
generic plugins ``tests/course_checks.py`` and ``tests/progress_report.py``.
"""

import pytest

pytest.register_assert_rewrite("course_checks")
from course_checks import StudentModule  # noqa: E402

pytest_plugins = ["course_checks", "progress_report"]


@pytest.fixture(scope="session")
def stats():
    """``stats.py`` of the implementation under test, imported on first use."""
    return StudentModule("stats")
