"""Run a script's ``main`` and turn the errors a student meets into one short message (provided).

An unfinished TODO names the subtask, the file and the function, and how to check it; a bad
argument, missing data or a missing run says what is wrong and what to do. Anything else is a
real bug and keeps its full traceback.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from utils.mnist import MnistUnavailableError
from utils.runs import RunError


def todo_message(error):
    """Describe an unfinished TODO: which subtask, where, and how to check it."""
    frame = error.__traceback__
    while frame.tb_next is not None:
        frame = frame.tb_next
    code = frame.tb_frame.f_code
    where = f"{Path(code.co_filename).name}, {getattr(code, 'co_qualname', code.co_name)}"
    text = str(error) or "a TODO"
    match = re.search(r"TODO (\w+)", text)
    lines = [f"Not done yet: {text.splitlines()[0]}", f"  where: {where} (line {frame.tb_lineno})"]
    if match:
        marker = match.group(1) if match.group(1).startswith("bonus") else f"task{match.group(1)}"
        lines.append(f"  check it with: pytest --impl student -m {marker}")
    return "\n".join(lines)


def run_cli(main, argv=None):
    """Call ``main(argv)``; return a process exit code (0 on success)."""
    from utils.network_trainer import TrainingStopped  # the student's or the solution's trainer

    try:
        main(argv)
    except NotImplementedError as error:
        print(todo_message(error), file=sys.stderr)
        return 3
    except TrainingStopped as error:
        print(f"\n{error}", file=sys.stderr)
        return 130 if "Interrupted" in str(error) else 1
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return 130
    except (MnistUnavailableError, RunError, ValueError, TypeError) as error:
        if isinstance(error, (ValueError, TypeError)) and not _raised_by_a_check(error):
            raise
        print(f"Error: {error}", file=sys.stderr)
        return 2
    return 0


def _raised_by_a_check(error):
    """True for the argument checks of this repository, False for errors deep inside torch."""
    frame = error.__traceback__
    while frame.tb_next is not None:
        frame = frame.tb_next
    filename = Path(frame.tb_frame.f_code.co_filename)
    return filename.name in {"checks.py", "devices.py", "fnn.py", "network_trainer.py", "runs.py",
                             "handwriting.py"}
