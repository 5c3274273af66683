#!/usr/bin/env bash
# Ganglion vs reservoirpy, side by side on the same task and size (issue 4):
# Mackey-Glass (tau 17) one-step prediction, 1000 units, 10 % connectivity, spectral radius
# 0.9, 10,000 steps, leak 0.3, input scaling 1, input connectivity 0.1, ridge 1e-6
# (see bench/reservoirpy_mg.py for the exact protocol, shared by both tools).
#
#   bench/reservoir_bench.sh            # REPS=7 runs per tool, alternating, then bench/RESERVOIR.md
#   REPS=11 SIZE=1000 STEPS=10000 bench/reservoir_bench.sh
#
# Uses bench/.venv (creates it if missing, or adds reservoirpy to the one bench/setup.sh made).
# Ganglion runs as `ganglion reservoir` when the CLI has that subcommand, else as the
# ganglion-learn example with the same arguments. Raw runs: bench/out/reservoir/runs.jsonl.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
venv="$here/.venv"
py="${PYTHON:-python3}"
REPS="${REPS:-7}"
SIZE="${SIZE:-1000}"
DENSITY="${DENSITY:-0.1}"
SR="${SR:-0.9}"
STEPS="${STEPS:-10000}"

if [ ! -x "$venv/bin/python" ]; then
    echo "creating $venv"
    "$py" -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import reservoirpy' >/dev/null 2>&1; then
    echo "installing reservoirpy 0.4.2 into $venv"
    "$venv/bin/pip" install -q "reservoirpy==0.4.2"
fi

cd "$root"
gbin=()
if [ -d crates/ganglion-cli ] && cargo build --release -q -p ganglion-cli >/dev/null 2>&1 \
    && target/release/ganglion reservoir --help >/dev/null 2>&1; then
    gbin=(target/release/ganglion reservoir)
else
    cargo build --release -q -p ganglion-learn --example reservoir
    gbin=(target/release/examples/reservoir)
fi
echo "ganglion: ${gbin[*]}"

out="$here/out/reservoir"
mkdir -p "$out"
runs="$out/runs.jsonl"
: > "$runs"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
common=(--size "$SIZE" --density "$DENSITY" --spectral-radius "$SR" --steps "$STEPS")
# Keep every core busy for 0.3 s before each measured run: the host clocks idle cores down and
# needs ~50-100 ms of load to raise them again. reservoirpy's fit starts after ~1 s of Python
# imports (a raised clock); Ganglion's starts at launch and would be timed on a cold clock.
# Same warm-up for both tools, before the process starts (see prewarm in bench/run.py).
prewarm() {
    local pids=()
    for ((c = 0; c < $(nproc); c++)); do
        timeout 0.3 sh -c 'while :; do :; done' &
        pids+=($!)
    done
    wait "${pids[@]}" 2>/dev/null || true
}
run_ganglion() {
    prewarm
    "${gbin[@]}" --task mackey-glass "${common[@]}" --seed "$1" --json \
        | "$venv/bin/python" -c 'import json,sys; d=json.loads(sys.stdin.read()); d["tool"]="ganglion"; print(json.dumps(d))' >> "$runs"
}
run_reservoirpy() {
    prewarm
    "$venv/bin/python" "$here/reservoirpy_mg.py" "${common[@]}" --seed "$1" >> "$runs"
}
for ((i = 0; i < REPS; i++)); do
    # Alternate the order so that slow drifts in machine load hit both tools alike.
    if ((i % 2 == 0)); then run_ganglion "$i"; run_reservoirpy "$i"; else run_reservoirpy "$i"; run_ganglion "$i"; fi
    echo "rep $((i + 1))/$REPS done"
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

"$venv/bin/python" - "$runs" "$here/RESERVOIR.md" "$load_before" "$load_after" "${gbin[*]}" <<'PY'
import json, platform, statistics as st, subprocess, sys
runs_path, md_path, load_before, load_after, gbin = sys.argv[1:6]
runs = [json.loads(l) for l in open(runs_path) if l.strip()]
by = {t: [r for r in runs if r["tool"] == t] for t in ("ganglion", "reservoirpy")}
def med(tool, key):
    return st.median(r[key] for r in by[tool])
def rng(tool, key):
    v = [r[key] for r in by[tool]]
    return min(v), max(v)
