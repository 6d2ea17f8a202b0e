"""Limits the kernel holds, hidden checks out of reach, and hangs that cost one subtask (issue 25).

The quick tests (run by ``make test``) check the pieces: a control group stops memory that no
process maps, a run's tmpfs stops unlinked and empty files, graders draw different uids, and a
test's limit follows its time on the reference. ``make attacks`` (or ``pytest -m attacks``) grades
every attack of this part as a hostile submission beside an honest one, in ONE grading run.
"""

import csv
import importlib
import json
import os
import subprocess
import sys
import time

import pytest
from grading_helpers import REPO_ROOT, append, full, grade_run, measured_ids, points, write_student_files

cgroups = importlib.import_module("grader.cgroups")  # tools/ is on sys.path once grading_helpers is imported
scratch = importlib.import_module("grader.scratch")
sandbox = importlib.import_module("grader.sandbox")
expected = importlib.import_module("grader.expected")

pytestmark = pytest.mark.instructor
needs_root_tools = pytest.mark.skipif(not (cgroups.available() and scratch.available()),
                                      reason="needs root, a cgroup file system and unshare: the grader polls here")

MEMFD = """
import os, sys, time
regions = []
for _ in range(COUNT):
    region = os.memfd_create("hog")
    os.write(region, bytes(100 << 20))
    regions.append(region)
print("all held", flush=True)
time.sleep(30)
"""


