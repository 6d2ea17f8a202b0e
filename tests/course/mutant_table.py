"""The mutants of the mutation check (``tools/mutants.py``): realistic mistakes, one subtask each.

Each mutant replaces a snippet that occurs exactly once inside the fences of its subtask's TODO
in ``solutions/<file>`` with the wrong version a student might write. The subtask's own tests
must then fail: its public checks (tests/subtasks/), or at least its hidden grading checks
(tests/grading/); the mutants marked "only the hidden checks see it" are the reason those
exist. Add a mutant where a new kind of mistake turns up; ``python tools/mutants.py --list``
shows the table, ``--only <tag>`` runs one subtask's mutants.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MUTANTS", "Mutant"]


@dataclass(frozen=True)
class Mutant:
    tag: str    # the subtask whose tests must catch it
    name: str   # a few words: what the student got wrong
    file: str   # relative to solutions/
    old: str    # exact text inside a fence of `tag`, found once there
    new: str    # the wrong version

    @property
    def label(self):
        return f"{self.tag}: {self.name}"


M = Mutant
MAIN, FNN, TRAINER = "01_main.py", "fnn.py", "utils/network_trainer.py"
AUG, HAND = "augmentation.py", "handwriting.py"

MUTANTS = (
    # 1a: six images titled with their labels
    M("1a", "titles show tensor(5)", MAIN, 'f"label {int(label)}"', '"label " + str(label)'),
    M("1a", "titles number the images, not their labels", MAIN,
      'titles = [f"label {int(label)}" for label in labels[:6]]',
      'titles = [f"label {index}" for index in range(6)]'),
    M("1a", "images off by one", MAIN, "six = images[:6]", "six = images[1:7]"),
    M("1a", "grid of 3 rows x 2 columns", MAIN, "rows=2, cols=3", "rows=3, cols=2"),
    M("1a", "images transposed with .T (28, 28, 6)", MAIN, "images[:6].reshape(-1, 28, 28)",
      "images[:6].reshape(-1, 28, 28).T"),
    M("1a", "each picture transposed (rows and columns swapped)", MAIN, "images[:6].reshape(-1, 28, 28)",
      "images[:6].reshape(-1, 28, 28).transpose(1, 2)"),  # only the hidden checks see it
    # 1b: label counts
    M("1b", "bincount without minlength", MAIN, "torch.bincount(labels, minlength=num_classes)",
      "torch.bincount(labels)"),
    M("1b", "unique counts only the digits present", MAIN, "torch.bincount(labels, minlength=num_classes)",
      "torch.unique(labels, return_counts=True)[1]"),
    M("1b", "loop stops one digit early", MAIN, "torch.bincount(labels, minlength=num_classes)",
      "torch.tensor([int((labels == digit).sum()) for digit in range(num_classes - 1)])"),
    M("1b", "histc over the labels' own range", MAIN, "torch.bincount(labels, minlength=num_classes)",
      "torch.histc(labels.float(), bins=num_classes)"),
    M("1b", "ten classes hard-coded", MAIN, "minlength=num_classes", "minlength=10"),
    # 2a: one dense layer
    M("2a", "activation class, not an instance", FNN, "layers.append(activation_func())",
      "layers.append(activation_func)"),
    M("2a", "ReLU also when no activation is given", FNN,
      "if activation_func is not None:\n        layers.append(activation_func())",
      "layers.append((activation_func or torch.nn.ReLU)())"),
    M("2a", "in and out swapped", FNN, "layers = [torch.nn.Linear(input_shape, output_shape)]",
      "layers = [torch.nn.Linear(output_shape, input_shape)]"),
    M("2a", "activation before the linear map", FNN, "layers.append(activation_func())",
      "layers.insert(0, activation_func())"),
    M("2a", "linear map without bias", FNN, "layers = [torch.nn.Linear(input_shape, output_shape)]",
      "layers = [torch.nn.Linear(input_shape, output_shape, bias=False)]"),
    # 2b: the network's layers
    M("2b", "second hidden layer takes input_shape", FNN,
      "self.hidden2 = _dense_layer(hidden_shape, hidden_shape, activation_func)",
      "self.hidden2 = _dense_layer(input_shape, hidden_shape, activation_func)"),
    M("2b", "activation after the output layer", FNN, "self.output = _dense_layer(hidden_shape, num_classes)",
      "self.output = _dense_layer(hidden_shape, num_classes, activation_func)"),
    M("2b", "layers kept in a plain Python list", FNN,
      "self.hidden1 = _dense_layer(input_shape, hidden_shape, activation_func)\n"
      "        self.hidden2 = _dense_layer(hidden_shape, hidden_shape, activation_func)\n"
      "        self.output = _dense_layer(hidden_shape, num_classes)",
      "self.layers = [_dense_layer(input_shape, hidden_shape, activation_func),\n"
      "                       _dense_layer(hidden_shape, hidden_shape, activation_func),\n"
      "                       _dense_layer(hidden_shape, num_classes)]"),
    M("2b", "sizes hard-coded for MNIST", FNN,
      "self.hidden1 = _dense_layer(input_shape, hidden_shape, activation_func)",
      "self.hidden1 = _dense_layer(784, hidden_shape, activation_func)"),
    M("2b", "activation instance passed to _dense_layer", FNN,
      "self.hidden1 = _dense_layer(input_shape, hidden_shape, activation_func)",
      "self.hidden1 = _dense_layer(input_shape, hidden_shape, activation_func())"),
    M("2b", "ReLU hard-coded", FNN,
      "self.hidden2 = _dense_layer(hidden_shape, hidden_shape, activation_func)",
      "self.hidden2 = _dense_layer(hidden_shape, hidden_shape, torch.nn.ReLU)"),
    # 2c: the forward pass
    M("2c", "softmax at the end of forward", FNN, "return self.output(self.hidden2(self.hidden1(x)))",
      "return torch.softmax(self.output(self.hidden2(self.hidden1(x))), dim=1)"),
    M("2c", "log-softmax at the end of forward", FNN, "return self.output(self.hidden2(self.hidden1(x)))",
      "return torch.log_softmax(self.output(self.hidden2(self.hidden1(x))), dim=1)"),
    M("2c", "ReLU on the scores", FNN, "return self.output(self.hidden2(self.hidden1(x)))",
      "return torch.relu(self.output(self.hidden2(self.hidden1(x))))"),
    M("2c", "second hidden layer skipped", FNN, "return self.output(self.hidden2(self.hidden1(x)))",
      "return self.output(self.hidden1(x))"),
    M("2c", "returns the predicted class", FNN, "return self.output(self.hidden2(self.hidden1(x)))",
      "return self.output(self.hidden2(self.hidden1(x))).argmax(dim=1)"),
    M("2c", "layers in the wrong order", FNN, "return self.output(self.hidden2(self.hidden1(x)))",
      "return self.output(self.hidden1(self.hidden2(x)))"),
    M("2c", "the batch squeezed (a batch of one loses its dimension)", FNN,
      "return self.output(self.hidden2(self.hidden1(x)))",
      "return self.output(self.hidden2(self.hidden1(x.squeeze())))"),  # only the hidden checks see it
    # 2d: the transform
    M("2d", "flatten left commented out", FNN, "            transforms.Lambda(flatten_image),\n", ""),
    M("2d", "ToTensor left commented out", FNN, "            transforms.ToTensor(),\n", ""),
    M("2d", "flatten before ToTensor", FNN, "transforms.ToTensor(),\n            transforms.Lambda(flatten_image),",
      "transforms.Lambda(flatten_image),\n            transforms.ToTensor(),"),
    M("2d", "PILToTensor keeps 0..255", FNN, "transforms.ToTensor(),", "transforms.PILToTensor(),"),
    M("2d", "flattened to (1, 784)", FNN, "transforms.Lambda(flatten_image),",
      "transforms.Lambda(lambda image: image.reshape(1, -1)),"),
    M("2d", "normalised in the core transform", FNN, "transforms.Lambda(flatten_image),",
      "transforms.Normalize((0.5,), (0.5,)),\n            transforms.Lambda(flatten_image),"),
    # 3a: losses start at zero
    M("3a", "train_loss starts as an empty list", TRAINER, "train_loss = 0.0", "train_loss = []"),
    M("3a", "train_loss starts as None", TRAINER, "train_loss = 0.0", "train_loss = None"),
    M("3a", "train_loss starts at infinity (like a best loss)", TRAINER, "train_loss = 0.0",
      'train_loss = float("inf")'),
    M("3a", "train_loss starts at one", TRAINER, "train_loss = 0.0", "train_loss = 1.0"),
    M("3a", "an attribute, not the local train_loss", TRAINER, "train_loss = 0.0", "self.train_loss = 0.0"),
    M("3a", "validation loss under another name", TRAINER, "validation_loss = 0.0", "val_loss = 0.0"),
    M("3a", "validation loss starts at one", TRAINER, "validation_loss = 0.0", "validation_loss = 1.0"),
    # 3b: the training step
    M("3b", "no zero_grad", TRAINER, "            optimizer.zero_grad()\n", ""),
    M("3b", "regularisation left out of the backward pass", TRAINER, "(loss + regularization(model)).backward()",
      "loss.backward()"),
    M("3b", "regularisation added after the backward pass", TRAINER,
      "(loss + regularization(model)).backward()", "loss.backward()\n            loss = loss + regularization(model)"),
    M("3b", "step before backward", TRAINER,
      "(loss + regularization(model)).backward()\n            optimizer.step()",
      "optimizer.step()\n            (loss + regularization(model)).backward()"),
    M("3b", "zero_grad between backward and step", TRAINER,
      "optimizer.zero_grad()\n            output = model(input_data)\n            loss = criterion(output, target)\n"
      "            (loss + regularization(model)).backward()\n",
      "output = model(input_data)\n            loss = criterion(output, target)\n"
      "            (loss + regularization(model)).backward()\n            optimizer.zero_grad()\n"),
    M("3b", "no optimizer step", TRAINER, "            optimizer.step()\n", ""),
    M("3b", "criterion's arguments swapped", TRAINER, "loss = criterion(output, target)",
      "loss = criterion(target, output)"),
    # 3c: the average training loss
    M("3c", "batch means added unweighted", TRAINER, "train_loss += loss.item() * len(target)",
      "train_loss += loss.item()"),
    M("3c", "divided by the number of batches", TRAINER, "train_loss = train_loss / len_train_data",
      "train_loss = train_loss / len(train_batches)"),
    M("3c", "loss tensor kept with its graph", TRAINER, "train_loss += loss.item() * len(target)",
      "train_loss += loss * len(target)"),
    M("3c", "= instead of +=", TRAINER, "train_loss += loss.item() * len(target)",
      "train_loss = loss.item() * len(target)"),
    M("3c", "weighted by the nominal batch size", TRAINER, "train_loss += loss.item() * len(target)",
      "train_loss += loss.item() * train_batches.batch_size"),
    M("3c", "sum never averaged", TRAINER, "train_loss = train_loss / len_train_data", "train_loss = train_loss"),
    # 3d: validation
    M("3d", "no model.eval()", TRAINER, "        model.eval()\n        with torch.no_grad():",
      "        with torch.no_grad():"),
    M("3d", "no torch.no_grad()", TRAINER, "with torch.no_grad():", "if True:"),
    M("3d", "loss of the last batch only", TRAINER,
      "validation_loss += criterion(output, target).item() * len(target)",
      "validation_loss = criterion(output, target).item() * len(target)"),
    M("3d", "batch means added unweighted", TRAINER,
      "validation_loss += criterion(output, target).item() * len(target)",
      "validation_loss += criterion(output, target).item()"),
    M("3d", "divided by the number of batches", TRAINER, "validation_loss = validation_loss / len_val_data",
      "validation_loss = validation_loss / len(val_batches)"),
    M("3d", "validated on the training batches", TRAINER, "for input_data, target in val_batches:",
      'for input_data, target in self.data_loader("train"):'),
    # 4a: output activation and loss
    M("4a", "NLLLoss on raw scores", MAIN, "return torch.nn.CrossEntropyLoss", "return torch.nn.NLLLoss"),
    M("4a", "an instance, not the class", MAIN, "return torch.nn.CrossEntropyLoss",
      "return torch.nn.CrossEntropyLoss()"),
    M("4a", "the function cross_entropy", MAIN, "return torch.nn.CrossEntropyLoss",
      "return torch.nn.functional.cross_entropy"),
    M("4a", "MSELoss", MAIN, "return torch.nn.CrossEntropyLoss", "return torch.nn.MSELoss"),
    M("4a", "BCEWithLogitsLoss", MAIN, "return torch.nn.CrossEntropyLoss", "return torch.nn.BCEWithLogitsLoss"),
    # 4b: network parameters, optimizer
    M("4b", "activation instance", MAIN, '"activation_func": torch.nn.ReLU}', '"activation_func": torch.nn.ReLU()}'),
    M("4b", "SGD", MAIN, '"optimizer": torch.optim.Adam', '"optimizer": torch.optim.SGD'),
    M("4b", "hidden size hard-coded", MAIN, '"hidden_shape": hidden_shape', '"hidden_shape": 500'),
    M("4b", "learning rate hard-coded", MAIN, '{"lr": learning_rate}', '{"lr": 0.001}'),
    M("4b", "learning rate under the wrong keyword", MAIN, '{"lr": learning_rate}',
      '{"learning_rate": learning_rate}'),
    M("4b", "input of one image row", MAIN, '"input_shape": 28 * 28', '"input_shape": 28'),
    # 4c: train and evaluate
    M("4c", "evaluated on the validation split", MAIN, "user.test_network(run_folder)",
      'user.test_network(run_folder, split="val")'),
    M("4c", "evaluated on the training split", MAIN, "user.test_network(run_folder)",
      'user.test_network(run_folder, split="train")'),
    M("4c", "evaluates the best saved run, not this one", MAIN, "result = user.test_network(run_folder)",
      "from utils.internals.run_choice import best_classification_run\n"
      "    result = user.test_network(best_classification_run(args.runs_dir))"),
    M("4c", "evaluates the first saved run", MAIN, "result = user.test_network(run_folder)",
      "result = user.test_network(sorted(p for p in args.runs_dir.iterdir() if p.is_dir())[0])"),
    M("4c", "loss instance given to NetworkUser", MAIN,
      'NetworkUser(settings["network_class"], loss_function, loader',
      'NetworkUser(settings["network_class"], loss_function(), loader'),
    # 4d: predictions on test images
    M("4d", "true and predicted swapped in the titles", MAIN, 'f"true {t} / pred {p} ({s:.0%})"',
      'f"true {p} / pred {t} ({s:.0%})"'),
    M("4d", "colours swapped", MAIN, '"black" if t == p else "red"', '"red" if t == p else "black"'),
    M("4d", "titles show tensor(7)", MAIN,
      'titles = [f"true {t} / pred {p} ({s:.0%})" for t, p, s in zip(truth, guesses, sure)]',
      'titles = ["true " + str(t) + " / pred " + str(p) for t, p in zip(labels[:count], predicted)]'),
    M("4d", "confidence of the first class, not of the prediction", MAIN,
      "sure = [float(p.max()) for p in probabilities]",
      "sure = [float(p[0]) for p in probabilities]"),
    M("4d", "labels off by one", MAIN, "labels[:count]]", "labels[1:count + 1]]"),
    M("4d", "probabilities taken for the predictions", MAIN, "predicted, probabilities = predict(images[:count])",
      "probabilities, predicted = predict(images[:count])"),
    M("4d", "grid of count // 2 rows x 2 columns", MAIN, "rows=2, cols=-(-count // 2)", "rows=-(-count // 2), cols=2"),
    M("4d", "two rows of six, whatever count is", MAIN, "rows=2, cols=-(-count // 2)", "rows=2, cols=6"),
    # bonus a: sum_correct_preds
    M("bonus_a", "argmax over the batch", MAIN, "predicted.argmax(dim=1)", "predicted.argmax(dim=0)"),
    M("bonus_a", "mean instead of sum", MAIN, "== target).sum()", "== target).float().mean()"),
    M("bonus_a", "the highest score compared with the target", MAIN, "predicted.argmax(dim=1)",
      "predicted.max(dim=1).values"),
    M("bonus_a", "no sum", MAIN, "return (predicted.argmax(dim=1) == target).sum()",
      "return predicted.argmax(dim=1) == target"),
    # bonus b: normalisation and batch norm
    M("bonus_b", "batch norm after the activation", FNN, "layers.insert(1, torch.nn.BatchNorm1d(output_shape))",
      "layers.append(torch.nn.BatchNorm1d(output_shape))"),
    M("bonus_b", "linear map keeps its bias", FNN,
      "        layers[0] = torch.nn.Linear(input_shape, output_shape, bias=False)\n", ""),
    M("bonus_b", "statistics of 0..255 pixels", FNN, "scaled = images.to(torch.float64) / 255.0",
      "scaled = images.to(torch.float64)"),
    M("bonus_b", "statistics of all 60000 training images", FNN, "channel_mean_std(self.train_images)",
      "channel_mean_std(self._train_full.data)"),
    M("bonus_b", "Normalize after flattening", FNN,
      "steps.insert(len(steps) - 1, transforms.Normalize((mean,), (std,)))",
      "steps.append(transforms.Normalize((mean,), (std,)))"),
    M("bonus_b", "batch norm in the first hidden layer only", FNN,
      "self.hidden2 = _dense_layer(hidden_shape, hidden_shape, activation_func, batch_normalize=True)",
      "self.hidden2 = _dense_layer(hidden_shape, hidden_shape, activation_func)"),
    # bonus c: weight initialisation
    M("bonus_c", "kaiming_uniform draws from a normal", FNN,
      'getattr(torch.nn.init, f"{scheme}_")(module.weight, nonlinearity="relu")',
      'torch.nn.init.kaiming_normal_(module.weight, nonlinearity="relu")'),
    M("bonus_c", "xavier_normal draws uniformly", FNN, 'getattr(torch.nn.init, f"{scheme}_")(module.weight)\n',
      "torch.nn.init.xavier_uniform_(module.weight)\n"),
    M("bonus_c", "kaiming with fan_out", FNN, 'nonlinearity="relu")', 'mode="fan_out", nonlinearity="relu")'),
    M("bonus_c", "normal with std 1", FNN, "torch.nn.init.normal_(module.weight, std=0.01)",
      "torch.nn.init.normal_(module.weight)"),
    M("bonus_c", "bias-free layers not skipped", FNN, "if module.bias is not None:\n                module.bias",
      "if True:\n                module.bias"),
    M("bonus_c", "biases zeroed, not set to `bias`", FNN, "module.bias.fill_(bias)", "module.bias.zero_()"),
    M("bonus_c", "no torch.no_grad()", FNN, "with torch.no_grad():\n            if scheme",
      "if True:\n            if scheme"),
    M("bonus_c", "a new bias Parameter instead of filling the old one", FNN, "module.bias.fill_(bias)",
      "module.bias = torch.nn.Parameter(torch.full_like(module.bias, bias))"),  # only the hidden checks see it
    # bonus d: penalties
    M("bonus_d", "biases in the penalty too", MAIN, "weights = [p for p in model.parameters() if p.dim() > 1]",
      "weights = list(model.parameters())"),
    M("bonus_d", "penalty as a Python float", MAIN, "sum(w.abs().sum() for w in weights)",
      "sum(w.abs().sum().item() for w in weights)"),
    M("bonus_d", "L2 with |w|", MAIN, "sum(w.pow(2).sum() for w in weights)", "sum(w.abs().sum() for w in weights)"),
    M("bonus_d", "L2 as the norm", MAIN, "sum(w.pow(2).sum() for w in weights)", "sum(w.norm() for w in weights)"),
    M("bonus_d", "weights picked by name (batch norm's too)", MAIN,
      "weights = [p for p in model.parameters() if p.dim() > 1]",
      'weights = [p for name, p in model.named_parameters() if "weight" in name]'),
    M("bonus_d", "L2 without its strength", MAIN, "+ l2_strength * sum(", "+ sum("),
    M("bonus_d", "the strengths swapped", MAIN, "return l1_strength * sum(w.abs()", "return l2_strength * sum(w.abs()"),
    # bonus e: the sweep's configurations
    M("bonus_e", "duplicates kept", "bonus_e_sweep.py", "        if key not in seen:\n            seen.add(key)\n"
      "            configs.append(dict(config, kind=kind))", "        configs.append(dict(config, kind=kind))"),
    M("bonus_e", "only the combinations", "bonus_e_sweep.py",
      '            add(dict(default, **{factor: value}), "one at a time")', "            pass"),
    M("bonus_e", "one-at-a-time configs without the default", "bonus_e_sweep.py",
      "add(dict(default, **{factor: value})", "add({factor: value}"),
    M("bonus_e", "only the one-at-a-time configs", "bonus_e_sweep.py",
      '        add(dict(zip(grid, values)), "combined")', "        pass"),
    M("bonus_e", "varied around the module's DEFAULT, not the given default", "bonus_e_sweep.py",
      "add(dict(default, **{factor: value})", "add(dict(DEFAULT, **{factor: value})"),  # only hidden checks see it
    # bonus f: a network of any depth
    M("bonus_f", "dropout before each hidden layer", FNN,
      "            layers.append(_dense_layer(size_in, size_out, activation_func, use_batch_norm))\n"
      "            if dropout > 0:\n                layers.append(torch.nn.Dropout(dropout))",
      "            if dropout > 0:\n                layers.append(torch.nn.Dropout(dropout))\n"
      "            layers.append(_dense_layer(size_in, size_out, activation_func, use_batch_norm))"),
    M("bonus_f", "one dropout after the last hidden layer only", FNN,
      "            if dropout > 0:\n                layers.append(torch.nn.Dropout(dropout))\n"
      "        layers.append(_dense_layer(sizes[-1], num_classes))",
      "        if dropout > 0:\n            layers.append(torch.nn.Dropout(dropout))\n"
      "        layers.append(_dense_layer(sizes[-1], num_classes))"),
    M("bonus_f", "dropout after the output layer too", FNN,
      "        layers.append(_dense_layer(sizes[-1], num_classes))",
      "        layers.append(_dense_layer(sizes[-1], num_classes))\n"
      "        if dropout > 0:\n            layers.append(torch.nn.Dropout(dropout))"),
    M("bonus_f", "every hidden layer fed from the input", FNN, "_dense_layer(size_in, size_out,",
      "_dense_layer(input_shape, size_out,"),
    M("bonus_f", "layers in a plain list", FNN, "self.layers = torch.nn.Sequential(*layers)",
      "self.layers = layers\n        self.forward = lambda x: torch.nn.Sequential(*self.layers)(x)"),
    M("bonus_f", "activation on the output layer", FNN, "_dense_layer(sizes[-1], num_classes)",
      "_dense_layer(sizes[-1], num_classes, activation_func)"),
    M("bonus_f", "batch norm not passed on", FNN, "_dense_layer(size_in, size_out, activation_func, use_batch_norm)",
      "_dense_layer(size_in, size_out, activation_func)"),  # only the hidden checks see it
    # bonus g: MSE on one-hot targets
    M("bonus_g", "no one-hot", "bonus_g_regression.py",
      "F.mse_loss(output, F.one_hot(target, output.shape[1]).to(output.dtype))", "F.mse_loss(output, target.float())"),
    M("bonus_g", "one_hot sized by the largest label", "bonus_g_regression.py",
      "F.one_hot(target, output.shape[1])", "F.one_hot(target)"),
    M("bonus_g", "summed, not averaged", "bonus_g_regression.py",
      "F.mse_loss(output, F.one_hot(target, output.shape[1]).to(output.dtype))",
      'F.mse_loss(output, F.one_hot(target, output.shape[1]).to(output.dtype), reduction="sum")'),
    M("bonus_g", "softmax before the MSE", "bonus_g_regression.py", "F.mse_loss(output, ",
      "F.mse_loss(output.softmax(dim=1), "),
    # bonus h: your own handwriting
    M("bonus_h", "squeezed to 20x20 (aspect ratio lost)", HAND,
      "height, width = (max(1, round(side * scale)) for side in ink.shape)", "height, width = BOX, BOX"),
    M("bonus_h", "centred by the bounding box, not the centre of mass", HAND,
      "top = int(np.clip(round(FRAME / 2 - centre_y - 0.5), 0, FRAME - height))\n"
      "    left = int(np.clip(round(FRAME / 2 - centre_x - 0.5), 0, FRAME - width))",
      "top, left = (FRAME - height) // 2, (FRAME - width) // 2"),
    M("bonus_h", "not cropped to the ink", HAND,
      "    ink = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]\n", ""),
    M("bonus_h", "PIL size given as (height, width)", HAND, ".resize((width, height),", ".resize((height, width),"),
    M("bonus_h", "shift not clipped", HAND,
      "top = int(np.clip(round(FRAME / 2 - centre_y - 0.5), 0, FRAME - height))\n"
      "    left = int(np.clip(round(FRAME / 2 - centre_x - 0.5), 0, FRAME - width))",
      "top = max(0, int(round(FRAME / 2 - centre_y - 0.5)))\n"
      "    left = max(0, int(round(FRAME / 2 - centre_x - 0.5)))"),
    M("bonus_h", "scaled by the shorter side", HAND, "scale = BOX / max(ink.shape)", "scale = BOX / min(ink.shape)"),
    M("bonus_h", "only ever shrinks, never enlarges", HAND, "scale = BOX / max(ink.shape)",
      "scale = min(1.0, BOX / max(ink.shape))"),  # only the hidden checks see it
    M("bonus_h", "scaled by the height only", HAND, "scale = BOX / max(ink.shape)", "scale = BOX / ink.shape[0]"),
    # bonus i: data augmentation
    M("bonus_i", "angle in degrees used as radians", AUG, "angle = torch.deg2rad(uniform(-max_degrees, max_degrees))",
      "angle = uniform(-max_degrees, max_degrees)"),
    M("bonus_i", "shift as a fraction, not pixels", AUG,
      "uniform(-max_shift, max_shift)], dim=1) * SIDE", "uniform(-max_shift, max_shift)], dim=1)"),
    M("bonus_i", "zoom multiplies positions", AUG, "/ scale[:, None, None]", "* scale[:, None, None]"),
    M("bonus_i", "only positive angles", AUG, "uniform(-max_degrees, max_degrees)", "uniform(0, max_degrees)"),
    M("bonus_i", "one shift for x and y", AUG,
      "torch.stack([uniform(-max_shift, max_shift), uniform(-max_shift, max_shift)], dim=1)",
      "uniform(-max_shift, max_shift)[:, None].expand(-1, 2)"),
    M("bonus_i", "elastic field not smoothed", AUG,
      "field = ((field @ smooth.T).transpose(2, 3) @ smooth.T).transpose(2, 3) * alpha", "field = field * alpha"),
    M("bonus_i", "elastic field smoothed along one axis", AUG,
      "field = ((field @ smooth.T).transpose(2, 3) @ smooth.T).transpose(2, 3) * alpha",
      "field = (field @ smooth.T) * alpha"),
    M("bonus_i", "elastic field in [0, 1]", AUG, "generator=generator).to(device) * 2 - 1",
      "generator=generator).to(device)"),
    M("bonus_i", "elastic x and y interleaved", AUG, "field.reshape(count, 2, SIDE * SIDE).transpose(1, 2)",
      "field.reshape(count, SIDE * SIDE, 2)"),
)
