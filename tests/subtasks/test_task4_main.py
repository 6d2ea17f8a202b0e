"""Task 4: loss, settings, training and evaluation, predictions (01_main.py)."""

import contextlib
import io
import json
import re
from pathlib import Path

import pytest
import torch
from hints import Steps, explain

HINTS = {
    "4a": Steps("the last layer gives raw scores: the loss must turn them into probabilities itself and "
                "compare them with the class indices (Q 4a)",
                "torch.nn has a loss class that combines log-softmax and the negative log-likelihood",
                "return torch.nn.___   (the class, no parentheses)"),
    "4b": Steps("the settings of the course network: one flattened image in, one score per digit out, ReLU, "
                "Adam with a small learning rate",
                "the keys network_params (input_shape, hidden_shape, num_classes, activation_func), optimizer, "
                "optimizer_params (lr); classes torch.nn.ReLU and torch.optim.Adam",
                'return {"network_params": {"input_shape": ___, ...}, "optimizer": ___, '
                '"optimizer_params": {"lr": ___}}'),
    "4c": Steps("evaluate the run that was just trained, on the test split",
                "NetworkUser(network_class, loss_function, loader, device=...) and its test_network(run_folder)",
                "uncomment the two lines: user = NetworkUser(___)  /  result = user.___(run_folder)"),
    "4d": Steps("predict the first count test images and show each with its true and predicted label and how "
                "sure the network is, wrong ones in red",
                "predict(images) returns (labels, probabilities); int() and float() for plain numbers; "
                "plotting.image_grid with title_colors",
                "predicted, probabilities = predict(___)  /  titles = [f\"true {___} / pred {___} ({___:.0%})\" ...]"
                "  /  colors = [___ ...]  /  fig = plotting.image_grid(___, titles, rows=2, cols=___, "
                "title_colors=colors)"),
}

@pytest.mark.task4a
def test_loss_applies_softmax_and_negative_log_likelihood_to_raw_scores(main_module):
    loss_class = main_module.choose_loss_function()
    assert isinstance(loss_class, type), (
        f"expected a loss class, got {getattr(loss_class, '__name__', repr(loss_class))} "
        f"({'an instance' if isinstance(loss_class, torch.nn.Module) else type(loss_class).__name__}).\n"
        + ("hint: return the loss class itself, without (): the trainer builds it"
           if isinstance(loss_class, torch.nn.Module) else
           "hint: return a class from torch.nn (it is built later as loss_function()), not a function"))
    torch.manual_seed(0)
    logits = torch.randn(16, 10) * 3
    target = torch.randint(0, 10, (16,))
    with explain(f"{loss_class.__name__}()(scores (16, 10), class indices (16,)) to give a loss",
                 (Exception, "", f"{loss_class.__name__} wants targets shaped like the scores; for class "
                                 "indices and raw scores use the loss that combines log-softmax and NLL")):
        got = float(loss_class()(logits, target))
    expected = float(-torch.log_softmax(logits, dim=1)[torch.arange(16), target].mean())
    nll_on_logits = float(-logits[torch.arange(16), target].mean())
    hint = ("NLLLoss expects log-probabilities, but the network gives raw scores: use the loss that applies "
            "log-softmax itself" if got == pytest.approx(nll_on_logits, rel=1e-4)
            else "the loss must apply log-softmax to the raw scores, then the negative log-likelihood")
    assert got == pytest.approx(expected, rel=1e-5), (
        f"on raw scores, expected the mean of -log softmax(scores)[target] = {expected:.4f}, got {got:.4f}.\n"
        f"hint: {hint}")


