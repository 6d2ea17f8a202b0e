"""Grade a class's submissions, subtask by subtask, each in its own scratch copy of the release.

Each entry of SUBMISSIONS (a folder, or a ``.zip``) is one student's work; its name names the
submission. Only the student files (the templates' paths: 01_main.py, fnn.py, ...) are taken
from it, at its top level or inside a single subfolder; tests, utils and data come from a clean
release, so editing tests gains nothing. Each submission runs in a new process group with a
wall-clock limit, a memory limit and a file-size limit; one that hangs, crashes or fills the disk
keeps the points of the subtasks whose tests all passed before, is marked as such, and never
stops the others. Points per subtask come from ``utils/subtasks.py``.

Writes ``OUT/grades.csv`` (one row per submission), ``OUT/feedback/<submission>.md`` (what a
student gets back), ``OUT/<submission>/results.json`` (Gradescope's format), and beside it the
outcome record and the tail of the output.

Usage::

    python tools/grade.py SUBMISSIONS --out OUT [--timeout 600] [--jobs 2]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

REPO_ROOT = Path(__file__).resolve().parents[1]
TOOLS = Path(__file__).resolve().parent
# Appended, not put first: imported from the tests, these tools must not change which
# implementation (solutions/ or the templates) the tests see.
for _folder in (str(REPO_ROOT), str(TOOLS), str(REPO_ROOT / "tests")):
    if _folder not in sys.path:
        sys.path.append(_folder)

import release  # noqa: E402
from progress_report import summary_rows  # noqa: E402

from utils.subtasks import STUDENT_FILES, SUBTASKS  # noqa: E402

MAX_STUDENT_FILE = 2 << 20      # bytes; a student's .py file is a few kB
MAX_UNZIPPED = 500 << 20        # bytes, all members of a submitted zip together
MAX_MEMBERS = 20_000
OUTPUT_TAIL = 20_000            # characters of stdout/stderr kept per submission
IGNORED_FOLDERS = {"__MACOSX", "__pycache__", ".git", ".venv", "venv", "data", "runs"}

# Sets the limits, then becomes the pytest process: no preexec_fn, which is unsafe with threads.
LAUNCHER = """
import os, resource, sys
memory, file_size = int(sys.argv[1]), int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
os.execv(sys.argv[3], sys.argv[3:])
"""


class SubmissionError(Exception):
    """A submission that cannot be read (an unsafe or oversized zip)."""


@dataclass
class Limits:
    timeout: float = 600.0      # seconds of wall-clock time per submission
    memory_mb: int = 4096       # RLIMIT_DATA: heap and private mappings of the pytest process
    file_mb: int = 256          # RLIMIT_FSIZE: largest file it may write (its output included)
    disk_mb: int = 2048         # all it writes into its scratch folder together


@dataclass
class Graded:
    name: str
    status: str = "ok"          # ok | timed out | crashed | disk full | unreadable (of the whole run)
    note: str = ""
    subtasks: dict = field(default_factory=dict)   # tag -> {"status", "detail"}
    tests: dict = field(default_factory=dict)
    seconds: float = 0.0
    files: list = field(default_factory=list)      # student files found in the submission

    def points(self, subtask):
        return subtask.points if self.subtasks.get(subtask.tag, {}).get("status") == "done" else 0

    @property
    def total(self):
        return sum(self.points(subtask) for subtask in SUBTASKS)


# ---------------------------------------------------------------------------------------------
# Reading submissions


def submission_entries(folder):
    """(name, path) of every submission in ``folder``: sub-folders and .zip files, by name."""
    entries, seen = [], set()
    for path in sorted(Path(folder).iterdir()):
        if path.name.startswith(".") or path.name in IGNORED_FOLDERS:
            continue
        if path.is_dir() and not path.is_symlink():
            name = path.name
        elif path.is_file() and path.suffix.lower() == ".zip":
            name = path.stem
        else:
            continue
        name = re.sub(r"[^\w.-]+", "_", name).strip("._") or "submission"
        unique, count = name, 1
        while unique in seen:
            count += 1
            unique = f"{name}-{count}"
        seen.add(unique)
        entries.append((unique, path))
    return entries


def _root(names, is_dir):
    """The folder (a prefix of ``names``) that holds the student files: "" or a single subfolder."""
    prefix = ""
    for _ in range(3):
        if any(prefix + file in names for file in STUDENT_FILES):
            return prefix
        subfolders = {name[len(prefix):].split("/")[0] for name in names
                      if name.startswith(prefix) and "/" in name[len(prefix):]}
        subfolders = {sub for sub in subfolders if sub not in IGNORED_FOLDERS and not sub.startswith(".")
                      and is_dir(prefix + sub)}
        if len(subfolders) != 1:
            return prefix
        prefix += subfolders.pop() + "/"
    return prefix


def read_folder(folder):
    """{student file: bytes} found in a submitted folder (regular files only, never links)."""
    root = Path(folder)
    for _ in range(3):
        if any((root / file).is_file() for file in STUDENT_FILES):
            break
        subfolders = [child for child in root.iterdir() if child.is_dir() and not child.is_symlink()
                      and child.name not in IGNORED_FOLDERS and not child.name.startswith(".")]
        if len(subfolders) != 1:
            break
        root = subfolders[0]
    files = {}
    for file in STUDENT_FILES:
        path = root / file
        if path.is_file() and not path.is_symlink() and path.stat().st_size <= MAX_STUDENT_FILE:
            files[file] = path.read_bytes()
    return files


def read_zip(path):
    """{student file: bytes} found in a submitted zip; refuses unsafe or oversized archives."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise SubmissionError(f"not a readable zip file ({error})") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise SubmissionError(f"the zip holds {len(members)} entries (at most {MAX_MEMBERS})")
        if sum(member.file_size for member in members) > MAX_UNZIPPED:
            raise SubmissionError(f"the zip unpacks to more than {MAX_UNZIPPED >> 20} MB")
        names = {}
        for member in members:
            name = member.filename.replace("\\", "/")
            parts = PurePosixPath(name).parts
            if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in parts:
                raise SubmissionError(f"unsafe path in the zip: {member.filename!r}")
            is_link = (member.external_attr >> 16) & 0o170000 == 0o120000
            if not member.is_dir() and not is_link:
                names[name] = member
        folders = {"/".join(name.split("/")[:depth]) for name in names for depth in range(1, name.count("/") + 1)}
        prefix = _root(set(names), lambda name: name in folders)
        files = {}
        for file in STUDENT_FILES:
            member = names.get(prefix + file)
            if member is not None and member.file_size <= MAX_STUDENT_FILE:
                with archive.open(member) as handle:
                    data = handle.read(MAX_STUDENT_FILE + 1)
                if len(data) <= MAX_STUDENT_FILE:
                    files[file] = data
        return files


