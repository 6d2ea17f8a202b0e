"""utils/internals/run_names.py, utils/internals/run_files.py and utils/network_user.py: run names, checkpoints, clear
errors on loading, and a run loaded and predicted once."""

import json
from functools import partial

import pytest
import torch

from utils.internals.errors import RunError
from utils.internals.run_files import load_record, save_run
from utils.internals.run_names import describe, run_name
from utils.network_user import NetworkUser


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
    assert "ReLU" in run_name(config(width=4, activation_func=torch.nn.ReLU))
    assert "Tanh" in run_name(config(width=4, activation_func=torch.nn.Tanh))


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


def _regularization(model, l1_strength=0.0, l2_strength=0.0):
    return l1_strength * sum(p.abs().sum() for p in model.parameters()) + l2_strength


def test_a_penalty_with_settings_gets_the_same_name_in_every_process():
    penalty = partial(_regularization, l2_strength=1e-4)
    assert "0x" not in json.dumps(describe(penalty)), "no memory address may enter the description"
    first = run_name(dict(config(width=4), regularization=penalty))
    other = run_name(dict(config(width=4), regularization=partial(_regularization, l2_strength=1e-3)))
    assert first != other


# --- every argument of every setting names the run ---------------------------------------------

def _sum(penalties, model):
    return sum(penalty(model) for penalty in penalties)


def _penalty(model, strength=0.0):
    return strength


def _scaled(factor):
    def penalty(model):
        return factor

    return penalty


def _scaled_privately(_factor):
    def penalty(model):
        return _factor

    return penalty


class Scaler:
    def __init__(self, factor):
        self.factor = factor

    def penalty(self, model):
        return self.factor


def named(regularization):
    return run_name(dict(config(width=4), regularization=regularization))


@pytest.mark.parametrize("first, second", [
    (partial(_sum, [partial(_penalty, strength=1e-5)]), partial(_sum, [partial(_penalty, strength=1e-2)])),
    (partial(_penalty, 1e-5), partial(_penalty, 1e-2)),  # positional arguments
    (partial(partial(_sum, [1]), 2), partial(partial(_sum, [1]), 3)),  # nested partials
    (_scaled(1e-5), _scaled(1e-2)),  # closures
    (_scaled_privately(1), _scaled_privately(2)),  # a captured name with an underscore is a setting too
    (_scaled(partial(_penalty, strength=1)), _scaled(partial(_penalty, strength=2))),  # what a closure holds
    ([partial(_penalty, strength=1), _scaled(1)], [partial(_penalty, strength=1), _scaled(2)]),  # lists
    (Scaler(1e-5).penalty, Scaler(1e-2).penalty),  # bound methods
])
def test_settings_that_differ_in_any_argument_get_different_names(first, second):
    assert named(first) != named(second)
    assert "0x" not in json.dumps(describe(first)), "no memory address may enter the description"


def test_equal_settings_made_twice_get_the_same_name():
    assert named(partial(_sum, [partial(_penalty, strength=1e-5)])) == \
        named(partial(_sum, [partial(_penalty, strength=1e-5)]))
    assert named(_scaled(1e-5)) == named(_scaled(1e-5))
    assert named(Scaler(3).penalty) == named(Scaler(3).penalty)


def test_a_partial_without_positional_arguments_keeps_the_name_it_had():
    """Runs saved before positional arguments were described keep their folders."""
    assert describe(partial(_penalty, strength=1)) == {"partial": {"class": f"{__name__}._penalty"},
                                                       "keywords": {"strength": 1}}