@needs_root_tools
def test_a_control_group_stops_memory_that_no_process_maps():
    group = cgroups.make(sandbox.Limits(memory_mb=150, processes=16))
    try:
        script = cgroups.enter_script(group) + 'exec "$@"'
        result = subprocess.run(["sh", "-c", script, "sh", sys.executable, "-c", MEMFD.replace("COUNT", "3")],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == -9 and "all held" not in result.stdout, result
        assert group.oom_kills() >= 1
    finally:
        group.remove()
    assert not any(folder.exists() for folder in group.folders)


SPINNER = """
import threading, time
def spin():
    end = time.time() + 2
    while time.time() < end:
        pass
threads = [threading.Thread(target=spin) for _ in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
"""


@needs_root_tools
def test_a_control_group_holds_a_run_to_its_share_of_the_cpu():
    import resource

    group = cgroups.make(sandbox.Limits(memory_mb=300, processes=32, cpus=0.25))
    quota = any((folder / "cpu.cfs_quota_us").exists() or (folder / "cpu.max").exists() for folder in group.folders)
    try:
        script = cgroups.enter_script(group) + 'exec "$@"'
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        subprocess.run(["sh", "-c", script, "sh", sys.executable, "-c", SPINNER], timeout=60, check=True)
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    finally:
        group.remove()
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if not quota:
        pytest.skip("no cpu controller in this machine's control groups")
    assert used <= 0.25 * wall + 0.5, f"four spinning threads used {used:.2f} s of CPU in {wall:.2f} s (quota 0.25)"


FILLER = """
import os, sys, time
kept, made = [], 0
try:
    for number in range(4):
        handle = open(f"big{number}", "wb")
        os.unlink(f"big{number}")
        kept.append(handle)
        handle.write(bytes(10 << 20))
        handle.flush()
except OSError as error:
    print("bytes stopped:", error.strerror, flush=True)
kept.clear()
try:
    os.mkdir("many")
    for made in range(300_000):
        open(f"many/{made}", "w").close()
except OSError as error:
    print("files stopped at", made, error.strerror, flush=True)
time.sleep(30)
"""


@needs_root_tools
def test_a_runs_tmpfs_counts_unlinked_files_and_empty_files(tmp_path):
    run = tmp_path / "run"
    (run / "seed").mkdir(parents=True)
    (run / "seed" / "kept.txt").write_text("seed")
    box = scratch.Box(run, run / "seed")
    limits = sandbox.Limits(disk_mb=20, inodes=500)
    command = box.stage_command(limits, os.getuid(), "bwrap", None, tmp_path, None)
    command += ["sh", "-c", f'cd "{box.box}/repo" && exec "$@"', "sh", sys.executable, "-c", FILLER]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().startswith("bytes stopped: No space left on device")
        assert box.full(process.pid) == "files" or process.stdout.readline().startswith("files stopped at")
        assert box.full(process.pid) == "files"
    finally:
        process.kill()
        process.wait()
    assert list(box.box.iterdir()) == [], "the tmpfs was mounted in the run's namespace only"


def test_two_graders_draw_different_uids():
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from grader import uids; "
            "print(uids.next_uid(), flush=True); sys.stdin.read()")
    holders = [subprocess.Popen([sys.executable, "-c", code, str(REPO_ROOT / "tools")], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        drawn = [int(holder.stdout.readline()) for holder in holders]
    finally:
        for holder in holders:
            holder.stdin.close()
            holder.wait()
    assert drawn[0] // 4096 != drawn[1] // 4096 and min(drawn) >= 2_000_000


def test_a_tests_limit_follows_its_time_on_the_reference_and_waits_follow_the_table():
    tests = expected.Expected({"a::t": ["2a"], "b::t": ["2b"], "c::t": ["4a"]}, ["a::t", "b::t", "c::t"],
                              {"a::t": 0.2, "b::t": 10.0})
    assert tests.limit("a::t", 120) == expected.FLOOR
    assert tests.limit("a::t", 120, first=True) == expected.FLOOR + expected.STARTUP
    assert tests.limit("b::t", 120) == 50.0 and tests.limit("b::t", 30) == 30
    assert tests.limit("c::t", 120) == 120, "not measured: the flat limit"
    assert tests.calls("b::t", {"2a"}) == ["2a"] and tests.calls("c::t", {"2a"}) == []


# ---------------------------------------------------------------------------------------------
# The attacks, graded in one run (make attacks)

QUICK = ("1a", "2a", "2b", "3a", "3b", "4a", "4b", "bonus_a")
MEMORY = """
def show_example_images(*args, **kwargs):
    import os, time
    regions = []
    for _ in range(12):  # 3 GB that no process maps: a memfd is counted only by the kernel
        region = os.memfd_create("hog")
        os.write(region, bytes(250 << 20))
        regions.append(region)
    time.sleep(10)
    raise NotImplementedError("TODO 1a: show the images")
"""
UNLINKED = """
def count_labels(*args, **kwargs):
    import os, time
    kept = []
    for number in range(4):  # 1 GB in files that no folder lists any more
        handle = open(f"big{number}.bin", "wb")
        os.unlink(f"big{number}.bin")
        handle.write(bytes(250 << 20))
        handle.flush()
        kept.append(handle)
    time.sleep(10)
    raise NotImplementedError("TODO 1b: count the labels")
"""
EMPTY_FILES = """
def show_example_images(*args, **kwargs):
    import os
    os.makedirs("many", exist_ok=True)
    for number in range(300_000):
        open(f"many/{number}", "w").close()
    raise NotImplementedError("TODO 1a: show the images")
"""
READER = """
def show_example_images(*args, **kwargs):
    import glob, os
    seen = glob.glob("tests/subtasks/test_*.py")
    found = []
    for pattern in ("tests/grading/*", "tests/grading/**/*", "/grading/repo/tests/grading/*", "../*/tests/grading/*",
                    "/tmp/**/test_hidden*", "/tmp/*/*/tests/grading/*", "/grading/*/*/*/test_hidden*"):
        found += glob.glob(pattern, recursive=True)
    texts = []
    for path in ["tests/grading/test_hidden_task1.py", "tests/grading/hidden_support.py", *found]:
        try:
            with open(path) as handle:
                texts.append(handle.read(60))
        except OSError:
            pass
    raise RuntimeError(f"READ {len(seen)} public, {len(found)} hidden, {len(texts)} opened: {texts[:2]}")
"""
HANGING_LAYER = """
def _dense_layer(*args, **kwargs):
    while True:
        pass
"""


def rows_of(out):
    with open(out / "grades.csv", newline="") as handle:
        return {row["submission"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def attacked(request, tmp_path_factory):
    if not os.environ.get("COURSE_ATTACKS") and "attacks" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("run by make attacks (or pytest -m attacks)")
    if sandbox.check_mode("bwrap"):
        pytest.skip("no sandbox can be made here, so hostile code is not run")
    base = tmp_path_factory.mktemp("limits")
    ids = measured_ids(base / "ids")
    folder = base / "submissions"
    write_student_files(folder / "honest", QUICK)
    for name, file, code in (("memfd", "01_main.py", MEMORY), ("unlinked", "01_main.py", UNLINKED),
                             ("empty-files", "01_main.py", EMPTY_FILES), ("reader", "01_main.py", READER)):
        write_student_files(folder / name)
        append(folder / name / file, code)
    hanging = write_student_files(folder / "hanging", "all")
    append(hanging / "fnn.py", HANGING_LAYER)
    shm_before = set(os.listdir("/dev/shm"))
    started = time.monotonic()
    out, result = grade_run(folder, base / "out", "--no-progress", "--expected", str(ids), "--memory-mb", "1500",
                            "--disk-mb", "300", timeout=1800)
    return out, result, time.monotonic() - started, shm_before


@pytest.mark.attacks
def test_the_honest_submission_keeps_its_points_beside_the_attacks(attacked):
    out, result, _, _ = attacked
    row = rows_of(out)["honest"]
    assert points(row, QUICK) == full(QUICK) and row["status"] == "ok", row
    assert "limits held by the kernel" in result.stdout


@pytest.mark.attacks
def test_memory_no_process_maps_ends_as_out_of_memory(attacked):
    out, _, _, shm_before = attacked
    row = rows_of(out)["memfd"]
    assert row["status"].startswith("out of memory: used more than 1500 MB"), row
    assert "| 1a six training images with their labels | out of memory |" in (out / "feedback" / "memfd.md").read_text()
    assert set(os.listdir("/dev/shm")) <= shm_before


@pytest.mark.attacks
def test_unlinked_files_and_empty_files_end_as_disk_full(attacked):
    out, _, _, _ = attacked
    rows = rows_of(out)
    assert rows["unlinked"]["status"].startswith("disk full: wrote more than 300 MB"), rows["unlinked"]
    assert rows["empty-files"]["status"].startswith("disk full: made more than"), rows["empty-files"]
    assert "| 2a one dense layer | not started |" in (out / "feedback" / "unlinked.md").read_text()


@pytest.mark.attacks
def test_the_hidden_checks_are_on_no_path_the_student_code_can_open(attacked):
    out, _, _, _ = attacked
    outcomes = json.loads((out / "reader" / "outcomes.json").read_text())
    details = [test.get("detail", "") for test in outcomes["tests"].values()] if "tests" in outcomes else \
        [json.dumps(outcomes)]
    read = [detail for detail in details if "READ " in detail]
    assert read, "the reader ran"
    assert all(" 0 hidden, 0 opened" in detail and "READ 0 public" not in detail for detail in read), read
    hidden_text = (REPO_ROOT / "tests" / "grading" / "test_hidden_task1.py").read_text()[:60]
    for path in out.rglob("*"):
        if path.is_file():
            assert hidden_text not in path.read_text(errors="replace"), path


@pytest.mark.attacks
def test_a_hanging_dense_layer_costs_what_needs_it_and_waits_no_more(attacked):
    out, _, seconds, _ = attacked
    row = rows_of(out)["hanging"]
    kept = ("1a", "1b", "2d", "3a", "3b", "3c", "3d", "4a", "4b", "4d", "bonus_a", "bonus_c", "bonus_e", "bonus_g")
    assert points(row, kept) == full(kept), row
    assert float(row["2a"]) == float(row["2b"]) == 0
    feedback = (out / "feedback" / "hanging.md").read_text()
    assert "| 2a one dense layer | timed out | 0 / 2 | timed out after 15 s while test_" in feedback
    assert "waiting for 2a (it hung)" in feedback
    print(f"the whole grading run took {seconds:.0f} s")
