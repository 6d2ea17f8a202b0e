"""Gradescope's autograder: build its zip here, grade one submission with it in Gradescope's container.

``build`` (``make autograder``) writes ``autograder.zip``:

    setup.sh, run_autograder    Gradescope's two entry points (from tools/autograder_files/)
    release/                    the student release (tools/release.py), where setup.sh puts the data
    data/                       the data files assignment.toml names, their SHA256SUMS, and FOLDER
                                (where in the release they go)
    grader/                     tools/grade.py and the grader, this file, the subtask table, the hidden
                                checks (tests/grading/, if there), the test ids with each test's time
                                on the solutions (expected.json) and the limits (settings.json)

No solutions, no answers, no solution fences: the submissions run in the same container.

The test ids are collected here, at build time, from the release and the hidden checks that ship
(and collected again by setup.sh with what it installed, which must agree): so each submission
runs one torch process, not a collection beside it (768 MB of memory, half a CPU).

``run`` (what run_autograder calls) grades ``ROOT/submission`` with ``grade.py --single``, in
bubblewrap where it works and else in the container itself (only in Gradescope's: a local run
without bubblewrap is refused), and writes ``ROOT/results/results.json`` once, atomically, from the JSON
it built in memory: grade.py's result if it is valid, else a result of score 0 that says what
happened (the grader crashed, ran out of time, wrote nothing valid). ``check-ids`` is setup.sh's.

Usage::

    python tools/autograder.py build [--out autograder.zip] [--memory-mb 640] [--timeout 540] [--test-timeout 90]
                                     [--hidden-visibility after_published]
    python tools/autograder.py run [--root /autograder]         # ROOT: also $AUTOGRADER_ROOT
    python tools/autograder.py check-ids [--root /autograder]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
sys.path.append(str(TOOLS))
from course_root import ASSIGNMENT, ROOT  # noqa: E402

REPO_ROOT = ROOT
FILES = TOOLS / "autograder_files"
DEFAULT_ROOT = "/autograder"
DEFAULT_ZIP = REPO_ROOT / "autograder.zip"
for _folder in (str(REPO_ROOT), str(TOOLS)):  # appended: imported from the tests, it must not change their imports
    if _folder not in sys.path:
        sys.path.append(_folder)

# Gradescope's default container: 768 MB, half a CPU, 10 minutes for everything.
SETTINGS = {"memory_mb": 640,      # the checks' memory, all processes together; the grader itself needs ~60 MB
            "data_mb": 2048,       # RLIMIT_DATA per process: torch reserves far more than it touches
            "timeout": 540,        # seconds for all the checks of a submission
            "test_timeout": 90,    # seconds per test: the slowest honest one takes ~35 s on half a CPU
            "guard": 580,          # seconds after which run stops grade.py itself and writes what it has
            "hidden_visibility": "after_published"}  # Gradescope visibility of the entries hidden checks count toward
ENVIRONMENT = {"memory_mb": "AUTOGRADER_MEMORY_MB", "data_mb": "AUTOGRADER_DATA_MB", "timeout": "AUTOGRADER_TIMEOUT",
               "test_timeout": "AUTOGRADER_TEST_TIMEOUT", "guard": "AUTOGRADER_GUARD"}

# Copied into grader/, relative to this repository: the grader and what it imports (no solutions).
GRADER_FILES = ("tools/grade.py", "tools/grading_plugin.py", "tools/autograder.py", "tools/course_root.py",
                "tests/progress_report.py", "assignment.toml")
GRADER_TREES = (("tools/grader", "*.py"), ("utils", "*.py"), ("utils/internals", "*.py"))
EXECUTABLE = ("setup.sh", "run_autograder")

RESULT_FIELDS = {"score", "execution_time", "output", "output_format", "tests"}
OPTIONAL_FIELDS = {"visibility", "stdout_visibility", "extra_data", "test_output_format", "test_name_format",
                   "leaderboard"}
TEST_FIELDS = {"name", "score", "max_score", "status", "output", "visibility"}
OPTIONAL_TEST_FIELDS = {"number", "tags", "output_format", "name_format", "extra_data"}
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
FORMATS = ("text", "html", "simple_format", "md", "ansi")
MAX_RESULTS = 4 << 20  # bytes of grade.py's results.json read back


# ---------------------------------------------------------------------------------------------
# results.json


def validate_results(data):
    """The problems of ``data`` as Gradescope's results.json (empty: valid)."""
    def number(value):
        return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)

    if not isinstance(data, dict):
        return ["not a JSON object"]
    problems = [f"missing field {name!r}" for name in sorted(RESULT_FIELDS - set(data))]
    problems += [f"unknown field {name!r}" for name in sorted(set(data) - RESULT_FIELDS - OPTIONAL_FIELDS)]
    if "score" in data and not (number(data["score"]) and data["score"] >= 0):
        problems.append(f"score {data['score']!r} is not a number >= 0")
    if "execution_time" in data and not (number(data["execution_time"]) and data["execution_time"] >= 0):
        problems.append(f"execution_time {data['execution_time']!r} is not a number >= 0")
    if not isinstance(data.get("output", ""), str):
        problems.append("output is not a string")
    if data.get("output_format", "text") not in FORMATS:
        problems.append(f"output_format {data.get('output_format')!r} is not one of {FORMATS}")
    if data.get("visibility", "visible") not in VISIBILITIES:
        problems.append(f"visibility {data.get('visibility')!r} is not one of {VISIBILITIES}")
    tests = data.get("tests", [])
    if not isinstance(tests, list):
        return problems + ["tests is not a list"]
    names = set()
    for index, test in enumerate(tests):
        where = f"tests[{index}]"
        if not isinstance(test, dict):
            problems.append(f"{where} is not an object")
            continue
        problems += [f"{where}: missing field {name!r}" for name in sorted(TEST_FIELDS - set(test))]
        problems += [f"{where}: unknown field {name!r}" for name in
                     sorted(set(test) - TEST_FIELDS - OPTIONAL_TEST_FIELDS)]
        if not isinstance(test.get("name"), str) or test.get("name") in names:
            problems.append(f"{where}: name {test.get('name')!r} is not a string of its own")
        names.add(test.get("name"))
        score, top = test.get("score"), test.get("max_score")
        if not (number(score) and number(top) and 0 <= score <= top):
            problems.append(f"{where}: score {score!r} of max_score {top!r} is not 0 <= score <= max_score")
        if test.get("status") not in ("passed", "failed"):
            problems.append(f"{where}: status {test.get('status')!r} is not 'passed' or 'failed'")
        if not isinstance(test.get("output"), str):
            problems.append(f"{where}: output is not a string")
        if test.get("visibility") not in VISIBILITIES:
            problems.append(f"{where}: visibility {test.get('visibility')!r} is not one of {VISIBILITIES}")
    if tests and number(data.get("score")) and all(isinstance(test, dict) and number(test.get("score"))
                                                   for test in tests):
        if abs(sum(test["score"] for test in tests) - data["score"]) > 1e-6:
            problems.append(f"score {data['score']} is not the sum of the tests' scores")
    return problems


