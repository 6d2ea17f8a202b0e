"""Grade a class's submissions, subtask by subtask, each in a sandbox with a clean copy of the release.

Each entry of SUBMISSIONS (a folder, or a ``.zip``) is one student's work; its name names the
submission. Only the student files (the templates' paths, as assignment.toml lists them) are taken
from it; tests, utils and data come from a clean release, so editing tests gains nothing. The
checks run in a bubblewrap sandbox (no network, nothing of this repository, the other
submissions or the outputs in sight, uid 65534, limits on processes, memory, disk and time),
one test at a time under a watchdog: a test that hangs or crashes fails alone and the rest
still run. Verdicts come from the test outcomes the grader expects, never from the child's
word; code that reaches for the grader is flagged for review. Points per subtask come from
``assignment.toml``; hidden checks count toward their subtasks.

Writes ``OUT/grades.csv`` (one row per submission), ``OUT/summary.txt``, ``OUT/feedback/<submission>.md``
(what a student gets back), ``OUT/<submission>/results.json`` (Gradescope's format), and beside it
every test's outcome and the tail of the output. ``--single PATH`` grades one submission into
``OUT/results.json``, ``OUT/feedback.md``, ``OUT/outcomes.json``, ``OUT/output.txt``.

Usage::

    python tools/grade.py SUBMISSIONS --out OUT [--jobs 2] [--timeout 900] [--test-timeout 120]
    python tools/grade.py --single SUBMISSION --out OUT [--sandbox container]
    python tools/grade.py --collect ids.json [--release DIR]     # the test ids, for --expected ids.json

``--release DIR`` grades against a release written beforehand (``tools/release.py``, with the data
assignment.toml names in place) and ``--expected FILE`` with test ids collected beforehand: Gradescope's zip
(``tools/autograder.py``) holds no solutions, and its container has room for one torch process at a time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
sys.path.append(str(TOOLS))
from course_root import ASSIGNMENT, ROOT  # noqa: E402

REPO_ROOT = ROOT
if str(ROOT / "tests") not in sys.path:
    sys.path.append(str(ROOT / "tests"))

from grader import (  # noqa: E402
    data,  # noqa: E402
    reports,
    runner,
    safe,
    sandbox,
    scan,
    timing,
    verdicts,
)
from grader import expected as expected_tests  # noqa: E402
from grader.reports import Graded  # noqa: E402
from grader.runner import OUTPUT_TAIL  # noqa: E402,F401 - part of this module's interface
from grader.sandbox import Limits  # noqa: E402
from grader.submissions import MAX_STUDENT_FILE, SubmissionError, student_files, submission_entries  # noqa: E402,F401

SUBTASKS, STUDENT_FILES = ASSIGNMENT.subtasks, ASSIGNMENT.student_files
BY_TAG = {subtask.tag: subtask for subtask in SUBTASKS}
HIDDEN_DIR = ASSIGNMENT.path("hidden_checks")


class SetupError(Exception):
    """A grading run that cannot start: the release cannot be written or read, the data is not intact."""


class Setup:
    """What every submission of one grading run shares: the clean release, the plugin, the expected tests.

    ``prebuilt``: a release folder written beforehand (``tools/release.py``; Gradescope's zip holds no
    solutions to write one from), copied, never used in place. ``expected``: the Expected tests
    collected beforehand; else they are collected here, while the first submission's pytest starts.
    """

    def __init__(self, work, mode, hidden_dir, prebuilt=None, expected=None):
        self.work, self.mode, self.hidden_dir = work, mode, hidden_dir
        os.chmod(work, 0o711)  # the sandbox's user may pass through to its own run folder, not list the others
        self.release_dir = work / "release"
        write_clean_release(self.release_dir, prebuilt)
        raw = data_source(prebuilt)
        if raw is not None:
            target = self.release_dir / data.folder(ASSIGNMENT)
            shutil.copytree(raw, target, ignore=shutil.ignore_patterns("*.gz", ".*"))  # never the original
            for path in target.iterdir():
                path.chmod(0o444)
        self.plugin_dir = work / "plugin"
        self.plugin_dir.mkdir()
        shutil.copyfile(TOOLS / "grading_plugin.py", self.plugin_dir / "grading_plugin.py")
        for folder in (self.release_dir, self.plugin_dir):
            folder.chmod(0o755)
        self._collecting = ThreadPoolExecutor(1)
        if expected is not None:
            self._expected = self._collecting.submit(lambda: expected)
        else:
            # Collected while the first submissions' pytest starts up: they wait for it only to learn their order.
            self._expected = self._collecting.submit(collect_expected, self.release_dir, self.plugin_dir,
                                                     hidden_dir, work)
        self._collecting.shutdown(wait=False)

    def expected(self):
        """The Expected tests of the clean release (waits for their collection)."""
        return self._expected.result()

    def wait(self):
        """Let the collection end before the work folder goes (a class with no submission never asks)."""
        self._expected.exception()


def write_clean_release(dest, prebuilt=None):
    """Write the release into ``dest``: from solutions/, or a copy of the release folder ``prebuilt`` (no data)."""
    if prebuilt is None:
        import release  # only here: it needs solutions/, which Gradescope's zip does not hold

        try:
            release.write_release(dest)
        except release.ReleaseError as error:
            raise SetupError(str(error)) from error
        return
    prebuilt = Path(prebuilt)
    if not (prebuilt / "tests" / "subtasks").is_dir():
        raise SetupError(f"--release {prebuilt}: not a release folder (no tests/subtasks/)")
    shutil.copytree(prebuilt, dest, symlinks=True, ignore=_without_data(prebuilt))


def _without_data(root, extra=("__pycache__", "*.pyc", ".pytest_cache")):
    """A copytree ignore function that leaves out the data folder (it is bound or copied apart)."""
    skipped = shutil.ignore_patterns(*extra)
    relative = data.folder(ASSIGNMENT)
    data_path = (Path(root) / relative).resolve() if relative else None

    def ignore(directory, names):
        kept = set(skipped(directory, names))
        if data_path is not None:
            kept |= {name for name in names if (Path(directory) / name).resolve() == data_path}
        return kept

    return ignore


def data_source(prebuilt=None):
    """The folder of the data files the checks get: the prebuilt release's, else this repository's."""
    try:
        return data.source(ASSIGNMENT, prebuilt)
    except data.DataError as error:
        raise SetupError(str(error)) from error


def collect_expected(release_dir, plugin_dir, hidden_dir, work):
    """The Expected tests of the clean release in ``release_dir`` (with the checks of ``hidden_dir``)."""
    collect_dir = Path(work) / "collect"
    shutil.copytree(release_dir, collect_dir, ignore=_without_data(release_dir, ()))
    if hidden_dir is not None:
        shutil.copytree(hidden_dir, collect_dir / expected_tests.HIDDEN_FOLDER,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    try:
        return expected_tests.collect(collect_dir, plugin_dir, hidden_dir is not None)
    finally:
        runner.remove_tree(collect_dir)


def grade_files(name, source, setup, limits, threads):
    """Grade one submission (a folder or zip at ``source``); return its Graded (nothing written yet).

    Whatever goes wrong with this one submission (its zip, its names, the scan, the run) becomes
    its status with the reason; only a failure of the shared setup (the release, the test ids) stops the class.
    """
    graded = Graded(name, sandbox=setup.mode)
    started = time.monotonic()
    try:
        files = student_files(source)
    except SubmissionError as error:
        files, graded.status, graded.note = None, "unreadable", safe.clean(str(error))
    except Exception as error:  # noqa: BLE001 - a submission the reader chokes on costs only itself
        files, graded.status, graded.note = None, "unreadable", f"cannot be read ({type(error).__name__})"
    if files is not None:
        graded.files = sorted(files)
        graded.flags = scan.scan_files(files)
        try:
            check(graded, files, setup, limits, threads)
        except (expected_tests.CollectError, SetupError):
            raise
        except Exception as error:  # noqa: BLE001
            graded.status = "grader error"
            graded.note = safe.clean(f"grader error: the grader failed on this submission "
                                     f"({type(error).__name__}: {error})", 300, newlines=False)
            graded.subtasks = {}
    for subtask in SUBTASKS:
        graded.subtasks.setdefault(subtask.tag, {"status": graded.status, "detail": graded.note, "hidden": False})
    graded.seconds = time.monotonic() - started
    return graded


def check(graded, files, setup, limits, threads):
    """Run the checks of ``files`` and put their outcomes, made safe and capped, into ``graded``."""
    checked = runner.check_submission(files, setup.release_dir, setup.plugin_dir, setup.expected, limits,
                                      setup.mode, threads, setup.work, setup.hidden_dir)
    for outcome in checked.tests.values():
        outcome["detail"] = safe.clean_message(outcome.get("detail", ""))
        if outcome.get("where"):
            outcome["where"] = safe.clean(outcome["where"], 200, newlines=False)
    graded.tests, graded.output = checked.tests, safe.clean(checked.output, 2 * runner.OUTPUT_TAIL)
    graded.flags += [safe.clean(f"outcome channel: {note}", 200, newlines=False)
                     for note in dict.fromkeys(checked.channel_notes)][:10]
    graded.subtasks = verdicts.subtask_verdicts(checked.tests, setup.expected())
    budget = safe.Budget()
    for tag, row in graded.subtasks.items():
        row["detail"] = budget.take(row["detail"], f"(more in the check's own message: {BY_TAG[tag].check})")
    if checked.stops:
        graded.status = checked.stops[0].split(":")[0]
        shown = checked.stops[:3]
        graded.note = "; ".join(shown) + (f"; and {len(checked.stops) - 3} more" if len(checked.stops) > 3 else "")
        graded.note = safe.clean(graded.note, 600, newlines=False)
    if not files:
        graded.note = "no student files found (" + ", ".join(STUDENT_FILES) + ")"


def refused(name, reason, mode):
    graded = Graded(name, status="refused", note=reason.removeprefix("refused: "), sandbox=mode)
    for subtask in SUBTASKS:
        graded.subtasks[subtask.tag] = {"status": "refused", "detail": graded.note, "hidden": False}
    return graded


def write_one(graded, folder, feedback_path, hidden_visibility):
    """Write one submission's results; where that fails, its status says so and a short feedback is written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        reports.write_json(folder / "results.json", reports.gradescope_results(graded, hidden_visibility))
        reports.write_json(folder / "outcomes.json", reports.outcome_record(graded))
        reports.write_text(folder / "output.txt", graded.output)
        reports.write_text(feedback_path, reports.feedback_markdown(graded))
    except Exception as error:  # noqa: BLE001 - one submission's feedback never stops the others'
        graded.status, graded.note = "grader error", f"its feedback could not be written ({type(error).__name__})"
        try:
            reports.write_text(feedback_path, f"# Feedback: {graded.name}\n\n**Not graded ({graded.note}).**\n")
        except Exception:  # noqa: BLE001
            pass