def student_files(path):
    path = Path(path)
    return read_zip(path) if path.is_file() else read_folder(path)


# ---------------------------------------------------------------------------------------------
# Running one submission


def _folder_size(folder, stop_at):
    """Bytes under ``folder`` (links not followed); stops counting past ``stop_at``."""
    total, stack = 0, [folder]
    while stack and total <= stop_at:
        try:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    else:
                        total += entry.stat(follow_symlinks=False).st_blocks * 512
        except OSError:
            continue
    return total


def _tail(path, limit=OUTPUT_TAIL):
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - limit))
            text = handle.read().decode(errors="replace")
    except OSError:
        return ""
    return (f"[... {size - limit} bytes cut ...]\n" if size > limit else "") + text


def _read_lines(path):
    """(collected {nodeid: tags}, outcomes {nodeid: entry}, last started nodeid) from the plugin's lines."""
    collected, outcomes, started = {}, {}, None
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        lines = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # the last line of a killed run may be cut short
        if "collected" in entry:
            collected = entry["collected"]
        elif "start" in entry:
            started = entry["start"]
        elif "test" in entry:
            outcomes[entry["test"]] = entry["outcome"]
    return collected, outcomes, started


def _stopped_tests(lines_path, reason):
    """Every collected test's outcome from an interrupted run; tests that never ended are failures."""
    collected, outcomes, started = _read_lines(lines_path)
    tests = {}
    for nodeid, tags in collected.items():
        if nodeid in outcomes:
            tests[nodeid] = outcomes[nodeid]
        elif nodeid == started:
            test = nodeid.split("::")[-1]
            tests[nodeid] = {"status": "failed", "detail": f"{reason} while {test} ran", "where": None,
                             "subtasks": tags, "stopped": "here"}
        else:
            tests[nodeid] = {"status": "failed", "detail": f"not run: the checks stopped earlier ({reason})",
                             "where": None, "subtasks": tags, "stopped": "before"}
    return tests


