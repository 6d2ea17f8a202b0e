"""utils/runs.py and utils/network_user.py: run names, checkpoints, clear errors on loading."""

import json

import pytest
import torch

from utils.network_user import NetworkUser
from utils.runs import RunError, load_record, run_name, save_run


class Tiny(torch.nn.Module):
    def __init__(self, width=4, activation_func=torch.nn.ReLU):
        super().__init__()
        self.layers = torch.nn.Sequential(torch.nn.Linear(3, width), activation_func(),
                                          torch.nn.Linear(width, 2))

    def forward(self, x):
        return self.layers(x)


def config(**network_params):
    return {"network_class": Tiny, "network_params": network_params,
            "optimizer": torch.optim.Adam, "optimizer_params": {"lr": 0.001}}


def test_run_names_are_readable_portable_and_distinct():
    names = {run_name(config(width=w, activation_func=a))
             for w in (4, 8) for a in (torch.nn.ReLU, torch.nn.Tanh)}
    assert len(names) == 4
    for name in names:
        assert name.startswith("Tiny-") and len(name) <= 90
        assert not set(name) & set('<>:"/\\|?* \''), name
        assert not name.endswith((".", " "))
    assert "ReLU" in run_name(config(width=4)) or "Tanh" in run_name(config(width=4, activation_func=torch.nn.Tanh))


def test_very_long_configurations_keep_bounded_distinct_names():
    long_a = config(**{f"parameter_{i}": i for i in range(40)})
    long_b = config(**{f"parameter_{i}": i + (i == 39) for i in range(40)})
    assert run_name(long_a) != run_name(long_b)
    assert len(run_name(long_a)) <= 90


def saved_tiny(tmp_path, width=4):
    torch.manual_seed(0)
    model = Tiny(width)
    record = dict(config(width=width, activation_func=torch.nn.ReLU), history=[], status="complete")
    folder = save_run(tmp_path / "run", model, record)
    return model, folder


def test_save_then_load_gives_back_the_exact_weights(tmp_path):
    model, folder = saved_tiny(tmp_path)
    user = NetworkUser(Tiny, torch.nn.CrossEntropyLoss, data_loader=None, device="cpu")
    loaded = user.load(folder)
    for (name, saved), (_, again) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(saved, again), name
    assert not loaded.training, "a loaded network is in evaluation mode"
    record = load_record(folder)
    assert record["network_params"]["activation_func"] == {"class": "torch.nn.modules.activation.ReLU"}
    assert {"torch", "python"} <= set(record["versions"])
    assert not list(folder.glob("*.tmp")), "no temporary files are left behind"


def test_mismatched_parameters_are_named_with_the_saved_values(tmp_path):
    _, folder = saved_tiny(tmp_path, width=4)
    user = NetworkUser(Tiny, torch.nn.CrossEntropyLoss, data_loader=None, device="cpu")
    with pytest.raises(RunError) as error:
        user.load(folder, network_params={"width": 8, "activation_func": torch.nn.ReLU})
    assert "width: given 8, saved 4" in str(error.value)


def test_weights_that_do_not_fit_the_network_are_named(tmp_path):
    _, folder = saved_tiny(tmp_path, width=4)
    record = json.loads((folder / "run.json").read_text())
    record["network_params"]["width"] = 6  # a record edited by hand, or a changed class
    (folder / "run.json").write_text(json.dumps(record))
    user = NetworkUser(Tiny, torch.nn.CrossEntropyLoss, data_loader=None, device="cpu")
    with pytest.raises(RunError, match=r"layers.0.weight: file \(4, 3\), network \(6, 3\)"):
        user.load(folder)


def test_a_missing_run_says_how_to_make_one(tmp_path):
    user = NetworkUser(Tiny, torch.nn.CrossEntropyLoss, data_loader=None, device="cpu")
    with pytest.raises(RunError, match="No trained run .* python 01_main.py"):
        user.load(tmp_path / "nothing-here")


def test_a_penalty_with_settings_gets_the_same_name_in_every_process():
    from functools import partial

    from utils.network_trainer import l2_penalty
    from utils.runs import describe

    penalty = partial(l2_penalty, strength=1e-4)
    assert "0x" not in json.dumps(describe(penalty)), "no memory address may enter the description"
    first = run_name(dict(config(width=4), regularization=penalty))
    other = run_name(dict(config(width=4), regularization=partial(l2_penalty, strength=1e-3)))
    assert first != other
