#!/usr/bin/env bash
# Create bench/out/.venv-snntorch with CPU PyTorch + snnTorch for bench/snntorch_fmnist.py.
# Idempotent. PyPI's Linux torch wheel needs its CUDA runtime packages even to import on a
# CPU-only machine (libtorch_global_deps links them), so they come along (~3 GB); the
# benchmark runs on the CPU only.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/out/.venv-snntorch"
py="${PYTHON:-python3}"
mkdir -p "$here/out"
[ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
if ! "$venv/bin/python" -c 'import torch, snntorch' >/dev/null 2>&1; then
  "$venv/bin/pip" install -q "torch==${TORCH_VERSION:-2.9.1}" numpy
  "$venv/bin/pip" install -q --no-deps "snntorch==${SNNTORCH_VERSION:-0.9.4}"
  "$venv/bin/pip" install -q pandas matplotlib
fi
"$venv/bin/python" -c 'import torch, snntorch; print("torch", torch.__version__, "snntorch", snntorch.__version__, "threads", torch.get_num_threads())'
