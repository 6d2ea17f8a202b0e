"""The run recorder is built from explicit values, and any data loader can describe itself."""

import json

import torch
from tiny_data import Linear2, make_data, make_loader

from utils.internals.run_recorder import RunRecorder, loader_settings
from utils.network_trainer import NetworkTrainer


class CroppedLoader:
    """A loader of another course (not DataLoaderFNN): its settings are its own, under its own names."""

    def __init__(self, crop):
        self.crop = crop
        self.batches = make_loader(*make_data())

    def __call__(self, split):
        return self.batches(split)

    def settings(self):
        return {"crop": self.crop, "colour": "grey"}


def train(tmp_path, loader):
    trainer = NetworkTrainer(Linear2, torch.nn.CrossEntropyLoss, torch.optim.SGD, data_loader=loader,
                             folder=tmp_path, device="cpu", progress=False)
    return trainer.train_network(1, {}, optimizer_params={"lr": 0.1})


def test_a_loader_with_settings_describes_itself_in_the_run_record_and_name(tmp_path):
    small, large = train(tmp_path, CroppedLoader(20)), train(tmp_path, CroppedLoader(24))
    assert small != large, "two loaders with different settings must give two runs"
    assert json.loads((small / "run.json").read_text())["data"] == {"crop": 20, "colour": "grey"}
    assert json.loads((large / "run.json").read_text())["data"]["crop"] == 24


def test_a_loader_without_settings_is_described_by_its_simple_public_attributes():
    class Plain:
        batch_size, seed, sizes, _cache = 32, 7, (28, 28), [1]

        def __call__(self, split):
            return []

    assert loader_settings(Plain()) == {"batch_size": 32, "seed": 7, "sizes": (28, 28)}


def test_the_course_loader_describes_itself_with_settings(mnist_loader):
    assert mnist_loader.settings() == {"train_val_ratio": 0.8, "batch_size": 100, "seed": 0, "mean_std": None,
                                       "augment": None}


def test_the_recorder_takes_explicit_values_and_is_called_at_start_epoch_end_and_save(tmp_path, capsys):
    model = Linear2()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    recorder = RunRecorder(tmp_path, {"network_class": Linear2, "seed": 3}, model, optimizer, 2, torch.device("cpu"))
    recorder.start()
    recorder.end_epoch(1, 0.9, 0.8)
    recorder.end_epoch(2, 0.7, 0.6, 50.0, 66.7)
    folder = recorder.save("complete")
    record = json.loads((folder / "run.json").read_text())
    assert record["seed"] == 3 and record["status"] == "complete" and record["epochs_done"] == 2
    assert [epoch["val_loss"] for epoch in record["history"]] == [0.8, 0.6]
    out = capsys.readouterr().out
    assert "Training Linear2 on cpu for 2 epochs" in out and "epoch 2/2" in out and "acc  66.70 %" in out
