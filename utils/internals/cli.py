"""Run a script's ``main`` and turn the errors a student meets into one short message (provided).

An unfinished TODO names the subtask, where its TODO comment is, and how to check it. A course
error (``utils.internals.errors.CourseError``: a bad argument, missing data, a damaged run, a stopped
training) is one line that names the fix. Anything else is a real bug and keeps its traceback,
with the file and line where it happened.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from utils.internals.errors import CourseError, TrainingStopped
from utils.internals.subtasks import ASSIGNMENT, BY_TAG

TODO_TAG = re.compile(r"TODO (\w+)")


def todo_line(path, tag, after_function=None):
    """Line number of the first ``# TODO <tag>:`` in ``path`` (after ``def <after_function>`` if
    given and found), or None."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return None
    start = 0
    if after_function:
        definition = re.compile(rf"\s*def {re.escape(after_function)}\b")
        start = next((i for i, line in enumerate(lines) if definition.match(line)), 0)
    todo = re.compile(rf"\s*#\s*TODO {re.escape(tag)}\b")
    return next((i + 1 for i, line in enumerate(lines) if i >= start and todo.match(line)), None)


def shown_path(path):
    """``path`` as a message shows it: relative to the working folder when it lies inside it."""
    try:
        return Path(path).resolve().relative_to(Path.cwd())
    except ValueError:
        return Path(path)


# The main script as assignment.toml names it; "01_main" is not a name Python's import statement accepts.
MAIN_SCRIPT = Path(ASSIGNMENT.settings.get("main_script", "main.py")).stem


def from_main_script(name):
    """``name`` as defined in the student's main script (bonus a and d live there, as the sheet says).

    Loaded when a bonus script asks for it, so that provided code never depends on the student's files.
    """
    import importlib

    try:
        script = importlib.import_module(MAIN_SCRIPT)
    except Exception as error:  # noqa: BLE001 - any failure of the student's file is named, with its cause
        raise CourseError(f"{MAIN_SCRIPT}.py does not load ({type(error).__name__}: {error}); this script uses its "
                          f"{name}. Run python {MAIN_SCRIPT}.py to see where it fails.") from error
    try:
        return getattr(script, name)
    except AttributeError:
        raise CourseError(f"{MAIN_SCRIPT}.py defines no {name}; the sheet puts it there.") from None


def stop_if_not_written(function, *example_arguments):
    """Call ``function(*example_arguments)`` once, so that a TODO it still holds stops a script now,
    with "Not done yet" (see :func:`run_cli`), and not after minutes of training. Any other error
    is left for the real call, where its traceback shows the student's own line."""
    try:
        function(*example_arguments)
    except NotImplementedError:
        raise
    except Exception:  # noqa: BLE001 - a real bug: the script's own call reports it
        pass


def _raising_frame(error):
    frame = error.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    return frame


def todo_message(error, root=None):
    """Describe an unfinished TODO: which subtask, where its TODO comment is, how to check it."""
    text = str(error) or "a TODO"
    match = TODO_TAG.search(text)
    subtask = BY_TAG.get(match.group(1)) if match else None
    frame = _raising_frame(error)
    if subtask is None:
        where = f"{Path(frame.tb_frame.f_code.co_filename).name}, line {frame.tb_lineno}" if frame else "?"
        return f"Not done yet: {text.splitlines()[0]}\n  where: {where}"
    # The TODO comment's own line: in the file that raised, if it is the subtask's file, else in that file.
    raised_in = Path(frame.tb_frame.f_code.co_filename) if frame else None
    if raised_in is not None and raised_in.as_posix().endswith(subtask.file):
        path = raised_in
    else:
        path = Path(root or Path.cwd()) / subtask.file
    number = todo_line(path, subtask.tag)
    where = f"{subtask.file}, line {number}" if number else subtask.file
    return "\n".join([f"Not done yet: TODO {subtask.tag} ({subtask.title})",
                      f"  where: {where}, in {subtask.function}",
                      f"  check it with: {subtask.check}"])


def run_cli(main, argv=None):
    """Call ``main(argv)``; return a process exit code (0 on success, or the int ``main`` returns)."""
    try:
        code = main(argv)
    except NotImplementedError as error:
        print(todo_message(error, root=Path(sys.argv[0]).resolve().parent), file=sys.stderr)
        return 3
    except TrainingStopped as error:
        print(f"\n{error}", file=sys.stderr)
        return 130 if str(error).startswith("Interrupted") else 1
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return 130
    except CourseError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 2
    return code if isinstance(code, int) else 0
