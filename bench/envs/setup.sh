#!/usr/bin/env bash
# Create the Python environments of bench/envs/swimmer_rollout.py:
#   bench/envs/.venv      DeepMind Control (dm-control 1.0.50) and the official MuJoCo Python
#                         bindings it runs on, pinned to mujoco 3.17.0 (dm-control 1.0.50 fails
#                         on 4.0.x: 'MjModel' object has no attribute 'flex_vertedge');
#   bench/envs/.venv-mj4  the official bindings mujoco 4.0.0 (on mujoco-core 4.0.0, the library
#                         Ganglion loads), to time the bindings on the same engine version.
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
    print(f".venv: {p} {version(p)}")
PY
venv4="$here/.venv-mj4"
if [ ! -x "$venv4/bin/python" ]; then
    echo "creating $venv4"
    "$py" -m venv "$venv4"
    "$venv4/bin/pip" install -q --upgrade pip
fi
"$venv4/bin/pip" install -q "mujoco==4.0.0" numpy
"$venv4/bin/python" - <<'PY'
from importlib.metadata import version
for p in ["mujoco", "mujoco-core", "numpy"]:
    print(f".venv-mj4: {p} {version(p)}")
PY
