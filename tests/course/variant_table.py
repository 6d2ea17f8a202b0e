"""The variants of the variant check (``tools/variants.py``): correct solutions in other styles.

The mirror of ``tests/course/mutant_table.py``. Each variant replaces a snippet that occurs exactly once
inside the fences of its subtask's TODO in ``solutions/<file>`` with another correct way to
write it: an idiom a student would reach for, the sheet's own wording, the course's older
style. The subtask's public and hidden checks must all pass it; a variant they reject is a check
that judges spelling, not behaviour. A variant that needs a matching change in another fence of
the same file (a 2b that keeps its layers in a ``Sequential`` needs a 2c that calls it) gives it
in ``also``, as ``(tag, old, new)``; the checks of both subtasks then run, and it counts for its
own ``tag``. ``python tools/variants.py --list`` shows the table.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["VARIANTS", "Variant"]


@dataclass(frozen=True)
class Variant:
    tag: str    # the subtask whose checks must pass it
    name: str   # a few words: how this version differs
    file: str   # relative to solutions/
    old: str    # exact text inside a fence of `tag`, found once there
    new: str    # the other correct version
    also: tuple = ()  # further (tag, old, new) edits in the same file, made after the first

    @property
    def label(self):
        return f"{self.tag}: {self.name}"

    @property
    def edits(self):
        return ((self.tag, self.old, self.new), *self.also)


V = Variant
MAIN, FNN, TRAINER = "01_main.py", "fnn.py", "utils/network_trainer.py"
AUG, HAND, SWEEP, REGRESSION = "augmentation.py", "handwriting.py", "bonus_e_sweep.py", "bonus_g_regression.py"

THREE_LAYERS = ("self.hidden1 = _dense_layer(input_shape, hidden_shape, activation_func)\n"
                "        self.hidden2 = _dense_layer(hidden_shape, hidden_shape, activation_func)\n"
                "        self.output = _dense_layer(hidden_shape, num_classes)")
FORWARD = "return self.output(self.hidden2(self.hidden1(x)))"
LAYER_LIST = ("_dense_layer(input_shape, hidden_shape, activation_func),\n"
              "            _dense_layer(hidden_shape, hidden_shape, activation_func),\n"
              "            _dense_layer(hidden_shape, num_classes),\n"
              "        ")

VARIANTS = (
    # 1a: six images titled with their labels
    V("1a", "label as label.item()", MAIN, 'f"label {int(label)}"', 'f"label {label.item()}"'),
    V("1a", "titles from labels.tolist(), the bare number", MAIN,
      'titles = [f"label {int(label)}" for label in labels[:6]]',
      "titles = [str(label) for label in labels[:6].tolist()]"),
    V("1a", "each image reshaped on its own, with view", MAIN, "six = images[:6].reshape(-1, 28, 28)",
      "six = torch.stack([image.view(28, 28) for image in images[:6]])"),
    # 1b: label counts
    V("1b", "a Python loop over the digits", MAIN, "return torch.bincount(labels, minlength=num_classes)",
      "return torch.tensor([int((labels == digit).sum()) for digit in range(num_classes)])"),
    V("1b", "torch.stack of the per-digit sums", MAIN, "return torch.bincount(labels, minlength=num_classes)",
      "return torch.stack([(labels == digit).sum() for digit in range(num_classes)])"),
    V("1b", "index_add_ of ones", MAIN, "return torch.bincount(labels, minlength=num_classes)",
      "return torch.zeros(num_classes, dtype=torch.long).index_add_(0, labels, torch.ones_like(labels))"),
    V("1b", "one-hot rows summed", MAIN, "return torch.bincount(labels, minlength=num_classes)",
      "return torch.nn.functional.one_hot(labels, num_classes).sum(dim=0)"),
    # 2a: one dense layer
    V("2a", "layers.append on the empty list", FNN, "layers = [torch.nn.Linear(input_shape, output_shape)]",
      "layers.append(torch.nn.Linear(input_shape, output_shape))"),
    V("2a", "keyword arguments and a truthiness test", FNN,
      "layers = [torch.nn.Linear(input_shape, output_shape)]\n    if activation_func is not None:",
      "layers = [torch.nn.Linear(in_features=input_shape, out_features=output_shape)]\n    if activation_func:"),
    V("2a", "list concatenation", FNN, "layers.append(activation_func())", "layers = layers + [activation_func()]"),
    # 2b: the network's layers (with the forward of 2c that fits them)
    V("2b", "one torch.nn.Sequential", FNN, THREE_LAYERS,
      "self.stack = torch.nn.Sequential(\n            " + LAYER_LIST + ")",
      also=(("2c", FORWARD, "return self.stack(x)"),)),
    V("2b", "a torch.nn.ModuleList and a loop", FNN, THREE_LAYERS,
      "self.layers = torch.nn.ModuleList([\n            " + LAYER_LIST + "])",
      also=(("2c", FORWARD, "for layer in self.layers:\n            x = layer(x)\n        return x"),)),
    V("2b", "other attribute names", FNN, THREE_LAYERS,
      "self.fc1 = _dense_layer(input_shape, hidden_shape, activation_func)\n"
      "        self.fc2 = _dense_layer(hidden_shape, hidden_shape, activation_func)\n"
      "        self.out = _dense_layer(hidden_shape, num_classes)",
      also=(("2c", FORWARD, "return self.out(self.fc2(self.fc1(x)))"),)),
    V("2b", "keyword arguments", FNN, "self.output = _dense_layer(hidden_shape, num_classes)",
      "self.output = _dense_layer(input_shape=hidden_shape, output_shape=num_classes, activation_func=None)"),
    # 2c: the forward pass
    V("2c", "one layer per line", FNN, FORWARD,
      "x = self.hidden1(x)\n        x = self.hidden2(x)\n        x = self.output(x)\n        return x"),
    V("2c", "a loop over the three layers", FNN, FORWARD,
      "for layer in (self.hidden1, self.hidden2, self.output):\n            x = layer(x)\n        return x"),
    # 2d: the transform (an "uncomment" fence: the student may write the lines in their own way)
    V("2d", "transforms.Lambda(torch.flatten)", FNN, "transforms.Lambda(flatten_image),",
      "transforms.Lambda(torch.flatten),"),
    V("2d", "a lambda with view(-1)", FNN, "transforms.Lambda(flatten_image),",
      "transforms.Lambda(lambda x: x.view(-1)),"),
    V("2d", "a lambda that reshapes to 784", FNN, "transforms.Lambda(flatten_image),",
      "transforms.Lambda(lambda image: image.reshape(28 * 28)),"),
    # 3a: losses start at zero
    V("3a", "an int zero (the course's older style)", TRAINER, "train_loss = 0.0", "train_loss = 0"),
    V("3a", "a 0-d float tensor", TRAINER, "train_loss = 0.0", "train_loss = torch.zeros(())"),
    V("3a", "validation loss as an int zero", TRAINER, "validation_loss = 0.0", "validation_loss = 0"),
    V("3a", "validation loss as torch.tensor(0.0)", TRAINER, "validation_loss = 0.0",
      "validation_loss = torch.tensor(0.0)"),
    # 3b: the training step
    V("3b", "model.zero_grad()", TRAINER, "optimizer.zero_grad()", "model.zero_grad()"),
    V("3b", "no output variable", TRAINER,
      "output = model(input_data)\n            loss = criterion(output, target)",
      "loss = criterion(model(input_data), target)"),
    V("3b", "the total named before its backward pass", TRAINER, "(loss + regularization(model)).backward()",
      "total = loss + regularization(model)\n            total.backward()"),
    V("3b", "zero_grad(set_to_none=True)", TRAINER, "optimizer.zero_grad()", "optimizer.zero_grad(set_to_none=True)"),
    # 3c: the average training loss
    V("3c", "float(loss) * target.size(0)", TRAINER, "train_loss += loss.item() * len(target)",
      "train_loss = train_loss + float(loss) * target.size(0)"),
    V("3c", "input_data.size(0) and /= (the course's older style)", TRAINER,
      "train_loss += loss.item() * len(target)", "train_loss += loss.item() * input_data.size(0)",
      also=(("3c", "train_loss = train_loss / len_train_data", "train_loss /= len_train_data"),)),
    V("3c", "a detached tensor sum", TRAINER, "train_loss += loss.item() * len(target)",
      "train_loss += loss.detach() * len(target)"),
    V("3c", "divided by len(train_batches.dataset)", TRAINER, "train_loss = train_loss / len_train_data",
      "train_loss = train_loss / len(train_batches.dataset)"),
    # 3d: validation
    V("3d", "torch.inference_mode()", TRAINER, "with torch.no_grad():", "with torch.inference_mode():"),
    V("3d", "model.train(False)", TRAINER, "model.eval()", "model.train(False)"),
    V("3d", "eval() inside no_grad()", TRAINER, "model.eval()\n        with torch.no_grad():",
      "with torch.no_grad():\n            model.eval()"),
    V("3d", "torch.set_grad_enabled(False)", TRAINER, "with torch.no_grad():", "with torch.set_grad_enabled(False):"),
    V("3d", "input_data.size(0) and /= (the course's older style)", TRAINER,
      "validation_loss += criterion(output, target).item() * len(target)\n"
      "        validation_loss = validation_loss / len_val_data",
      "validation_loss += criterion(output, target).item() * input_data.size(0)\n"
      "        validation_loss /= len_val_data"),
    # 4a: output activation and loss
    V("4a", "the class imported by name", MAIN, "return torch.nn.CrossEntropyLoss",
      "from torch.nn import CrossEntropyLoss\n\n    return CrossEntropyLoss"),
    V("4a", "log-softmax and NLL in a class of one's own", MAIN, "return torch.nn.CrossEntropyLoss",
      "class SoftmaxNLL(torch.nn.Module):\n"
      "        def forward(self, scores, target):\n"
      "            return torch.nn.functional.nll_loss(torch.log_softmax(scores, dim=1), target)\n\n"
      "    return SoftmaxNLL"),
    # 4b: network parameters, optimizer
    V("4b", "dict(...) and 784 written out", MAIN,
      '{"input_shape": 28 * 28, "hidden_shape": hidden_shape, "num_classes": 10,\n'
      '                           "activation_func": torch.nn.ReLU}',
      "dict(input_shape=784, hidden_shape=hidden_shape, num_classes=10, activation_func=torch.nn.ReLU)"),
    V("4b", "optimizer_params as dict(lr=...)", MAIN, '{"lr": learning_rate}', "dict(lr=learning_rate)"),
    # 4c: train and evaluate (an "uncomment" fence)
    V("4c", "split named, keyword arguments", MAIN,
      'user = NetworkUser(settings["network_class"], loss_function, loader, device=args.device)\n'
      "    result = user.test_network(run_folder)",
      'user = NetworkUser(network_class=settings["network_class"], loss_function=loss_function,\n'
      "                       data_loader=loader, device=args.device)\n"
      '    result = user.test_network(run_folder, split="test")'),
    V("4c", "device given by position, run folder by keyword", MAIN,
      'loader, device=args.device)\n    result = user.test_network(run_folder)',
      'loader, args.device)\n    result = user.test_network(run_folder=run_folder)'),
    # 4d: predictions on test images
    V("4d", 'colours "k" and "r"', MAIN, '"black" if t == p else "red"', '"k" if t == p else "r"'),
    V("4d", 'colours "tab:red" for wrong ones', MAIN, '"black" if t == p else "red"',
      '"black" if t == p else "tab:red"'),
    V("4d", "the probability as 0.62, not 62%", MAIN, "({s:.0%})", "(p={s:.2f})"),
    V("4d", "tolist() and max(dim=1)", MAIN,
      "truth = [int(label) for label in labels[:count]]\n"
      "    guesses = [int(guess) for guess in predicted]\n"
      "    sure = [float(p.max()) for p in probabilities]",
      "truth = labels[:count].tolist()\n"
      "    guesses = predicted.tolist()\n"
      "    sure = probabilities.max(dim=1).values.tolist()"),
    V("4d", "columns as (count + 1) // 2", MAIN, "cols=-(-count // 2)", "cols=(count + 1) // 2"),
    # bonus a: sum_correct_preds
    V("bonus_a", "torch.sum(predicted.max(1).indices == target).item()", MAIN,
      "return (predicted.argmax(dim=1) == target).sum()",
      "return torch.sum(predicted.max(1).indices == target).item()"),
    V("bonus_a", "eq(...).sum() as an int", MAIN, "return (predicted.argmax(dim=1) == target).sum()",
      "return int(predicted.argmax(1).eq(target).sum())"),
    # bonus b: normalisation and batch norm
    V("bonus_b", "numpy's std (the population formula)", FNN,
      "scaled = images.to(torch.float64) / 255.0\n    return scaled.mean().item(), scaled.std().item()",
      "import numpy as np\n\n    scaled = images.numpy().astype(np.float64) / 255.0\n"
      "    return float(np.mean(scaled)), float(np.std(scaled))"),
    V("bonus_b", "torch.std_mean", FNN,
      "return scaled.mean().item(), scaled.std().item()",
      "std, mean = torch.std_mean(scaled)\n    return float(mean), float(std)"),
    V("bonus_b", "Normalize put at index 1", FNN, "steps.insert(len(steps) - 1, transforms.Normalize((mean,), (std,)))",
      "steps.insert(1, transforms.Normalize(mean=[mean], std=[std]))"),
    V("bonus_b", "the layer list rebuilt", FNN,
      "layers[0] = torch.nn.Linear(input_shape, output_shape, bias=False)\n"
      "        layers.insert(1, torch.nn.BatchNorm1d(output_shape))",
      "layers = [torch.nn.Linear(input_shape, output_shape, bias=False), torch.nn.BatchNorm1d(output_shape),\n"
      "                  *layers[1:]]"),
    # bonus c: weight initialisation
    V("bonus_c", "torch.nn.init.constant_ for the bias", FNN, "module.bias.fill_(bias)",
      "torch.nn.init.constant_(module.bias, bias)"),
    V("bonus_c", "a dict of the Kaiming functions", FNN,
      'getattr(torch.nn.init, f"{scheme}_")(module.weight, nonlinearity="relu")',
      '{"kaiming_uniform": torch.nn.init.kaiming_uniform_,\n'
      '                 "kaiming_normal": torch.nn.init.kaiming_normal_}[scheme](module.weight, nonlinearity="relu")'),
    # bonus d: penalties
    V("bonus_d", "torch.norm(w, 1) and w.square()", MAIN,
      "sum(w.abs().sum() for w in weights) + l2_strength * sum(w.pow(2).sum() for w in weights)",
      "sum(torch.norm(w, 1) for w in weights) + l2_strength * sum(w.square().sum() for w in weights)"),
    V("bonus_d", "weights by ndim, L2 as the squared norm", MAIN,
      "weights = [p for p in model.parameters() if p.dim() > 1]",
      "weights = [p for _, p in model.named_parameters() if p.ndim >= 2]",
      also=(("bonus_d", "sum(w.pow(2).sum() for w in weights)", "sum(torch.norm(w) ** 2 for w in weights)"),)),
    # bonus e: the sweep's configurations
    V("bonus_e", "duplicates found by comparing with the list", SWEEP,
      "        key = tuple(sorted(config.items()))\n        if key not in seen:\n            seen.add(key)\n"
      "            configs.append(dict(config, kind=kind))",
      '        if all({k: v for k, v in c.items() if k != "kind"} != config for c in configs):\n'
      "            configs.append(dict(config, kind=kind))"),
    V("bonus_e", "{**default, factor: value}", SWEEP, "add(dict(default, **{factor: value})",
      "add({**default, factor: value}"),
    # bonus f: a network of any depth
    V("bonus_f", "the previous size carried in a variable", FNN,
      "        layers = []\n        sizes = [input_shape, *hidden_shapes]\n"
      "        for size_in, size_out in zip(sizes, sizes[1:]):\n"
      "            layers.append(_dense_layer(size_in, size_out, activation_func, use_batch_norm))\n"
      "            if dropout > 0:\n                layers.append(torch.nn.Dropout(dropout))\n"
      "        layers.append(_dense_layer(sizes[-1], num_classes))",
      "        layers, size_in = [], input_shape\n"
      "        for size_out in hidden_shapes:\n"
      "            layers.append(_dense_layer(size_in, size_out, activation_func, use_batch_norm))\n"
      "            if dropout:\n                layers.append(torch.nn.Dropout(p=dropout))\n"
      "            size_in = size_out\n"
      "        layers.append(_dense_layer(size_in, num_classes))"),
    # bonus g: MSE on one-hot targets
    V("bonus_g", "the squared difference by hand", REGRESSION,
      "return F.mse_loss(output, F.one_hot(target, output.shape[1]).to(output.dtype))",
      "return ((output - F.one_hot(target, num_classes=output.size(1)).float()) ** 2).mean()"),
    V("bonus_g", "one-hot rows from torch.eye", REGRESSION,
      "F.one_hot(target, output.shape[1]).to(output.dtype)",
      "torch.eye(output.shape[1], dtype=output.dtype, device=output.device)[target]"),
    # bonus h: your own handwriting
    V("bonus_h", "cropped with any() along each axis", HAND,
      "rows, cols = np.nonzero(ink)\n    ink = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]",
      "rows = np.flatnonzero(ink.any(axis=1))\n    cols = np.flatnonzero(ink.any(axis=0))\n"
      "    ink = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]"),
    V("bonus_h", "centre of mass from the row and column sums", HAND,
      "grid_y, grid_x = np.indices(box.shape)\n"
      "    centre_y, centre_x = (grid_y * box).sum() / total, (grid_x * box).sum() / total",
      "centre_y = (box.sum(axis=1) * np.arange(box.shape[0])).sum() / total\n"
      "    centre_x = (box.sum(axis=0) * np.arange(box.shape[1])).sum() / total"),
    # bonus i: data augmentation
    V("bonus_i", "degrees to radians by pi / 180", AUG, "angle = torch.deg2rad(uniform(-max_degrees, max_degrees))",
      "angle = uniform(-max_degrees, max_degrees) * torch.pi / 180"),
    V("bonus_i", "the rotation matrices from one stack", AUG,
      "rotation = torch.stack([torch.stack([cos, -sin], dim=1), torch.stack([sin, cos], dim=1)], dim=1)",
      "rotation = torch.stack([cos, -sin, sin, cos], dim=1).reshape(-1, 2, 2)"),
    V("bonus_i", "the field smoothed as G @ F @ G.T", AUG,
      "field = ((field @ smooth.T).transpose(2, 3) @ smooth.T).transpose(2, 3) * alpha",
      "field = smooth @ field @ smooth.T * alpha"),
)
