/* Spike-exchange microbenchmark: MPI_Allgather and MPI_Allgather(count) + MPI_Allgatherv(data)
 * latency versus the message size per rank and the number of ranks.
 *
 * The second pattern is what a min-delay-epoch spike exchange does: every rank publishes how
 * many spike ids (u32) it has, then all ranks gather the variable-length lists. Each size is
 * timed in BLOCKS blocks of ITERS calls after a barrier; a block's time is the slowest rank's
 * (MPI_MAX reduction), the reported time per call is the median block / ITERS.
 *
 * Output: one JSON object per line on rank 0's stdout:
 *   {"ranks":P,"bytes_per_rank":n,"allgather_us":t1,"allgatherv_us":t2,"iters":k}
 *
 * Build: mpicc -O2 -o allgather allgather.c
 * Run:   mpirun --allow-run-as-root --oversubscribe -np P ./allgather
 */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCKS 7

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* median over BLOCKS blocks of the slowest rank's time per call, in microseconds */
static double time_pattern(int pattern, size_t bytes, int iters, char *send, char *recv,
                           int *counts, int *displs, int ranks) {
    double blocks[BLOCKS];
    for (int b = 0; b < BLOCKS; b++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        for (int i = 0; i < iters; i++) {
            if (pattern == 0) {
                MPI_Allgather(send, (int)bytes, MPI_BYTE, recv, (int)bytes, MPI_BYTE, MPI_COMM_WORLD);
            } else {
                int mine = (int)(bytes / 4);
                MPI_Allgather(&mine, 1, MPI_INT, counts, 1, MPI_INT, MPI_COMM_WORLD);
                int off = 0;
                for (int r = 0; r < ranks; r++) {
                    displs[r] = off;
                    off += counts[r];
                }
                MPI_Allgatherv(send, mine, MPI_UINT32_T, recv, counts, displs, MPI_UINT32_T,
                               MPI_COMM_WORLD);
            }
        }
        double dt = (MPI_Wtime() - t0) / iters, slowest;
        MPI_Allreduce(&dt, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        blocks[b] = slowest * 1e6;
    }
    qsort(blocks, BLOCKS, sizeof(double), cmp_double);
    return blocks[BLOCKS / 2];
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, ranks;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    const size_t max_bytes = (size_t)1 << 20;
    char *send = malloc(max_bytes), *recv = malloc(max_bytes * (size_t)ranks);
    int *counts = malloc(sizeof(int) * ranks), *displs = malloc(sizeof(int) * ranks);
    if (!send || !recv || !counts || !displs) {
        fprintf(stderr, "allgather: out of memory for %d ranks x %zu bytes\n", ranks, max_bytes);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    memset(send, rank + 1, max_bytes);
    memset(recv, 0, max_bytes * (size_t)ranks);
    for (size_t bytes = 0; bytes <= max_bytes; bytes = bytes ? bytes * 4 : 4) {
        /* a few ms per block on shared memory (seconds when oversubscribed): fewer calls for big messages */
        int iters = bytes <= 4096 ? 300 : (int)(2e6 / (double)bytes) + 5;
        double t_ag = time_pattern(0, bytes, iters, send, recv, counts, displs, ranks);
        double t_agv = time_pattern(1, bytes, iters, send, recv, counts, displs, ranks);
        if (rank == 0) {
            printf("{\"ranks\":%d,\"bytes_per_rank\":%zu,\"allgather_us\":%.4f,"
                   "\"allgatherv_us\":%.4f,\"iters\":%d}\n",
                   ranks, bytes, t_ag, t_agv, iters);
            fflush(stdout);
        }
    }
    free(send);
    free(recv);
    free(counts);
    free(displs);
    MPI_Finalize();
    return 0;
}
