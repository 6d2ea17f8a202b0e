"""Write the stubs of a new subtask: its table row, fence, checks, hidden checks and mutants.

Writes, in the assignment that ``COURSE_ROOT`` (else the repository above ``tools/``) names:

- a ``[[subtask]]`` row at the end of ``assignment.toml``;
- in ``solutions/<file>``, when ``function`` is a plain name not defined there: a new function
  holding the subtask's ``# TODO`` comment and a fence whose placeholder raises
  ``NotImplementedError`` (a method or an existing function: write the fence there by hand);
- ``<public_checks>/test_<tag>.py``: a ``HINTS`` entry and one check, both stubs;
- ``<hidden_checks>/test_hidden_<tag>.py``: one hidden check, a stub;
- an empty block of mutants for the subtask at the end of the mutant table;

then runs ``tools/make_templates.py`` (the templates and the README's table). Every stub fails
until it is written, and only the new subtask's checks fail: the solution's placeholder and
the check stubs turn its row red, and ``tools/mutants.py`` names the mutants still missing.

Usage::

    python tools/new_subtask.py --tag 1c --file stats.py --function variance_of --title "the variance"
        [--needs 1a,1b] [--points 2]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent))
from course_root import ASSIGNMENT, ROOT, SUBTASKS, TOOLKIT  # noqa: E402

TAG = re.compile(r"^(bonus_[a-z0-9]+|[0-9]+[a-z]+)$")


def marker(tag):
    """The pytest marker of ``tag``, as ``utils.internals.subtasks.Subtask.marker`` names it."""
    return tag if tag.startswith("bonus_") else f"task{tag}"


def table_row(tag, title, file, function, needs=(), points=None):
    """The ``[[subtask]]`` row of ``assignment.toml``."""
    lines = ["", "[[subtask]]", f"tag = {json.dumps(tag)}", f"title = {json.dumps(title)}",
             f"file = {json.dumps(file)}", f"function = {json.dumps(function)}"]
    if needs:
        lines.append(f"needs = {json.dumps(list(needs))}")
    if points is not None:
        lines.append(f"points = {points:g}")
    return "\n".join(lines) + "\n"


def solution_stub(tag, title, function):
    """A new function whose fence raises until the reference solution is written."""
    return (f'\n\ndef {function}():\n'
            f'    """{title[:1].upper() + title[1:]}. TODO: its parameters and what it returns (numpy style)."""\n'
            f"    # TODO {tag}: {title} (say what to write, in the sheet's words; never a line of the solution)\n"
            f"    ### BEGIN SOLUTION\n"
            f'    raise NotImplementedError("the reference solution of {tag} is not written yet")\n'
            f"    ### END SOLUTION\n")


def check_stub(tag, title, file, function):
    """``test_<tag>.py``: the hints table and one check, both to be written."""
    module = Path(file).with_suffix("").as_posix().replace("/", ".")
    indent = " " * len(f'    "{tag}": Steps(')
    call = (f'    with explain("{function}(...) to return what the sheet asks"):\n'
            f"        got = MODULE.{function}()\n"
            f'    pytest.fail(f"TODO: check {{got!r}} against what {tag} asks")\n') if "." not in function else \
           f'    pytest.fail("TODO: call MODULE.{function} and check what it gives")\n'
    return (f'"""Checks of {tag} ({file}: {function}): {title}."""\n\n'
            "import pytest\n"
            "from course_checks import StudentModule\n"
            "from hints import Steps, explain\n\n"
            f'MODULE = StudentModule("{module}")\n\n'
            "HINTS = {\n"
            f'    "{tag}": Steps("TODO: the idea, in the sheet\'s words",\n'
            f'{indent}"TODO: which given name or function to use",\n'
            f'{indent}"TODO: the shape of the code, with ___ where the student decides"),\n'
            "}\n\n\n"
            f"@pytest.mark.{marker(tag)}\n"
            f"def test_{tag}_{function.replace('.', '_')}():\n{call}")


def hidden_stub(tag, title, support=False, public="../subtasks"):
    """``test_hidden_<tag>.py``: one hidden check, to be written, with the public checks' hints.

    ``support``: the hidden folder has a ``hidden_support`` module that puts the public checks on
    sys.path; else the stub does it itself (``public``: that folder, relative to the hidden one).
    """
    if support:
        imports = "import hidden_support  # noqa: F401 - puts the public checks on sys.path first\n"
    else:
        imports = ("import sys\nfrom pathlib import Path\n\n"
                   f"sys.path.insert(0, str((Path(__file__).resolve().parent / {public!r}).resolve()))\n")
    return (f'"""Hidden checks of {tag} ({title}; never released): cases the public checks do not show.\n\n'
            "Grading feedback shows hint 1 of HINTS; most assertions carry a hint of their own (a test checks it).\n"
            '"""\n\n'
            f"{imports}import pytest\n"
            f"from test_{tag} import HINTS  # noqa: E402, F401 - the same hints as the public checks\n\n\n"
            f"@pytest.mark.{marker(tag)}\n"
            f"def test_hidden_{tag}():\n"
            f'    got = None  # TODO: a case the public checks do not show\n'
            f'    assert got is not None, f"TODO: expected ..., got {{got!r}}.\\nhint: TODO"\n')


