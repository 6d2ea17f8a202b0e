"""The best-network command (solutions/bonus_best_fnn.py) runs end to end on real MNIST.

A tiny, one-epoch version of it: the full command takes about ten minutes.
"""

import importlib
import re

import pytest


@pytest.mark.slow
def test_a_short_run_trains_evaluates_with_copies_and_reports(tmp_path, capsys):
    best = importlib.import_module("bonus_best_fnn")
    best.main(["--epochs", "1", "--hidden", "64", "--test-copies", "2", "--runs-dir", str(tmp_path)])
    lines = capsys.readouterr().out.strip().splitlines()
    network = re.search(r"Network 1: test accuracy ([\d.]+) %, ([\d.]+) % averaged over 2", "\n".join(lines))
    assert network, "a line per network with its plain and averaged accuracy"
    final = re.fullmatch(r"Test: accuracy ([\d.]+) % \(each digit and 2 shifted copies\)", lines[-1])
    assert final and float(final.group(1)) == float(network.group(2))
    assert 85.0 < float(final.group(1)) <= 100.0
    assert list(tmp_path.glob("*/training_curves.png"))


def test_bfloat16_option_gives_float32_scores_close_to_the_float32_network():
    import torch
    from bonus_best_fnn import MixedPrecisionFNN

    torch.manual_seed(0)
    exact = MixedPrecisionFNN(784, [256, 256], 10, torch.nn.ReLU, use_batch_norm=True).eval()
    fast = MixedPrecisionFNN(784, [256, 256], 10, torch.nn.ReLU, use_batch_norm=True, bfloat16=True).eval()
    fast.load_state_dict(exact.state_dict())
    images = torch.rand(64, 784)
    scores = fast(images)
    assert scores.dtype == torch.float32
    assert torch.allclose(scores, exact(images), atol=0.1)
    scores.sum().backward()
    assert all(p.grad is not None and p.grad.dtype == torch.float32 for p in fast.parameters())


@pytest.mark.parametrize("cpuinfo, native", [
    ("flags\t\t: fpu sse2 avx2 avx512f avx512_bf16 avx512_vnni\n", True),
    ("flags\t\t: fpu sse2 amx_tile amx_bf16\n", True),
    ("flags\t\t: fpu sse2 avx2 avx512f avx512bw\n", False),
    (None, False),  # no /proc/cpuinfo: not Linux
])
def test_bfloat16_counts_as_fast_on_a_cpu_only_with_native_instructions(monkeypatch, tmp_path, cpuinfo, native):
    import bonus_best_fnn

    def fake_open(path, *args, **kwargs):
        if cpuinfo is None:
            raise FileNotFoundError(path)
        (tmp_path / "cpuinfo").write_text("processor\t: 0\n" + cpuinfo)
        return open(tmp_path / "cpuinfo", *args, **kwargs)

    monkeypatch.setattr(bonus_best_fnn, "open", fake_open, raising=False)
    assert bonus_best_fnn.has_fast_bfloat16("cpu") is native
