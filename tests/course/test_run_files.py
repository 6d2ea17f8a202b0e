"""Run folders are never trusted: run.json and weights.pt from anywhere give a network or a RunError.

Covers utils/internals/run_classes.py, utils/internals/run_files.py, utils/internals/run_names.py and
utils/network_user.py:
what restore() may resolve, damaged records and
weights files, NetworkUser's argument checks, never replacing a finished run, a full disk while
saving, check_runs_dir, run names and stable descriptions.
"""

from __future__ import annotations

import collections
import io
import json
import os
import pickle
import sys
import tempfile
from functools import partial
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from utils.internals.errors import ArgumentTypeError, CourseError, DataError, RunError
from utils.internals.run_classes import RECORD_FILE, WEIGHTS_FILE, restore
from utils.internals.run_files import check_runs_dir, load_record, read_weights, save_run
from utils.internals.run_names import describe, run_name
from utils.network_user import NetworkUser

INPUT, HIDDEN, CLASSES = 784, 8, 10


def fnn_class():
    from fnn import FNN  # the course's network (solutions/fnn.py under plain pytest)

    return FNN


def fnn_record(status="complete", val_accuracy=50.0, loss=torch.nn.CrossEntropyLoss, **extra):
    return dict({"network_class": fnn_class(),
                 "network_params": {"input_shape": INPUT, "hidden_shape": HIDDEN, "num_classes": CLASSES,
                                    "activation_func": torch.nn.ReLU},
                 "loss_function": loss, "status": status, "history": [{"val_accuracy": val_accuracy}]}, **extra)


def save_fnn(folder, status="complete", seed=0, **record):
    torch.manual_seed(seed)
    model = fnn_class()(INPUT, HIDDEN, CLASSES)
    return model, save_run(folder, model, fnn_record(status, **record))


def user(data_loader=None):
    return NetworkUser(fnn_class(), torch.nn.CrossEntropyLoss, data_loader=data_loader, device="cpu")


def tiny_loader(split):
    generator = torch.Generator().manual_seed(0)
    return [(torch.rand(5, INPUT, generator=generator), torch.randint(0, CLASSES, (5,), generator=generator))]


def weights_of(folder):
    return {key: value.clone() for key, value in read_weights(folder).items()}


def same_weights(first, second):
    return first.keys() == second.keys() and all(torch.equal(first[key], second[key]) for key in first)


# --- restore: only torch.nn modules (the network parameters hold nothing else) -----------------

@pytest.mark.parametrize("name", ["sys.exit", "os.abort", "builtins.eval", "subprocess.Popen", "torch.load",
                                  "torch.nn.functional.relu", "torch.Tensor", "torch.nn.modules.module.sys.exit",
                                  "torch.nn.Module.__subclasses__", "fnn.check_positive_int",
                                  "utils.runs.save_run", "fnn.DataLoaderFNN", "torch.optim.adam.torch.nn.ReLU",
                                  "torch.optim.Adam", "torch.optim.lr_scheduler.StepLR", "fnn.FNN",
                                  "torch.nn.NoSuchThing", "", "not a name", "torch..nn.ReLU"])
def test_restore_refuses_everything_but_allowed_classes(name):
    with pytest.raises(RunError) as error:
        restore({"activation_func": {"class": name}}, "network_params", "runs/x/run.json")
    message = str(error.value)
    assert "runs/x/run.json" in message and repr(name) in message
    assert "network_params.activation_func" in message, "the offending entry is named"
    assert "may only name torch.nn modules" in message


@pytest.mark.parametrize("name", [42, None, ["torch.nn.ReLU"], {"class": "torch.nn.ReLU"}])
def test_restore_refuses_class_entries_that_are_not_names(name):
    with pytest.raises(RunError, match="run.json"):
        restore({"class": name})


def test_names_are_checked_before_anything_is_imported():
    sys.modules.pop("this", None)  # importing `this` prints the Zen of Python: easy to notice
    with pytest.raises(RunError):
        restore({"class": "this.Zen"})
    assert "this" not in sys.modules


def test_torch_nn_modules_are_restored():
    assert restore({"class": "torch.nn.modules.activation.ReLU"}) is torch.nn.ReLU
    assert restore({"class": "torch.nn.Tanh"}) is torch.nn.Tanh
    assert restore([1, {"a": {"class": "torch.nn.ReLU"}}]) == [1, {"a": torch.nn.ReLU}]


