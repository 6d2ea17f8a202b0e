"""MNIST as tensors in memory, split and served in batches (provided code, nothing to fill in).

``DataLoaderFNN`` (fnn.py) holds the lesson: the transform and the normalisation. What it needs
besides lives here: reading MNIST, the seeded train/validation split, running the transform once
per image, and ``Batches``, which slices shuffled batches from the tensors in every epoch.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import torch

from utils.checks import check_choice, check_positive_int, check_ratio
from utils.errors import ArgumentError, DataError
from utils.mnist import ensure_mnist, raw_folder

IMAGE_SIDE = 28
SPLITS = ("train", "val", "test")


def mnist_datasets(data_dir=None, verbose=True):
    """The torchvision MNIST training (60,000) and test (10,000) sets, fetched and verified first.

    Read once per process and folder: a second loader (or a second check) reuses them.
    """
    ensure_mnist(data_dir, verbose=verbose)
    return _read_mnist(str(raw_folder(data_dir)))


@functools.lru_cache(maxsize=2)
def _read_mnist(raw):
    from torchvision import datasets

    root = Path(raw).parents[1]
    try:
        return datasets.MNIST(root, train=True, download=False), datasets.MNIST(root, train=False, download=False)
    except (OSError, RuntimeError) as error:
        raise DataError(f"MNIST in {raw} cannot be read ({error}). Delete the four files "
                        "there; the next run fetches them again.") from error


def split_indices(count, train_val_ratio, seed):
    """The training and validation indices of ``count`` images: a seeded random split."""
    check_ratio("train_val_ratio", train_val_ratio)
    order = torch.randperm(count, generator=torch.Generator().manual_seed(int(seed)))
    num_train = round(train_val_ratio * count)
    if not 0 < num_train < count:
        raise ArgumentError(f"train_val_ratio={train_val_ratio} leaves an empty training or validation "
                            "split; use a value such as 0.8.")
    return order[:num_train], order[num_train:]


def split_labels(train_val_ratio=0.8, seed=0, data_dir=None):
    """Labels of the train, val and test splits, split as ``DataLoaderFNN`` splits them (for task 1b)."""
    train_full, test = mnist_datasets(data_dir, verbose=False)
    train_idx, val_idx = split_indices(len(train_full), train_val_ratio, seed)
    return {"train": train_full.targets[train_idx], "val": train_full.targets[val_idx], "test": test.targets}


def first_training_images(count=12, data_dir=None):
    """The first ``count`` MNIST training images as ``(count, 784)`` floats in [0, 1], and their labels."""
    train_full, _ = mnist_datasets(data_dir, verbose=False)
    return train_full.data[:count].reshape(count, -1).float() / 255, train_full.targets[:count].clone()


def transform_all(dataset, transform):
    """Run ``transform`` once on every image of ``dataset``; return (images (N, 784), labels (N,))."""
    if not getattr(transform, "transforms", True):
        raise NotImplementedError("TODO 2d")  # the untouched template: every step is commented out
    first = transform(dataset.data[0].numpy())
    if not isinstance(first, torch.Tensor):
        raise DataError(f"DataLoaderFNN's transform returns {type(first).__name__} objects, not tensors. "
                        "Fix TODO 2d in fnn.py: transforms.ToTensor() must be one of the steps, before the reshape.")
    if first.shape != (IMAGE_SIDE * IMAGE_SIDE,):
        raise DataError(f"DataLoaderFNN's transform must turn each 28x28 image into a tensor of shape (784,), "
                        f"but it returns shape {tuple(first.shape)}. Fix TODO 2d in fnn.py.")
    images = torch.empty(len(dataset.data), first.numel(), dtype=torch.float32)
    for index, image in enumerate(dataset.data):
        images[index] = transform(image.numpy())
    return images, dataset.targets.clone()


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
        check_positive_int("batch_size", self.batch_size)
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


class InMemorySplits:
    """What a loader does with its transformed splits: ``loader(split)`` batches, ``tensors``,
    ``show_sizes``. A subclass sets ``batch_size``, ``seed``, ``augment`` and calls ``keep_splits``."""

    def keep_splits(self, tensors):
        """Keep ``{"train": (images, labels), "val": ..., "test": ...}``; seed the shuffling."""
        self._tensors = tensors
        self._shuffle = torch.Generator().manual_seed(self.seed + 1)

    def __call__(self, split):
        """Batches of one split: ``"train"`` (shuffled, augmented), ``"val"`` or ``"test"``."""
        images, labels = self.tensors(split)
        if split != "train":
            return Batches(images, labels, self.batch_size)
        return Batches(images, labels, self.batch_size, generator=self._shuffle, augment=self.augment)

    def tensors(self, split):
        """All images ``(N, 784)`` and labels ``(N,)`` of one split, unshuffled, unaugmented."""
        return self._tensors[check_choice("split", split, SPLITS)]

    def show_sizes(self):
        """Print how many images and batches each split has, and the shape of one batch."""
        print(f"{'split':<6}{'images':>8}{'batches':>9}   batch shape")
        for split in SPLITS:
            images, _ = self.tensors(split)
            batches = math.ceil(len(images) / self.batch_size)
            shape = (min(self.batch_size, len(images)), images.shape[1])
            print(f"{split:<6}{len(images):>8}{batches:>9}   {shape}")
