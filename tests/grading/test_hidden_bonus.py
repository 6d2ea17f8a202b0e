"""Hidden checks of the bonus tasks b, c, e, f, g, h, i: other images, sizes, defaults and ranges."""

import hidden_support  # noqa: F401 - puts tests/subtasks on sys.path first
import numpy as np
import pytest
import torch
from conftest import StudentModule
from hints import explain
from test_bonus_b_normalization import HINTS as HINTS_B
from test_bonus_c_f_network import HINTS as HINTS_CF
from test_bonus_e_g import HINTS as HINTS_EG
from test_bonus_h_handwriting import HINTS as HINTS_H
from test_bonus_h_handwriting import centre_of_mass, ink_box
from test_bonus_i_augmentation import HINTS as HINTS_I

HINTS = {**HINTS_B, **HINTS_CF, **HINTS_EG, **HINTS_H, **HINTS_I}  # the same hints as the public checks

sweep = StudentModule("bonus_e_sweep")
regression = StudentModule("bonus_g_regression")
handwriting = StudentModule("handwriting")
augmentation = StudentModule("augmentation")


def kinds(module):
    containers = (torch.nn.Sequential, torch.nn.ModuleList, torch.nn.ModuleDict)
    return [type(m).__name__ for m in module.modules() if not isinstance(m, containers)]


# ---------------------------------------------------------------------------------------------
# bonus b


@pytest.mark.bonus_b
@pytest.mark.parametrize("name", ["all white", "half black half white", "small random"])
def test_hidden_bonus_b_mean_and_std_of_other_images(fnn, name):
    generator = torch.Generator().manual_seed(1)
    images = {"all white": torch.full((4, 28, 28), 255, dtype=torch.uint8),
              "half black half white": torch.cat([torch.zeros(3, 5, 7), torch.full((3, 5, 7), 255.0)]).to(torch.uint8),
              "small random": torch.randint(0, 256, (2, 3, 3), dtype=torch.uint8, generator=generator)}[name]
    with explain(f"channel_mean_std of {name} images to give (mean, std)"):
        mean, std = fnn.channel_mean_std(images)
    scaled = images.double() / 255
    assert isinstance(mean, float) and isinstance(std, float), (
        f"expected two Python floats, got {type(mean).__name__} and {type(std).__name__}.\nhint: turn each "
        "one-element tensor into a plain number")
    # Both usual formulas are right: the sample standard deviation (torch) and the population one (numpy).
    assert mean == pytest.approx(float(scaled.mean()), abs=1e-6) and any(
        std == pytest.approx(float(scaled.std(correction=c)), abs=1e-6) for c in (0, 1)), (
        f"{name} images {tuple(images.shape)}: expected mean {float(scaled.mean()):.4f} and std "
        f"{float(scaled.std()):.4f}, got {mean:.4f} and {std:.4f}.\nhint: all pixels of all images together, scaled "
        "to [0, 1] first, whatever the images' number and size")


