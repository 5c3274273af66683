//! Progress reports: the callback comes at the requested interval, and the live spike counts
//! it can read match the spikes the run records, for any thread count.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

use ganglion_model::*;
use std::sync::Mutex;
use std::sync::atomic::Ordering;

fn circuit(threads: usize) -> Circuit {
    let mut sim = Simulation::new("0.1 ms", "100 ms");
    sim.threads = threads;
    Circuit::new(sim)
        .population(Population::new("exc", 40, "iaf_psc_exp").param("tau_m", "20 ms"))
        .population(Population::new("inh", 10, "iaf_psc_exp"))
        .input(Input::current("exc", "400 pA"))
        .input(Input::current("inh", "380 pA"))
        .monitor(Monitor::spikes("exc"))
        .monitor(Monitor::spikes("inh"))
}

#[test]
fn live_counts_follow_the_run_at_the_requested_interval() {
    for threads in [1, 3] {
        let r = validate_circuit(&circuit(threads)).unwrap();
        let mut net = ganglion_sim::Network::build(&r).unwrap();
        net.set_progress_every(100);
        let live = net.live_spike_counts();
        let seen: Mutex<Vec<(u64, Vec<u64>)>> = Mutex::new(vec![]);
        let cb = |done: u64, _total: u64| {
            let c = live.iter().map(|a| a.load(Ordering::Relaxed)).collect();
            seen.lock().unwrap().push((done, c));
        };
        let res = net.run(Some(&cb)).unwrap();
        let seen = seen.into_inner().unwrap();
        let steps: Vec<u64> = seen.iter().map(|s| s.0).collect();
        assert_eq!(steps, (1..=10).map(|i| i * 100).collect::<Vec<_>>());
        // Counts never decrease, and the last report equals what the run recorded.
        for w in seen.windows(2) {
            assert!(w[0].1.iter().zip(&w[1].1).all(|(a, b)| a <= b));
        }
        let last = &seen.last().unwrap().1;
        let recorded: Vec<u64> = res.populations.iter().map(|p| p.spike_count).collect();
        assert!(
            recorded.iter().all(|&c| c > 0),
            "the test network must spike"
        );
        assert_eq!(last, &recorded, "threads = {threads}");
    }
}
