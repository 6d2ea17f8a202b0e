"""Hidden checks of task 4 (01_main.py): other scores, settings, a tiny stand-in for MNIST, other counts."""

import hidden_support  # noqa: F401 - puts tests/subtasks on sys.path first
import pytest
import torch
from hints import explain
from test_task4_main import HINTS, _fake_predictor, _reads_as, _true_and_predicted  # noqa: F401 - HINTS: the same


@pytest.mark.task4a
@pytest.mark.parametrize("rows, classes, spread", [(1, 10, 1.0), (7, 3, 40.0), (5, 2, 0.1)])
def test_hidden_4a_the_loss_fits_raw_scores_of_any_size(main_module, rows, classes, spread):
    loss_class = main_module.choose_loss_function()
    assert isinstance(loss_class, type), (f"expected a loss class, got {loss_class!r}.\nhint: return the class "
                                          "itself (no parentheses): the trainer builds it")
    generator = torch.Generator().manual_seed(rows)
    scores = (torch.randn(rows, classes, generator=generator) * spread).requires_grad_()
    target = torch.randint(0, classes, (rows,), generator=generator)
    with explain(f"{loss_class.__name__}()(scores ({rows}, {classes}), class indices ({rows},)) to give a loss"):
        loss = loss_class()(scores, target)
    expected = -torch.log_softmax(scores.detach().double(), dim=1)[torch.arange(rows), target].mean()
    value = float(loss.detach())
    assert value == pytest.approx(float(expected), rel=1e-4), (
        f"{rows} row(s) of {classes} raw scores up to about {spread:g} in size: expected the mean of "
        f"-log softmax(scores)[target] = {float(expected):.4f}, got {value:.4f}.\nhint: the loss must take raw "
        "scores and class indices, and apply the log-softmax itself (stable also for large scores)")
    loss.backward()
    wanted = (torch.softmax(scores.detach(), dim=1) - torch.nn.functional.one_hot(target, classes)) / rows
    assert torch.allclose(scores.grad, wanted, atol=1e-5), (
        "expected the gradient (softmax(scores) - one_hot(target)) / batch, got another.\nhint: softmax and the "
        "negative log-likelihood together, in one loss class")


@pytest.mark.task4b
def test_hidden_4b_other_and_default_arguments_and_a_fresh_dict_each_time(main_module):
    small = main_module.training_settings(hidden_shape=17, learning_rate=0.1)
    default = main_module.training_settings()
    for settings, hidden, lr in ((small, 17, 0.1), (default, 500, 0.001)):
        params = settings["network_params"]
        assert params["hidden_shape"] == hidden, (
            f"expected hidden_shape {hidden}, got {params['hidden_shape']}.\nhint: use the hidden_shape argument "
            "(its default is in the signature)")
        assert (params["input_shape"], params["num_classes"]) == (784, 10), (
            f"expected input_shape 784 and num_classes 10 whatever the arguments, got {params['input_shape']} and "
            f"{params['num_classes']}")
        optimizer = settings["optimizer"]([torch.nn.Parameter(torch.zeros(1))], **settings["optimizer_params"])
        assert optimizer.param_groups[0]["lr"] == pytest.approx(lr), (
            f"expected lr {lr}, got {optimizer.param_groups[0]['lr']}.\nhint: use the learning_rate argument")
    assert small["network_params"]["hidden_shape"] == 17, (
        "a second call changed the settings the first call returned.\nhint: build a new dict in every call")


class TinyLoader:
    """Stands in for DataLoaderFNN in main(): 24 training, 12 validation and 13 test images, random."""

    def __init__(self, train_val_ratio=0.8, batch_size=100, seed=0, normalize=False, augment=None, data_dir=None,
                 verbose=True):
        from utils.data import InMemorySplits

        self.batch_size, self.seed, self.augment, self.mean_std = batch_size, seed, augment, None
        generator = torch.Generator().manual_seed(9)
        self.splits = {split: (torch.rand(count, 784, generator=generator), torch.arange(count) % 10)
                       for split, count in (("train", 24), ("val", 12), ("test", 13))}
        self.inner = type("Splits", (InMemorySplits,), {})()
        self.inner.batch_size, self.inner.seed, self.inner.augment = 5, seed, None
        self.inner.keep_splits(self.splits)

    def __call__(self, split):
        return self.inner(split)

    def tensors(self, split):
        return self.inner.tensors(split)

    def show_sizes(self):
        pass

    def settings(self):
        return {"tiny": True, "seed": self.seed}


