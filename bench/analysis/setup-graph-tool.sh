#!/usr/bin/env bash
# Installs graph-tool (Debian's python3-graph-tool, 2.45 on bookworm) into the system python3
# for bench/analysis/sbm.py. graph-tool is not on PyPI, so it cannot go into the bench venv;
# run sbm.py with /usr/bin/python3. Idempotent: installs only what is missing.
set -euo pipefail
if ! /usr/bin/python3 -c "import graph_tool, numpy" 2>/dev/null; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update
    $SUDO apt-get install -y python3-graph-tool python3-numpy
fi
/usr/bin/python3 -c "import graph_tool, numpy; print('graph-tool', graph_tool.__version__, '/ numpy', numpy.__version__)"