tot = {t: st.median(r["fit_s"] + r["predict_s"] for r in by[t]) for t in by}
ratio = tot["reservoirpy"] / tot["ganglion"]
eg, er = med("ganglion", "nrmse"), med("reservoirpy", "nrmse")
(glo, ghi), (rlo, rhi) = rng("ganglion", "nrmse"), rng("reservoirpy", "nrmse")
overlap = glo <= rhi and rlo <= ghi
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
ncpu = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
import numpy, scipy, reservoirpy
g0 = by["ganglion"][0]
lines = [
    "# Reservoir benchmark: Ganglion vs reservoirpy",
    "",
    "Written by `bench/reservoir_bench.sh` (do not edit by hand). Task: Mackey-Glass (tau 17) one-step",
    "prediction, the series rescaled to [-1, 1]; first 80 % trains a ridge readout (first 100 states",
    "discarded, ridge 1e-6), last 20 % tested teacher-forced; 1000 units, 10 % recurrent connectivity,",
    "spectral radius 0.9, leak 0.3, input scaling 1, input connectivity 0.1, 10,000 steps. Both tools get",
    "the same series (`bench/reservoirpy_mg.py` ports Ganglion's generator). fit = build the reservoir",
    "(weights, spectral radius) + training run + readout fit; predict = test run + readout. NRMSE is",
    "RMSE / std(target). Seeds 0..REPS-1; a seed gives different random reservoirs in the two tools.",
    "Before each run all cores spin for 0.3 s (clock warm-up, same for both tools; see the script).",
    "",
    f"Machine: {cpu}, {ncpu} cores; load average before {load_before}, after {load_after} (other jobs shared the machine).",
    f"Versions: reservoirpy {reservoirpy.__version__}, numpy {numpy.__version__}, scipy {scipy.__version__}, Python {platform.python_version()}; {rustc}.",
    f"Ganglion command: `{gbin} --task mackey-glass --size 1000 --density 0.1 --spectral-radius 0.9 --steps 10000 --seed S --json` ({g0.get('threads', '?')} threads, {g0.get('kernel', '?')} kernel).",
    "",
    "| tool | runs | fit s (median) | predict s (median) | fit+predict s (median) | NRMSE median | NRMSE range |",
    "|---|---|---|---|---|---|---|",
]
for t in ("ganglion", "reservoirpy"):
    lo, hi = rng(t, "nrmse")
    lines.append(f"| {t} | {len(by[t])} | {med(t, 'fit_s'):.4f} | {med(t, 'predict_s'):.4f} | {tot[t]:.4f} | {med(t, 'nrmse'):.3e} | {lo:.3e} – {hi:.3e} |")
lines += [
    "",
    f"**Speed-up (median fit+predict, reservoirpy / Ganglion): {ratio:.1f}×** (target ≥ 10×).",
    f"NRMSE: Ganglion {eg:.3e} vs reservoirpy {er:.3e} (ratio {eg / er:.2f}); ranges {'overlap' if overlap else 'do not overlap'} — "
    + ("equal within seed-to-seed noise." if overlap else "check."),
    "",
    "Notes:",
    "Where Ganglion's time goes (`cargo run --release -p ganglion-learn --example profile_parts`, medians of 7",
    "in one process, quiet machine, 2026-11-29): build 0.042 s (weights + exact spectral radius by Arnoldi:",
    "~210 Krylov vectors, one faer eigenvalue solve of the Hessenberg matrix), training run 0.082 s (7,900",
    "steps, blocked AVX-512 permute kernel, 2 threads), ridge fit 0.11 s, test run 0.02 s: 0.26 s. A fresh",
    "`ganglion reservoir` process adds ~0.05-0.1 s of first-touch page faults (the 63 MB of training states",
    "and the 8 MB Gram matrices; `perf stat`: ~35,000 faults).",
    "",
    "Why 10x is out of reach on this machine (2 Zen 4 cores, no SMT): the estimator is fixed (ridge 1e-6 on",
    "f64 sufficient statistics, as reservoirpy), and its Gram matrix alone is 7,900 x 1,000 x 1,001 / 2 = 3.95e9",
    "f64 multiply-adds. Zen 4 retires 8 f64 FMAs per cycle per core; faer's triangular product measures 47",
    "GFLOP/s per core (`--example gram_bench`), i.e. its peak: >= 0.084 s on both cores. The 10,000 reservoir",
    "steps need 12,800 permute lane-vectors each (100,000 non-zeros padded to 204,368 lanes), two shuffle",
    "micro-ops apiece on the two shuffle pipes: the kernel measures 8-12 us per step on one core",
    "(`--example kernel_cpu`), >= 0.04 s for the run on two. A zero-overhead Ganglion therefore needs",
    f">= 0.13 s, i.e. at most {tot['reservoirpy'] / 0.13:.1f}x against reservoirpy's median in this run, before",
    "building the reservoir (spectral radius), the tanh update, the per-step thread synchronisation, the",
    "Cholesky solve and first-touch page faults. An f32 Gram would halve the first term but is not the same",
    "estimator: its rounding errors (~1e-3 in the Gram's units, whose diagonal entries are ~1e2-1e3) exceed",
    "alpha = 1e-6 a thousandfold, so rounding, not alpha, would regularise. Reaching 10x with margin needs",
    "more cores (the Gram and the row-parallel steps both scale; reservoirpy's Python step loop does not) or",
    "a relaxed estimator.",
    "",
    "Per run (in order):",
    "",
    "| tool | seed | NRMSE | fit s | predict s |",
    "|---|---|---|---|---|",
]
for r in runs:
    lines.append(f"| {r['tool']} | {r['seed']} | {r['nrmse']:.3e} | {r['fit_s']:.4f} | {r['predict_s']:.4f} |")
open(md_path, "w").write("\n".join(lines) + "\n")
print("\n".join(lines[14:20]))
PY