def mutant_stub(tag, title, file):
    """A block of the mutant table for ``tag``, empty until its mutants are written."""
    needed = 3 if tag.startswith("bonus_") else 5
    return (f"\n# {tag}: {title}. At least {needed} realistic mistakes; `old` occurs once in the fence of {tag}.\n"
            "MUTANTS += (\n"
            f'    # Mutant("{tag}", "what the student got wrong", "{file}", "old snippet", "wrong version"),\n'
            ")\n")


def variant_stub(tag, title, file):
    """A block of the variant table for ``tag``: correct solutions in other styles, to be written."""
    needed = 1 if tag.startswith("bonus_") else 2
    return (f"\n# {tag}: {title}. At least {needed} correct solutions in other styles (other idioms, the sheet's\n"
            f"# snippets); `old` occurs once in the fence of {tag}; every check of {tag} must pass them.\n"
            "VARIANTS += (\n"
            f'    # Variant("{tag}", "how it differs", "{file}", "old snippet", "another correct version"),\n'
            ")\n")


def with_row(text, row, bonus):
    """``text`` of assignment.toml with ``row`` added: a core subtask before the first bonus one, a bonus at the end."""
    first_bonus = re.search(r'^\[\[subtask\]\]\s*\ntag = "bonus_', text, re.M)
    if bonus or first_bonus is None:
        return text.rstrip("\n") + "\n" + row
    return text[:first_bonus.start()] + row.lstrip("\n") + "\n" + text[first_bonus.start():]


def with_function(text, function):
    """``text`` of a solution file with ``function`` added before its ``if __name__ == "__main__":`` block, if any."""
    main = re.search(r'^if __name__ == "__main__":', text, re.M)
    if main is None:
        return text.rstrip("\n") + "\n" + function
    return text[:main.start()].rstrip("\n") + "\n" + function + "\n\n" + text[main.start():]


def defines(text, function):
    return re.search(rf"^(def|class) {re.escape(function)}\b", text, re.M) is not None


def problems(tag, file, function):
    """Why the subtask cannot be added (an empty list when it can)."""
    found = []
    if not TAG.match(tag):
        found.append(f"tag {tag!r}: a number and letters (1c) or bonus_<letters> (bonus_j)")
    if any(subtask.tag == tag for subtask in SUBTASKS):
        found.append(f"subtask {tag} is already in assignment.toml")
    if not file.endswith(".py") or Path(file).is_absolute() or ".." in Path(file).parts:
        found.append(f"file {file!r}: a .py path inside the repository")
    if not re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)?", function):
        found.append(f"function {function!r}: a name, or Class.method")
    for key, name in (("public_checks", f"test_{tag}.py"), ("hidden_checks", f"test_hidden_{tag}.py")):
        folder = ASSIGNMENT.path(key)
        if folder is not None and (folder / name).exists():
            found.append(f"{(folder / name).relative_to(ROOT)} exists already")
    return found


