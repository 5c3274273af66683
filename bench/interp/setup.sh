#!/usr/bin/env bash
# Create bench/interp/.venv for the ganglion-interp checks: numpy (the independent reference
# forward), gguf (llama.cpp's own Python GGUF reader and dequantiser) and tokenizers (Hugging
# Face's BPE implementation, the tokenizer oracle; see oracle.py for why not transformers) and
# torch (the PyTorch side of torch_bench.py; the PyPI wheel, which brings CUDA libraries of
# several GB although the benchmark runs on the CPU).
# Idempotent: re-running only installs what is missing. Prints the versions.
#
#   bench/interp/setup.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
py="${PYTHON:-python3}"
pkgs=("numpy>=2,<2.4" "gguf" "tokenizers" "torch")
if [ ! -x "$venv/bin/python" ]; then
    echo "creating $venv"
    "$py" -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip
fi
"$venv/bin/pip" install -q "${pkgs[@]}"
"$venv/bin/python" - <<'PY'
from importlib.metadata import version
for p in ["numpy", "gguf", "tokenizers", "torch"]:
    print(f"{p} {version(p)}")
PY
