#!/usr/bin/env bash
# The MPI contract: `mpirun -np K ganglion run SPEC --threads T` writes the same files as a
# single-process run, byte for byte, for K ∈ {1, 2, 4} and T ∈ {1, 2} (ranks oversubscribed
# on however many cores there are). Two specs: examples/mpi_check.toml (STDP, Poisson and
# current inputs, every monitor; spikes exchanged every step) and examples/mpi_static.toml
# (static synapses; spikes exchanged once per 1.5 ms min-delay epoch).
#
# Needs Open MPI and libclang: apt-get install -y libopenmpi-dev openmpi-bin libclang-dev
# Usage: scripts/mpi-test.sh            (builds `ganglion` with --features mpi, dev profile)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v mpirun >/dev/null || { echo "mpi-test: mpirun not found (apt-get install openmpi-bin libopenmpi-dev libclang-dev)"; exit 1; }
mpirun --version | head -1
export CARGO_TERM_COLOR=never
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# The plain binary (no MPI) is the reference, copied aside: the MPI build (only ganglion-cli
# and ganglion-mpi change with the feature) replaces it in target/.
cargo build -q -p ganglion-cli --bin ganglion
cp target/debug/ganglion "$WORK/ganglion-ref"
cargo build -q -p ganglion-cli --bin ganglion --features mpi
cp target/debug/ganglion "$WORK/ganglion-mpi"
REF=$WORK/ganglion-ref
MPI=$WORK/ganglion-mpi
# Open MPI refuses root without these; oversubscribe lets 4 ranks share 2 cores.
MPIRUN=(mpirun --allow-run-as-root --oversubscribe --bind-to none)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
failures=0
checked=0

# Compare two run folders: every .npy byte for byte, and the manifests apart from timings,
# thread counts, paths and partition-dependent storage sizes (which legitimately differ).
same_outputs() {
  local a=$1 b=$2 what=$3 f ok=1
  for f in "$a"/*.npy; do
    if ! cmp -s "$f" "$b/$(basename "$f")"; then
      echo "  DIFFER: $what: $(basename "$f")"
      ok=0
    fi
  done
  if [ "$(ls "$a"/*.npy | wc -l)" != "$(ls "$b"/*.npy | wc -l)" ]; then
    echo "  DIFFER: $what: different file lists"; ok=0
  fi
  if ! python3 - "$a/manifest.json" "$b/manifest.json" <<'PY'
import json, sys
def clean(p):
    m = json.load(open(p))
    # Timings, paths and thread counts differ legitimately; so do the synapse-storage sizes
    # (each partition has its own row pointers: they depend on ranks × threads, exactly as
    # they do on --threads in one process) and the memory estimate (per process).
    for k in ("timings", "threads", "out", "created", "command", "ganglion_version",
              "synapse_bytes", "bytes_per_synapse", "memory_estimate_bytes"):
        m.pop(k, None)
    m.get("simulation", {}).pop("threads", None)
    return m
a, b = (clean(p) for p in sys.argv[1:3])
if a != b:
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            print(f"  manifest key {k!r} differs")
    sys.exit(1)
PY
  then
    echo "  DIFFER: $what: manifest"
    ok=0
  fi
  checked=$((checked + 1))
  if [ $ok = 1 ]; then echo "  same: $what"; else failures=$((failures + 1)); fi
}

for spec in examples/mpi_check.toml examples/mpi_static.toml; do
  name=$(basename "$spec" .toml)
  echo "== $spec"
  "$REF" run "$spec" --threads 1 --no-plots --out "$WORK/$name-ref" >/dev/null
  echo "  reference: $(python3 -c "import json;m=json.load(open('$WORK/$name-ref/manifest.json'));print(', '.join(f\"{p['name']} {p['spike_count']} spikes\" for p in m['populations']))")"
  for np in 1 2 4; do
    for th in 1 2; do
      out="$WORK/$name-np$np-t$th"
      if ! "${MPIRUN[@]}" -np "$np" "$MPI" run "$spec" --threads "$th" --no-plots --out "$out" >"$out.log" 2>&1; then
        echo "  FAILED: mpirun -np $np --threads $th"; sed 's/^/    /' "$out.log" | tail -20
        failures=$((failures + 1)); continue
      fi
      same_outputs "$WORK/$name-ref" "$out" "-np $np --threads $th"
    done
  done
done

# An error must stop every rank, not hang: an output folder that exists already.
mkdir -p "$WORK/taken" && echo '{}' > "$WORK/taken/manifest.json"
if timeout 120 "${MPIRUN[@]}" -np 2 "$MPI" run examples/mpi_check.toml --out "$WORK/taken" >"$WORK/err.log" 2>&1; then
  echo "  FAILED: a run into an existing folder succeeded"; failures=$((failures + 1))
elif [ $? = 124 ]; then
  echo "  FAILED: a failing run hung"; failures=$((failures + 1))
else
  echo "  error case: every rank stopped ($(grep -m1 -i error "$WORK/err.log" | cut -c1-100))"
fi

echo "mpi-test: $checked comparisons, $failures failures"
[ $failures = 0 ]