class TinyMnist:
    """Stands in for a torchvision MNIST set: 10 uint8 images; rows ``bright`` are all white."""

    def __init__(self, bright=()):
        self.data = torch.randint(0, 120, (10, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(8))
        self.data[list(bright)] = 255
        self.targets = torch.arange(10)

    def __len__(self):
        return len(self.data)


@pytest.mark.bonus_b
def test_hidden_bonus_b_normalisation_uses_the_training_split_only(fnn, monkeypatch):
    from conftest import load_student_module

    from utils import data
    from utils.data import split_indices

    module = load_student_module("fnn")
    _, val_idx = split_indices(10, 0.8, 0)
    train_set = TinyMnist(bright=val_idx.tolist())  # the validation images are white: they must not count
    monkeypatch.setattr(data, "mnist_datasets", lambda *args, **kwargs: (train_set, TinyMnist()))
    with explain("DataLoaderFNN(normalize=True) to build on 10 small images"):
        loader = module.DataLoaderFNN(normalize=True, verbose=False)
    train_idx, _ = split_indices(10, 0.8, 0)
    scaled = train_set.data[train_idx].double() / 255
    wanted = (float(scaled.mean()), float(scaled.std()))
    population = (wanted[0], float(scaled.std(correction=0)))
    assert loader.mean_std is not None and any(tuple(loader.mean_std) == pytest.approx(w, rel=1e-5)
                                               for w in (wanted, population)), (
        f"8 training and 2 white validation images: expected mean_std {tuple(round(v, 4) for v in wanted)} (the "
        f"training split's), got {loader.mean_std}.\nhint: only the training split, self.train_images")
    images, _ = loader.tensors("train")
    assert float(images.double().mean()) == pytest.approx(0.0, abs=1e-4), (
        f"expected the normalised training split to have mean 0, got {float(images.double().mean()):.4f}.\n"
        "hint: standardise with the training split's own mean and standard deviation")


@pytest.mark.bonus_b
@pytest.mark.parametrize("activation", [None, torch.nn.Tanh])
def test_hidden_bonus_b_batch_norm_layer_of_other_sizes(fnn, activation):
    layer = fnn._dense_layer(8, 3, activation, batch_normalize=True)
    wanted = ["Linear", "BatchNorm1d"] + ([] if activation is None else [activation.__name__])
    assert kinds(layer) == wanted, (f"_dense_layer(8, 3, {getattr(activation, '__name__', None)}, "
                                    f"batch_normalize=True): expected {wanted}, got {kinds(layer)}.\nhint: batch "
                                    "norm right after the linear map, before an activation if there is one")
    linear, norm = layer[0], layer[1]
    assert linear.bias is None and norm.num_features == 3, (
        f"expected Linear(8, 3) without bias and BatchNorm1d(3), got bias {linear.bias is not None} and "
        f"BatchNorm1d({getattr(norm, 'num_features', '?')}).\nhint: batch norm works on output_shape features; its "
        "shift makes the bias superfluous")


@pytest.mark.bonus_b
def test_hidden_bonus_b_fnn_with_batch_norm_of_other_sizes(fnn):
    model = fnn.FNN(6, 5, 3, torch.nn.Tanh, use_batch_norm=True)
    shapes = [(m.in_features, m.out_features) for m in model.modules() if isinstance(m, torch.nn.Linear)]
    norms = [m.num_features for m in model.modules() if isinstance(m, torch.nn.BatchNorm1d)]
    assert shapes == [(6, 5), (5, 5), (5, 3)] and norms == [5, 5], (
        f"FNN(6, 5, 3, Tanh, use_batch_norm=True): expected Linear layers [(6, 5), (5, 5), (5, 3)] and two "
        f"BatchNorm1d(5), got {shapes} and {norms}.\nhint: the same two hidden layers as in 2b, from the same "
        "arguments, with batch_normalize=True")
    tanh = len([m for m in model.modules() if isinstance(m, torch.nn.Tanh)])
    assert tanh == 2, f"expected 2 Tanh (the activation_func given), got {tanh}.\nhint: pass activation_func on"


# ---------------------------------------------------------------------------------------------
# bonus c


@pytest.mark.bonus_c
@pytest.mark.parametrize("scheme, bias", [("xavier_normal", -1.5), ("zeros", 0.3), ("kaiming_uniform", None)])
def test_hidden_bonus_c_parameters_stay_the_same_trainable_tensors(fnn, scheme, bias):
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(300, 200), torch.nn.Tanh(), torch.nn.Linear(200, 4))
    before = [id(p) for p in model.parameters()]
    kwargs = {} if bias is None else {"bias": bias}
    with explain(f"model.apply(make_initializer({scheme!r}{', bias=' + str(bias) if bias is not None else ''}))",
                 (RuntimeError, "leaf Variable that requires grad",
                  "change the parameters in place with gradient tracking switched off")):
        model.apply(fnn.make_initializer(scheme, **kwargs))
    assert [id(p) for p in model.parameters()] == before, (
        "expected the layers to keep their parameter tensors (changed in place), got new ones.\nhint: an optimizer "
        "made before would not see new tensors: write the new values into the existing weight and bias")
    assert all(p.requires_grad for p in model.parameters()), (
        "expected the parameters to stay trainable (requires_grad), got some that are not.\nhint: switch gradient "
        "tracking off only while you write the values, with a context manager")
    wanted = 0.0 if bias is None else bias
    got = {round(float(v), 4) for layer in (model[0], model[2]) for v in layer.bias.detach()}
    assert got == {wanted}, (f"make_initializer({scheme!r}{'' if bias is None else f', bias={bias}'}): expected every "
                             f"bias {wanted}, got {sorted(got)[:3]}.\nhint: every entry of the bias gets the value of "
                             "the bias argument (0.0 by default)")
    if scheme == "zeros":
        assert float(model[0].weight.detach().abs().sum()) == 0.0, "'zeros': expected all weights 0"


