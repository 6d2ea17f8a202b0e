"""Write the student repository: templates, provided code, the subtask checks, the sheet.

The release holds no solutions, no answers and no solution fences. In it, plain
``python -m pytest`` checks the student's files (tests/conftest.py defaults to student mode
where there is no solutions/). It is ready for ``git init`` and GitHub Classroom: its
``.github/workflows/classroom.yml`` runs one step per subtask on every push.

Usage::

    python tools/release.py PATH        # PATH must not exist yet, or be empty
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
# Appended, not put first: imported from the tests, these tools must not change which
# implementation (solutions/ or the templates) the tests see.
for _folder in (str(REPO_ROOT), str(REPO_ROOT / "tools")):
    if _folder not in sys.path:
        sys.path.append(_folder)

import make_templates  # noqa: E402

from utils.internals.subtasks import SUBTASKS  # noqa: E402

RELEASE_FILES = Path(__file__).resolve().parent / "release_files"
SOLUTIONS = REPO_ROOT / "solutions"
# Copied as they are. tests/course/ is never copied: those tests import the solutions.
COPIED = ("tests/conftest.py", "tests/student_imports.py", "tests/progress_report.py", "tests/stand_ins.py",
          "tests/tiny_data.py",
          "data/README.md", "requirements.txt", ".gitignore")
COPIED_TREES = ("tests/subtasks",)
SHEET = "docs/assignment.md"  # copied when present (another engineer writes it)
WORKFLOW = ".github/workflows/classroom.yml"


class ReleaseError(Exception):
    """A release that cannot be written (the target is in use, a file is missing)."""


def workflow_text(template):
    """The classroom workflow: its header from ``template``, one step per subtask, then the table."""
    steps = []
    for subtask in SUBTASKS:
        steps += [f'      - name: "{subtask.tag}: {subtask.title}"',
                  "        if: always()",
                  "        continue-on-error: true",
                  f"        run: python -m pytest -m {subtask.marker}"]
    steps += ['      - name: "All subtasks: the progress table"',
              "        if: always()",
              "        run: python -m pytest"]
    return template.replace("{{SUBTASK_STEPS}}", "\n".join(steps))


def markdown_table(subtasks=SUBTASKS):
    """The students' table of the README: subtask, file, where, check."""
    lines = ["| subtask | file | where | check |", "|---|---|---|---|"]
    for subtask in subtasks:
        lines.append(f"| {subtask.tag} {subtask.title} | `{subtask.file}` | `{subtask.function}` | "
                     f"`-m {subtask.marker}` |")
    return "\n".join(lines)


def readme_text(template):
    return template.replace("{{SUBTASK_TABLE}}", markdown_table())


def release_files(solutions=SOLUTIONS, solved=()):
    """{relative path: text or source Path} of everything the release holds.

    ``solved``: subtasks whose templates keep their solution (for tests of the release itself).
    """
    files = {}
    for path in sorted((REPO_ROOT / "utils").rglob("*.py")):
        files[path.relative_to(REPO_ROOT).as_posix()] = path  # utils/network_trainer.py is replaced by its template below
    for name in COPIED:
        files[name] = REPO_ROOT / name
    for tree in COPIED_TREES:
        for path in sorted((REPO_ROOT / tree).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                files[path.relative_to(REPO_ROOT).as_posix()] = path
    if (REPO_ROOT / SHEET).is_file():
        files[SHEET] = REPO_ROOT / SHEET
    for _solution, template, text in make_templates.template_pairs(solutions, Path("/release"), solved=set(solved)):
        files[template.relative_to("/release").as_posix()] = text
    files["README.md"] = readme_text((RELEASE_FILES / "README.md").read_text())
    files["Makefile"] = RELEASE_FILES / "Makefile"
    files["pyproject.toml"] = RELEASE_FILES / "pyproject.toml"
    files[WORKFLOW] = workflow_text((RELEASE_FILES / "classroom.yml").read_text())
    return files


def write_release(dest, solutions=SOLUTIONS, solved=()):
    """Write the student repository into ``dest`` (new or empty); return the relative paths written."""
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ReleaseError(f"{dest} exists and is not empty; give a new folder")
    files = release_files(solutions, solved)
    missing = [name for name, source in files.items() if isinstance(source, Path) and not source.is_file()]
    if missing:
        raise ReleaseError(f"missing in this repository: {', '.join(missing)}")
    for name, source in files.items():
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(source, Path):
            shutil.copyfile(source, target)
        else:
            target.write_text(source)
    (dest / "data").mkdir(exist_ok=True)
    return sorted(files)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path, help="folder to write the student repository into (new or empty)")
    args = parser.parse_args(argv)
    try:
        written = write_release(args.dest)
    except (ReleaseError, make_templates.FenceError) as error:
        print(f"release: {error}", file=sys.stderr)
        return 1
    if SHEET not in written:
        print(f"release: warning: {SHEET} is missing here, so the release has no assignment sheet", file=sys.stderr)
    print(f"wrote {len(written)} files to {args.dest}. Next: cd {args.dest} && git init && git add . "
          "&& git commit -m 'Session 01' (then push it as the GitHub Classroom template)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