def test_descriptions_of_callables_and_objects_stay_plain_data():
    penalty = {"partial": {"class": "sys.exit"}, "keywords": {"status": 3}}
    augment = {"object": "os.system", "settings": {"command": {"class": "os.abort"}}}
    closure = {"function": "os.system", "settings": {"command": {"class": "os.abort"}}}
    method = {"method": "os.system", "of": {"class": "os.abort"}}
    data = {"p": penalty, "a": augment, "c": closure, "m": method}
    assert restore(data) == data


def test_a_run_json_naming_sys_exit_is_refused_when_loading(tmp_path):
    _, folder = save_fnn(tmp_path / "run")
    record = json.loads((folder / RECORD_FILE).read_text())
    record["network_params"]["activation_func"] = {"class": "sys.exit"}
    (folder / RECORD_FILE).write_text(json.dumps(record))
    with pytest.raises(RunError, match=r"names 'sys.exit' in network_params.activation_func"):
        user().load(folder)


# --- run.json -----------------------------------------------------------------------------

RECORDS = {
    "empty": b"",
    "blank": b"  \n",
    "binary": bytes(range(256)),
    "utf-16": '{"network_params": {}}'.encode("utf-16"),
    "not JSON": b"weights: 12",
    "truncated": b'{"network_params": {"hidden_shape": 8',
    "a list": b"[1, 2, 3]",
    "a string": b'"complete"',
    "null": b"null",
    "no network_params": b'{"status": "complete", "history": []}',
    "network_params not an object": b'{"network_params": [8]}',
    "history not a list": b'{"network_params": {}, "history": {"val_accuracy": 1}}',
    "history of numbers": b'{"network_params": {}, "history": [1, 2]}',
    "status a number": b'{"network_params": {}, "status": 1}',
    "unknown status": b'{"network_params": {}, "status": "finished"}',
    "network_class a string": b'{"network_params": {}, "network_class": "FNN"}',
    "deeply nested": b"[" * 100_000 + b"]" * 100_000,
}


@pytest.mark.parametrize("content", RECORDS.values(), ids=RECORDS.keys())
def test_damaged_records_name_the_file_and_the_fix(tmp_path, content):
    _, folder = save_fnn(tmp_path / "run")
    (folder / RECORD_FILE).write_bytes(content)
    with pytest.raises(RunError) as error:
        load_record(folder)
    message = str(error.value)
    assert str(folder / RECORD_FILE) in message
    assert "Train this run again" in message and "copy the whole run folder" in message
    with pytest.raises(RunError):
        user(tiny_loader).test_network(folder)


# --- weights.pt ---------------------------------------------------------------------------

class _Exploit:
    marker = None

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def _torch_saved(value):
    buffer = io.BytesIO()
    torch.save(value, buffer)
    return buffer.getvalue()


