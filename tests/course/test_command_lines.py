"""Command lines that cannot work stop at once with one line that names the fix, never a traceback.

The scripts run as a student runs them: in a subprocess, the solutions or freshly generated
templates, and nothing may be written (no figure, no run) before the check that stops them.
"""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO_ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = REPO_ROOT / "solutions"
ENV = dict(os.environ, MPLBACKEND="Agg", OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")


def run_script(script, *args, cwd=SOLUTIONS):
    return subprocess.run([sys.executable, str(script), *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, env=ENV, timeout=300)


def assert_one_line_error(result, *phrases):
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for phrase in phrases:
        assert phrase in lines[0], lines[0]


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_a_device_the_machine_lacks_is_one_line_before_anything_is_written(tmp_path):
    runs = tmp_path / "runs"
    result = run_script(SOLUTIONS / "01_main.py", "--device", "cuda", "--no-show", "--runs-dir", runs)
    assert_one_line_error(result, "device 'cuda' is not available", "--device auto")
    assert not runs.exists() or not any(runs.iterdir())


def test_a_runs_dir_that_is_a_file_is_one_line_and_the_file_is_kept(tmp_path):
    taken = tmp_path / "notes.txt"
    taken.write_text("mine")
    result = run_script(SOLUTIONS / "01_main.py", "--no-show", "--runs-dir", taken)
    assert_one_line_error(result, "is a file, not a folder", "choose another --runs-dir")
    assert taken.read_text() == "mine"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_runs_dir_is_one_line_before_the_first_figure(tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    runs.chmod(0o555)
    try:
        result = run_script(SOLUTIONS / "01_main.py", "--no-show", "--runs-dir", runs)
    finally:
        runs.chmod(0o755)
    assert_one_line_error(result, "cannot be written to", "choose another --runs-dir")
    assert not list(runs.iterdir())


def test_a_runs_dir_that_refuses_files_stops_main_before_the_first_figure(tmp_path, monkeypatch, capsys):
    """The same as for a read-only folder, where this user may write anywhere (root): the folder
    refuses new files, and the main script stops before 1a_example_images.png."""
    import utils.internals.run_files
    from utils.internals.cli import run_cli

    runs = tmp_path / "runs"
    runs.mkdir()
    real_mkstemp = utils.internals.run_files.tempfile.mkstemp

    def refuse_in_runs(*args, dir=None, **kwargs):
        if dir is not None and Path(dir) == runs:
            raise PermissionError(13, "Permission denied")
        return real_mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(utils.internals.run_files.tempfile, "mkstemp", refuse_in_runs)
    main = importlib.import_module("01_main").main
    assert run_cli(main, ["--no-show", "--runs-dir", str(runs)]) == 2
    err = capsys.readouterr().err
    assert "cannot be written to (Permission denied)" in err and "choose another --runs-dir" in err
    assert not list(runs.iterdir()), "nothing is written before the check"


@pytest.fixture(scope="module")
def bonus_a_unwritten(tmp_path_factory):
    """A scratch repository where bonus e and g are written, and bonus a (accuracy) is not."""
    sys.path.insert(0, str(REPO_ROOT / "tools"))
    from make_templates import scratch_repository

    return scratch_repository(tmp_path_factory.mktemp("no-bonus-a"), solved={"bonus_e", "bonus_g"})


@pytest.mark.slow
@pytest.mark.parametrize("script, out_flag", [("bonus_e_sweep.py", "--out"), ("bonus_g_regression.py", "--runs-dir")])
def test_a_bonus_script_that_needs_accuracies_stops_before_training_without_bonus_a(bonus_a_unwritten, tmp_path,
                                                                                       script, out_flag):
    out = tmp_path / "out"
    result = run_script(script, "--epochs", "1", out_flag, out, cwd=bonus_a_unwritten)
    assert result.returncode == 3, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert "Not done yet: TODO bonus_a" in result.stderr
    assert "pytest --impl student -m bonus_a" in result.stderr
    assert "epoch" not in result.stdout, "it stopped before training"
    assert not out.exists()
