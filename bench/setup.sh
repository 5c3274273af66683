#!/usr/bin/env bash
# Create bench/.venv with the reference simulators (Brian2, NEST) for the benchmark.
# Idempotent: re-running only installs what is missing. Prints the versions.
#
#   bench/setup.sh            # uses python3 from PATH
#   PYTHON=/usr/bin/python3 bench/setup.sh
#
# Needs: Python >= 3.10 with venv and its C headers (Brian2's runtime mode compiles Cython
# extensions), a C++ compiler and make (Brian2's cpp_standalone mode builds a C++ project
# with `make`, g++ -O3 -march=native -ffast-math, and OpenMP for more than one thread).
# Missing Debian packages are installed with apt-get.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
py="${PYTHON:-python3}"

# Versions measured in bench/RESULTS.md. numpy < 2.4: brian2 2.9.0 wraps
# np.ndarray.ptp, which numpy 2.4 removed (ImportError otherwise).
# scipy: the KS distances of bench/pd14/ensemble.py.
pkgs=("brian2==2.9.0" "nest-simulator==3.10.0" "numpy>=2,<2.4" "scipy")

need_apt=()
command -v g++ >/dev/null 2>&1 || need_apt+=(g++)
command -v make >/dev/null 2>&1 || need_apt+=(make)
# libgomp ships with gcc; the OpenMP header omp.h too (libgcc-*-dev)
echo '#include <omp.h>' | g++ -fopenmp -x c++ -fsyntax-only - >/dev/null 2>&1 || need_apt+=(libgomp1)
"$py" -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
inc="$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
[ -f "$inc/Python.h" ] || need_apt+=(python3-dev)
if [ "${#need_apt[@]}" -gt 0 ]; then
    echo "installing Debian packages: ${need_apt[*]}"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}"
fi

if [ ! -x "$venv/bin/python" ]; then
    echo "creating $venv"
    "$py" -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip
fi

if ! "$venv/bin/python" - "${pkgs[@]}" <<'EOF' >/dev/null 2>&1
import sys
from importlib.metadata import version
from packaging.requirements import Requirement
for spec in sys.argv[1:]:
    r = Requirement(spec)
    assert r.specifier.contains(version(r.name), prereleases=True), spec
EOF
then
    echo "installing ${pkgs[*]}"
    "$venv/bin/pip" install -q "${pkgs[@]}"
fi

# Smoke test: both import, and Brian2 finds a working C++ compiler for standalone mode.
cd "$here"
"$venv/bin/python" - <<'EOF'
import platform, shutil, subprocess
import numpy, brian2
import nest
print("python        ", platform.python_version())
print("numpy         ", numpy.__version__)
print("brian2        ", brian2.__version__)
print("nest-simulator", nest.__version__)
gxx = shutil.which("g++")
print("g++           ", subprocess.run([gxx, "-dumpfullversion"], capture_output=True, text=True).stdout.strip())
EOF
echo "bench venv ready: $venv"