# ---------------------------------------------------------------------------------------------
# bonus e


@pytest.mark.bonus_e
def test_hidden_bonus_e_the_given_default_and_a_smaller_grid():
    default = {"width": 64, "depth": 1, "activation": "Tanh"}
    grid = {"width": [32, 64], "depth": [1, 4], "activation": ["Tanh"]}
    with explain("sweep_configs(grid, default) to return a list of configurations"):
        configs = sweep.sweep_configs(grid, default)
    found = [{key: config.get(key) for key in default} for config in configs]
    alone = [{key: config.get(key) for key in default} for config in configs if config.get("kind") == "one at a time"]
    for wanted in ({"width": 32, "depth": 1, "activation": "Tanh"}, {"width": 64, "depth": 4, "activation": "Tanh"}):
        assert wanted in alone, (
            f"default {default}: expected {wanted} among the 'one at a time' configurations, got {alone}.\nhint: vary "
            "each factor around the default you are given (the argument), not around the module's DEFAULT")
    unique = {tuple(sorted(config.items())) for config in found}
    assert len(found) == len(unique) == 4, (
        f"a grid of 2 x 2 x 1 values: expected its 4 combinations, each once, got {len(found)} configurations "
        f"({len(unique)} different): {found}.\nhint: every combination once; skip one that is already there")
    kinds_in_order = [config.get("kind") for config in configs]
    assert kinds_in_order == sorted(kinds_in_order, key=lambda kind: kind != "one at a time"), (
        f"expected the 'one at a time' configurations first, then the 'combined' ones, got {kinds_in_order}")


# ---------------------------------------------------------------------------------------------
# bonus f


@pytest.mark.bonus_f
def test_hidden_bonus_f_batch_norm_is_passed_on_to_every_hidden_layer(fnn, monkeypatch):
    from conftest import load_student_module

    module = load_student_module("fnn")
    real, asked = module._dense_layer, []

    def spy(input_shape, output_shape, activation_func=None, batch_normalize=False):
        asked.append(bool(batch_normalize))
        return real(input_shape, output_shape, activation_func)  # batch norm itself is bonus b, not checked here

    monkeypatch.setattr(module, "_dense_layer", spy)
    with explain("DeepFNN(10, [8, 6, 4], 3, torch.nn.Sigmoid, use_batch_norm=True) to build"):
        model = module.DeepFNN(10, [8, 6, 4], 3, torch.nn.Sigmoid, use_batch_norm=True)
    assert asked == [True, True, True, False], (
        f"DeepFNN(..., [8, 6, 4], use_batch_norm=True): expected batch norm asked for in the 3 hidden layers and not "
        f"in the output layer, got {asked} (per _dense_layer call).\nhint: pass use_batch_norm on to every hidden "
        "layer you build")
    sigmoids = len([m for m in model.modules() if isinstance(m, torch.nn.Sigmoid)])
    assert sigmoids == 3, f"expected 3 Sigmoid (one per hidden layer), got {sigmoids}.\nhint: pass activation_func on"
    output = model(torch.rand(1, 10))
    assert output.shape == (1, 3), f"a batch of one: expected (1, 3) scores, got {tuple(output.shape)}"