@pytest.mark.task4b
def test_settings_describe_an_mnist_fnn_trained_with_adam(main_module):
    settings = main_module.training_settings(hidden_shape=321, learning_rate=0.0005)
    params = settings["network_params"]
    assert (params["input_shape"], params["num_classes"]) == (784, 10), (
        f"expected input_shape 784 (28 * 28 pixels) and num_classes 10, got {params['input_shape']} and "
        f"{params['num_classes']}")
    assert params["hidden_shape"] == 321, (
        f"training_settings(hidden_shape=321): expected hidden_shape 321, got {params['hidden_shape']}.\n"
        "hint: use the hidden_shape argument")
    activation_class = params["activation_func"]
    assert isinstance(activation_class, type), (
        f"expected the class torch.nn.ReLU as activation_func, got {activation_class!r}.\n"
        "hint: activation_func is the class torch.nn.ReLU, without (): _dense_layer makes the instances")
    activation = activation_class()
    assert torch.equal(activation(torch.tensor([-2.0, 0.0, 3.0])), torch.tensor([0.0, 0.0, 3.0])), \
        f"expected ReLU as the hidden activation, got {activation_class.__name__}"
    with explain("settings['optimizer'](parameters, **settings['optimizer_params']) to build an optimizer",
                 (TypeError, "unexpected keyword", 'the learning rate\'s keyword is lr: {"lr": learning_rate}'),
                 (TypeError, "object is not callable",
                  "optimizer is the class torch.optim.Adam, without (): the trainer builds it with the "
                  "model's parameters")):
        optimizer = settings["optimizer"]([torch.nn.Parameter(torch.zeros(2))], **settings["optimizer_params"])
    assert isinstance(optimizer, torch.optim.Adam), (f"expected torch.optim.Adam, got {type(optimizer).__name__}.\n"
                                                    "hint: the class torch.optim.Adam")
    lr = optimizer.param_groups[0]["lr"]
    assert lr == pytest.approx(0.0005), (f"training_settings(learning_rate=0.0005): expected lr 0.0005, got {lr}.\n"
                                         "hint: use the learning_rate argument")


def _decoy_run(runs_dir, fnn):
    """A real earlier FNN run in the runs folder, of other settings (hidden_shape 32), that learnt
    20 digits by heart: complete, cross entropy, 100 % validation accuracy, so it is the first FNN
    run in the folder and also the best one by its record, yet it reads real test digits badly."""
    from conftest import load_student_module
    from torch.utils.data import DataLoader, TensorDataset

    generator = torch.Generator().manual_seed(0)
    images = torch.rand(20, 784, generator=generator)
    labels = torch.arange(20) % 10
    batches = DataLoader(TensorDataset(images, labels), batch_size=20)
    trainer = load_student_module("utils.network_trainer").NetworkTrainer(
        fnn.FNN, torch.nn.CrossEntropyLoss, torch.optim.Adam, data_loader=lambda split: batches, folder=runs_dir,
        device="cpu", progress=False)
    params = {"input_shape": 784, "hidden_shape": 32, "num_classes": 10, "activation_func": torch.nn.ReLU}

    def right(output, target):
        return (output.argmax(dim=1) == target).sum()

    with contextlib.redirect_stdout(io.StringIO()):
        run = trainer.train_network(40, params, optimizer_params={"lr": 0.01}, sum_correct_preds=right)
    assert json.loads((run / "run.json").read_text())["history"][-1]["val_accuracy"] == 100.0
    return run


@pytest.mark.task4c
@pytest.mark.slow
def test_main_trains_on_real_mnist_and_evaluates_on_the_test_split(main_module, fnn, tmp_path, capsys):
    decoy = _decoy_run(tmp_path, fnn)
    with explain("main() to train for 2 epochs and evaluate the run on the test split",
                 (Exception, "loss_function must be a loss class",
                  "NetworkUser(network_class, loss_function, ...): pass the class loss_function as it is"),
                 (Exception, rf"No trained run in {re.escape(str(tmp_path))} \(",
                  "that is the runs folder, which holds every run; test_network wants the folder of one run: "
                  "the one train_network returned (run_folder)")):
        result = main_module.main(["--epochs", "2", "--no-plots", "--no-progress", "--runs-dir", str(tmp_path)])
    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    assert last_line.startswith("Test: loss ") and last_line.endswith(" %"), \
        f"expected the last line to report the test loss and accuracy, got {last_line!r}"
    splits = {12000: "the validation split", 48000: "the training split"}
    assert result["num_samples"] == 10000, (
        f"expected the 10000 test images evaluated, got {result['num_samples']}"
        f"{' (' + splits[result['num_samples']] + ')' if result['num_samples'] in splits else ''}.\n"
        "hint: user.test_network(run_folder) evaluates on the test split by default")
    assert Path(result["run_folder"]) != decoy and len(result["history"]) == 2, (
        f"expected the run trained just now (2 epochs) evaluated, got the run {Path(result['run_folder']).name} "
        f"({len(result['history'])} epoch(s)), an earlier run of the runs folder.\nhint: evaluate the folder "
        "that trainer.train_network returned (run_folder), not a run picked from the runs folder")
    # A linear classifier stops near 92 %; two epochs of a working FNN reach about 97 %.
    assert result["accuracy"] >= 96.0, (f"expected at least 96 % test accuracy after 2 epochs, got "
                                        f"{result['accuracy']:.2f} %")