def add_subtask(tag, title, file, function, needs=(), points=None):
    """Write the stubs; return the paths written or changed, relative to the assignment."""
    written = []

    def append(path, text):
        path.parent.mkdir(parents=True, exist_ok=True)
        old = path.read_text() if path.exists() else ""
        path.write_text(old + ("" if not old or old.endswith("\n") else "\n") + text)
        written.append(path.relative_to(ROOT).as_posix())

    description = ROOT / "assignment.toml"
    description.write_text(with_row(description.read_text(), table_row(tag, title, file, function, needs, points),
                                    bonus=tag.startswith("bonus_")))
    written.append(description.name)
    solution = ROOT / "solutions" / file
    existing = solution.read_text() if solution.exists() else f'"""{title[:1].upper() + title[1:]}."""\n'
    if "." not in function and not defines(existing, function):
        if not solution.exists():
            solution.parent.mkdir(parents=True, exist_ok=True)
            solution.write_text(existing)
        solution.write_text(with_function(solution.read_text(), solution_stub(tag, title, function)))
        written.append(solution.relative_to(ROOT).as_posix())
    public = ASSIGNMENT.path("public_checks") or ROOT / "tests" / "subtasks"
    append(public / f"test_{tag}.py", check_stub(tag, title, file, function))
    hidden = ASSIGNMENT.path("hidden_checks")
    if hidden is not None:
        relative = os.path.relpath(public, hidden)
        append(hidden / f"test_hidden_{tag}.py",
               hidden_stub(tag, title, (hidden / "hidden_support.py").is_file(), relative))
    table = ASSIGNMENT.path("mutants")
    if table is not None:
        append(table, mutant_stub(tag, title, file))
    table = ASSIGNMENT.path("variants")
    if table is not None and table.is_file():
        append(table, variant_stub(tag, title, file))
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tag", required=True, help="as the TODO names it: 1c, bonus_j")
    parser.add_argument("--file", required=True, help="the student's file, relative to the repository: stats.py")
    parser.add_argument("--function", required=True, help="where in that file: a function, or Class.method")
    parser.add_argument("--title", required=True, help="a few words for tables and messages")
    parser.add_argument("--needs", default="", help="subtasks whose code its checks run as well: 1a,1b")
    parser.add_argument("--points", type=float, default=None, help="grading points (default 1)")
    args = parser.parse_args(argv)
    needs = tuple(tag for tag in args.needs.replace(" ", "").split(",") if tag)
    found = problems(args.tag, args.file, args.function)
    known = {subtask.tag for subtask in SUBTASKS}
    found += [f"--needs {tag}: no such subtask" for tag in needs if tag not in known]
    if found:
        parser.error("; ".join(found))
    written = add_subtask(args.tag, args.title, args.file, args.function, needs, args.points)
    print("wrote stubs in: " + ", ".join(written))
    templates = subprocess.run([sys.executable, str(TOOLKIT / "make_templates.py")], cwd=ROOT)
    if f"solutions/{args.file}" not in written:
        print(f"solutions/{args.file} already defines {args.function}: write the fence of TODO {args.tag} "
              "there, then run make templates.")
    print(f"Next, by hand: the fence in solutions/{args.file}, the checks and HINTS in test_{args.tag}.py, the "
          f"hidden cases in test_hidden_{args.tag}.py, the mutants; then {marker(args.tag)} turns green.")
    return templates.returncode


if __name__ == "__main__":
    sys.exit(main())