def _weights_cases(good):
    return {
        "empty": b"",
        "truncated": good[: len(good) // 2],
        "random bytes": bytes((index * 37 + 11) % 256 for index in range(500)),
        "zip header and noise": b"PK\x03\x04" + bytes(range(200)),
        "pickle of a dict": pickle.dumps({"hidden1.0.weight": [1.0, 2.0]}),
        "torch.save of a list": _torch_saved([torch.zeros(2)]),
        "torch.save of numbers": _torch_saved({"hidden1.0.weight": 1.0}),
        "torch.save with a number key": _torch_saved({1: torch.zeros(2)}),
        "torch.save of a Counter": _torch_saved(collections.Counter(a=1)),
    }


def test_damaged_weights_name_the_file(tmp_path):
    _, folder = save_fnn(tmp_path / "run")
    good = (folder / WEIGHTS_FILE).read_bytes()
    for name, content in _weights_cases(good).items():
        (folder / WEIGHTS_FILE).write_bytes(content)
        with pytest.raises(RunError) as error:
            user().load(folder)
        message = str(error.value)
        assert str(folder / WEIGHTS_FILE) in message, name
        assert "Re-running" not in message and "will likely succeed" not in message, name


def test_a_pickle_that_runs_code_is_refused_and_never_run(tmp_path):
    _, folder = save_fnn(tmp_path / "run")
    _Exploit.marker = tmp_path / "the exploit ran"
    (folder / WEIGHTS_FILE).write_bytes(pickle.dumps(_Exploit()))
    with pytest.raises(RunError, match="not a weights file saved by this course.*must not be loaded"):
        user().load(folder)
    assert not _Exploit.marker.exists()


def test_weights_of_another_network_are_named(tmp_path):
    _, folder = save_fnn(tmp_path / "run")
    record = json.loads((folder / RECORD_FILE).read_text())
    record["network_params"]["hidden_shape"] = 100_000  # would be 40 GB if it were built for real
    (folder / RECORD_FILE).write_text(json.dumps(record))
    with pytest.raises(RunError, match=r"hidden1.0.weight: file \(8, 784\), network \(100000, 784\)"):
        user().load(folder)


def test_network_params_the_class_does_not_take_are_a_run_error(tmp_path):
    _, folder = save_fnn(tmp_path / "run")
    record = json.loads((folder / RECORD_FILE).read_text())
    record["network_params"]["colour"] = "blue"
    (folder / RECORD_FILE).write_text(json.dumps(record))
    with pytest.raises(RunError, match="network_params that FNN cannot be built with"):
        user().load(folder)


def test_a_saved_run_loads_and_tests(tmp_path):
    model, folder = save_fnn(tmp_path / "run")
    loaded = user().load(folder)
    assert same_weights(model.state_dict(), loaded.state_dict())
    result = user(tiny_loader).test_network(folder)
    assert result["num_samples"] == 5 and result["status"] == "complete"


# --- NetworkUser's arguments --------------------------------------------------------------

def test_network_user_names_mixed_up_arguments():
    FNN = fnn_class()
    with pytest.raises(ArgumentTypeError, match=r"pass FNN, not FNN\(\)"):
        NetworkUser(FNN(INPUT, HIDDEN, CLASSES), torch.nn.CrossEntropyLoss, None)
    with pytest.raises(ArgumentTypeError, match="network_class must be the class itself.*not 'FNN'"):
        NetworkUser("FNN", torch.nn.CrossEntropyLoss, None)
    with pytest.raises(ArgumentTypeError, match="network_class must be a subclass of torch.nn.Module"):
        NetworkUser(dict, torch.nn.CrossEntropyLoss, None)
    with pytest.raises(ArgumentTypeError, match=r"pass torch.nn.CrossEntropyLoss, not torch.nn.CrossEntropyLoss\(\)"):
        NetworkUser(FNN, torch.nn.CrossEntropyLoss(), None)

    class DataLoaderFNN:
        def __call__(self, split):
            return []

    with pytest.raises(ArgumentTypeError, match=r"data_loader.*pass DataLoaderFNN\(\), not DataLoaderFNN"):
        NetworkUser(FNN, torch.nn.CrossEntropyLoss, DataLoaderFNN)


def test_an_empty_split_is_a_clear_error(tmp_path):
    _, folder = save_fnn(tmp_path / "run")
    with pytest.raises(DataError, match="'test' split of the data_loader holds no images"):
        user(lambda split: []).test_network(folder)


# --- anything at all in a run folder ------------------------------------------------------

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                    lambda children: st.lists(children, max_size=4)
                    | st.dictionaries(st.text(max_size=8), children, max_size=4), max_leaves=12)
CLASS_NAMES = st.sampled_from(["torch.nn.modules.activation.ReLU", "torch.nn.Tanh", "sys.exit", "os.abort",
                               "torch.nn.functional.relu", "fnn.FNN", "torch.optim.adam.Adam", "builtins.print"])
PARAM_VALUES = JSON | st.builds(lambda name: {"class": name}, CLASS_NAMES) | st.sampled_from([8, 784, 10, 0, -1])
PARAMS = st.dictionaries(st.sampled_from(["input_shape", "hidden_shape", "num_classes", "activation_func",
                                          "use_batch_norm", "colour"]), PARAM_VALUES, max_size=5)


def _mutated_record(params, status, history, network_class):
    record = json.loads(json.dumps(describe(fnn_record())))
    record["network_params"].update(params)
    record.update(status=status, history=history, network_class=network_class)
    return json.dumps(record).encode()


RECORD_BYTES = st.one_of(
    st.builds(_mutated_record, PARAMS, st.just("complete"), st.just([]), st.just({"class": "fnn.FNN"})),
    st.binary(max_size=200),
    st.text(max_size=200).map(str.encode),
    JSON.map(lambda value: json.dumps(value).encode()),
    st.builds(_mutated_record, PARAMS, st.sampled_from(["complete", "diverged", "done", None, 3]),
              st.one_of(st.just([]), st.lists(JSON, max_size=3)),
              st.one_of(st.just({"class": "fnn.FNN"}), JSON)),
)


@pytest.fixture(scope="module")
def good_weights(tmp_path_factory):
    _, folder = save_fnn(tmp_path_factory.mktemp("good") / "run")
    return (folder / WEIGHTS_FILE).read_bytes()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record=RECORD_BYTES, weights=st.one_of(st.just(None), st.binary(max_size=300), st.integers(0, 4000)))
