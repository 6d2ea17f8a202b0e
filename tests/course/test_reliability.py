"""Bad input gets a clear message; a diverged or interrupted training keeps what it finished."""

import json

import pytest
import torch
from tiny_data import Linear2, make_data, make_loader

from fnn import DataLoaderFNN
from utils.internals.errors import TrainingStopped
from utils.network_trainer import NetworkTrainer
from utils.network_user import NetworkUser


@pytest.mark.parametrize("ratio", [0, 1, 1.5, -0.2])
def test_a_ratio_outside_zero_one_is_refused(ratio):
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        DataLoaderFNN(train_val_ratio=ratio)


@pytest.mark.parametrize("size", [0, -5])
def test_a_batch_size_below_one_is_refused(size):
    with pytest.raises(ValueError, match="batch_size must be a whole number > 0"):
        DataLoaderFNN(batch_size=size)


@pytest.mark.parametrize("bad", ["100", 2.5, None])
def test_a_batch_size_of_the_wrong_type_is_refused(bad):
    with pytest.raises(TypeError, match="batch_size must be a whole number"):
        DataLoaderFNN(batch_size=bad)


def test_an_unknown_split_lists_the_allowed_ones(mnist_loader):
    with pytest.raises(ValueError, match="unknown split 'validation'; use one of 'train', 'val', 'test'"):
        mnist_loader("validation")


def test_an_unavailable_device_says_what_the_machine_has():
    from utils.internals.devices import pick_device

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ValueError, match="not available on this machine; it has: .*cpu"):
        pick_device("cuda")


class Explodes(Linear2):
    """Turns its output into NaN once it has seen more than ``fuse`` training batches."""

    def __init__(self, fuse=4):
        super().__init__()
        self.fuse = fuse
        self.seen = 0

    def forward(self, x):
        self.seen += self.training
        output = super().forward(x)
        return output * float("nan") if self.seen > self.fuse else output


def trainer_for(tmp_path, network_class, loader=None):
    train, val = make_data()
    return NetworkTrainer(network_class, torch.nn.CrossEntropyLoss, torch.optim.SGD,
                          data_loader=loader or make_loader(train, val), folder=tmp_path,
                          device="cpu", progress=False)


def test_divergence_stops_with_advice_and_keeps_the_last_good_epoch(tmp_path):
    with pytest.raises(TrainingStopped, match="smaller learning rate") as stopped:  # noqa: PT012
        trainer_for(tmp_path, Explodes).train_network(5, {}, optimizer_params={"lr": 0.1})
    record = json.loads((stopped.value.run_folder / "run.json").read_text())
    assert record["status"] == "diverged" and record["epochs_done"] == 1
    weights = torch.load(stopped.value.run_folder / "weights.pt", weights_only=True)
    assert all(torch.isfinite(w).all() for w in weights.values())


def test_ctrl_c_saves_the_finished_epochs_and_they_can_be_evaluated(tmp_path):
    train, val = make_data()
    plain = make_loader(train, val)
    calls = {"train": 0}

    def interrupted_in_epoch_3(split):
        if split == "test":
            return plain("val")
        if split == "train":
            calls["train"] += 1
            if calls["train"] == 3:
                raise KeyboardInterrupt
        return plain(split)

    trainer = trainer_for(tmp_path, Linear2, loader=interrupted_in_epoch_3)
    with pytest.raises(TrainingStopped, match="Interrupted after 2 of 5 epochs") as stopped:
        trainer.train_network(5, {}, optimizer_params={"lr": 0.1})
    folder = stopped.value.run_folder
    assert json.loads((folder / "run.json").read_text())["epochs_done"] == 2
    result = NetworkUser(Linear2, torch.nn.CrossEntropyLoss, interrupted_in_epoch_3,
                         device="cpu").test_network(folder)
    assert result["status"] == "interrupted" and len(result["history"]) == 2


def test_ctrl_c_before_the_first_epoch_saves_nothing_and_says_so(tmp_path):
    def interrupt(split):
        raise KeyboardInterrupt

    with pytest.raises(TrainingStopped, match="nothing was saved") as stopped:
        trainer_for(tmp_path, Linear2, loader=interrupt).train_network(2, {})
    assert stopped.value.run_folder is None


def test_a_different_configuration_gets_its_own_folder(tmp_path):
    first = trainer_for(tmp_path, Linear2).train_network(1, {}, optimizer_params={"lr": 0.1})
    second = trainer_for(tmp_path, Linear2).train_network(1, {}, optimizer_params={"lr": 0.2})
    third = trainer_for(tmp_path, Linear2).train_network(2, {}, optimizer_params={"lr": 0.1})
    assert len({first, second, third}) == 3


@pytest.mark.parametrize("flags, message", [
    (["--lr", "-1"], "--lr must be a finite number > 0"),
    (["--epochs", "0"], "--epochs must be a whole number > 0"),
    (["--batch-size", "-3"], "--batch-size must be a whole number > 0"),
    (["--train-val-ratio", "1.2"], "--train-val-ratio must lie strictly between 0 and 1"),
    (["--device", "tpu"], "invalid choice: 'tpu'"),
])
def test_command_line_flags_are_checked_with_a_message(capsys, flags, message):
    from utils.internals.flags import parse_args

    with pytest.raises(SystemExit) as exit_info:
        parse_args(flags)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.slow
def test_a_real_ctrl_c_in_the_main_script_saves_the_finished_epoch(tmp_path):
    import signal
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "solutions" / "01_main.py"
    process = subprocess.Popen(
        [sys.executable, "-u", str(script), "--epochs", "6", "--no-plots", "--no-progress",
         "--runs-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # as in a terminal
    for line in process.stdout:
        if line.startswith("epoch 1/6"):
            break
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "Traceback" not in err and "Interrupted after" in err and "saved in" in err
    (record_path,) = tmp_path.glob("*/run.json")
    record = json.loads(record_path.read_text())
    assert record["status"] == "interrupted" and record["epochs_done"] >= 1