def test_l1_and_l2_flags_of_other_strengths_train_into_two_folders(tmp_path):
    """--l1 1e-5 --l2 1e-4 and --l1 1e-2 --l2 1e-1 through the main script's bonus options and the trainer."""
    from types import SimpleNamespace

    from tiny_data import Linear2, make_data, make_loader

    from utils.internals.bonus_flags import with_bonus_flags
    from utils.internals.flags import parse_args
    from utils.network_trainer import NetworkTrainer

    folders = set()
    settings = {"network_params": {}, "optimizer": torch.optim.SGD, "optimizer_params": {"lr": 0.1}}
    for flags in (["--l1", "1e-5", "--l2", "1e-4"], ["--l1", "1e-2", "--l2", "1e-1"]):
        args = parse_args([*flags, "--runs-dir", str(tmp_path)])
        bonus = with_bonus_flags(args, Linear2, settings, SimpleNamespace(mean_std=None), None, None,
                                 _regularization, None)
        trainer = NetworkTrainer(Linear2, torch.nn.CrossEntropyLoss, torch.optim.SGD,
                                 data_loader=make_loader(*make_data()), folder=tmp_path, device="cpu", progress=False)
        folders.add(trainer.train_network(1, {}, optimizer_params={"lr": 0.1}, regularization=bonus["regularization"]))
    assert len(folders) == 2
    assert len([path for path in tmp_path.iterdir() if (path / "run.json").is_file()]) == 2


# --- NetworkUser: the runs folder named as such, one load, one prediction ----------------------

def test_the_runs_folder_instead_of_the_run_folder_is_named_as_that_mix_up(tmp_path):
    _, folder = saved_tiny(tmp_path)
    user = NetworkUser(Tiny, torch.nn.CrossEntropyLoss, data_loader=None, device="cpu")
    with pytest.raises(RunError) as error:
        user.load(tmp_path)
    message = str(error.value)
    assert "runs folder" in message and "train_network returned" in message
    assert str(folder) in message and "Train one first" not in message


def tiny_test_loader(split):
    generator = torch.Generator().manual_seed(0)
    return [(torch.rand(5, 3, generator=generator), torch.randint(0, 2, (5,), generator=generator))]


def test_the_predictor_reuses_the_network_test_network_loaded(tmp_path, monkeypatch):
    import utils.network_user

    _, folder = saved_tiny(tmp_path)
    reads = []
    original = utils.network_user.read_weights
    monkeypatch.setattr(utils.network_user, "read_weights", lambda path: reads.append(path) or original(path))
    user = NetworkUser(Tiny, torch.nn.CrossEntropyLoss, tiny_test_loader, device="cpu")
    result = user.test_network(folder)
    predicted, _ = user.get_predictor(folder)(tiny_test_loader("test")[0][0])
    assert len(reads) == 1, "test_network, then get_predictor: the run is read and checked once"
    assert torch.equal(predicted, result["predicted"])
    model, _ = saved_tiny(tmp_path, width=6)  # trained again into the same folder: read again
    user.get_predictor(folder)
    assert len(reads) == 2


def test_the_mistakes_figure_uses_the_predictions_test_network_made(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from utils.internals import run_report as experiment

    _, folder = saved_tiny(tmp_path)
    user = NetworkUser(Tiny, torch.nn.CrossEntropyLoss, tiny_test_loader, device="cpu")
    result = user.test_network(folder)
    images, labels = tiny_test_loader("test")[0]
    loader = SimpleNamespace(tensors=lambda split: (images, labels))
    drawn = []
    monkeypatch.setattr(experiment, "plot_mistakes", lambda predicted, confidence, *rest: drawn.append(predicted))
    monkeypatch.setattr(experiment.plotting, "finish", lambda *args, **kwargs: None)
    monkeypatch.setattr(experiment.plotting, "training_curves", lambda *args, **kwargs: None)

    def must_not_predict(images):
        raise AssertionError("the test images were predicted a second time")

    experiment.run_figures(SimpleNamespace(show=False), must_not_predict, loader, result, folder)
    assert torch.equal(drawn[0], result["predicted"])
    shuffled = SimpleNamespace(tensors=lambda split: (images.flip(0), labels.flip(0)))  # other order: predicted anew
    experiment.run_figures(SimpleNamespace(show=False), user.get_predictor(folder), shuffled, result, folder)
    assert torch.equal(drawn[1], result["predicted"].flip(0))


def test_a_validation_accuracy_of_zero_is_reported_with_its_hint(capsys):
    from types import SimpleNamespace

    from utils.internals.run_report import report

    history = [{"train_loss": 2.3, "val_loss": 2.3, "val_accuracy": 0.0}]
    report(SimpleNamespace(lr=0.5), {"history": history, "loss": 2.3, "accuracy": 0.0})
    out = capsys.readouterr().out
    assert "validation accuracy 0.00 %" in out and "Hint: 0 % is what guessing gets" in out