def test_whatever_a_run_folder_holds_the_result_is_a_network_or_a_course_error(good_weights, record, weights):
    if weights is None:
        weights = good_weights
    elif isinstance(weights, int):
        weights = good_weights[:weights]
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / RECORD_FILE).write_bytes(record)
        (Path(folder) / WEIGHTS_FILE).write_bytes(weights)
        try:
            network = user().load(folder)
        except CourseError:
            return
        assert isinstance(network, torch.nn.Module) and not network.training
        try:
            result = user(tiny_loader).test_network(folder)
        except CourseError:
            return
        assert result["num_samples"] == 5


# --- saving: never replacing a finished run, a full disk ----------------------------------

def test_an_interrupted_run_never_replaces_a_complete_one(tmp_path):
    folder = tmp_path / "FNN-run"
    _, first = save_fnn(folder, "complete", seed=0)
    assert first == folder
    kept = weights_of(folder)
    _, second = save_fnn(folder, "interrupted", seed=1)
    assert second == tmp_path / "FNN-run-interrupted"
    assert load_record(folder)["status"] == "complete" and same_weights(weights_of(folder), kept)
    assert load_record(second)["status"] == "interrupted"
    _, third = save_fnn(folder, "interrupted", seed=2)
    assert third == tmp_path / "FNN-run-interrupted-2"
    _, fourth = save_fnn(folder, "diverged", seed=3)
    assert fourth == tmp_path / "FNN-run-diverged"
    _, again = save_fnn(folder, "complete", seed=4)
    assert again == folder and not same_weights(weights_of(folder), kept), "a complete run may replace one"


def test_runs_that_are_not_complete_replace_each_other_in_place(tmp_path):
    folder = tmp_path / "FNN-run"
    save_fnn(folder, "interrupted", seed=0)
    _, second = save_fnn(folder, "diverged", seed=1)
    _, third = save_fnn(folder, "complete", seed=2)
    assert second == third == folder and load_record(folder)["status"] == "complete"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["FNN-run"]


FULL = OSError(28, "No space left on device")
SAVE_FAILED = (r"could not save the run in .*FNN-run: No space left on device\. Free some disk space or choose "
               r"another --runs-dir; an earlier run in that folder is unchanged\.")


def _failing(*args, **kwargs):
    raise FULL


@pytest.mark.parametrize("broken", ["torch.save", "os.replace", "replace of run.json", "torch RuntimeError"])
def test_a_full_disk_leaves_the_earlier_run_unchanged(tmp_path, monkeypatch, broken):
    folder = tmp_path / "FNN-run"
    save_fnn(folder, "complete", seed=0)
    kept_weights, kept_record = weights_of(folder), (folder / RECORD_FILE).read_bytes()
    if broken == "torch.save":
        monkeypatch.setattr(torch, "save", _failing)
    elif broken == "os.replace":
        monkeypatch.setattr(os, "replace", _failing)
    elif broken == "replace of run.json":
        real_replace = os.replace

        def replace(source, target):
            if Path(target).name == RECORD_FILE:
                raise FULL
            return real_replace(source, target)

        monkeypatch.setattr(os, "replace", replace)
    else:
        def torch_save(*args, **kwargs):
            raise RuntimeError("[enforce fail at inline_container.cc:664] . unexpected pos 64 vs 0")

        monkeypatch.setattr(torch, "save", torch_save)
    with pytest.raises(RunError, match=SAVE_FAILED if broken != "torch RuntimeError" else "could not save the run"):
        save_fnn(folder, "complete", seed=1)
    monkeypatch.undo()
    assert same_weights(weights_of(folder), kept_weights)
    assert (folder / RECORD_FILE).read_bytes() == kept_record
    assert sorted(path.name for path in folder.iterdir()) == [RECORD_FILE, WEIGHTS_FILE], "no temporary files left"


def test_a_failed_first_save_leaves_no_empty_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(torch, "save", _failing)
    with pytest.raises(RunError, match="could not save the run"):
        save_fnn(tmp_path / "FNN-run")
    assert not (tmp_path / "FNN-run").exists()


# --- check_runs_dir -----------------------------------------------------------------------

def test_check_runs_dir_creates_a_missing_folder(tmp_path):
    assert check_runs_dir(tmp_path / "a" / "b") == tmp_path / "a" / "b"
    assert (tmp_path / "a" / "b").is_dir() and not list((tmp_path / "a" / "b").iterdir())


