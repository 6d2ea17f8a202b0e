"""The handwriting reader with real students' files: image modes, huge images, which run reads them.

Covers utils/internals/digit_images.py, utils/internals/drawing_pad.py,
utils.internals.run_choice.best_classification_run and the
command line of solutions/handwriting.py.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from handwriting import build_pad, prepare_digit
from utils.internals.cli import run_cli
from utils.internals.digit_images import load_image, to_grey
from utils.internals.errors import HandwritingError, RunError
from utils.internals.run_choice import best_classification_run, classification_runs
from utils.internals.run_classes import RECORD_FILE
from utils.internals.run_files import save_run

REPO_ROOT = Path(__file__).resolve().parents[2]


def seven(height=60, width=48):
    """A mask of a 7-like stroke (True = ink), off-centre."""
    ink = np.zeros((height, width), dtype=bool)
    ink[8:14, 6:40] = True
    for row in range(14, 54):
        column = 40 - (row - 14) // 2
        ink[row, column - 3:column + 3] = True
    return ink


def reference():
    """The stroke as black ink on white paper, grey 0..255: how it must be read."""
    return prepare_digit(np.where(seven(), 0, 255).astype(np.uint8))


def transparent_rgba(ink_rgb=(0, 0, 0), under=(0, 0, 0)):
    ink = seven()
    rgba = np.zeros(ink.shape + (4,), dtype=np.uint8)
    rgba[..., :3] = under  # the colour under fully transparent pixels: often black
    rgba[ink, :3] = ink_rgb
    rgba[..., 3] = np.where(ink, 255, 0)
    return Image.fromarray(rgba, "RGBA")


def la_image():
    ink = seven()
    la = np.zeros(ink.shape + (2,), dtype=np.uint8)  # black everywhere, only alpha tells ink from paper
    la[..., 1] = np.where(ink, 255, 0)
    return Image.fromarray(la, "LA")


def grey16():
    return Image.fromarray(np.where(seven(), 1200, 65535).astype(np.uint16))


def palette_with_transparency():
    picture = Image.fromarray(np.where(seven(), 1, 0).astype(np.uint8), "P")
    picture.putpalette([0, 0, 0, 0, 0, 0] + [0, 0, 0] * 254)  # both entries black; 0 is transparent
    picture.info["transparency"] = 0
    return picture


IMAGES = {
    "RGBA, black ink on a transparent black canvas": lambda: transparent_rgba(),
    "RGBA, blue ink on a transparent white canvas": lambda: transparent_rgba((20, 40, 200), (255, 255, 255)),
    "LA, black under transparency": la_image,
    "16-bit grey": grey16,
    "palette with a transparent entry": palette_with_transparency,
    "RGB": lambda: Image.fromarray(np.stack([np.where(seven(), 0, 255).astype(np.uint8)] * 3, axis=2), "RGB"),
    "grey": lambda: Image.fromarray(np.where(seven(), 0, 255).astype(np.uint8), "L"),
    "bilevel": lambda: Image.fromarray(~seven()),
    "white ink on black": lambda: Image.fromarray(np.where(seven(), 255, 0).astype(np.uint8), "L"),
}


@pytest.mark.parametrize("make", IMAGES.values(), ids=IMAGES.keys())
def test_every_kind_of_png_is_read_as_the_digit_on_it(tmp_path, make):
    path = tmp_path / "digit.png"
    saved = make()
    saved.save(path, **({"transparency": 0} if saved.mode == "P" else {}))
    grey = load_image(path)
    assert grey.ndim == 2 and grey.shape == seven().shape
    assert 0.0 <= grey.min() and grey.max() <= 1.0
    prepared = prepare_digit(grey)
    assert torch.allclose(prepared, reference(), atol=0.02), "read like black ink on white paper"


def test_a_16_bit_png_is_opened_as_16_bit(tmp_path):
    grey16().save(tmp_path / "digit.png")
    with Image.open(tmp_path / "digit.png") as picture:
        assert picture.mode in ("I;16", "I")


def test_transparent_arrays_are_composited_onto_white_paper():
    rgba = np.asarray(transparent_rgba())
    assert torch.allclose(prepare_digit(rgba), reference(), atol=0.02)
    la = np.asarray(la_image())
    assert torch.allclose(prepare_digit(la), reference(), atol=0.02)
    floats = rgba.astype(np.float32) / 255  # the same in [0, 1]
    assert torch.allclose(prepare_digit(floats), reference(), atol=0.02)
    grey = to_grey(rgba)
    assert grey[0, 0] == 1.0 and grey[10, 20] == 0.0


def test_a_photo_rotated_by_its_exif_data_is_read_upright(tmp_path):
    upright = Image.fromarray(np.where(seven(), 0, 255).astype(np.uint8), "L")
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # how a phone stores a turned picture
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to show it
    stored.save(tmp_path / "photo.png", exif=exif)
    assert torch.allclose(prepare_digit(load_image(tmp_path / "photo.png")), reference(), atol=0.02)


@pytest.mark.parametrize("side", [12, 40], ids=["over the limit (warning)", "over twice the limit (error)"])
def test_a_decompression_bomb_is_refused_with_a_size_to_save_at(tmp_path, monkeypatch, side):
    Image.fromarray(np.zeros((side, side), dtype=np.uint8)).save(tmp_path / "huge.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    with pytest.raises(HandwritingError, match=r"huge.png is too large an image.*save it smaller.*4000x4000"):
        load_image(tmp_path / "huge.png")


def test_files_that_are_not_images_are_refused(tmp_path):
    (tmp_path / "digit.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    with pytest.raises(HandwritingError, match="not an image this program can read"):
        load_image(tmp_path / "digit.png")
    (tmp_path / "folder.png").mkdir()
    with pytest.raises(HandwritingError, match="no image file"):
        load_image(tmp_path / "folder.png")


# --- the drawing pad ----------------------------------------------------------------------

def _draw_a_stroke(fig, canvas):
    from matplotlib.backend_bases import MouseButton, MouseEvent

    pad = fig.axes[0]
    fig.canvas.draw()

    def at(x, y):
        return pad.transData.transform((x, y))

    MouseEvent("button_press_event", fig.canvas, *at(140, 40), button=MouseButton.LEFT)._process()
    for y in range(40, 240, 20):
        MouseEvent("motion_notify_event", fig.canvas, *at(140, y))._process()
    MouseEvent("button_release_event", fig.canvas, *at(140, 240), button=MouseButton.LEFT)._process()
    assert canvas[40:220, 135:145].all()


def test_the_pad_of_a_run_without_probabilities_shows_only_the_label():
    from utils.internals.drawing_pad import build_pad as provided_build_pad

    prepared = []

    def prepare(canvas):
        prepared.append(canvas.copy())
        return prepare_digit(canvas)

    fig, canvas = provided_build_pad(lambda image: (4, torch.full((10,), 0.1)), prepare, show_probabilities=False)
    _draw_a_stroke(fig, canvas)
    assert prepared and fig.axes[1].get_title() == "prediction: 4"
    fig2, canvas2 = build_pad(lambda image: (1, torch.nn.functional.one_hot(torch.tensor(1), 10).float()))
    _draw_a_stroke(fig2, canvas2)
    assert fig2.axes[1].get_title() == "prediction: 1 (100%)"


def test_provided_code_never_imports_student_files():
    """Provided code is imported by the templates too: it must load whatever the student wrote."""
    student = {"fnn", "handwriting", "01_main", "augmentation", "utils.network_trainer"}
    for path in sorted((REPO_ROOT / "utils").rglob("*.py")):
        if path.name == "network_trainer.py":
            continue
        tree = ast.parse(path.read_text())
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        imported |= {f"utils.{alias.name}" for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.module == "utils" for alias in node.names}
        bad = {module for module in imported if module in student or module.startswith("bonus_")}
        assert not bad, f"{path.relative_to(REPO_ROOT)} imports student files: {bad}"


# --- which run reads the digit ------------------------------------------------------------

def fake_run(folder, val_accuracy=50.0, status="complete", loss=torch.nn.CrossEntropyLoss, network="FNN",
             seed=0, mtime=None):
    """A run folder of an FNN(784, 8, 10) trained 0 epochs, with the given record."""
    from fnn import FNN

    torch.manual_seed(seed)
    record = {"network_class": FNN, "network_params": {"input_shape": 784, "hidden_shape": 8, "num_classes": 10},
              "loss_function": loss, "status": status, "history": [{"val_accuracy": val_accuracy}]}
    folder = save_run(folder, FNN(784, 8, 10), record)
    if network != "FNN":
        text = json.loads((folder / RECORD_FILE).read_text())
        text["network_class"] = {"class": f"fnn.{network}"}
        (folder / RECORD_FILE).write_text(json.dumps(text))
    if mtime is not None:
        os.utime(folder / RECORD_FILE, (mtime, mtime))
    return folder


class OneHotMSELoss(torch.nn.Module):
    def forward(self, output, target):
        return torch.nn.functional.mse_loss(output, torch.nn.functional.one_hot(target, 10).float())


@pytest.fixture
def runs_dir(tmp_path):
    runs = tmp_path / "runs"
    fake_run(runs / "FNN-good", 95.0, mtime=1_000)
    fake_run(runs / "FNN-older-tie", 95.0, mtime=500)
    fake_run(runs / "FNN-worse", 90.0, mtime=2_000)
    fake_run(runs / "FNN-OneHotMSELoss-regression", 99.0, loss=OneHotMSELoss, mtime=3_000)
    fake_run(runs / "FNN-interrupted", 99.5, status="interrupted", mtime=3_000)
    fake_run(runs / "DeepFNN-run", 99.6, network="DeepFNN", mtime=3_000)
    damaged = fake_run(runs / "FNN-damaged", 99.9, mtime=3_000)
    (damaged / RECORD_FILE).write_text("{ not json")
    (runs / "notes.txt").write_text("not a run")
    (runs / "empty-folder").mkdir()
    return runs


def test_the_best_complete_cross_entropy_fnn_run_is_chosen(runs_dir):
    assert best_classification_run(runs_dir, network_class_name="FNN") == runs_dir / "FNN-good"
    assert [summary.folder.name for summary in classification_runs(runs_dir)] == [
        "FNN-good", "FNN-older-tie", "FNN-worse"]
    assert best_classification_run(runs_dir, network_class_name="DeepFNN") == runs_dir / "DeepFNN-run"


def test_without_a_usable_run_the_error_says_how_to_make_one(tmp_path):
    fake_run(tmp_path / "FNN-mse", 99.0, loss=OneHotMSELoss)
    for folder in (tmp_path, tmp_path / "missing"):
        with pytest.raises(RunError, match=(r"no complete FNN run trained with CrossEntropyLoss in .*; "
                                            r"train one first: python 01_main.py")):
            best_classification_run(folder)


def digit_png(path):
    Image.fromarray(np.where(seven(), 0, 255).astype(np.uint8), "L").save(path)
    return path


def test_main_says_which_run_it_uses_and_why(runs_dir, tmp_path, capsys):
    import handwriting

    assert run_cli(handwriting.main, [str(digit_png(tmp_path / "seven.png")), "--runs-dir", str(runs_dir)]) == 0
    out = capsys.readouterr().out
    assert "FNN-good (best validation accuracy 95.0 %, of 3 complete runs)" in out
    assert "seven.png: " in out and "(probability " in out


def test_a_regression_run_shows_the_label_without_probabilities(runs_dir, tmp_path, capsys):
    import handwriting

    run = runs_dir / "FNN-OneHotMSELoss-regression"
    assert run_cli(handwriting.main, [str(digit_png(tmp_path / "seven.png")), "--run", str(run)]) == 0
    out = capsys.readouterr().out
    assert "(chosen with --run)" in out and "OneHotMSELoss, not CrossEntropyLoss" in out
    assert "not probabilities" in out and "probability " not in out
    line = next(line for line in out.splitlines() if line.startswith(str(tmp_path / "seven.png")))
    assert line.split(": ")[1].strip().isdigit()


def test_the_command_line_reports_each_bad_file_goes_on_and_exits_1(tmp_path):
    run = fake_run(tmp_path / "runs" / "FNN-tiny")
    good = digit_png(tmp_path / "good.png")
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png")
    blank = tmp_path / "blank.png"
    Image.new("L", (30, 30), 255).save(blank)
    result = subprocess.run(
        [sys.executable, "solutions/handwriting.py", str(bad), str(good), str(blank), "--run", str(run)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
        env=dict(os.environ, OMP_NUM_THREADS="1", MPLBACKEND="Agg"))
    assert result.returncode == 1, result.stderr
    assert f"{good}: " in result.stdout and "probability" in result.stdout
    assert f"{bad}: cannot read it:" in result.stderr and "not an image this program can read" in result.stderr
    assert f"{blank}: cannot read it:" in result.stderr and "empty" in result.stderr
    assert "2 of 3 images could not be read." in result.stderr
    assert "Traceback" not in result.stderr


def test_an_empty_image_is_refused_clearly():
    with pytest.raises(HandwritingError, match="empty"):
        prepare_digit(np.full((50, 50), 255, dtype=np.uint8))


def test_the_drawing_pad_predicts_while_drawing_and_clears():
    from matplotlib.backend_bases import KeyEvent

    seen = []

    def predict_digit(prepared):
        seen.append(prepared)
        return 1, torch.nn.functional.one_hot(torch.tensor(1), 10).float()

    fig, canvas = build_pad(predict_digit)
    _draw_a_stroke(fig, canvas)
    pad, bars = fig.axes
    assert seen and seen[-1].shape == (28, 28)
    assert bars.get_title() == "prediction: 1 (100%)"
    KeyEvent("key_press_event", fig.canvas, "c", *pad.transData.transform((10, 10)))._process()
    assert not canvas.any() and bars.get_title() == "prediction: draw a digit"
