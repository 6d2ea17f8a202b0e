"""The subtasks of the assignment, in the order students do them: the one table everything reads.

The pytest markers, the order and dependencies of the progress table, the hints of the main
script, the README table (checked by a test), the template generator and the grading points all
come from ``SUBTASKS``. Instructors change points here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Subtask:
    tag: str            # as written in the TODO comments: "2a", "bonus_b"
    title: str          # a few words for tables and messages
    file: str           # the student's file that holds the TODO, relative to the repository
    function: str       # where in that file
    needs: tuple = ()   # subtasks whose code this one's checks run as well
    points: float = 1.0

    @property
    def marker(self):
        """The pytest marker: ``task2a`` for core subtasks, ``bonus_b`` for bonus ones."""
        return self.tag if self.is_bonus else f"task{self.tag}"

    @property
    def is_bonus(self):
        return self.tag.startswith("bonus_")

    @property
    def check(self):
        """The one check command of this subtask, e.g. ``python -m pytest -m task2a``.

        In the course repository, which also holds the reference solutions, the tests check the
        reference unless told ``--impl student``; in the students' release that is the default.
        """
        extra = " --impl student" if (REPO_ROOT / "solutions").is_dir() else ""
        return f"python -m pytest{extra} -m {self.marker}"


CORE = ("2a", "2b", "2c", "2d", "3a", "3b", "3c", "3d")

SUBTASKS = (
    Subtask("1a", "six training images with their labels", "01_main.py", "show_example_images"),
    Subtask("1b", "label counts per split", "01_main.py", "count_labels"),
    Subtask("2a", "one dense layer", "fnn.py", "_dense_layer", points=2),
    Subtask("2b", "the network's layers", "fnn.py", "FNN.__init__", ("2a",), points=2),
    Subtask("2c", "the forward pass", "fnn.py", "FNN.forward", ("2a", "2b"), points=2),
    Subtask("2d", "the transform (uncomment)", "fnn.py", "DataLoaderFNN.__init__"),
    Subtask("3a", "losses start at zero", "utils/network_trainer.py", "_train_one_epoch, _validate"),
    Subtask("3b", "the training step", "utils/network_trainer.py", "_train_one_epoch", points=3),
    Subtask("3c", "the average training loss", "utils/network_trainer.py", "_train_one_epoch", points=2),
    Subtask("3d", "validation", "utils/network_trainer.py", "_validate", points=3),
    Subtask("4a", "output activation and loss", "01_main.py", "choose_loss_function"),
    Subtask("4b", "network parameters, optimizer", "01_main.py", "training_settings"),
    Subtask("4c", "train and evaluate", "01_main.py", "main", (*CORE, "4a", "4b"), points=2),
    Subtask("4d", "predictions on test images", "01_main.py", "plot_predictions"),
    Subtask("bonus_a", "accuracy: sum_correct_preds", "01_main.py", "sum_correct_preds"),
    Subtask("bonus_b", "normalisation and batch norm", "fnn.py",
            "channel_mean_std, _dense_layer, FNN.__init__", ("2a", "2b", "2c", "2d")),
    Subtask("bonus_c", "weight initialisation", "fnn.py", "make_initializer"),
    Subtask("bonus_d", "L1 / L2 penalties", "01_main.py", "regularization", CORE),
    Subtask("bonus_e", "width, depth, activation sweep", "bonus_e_sweep.py", "sweep_configs"),
    Subtask("bonus_f", "a network of any depth", "fnn.py", "DeepFNN.__init__", ("2a",)),
    Subtask("bonus_g", "classification as regression", "bonus_g_regression.py", "OneHotMSELoss.forward"),
    Subtask("bonus_h", "your own handwriting", "handwriting.py", "prepare_digit", CORE),
    Subtask("bonus_i", "data augmentation", "augmentation.py",
            "affine_positions, elastic_displacements", ("2d",)),
)

BY_TAG = {subtask.tag: subtask for subtask in SUBTASKS}
BY_MARKER = {subtask.marker: subtask for subtask in SUBTASKS}
STUDENT_FILES = tuple(dict.fromkeys(subtask.file for subtask in SUBTASKS))


def student_file(path):
    """Which student file ``path`` is: ``(relative path, is_reference)``, e.g.
    ``("fnn.py", False)`` for the template and ``("fnn.py", True)`` for ``solutions/fnn.py``;
    None for any other file. The one place that recognises the student's files by their path."""
    relative = _relative(path)
    if relative is None:
        return None
    reference = relative.startswith("solutions/")
    relative = relative.removeprefix("solutions/")
    return (relative, reference) if relative in STUDENT_FILES else None


def from_reference(path):
    """Whether ``path`` is part of the reference solutions (``solutions/``)."""
    return (_relative(path) or "").startswith("solutions/")


def _relative(path):
    try:
        return Path(path).resolve().relative_to(REPO_ROOT).as_posix()
    except (ValueError, OSError):
        return None


def order(tag):
    """Position of a subtask in the assignment (the key to sort tags by); unknown tags go last."""
    return next((index for index, subtask in enumerate(SUBTASKS) if subtask.tag == tag), len(SUBTASKS))
