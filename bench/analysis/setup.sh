#!/usr/bin/env bash
# Create bench/analysis/.venv with the Python analysis libraries that Ganglion's analysis
# methods are benchmarked against side by side (same inputs, same answers, time ratio):
# scikit-learn (ridge), tensorly (non-negative tensor factorisation), rsatoolbox (RDMs and
# their geo-topological transforms), networkx (graphs), scikit-image (3-D skeletons), scipy.
# Idempotent: re-running only installs what is missing. Prints the versions.
#
#   bench/analysis/setup.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
py="${PYTHON:-python3}"
pkgs=("numpy>=2,<2.4" "scipy" "scikit-learn" "tensorly" "rsatoolbox" "networkx" "scikit-image")
if [ ! -x "$venv/bin/python" ]; then
    echo "creating $venv"
    "$py" -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip
fi
"$venv/bin/pip" install -q "${pkgs[@]}"
"$venv/bin/python" - <<'PY'
from importlib.metadata import version
for p in ["numpy", "scipy", "scikit-learn", "tensorly", "rsatoolbox", "networkx", "scikit-image"]:
    print(f"{p} {version(p)}")
PY
