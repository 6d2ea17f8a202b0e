"""What a finished run shows: misclassified digits, training curves, the closing lines (provided).
"""

from __future__ import annotations

import torch

from utils import plotting


def plot_mistakes(predicted, confidence, images, labels, path=None, show=False, count=12):
    """Test images the network gets wrong, with true and predicted label and its probability.

    ``predicted`` and ``confidence`` (N,) are the predicted labels of ``images`` and their
    probabilities, as ``NetworkUser.test_network`` returns them.
    """
    wrong = torch.nonzero(predicted != labels).flatten()[:count]
    titles = [f"true {int(labels[i])} / pred {int(predicted[i])} ({float(confidence[i]):.0%})" for i in wrong]
    fig = plotting.image_grid(images[wrong], titles, rows=2, cols=6, title_colors=["red"] * len(wrong),
                              suptitle=f"{int((predicted != labels).sum())} of {len(labels)} test images "
                                       "are misclassified; the first ones:")
    return plotting.finish(fig, path, show)


def predictions_for(predict, result, images, labels):
    """(predicted labels, confidence) of ``images``: those ``test_network`` made when it saw the same
    labels in the same order (``result``), else predicted with ``predict``."""
    seen = result.get("labels")
    if isinstance(seen, torch.Tensor) and seen.shape == labels.shape and torch.equal(seen, labels.cpu()):
        return result["predicted"], result["confidence"]
    predicted, probabilities = predict(images)
    return predicted, probabilities.max(dim=1).values


def run_figures(args, predict, loader, result, run_folder):
    """Misclassified test digits and the training curves of a run, as PNGs in its folder."""
    images, labels = loader.tensors("test")
    predicted, confidence = predictions_for(predict, result, images, labels)
    plot_mistakes(predicted, confidence, images, labels, run_folder / "4d_mistakes.png", args.show)
    curves = plotting.training_curves({"": result["history"]}, test_result=result)
    plotting.finish(curves, run_folder / "training_curves.png", args.show)
    print(f"Run plots in {run_folder}: 4d_predictions.png, 4d_mistakes.png, training_curves.png")


def report(args, result):
    """The closing lines: the last epoch, a hint when accuracy is at chance, the test result.

    ``result`` is None while TODO 4c (evaluating on the test split) is not done yet.
    """
    if result is None:
        raise NotImplementedError("TODO 4c")
    last = result["history"][-1]
    accuracy = last.get("val_accuracy")
    epochs = len(result["history"])
    print(f"After {epochs} epoch{'s' if epochs != 1 else ''}: train loss {last['train_loss']:.4f}, "
          f"validation loss {last['val_loss']:.4f}"
          + (f", validation accuracy {accuracy:.2f} %" if accuracy is not None else ""))
    if accuracy is not None and accuracy < 20:
        print(f"Hint: {accuracy:.0f} % is what guessing gets. Did training diverge? "
              f"Try a smaller learning rate than {args.lr:g} (0.001 suits Adam).")
    print(f"Test: loss {result['loss']:.4f}, accuracy {result['accuracy']:.2f} %")