@pytest.mark.bonus_f
def test_hidden_bonus_f_one_hidden_layer_without_dropout(fnn):
    model = fnn.DeepFNN(5, [7], 2, torch.nn.ReLU, dropout=0.0)
    got = [name for name in kinds(model) if name != "DeepFNN"]
    assert got == ["Linear", "ReLU", "Linear"], (f"DeepFNN(5, [7], 2, dropout=0.0): expected Linear, ReLU, Linear, "
                                                 f"got {got}.\nhint: dropout only when dropout > 0")


# ---------------------------------------------------------------------------------------------
# bonus g


@pytest.mark.bonus_g
@pytest.mark.parametrize("rows, classes", [(1, 2), (3, 7), (5, 10)])
def test_hidden_bonus_g_other_class_numbers(rows, classes):
    generator = torch.Generator().manual_seed(rows * classes)
    output = torch.randn(rows, classes, generator=generator, requires_grad=True)
    target = torch.randint(0, min(classes, 2), (rows,), generator=generator)  # the higher classes never occur
    one_hot = torch.zeros(rows, classes)
    one_hot[torch.arange(rows), target] = 1.0
    with explain(f"OneHotMSELoss()(output ({rows}, {classes}), class indices ({rows},)) to give a loss",
                 (RuntimeError, "must match the size|shape",
                  "one-hot rows as wide as the output: one column per class of the output, also for classes that "
                  "do not occur in this batch")):
        loss = regression.OneHotMSELoss()(output, target)
    expected = float(((output.detach() - one_hot) ** 2).mean())
    assert float(loss.detach()) == pytest.approx(expected, rel=1e-5), (
        f"{rows} row(s) of {classes} outputs: expected the mean of (output - one_hot)^2 = {expected:.5f}, got "
        f"{float(loss.detach()):.5f}.\nhint: the mean over every entry of the batch x classes, against one-hot rows")
    loss.backward()
    assert torch.allclose(output.grad, 2 * (output.detach() - one_hot) / (rows * classes), atol=1e-6), (
        "expected the gradient 2 (output - one_hot) / entries, got another.\nhint: keep the loss a tensor computed "
        "from output")


# ---------------------------------------------------------------------------------------------
# bonus h


def prepare(canvas, what):
    with explain(f"prepare_digit({what}) to give a 28x28 image",
                 (ValueError, "could not broadcast", "the resized ink must fit into the frame: the longer side, "
                  "height or width, becomes 20 pixels")):
        prepared = handwriting.prepare_digit(canvas)
    assert isinstance(prepared, torch.Tensor) and tuple(prepared.shape) == (28, 28), (
        f"expected a (28, 28) tensor, got {type(prepared).__name__} {tuple(np.shape(prepared))}")
    return prepared


@pytest.mark.bonus_h
def test_hidden_bonus_h_a_wide_stroke_fits_by_its_width():
    canvas = np.full((200, 300), 255.0)
    canvas[90:110, 30:270] = 0.0  # a dark horizontal stroke, 20 x 240 pixels
    prepared = prepare(canvas, "a 20 x 240 pixel horizontal stroke")
    height, width = ink_box(prepared)
    assert width in (20, 21) and height <= 4, (
        f"a stroke 12 times wider than tall: expected it 20 pixels wide and about 2 tall, got {width} wide and "
        f"{height} tall.\nhint: the longer side, whichever it is, becomes 20 pixels; both sides scale alike")


@pytest.mark.bonus_h
def test_hidden_bonus_h_a_small_digit_is_enlarged_and_centred():
    canvas = np.zeros((60, 80))
    canvas[5:11, 60:63] = 255.0  # light ink on black, 6 x 3 pixels, near a corner
    prepared = prepare(canvas, "a 6 x 3 pixel digit in a corner")
    height, width = ink_box(prepared)
    assert height in (19, 20, 21), (f"a digit 6 pixels tall: expected it enlarged to 20 pixels, got {height}.\n"
                                    "hint: scale so that the longer side is 20, also when that means enlarging")
    centre = centre_of_mass(prepared)
    assert max(abs(centre[0] - 13.5), abs(centre[1] - 13.5)) <= 1.0, (
        f"expected the centre of mass in the middle, (13.5, 13.5) +- 1, got ({centre[0]:.1f}, {centre[1]:.1f}).\n"
        "hint: paste the box where its centre of mass lands in the middle of the frame")


