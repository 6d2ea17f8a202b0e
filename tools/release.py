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

sys.path.append(str(Path(__file__).resolve().parent))
import make_templates  # noqa: E402
from course_root import ASSIGNMENT, ROOT, SOLUTIONS, SUBTASKS  # noqa: E402
from tables import markdown_table, workflow_steps  # noqa: E402

REPO_ROOT = ROOT
RELEASE_FILES = Path(__file__).resolve().parent / "release_files"
WORKFLOW = ".github/workflows/classroom.yml"


class ReleaseError(Exception):
    """A release that cannot be written (the target is in use, a file is missing)."""


def workflow_text(template):
    """The classroom workflow: its header from ``template``, one step per subtask, then the table."""
    data = ASSIGNMENT.data.get("folder", "data")
    key = "-".join(sorted(ASSIGNMENT.data.get("sha256", {}).values()))[:16] or "none"
    return (template.replace("{{SUBTASK_STEPS}}", workflow_steps(SUBTASKS)).replace("{{DATA_FOLDER}}", data)
            .replace("{{DATA_KEY}}", key))


def readme_text(template):
    return template.replace("{{SUBTASK_TABLE}}", markdown_table(SUBTASKS))


def release_files(solutions=SOLUTIONS, solved=()):
    """{relative path: text or source Path} of everything the release holds.

    ``solved``: subtasks whose templates keep their solution (for tests of the release itself).
    """
    files = {"assignment.toml": ROOT / "assignment.toml"}
    for name in ASSIGNMENT.settings.get("release_copies", ()):
        source = ROOT / name
        paths = sorted(source.rglob("*")) if source.is_dir() else [source]
        for path in paths:
            if path.is_dir() or "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            files[path.relative_to(ROOT).as_posix()] = path  # a student file among them is replaced below
    sheet = ASSIGNMENT.settings.get("sheet")
    if sheet and (ROOT / sheet).is_file():
        files[sheet] = ROOT / sheet
    for _solution, template, text in make_templates.template_pairs(solutions, Path("/release"), solved=set(solved)):
        files[template.relative_to("/release").as_posix()] = text
    files["README.md"] = readme_text(ASSIGNMENT.path("release_readme").read_text())
    main_script = ASSIGNMENT.settings.get("main_script", "main.py")
    files["Makefile"] = (RELEASE_FILES / "Makefile").read_text().replace("{{MAIN_SCRIPT}}", main_script)
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
    sheet = ASSIGNMENT.settings.get("sheet")
    if not sheet or sheet not in written:
        print(f"release: warning: the sheet ({sheet}) is missing here, so the release has none", file=sys.stderr)
    print(f"wrote {len(written)} files to {args.dest}. Next: cd {args.dest} && git init && git add . "
          "&& git commit -m 'First release' (then push it as the GitHub Classroom template)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