def _crash_reason(code, limits):
    if code is None:
        return "crashed"
    if code < 0:
        number = -code
        if number == signal.SIGXFSZ:
            return f"crashed: wrote a file over {limits.file_mb} MB"
        if number == signal.SIGKILL:
            return "crashed: killed (out of memory?)"
        return f"crashed: signal {signal.Signals(number).name}"
    return f"crashed: exit code {code} before the checks finished"


def _environment(scratch, threads, plugin_dir):
    env = {key: os.environ[key] for key in ("PATH", "LANG", "LC_ALL", "SYSTEMROOT") if key in os.environ}
    tmp = scratch / "tmp"
    tmp.mkdir()
    env.update(HOME=str(tmp), TMPDIR=str(tmp), MPLCONFIGDIR=str(tmp / "matplotlib"), MPLBACKEND="Agg",
               PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=str(plugin_dir), PYTHONHASHSEED="0",
               CUDA_VISIBLE_DEVICES="", COURSE_GRADE_THREADS=str(threads),
               **{name: str(threads) for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")})
    return env


def run_checks(repo, scratch, limits, threads, plugin_dir):
    """Run the subtask checks in ``repo``; return (status, note, subtasks, tests, output)."""
    record, lines = scratch / "outcomes.json", scratch / "lines.jsonl"
    out_path, err_path = scratch / "stdout.txt", scratch / "stderr.txt"
    command = [sys.executable, "-c", LAUNCHER, str(limits.memory_mb << 20), str(limits.file_mb << 20),
               sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "grading_plugin",
               "--record-outcomes", str(record), "--record-lines", str(lines),
               "--basetemp", str(scratch / "tmp" / "pytest")]
    env = _environment(scratch, threads, plugin_dir)
    baseline = _folder_size(scratch, 1 << 62)
    disk_limit = baseline + (limits.disk_mb << 20)
    stopped = None
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        process = subprocess.Popen(command, cwd=repo, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                   start_new_session=True)
        deadline = time.monotonic() + limits.timeout
        while True:
            try:
                process.wait(timeout=min(1.0, max(0.01, deadline - time.monotonic())))
                break
            except subprocess.TimeoutExpired:
                pass
            if time.monotonic() >= deadline:
                stopped = f"timed out after {limits.timeout:g} s"
            elif _folder_size(scratch, disk_limit) > disk_limit:
                stopped = f"disk full: wrote more than {limits.disk_mb} MB"
            if stopped:
                break
        try:
            os.killpg(process.pid, signal.SIGKILL)  # the whole group: also what it started and left behind
        except (ProcessLookupError, PermissionError):
            pass
        process.wait()
    output = _tail(out_path) + ("\n--- stderr ---\n" + _tail(err_path) if err_path.stat().st_size else "")
    code = process.returncode
    if stopped is None and code in (0, 1):
        try:
            data = json.loads(record.read_text())
            return "ok", "", data["subtasks"], data["tests"], output
        except (OSError, ValueError, KeyError):
            pass
    reason = stopped or _crash_reason(code, limits)
    status = reason.split(":")[0].split(" after")[0]  # timed out | disk full | crashed
    tests = _stopped_tests(lines, reason)
    subtasks = {}
    for tag, row_status, detail in summary_rows(tests):
        mine = [test for test in tests.values() if tag in test["subtasks"]]
        if row_status != "done" and any(test.get("stopped") == "here" for test in mine):
            row_status = status  # its test was running when the run was stopped
        elif row_status != "done" and all(test.get("stopped") or test["status"] == "passed" for test in mine):
            row_status = "not checked"
        subtasks[tag] = {"status": row_status, "detail": "\n".join(detail)}
    for subtask in SUBTASKS:
        subtasks.setdefault(subtask.tag, {"status": status, "detail": f"no result: {reason}"})
    return status, reason, subtasks, tests, output


def grade_submission(name, source, release_dir, out, limits, threads, plugin_dir, work):
    """Grade one submission; write its results.json, feedback and output; return its Graded."""
    graded = Graded(name)
    started = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix=f"{name[:40]}-", dir=work))
    output = ""
    try:
        try:
            files = student_files(source)
        except SubmissionError as error:
            files, graded.status, graded.note = None, "unreadable", str(error)
        if files is not None:
            graded.files = sorted(files)
            repo = scratch / "repo"
            shutil.copytree(release_dir, repo, symlinks=True)
            for file, data in files.items():
                (repo / file).write_bytes(data)
            graded.status, graded.note, graded.subtasks, graded.tests, output = run_checks(
                repo, scratch, limits, threads, plugin_dir)
            if not files:
                graded.note = "no student files found (" + ", ".join(STUDENT_FILES) + ")"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for subtask in SUBTASKS:
        graded.subtasks.setdefault(subtask.tag, {"status": graded.status, "detail": graded.note})
    graded.seconds = time.monotonic() - started
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(gradescope_results(graded), indent=1))
    (folder / "outcomes.json").write_text(json.dumps({"status": graded.status, "note": graded.note,
                                                      "files": graded.files, "subtasks": graded.subtasks,
                                                      "tests": graded.tests}, indent=1))
    (folder / "output.txt").write_text(output)
    (out / "feedback" / f"{name}.md").write_text(feedback_markdown(graded))
    return graded