def failed_result(message, seconds, grader=None):
    """A valid result of score 0 that says what happened: one failed entry per subtask where the table loads."""
    tests = []
    try:
        sys.path.insert(0, str(grader or REPO_ROOT))
        from utils.internals.subtasks import SUBTASKS

        tests = [{"name": f"{subtask.tag} {subtask.title}", "number": subtask.tag, "score": 0,
                  "max_score": subtask.points, "status": "failed", "output": "not graded: see above",
                  "visibility": "visible"} for subtask in SUBTASKS]
    except Exception:  # noqa: BLE001 - the message says enough without the table
        tests = []
    return {"score": 0, "execution_time": round(seconds, 1), "output_format": "text", "tests": tests,
            "output": f"Not graded: {message}. Your submission is not at fault if you did not change the tests; "
                      "please tell your instructor."}


class ResultsFile:
    """``results_dir/results.json``, written once: its space is taken before grading starts (a submission that
    fills the disk cannot leave the grader without room for it), its text written when grading ends, then the
    complete file renamed over the name in one step."""

    RESERVED = 1 << 20  # bytes; a results.json is about 12 kB

    def __init__(self, results_dir):
        self.dir = Path(results_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        if self.dir.stat().st_uid == os.geteuid():
            self.dir.chmod(0o755)  # only the grader writes here
        descriptor, self.part = tempfile.mkstemp(prefix=".results.", suffix=".part", dir=self.dir)
        self.handle = os.fdopen(descriptor, "r+b")
        try:
            os.posix_fallocate(descriptor, 0, self.RESERVED)
        except (AttributeError, OSError):
            pass  # a file system without it: written as usual at the end

    def write(self, data):
        try:
            text = (json.dumps(data, indent=1) + "\n").encode()
            self.handle.seek(0)
            self.handle.write(text)
            self.handle.truncate(len(text))
            self.handle.flush()
            os.fsync(self.handle.fileno())
            self.handle.close()
            os.chmod(self.part, 0o644)
            target = self.dir / "results.json"
            if target.is_dir() and not target.is_symlink():  # a rename cannot replace a folder
                shutil.rmtree(target)
            os.replace(self.part, target)  # never follows a link left at the name: the link itself is replaced
        finally:
            self.handle.close()
            if os.path.exists(self.part):
                os.unlink(self.part)


def write_results(results_dir, data):
    """Write ``data`` to ``results_dir/results.json`` in one step (see ResultsFile)."""
    ResultsFile(results_dir).write(data)


def read_bounded(path, limit=MAX_RESULTS):
    """The text of the regular file ``path`` (never through a link), if it holds at most ``limit`` bytes."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise OSError(f"{path} is not a regular file")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise OSError(f"{path} is over {limit} bytes")
    return data.decode()


# ---------------------------------------------------------------------------------------------
# In the container: run, check-ids


def settings_of(source):
    """The limits: settings.json of the zip, each overridable by its environment variable (for tests)."""
    settings = dict(SETTINGS)
    try:
        settings.update(json.loads((source / "grader" / "settings.json").read_text()))
    except (OSError, ValueError):
        pass
    for key, variable in ENVIRONMENT.items():
        if os.environ.get(variable):
            settings[key] = float(os.environ[variable])
    return settings


def hidden_option(source):
    hidden = source / "grader" / "tests" / "grading"
    return str(hidden) if hidden.is_dir() else "none"


def sandbox_mode(root):
    """(mode, None) for grade.py's --sandbox, or (None, why not) where no safe one is here.

    Bubblewrap wherever it can make a sandbox (a local test, and a container that allows it). Without
    it, the container itself is the sandbox: only in Gradescope's, at /autograder, never on a machine
    whose other files (an instructor's checkout) the checks could read (AUTOGRADER_SANDBOX=container
    allows it, for a container made to stand in for Gradescope's)."""
    from grader import sandbox

    problem = sandbox.check_mode("bwrap")
    if problem is None:
        return "bwrap", None
    if Path(root).resolve() == Path(DEFAULT_ROOT) or os.environ.get("AUTOGRADER_SANDBOX") == "container":
        return "container", None
    return None, (f"outside Gradescope's container ({DEFAULT_ROOT}) the checks run only in bubblewrap, and {problem}. "
                  "Install bubblewrap (apt-get install bubblewrap), or run this inside a container made for it "
                  "with AUTOGRADER_SANDBOX=container")


def grade_command(source, submission, out, settings, mode="container"):
    """The grade.py command line that grades ``submission`` into ``out`` with the zip's settings."""
    visibility = settings.get("hidden_visibility", SETTINGS["hidden_visibility"])
    if visibility not in VISIBILITIES:
        visibility = SETTINGS["hidden_visibility"]
    return [sys.executable, str(source / "grader" / "tools" / "grade.py"), "--single", str(submission),
            "--out", str(out), "--release", str(source / "release"),
            "--expected", str(source / "grader" / "expected.json"), "--hidden", hidden_option(source),
            "--hidden-visibility", visibility,
            "--sandbox", mode, "--timeout", f"{settings['timeout']:g}",
            "--test-timeout", f"{settings['test_timeout']:g}", "--memory-mb", f"{int(settings['memory_mb'])}",
            "--data-mb", f"{int(settings['data_mb'])}", "--no-progress"]


def grade_submission(root, started):
    """Grade ``root/submission`` with grade.py in a scratch folder; the results as a dict, never an exception."""
    source = root / "source"
    settings = settings_of(source)
    submission = root / "submission"
    if not submission.is_dir():
        return failed_result(f"no submission folder ({submission})", time.monotonic() - started, source / "grader")
    mode, refusal = sandbox_mode(root)
    if mode is None:
        print(f"run_autograder: not graded: {refusal}", flush=True)
        return failed_result(f"no sandbox: {refusal}", time.monotonic() - started, source / "grader")
    if os.geteuid() == 0:  # the hidden checks and the grader: out of the checks' reach, whatever user they run as
        (source / "grader").chmod(0o700)
    with tempfile.TemporaryDirectory(prefix="autograder-") as work:
        out = Path(work) / "out"
        command = grade_command(source, submission, out, settings, mode)
        print("run_autograder:", " ".join(command), flush=True)
        process = subprocess.Popen(command, cwd=work, start_new_session=True)
        left = settings["guard"] - (time.monotonic() - started)
        try:
            code = process.wait(timeout=max(left, 1))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return failed_result(f"grading ran past {settings['guard']:g} s and was stopped",
                                 time.monotonic() - started, source / "grader")
        if code != 0:
            return failed_result(f"the grader stopped with exit code {code}", time.monotonic() - started,
                                 source / "grader")
        try:
            data = json.loads(read_bounded(out / "results.json"))
        except (OSError, ValueError) as error:
            return failed_result(f"the grader wrote no readable results ({error})", time.monotonic() - started,
                                 source / "grader")
    problems = validate_results(data)
    if problems:
        return failed_result("the grader's results were not valid (" + "; ".join(problems[:5]) + ")",
                             time.monotonic() - started, source / "grader")
    data["execution_time"] = round(time.monotonic() - started, 1)
    return data


def run(root):
    """Grade the submission under ``root`` and write its results.json once; 0 when it was written."""
    started = time.monotonic()
    root = Path(root)
    results = ResultsFile(root / "results")
    try:
        data = grade_submission(root, started)
    except BaseException as error:  # noqa: BLE001 - whatever happened, the student gets a result
        data = failed_result(f"the autograder failed ({type(error).__name__}: {error})", time.monotonic() - started,
                             root / "source" / "grader")
    results.write(data)
    print(f"run_autograder: results.json written: {data['score']:g} points, {len(data['tests'])} entries")
    return 0


def check_ids(root):
    """Collect the test ids again here (setup.sh: with what it installed); 0 if they are those of the zip."""
    source = Path(root) / "source"
    with tempfile.TemporaryDirectory(prefix="autograder-ids-") as work:
        fresh = Path(work) / "expected.json"
        result = subprocess.run([sys.executable, str(source / "grader" / "tools" / "grade.py"), "--collect",
                                 str(fresh), "--release", str(source / "release"), "--hidden", hidden_option(source)])
        if result.returncode != 0:
            return 1
        here = json.loads(fresh.read_text())["tests"]
    shipped = json.loads((source / "grader" / "expected.json").read_text())["tests"]
    if here == shipped:
        print(f"check-ids: the {len(shipped)} test ids of the zip are those collected here")
        return 0
    print(f"check-ids: collected here but not in the zip: {sorted(set(here) - set(shipped))[:10]}; "
          f"in the zip but not collected here: {sorted(set(shipped) - set(here))[:10]}; "
          f"subtasks differ: {sorted(n for n in set(here) & set(shipped) if here[n] != shipped[n])[:10]}",
          file=sys.stderr)
    return 1


# ---------------------------------------------------------------------------------------------
# Here: build


class BuildError(Exception):
    """The zip cannot be built (solution code would ship, the data is missing, the ids cannot be collected)."""


def solution_leaks(stage):
    """Paths under ``stage`` that must not ship: solutions, answers, any solution fence."""
    sys.path.append(str(TOOLS))
    import fences

    leaks = []
    for path in sorted(stage.rglob("*")):
        relative = path.relative_to(stage).as_posix()
        if "solutions" in path.relative_to(stage).parts or relative.endswith("answers.md"):
            leaks.append(relative)
        elif path.is_file() and path.suffix in (".py", ".md", ".txt", ".toml", ".yml", ".json", ".sh", ""):
            if path.relative_to(stage).parts[0] == "data":
                continue
            for line in path.read_text(errors="replace").splitlines():
                if any(pattern.match(line) for pattern in (fences.BEGIN, fences.END, fences.ONLY_BEGIN,
                                                           fences.ONLY_END)):
                    leaks.append(f"{relative}: {line.strip()}")
                    break
    return leaks


def stage_zip(stage, settings):
    """Write everything the zip holds into the folder ``stage``."""
    import release
    from grader import data

    try:
        release.write_release(stage / "release")
    except release.ReleaseError as error:
        raise BuildError(str(error)) from error
    grader = stage / "grader"
    for name in GRADER_FILES:
        (grader / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO_ROOT / name, grader / name)
    for folder, pattern in GRADER_TREES:
        (grader / folder).mkdir(parents=True, exist_ok=True)
        for path in sorted((REPO_ROOT / folder).glob(pattern)):
            shutil.copyfile(path, grader / folder / path.name)
    hidden = ASSIGNMENT.path("hidden_checks")
    if hidden is not None and hidden.is_dir():
        shutil.copytree(hidden, grader / hidden.relative_to(REPO_ROOT),
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache"))
    (grader / "settings.json").write_text(json.dumps(settings, indent=1) + "\n")
    # The ids, collected by the grader that ships, from the release and hidden checks that ship.
    result = subprocess.run([sys.executable, str(grader / "tools" / "grade.py"), "--collect",
                             str(grader / "expected.json"), "--release", str(stage / "release"),
                             "--hidden", hidden_option(stage)], capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError("the test ids could not be collected:\n" + (result.stdout + result.stderr)[-3000:])
    try:
        raw = data.source(ASSIGNMENT)
    except data.DataError as error:
        raise BuildError(str(error)) from error
    time_the_reference(stage, raw)
    (stage / "data").mkdir()
    checksums = data.checksums(ASSIGNMENT) if raw is not None else {}
    for name in checksums:
        shutil.copyfile(raw / name, stage / "data" / name)
    (stage / "data" / "SHA256SUMS").write_text("".join(f"{digest}  {name}\n" for name, digest in checksums.items()))
    (stage / "data" / "FOLDER").write_text(f"{data.folder(ASSIGNMENT) or ''}\n")
    for name in EXECUTABLE:
        shutil.copyfile(FILES / name, stage / name)
    for cache in list(stage.rglob("__pycache__")):
        shutil.rmtree(cache)
    leaks = solution_leaks(stage)
    if leaks:
        raise BuildError("solution code would ship in the zip: " + "; ".join(leaks[:10]))


def time_the_reference(stage, raw):
    """Add each test's time on the solutions to the zip's expected.json: its time limit follows from it."""
    from grader import expected as expected_tests
    from grader import timing

    grader = stage / "grader"
    hidden = grader / "tests" / "grading"
    hidden = hidden if hidden.is_dir() else None
    ids = expected_tests.load(grader / "expected.json", hidden, stage / "release")
    with tempfile.TemporaryDirectory(prefix="autograder-plugin-") as plugin:
        shutil.copyfile(TOOLS / "grading_plugin.py", Path(plugin) / "grading_plugin.py")
        try:
            ids.seconds = timing.measure(ids, stage / "release", plugin, hidden, REPO_ROOT / "solutions", raw)
        except expected_tests.CollectError as error:
            raise BuildError(str(error)) from error
    expected_tests.save(ids, grader / "expected.json")


def build(out=DEFAULT_ZIP, settings=None):
    """Write Gradescope's zip to ``out``; return the names it holds."""
    out = Path(out)
    settings = {**SETTINGS, **(settings or {})}
    with tempfile.TemporaryDirectory(prefix="autograder-build-") as stage:
        stage = Path(stage)
        stage_zip(stage, settings)
        names = []
        part = out.with_name(out.name + ".part")
        with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            for path in sorted(stage.rglob("*")):
                if path.is_file():
                    name = path.relative_to(stage).as_posix()
                    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.external_attr = (0o100755 if name in EXECUTABLE else 0o100644) << 16
                    archive.writestr(info, path.read_bytes())
                    names.append(name)
        os.replace(part, out)
    return names


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    making = commands.add_parser("build", help="write autograder.zip (here, in the course repository)")
    making.add_argument("--out", type=Path, default=DEFAULT_ZIP, help="the zip to write (autograder.zip)")
    making.add_argument("--memory-mb", type=int, default=SETTINGS["memory_mb"],
                        help=f"memory of the checks ({SETTINGS['memory_mb']}; the container has 768)")
    making.add_argument("--timeout", type=int, default=SETTINGS["timeout"],
                        help=f"seconds for all checks of a submission ({SETTINGS['timeout']}; the container: 600)")
    making.add_argument("--test-timeout", type=int, default=SETTINGS["test_timeout"],
                        help=f"seconds per test ({SETTINGS['test_timeout']})")
    making.add_argument("--hidden-visibility", choices=VISIBILITIES, default=SETTINGS["hidden_visibility"],
                        help="when students see the entries that hidden checks count toward "
                             f"({SETTINGS['hidden_visibility']})")
    for name in ("run", "check-ids"):
        command = commands.add_parser(name, help="in Gradescope's container: " + (
            "grade ROOT/submission into ROOT/results/results.json" if name == "run" else "setup.sh's id check"))
        command.add_argument("--root", type=Path, default=Path(os.environ.get("AUTOGRADER_ROOT") or DEFAULT_ROOT),
                             help="Gradescope's folder (/autograder; or $AUTOGRADER_ROOT)")
    args = parser.parse_args(argv)
    if args.command == "run":
        return run(args.root)
    if args.command == "check-ids":
        return check_ids(args.root)
    if args.timeout + 30 > SETTINGS["guard"]:
        parser.error(f"--timeout must leave 30 s before the guard ({SETTINGS['guard']} s; Gradescope stops at 600)")
    started = time.monotonic()
    try:
        names = build(args.out, {"memory_mb": args.memory_mb, "timeout": args.timeout,
                                 "test_timeout": args.test_timeout, "hidden_visibility": args.hidden_visibility})
    except BuildError as error:
        print(f"autograder: {error}", file=sys.stderr)
        return 1
    hidden = sum(name.startswith("grader/tests/grading/") for name in names)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB, {len(names)} files, "
          f"{hidden} hidden check file(s)) in {time.monotonic() - started:.0f} s. Upload it in Gradescope: "
          "Configure Autograder > Zip file upload.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
