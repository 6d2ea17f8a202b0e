"""A fully connected feedforward network (FNN) for MNIST, and the data loader that feeds it.

Core: 2a ``_dense_layer``, 2b ``FNN.__init__``, 2c ``FNN.forward``, 2d ``DataLoaderFNN``.
Bonus: b (batch norm, ``channel_mean_std``), c ``make_initializer``, f ``DeepFNN``.
"""

import torch

from utils.data import MnistSplits
from utils.internals.flags import INIT_SCHEMES  # the schemes of bonus c, as --init offers them


def _dense_layer(input_shape, output_shape, activation_func=None, batch_normalize=False):
    """One fully connected layer: a linear map, optionally followed by an activation.

    Parameters
    ----------
    input_shape, output_shape : int
        Number of input features and of output features (neurons).
    activation_func : type of torch.nn.Module, optional
        Activation class, e.g. ``torch.nn.ReLU`` (the class, not an instance); ``None`` for the
        output layer, which returns raw scores (logits).
    batch_normalize : bool
        Bonus b: a ``torch.nn.BatchNorm1d`` between the linear map and the activation.

    Returns
    -------
    torch.nn.Sequential
        ``Linear`` (then ``BatchNorm1d`` if asked for), then the activation if one is given.
    """
    layers = []
    # TODO 2a: into layers, in order: the fully connected map from input_shape to output_shape
    #          features, then the activation activation_func stands for, unless it is None.
    ### BEGIN SOLUTION
    layers = [torch.nn.Linear(input_shape, output_shape)]
    if activation_func is not None:
        layers.append(activation_func())
    ### END SOLUTION

    # Bonus b: batch normalisation ------------------------------------------------------------
    if batch_normalize:
        # TODO bonus_b: put a batch normalisation of the layer's outputs into layers, between the linear
        #               map and the activation; and replace the linear map by one without the part that
        #               batch norm makes superfluous (which part, and why: Q b on the sheet).
        ### BEGIN SOLUTION
        layers[0] = torch.nn.Linear(input_shape, output_shape, bias=False)
        layers.insert(1, torch.nn.BatchNorm1d(output_shape))
        ### END SOLUTION
    return torch.nn.Sequential(*layers)


class FNN(torch.nn.Module):
    """A fully connected network: two hidden layers and an output layer.

    ``input_shape -> hidden_shape -> hidden_shape -> num_classes``; the hidden layers use
    ``activation_func``, the output layer has none: it gives raw scores (logits).

    Parameters
    ----------
    input_shape, hidden_shape, num_classes : int
        Length of one flattened image, neurons per hidden layer, number of classes.
    activation_func : type of torch.nn.Module
        Activation class of the hidden layers, e.g. ``torch.nn.ReLU``.
    use_batch_norm : bool
        Bonus b: batch normalisation in the hidden layers.
    """

    def __init__(self, input_shape=784, hidden_shape=500, num_classes=10,
                 activation_func=torch.nn.ReLU, use_batch_norm=False):
        super().__init__()
        # TODO 2b: the network's three layers, each made with _dense_layer and kept in self (as
        #          attributes, or in a torch.nn.Sequential): a hidden layer from input_shape to
        #          hidden_shape, a second one _dense_layer(hidden_shape, hidden_shape, activation_func),
        #          and the output layer, to num_classes scores without an activation.
        ### BEGIN SOLUTION
        self.hidden1 = _dense_layer(input_shape, hidden_shape, activation_func)
        self.hidden2 = _dense_layer(hidden_shape, hidden_shape, activation_func)
        self.output = _dense_layer(hidden_shape, num_classes)
        ### END SOLUTION

        # Bonus b: batch normalisation --------------------------------------------------------
        if use_batch_norm:
            # TODO bonus_b: build your two hidden layers of 2b again, kept where 2b keeps them, now with
            #               batch normalisation switched on.
            ### BEGIN SOLUTION
            self.hidden1 = _dense_layer(input_shape, hidden_shape, activation_func, batch_normalize=True)
            self.hidden2 = _dense_layer(hidden_shape, hidden_shape, activation_func, batch_normalize=True)
            ### END SOLUTION

    def forward(self, x):
        """Scores for a batch of flattened images: ``(batch, input_shape) -> (batch, num_classes)``.

        One raw score (logit) per class, as the output layer gives it.
        """
        # TODO 2c: pass x through the layers of 2b, in order, and return the raw scores.
        ### BEGIN SOLUTION
        return self.output(self.hidden2(self.hidden1(x)))
        ### END SOLUTION


def flatten_image(image):
    """Reshape one ``(1, 28, 28)`` image tensor into a 784-long vector."""
    return image.reshape(-1)