def _hidden(option):
    if option == "none":
        return None
    if option is None:
        return HIDDEN_DIR if HIDDEN_DIR.is_dir() else None
    return Path(option)


def grade_all(submissions, out, limits=None, jobs=1, progress=True, threads=1, mode="bwrap", hidden=None,
              hidden_visibility="after_published", prebuilt=None, expected=None):
    """Grade every submission in ``submissions`` into ``out``; return the Graded list, by name."""
    limits = limits or Limits()
    out = Path(out)
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    entries, refusals = submission_entries(submissions)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    jobs = max(1, min(jobs, cores // max(1, threads) or 1, len(entries) or 1))  # never more threads than cores
    results = [refused(name, reason, mode) for name, reason in refusals]
    work = Path(tempfile.mkdtemp(prefix="grading-"))
    try:
        setup = Setup(work, mode, _hidden(hidden), prebuilt, expected)
        from tqdm import tqdm

        def one(name, path):
            graded = grade_files(name, path, setup, limits, threads)
            write_one(graded, out / name, out / "feedback" / f"{name}.md", hidden_visibility)
            return graded

        with ThreadPoolExecutor(jobs) as pool, tqdm(total=len(entries), unit="submission", disable=not progress,
                                                    file=sys.stderr) as bar:
            futures = {pool.submit(one, name, path): name for name, path in entries}
            for future in as_completed(futures):
                try:
                    graded = future.result()
                except (expected_tests.CollectError, SetupError):
                    raise
                except Exception as error:  # noqa: BLE001 - never one submission for the class
                    graded = Graded(futures[future], status="grader error", sandbox=mode,
                                    note=f"grader error: {type(error).__name__}")
                    graded.subtasks = {subtask.tag: {"status": graded.status, "detail": graded.note, "hidden": False}
                                       for subtask in SUBTASKS}
                results.append(graded)
                bar.set_postfix_str(f"{graded.name}: {graded.total:g} pts, {graded.status}")
                bar.update()
        setup.wait()
    finally:
        reports.write_gradebook(out / "grades.csv", results)
        safe.remove_tree(work)
    return sorted(results, key=lambda graded: graded.name)


def grade_single(path, out, limits=None, threads=1, mode="bwrap", hidden=None, hidden_visibility="after_published",
                 prebuilt=None, expected=None):
    """Grade the one submission at ``path`` into ``out`` (results.json, feedback.md, ...); return its Graded."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="grading-"))
    try:
        setup = Setup(work, mode, _hidden(hidden), prebuilt, expected)
        graded = grade_files(Path(path).name or "submission", path, setup, limits or Limits(), threads)
    finally:
        safe.remove_tree(work)
    write_one(graded, out, out / "feedback.md", hidden_visibility)
    return graded


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submissions", type=Path, nargs="?", help="folder holding one folder or .zip per submission")
    parser.add_argument("--single", type=Path, metavar="SUBMISSION",
                        help="grade this one submission (a folder or .zip) into OUT/results.json, OUT/feedback.md")
    parser.add_argument("--out", type=Path, help="where grades.csv, feedback/ and results go")
    parser.add_argument("--sandbox", choices=sandbox.MODES, default="bwrap",
                        help="bwrap (default); container: no bubblewrap layer, where the container is the sandbox "
                             "(Gradescope); none: no sandbox")
    parser.add_argument("--no-sandbox", action="store_const", const="none", dest="sandbox",
                        help="run submissions as your own user, unisolated (only for code you trust)")
    parser.add_argument("--timeout", type=float, default=Limits.timeout, help="seconds per submission (900)")
    parser.add_argument("--test-timeout", type=float, default=Limits.test_timeout, help="seconds per test (120)")
    parser.add_argument("--jobs", type=int, default=1, help="submissions graded at once (1; at most the cores)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads per submission (1; jobs x threads stays within the cores)")
    parser.add_argument("--memory-mb", type=int, default=Limits.memory_mb, help="memory per submission (4096)")
    parser.add_argument("--data-mb", type=int, default=None,
                        help="RLIMIT_DATA of each of its processes (default: --memory-mb); torch reserves more "
                             "than it uses, so a small --memory-mb needs a larger --data-mb")
    parser.add_argument("--disk-mb", type=int, default=Limits.disk_mb, help="disk per submission (2048)")
    parser.add_argument("--file-mb", type=int, default=Limits.file_mb, help="largest file it may write (256)")
    parser.add_argument("--hidden", metavar="DIR", default=None,
                        help="hidden checks (default: tests/grading/ here, if present); 'none': no hidden checks")
    parser.add_argument("--hidden-visibility", choices=reports.VISIBILITIES, default="after_published",
                        help="Gradescope visibility of the entries that hidden checks count toward (after_published)")
    parser.add_argument("--release", type=Path, metavar="DIR", dest="prebuilt",
                        help="grade against this release folder (tools/release.py's output, with its data) "
                             "instead of writing one from solutions/")
    parser.add_argument("--expected", type=Path, metavar="FILE",
                        help="the test ids, collected beforehand (--collect FILE), instead of collecting them now")
    parser.add_argument("--collect", type=Path, metavar="FILE",
                        help="only collect the release's test ids (and the hidden checks') into FILE, grade nothing")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.collect is not None:
        return collect_main(args, parser)
    if args.out is None:
        parser.error("--out is required")
    if (args.submissions is None) == (args.single is None):
        parser.error("give either SUBMISSIONS (a folder of submissions) or --single SUBMISSION")
    if args.prebuilt is not None and not args.prebuilt.is_dir():
        parser.error(f"--release {args.prebuilt}: not a folder")
    if args.submissions is not None and not args.submissions.is_dir():
        parser.error(f"{args.submissions} is not a folder of submissions")
    if args.single is not None and not args.single.exists():
        parser.error(f"{args.single} does not exist")
    hidden = _hidden(args.hidden)
    if hidden is not None and not hidden.is_dir():
        parser.error(f"--hidden {args.hidden}: not a folder")
    for name, value in (("--timeout", args.timeout), ("--test-timeout", args.test_timeout),
                        ("--memory-mb", args.memory_mb), ("--disk-mb", args.disk_mb), ("--file-mb", args.file_mb),
                        ("--data-mb", 1 if args.data_mb is None else args.data_mb)):
        if value <= 0:
            parser.error(f"{name} must be positive")
    problem = sandbox.check_mode(args.sandbox)  # before anything is built: a missing sandbox fails at once
    if problem:
        parser.error(problem)
    started = time.monotonic()
    limits = Limits(timeout=args.timeout, test_timeout=args.test_timeout, memory_mb=args.memory_mb,
                    data_mb=args.data_mb, disk_mb=args.disk_mb, file_mb=args.file_mb, cpus=float(args.threads))
    options = dict(threads=args.threads, mode=args.sandbox, hidden=args.hidden,
                   hidden_visibility=args.hidden_visibility, prebuilt=args.prebuilt)
    try:
        if args.expected is not None:
            options["expected"] = expected_tests.load(args.expected, hidden, args.prebuilt)
        if args.single is not None:
            results = [grade_single(args.single, args.out, limits, **options)]
        else:
            results = grade_all(args.submissions, args.out, limits, args.jobs, progress=not args.no_progress, **options)
    except (expected_tests.CollectError, SetupError) as error:
        print(f"grade: {error}", file=sys.stderr)
        return 1
    text = reports.summary(results, time.monotonic() - started, sandbox.describe(args.sandbox))
    print(text)
    reports.write_text(args.out / "summary.txt", text + "\n")
    if args.single is None:
        print(f"gradebook: {args.out / 'grades.csv'}; feedback: {args.out / 'feedback'}/")
    return 0


def collect_main(args, parser):
    """``--collect FILE``: the test ids of the clean release (and of the hidden checks) into FILE."""
    hidden = _hidden(args.hidden)
    if hidden is not None and not hidden.is_dir():
        parser.error(f"--hidden {args.hidden}: not a folder")
    try:
        with tempfile.TemporaryDirectory(prefix="collect-") as work:
            work = Path(work)
            write_clean_release(work / "release", args.prebuilt)
            (work / "plugin").mkdir()
            shutil.copyfile(TOOLS / "grading_plugin.py", work / "plugin" / "grading_plugin.py")
            expected = collect_expected(work / "release", work / "plugin", hidden, work)
            if (REPO_ROOT / "solutions").is_dir():  # each test's time on the reference sets its time limit
                expected.seconds = timing.measure(expected, work / "release", work / "plugin", hidden,
                                                  REPO_ROOT / "solutions", data_source(args.prebuilt))
    except (expected_tests.CollectError, SetupError) as error:
        print(f"grade: {error}", file=sys.stderr)
        return 1
    expected_tests.save(expected, args.collect)
    print(f"collected {len(expected.order)} test ids ({len(expected.hidden_subtasks())} subtasks with hidden checks) "
          f"into {args.collect}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