def _fake_predictor(images):
    """Predicts the right digit for even-indexed images and a wrong one for odd-indexed images."""
    truth = images[:, 0].round().long()
    wrong = torch.arange(len(images)) % 2 == 1
    predicted = torch.where(wrong, (truth + 1) % 10, truth)
    sure = 0.55 + 0.03 * torch.arange(len(images))  # how sure the network is: a different share per image
    probabilities = ((1 - sure) / 9).unsqueeze(1).repeat(1, 10)
    probabilities[torch.arange(len(images)), predicted] = sure
    return predicted, probabilities


def _confidence(title):
    """The probability a title shows: ``62%`` or ``0.62``; None if it shows none."""
    percent = re.search(r"(\d+(?:\.\d+)?)\s*%", title)
    if percent:
        return float(percent.group(1)) / 100
    share = re.search(r"(?<![\d.])(0?\.\d+|1\.0+)(?![\d.])", title)
    return float(share.group(1)) if share else None


def _reads_as(colour, wanted):
    """Whether the matplotlib colour ``colour`` reads as ``wanted``, "red" or "black": any shade a
    reader calls so counts ("r", "tab:red", "crimson", "#d62728"; "k", "#111111"), not only the
    named colour itself."""
    from matplotlib.colors import to_rgb

    try:
        red, green, blue = to_rgb(colour)
    except ValueError:
        return False
    if wanted == "black":
        return max(red, green, blue) <= 0.25
    return red >= 0.5 and red >= 2 * max(green, blue)


def _true_and_predicted(title):
    """The two numbers of a title, the one after "true" and the one after "pred" where it says so."""
    numbers = [int(n) for n in re.findall(r"(?<![\d.])\d+(?![\d.])", title)]
    true = re.search(r"true\D*?(\d+)", title, re.I)
    pred = re.search(r"pred\D*?(\d+)", title, re.I)
    if true and pred:
        return int(true.group(1)), int(pred.group(1))
    return tuple(numbers[:2]) if len(numbers) >= 2 else None


@pytest.mark.task4d
def test_predictions_are_shown_as_28x28_images_with_true_and_predicted_labels(main_module):
    labels = torch.tensor([7, 2, 1, 0, 4, 1, 4, 9, 5, 9, 0, 6, 9, 0])
    images = torch.zeros(14, 784)
    images[:, 0] = labels.float()  # lets the fake predictor know the truth
    with explain("a figure of the first 12 test images with their predictions",
                 ((TypeError, ValueError, RuntimeError), "only one element tensors|only integer|a Tensor with",
                  "predict(images) returns two things: the predicted labels, then the probabilities")):
        fig = main_module.plot_predictions(_fake_predictor, images, labels)
    shown = [ax for ax in fig.axes if ax.get_images()]
    assert len(shown) == 12, f"expected 12 predicted images, got {len(shown)}"
    rows, cols = shown[0].get_subplotspec().get_geometry()[:2]
    assert (rows, cols) == (2, 6), (f"expected a grid of 2 rows x 6 columns, got {rows} x {cols}.\n"
                                    "hint: plotting.image_grid(..., rows=2, cols=count // 2)")
    predicted, probabilities = _fake_predictor(images[:12])
    for position, (ax, truth, guess) in enumerate(zip(shown, labels.tolist(), predicted.tolist())):
        shape = tuple(ax.get_images()[0].get_array().shape)
        assert shape == (28, 28), f"expected 28x28 images, got {shape}"
        title = ax.get_title()
        assert "tensor" not in title, (f"expected plain numbers in the title, got {title!r}.\n"
                                       "hint: int(label) and int(prediction) turn tensors into numbers")
        assert _true_and_predicted(title) == (truth, guess), (
            f"image {position + 1} (of 12, counted from 1): expected the true label {truth}, then the "
            f"prediction {guess} (e.g. 'true {truth} / pred {guess}'), got {title!r}.\n"
            "hint: zip the first `count` labels with the predictions of the same images, true label first")
        sure, shown_sure = float(probabilities[position].max()), _confidence(title)
        assert shown_sure is not None and abs(shown_sure - sure) < 0.01, (
            f"image {position + 1}: expected the network's confidence in its prediction, {sure:.0%}, in the title "
            f"(e.g. 'true {truth} / pred {guess} ({sure:.0%})'), got {title!r}.\n"
            "hint: the probability of the predicted class is the highest of the image's probabilities")
        color = ax.title.get_color()
        expected_color = "black" if truth == guess else "red"
        assert _reads_as(color, expected_color), (
            f"image {position + 1} ({'right' if truth == guess else 'wrong'}): expected a {expected_color} title, "
            f"got {color!r}.\nhint: title_colors: 'red' where the prediction is wrong, 'black' where it is right")
