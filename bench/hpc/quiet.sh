#!/usr/bin/env bash
# hpc_benchmark on a quiet machine (check `uptime` first): Ganglion at scales 1 and 10 with
# plasticity off and on (`ganglion run`, 2 threads, 300 ms), and NEST 3.10 at the largest
# scales that fit in 24 GB (static; plastic at scale 1). The earlier runs in RESULTS.md were
# made under a load of 10-13; these are the clean ones. Every run takes /tmp/ganglion-heavy.lock.
#
#   bench/setup.sh && cargo build --release -p ganglion-cli
#   bench/hpc/quiet.sh                  # about 30 minutes; appends to bench/hpc/runs.jsonl
#   python3 bench/hpc/report.py bench/hpc/runs.jsonl
set -euo pipefail
cd "$(dirname "$0")/../.."
LOG=${LOG:-bench/hpc/runs.jsonl}
G=/tmp/ganglion_hpc_quiet
cp target/release/ganglion "$G"
B=(python3 bench/hpc/bench.py)
L=(--label quiet --log "$LOG")
for i in 1 2 3; do
  "${B[@]}" ganglion --binary "$G" --scale 1 "${L[@]}"
  "${B[@]}" ganglion --binary "$G" --scale 1 --plastic "${L[@]}"
done
"${B[@]}" ganglion --binary "$G" --scale 10 "${L[@]}"
"${B[@]}" ganglion --binary "$G" --scale 10 --plastic "${L[@]}"
"${B[@]}" nest --scale 1 "${L[@]}"
"${B[@]}" nest --scale 1 --plastic "${L[@]}"
# NEST's memory grows by ~3.4 GB per unit of scale: 5 fits in 24 GB; 6 only if the
# measured slope says it stays under 21.5 GB (no swap here: past that the kernel kills it).
# NEST holds at most 134,217,726 connections per virtual process and synapse model, and the
# excitatory model has 9000 * 11250 * scale of them: scale 5 needs 4 threads, scale 6 five.
"${B[@]}" nest --scale 5 --threads 4 "${L[@]}"
next=$(python3 - "$LOG" <<'EOF'
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if '"quiet"' in l]
m = {r["scale"]: r["peak_rss_bytes"] for r in runs if r["simulator"] == "nest" and not r["plastic"]}
slope = (m[5.0] - m[1.0]) / 4
print(6 if m[5.0] + slope < 21.5e9 else 0)
EOF
)
[ "$next" = 6 ] && "${B[@]}" nest --scale 6 --threads 5 "${L[@]}"
echo done
