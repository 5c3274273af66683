#!/usr/bin/env bash
# PD14 performance, Ganglion vs NEST 3.10, on a quiet machine (nothing else running: check
# `uptime` first; the earlier tables in RESULTS.md were measured under a load of 9-13).
# Scale 0.1 with 1 and 2 threads (3 seeds each) and full scale, Ganglion 1 and 2 threads,
# NEST 4 threads (it cannot build the full model with fewer than 3 virtual processes) and
# 3 threads. Every run takes /tmp/ganglion-heavy.lock. Logs go to $DIR; summarize.py reads them.
#
#   bench/setup.sh && cargo build --release -p ganglion-cli
#   bench/pd14/quiet.sh [DIR]           # default bench/pd14/out/quiet; about 50 minutes
#   python3 bench/pd14/summarize.py DIR none bench/pd14/results_quiet.json
set -euo pipefail
cd "$(dirname "$0")/../.."
DIR=${1:-bench/pd14/out/quiet}
mkdir -p "$DIR"
G=/tmp/ganglion_pd14_quiet
cp target/release/ganglion "$G"    # a fixed binary, whatever is rebuilt meanwhile
PY=bench/.venv/bin/python
LOCK=/tmp/ganglion-heavy.lock
[ -f examples/pd14.toml ] || python3 scripts/pd14_spec.py

# ganglion SPEC SCALE THREADS SEED DURATION_MS: one timed `ganglion run` (the whole run, warm-up
# included, is the RTF's model time), logged with /usr/bin/time -v.
ganglion() {
  local spec=$1 scale=$2 threads=$3 seed=$4 ms=$5
  local log="$DIR/g_s${scale}_t${threads}_seed${seed}.log" out="$DIR/g_s${scale}_t${threads}_seed${seed}"
  [ -s "$log" ] && grep -q "simulate" "$log" && return 0    # done in an earlier call
  local cmd=("$G" run "$spec" --threads "$threads" --seed "$seed" --duration "$ms ms" --no-plots --force --out "$out")
  echo "${cmd[*]}" > "$log"
  flock "$LOCK" /usr/bin/time -v "${cmd[@]}" >> "$log" 2>&1
  rm -rf "$out"
  grep -E "build .* simulate" "$log" | tail -1
}

# nest SCALE THREADS SEED SIM_MS: the reference PyNEST model (500 ms presimulation, then SIM_MS).
nest() {
  local scale=$1 threads=$2 seed=$3 ms=$4
  local base="$DIR/n_s${scale}_t${threads}_seed${seed}"
  [ -s "$base.json" ] && return 0
  flock "$LOCK" /usr/bin/time -v "$PY" bench/pd14/nest_pd14.py --scale "$scale" --threads "$threads" \
      --seed "$seed" --sim-ms "$ms" --out "$base.json" > "$base.log" 2>&1
  grep "^{" "$base.log" | head -1 | cut -c1-300
}

for seed in 1 2 3; do
  for t in 1 2; do
    ganglion examples/pd14_small.toml 0.1 "$t" "$seed" 2500
    nest 0.1 "$t" "$seed" 2000
  done
done
for seed in 1 2; do
  ganglion examples/pd14.toml 1 1 "$seed" 1500
  ganglion examples/pd14.toml 1 2 "$seed" 1500
  nest 1 4 "$seed" 1000
done
nest 1 3 1 1000
