#!/usr/bin/env bash
# Adaptive E/I reservoir: Ganglion vs reservoirpy on the same frozen reservoir (issue 17).
#
# Ganglion (`ganglion-learn` example `bench_ei_reservoir`) builds a Dale's-law sigmoid reservoir
# (N units, 80 % E, in-degree 10 % of each population, J = 2, leak 0.5, input scaling 0.5),
# adapts its per-neuron inhibitory gains (homeostatic rule, targets U[0.3, 0.7], eta 0.005) on
# the training inputs, freezes them, and runs Mackey-Glass one-step prediction (series rescaled
# to [-1, 1], first 80 % trains a ridge 1e-6 readout with 100 warm-up steps, last 20 % tested).
# It writes the frozen reservoir (effective W, W_in, biases) and the series; reservoirpy 0.4.2
# (`bench/ei_reservoir_reservoirpy.py`) runs the very same reservoir as
# Reservoir(W, Win, bias, lr, activation="sigmoid") >> Ridge(1e-6), and the script asserts that
# both tools predict the same values.
#
#   bench/ei_reservoir_bench.sh                   # REPS=7, SIZE=500, STEPS=10000
#   REPS=5 SIZE=1000 bench/ei_reservoir_bench.sh
#
# Timed: fit (training run + ridge fit) and predict (test run + readout), the same steps in both
# tools; Ganglion's build and adaptation (which reservoirpy does not do) are reported apart.
# Results: bench/ei_reservoir_RESULTS.md; raw runs: bench/out/ei_reservoir/runs.jsonl.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
venv="$here/.venv"
py="${PYTHON:-python3}"
REPS="${REPS:-7}"
SIZE="${SIZE:-500}"
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
cargo build --release -q -p ganglion-learn --example bench_ei_reservoir
gbin=target/release/examples/bench_ei_reservoir
out="$here/out/ei_reservoir"
mkdir -p "$out"
runs="$out/runs.jsonl"
: > "$runs"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
# Same clock warm-up before every measured run as bench/reservoir_bench.sh.
prewarm() {
    local pids=()
    for ((c = 0; c < $(nproc); c++)); do
        timeout 0.3 sh -c 'while :; do :; done' &
        pids+=($!)
    done
    wait "${pids[@]}" 2>/dev/null || true
}
n_train=$(( (STEPS * 8 + 5) / 10 ))
run_ganglion() {
    prewarm
    "$gbin" --size "$SIZE" --steps "$STEPS" --seed "$1" --out "$out/$1" >> "$runs"
}
run_reservoirpy() {
    prewarm
    "$venv/bin/python" "$here/ei_reservoir_reservoirpy.py" "$out/$1" --size "$SIZE" \
        --n-train "$n_train" --washout 100 --leak 0.5 --seed "$1" >> "$runs"
}
# Untimed first pass: Ganglion writes each seed's frozen reservoir for reservoirpy.
for ((i = 0; i < REPS; i++)); do
    "$gbin" --size "$SIZE" --steps "$STEPS" --seed "$i" --out "$out/$i" > /dev/null
done
for ((i = 0; i < REPS; i++)); do
    # Alternate the order so that slow drifts in machine load hit both tools alike.
    if ((i % 2 == 0)); then run_ganglion "$i"; run_reservoirpy "$i"; else run_reservoirpy "$i"; run_ganglion "$i"; fi
    echo "rep $((i + 1))/$REPS done"
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