@pytest.mark.task4c
def test_hidden_4c_main_evaluates_the_run_it_trained_on_the_test_split(main_module, tmp_path, monkeypatch, capsys):
    from conftest import load_student_module

    module = load_student_module("01_main")
    monkeypatch.setattr(module, "DataLoaderFNN", TinyLoader)
    common = ["--no-plots", "--no-progress", "--runs-dir", str(tmp_path), "--scheduler", "none"]
    with explain("main() to train on a small stand-in for MNIST and evaluate the run"):
        earlier = module.main(["--epochs", "2", "--hidden", "8", *common])
        result = module.main(["--epochs", "1", "--hidden", "12", *common])
    assert result is not None and result["num_samples"] == 13, (
        f"a loader with 24 training, 12 validation and 13 test images: expected the 13 test images evaluated, got "
        f"{None if result is None else result['num_samples']}.\nhint: evaluate on the test split: the one that "
        "training never saw")
    assert result["run_folder"] != earlier["run_folder"] and len(result["history"]) == 1, (
        f"the runs folder holds an earlier run (2 epochs); expected the run trained just now (1 epoch) evaluated, got "
        f"one of {len(result['history'])} epoch(s).\nhint: evaluate the folder this call's training returned")
    assert result["accuracy"] * 13 / 100 == pytest.approx(round(result["accuracy"] * 13 / 100)), (
        f"expected an accuracy that is a share of 13 test images, got {result['accuracy']}")


def _figure(main_module, count, labels):
    images = torch.zeros(len(labels), 784)
    images[:, 0] = labels.float()
    with explain(f"a figure of the first {count} test images with their predictions"):
        return main_module.plot_predictions(_fake_predictor, images, labels, count=count)


@pytest.mark.task4d
@pytest.mark.parametrize("count", [8, 4, 2])
def test_hidden_4d_other_counts_fill_two_rows(main_module, count):
    import matplotlib.pyplot as plt

    labels = torch.tensor([3, 8, 0, 9, 1, 1, 6, 2, 5, 4, 7, 7])
    fig = _figure(main_module, count, labels)
    try:
        shown = [ax for ax in fig.axes if ax.get_images()]
        assert len(shown) == count, (f"plot_predictions(count={count}): expected {count} images, got {len(shown)}.\n"
                                     "hint: use the count argument, not the 12 of the course")
        rows, cols = shown[0].get_subplotspec().get_geometry()[:2]
        assert (rows, cols) == (2, count // 2), (
            f"count={count}: expected a grid of 2 rows x {count // 2} columns, got {rows} x {cols}.\nhint: two rows; "
            "the number of columns follows from count")
        predicted, _ = _fake_predictor(torch.stack([labels.float()] + [torch.zeros(12)] * 783, dim=1)[:count])
        for position, (ax, truth, guess) in enumerate(zip(shown, labels.tolist(), predicted.tolist())):
            assert _true_and_predicted(ax.get_title()) == (truth, guess), (
                f"image {position + 1} of {count}: expected true {truth} and predicted {guess}, got "
                f"{ax.get_title()!r}.\nhint: the true label first, then the prediction of the same image")
            wanted = "black" if truth == guess else "red"
            assert _reads_as(ax.title.get_color(), wanted), (
                f"image {position + 1} ({'right' if truth == guess else 'wrong'}): expected a {wanted} title, got "
                f"{ax.title.get_color()!r}.\nhint: red where the prediction is wrong, black where it is right")
    finally:
        plt.close(fig)
