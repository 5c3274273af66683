#!/usr/bin/env bash
# Training-step benchmark of the general autodiff path: candle-core vs burn (flex CPU backend)
# vs PyTorch CPU on an ELM neuron and a small transformer (see RESULTS.md).
#
#   bench/autodiff/run.sh [reps]            # step times (median of reps, after 2 warm-ups)
#   BUILD_TIMES=1 bench/autodiff/run.sh     # also cold-build each Rust side with -j2 (minutes)
#
# Each Rust side is a standalone crate (its own [workspace]) built into /tmp, so nothing heavy
# lands in the workspace's target dir. Each workload runs in its own process so that the peak
# RSS (VmHWM / ru_maxrss) belongs to it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
reps=${1:-10}
py=${PYTHON:-$here/../interp/.venv/bin/python}
for side in candle burn; do
    tgt=/tmp/ganglion-bench-autodiff-$side
    if [[ -n "${BUILD_TIMES:-}" ]]; then
        rm -rf "$tgt"
        /usr/bin/time -f "$side cold build -j2: %e s wall, %M KiB peak rss" \
            cargo build --release -j2 --manifest-path "$here/$side/Cargo.toml" --target-dir "$tgt" 2>&1 | tail -1
    else
        cargo build --release --quiet --manifest-path "$here/$side/Cargo.toml" --target-dir "$tgt"
    fi
done
# The process settings the `ganglion` CLI applies at start: glibc keeping freed memory
# (crates/ganglion-cli/src/malloc.rs; candle allocates a fresh buffer for every op, and by
# default glibc hands large freed blocks back to the kernel, so the next op page-faults and
# zeroes them again) and RAYON_NUM_THREADS set (threads.rs; unset, candle 0.11 parses
# /proc/cpuinfo on every matrix product to count the physical cores).
cli_env=(MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824
         MALLOC_TOP_PAD_=67108864 "RAYON_NUM_THREADS=${RAYON_NUM_THREADS:-$(nproc)}")
for w in elm elm-hoisted tf; do
    /tmp/ganglion-bench-autodiff-candle/release/candle_b "$w" "$reps"
    # Candle tuned without changing the model: the ELM's synapse-wide factors expanded once
    # per forward pass (candle's binary ops are fast only on equal-shape contiguous operands),
    # under the CLI's process settings.
    env PREBROADCAST=1 "${cli_env[@]}" /tmp/ganglion-bench-autodiff-candle/release/candle_b "$w" "$reps"
    /tmp/ganglion-bench-autodiff-burn/release/burn_b "$w" "$reps"
    "$py" "$here/torch_bench.py" "$w" "$reps"
done
# The workspace's own models (ganglion_train::autodiff, with its fused ops) under the CLI's
# process settings, against PyTorch on the same models: the transformer above, and the ELM as
# the workspace builds it (NeuronIO routing, 1278 inputs; PyTorch's `elm-routed`).
cargo build --release --quiet -p ganglion-train --example autodiff_step --manifest-path "$here/../../Cargo.toml"
ws_step=$here/../../target/release/examples/autodiff_step
for w in tf elm; do
    env "${cli_env[@]}" "$ws_step" "$w" "$reps"
done
"$py" "$here/torch_bench.py" elm-routed "$reps"
