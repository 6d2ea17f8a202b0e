"""Gradescope's autograder (tools/autograder.py, ``make autograder``): the zip, setup.sh, run_autograder.

The zip is built once; each test unpacks it into a stand-in of Gradescope's /autograder in a
scratch folder (AUTOGRADER_ROOT), runs setup.sh without its installs (this environment has the
packages: AUTOGRADER_SKIP_INSTALL=1), copies a submission to ROOT/submission and runs
ROOT/run_autograder, then checks ROOT/results/results.json against Gradescope's format.

This machine's torch is a CUDA build: importing it alone takes 520 MB resident, so the checks of
a solved submission do not fit the zip's 640 MB here (4c, bonus_b and bonus_i stop as "out of
memory"); the gradings below raise the checks' memory (AUTOGRADER_MEMORY_MB).
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import pytest
from grading_helpers import REPO_ROOT, append, write_student_files

from utils.internals.mnist import SHA256
from utils.internals.subtasks import STUDENT_FILES, SUBTASKS

sys.path.insert(0, str(REPO_ROOT / "tools"))
import autograder  # noqa: E402

pytestmark = pytest.mark.instructor
FULL = sum(subtask.points for subtask in SUBTASKS)
CORE = sum(subtask.points for subtask in SUBTASKS if not subtask.is_bonus)
ROOM_HERE = "2048"  # MB for the checks on this machine (see above)
# The Python run_autograder uses. This one lives under /root here, which uid 65534 cannot enter, so the
# checks run as root; give one that uid can run (as setup.sh's venv on Gradescope) to test the other path.
PYTHON = os.environ.get("AUTOGRADER_TEST_PYTHON") or sys.executable


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    path = tmp_path_factory.mktemp("autograder") / "autograder.zip"
    autograder.build(path)
    return path


def unpack(zip_path, root):
    """Gradescope's layout: the zip in ROOT/source, run_autograder copied to ROOT (modes kept)."""
    source = root / "source"
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            target = source / info.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(info))
            target.chmod((info.external_attr >> 16) & 0o777 or 0o644)
    shutil.copy2(source / "run_autograder", root / "run_autograder")
    return root


def environment(root, **extra):
    env = {key: value for key, value in os.environ.items() if not key.startswith("AUTOGRADER_")}
    env.update({"AUTOGRADER_ROOT": str(root), "AUTOGRADER_SKIP_INSTALL": "1", "AUTOGRADER_PYTHON": PYTHON,
                "OMP_NUM_THREADS": "1", **extra})
    return env


