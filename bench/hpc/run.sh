#!/usr/bin/env bash
# Reproduce bench/hpc/RESULTS.md: hpc_benchmark at scales 1, 2, 5, 10 in Ganglion (plasticity
# off and on) and NEST 3.10 at the scales that fit (1, 2), 2 threads each, 300 ms of model time.
# Every run takes /tmp/ganglion-heavy.lock (bench.py). Check `free -g` first: scale 10 with
# plasticity needs ~11 GB in Ganglion; NEST needs ~3.4 GB per unit of scale (static).
set -euo pipefail
cd "$(dirname "$0")/../.."
LOG=${LOG:-bench/hpc/runs.jsonl}
# The engine alone (build + run, no output files): ganglion-sim's time_spec example.
cargo build --release -p ganglion-sim --example time_spec
TS=target/release/examples/time_spec
B="python3 bench/hpc/bench.py"
for s in 1 2; do
  for i in 1 2 3; do
    $B ganglion --time-spec $TS --scale $s --log "$LOG"
    $B ganglion --time-spec $TS --scale $s --plastic --log "$LOG"
  done
done
for s in 5 10; do
  $B ganglion --time-spec $TS --scale $s --log "$LOG"
  $B ganglion --time-spec $TS --scale $s --plastic --log "$LOG"
done
for s in 1 10; do $B ganglion --time-spec $TS --scale $s --no-synapses --log "$LOG"; done
for s in 1 2; do
  $B nest --scale $s --log "$LOG"
  $B nest --scale $s --plastic --log "$LOG"
done
python3 bench/hpc/report.py "$LOG"
