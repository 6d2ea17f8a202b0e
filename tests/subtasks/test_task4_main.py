"""Task 4: loss, settings, training and evaluation, predictions (01_main.py)."""

import pytest
import torch


@pytest.mark.task4a
def test_loss_applies_softmax_and_negative_log_likelihood_to_raw_scores(main_module):
    loss = main_module.choose_loss_function()()
    logits = torch.randn(16, 10) * 3
    target = torch.randint(0, 10, (16,))
    expected = -torch.log_softmax(logits, dim=1)[torch.arange(16), target].mean()
    assert float(loss(logits, target)) == pytest.approx(float(expected), rel=1e-5)


@pytest.mark.task4b
def test_settings_describe_an_mnist_fnn_trained_with_adam(main_module):
    settings = main_module.training_settings(hidden_shape=321, learning_rate=0.0005)
    params = settings["network_params"]
    assert params["input_shape"] == 784 and params["num_classes"] == 10
    assert params["hidden_shape"] == 321, "use the hidden_shape argument"
    activation = params["activation_func"]()
    assert torch.equal(activation(torch.tensor([-2.0, 0.0, 3.0])), torch.tensor([0.0, 0.0, 3.0])), \
        "the hidden activation should be ReLU"
    optimizer = settings["optimizer"]([torch.nn.Parameter(torch.zeros(2))],
                                      **settings["optimizer_params"])
    assert isinstance(optimizer, torch.optim.Adam), "use torch.optim.Adam"
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.0005), "use the learning_rate argument"


@pytest.mark.task4c
@pytest.mark.slow
def test_main_trains_on_real_mnist_and_evaluates_on_the_test_split(main_module, tmp_path, capsys):
    result = main_module.main(["--epochs", "2", "--no-plots", "--no-progress",
                               "--runs-dir", str(tmp_path)])
    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    assert last_line.startswith("Test: loss ") and last_line.endswith(" %")
    assert result["num_samples"] == 10000
    # A linear classifier stops near 92 %; two epochs of a working FNN reach about 97 %.
    assert result["accuracy"] >= 96.0, f"test accuracy {result['accuracy']:.2f} % after 2 epochs"
    assert len(result["history"]) == 2


def _fake_predictor(images):
    """Predicts the right digit for even-indexed images and a wrong one for odd-indexed images."""
    truth = images[:, 0].round().long()
    wrong = torch.arange(len(images)) % 2 == 1
    predicted = torch.where(wrong, (truth + 1) % 10, truth)
    return predicted, torch.nn.functional.one_hot(predicted, 10).float()


@pytest.mark.task4d
def test_predictions_are_shown_as_28x28_images_with_true_and_predicted_labels(main_module):
    labels = torch.tensor([7, 2, 1, 0, 4, 1, 4, 9, 5, 9, 0, 6, 9, 0])
    images = torch.zeros(14, 784)
    images[:, 0] = labels.float()  # lets the fake predictor know the truth
    fig = main_module.plot_predictions(_fake_predictor, images, labels)
    shown = [ax for ax in fig.axes if ax.get_images()]
    assert len(shown) == 12, f"expected 12 predicted images, found {len(shown)}"
    predicted, _ = _fake_predictor(images[:12])
    for ax, truth, guess in zip(shown, labels, predicted):
        assert ax.get_images()[0].get_array().shape == (28, 28)
        title = ax.get_title()
        assert str(int(truth)) in title and str(int(guess)) in title, \
            f"title {title!r} should name the true label {int(truth)} and the prediction {int(guess)}"