# ---------------------------------------------------------------------------------------------
# What comes out


def gradescope_results(graded):
    """Gradescope's autograder results.json: one test per subtask."""
    tests = []
    for subtask in SUBTASKS:
        row = graded.subtasks[subtask.tag]
        tests.append({"name": f"{subtask.tag} {subtask.title}", "number": subtask.tag,
                      "score": graded.points(subtask), "max_score": subtask.points,
                      "status": "passed" if row["status"] == "done" else "failed",
                      "output": f"{row['status']}: {row['detail']}".strip()})
    output = "" if graded.status == "ok" else f"{graded.status}: {graded.note}"
    return {"score": graded.total, "execution_time": round(graded.seconds, 1), "output": output, "tests": tests}


def _cell(text):
    return text.replace("|", "\\|").replace("\n", "<br>")


def feedback_markdown(graded):
    core = sum(subtask.points for subtask in SUBTASKS if not subtask.is_bonus)
    bonus = sum(subtask.points for subtask in SUBTASKS if subtask.is_bonus)
    got_core = sum(graded.points(subtask) for subtask in SUBTASKS if not subtask.is_bonus)
    lines = [f"# Feedback: {graded.name}", "",
             f"**{graded.total:g} points**: {got_core:g} of {core:g} for tasks 1-4, "
             f"{graded.total - got_core:g} of {bonus:g} for the bonus tasks.", ""]
    if graded.status != "ok":
        lines += [f"**The checks did not finish ({graded.note}).** Subtasks whose tests all passed before "
                  "that still count; the others could not be checked.", ""]
    elif graded.note:
        lines += [f"Note: {graded.note}.", ""]
    lines += ["| subtask | status | points | detail |", "|---|---|---|---|"]
    for subtask in SUBTASKS:
        row = graded.subtasks[subtask.tag]
        lines.append(f"| {subtask.tag} {_cell(subtask.title)} | {row['status']} | "
                     f"{graded.points(subtask):g} / {subtask.points:g} | {_cell(row['detail'])} |")
    lines += ["", "Check one subtask yourself: `python -m pytest -m task2a` (bonus: `-m bonus_a`); "
              "add `-v` for the traceback.", ""]
    return "\n".join(lines)


