#!/bin/sh
# Run the all-gather microbenchmark on 1-4 local ranks; writes bench/scaling/allgather.jsonl.
# Ranks beyond the machine's cores are oversubscribed (--oversubscribe): Open MPI then yields
# the core while it waits, and the timings measure the scheduler as much as MPI.
set -e
cd "$(dirname "$0")"
mpicc -O2 -Wall -o /tmp/sc_allgather allgather.c
: > allgather.jsonl
for p in 1 2 3 4; do
  mpirun --allow-run-as-root --oversubscribe -np "$p" /tmp/sc_allgather >> allgather.jsonl
done