# ---------------------------------------------------------------------------------------------
# bonus i


@pytest.mark.bonus_i
def test_hidden_bonus_i_a_fixed_zoom_and_a_pure_rotation():
    grid = augmentation._pixel_grid("cpu")
    with explain("affine_positions(3, max_degrees=0, max_shift=0, scale_range=(2, 2)) to give positions"):
        zoomed = augmentation.affine_positions(3, max_degrees=0.0, max_shift=0.0, scale_range=(2.0, 2.0))
    assert tuple(zoomed.shape) == (3, 784, 2) and torch.allclose(zoomed, (grid / 2).expand(3, -1, -1), atol=1e-5), (
        "a zoom of exactly 2, no rotation or shift: expected every source position at half the distance from the "
        "centre, got others.\nhint: divide the rotated positions by the zoom factor")
    rotated = augmentation.affine_positions(50, max_degrees=90.0, max_shift=0.0, scale_range=(1.0, 1.0),
                                            generator=torch.Generator().manual_seed(2))
    assert torch.allclose(rotated.norm(dim=2), grid.norm(dim=1).expand(50, -1), atol=1e-4), (
        "a pure rotation: expected every position at its own distance from the centre, got others.\nhint: "
        "[[cos, -sin], [sin, cos]] of one angle per image, in radians")
    corner = rotated[:, 0]  # the top-left pixel (-13.5, -13.5), rotated
    angles = torch.rad2deg(torch.atan2(corner[:, 1], corner[:, 0]) - torch.atan2(torch.tensor(-13.5),
                                                                                 torch.tensor(-13.5)))
    angles = (angles + 180) % 360 - 180
    assert float(angles.abs().max()) <= 90.01 and float(angles.abs().max()) > 60, (
        f"max_degrees=90: expected angles spread over [-90, 90], got up to {float(angles.abs().max()):.1f}.\nhint: "
        "uniform(-max_degrees, max_degrees) degrees per image, turned into radians")


@pytest.mark.bonus_i
def test_hidden_bonus_i_a_pure_shift_and_a_smooth_field():
    grid = augmentation._pixel_grid("cpu")
    shifted = augmentation.affine_positions(200, max_degrees=0.0, max_shift=0.25, scale_range=(1.0, 1.0),
                                            generator=torch.Generator().manual_seed(4))
    offsets = shifted - grid
    assert torch.allclose(offsets, offsets[:, :1].expand(-1, 784, -1), atol=1e-4), (
        "a pure shift: expected every pixel of an image moved alike, got different moves.\nhint: one shift (x, y) "
        "per image, the same for all its pixels")
    largest = float(offsets.abs().max())
    assert 6.0 < largest <= 7.01, (f"max_shift=0.25: expected shifts up to 0.25 x 28 = 7 pixels, got up to "
                                   f"{largest:.2f}.\nhint: max_shift is a fraction of the 28-pixel width")
    with explain("elastic_displacements(20, alpha=5, sigma=12) to give displacements"):
        moves = augmentation.elastic_displacements(20, alpha=5.0, sigma=12.0,
                                                   generator=torch.Generator().manual_seed(5))
    assert tuple(moves.shape) == (20, 784, 2), f"expected shape (20, 784, 2), got {tuple(moves.shape)}"
    field = moves.reshape(20, 28, 28, 2)
    step = float(field.diff(dim=1).abs().max() + field.diff(dim=2).abs().max())
    assert step < 0.5, (f"sigma=12 (a very smooth field): expected neighbouring pixels to move almost alike, got "
                        f"differences up to {step:.2f} px.\nhint: smooth the random field with the Gaussian of "
                        "_smoothing_matrix(sigma), along both axes")
