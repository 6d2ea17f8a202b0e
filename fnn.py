# Your file to fill in: the TODOs below. Generated from solutions/fnn.py by tools/make_templates.py.
"""A fully connected feedforward network (FNN) for MNIST, and the data loader that feeds it.

Tasks in this file: 2a ``_dense_layer``, 2b ``FNN.__init__``, 2c ``FNN.forward``,
2d the transform in ``DataLoaderFNN``, bonus b (normalisation, batch norm),
bonus c (weight initialisation) and bonus f (a network of any depth).
Check one task with ``pytest --impl student -m task2a`` (or task2b, ..., bonus_f).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torchvision import datasets, transforms

from utils.checks import check_choice, check_positive_int, check_ratio
from utils.mnist import ensure_mnist, raw_folder

IMAGE_SIDE = 28
SPLITS = ("train", "val", "test")


def _dense_layer(input_shape, output_shape, activation_func=None, batch_normalize=False):
    """One fully connected layer: a linear map, optionally followed by an activation.

    Parameters
    ----------
    input_shape : int
        Number of input features of the layer.
    output_shape : int
        Number of output features (neurons) of the layer.
    activation_func : type of torch.nn.Module, optional
        Activation class, e.g. ``torch.nn.ReLU`` (the class, not an instance). ``None`` for the
        output layer, which returns raw scores (logits).
    batch_normalize : bool
        Bonus b: put a ``torch.nn.BatchNorm1d`` between the linear map and the activation. The
        linear map then needs no bias, since batch norm's own shift replaces it.

    Returns
    -------
    torch.nn.Sequential
        ``Linear`` (then ``BatchNorm1d`` if asked for), then the activation if one is given.
    """
    # TODO 2a: build the linear layer and the optional activation, return them as a Sequential
    raise NotImplementedError(
        "TODO 2a: build the linear layer and the optional activation, return them as a "
        "Sequential (check: pytest --impl student -m task2a)"
    )


class FNN(torch.nn.Module):
    """A fully connected network: two hidden layers and an output layer.

    ``input_shape -> hidden_shape -> hidden_shape -> num_classes``; the hidden layers use
    ``activation_func``, the output layer has none (``CrossEntropyLoss`` wants raw logits).

    Parameters
    ----------
    input_shape : int
        Length of one flattened image (28 * 28 = 784 for MNIST).
    hidden_shape : int
        Number of neurons in each hidden layer.
    num_classes : int
        Number of outputs, one score per digit (10).
    activation_func : type of torch.nn.Module
        Activation class of the hidden layers, e.g. ``torch.nn.ReLU``.
    use_batch_norm : bool
        Bonus b: batch normalisation in the hidden layers.
    """

    def __init__(self, input_shape=784, hidden_shape=500, num_classes=10,
                 activation_func=torch.nn.ReLU, use_batch_norm=False):
        super().__init__()
        check_positive_int("input_shape", input_shape)
        check_positive_int("hidden_shape", hidden_shape)
        check_positive_int("num_classes", num_classes)
        # TODO 2b: two hidden layers with _dense_layer (the second hidden_shape -> hidden_shape)
        #          and an output layer without activation; store them as attributes
        raise NotImplementedError(
            "TODO 2b: two hidden layers with _dense_layer (the second hidden_shape -> "
            "hidden_shape) and an output layer without activation; store them as attributes "
            "(check: pytest --impl student -m task2b)"
        )

    def forward(self, x):
        """Scores for a batch of flattened images.

        Parameters
        ----------
        x : torch.Tensor
            Shape ``(batch, input_shape)``.

        Returns
        -------
        torch.Tensor
            Shape ``(batch, num_classes)``: one raw score (logit) per class.
        """
        # TODO 2c: pass x through the layers built in __init__, in order, and return the result
        raise NotImplementedError(
            "TODO 2c: pass x through the layers built in __init__, in order, and return the "
            "result (check: pytest --impl student -m task2c)"
        )


INIT_SCHEMES = ("xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal", "normal", "zeros")


def make_initializer(scheme="kaiming_normal", bias=0.0):
    """Bonus c: a function for ``model.apply(...)`` that re-initialises every ``Linear`` layer.

    Parameters
    ----------
    scheme : str
        How to draw the weights: ``"xavier_uniform"``, ``"xavier_normal"`` (Glorot),
        ``"kaiming_uniform"``, ``"kaiming_normal"`` (He, for ReLU), ``"normal"`` (std 0.01)
        or ``"zeros"``.
    bias : float
        Value every bias is set to.

    Examples
    --------
    >>> model = FNN()
    >>> model.apply(make_initializer("xavier_uniform"))  # doctest: +SKIP
    """
    check_choice("scheme", scheme, INIT_SCHEMES)

    def initialize(module):
        if not isinstance(module, torch.nn.Linear):
            return
        # TODO bonus_c: draw module.weight with the chosen scheme (torch.nn.init has one function
        #          per scheme; kaiming with nonlinearity="relu"), and fill module.bias with `bias`
        raise NotImplementedError(
            "TODO bonus_c: draw module.weight with the chosen scheme (torch.nn.init has one "
            "function per scheme; kaiming with nonlinearity=\"relu\"), and fill module.bias "
            "with `bias` (check: pytest --impl student -m bonus_c)"
        )

    return initialize


class DeepFNN(torch.nn.Module):
    """Bonus f: a fully connected network of any depth, one hidden layer per entry of ``hidden_shapes``.

    ``DeepFNN(784, [500, 500], 10)`` is the same network as ``FNN(784, 500, 10)``.

    Parameters
    ----------
    input_shape : int
        Length of one flattened image (784).
    hidden_shapes : sequence of int
        Neurons of each hidden layer, in order; at least one.
    num_classes : int
        Number of outputs (10).
    activation_func : type of torch.nn.Module
        Activation class of the hidden layers.
    use_batch_norm : bool
        Batch normalisation in every hidden layer (see ``_dense_layer``).
    dropout : float
        Probability of zeroing a hidden activation during training (0 switches dropout off).
    bfloat16 : bool
        Compute the layers in bfloat16 (mixed precision; weights and outputs stay float32).
        Matrix products run about twice as fast on CPUs with AVX-512 BF16 and on recent GPUs.
    """

    def __init__(self, input_shape=784, hidden_shapes=(500, 500), num_classes=10,
                 activation_func=torch.nn.ReLU, use_batch_norm=False, dropout=0.0, bfloat16=False):
        super().__init__()
        self.bfloat16 = bool(bfloat16)
        hidden_shapes = list(hidden_shapes)
        if not hidden_shapes:
            raise ValueError("hidden_shapes needs at least one layer size, e.g. [500, 500].")
        for size in hidden_shapes:
            check_positive_int("each entry of hidden_shapes", size)
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must lie in [0, 1), got {dropout}.")
        # TODO bonus_f: one _dense_layer per hidden size (input_shape -> first size -> next ...),
        #          each followed by torch.nn.Dropout(dropout) if dropout > 0, then the output layer;
        #          store them all in self.layers as one torch.nn.Sequential
        raise NotImplementedError(
            "TODO bonus_f: one _dense_layer per hidden size (input_shape -> first size -> "
            "next ...), each followed by torch.nn.Dropout(dropout) if dropout > 0, then the "
            "output layer; store them all in self.layers as one torch.nn.Sequential (check: "
            "pytest --impl student -m bonus_f)"
        )

    def forward(self, x):
        if self.bfloat16 and x.device.type in ("cpu", "cuda"):
            with torch.autocast(x.device.type, dtype=torch.bfloat16):
                return self.layers(x).float()
        return self.layers(x)


def flatten_image(image):
    """Reshape one ``(1, 28, 28)`` image tensor into a 784-long vector."""
    return image.reshape(-1)


def channel_mean_std(images):
    """Bonus b: mean and standard deviation of all pixel values, after scaling to [0, 1].

    Parameters
    ----------
    images : torch.Tensor
        uint8 tensor of shape ``(N, 28, 28)`` with grey values 0..255.

    Returns
    -------
    tuple of float
        ``(mean, std)``; about ``(0.1307, 0.3081)`` on the MNIST training images.
    """
    # TODO bonus_b: scale to [0, 1], then return the mean and the standard deviation as floats
    raise NotImplementedError(
        "TODO bonus_b: scale to [0, 1], then return the mean and the standard deviation as "
        "floats (check: pytest --impl student -m bonus_b)"
    )


class DataLoaderFNN:
    """MNIST for a fully connected network: images as 784-vectors, in train / val / test batches.

    The 60,000 training images are split into a training and a validation part
    (``train_val_ratio``); the 10,000 test images stay apart for the final evaluation.
    The transform runs once per image when the loader is made; every epoch then slices its
    batches from tensors held in memory, which is several times faster than transforming
    each image again in every epoch.

    Parameters
    ----------
    train_val_ratio : float
        Share of the 60,000 training images used for training, in (0, 1); the rest validates.
    batch_size : int
        Images per batch.
    seed : int
        Seed of the train/validation split and of the shuffling, for reproducible runs.
    normalize : bool
        Bonus b: standardise the pixels with the mean and standard deviation of the training split.
    augment : callable, optional
        Bonus i: applied to every training batch ``(batch, 784) -> (batch, 784)``; never to
        validation or test batches.
    data_dir : path, optional
        Where MNIST is kept (``data/`` in the repository by default).

    Examples
    --------
    >>> loader = DataLoaderFNN()
    >>> for images, labels in loader("train"):
    ...     pass  # images: (100, 784) float32, labels: (100,) int64
    """

    def __init__(self, train_val_ratio=0.8, batch_size=100, seed=0, normalize=False,
                 augment=None, data_dir=None, verbose=True):
        self.train_val_ratio = check_ratio("train_val_ratio", train_val_ratio)
        self.batch_size = check_positive_int("batch_size", batch_size)
        self.seed = int(seed)
        self.augment = augment
        ensure_mnist(data_dir, verbose=verbose)
        root = raw_folder(data_dir).parents[1]
        train_full = datasets.MNIST(root, train=True, download=False)
        test = datasets.MNIST(root, train=False, download=False)

        split_generator = torch.Generator().manual_seed(self.seed)
        order = torch.randperm(len(train_full), generator=split_generator)
        num_train = round(self.train_val_ratio * len(train_full))
        if not 0 < num_train < len(train_full):
            raise ValueError(
                f"train_val_ratio={train_val_ratio} leaves an empty training or validation split; "
                "use a value such as 0.8."
            )
        train_idx, val_idx = order[:num_train], order[num_train:]

        steps = [
            # TODO 2d: uncomment the two lines below: ToTensor turns a 28x28 uint8 image into a
            #          (1, 28, 28) float tensor in [0, 1]; flatten_image makes it a 784-vector
            # transforms.ToTensor(),
            # transforms.Lambda(flatten_image),
        ]
        self.mean_std = None
        if normalize:
            self.mean_std = channel_mean_std(train_full.data[train_idx])
            mean, std = self.mean_std
            steps.insert(len(steps) - 1, transforms.Normalize((mean,), (std,)))
        self.transform = transforms.Compose(steps)

        train_images, train_labels = self._apply_transform(train_full)
        self._tensors = {
            "train": (train_images[train_idx], train_labels[train_idx]),
            "val": (train_images[val_idx], train_labels[val_idx]),
            "test": self._apply_transform(test),
        }
        self._shuffle_generator = torch.Generator().manual_seed(self.seed + 1)

    def _apply_transform(self, dataset):
        """Run the transform once on every image; stack the results into one tensor."""
        first = self.transform(dataset.data[0].numpy())
        fix = ("Fix: TODO 2d in fnn.py (DataLoaderFNN.__init__): uncomment ToTensor() and the "
               "reshape. Check with: pytest --impl student -m task2d")
        if not isinstance(first, torch.Tensor):
            raise NotImplementedError(
                "TODO 2d: uncomment ToTensor() and the reshape in DataLoaderFNN.__init__ (fnn.py); "
                f"the transform still returns {type(first).__name__} objects, not tensors.\n{fix}")
        if first.shape != (IMAGE_SIDE * IMAGE_SIDE,):
            raise ValueError("DataLoaderFNN's transform must turn each 28x28 image into a tensor "
                             f"of shape (784,), but it returns shape {tuple(first.shape)}.\n{fix}")
        images = torch.empty(len(dataset.data), first.numel(), dtype=torch.float32)
        for index, image in enumerate(dataset.data):
            images[index] = self.transform(image.numpy())
        return images, dataset.targets.clone()

    def __call__(self, split):
        """Batches of one split: ``"train"`` (shuffled every epoch), ``"val"`` or ``"test"``."""
        check_choice("split", split, SPLITS)
        images, labels = self._tensors[split]
        is_train = split == "train"
        return Batches(images, labels, self.batch_size,
                       generator=self._shuffle_generator if is_train else None,
                       augment=self.augment if is_train else None)

    def tensors(self, split):
        """All images ``(N, 784)`` and labels ``(N,)`` of one split, unshuffled, unaugmented."""
        check_choice("split", split, SPLITS)
        return self._tensors[split]

    def show_sizes(self):
        """Print how many images and batches each split has, and the shape of one batch."""
        print(f"{'split':<6}{'images':>8}{'batches':>9}   batch shape")
        for split in SPLITS:
            batches = self(split)
            shape = (min(self.batch_size, len(batches.dataset)), IMAGE_SIDE * IMAGE_SIDE)
            print(f"{split:<6}{len(batches.dataset):>8}{len(batches):>9}   {shape}")


@dataclass
class Batches:
    """Iterable over ``(images, labels)`` batches sliced from in-memory tensors.

    Behaves like a ``torch.utils.data.DataLoader`` where the trainer needs it to:
    ``len(batches)`` is the number of batches, ``len(batches.dataset)`` the number of images.
    """

    images: torch.Tensor
    labels: torch.Tensor
    batch_size: int
    generator: torch.Generator | None = None
    augment: object = None

    def __post_init__(self):
        self.dataset = torch.utils.data.TensorDataset(self.images, self.labels)

    def __len__(self):
        return math.ceil(len(self.labels) / self.batch_size)

    def __iter__(self):
        count = len(self.labels)
        order = None if self.generator is None else torch.randperm(count, generator=self.generator)
        for start in range(0, count, self.batch_size):
            if order is None:
                images = self.images[start:start + self.batch_size]
                labels = self.labels[start:start + self.batch_size]
            else:
                index = order[start:start + self.batch_size]
                images, labels = self.images[index], self.labels[index]
            if self.augment is not None:
                images = self.augment(images)
            yield images, labels
