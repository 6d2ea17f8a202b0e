#!/usr/bin/env bash
# A Python with CPU-only torch and torchvision, as Gradescope's autograder installs them, for
# `python benchmarks/bench_memory.py --cpu-python DEST/bin/python`.
#
# With PyTorch's wheel index in reach: the pinned CPU wheels, exactly what setup.sh installs.
# Without it (the offline build machine: PyPI only, and a CPU wheel of torch 2.13.0 on its disk):
# that wheel, then PyPI's torchvision 0.28.0 without its dependencies. PyPI's torchvision is built
# against torch's CUDA build, so its compiled operators (nms, roi_align, ...) cannot load beside a
# CPU torch, and it would stop at import where it registers their fake kernels; those two
# registrations are skipped here. Nothing in this course uses those operators (MNIST, transforms
# and the checks are plain Python and torch), so the memory measured is that of the CPU libraries.
# This is a measuring tool only: nothing of the course runs on it.
#
# Usage: bash benchmarks/cpu_wheels_venv.sh [DEST]        (default /tmp/cpu-wheels-venv)
set -euo pipefail
dest="${1:-/tmp/cpu-wheels-venv}"
python3 -m venv "$dest"
pip=("$dest/bin/python" -m pip install -q --disable-pip-version-check)
if "${pip[@]}" --timeout 15 --retries 0 --index-url https://download.pytorch.org/whl/cpu \
        torch==2.14.1 torchvision==0.29.1 2>/dev/null; then
    echo "cpu_wheels_venv: torch 2.14.1 and torchvision 0.29.1, CPU wheels from download.pytorch.org"
else
    wheel=$(ls /opt/wheels/torch-2.13.0+cpu-*.whl 2>/dev/null | head -1 || true)
    if [ -z "$wheel" ]; then
        echo "cpu_wheels_venv: download.pytorch.org is out of reach and no CPU wheel of torch is on disk" >&2
        exit 1
    fi
    "${pip[@]}" "$wheel"
    "${pip[@]}" --no-deps torchvision==0.28.0
    registrations="$("$dest/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/torchvision/_meta_registrations.py"
    sed -i 's/^@torch.library.register_fake("torchvision::\(q\?nms\)")/@(torch.library.register_fake("torchvision::\1") if torchvision.extension._has_ops() else (lambda f: f))/' \
        "$registrations"
    echo "cpu_wheels_venv: torch 2.13.0 (CPU wheel from disk) and torchvision 0.28.0 without its compiled operators"
fi
"${pip[@]}" numpy matplotlib pytest tqdm hypothesis pillow
"$dest/bin/python" -c "import torch, torchvision; from torchvision import datasets, transforms; print('cpu_wheels_venv: ready,', torch.__version__, torchvision.__version__)"
