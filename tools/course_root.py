"""Which assignment the toolkit works on, and its description.

The toolkit (this folder) knows no assignment: it works on the repository above it, or on the
one ``COURSE_ROOT`` names, and reads everything else from that repository's ``assignment.toml``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

TOOLKIT = Path(__file__).resolve().parent
ROOT = Path(os.environ.get("COURSE_ROOT") or TOOLKIT.parent).resolve()

# Appended, not put first: imported from the tests, the tools must not change which
# implementation (solutions/ or the templates) the tests see.
for _folder in (str(ROOT), str(TOOLKIT)):
    if _folder not in sys.path:
        sys.path.append(_folder)

from utils.internals.subtasks import load  # noqa: E402

ASSIGNMENT = load(ROOT)
SUBTASKS = ASSIGNMENT.subtasks
SOLUTIONS = ROOT / "solutions"
