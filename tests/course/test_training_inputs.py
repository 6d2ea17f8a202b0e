"""The trainer and the networks with bad inputs or runs that go wrong: a clear error, nothing lost."""

import json
import math

import pytest
import torch
from tiny_data import Linear2, make_data, make_loader

from fnn import FNN, DeepFNN, _dense_layer
from utils.internals.errors import ArgumentError, ArgumentTypeError, CourseError, RunError, TrainingStopped
from utils.network_trainer import NetworkTrainer


def trainer(tmp_path, network_class=Linear2, loader=None, **kwargs):
    train, val = make_data()
    return NetworkTrainer(network_class, torch.nn.CrossEntropyLoss, torch.optim.SGD,
                          data_loader=loader or make_loader(train, val), folder=tmp_path, device="cpu",
                          progress=False, **kwargs)


class BlowsUp(Linear2):
    """Scales its scores by 1e9 from the third epoch of training on: huge but finite losses."""

    epochs_seen = 0

    def train(self, mode=True):
        BlowsUp.epochs_seen += bool(mode)
        return super().train(mode)

    def forward(self, x):
        scale = 1e9 if BlowsUp.epochs_seen >= 3 else 1.0
        return super().forward(x) * scale


def test_an_exploding_but_finite_loss_is_divergence_and_the_best_epoch_is_kept(tmp_path):
    BlowsUp.epochs_seen = 0
    with pytest.raises(TrainingStopped, match="exploded") as stopped:
        trainer(tmp_path, BlowsUp).train_network(6, {}, optimizer_params={"lr": 0.1})
    record = json.loads((stopped.value.run_folder / "run.json").read_text())
    assert record["status"] == "diverged" and record["epochs_done"] == 2
    assert all(math.isfinite(e["train_loss"]) and e["train_loss"] < 10 for e in record["history"])


class NanInValidation(Linear2):
    def forward(self, x):
        output = super().forward(x)
        return output if self.training else output * float("nan")


def test_nan_only_in_validation_names_the_validation_loss(tmp_path):
    with pytest.raises(TrainingStopped, match="the validation loss is nan") as stopped:
        trainer(tmp_path, NanInValidation).train_network(2, {}, optimizer_params={"lr": 0.1})
    assert "training loss is" not in str(stopped.value)


def test_nan_pixels_in_the_data_are_named_as_the_cause(tmp_path):
    (train_x, train_y), val = make_data()
    train_x[3, 1] = float("nan")
    loader = make_loader((train_x, train_y), val)
    with pytest.raises(TrainingStopped, match="train data hold NaN") as stopped:
        trainer(tmp_path, loader=loader).train_network(2, {}, optimizer_params={"lr": 0.1})
    assert "learning rate will not help" in str(stopped.value)


def test_a_plain_list_of_batches_is_a_data_loader_too(tmp_path):
    (train_x, train_y), (val_x, val_y) = make_data()
    batches = {"train": [(train_x[:6], train_y[:6]), (train_x[6:], train_y[6:])], "val": [(val_x, val_y)]}
    run = trainer(tmp_path, loader=batches.__getitem__).train_network(1, {}, optimizer_params={"lr": 0.1})
    assert json.loads((run / "run.json").read_text())["status"] == "complete"


def test_an_empty_validation_split_is_named(tmp_path):
    (train_x, train_y), _ = make_data()
    batches = {"train": [(train_x, train_y)], "val": []}
    with pytest.raises(ArgumentError, match="the val split is empty"):
        trainer(tmp_path, loader=batches.__getitem__).train_network(1, {}, optimizer_params={"lr": 0.1})


@pytest.mark.parametrize("network_class, message", [
    (Linear2(), "pass Linear2, not Linear2()"),
    ("FNN", "not its name: pass FNN"),
    (42, "must be a subclass of torch.nn"),
])
def test_a_network_class_that_is_not_a_class_is_named(tmp_path, network_class, message):
    with pytest.raises(ArgumentTypeError, match=message):
        trainer(tmp_path, network_class)


def test_the_loader_class_instead_of_a_loader_is_named(tmp_path):
    class SomeLoader:
        pass

    with pytest.raises(ArgumentTypeError, match=r"pass SomeLoader\(\), not SomeLoader"):
        trainer(tmp_path, loader=SomeLoader)


def test_network_params_none_is_named(tmp_path):
    with pytest.raises(ArgumentTypeError, match="network_params must be a dict"):
        trainer(tmp_path).train_network(1, None)


def built_by_the_trainer(network_class, network_params, tmp_path):
    """What the trainer does with ``network_params`` before the first epoch."""
    return trainer(tmp_path, network_class).train_network(1, network_params)


@pytest.mark.parametrize("network_class, params", [
    (FNN, {"input_shape": 784, "hidden_shape": 500, "num_classes": 10, "activation_func": torch.nn.ReLU()}),
    (DeepFNN, {"input_shape": 784, "hidden_shapes": [500], "num_classes": 10, "activation_func": torch.nn.ReLU()}),
])
def test_an_activation_instance_instead_of_its_class_is_named(tmp_path, network_class, params):
    with pytest.raises(ArgumentTypeError, match=r"pass ReLU, not ReLU\(\)"):
        built_by_the_trainer(network_class, params, tmp_path)


