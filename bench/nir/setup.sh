#!/usr/bin/env bash
# Create bench/nir/.venv for bench/nir/snntorch_roundtrip.py: PyTorch (CPU use only), snnTorch
# and its NIR converters (nir, nirtorch), and numpy. Idempotent. PyPI's Linux torch wheel pulls
# its CUDA runtime packages even for CPU use (~3 GB); this venv stays out of CI, which runs
# only crates/ganglion-py/tests/test_nir.py against the committed fixture.
# The ganglion package itself is installed into this venv from the source tree (maturin,
# dev profile) so that the script can run the imported graph.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$here/.venv"
py="${PYTHON:-python3}"
[ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
if ! "$venv/bin/python" -c 'import torch, snntorch, nirtorch, nir' >/dev/null 2>&1; then
  "$venv/bin/pip" install -q --disable-pip-version-check "torch==${TORCH_VERSION:-2.9.1}" "numpy>=1.21"
  # snnTorch 0.9.4's export_to_nir/import_from_nir use nirtorch 1.x's API (extract_nir_graph, load).
  "$venv/bin/pip" install -q --disable-pip-version-check "nir==${NIR_VERSION:-1.0.8}" "nirtorch==${NIRTORCH_VERSION:-1.0}"
  "$venv/bin/pip" install -q --disable-pip-version-check --no-deps "snntorch==${SNNTORCH_VERSION:-0.9.4}"
fi
if [ "${SKIP_GANGLION:-0}" != 1 ]; then
  "$venv/bin/pip" install -q --disable-pip-version-check "maturin>=1.5,<2"
  PATH="$venv/bin:$PATH" MATURIN_PEP517_ARGS="--profile dev" "$venv/bin/pip" install -q \
    --disable-pip-version-check --no-build-isolation --no-deps --force-reinstall "$root/crates/ganglion-py"
fi
"$venv/bin/python" -c 'import torch, snntorch, nir, nirtorch; print("torch", torch.__version__, "snntorch", snntorch.__version__, "nir", nir.__version__)'
