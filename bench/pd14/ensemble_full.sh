#!/usr/bin/env bash
# Full-scale accuracy ensemble (Dasbach et al. 2021 recipe, shortened): SEEDS realisations of
# the full PD14 model in NEST 3.10 (reference PyNEST model, 4 threads: it cannot build the
# model with fewer than 3) and in Ganglion (2 threads), 1 s analysed after the 500 ms warm-up,
# then ensemble.py's KS distances and permutation test. NEST takes ~6.5 min and 14.4 GB per
# realisation on 2 quiet cores, Ganglion ~1 min and 2.4 GB; every run takes the heavy lock.
#
#   bench/setup.sh && cargo build --release -p ganglion-cli
#   bench/pd14/ensemble_full.sh [SEEDS] [DIR]     # default 5 seeds, bench/pd14/out/ens_full
set -euo pipefail
cd "$(dirname "$0")/../.."
SEEDS=${1:-5}
DIR=${2:-bench/pd14/out/ens_full}
mkdir -p "$DIR"
G=/tmp/ganglion_pd14_ensemble
cp target/release/ganglion "$G"
LOCK=/tmp/ganglion-heavy.lock
[ -f examples/pd14.toml ] || python3 scripts/pd14_spec.py
for s in $(seq 1 "$SEEDS"); do
  if [ ! -f "$DIR/g_seed$s/manifest.json" ]; then
    flock "$LOCK" "$G" run examples/pd14.toml --threads 2 --seed "$s" --duration "1500 ms" \
        --no-plots --force --out "$DIR/g_seed$s" | grep -E "build .* simulate"
  fi
  if [ ! -f "$DIR/n_seed$s.json" ]; then
    flock "$LOCK" bench/.venv/bin/python bench/pd14/nest_pd14.py --scale 1 --threads 4 --seed "$s" \
        --sim-ms 1000 --out "$DIR/n_seed$s.json" --spikes-dir "$DIR/n_seed$s" | grep "^{" | cut -c1-300
  fi
done
nest=() gang=()
for s in $(seq 1 "$SEEDS"); do nest+=("$DIR/n_seed$s"); gang+=("$DIR/g_seed$s"); done
bench/.venv/bin/python bench/pd14/ensemble.py --scale 1 --t-ms 1500 --nest "${nest[@]}" \
    --ganglion "${gang[@]}" --out "$DIR/ensemble_full.json"
