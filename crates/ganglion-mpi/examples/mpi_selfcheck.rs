//! Self-check of the MPI transport, independent of the CLI: every rank builds its share of
//! SPEC with [`Network::build_distributed`] over [`MpiExchange`] and runs it; rank 0 also
//! builds and runs the whole circuit in one process and compares spikes, state samples,
//! rate bins, weight samples, spike counts and final plastic weights bit for bit.
//!
//! ```text
//! cargo build --example mpi_selfcheck -p ganglion-mpi --features mpi
//! mpirun --allow-run-as-root --oversubscribe -np 4 target/debug/examples/mpi_selfcheck \
//!     examples/mpi_check.toml 2    # threads per rank (default 1)
//! ```
//!
//! Exits 0 and prints `selfcheck: identical` on rank 0 when everything matches. With a
//! third argument `bench`, skips the single-process reference and prints rank 0's timings
//! as one JSON line (`bench/mpi/bench.py` reads it and every rank's `exchange-stats` line).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a check binary: a panic is the report

use ganglion_mpi::MpiExchange;
use ganglion_sim::Network;
use ganglion_sim::distributed::RankExchange;
use std::sync::Arc;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let spec = args.get(1).expect("usage: mpi_selfcheck SPEC [THREADS]");
    let threads: usize = args.get(2).map_or(1, |t| t.parse().expect("threads"));
    let bench = args.get(3).is_some_and(|a| a == "bench");
    let ex = Arc::new(MpiExchange::init().expect("MPI"));
    let (rank, ranks) = (ex.rank(), ex.ranks());
    let (circuit, _) = ganglion_model::load(std::path::Path::new(spec)).expect("spec");
    let mut circuit = circuit;
    circuit.simulation.threads = threads;
    let r = ganglion_model::validate_circuit(&circuit).expect("valid spec");
    let t0 = std::time::Instant::now();
    let mut net = Network::build_distributed(&r, ex.clone()).expect("build");
    let res = net.run(None).expect("run");
    let wall = t0.elapsed().as_secs_f64();
    let s = net.exchange_stats();
    eprintln!(
        "exchange-stats rank={rank} ranks={ranks} epoch_steps={} exchanges={} bytes_sent={} bytes_received={} exchange_s={:.6} wall_s={wall:.6}",
        net.exchange_epoch(),
        s.exchanges,
        s.bytes_sent,
        s.bytes_received,
        s.seconds
    );
    if rank != 0 {
        return;
    }
    if bench {
        let spikes: u64 = res.populations.iter().map(|p| p.spike_count).sum();
        println!(
            "{{\"build_s\": {}, \"simulate_s\": {}, \"spikes\": {spikes}, \"synapses\": {}, \"steps\": {}, \"neurons\": {}}}",
            res.build_s,
            res.simulate_s,
            res.synapses,
            net.total_steps(),
            net.populations().iter().map(|p| p.size).sum::<usize>()
        );
        return;
    }
    let weights = |n: &Network| -> Vec<Vec<(u32, u32, u32, u64)>> {
        n.plastic_projections()
            .into_iter()
            .map(|j| {
                n.synapses_of(j)
                    .into_iter()
                    .map(|e| (e.0, e.1, e.2.to_bits(), e.3.to_bits()))
                    .collect()
            })
            .collect()
    };
    let mut one_r = r.clone();
    one_r.threads = 1;
    let mut one = Network::build(&one_r).expect("single-process build");
    let want = one.run(None).expect("single-process run");
    let mut bad = vec![];
    for (a, b) in want.spikes.iter().zip(&res.spikes) {
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        if a.senders != b.senders || bits(&a.times_ms) != bits(&b.times_ms) {
            bad.push(format!("spikes of {}", a.population));
        }
    }
    for (a, b) in want.states.iter().zip(&res.states) {
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        if bits(&a.values) != bits(&b.values) {
            bad.push(format!("state {} {}", a.population, a.variable));
        }
    }
    for (a, b) in want.rates.iter().zip(&res.rates) {
        if a.rates_hz != b.rates_hz {
            bad.push(format!("rates of {}", a.population));
        }
    }
    for (a, b) in want.weights.iter().zip(&res.weights) {
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        if bits(&a.values) != bits(&b.values) || a.sources != b.sources {
            bad.push(format!("weight samples of {}", a.projection));
        }
    }
    for (a, b) in want.populations.iter().zip(&res.populations) {
        if a.spike_count != b.spike_count {
            bad.push(format!("spike count of {}", a.name));
        }
    }
    if weights(&one) != weights(&net) {
        bad.push("final plastic weights".into());
    }
    if want.spikes.len() != res.spikes.len() || want.states.len() != res.states.len() {
        bad.push("monitor count".into());
    }
    let spikes: u64 = want.populations.iter().map(|p| p.spike_count).sum();
    if bad.is_empty() {
        println!(
            "selfcheck: identical ({ranks} ranks × {threads} threads, {spikes} spikes, epoch {} steps)",
            net.exchange_epoch()
        );
    } else {
        println!("selfcheck: DIFFERENT: {}", bad.join(", "));
        ex.abort(1);
    }
}