class DataLoaderFNN(MnistSplits):
    """MNIST for a fully connected network: ``loader("train" | "val" | "test")`` gives batches
    of images as 784-vectors ``(100, 784)`` and their labels ``(100,)``.

    The 60,000 training images are split into training and validation (``train_val_ratio``);
    the 10,000 test images stay apart. The base class ``MnistSplits`` (``utils/data.py``) reads
    and splits MNIST, runs the transform once per image and serves the batches.

    Parameters
    ----------
    train_val_ratio, batch_size, seed
        Share of the 60,000 images used for training, in (0, 1), the rest validates; images per
        batch; seed of the split and the shuffling.
    normalize, augment
        Bonus b: standardise the pixels (training split's mean and standard deviation); bonus i:
        a function applied to every training batch ``(batch, 784) -> (batch, 784)``.
    data_dir : path, optional
        Where MNIST is kept (``data/`` by default).
    """

    def __init__(self, train_val_ratio=0.8, batch_size=100, seed=0, normalize=False,
                 augment=None, data_dir=None, verbose=True):
        super().__init__(train_val_ratio, batch_size, seed, augment, data_dir, verbose)
        from torchvision import transforms  # here, where it is used: torchvision takes a second to load

        steps = [
            # TODO 2d: uncomment the two steps below: first each image becomes a float tensor with
            #          values in [0, 1], then one flat vector.
            ### BEGIN SOLUTION uncomment
            transforms.ToTensor(),
            transforms.Lambda(flatten_image),
            ### END SOLUTION
        ]

        # Bonus b: normalisation ----------------------------------------------------------------
        if normalize:
            # TODO bonus_b: keep the training split's pixel mean and standard deviation in self.mean_std
            #               (your channel_mean_std of self.train_images), and add a step to steps that
            #               standardises each image with them, before it is flattened.
            ### BEGIN SOLUTION
            self.mean_std = channel_mean_std(self.train_images)
            mean, std = self.mean_std
            steps.insert(len(steps) - 1, transforms.Normalize((mean,), (std,)))
            ### END SOLUTION
        self.transform = transforms.Compose(steps)
        self.transform_splits(self.transform)


# Bonus tasks ---------------------------------------------------------------------------------


def channel_mean_std(images):
    """Bonus b: ``(mean, std)`` of all pixels of uint8 ``images (N, 28, 28)`` scaled to [0, 1].

    About ``(0.1307, 0.3081)`` on the MNIST training images.
    """
    # TODO bonus_b: the mean and the standard deviation of all pixels, scaled to [0, 1] first (in double
    #               precision), as two Python floats.
    ### BEGIN SOLUTION
    scaled = images.to(torch.float64) / 255.0
    return scaled.mean().item(), scaled.std().item()
    ### END SOLUTION


def make_initializer(scheme="kaiming_normal", bias=0.0):
    """Bonus c: a function for ``model.apply(...)`` that re-initialises every ``Linear`` layer.

    ``scheme``: ``"xavier_uniform"``, ``"xavier_normal"`` (Glorot), ``"kaiming_uniform"``,
    ``"kaiming_normal"`` (He, for ReLU), ``"normal"`` (std 0.01) or ``"zeros"``. ``bias``: the
    value of every bias (layers without a bias are left as they are).
    """
    if scheme not in INIT_SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; use one of {', '.join(INIT_SCHEMES)}.")

    def initialize(module):
        if not isinstance(module, torch.nn.Linear):
            return
        # TODO bonus_c: give module.weight new values drawn with the chosen scheme (torch.nn.init has
        #               one function per scheme; the Kaiming ones are meant for ReLU; "normal" means a
        #               standard deviation of 0.01), and set every entry of the bias to bias where the
        #               layer has one; no gradient tracking while you do it.
        ### BEGIN SOLUTION
        with torch.no_grad():
            if scheme.startswith("kaiming"):
                getattr(torch.nn.init, f"{scheme}_")(module.weight, nonlinearity="relu")
            elif scheme.startswith("xavier"):
                getattr(torch.nn.init, f"{scheme}_")(module.weight)
            elif scheme == "normal":
                torch.nn.init.normal_(module.weight, std=0.01)
            else:
                torch.nn.init.zeros_(module.weight)
            if module.bias is not None:
                module.bias.fill_(bias)
        ### END SOLUTION

    return initialize


class DeepFNN(torch.nn.Module):
    """Bonus f: a fully connected network of any depth: one hidden layer per entry of ``hidden_shapes``.

    ``DeepFNN(784, [500, 500], 10)`` is the same network as ``FNN(784, 500, 10)``. Like ``FNN``,
    plus ``hidden_shapes`` (sizes in order, at least one) and ``dropout`` (probability of zeroing
    a hidden activation during training; 0 switches it off).
    """

    def __init__(self, input_shape=784, hidden_shapes=(500, 500), num_classes=10,
                 activation_func=torch.nn.ReLU, use_batch_norm=False, dropout=0.0):
        super().__init__()
        # TODO bonus_f: one hidden layer per entry of hidden_shapes, each from the previous size to its
        #               own, each followed by dropout if dropout > 0, then the output layer without
        #               activation; keep them all, in order, as self.layers (forward uses it).
        ### BEGIN SOLUTION
        layers = []
        sizes = [input_shape, *hidden_shapes]
        for size_in, size_out in zip(sizes, sizes[1:]):
            layers.append(_dense_layer(size_in, size_out, activation_func, use_batch_norm))
            if dropout > 0:
                layers.append(torch.nn.Dropout(dropout))
        layers.append(_dense_layer(sizes[-1], num_classes))
        self.layers = torch.nn.Sequential(*layers)
        ### END SOLUTION

    def forward(self, x):
        return self.layers(x)

