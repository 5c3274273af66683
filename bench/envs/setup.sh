#!/usr/bin/env bash
# Create bench/envs/.venv with DeepMind Control (dm-control 1.0.50) and the official MuJoCo
# Python bindings it runs on, pinned to mujoco 3.17.0 (dm-control 1.0.50 fails on 4.0.x:
# 'MjModel' object has no attribute 'flex_vertedge'), for bench/envs/swimmer_rollout.py.
# Idempotent: re-running only installs what is missing. Prints the versions.
#
#   bench/envs/setup.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
py="${PYTHON:-python3}"
pkgs=("mujoco==3.17.0" "dm-control==1.0.50" "numpy")
if [ ! -x "$venv/bin/python" ]; then
    echo "creating $venv"
    "$py" -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip
fi
"$venv/bin/pip" install -q "${pkgs[@]}"
"$venv/bin/python" - <<'PY'
from importlib.metadata import version
for p in ["mujoco", "dm-control", "numpy"]:
    print(f"{p} {version(p)}")
PY
