//! The Rust side of `bench/analysis/sbm.py`: the weighted SBM
//! (`ganglion_analysis::communities::fit_sbm`, exponential weights) on the graphs the script
//! writes, and the LFR graphs (`ganglion_analysis::lfr::lfr`) it asks for, timed.
//!
//! Usage (`cargo run --release -p ganglion-analysis --example bench_sbm -- …`):
//!
//! - `lfr DIR NAME N MU SEED`: generates a weighted LFR graph (⟨k⟩ = 20, k_max = 50, τ1 = 2,
//!   τ2 = 1, communities of 20–50 nodes, β = 1.5, μ_w = μ) and writes `DIR/NAME_edges.f64`
//!   (little-endian f64 triples i, j, w per edge, i < j) and `DIR/NAME_truth.f64` (planted
//!   community per node, length N); prints `{"communities": …, "mixing": …}`.
//! - `fit DIR REPS RESTARTS NAME:MAX_BLOCKS[:plain|dc|best] …`: for each graph reads those two
//!   files, fits the SBM (edge model plain (default), degree-corrected or the better by ICL) REPS times (seed 1 each time, so every run gives the same partition and only the
//!   time varies), writes `DIR/rust_NAME_blocks.f64` (block per node) and
//!   `DIR/rust_results.json` (`{NAME: {"time": median seconds, "blocks": B, "nmi": NMI with
//!   the planted partition}}`).

mod common;

use common::{read_f64, write_f64};
use ganglion_analysis::communities::{EdgeModel, SbmOptions, WeightModel, fit_sbm, nmi};
use ganglion_analysis::lfr::{LfrParams, LfrWeights, lfr};
use std::time::Instant;

fn arg<T: std::str::FromStr>(args: &[String], i: usize, what: &str) -> T {
    args.get(i)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("argument {i} ({what}) missing or malformed"))
}

fn gen_lfr(args: &[String]) {
    let dir: String = arg(args, 2, "DIR");
    let name: String = arg(args, 3, "NAME");
    let p = LfrParams {
        n: arg(args, 4, "N"),
        avg_degree: 20.0,
        max_degree: 50,
        tau1: 2.0,
        tau2: 1.0,
        mu: arg(args, 5, "MU"),
        min_community: 20,
        max_community: 50,
        weights: Some(LfrWeights {
            beta: 1.5,
            mu_w: arg(args, 5, "MU"),
        }),
        seed: arg(args, 6, "SEED"),
    };
    let g = lfr(&p).unwrap_or_else(|e| panic!("LFR {name}: {e}"));
    let edges: Vec<f64> = g
        .edges
        .iter()
        .flat_map(|&(i, j, w)| [i as f64, j as f64, w])
        .collect();
    write_f64(&format!("{dir}/{name}_edges.f64"), &edges);
    let truth: Vec<f64> = g.membership.iter().map(|&c| c as f64).collect();
    write_f64(&format!("{dir}/{name}_truth.f64"), &truth);
    println!(
        "{{\"communities\": {}, \"mixing\": {}}}",
        g.n_communities,
        g.mixing()
    );
}

fn fit(args: &[String]) {
    let dir: String = arg(args, 2, "DIR");
    let reps: usize = arg(args, 3, "REPS");
    let restarts: usize = arg(args, 4, "RESTARTS");
    let mut out = vec![];
    for job in &args[5..] {
        let mut parts = job.split(':');
        let (name, maxb) = match (parts.next(), parts.next()) {
            (Some(name), Some(maxb)) => (name, maxb),
            _ => panic!("job {job}: write NAME:MAX_BLOCKS[:plain|dc|best]"),
        };
        let edges = match parts.next() {
            None | Some("plain") => EdgeModel::Bernoulli,
            Some("dc") => EdgeModel::DegreeCorrected,
            Some("best") => EdgeModel::Best,
            Some(x) => panic!("job {job}: edge model {x} is not plain, dc or best"),
        };
        let max_blocks: usize = maxb
            .parse()
            .unwrap_or_else(|_| panic!("job {job}: MAX_BLOCKS is not an integer"));
        let truth: Vec<usize> = read_f64(&format!("{dir}/{name}_truth.f64"))
            .iter()
            .map(|&c| c as usize)
            .collect();
        let n = truth.len();
        let mut w = vec![0.0; n * n];
        for e in read_f64(&format!("{dir}/{name}_edges.f64")).chunks_exact(3) {
            let (i, j) = (e[0] as usize, e[1] as usize);
            w[i * n + j] = e[2];
            w[j * n + i] = e[2];
        }
        let opts = SbmOptions {
            max_blocks,
            restarts,
            seed: 1,
            weights: WeightModel::Exponential,
            edges,
        };
        let mut times = vec![];
        let mut fitted = None;
        for _ in 0..reps.max(1) {
            let t = Instant::now();
            let f = fit_sbm(&w, n, &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
            times.push(t.elapsed().as_secs_f64());
            fitted = Some(f);
        }
        times.sort_by(f64::total_cmp);
        let f = fitted.expect("reps >= 1");
        let blocks: Vec<f64> = f.blocks.iter().map(|&b| b as f64).collect();
        write_f64(&format!("{dir}/rust_{name}_blocks.f64"), &blocks);
        out.push(format!(
            "\"{name}\": {{\"time\": {}, \"blocks\": {}, \"edges\": \"{:?}\", \"nmi\": {}}}",
            times[times.len() / 2],
            f.n_blocks,
            f.edges,
            nmi(&f.blocks, &truth)
        ));
        eprintln!(
            "{name}: B = {} ({:?} edges), NMI {:.3}, {:.3} s",
            f.n_blocks,
            f.edges,
            nmi(&f.blocks, &truth),
            times[times.len() / 2]
        );
    }
    std::fs::write(
        format!("{dir}/rust_results.json"),
        format!("{{{}}}\n", out.join(", ")),
    )
    .unwrap_or_else(|e| panic!("{dir}/rust_results.json: {e}"));
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("lfr") => gen_lfr(&args),
        Some("fit") => fit(&args),
        _ => panic!(
            "usage: bench_sbm lfr DIR NAME N MU SEED | fit DIR REPS RESTARTS NAME:MAX_BLOCKS[:plain|dc|best] …"
        ),
    }
}