@pytest.mark.parametrize("hidden, error, message", [
    (500, ArgumentTypeError, r"list of layer sizes, e.g. \[500, 500\]"),
    ([500, 0], ArgumentError, "whole number > 0"),
    ([-3], ArgumentError, "whole number > 0"),
    ([], ArgumentError, "at least one"),
])
def test_deep_fnn_sizes_are_checked(tmp_path, hidden, error, message):
    with pytest.raises(error, match=message):
        built_by_the_trainer(DeepFNN, {"input_shape": 784, "hidden_shapes": hidden, "num_classes": 10}, tmp_path)


@pytest.mark.parametrize("name, value", [("hidden_shape", 0), ("input_shape", -784), ("num_classes", 2.5)])
def test_fnn_sizes_are_checked(tmp_path, name, value):
    with pytest.raises((ArgumentError, ArgumentTypeError), match=f"{name} must be a whole number"):
        built_by_the_trainer(FNN, {name: value}, tmp_path)


def test_dropout_as_a_string_is_named(tmp_path):
    with pytest.raises(ArgumentTypeError, match="dropout must be a number in"):
        built_by_the_trainer(DeepFNN, {"hidden_shapes": [64], "dropout": "0.2"}, tmp_path)


def test_an_augment_that_cannot_be_called_is_named():
    from fnn import DataLoaderFNN

    with pytest.raises(ArgumentTypeError, match="augment must be callable"):
        DataLoaderFNN(augment="elastic", verbose=False)


def test_image_batches_that_are_not_flat_are_named():
    from utils.internals.training import build_network

    model = build_network(FNN, {"input_shape": 784})
    with pytest.raises(ArgumentError, match=r"shape \(batch, 784\), got \(8, 1, 28, 28\).*flatten"):
        model(torch.rand(8, 1, 28, 28))


def test_dense_layer_is_unchanged_by_the_checks():
    assert isinstance(_dense_layer(3, 2), torch.nn.Sequential)


def test_a_runs_dir_that_is_a_file_is_refused_before_training(tmp_path):
    target = tmp_path / "runs"
    target.write_text("not a folder")
    seen = []

    def loader(split):
        seen.append(split)
        return make_loader(*make_data())(split)

    with pytest.raises(RunError, match="runs"):
        NetworkTrainer(Linear2, torch.nn.CrossEntropyLoss, torch.optim.SGD, data_loader=loader, folder=target,
                       device="cpu", progress=False).train_network(1, {})
    assert not seen, "no batch may be trained before the folder is known to work"


def test_an_interrupted_rerun_never_replaces_the_finished_run(tmp_path):
    finished = trainer(tmp_path).train_network(2, {}, optimizer_params={"lr": 0.1})
    complete = (finished / "weights.pt").read_bytes()
    calls = {"train": 0}
    plain = make_loader(*make_data())

    def interrupted_in_epoch_2(split):
        calls[split] = calls.get(split, 0) + 1
        if split == "train" and calls["train"] == 2:
            raise KeyboardInterrupt
        return plain(split)

    with pytest.raises(TrainingStopped, match="Interrupted after 1 of 2") as stopped:
        trainer(tmp_path, loader=interrupted_in_epoch_2).train_network(2, {}, optimizer_params={"lr": 0.1})
    assert stopped.value.run_folder != finished
    assert (finished / "weights.pt").read_bytes() == complete
    assert json.loads((finished / "run.json").read_text())["status"] == "complete"


def test_progress_bars_stay_off_when_the_output_is_not_a_terminal(capsys):
    from utils.internals.training import progress_bar

    bar = progress_bar(range(3), "train", enabled=True)  # pytest's captured stderr is not a terminal
    assert bar.disable
    assert list(bar) == [0, 1, 2]


def test_the_reference_and_a_students_run_with_the_same_settings_get_different_folders(tmp_path):
    from utils.internals.run_names import run_name

    base = {"network_class": Linear2, "network_params": {}, "optimizer_params": {"lr": 0.1}}
    assert run_name(dict(base, implementation="reference")) != run_name(dict(base, implementation="student"))


def test_every_course_error_prints_as_one_line_and_a_students_bug_keeps_its_traceback(capsys):
    from utils.internals.cli import run_cli

    def bad_argument(argv):
        raise ArgumentError("--hidden must be a whole number > 0, got 0.")

    assert run_cli(bad_argument) == 2
    assert capsys.readouterr().err.strip() == "Error: --hidden must be a whole number > 0, got 0."
    assert issubclass(RunError, CourseError)

    def student_bug(argv):
        first, second = (1, 2, 3)  # noqa: F841 - the kind of bug a student writes

    with pytest.raises(ValueError, match="too many values to unpack"):
        run_cli(student_bug)
