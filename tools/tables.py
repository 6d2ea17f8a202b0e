"""The subtask table as the README, the release and the classroom workflow show it (generated)."""

from __future__ import annotations

import re

TABLE_HEAD = "| subtask | file | where | check |"


def markdown_table(subtasks):
    """The students' table: subtask, file, where, check."""
    lines = [TABLE_HEAD, "|---|---|---|---|"]
    for subtask in subtasks:
        lines.append(f"| {subtask.tag} {subtask.title} | `{subtask.file}` | `{subtask.function}` | "
                     f"`-m {subtask.marker}` |")
    return "\n".join(lines)


def with_table(text, subtasks):
    """``text`` with its subtask table (the lines from the table's head to the next non-table line)
    replaced by the generated one; unchanged where it has no table."""
    pattern = re.compile(rf"^{re.escape(TABLE_HEAD)}\n(?:\|.*\|\n?)*", re.M)
    return pattern.sub(lambda _match: markdown_table(subtasks) + "\n", text, count=1)


def workflow_steps(subtasks):
    """The classroom workflow's steps: one per subtask (continue on error), then the whole table."""
    steps = []
    for subtask in subtasks:
        steps += [f'      - name: "{subtask.tag}: {subtask.title}"',
                  "        if: always()",
                  "        continue-on-error: true",
                  f"        run: python -m pytest -m {subtask.marker}"]
    steps += ['      - name: "All subtasks: the progress table"',
              "        if: always()",
              "        run: python -m pytest"]
    return "\n".join(steps)
