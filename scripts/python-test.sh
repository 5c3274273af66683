#!/usr/bin/env bash
# Build the `ganglion` Python package (crates/ganglion-py) into a virtual environment the way a
# user installs it (`pip install ./crates/ganglion-py`, which runs maturin), and run its pytest
# suite, which compares Python runs with the `ganglion` command's output files.
#
# Needs: the Rust toolchain and Python >= 3.9 with venv and pip; PyPI for maturin, numpy,
# pytest and the interchange formats' own libraries (nir, pynwb, h5py), which the tests use as
# the readers and validators of what Ganglion writes. The venv is .venv-py at the repository
# root (PYTHON_VENV overrides; git-ignored).
# The package is built in cargo's dev profile (opt-level 1 for our crates, 3 for
# dependencies) so that it reuses what `cargo test --workspace` has built; a user's
# `pip install` builds the release profile.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${PYTHON_VENV:-.venv-py}"
case "$venv" in /*) ;; *) venv="$PWD/$venv" ;; esac
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "maturin>=1.5,<2" "numpy>=1.21" pytest \
  nir pynwb h5py
# The command the tests compare against.
cargo build --quiet -p ganglion-cli
# --no-build-isolation: build with the venv's maturin instead of downloading another copy (its
# build backend runs the `maturin` executable, so the venv's bin folder goes first on PATH).
PATH="$venv/bin:$PATH" MATURIN_PEP517_ARGS="--profile dev" "$venv/bin/python" -m pip install --quiet \
  --disable-pip-version-check --no-build-isolation --no-deps --force-reinstall ./crates/ganglion-py
# Run from the tests folder's parent so that the installed package (not the source folder) is
# imported; no cache folder is left in the tree.
GANGLION_BIN="$PWD/target/debug/ganglion" "$venv/bin/python" -m pytest -p no:cacheprovider -q \
  crates/ganglion-py/tests "$@"