def setup_sh(root, **extra):
    return subprocess.run(["bash", str(root / "source" / "setup.sh")], env=environment(root, **extra),
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def stand_in(built, tmp_path):
    root = unpack(built, tmp_path / "autograder")
    result = setup_sh(root)
    assert result.returncode == 0, result.stdout + result.stderr
    return root


def run_autograder(root, submission=None, log=None, **extra):
    """Run ROOT/run_autograder on ``submission`` (copied to ROOT/submission); return the checked results.json.

    ``log``: a list that receives what run_autograder printed (Gradescope keeps it for the instructor).
    """
    if submission is not None:
        shutil.copytree(submission, root / "submission")
    extra.setdefault("AUTOGRADER_MEMORY_MB", ROOM_HERE)
    result = subprocess.run([str(root / "run_autograder")], env=environment(root, **extra), cwd=root,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    if log is not None:
        log.append(result.stdout + result.stderr)
    path = root / "results" / "results.json"
    assert path.is_file() and not path.is_symlink()
    data = json.loads(path.read_text())
    assert autograder.validate_results(data) == [], data
    assert [entry.name for entry in (root / "results").iterdir() if entry.name.endswith(".part")] == []
    return data


def entries(data):
    return {test["name"]: test for test in data["tests"]}


def graded_entry(data, subtask):
    """The entry that carries ``subtask``'s points (not its 0-point "public checks" line)."""
    return next(test for test in data["tests"] if test["name"] == f"{subtask.tag} {subtask.title}")


# ---------------------------------------------------------------------------------------------
# The zip and setup.sh


def test_the_zip_holds_the_entry_points_the_release_mnist_and_the_grader(built):
    with zipfile.ZipFile(built) as archive:
        infos = {info.filename: info for info in archive.infolist()}
    for name in ("setup.sh", "run_autograder"):
        assert (infos[name].external_attr >> 16) & 0o111, f"{name} is not executable"
    assert {"release/fnn.py", "release/01_main.py", "release/tests/subtasks/test_task2_network.py",
            "release/requirements.txt", "grader/tools/grade.py", "grader/tools/grading_plugin.py",
            "grader/tools/autograder.py", "grader/expected.json", "grader/settings.json",
            "data/SHA256SUMS", "data/FOLDER", *(f"data/{name}" for name in SHA256)} <= set(infos)
    hidden = REPO_ROOT / "tests" / "grading"
    assert any(name.startswith("grader/tests/grading/") for name in infos) == hidden.is_dir()
    assert built.stat().st_size < 30e6, "the zip should stay small (MNIST compresses to about 11 MB)"


def test_the_zip_holds_no_solution_no_answers_and_no_fence(built):
    with zipfile.ZipFile(built) as archive:
        for info in archive.infolist():
            parts = Path(info.filename).parts
            assert "solutions" not in parts and not info.filename.endswith("answers.md"), info.filename
            assert "course" not in parts, f"{info.filename}: tests/course/ imports the solutions"
            if not info.filename.startswith("data/"):
                text = archive.read(info).decode(errors="replace")
                for marker in ("### BEGIN SOLUTION", "### END SOLUTION"):
                    assert marker not in text, f"{info.filename} holds {marker!r}"
    with zipfile.ZipFile(built) as archive:
        for file in STUDENT_FILES:
            solution = (REPO_ROOT / "solutions" / file).read_text()
            assert archive.read(f"release/{file}").decode() != solution, f"{file} is solved in the zip"


def test_the_shipped_test_ids_are_those_of_the_shipped_release(stand_in):
    result = subprocess.run([sys.executable, str(stand_in / "source/grader/tools/autograder.py"), "check-ids",
                             "--root", str(stand_in)], capture_output=True, text=True, timeout=120,
                            env=environment(stand_in))
    assert result.returncode == 0, result.stdout + result.stderr


def test_setup_places_mnist_in_the_release_verified_and_read_only(stand_in):
    raw = stand_in / "source" / "release" / "data" / "MNIST" / "raw"
    assert sorted(path.name for path in raw.iterdir()) == sorted(SHA256)
    for name, digest in SHA256.items():
        assert hashlib.sha256((raw / name).read_bytes()).hexdigest() == digest
        assert not (raw / name).stat().st_mode & 0o222


@pytest.mark.parametrize("damage", ["flipped byte", "missing"])
def test_setup_fails_loudly_on_a_damaged_mnist_file_and_does_not_place_it(built, tmp_path, damage):
    root = unpack(built, tmp_path / "autograder")
    broken = root / "source" / "data" / "t10k-labels-idx1-ubyte"
    if damage == "missing":
        broken.unlink()
    else:
        data = bytearray(broken.read_bytes())
        data[100] ^= 0xFF
        broken.write_bytes(bytes(data))
    result = setup_sh(root)
    assert result.returncode != 0
    assert "ERROR" in result.stderr and "t10k-labels-idx1-ubyte" in result.stderr, result.stderr
    raw = root / "source" / "release" / "data" / "MNIST" / "raw"
    assert not (raw / "t10k-labels-idx1-ubyte").exists()
    assert not list(raw.glob(".*.part"))


# ---------------------------------------------------------------------------------------------
# results.json: the validator, and a result whatever happens


GOOD = {"score": 3, "execution_time": 12.5, "output": "", "output_format": "text",
        "tests": [{"name": "2a one dense layer", "score": 2, "max_score": 2, "status": "passed", "output": "done",
                   "visibility": "visible"},
                  {"name": "1a six images", "score": 1, "max_score": 1, "status": "passed", "output": "",
                   "visibility": "after_published", "number": "1a"}]}


@pytest.mark.parametrize("change, problem", [
    (lambda data: data.pop("tests"), "missing field 'tests'"),
    (lambda data: data.update(score="3"), "score '3'"),
    (lambda data: data.update(score=4), "not the sum"),
    (lambda data: data.update(output_format="pdf"), "output_format"),
    (lambda data: data.update(grade=1), "unknown field 'grade'"),
    (lambda data: data["tests"][0].update(visibility="secret"), "visibility 'secret'"),
    (lambda data: data["tests"][0].update(score=3), "0 <= score <= max_score"),
    (lambda data: data["tests"][0].update(status="ok"), "status 'ok'"),
    (lambda data: data["tests"][1].update(name="2a one dense layer"), "of its own"),
    (lambda data: data["tests"][1].pop("output"), "missing field 'output'"),
])
def test_the_validator_accepts_gradescopes_format_and_names_each_fault(change, problem):
    assert autograder.validate_results(json.loads(json.dumps(GOOD))) == []
    data = json.loads(json.dumps(GOOD))
    change(data)
    problems = autograder.validate_results(data)
    assert any(problem in line for line in problems), problems


def test_a_grader_that_fails_still_gives_a_valid_result_that_says_so(stand_in, tmp_path):
    (stand_in / "source" / "grader" / "expected.json").write_text("{}")  # a broken zip: grade.py stops
    data = run_autograder(stand_in, write_student_files(tmp_path / "blank"))
    assert data["score"] == 0 and "exit code" in data["output"]
    assert {test["max_score"] for test in data["tests"]} >= {1, 2}, "the subtasks are listed, at 0 points"


def test_a_grader_that_runs_past_its_time_is_stopped_and_a_valid_result_written(stand_in, tmp_path):
    data = run_autograder(stand_in, write_student_files(tmp_path / "blank"), AUTOGRADER_GUARD="2")
    assert data["score"] == 0 and "ran past 2 s" in data["output"]


def test_without_python_run_autograder_still_writes_a_valid_result(stand_in, tmp_path):
    data = run_autograder(stand_in, write_student_files(tmp_path / "blank"), AUTOGRADER_PYTHON="/nonexistent/python")
    assert data["score"] == 0 and "could not start" in data["output"] and data["tests"] == []


def test_no_submission_folder_gives_a_valid_result(stand_in):
    data = run_autograder(stand_in)
    assert data["score"] == 0 and "no submission folder" in data["output"]


def test_results_are_written_in_one_step_over_whatever_lies_at_the_name(tmp_path):
    outside = tmp_path / "outside.json"
    outside.write_text("keep")
    results = tmp_path / "results"
    results.mkdir()
    (results / "results.json").symlink_to(outside)
    autograder.write_results(results, GOOD)
    assert outside.read_text() == "keep" and not (results / "results.json").is_symlink()
    assert json.loads((results / "results.json").read_text()) == GOOD
    (results / "results.json").unlink()
    (results / "results.json").mkdir()
    autograder.write_results(results, GOOD)
    assert json.loads((results / "results.json").read_text()) == GOOD
    assert sorted(path.name for path in results.iterdir()) == ["results.json"]


# ---------------------------------------------------------------------------------------------
# Submissions graded through run_autograder (tens of seconds each)


@pytest.fixture(scope="module")
def blank_graded(built, tmp_path_factory):
    folder = tmp_path_factory.mktemp("blank")
    root = unpack(built, folder / "autograder")
    assert setup_sh(root).returncode == 0
    return run_autograder(root, write_student_files(folder / "submission"))


@pytest.mark.slow
def test_the_untouched_templates_get_nothing(blank_graded):
    assert blank_graded["score"] == 0
    assert all(test["score"] == 0 for test in blank_graded["tests"])
    assert sum(test["max_score"] for test in blank_graded["tests"]) == FULL


@pytest.mark.slow
def test_the_solution_files_get_every_point(stand_in, tmp_path):
    data = run_autograder(stand_in, write_student_files(tmp_path / "solved", "all"))
    assert data["score"] == FULL, data["output"]
    assert all(test["status"] == "passed" for test in data["tests"]), data["output"]
    assert data["execution_time"] > 0
    if (REPO_ROOT / "tests" / "grading").is_dir():  # hidden checks: their entries wait for publishing by default
        graded = {test["number"]: test["visibility"] for test in data["tests"]}
        assert {graded[f"{subtask.tag}.public"] for subtask in SUBTASKS} == {"visible"}
        assert {graded[subtask.tag] for subtask in SUBTASKS} == {"after_published"}


@pytest.mark.parametrize("visibility", ["visible", "hidden", "after_due_date", "after_published"])
def test_the_visibility_of_hidden_checks_is_a_setting_of_the_zip(tmp_path, visibility):
    grader = tmp_path / "source" / "grader"
    (grader / "tests" / "grading").mkdir(parents=True)
    (grader / "settings.json").write_text(json.dumps({**autograder.SETTINGS, "hidden_visibility": visibility}))
    command = autograder.grade_command(tmp_path / "source", tmp_path / "submission", tmp_path / "out",
                                       autograder.settings_of(tmp_path / "source"))
    assert command[command.index("--hidden-visibility") + 1] == visibility
    assert command[command.index("--hidden") + 1] == str(grader / "tests" / "grading")


@pytest.mark.slow
def test_tasks_1_to_4_solved_and_the_bonus_blank_get_the_core_points(stand_in, tmp_path):
    core = [subtask.tag for subtask in SUBTASKS if not subtask.is_bonus]
    data = run_autograder(stand_in, write_student_files(tmp_path / "core", core))
    assert data["score"] == CORE and 0 < CORE < FULL, data["output"]
    for subtask in SUBTASKS:
        assert graded_entry(data, subtask)["score"] == (0 if subtask.is_bonus else subtask.points), subtask.tag


@pytest.mark.slow
def test_a_file_that_raises_or_exits_at_import_costs_only_its_own_subtasks(stand_in, tmp_path):
    submission = write_student_files(tmp_path / "crashing", ("1a", "1b", "2a"))
    (submission / "bonus_g_regression.py").write_text("raise RuntimeError('broken at import')\n")
    (submission / "handwriting.py").write_text("import os\nos._exit(3)\n")
    data = run_autograder(stand_in, submission)
    assert data["score"] == 4, data["output"]  # 1a, 1b and 2a (2 points)
    assert graded_entry(data, next(s for s in SUBTASKS if s.tag == "bonus_h"))["status"] == "failed"


ATTACK = """
def _attack():
    import glob, json, os
    from pathlib import Path
    root, report = Path({root!r}), Path({report!r})
    reached = []
    fake = {{"score": 999, "execution_time": 1, "output": "all done", "output_format": "text", "tests": []}}
    for target in (root / "results" / "results.json", root / "results" / "extra.json"):
        try:
            target.write_text(json.dumps(fake))
            reached.append(f"wrote {{target}}")
        except OSError:
            pass
    for path in [*glob.glob(str(root / "source" / "grader" / "**" / "*.py"), recursive=True),
                 *glob.glob(str(root / "source" / "release" / "tests" / "**" / "*.py"), recursive=True)]:
        try:
            with open(path, "a") as handle:
                handle.write("\\n# patched by a submission\\n")
            reached.append(f"patched {{path}}")
        except OSError:
            pass
    try:
        seen = sorted(os.listdir(root / "source"))
        reached.append(f"listed the source: {{seen}}")
    except OSError:
        pass
    for name in os.listdir("/proc/self/fd"):
        if name.isdigit() and int(name) > 2:
            try:
                os.write(int(name), json.dumps({{"test": "tests/subtasks/x.py::y", "outcome": {{"status": "passed"}}}}
                                               ).encode() + b"\\n")
            except OSError:
                pass
    print("PASSED " * 50 + "100%")
    print("\\n".join(reached))
    report.write_text("ran\\n" + "\\n".join(reached))  # /tmp: writable by any user


_attack()
"""


@pytest.mark.slow
def test_a_tampering_submission_gets_no_more_than_the_same_honest_work(stand_in, tmp_path, blank_graded):
    report = Path("/tmp") / f"autograder-attack-{uuid.uuid4().hex}.txt"
    submission = write_student_files(tmp_path / "tampered")
    append(submission / "01_main.py", ATTACK.format(root=str(stand_in), report=str(report)))
    (submission / "results.json").write_text(json.dumps({"score": 999, "tests": []}))
    (submission / "tests" / "subtasks").mkdir(parents=True)
    (submission / "tests" / "subtasks" / "test_task1_data.py").write_text("def test_fine():\n    pass\n")
    grader_before = {path: path.read_bytes() for path in (stand_in / "source" / "grader").rglob("*.py")}
    # The attack runs: outside any sandbox, on a stand-in of its own, it reports (else this test checks nothing).
    trial_root, trial_report = tmp_path / "trial-root", tmp_path / "trial-report.txt"
    (trial_root / "results").mkdir(parents=True)
    subprocess.run([sys.executable, "-c", ATTACK.format(root=str(trial_root), report=str(trial_report))],
                   capture_output=True, timeout=60, check=False)
    assert trial_report.read_text().startswith("ran"), "the attack does not run: the test checks nothing"
    log = []
    try:
        data = run_autograder(stand_in, submission, log=log)
        # In a sandbox with a /tmp of its own the report never reaches this /tmp: that is the point.
        reached = report.read_text() if report.exists() else ""
    finally:
        report.unlink(missing_ok=True)
    assert data["score"] <= blank_graded["score"] == 0
    assert "999" not in json.dumps(data) and "all done" not in data["output"]
    assert data["tests"] and all(test["score"] == 0 for test in data["tests"])
    print("the tampering submission reached:", reached[4:2000] or "nothing")
    patched = [path for path, text in grader_before.items() if path.read_bytes() != text]
    if "sandbox: bubblewrap" in log[0] or "a uid of its own per run" in log[0]:  # the checks ran as another user
        assert "wrote" not in reached and "patched" not in reached and not patched, reached
    else:  # as root: it may write anything, yet the results are the grader's, written last
        assert not patched or "patched" in reached


def test_the_results_space_is_taken_before_grading_and_given_back_after(tmp_path):
    results = autograder.ResultsFile(tmp_path / "results")
    (part,) = (tmp_path / "results").iterdir()
    assert part.name.endswith(".part") and part.stat().st_blocks * 512 >= autograder.ResultsFile.RESERVED
    results.write(GOOD)
    assert [path.name for path in (tmp_path / "results").iterdir()] == ["results.json"]
    assert json.loads((tmp_path / "results" / "results.json").read_text()) == GOOD


def test_the_build_refuses_a_stage_that_holds_a_solution(tmp_path):
    (tmp_path / "release").mkdir()
    fenced = "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n"
    (tmp_path / "release" / "fnn.py").write_text(fenced)
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "notes.txt").write_text("nothing")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "answers.md").write_text("42")
    leaks = autograder.solution_leaks(tmp_path)
    assert any(leak.startswith("release/fnn.py") for leak in leaks)
    assert "solutions" in leaks and "docs/answers.md" in leaks