def write_gradebook(path, results):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission", *(subtask.tag for subtask in SUBTASKS), "total", "status"])
        for graded in sorted(results, key=lambda graded: graded.name):
            status = graded.status
            if status != "ok":
                status = graded.note if graded.note.startswith(status) else f"{status}: {graded.note}"
            writer.writerow([graded.name, *(f"{graded.points(subtask):g}" for subtask in SUBTASKS),
                             f"{graded.total:g}", status])


def summary(results, seconds):
    count = len(results)
    lines = [f"graded {count} submission(s) in {seconds:.0f} s"]
    if not count:
        return "\n".join(lines)
    lines.append("mean points per subtask: " + ", ".join(
        f"{subtask.tag} {statistics.mean(graded.points(subtask) for graded in results):.2g}/{subtask.points:g}"
        for subtask in SUBTASKS))
    total = sum(subtask.points for subtask in SUBTASKS)
    lines.append(f"mean total {statistics.mean(graded.total for graded in results):.1f} of {total:g}")
    statuses = {}
    for graded in results:
        statuses[graded.status] = statuses.get(graded.status, 0) + 1
    lines.append("status: " + ", ".join(f"{n} {status}" for status, n in sorted(statuses.items())))
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------


def prepare(work):
    """The clean release and the plugin folder every submission is graded with, under ``work``."""
    release_dir = work / "release"
    release.write_release(release_dir)
    raw = REPO_ROOT / "data" / "MNIST" / "raw"
    if not raw.is_dir():
        from utils.mnist import ensure_mnist

        ensure_mnist(REPO_ROOT / "data")
    shutil.copytree(raw, release_dir / "data" / "MNIST" / "raw")  # a copy per submission, never the original
    plugin_dir = work / "plugin"
    plugin_dir.mkdir()
    shutil.copyfile(TOOLS / "grading_plugin.py", plugin_dir / "grading_plugin.py")
    return release_dir, plugin_dir


def grade_all(submissions, out, limits=None, jobs=1, progress=True, threads=1):
    limits = limits or Limits()
    out = Path(out)
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    entries = submission_entries(submissions)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    jobs = max(1, min(jobs, cores // max(1, threads) or 1, len(entries) or 1))  # never more threads than cores
    results = []
    with tempfile.TemporaryDirectory(prefix="grading-") as work:
        work = Path(work)
        release_dir, plugin_dir = prepare(work)
        from tqdm import tqdm

        with ThreadPoolExecutor(jobs) as pool, tqdm(total=len(entries), unit="submission", disable=not progress,
                                                    file=sys.stderr) as bar:
            futures = [pool.submit(grade_submission, name, path, release_dir, out, limits, threads, plugin_dir, work)
                       for name, path in entries]
            for future in as_completed(futures):
                graded = future.result()
                results.append(graded)
                bar.set_postfix_str(f"{graded.name}: {graded.total:g} pts, {graded.status}")
                bar.update()
    write_gradebook(out / "grades.csv", results)
    return sorted(results, key=lambda graded: graded.name)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submissions", type=Path, help="folder holding one folder or .zip per submission")
    parser.add_argument("--out", type=Path, required=True, help="where grades.csv, feedback/ and results go")
    parser.add_argument("--timeout", type=float, default=Limits.timeout, help="seconds per submission (600)")
    parser.add_argument("--jobs", type=int, default=1, help="submissions graded at once (1; at most the cores)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads per submission (1; jobs x threads stays within the cores)")
    parser.add_argument("--memory-mb", type=int, default=Limits.memory_mb, help="memory per submission (4096)")
    parser.add_argument("--disk-mb", type=int, default=Limits.disk_mb, help="disk per submission (2048)")
    parser.add_argument("--file-mb", type=int, default=Limits.file_mb, help="largest file it may write (256)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        parser.error(f"{args.submissions} is not a folder of submissions")
    started = time.monotonic()
    limits = Limits(args.timeout, args.memory_mb, args.file_mb, args.disk_mb)
    results = grade_all(args.submissions, args.out, limits, args.jobs, progress=not args.no_progress,
                        threads=args.threads)
    print(summary(results, time.monotonic() - started))
    print(f"gradebook: {args.out / 'grades.csv'}; feedback: {args.out / 'feedback'}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