"$venv/bin/python" - "$runs" "$here/ei_reservoir_RESULTS.md" "$load_before" "$load_after" "$SIZE" "$STEPS" <<'PY'
import json, platform, statistics as st, subprocess, sys
runs_path, md_path, load_before, load_after, size, steps = sys.argv[1:7]
runs = [json.loads(l) for l in open(runs_path) if l.strip()]
by = {t: [r for r in runs if r["tool"] == t] for t in ("ganglion", "reservoirpy")}
med = lambda t, k: st.median(r[k] for r in by[t])
tot = {t: st.median(r["fit_s"] + r["predict_s"] for r in by[t]) for t in by}
ratio = tot["reservoirpy"] / tot["ganglion"]
g_nrmse = {r["seed"]: r["nrmse"] for r in by["ganglion"]}
rel = max(abs(r["nrmse"] - g_nrmse[r["seed"]]) / g_nrmse[r["seed"]] for r in by["reservoirpy"])
diff = max(r["max_abs_pred_diff"] for r in by["reservoirpy"])
# Same reservoir, same inputs, same estimator: the predictions must agree to rounding.
assert diff < 1e-6, f"predictions differ by {diff}"
assert rel < 1e-4, f"NRMSE differs by {rel:.2e} (relative)"
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
ncpu = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
import numpy, scipy, reservoirpy
lines = [
    "# Adaptive E/I reservoir benchmark: Ganglion vs reservoirpy",
    "",
    "Written by `bench/ei_reservoir_bench.sh` (do not edit by hand). Ganglion's `ei_reservoir` builds a",
    f"Dale's-law sigmoid reservoir ({size} units, 80 % E, in-degree 10 % of each population, J = 2, leak 0.5,",
    "input scaling 0.5), adapts its per-neuron inhibitory gains with the homeostatic rule (targets",
    "U[0.3, 0.7], eta 0.005) on the training inputs and freezes them; reservoirpy runs the same frozen",
    "reservoir (effective W as a scipy CSR matrix, W_in, biases, `activation=\"sigmoid\"`, `lr=0.5`). Task:",
    f"Mackey-Glass (tau 17) one-step prediction, {steps} steps rescaled to [-1, 1], first 80 % trains a ridge",
    "1e-6 readout (100 warm-up steps), last 20 % tested. fit = training run + ridge fit; predict = test",
    "run + readout: the same work in both tools. Ganglion's build and adaptation are not in the ratio",
    "(reservoirpy has no such rule) and are listed apart. Medians over seeds 0..REPS-1, alternating order,",
    "0.3 s clock warm-up before each run (as bench/reservoir_bench.sh).",
    "",
    f"Machine: {cpu}, {ncpu} cores; load average before {load_before}, after {load_after} (other jobs shared the machine).",
    f"Versions: reservoirpy {reservoirpy.__version__}, numpy {numpy.__version__}, scipy {scipy.__version__}, Python {platform.python_version()}; {rustc}.",
    "",
    "| tool | runs | fit s (median) | predict s (median) | fit+predict s (median) | NRMSE median |",
    "|---|---|---|---|---|---|",
]
for t in ("ganglion", "reservoirpy"):
    lines.append(f"| {t} | {len(by[t])} | {med(t, 'fit_s'):.4f} | {med(t, 'predict_s'):.4f} | {tot[t]:.4f} | {med(t, 'nrmse'):.4e} |")
lines += [
    "",
    f"**Speed-up (median fit+predict, reservoirpy / Ganglion): {ratio:.1f}×.**",
    f"Agreement: largest |prediction difference| over all runs {diff:.1e}; largest relative NRMSE difference {rel:.1e}",
    "(same reservoir, same estimator: equal to rounding; asserted).",
    f"Ganglion only: build median {med('ganglion', 'build_s'):.4f} s, homeostatic adaptation ({int(round(int(steps) * 0.8))} steps) median {med('ganglion', 'adapt_s'):.4f} s.",
    "",
    "Per run (in order):",
    "",
    "| tool | seed | NRMSE | fit s | predict s |",
    "|---|---|---|---|---|",
]
for r in runs:
    lines.append(f"| {r['tool']} | {r['seed']} | {r['nrmse']:.4e} | {r['fit_s']:.4f} | {r['predict_s']:.4f} |")
open(md_path, "w").write("\n".join(lines) + "\n")
print("\n".join(lines[16:23]))
PY