LOOKER = """
def show_example_images(*args, **kwargs):
    import glob, os
    for folder in ("/tmp", "/dev/shm", "/var/tmp", os.environ.get("HOME", "/tmp")):
        try:
            with open(os.path.join(folder, {marker!r}), "w") as handle:
                handle.write("left behind")
        except OSError:
            pass
    loot = []
    for path in [*{places!r}, *glob.glob("/*/*/solutions/fnn.py"), *glob.glob("/*/*/*/solutions/fnn.py")]:
        try:
            with open(path) as handle:
                loot.append(handle.read()[:300])
        except OSError:
            pass
    raise RuntimeError(f"LOOT {{len(loot)}}: " + " | ".join(loot)[:500])
"""


@pytest.mark.slow
def test_a_local_run_sees_nothing_of_the_host_and_leaves_nothing_behind(stand_in, tmp_path):
    marker = f"left-by-a-submission-{uuid.uuid4().hex}"
    places = [str(REPO_ROOT / "solutions" / "fnn.py"), "/work/main/solutions/fnn.py",
              str(stand_in / "source" / "grader" / "tests" / "grading" / "test_hidden_task1.py")]
    submission = write_student_files(tmp_path / "looker")
    append(submission / "01_main.py", LOOKER.format(marker=marker, places=places))
    log = []
    data = run_autograder(stand_in, submission, log=log)
    assert "sandbox: bubblewrap" in log[0], log[0][-2000:]
    assert "LOOT 0:" in json.dumps(data), "the submission looked and found nothing"
    solution = (REPO_ROOT / "solutions" / "fnn.py").read_text()
    fenced = [line.strip() for line in solution.split("### BEGIN SOLUTION", 1)[1].splitlines()
              if len(line.strip()) > 25]
    assert not any(line in json.dumps(data) or line in log[0] for line in fenced[:20])
    for folder in ("/tmp", "/dev/shm", "/var/tmp", str(Path.home())):
        assert not Path(folder, marker).exists(), folder


def test_a_local_run_without_bubblewrap_is_refused_and_says_how(stand_in, tmp_path, monkeypatch):
    from grader import sandbox

    monkeypatch.setattr(sandbox, "check_mode", lambda mode: "bubblewrap is not installed")
    mode, why = autograder.sandbox_mode(stand_in)
    assert mode is None and "apt-get install bubblewrap" in why and "AUTOGRADER_SANDBOX=container" in why
    monkeypatch.setenv("AUTOGRADER_SANDBOX", "container")
    assert autograder.sandbox_mode(stand_in) == ("container", None)