def test_check_runs_dir_refuses_a_file(tmp_path):
    (tmp_path / "runs").write_text("not a folder")
    with pytest.raises(RunError, match=r"runs folder .*runs is a file, not a folder: choose another --runs-dir"):
        check_runs_dir(tmp_path / "runs")
    with pytest.raises(RunError, match="cannot be created.*a part of that path is a file.*--runs-dir"):
        check_runs_dir(tmp_path / "runs" / "inside")


def test_check_runs_dir_refuses_a_folder_that_takes_no_files(tmp_path, monkeypatch):
    def read_only(*args, **kwargs):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    with pytest.raises(RunError, match="cannot be written to .Read-only file system.*choose another --runs-dir"):
        check_runs_dir(tmp_path)


def test_check_runs_dir_refuses_a_read_only_folder(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        try:
            (folder / "probe").write_text("x")
        except OSError:
            pass
        else:
            pytest.skip("this user can write into read-only folders (root): covered by the monkeypatched test")
        with pytest.raises(RunError, match="read-only.*choose another --runs-dir"):
            check_runs_dir(folder)
    finally:
        folder.chmod(0o700)


# --- run names and descriptions -----------------------------------------------------------

def _config(loss, **network_params):
    return {"network_class": fnn_class(), "network_params": network_params or {"hidden_shape": 8},
            "loss_function": loss, "optimizer": torch.optim.Adam, "optimizer_params": {"lr": 0.001}}


class OneHotMSELoss(torch.nn.Module):
    def forward(self, output, target):
        return torch.nn.functional.mse_loss(output, torch.nn.functional.one_hot(target, output.shape[1]).float())


def test_run_names_tell_a_regression_run_apart():
    cross_entropy = run_name(_config(torch.nn.CrossEntropyLoss))
    mse = run_name(_config(OneHotMSELoss))
    assert "CrossEntropyLoss" not in cross_entropy and "OneHotMSELoss" in mse
    assert mse.startswith("FNN-OneHotMSELoss-") and cross_entropy.startswith("FNN-hidden8")
    long = run_name(_config(OneHotMSELoss, **{f"parameter_{index}": index for index in range(40)}))
    assert len(long) <= 90 and "OneHotMSELoss" in long
    assert run_name(_config(partial(torch.nn.CrossEntropyLoss, label_smoothing=0.1))) != cross_entropy


class AugmentLike:
    """Like augmentation.Augment: settings, a generator, a private cache."""

    def __init__(self, elastic_probability=0.5, seed=0, **affine):
        self.elastic_probability = elastic_probability
        self.affine = affine
        self.generator = torch.Generator().manual_seed(seed)
        self.shape = torch.Size([28, 28])
        self.anything = object()
        self._cache = {}

    def __call__(self, images):
        return images


def test_objects_are_described_by_their_settings_without_addresses():
    first = describe(AugmentLike(0.5, max_degrees=10))
    again = describe(AugmentLike(0.5, seed=7, max_degrees=10))
    other = describe(AugmentLike(0.2, max_degrees=10))
    text = json.dumps(first)
    assert "0x" not in text and "Generator" not in text and "_cache" not in text
    assert first["object"].endswith("AugmentLike")
    assert first["settings"]["elastic_probability"] == 0.5
    assert first["settings"]["affine"] == {"max_degrees": 10}
    assert first == again, "the generator's state is not a setting"
    assert first != other
    config = _config(torch.nn.CrossEntropyLoss)
    assert (run_name(dict(config, data={"augment": AugmentLike(0.5)}))
            != run_name(dict(config, data={"augment": AugmentLike(0.2)})))


def test_an_object_that_refers_to_itself_is_described_finitely():
    looped = AugmentLike()
    looped.itself = looped
    assert "0x" not in json.dumps(describe(looped))


def test_a_class_saved_under_another_of_its_names_still_matches(tmp_path):
    model, folder = save_fnn(tmp_path / "run")
    record = json.loads((folder / RECORD_FILE).read_text())
    record["network_params"]["activation_func"] = {"class": "torch.nn.ReLU"}  # edited by hand
    (folder / RECORD_FILE).write_text(json.dumps(record))
    assert same_weights(user().load(folder).state_dict(), model.state_dict())
    with pytest.raises(RunError, match="activation_func: given Tanh, saved ReLU"):
        user().load(folder, network_params={"input_shape": INPUT, "hidden_shape": HIDDEN, "num_classes": CLASSES,
                                            "activation_func": torch.nn.Tanh})
