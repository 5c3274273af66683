//! The Rust side of `bench/analysis/hmm.py`: the Hungarian algorithm
//! (`ganglion_analysis::assignment::min_cost`) and HMM forward–backward and Viterbi
//! (`ganglion_analysis::hmm`) on the inputs the script writes, timed.
//!
//! Usage: `cargo run --release -p ganglion-analysis --example bench_hmm -- DIR REPS`.
//! Reads `DIR/jobs.json` — `{"assignment": [[name, rows, cols], …], "hmm": [[name, T, K], …]}` —
//! and for each job its inputs (row-major little-endian f64): `DIR/<name>_cost.f64`, or
//! `DIR/<name>_le.f64` (T × K log-emissions), `_init.f64` (K), `_trans.f64` (K × K). Writes
//! `DIR/rust_<name>_cols.f64` (assigned column per row), or `rust_<name>_gamma.f64`,
//! `_xi.f64`, `_ll.f64`, `_path.f64`, and `DIR/rust_times.json` (median seconds over REPS
//! runs per job; forward–backward and Viterbi timed separately).

mod common;

use common::{read_f64, time, write_f64};
use ganglion_analysis::{assignment, hmm};

/// The `[name, a, b]` triples of one job list in the (tiny, fixed-format) jobs file.
fn jobs(text: &str, key: &str) -> Vec<(String, usize, usize)> {
    let start = text
        .find(&format!("\"{key}\""))
        .unwrap_or_else(|| panic!("jobs.json has no \"{key}\""));
    let rest = &text[start..];
    let body = &rest[rest.find('[').expect("[") + 1..];
    let mut out = vec![];
    let mut depth = 0;
    let mut cur = String::new();
    for c in body.chars() {
        match c {
            '[' => {
                depth += 1;
                cur.clear();
            }
            ']' if depth == 0 => break,
            ']' => {
                depth -= 1;
                let f: Vec<&str> = cur.split(',').map(|s| s.trim().trim_matches('"')).collect();
                assert!(f.len() == 3, "bad job entry [{cur}]");
                let n = |s: &str| {
                    s.parse::<usize>()
                        .unwrap_or_else(|_| panic!("not a count: {s}"))
                };
                out.push((f[0].to_string(), n(f[1]), n(f[2])));
            }
            _ if depth > 0 => cur.push(c),
            _ => {}
        }
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    assert!(args.len() == 3, "usage: bench_hmm DIR REPS");
    let dir = &args[1];
    let reps: usize = args[2].parse().expect("REPS must be a count");
    let spec = std::fs::read_to_string(format!("{dir}/jobs.json")).expect("jobs.json");
    let mut times = vec![];
    for (name, rows, cols) in jobs(&spec, "assignment") {
        let cost = read_f64(&format!("{dir}/{name}_cost.f64"));
        assert_eq!(cost.len(), rows * cols, "{name}: cost size");
        let (t, pairs) = time(reps, || assignment::min_cost(&cost, rows, cols));
        let mut col = vec![-1.0; rows];
        for (r, c) in pairs {
            col[r] = c as f64;
        }
        write_f64(&format!("{dir}/rust_{name}_cols.f64"), &col);
        times.push(format!("\"{name}\": {t:e}"));
    }
    for (name, t_len, k) in jobs(&spec, "hmm") {
        let le = read_f64(&format!("{dir}/{name}_le.f64"));
        let init = read_f64(&format!("{dir}/{name}_init.f64"));
        let trans = read_f64(&format!("{dir}/{name}_trans.f64"));
        assert_eq!(le.len(), t_len * k, "{name}: log-emission size");
        let (t, post) = time(reps, || hmm::forward_backward(&le, k, &init, &trans));
        write_f64(&format!("{dir}/rust_{name}_gamma.f64"), &post.gamma);
        write_f64(&format!("{dir}/rust_{name}_xi.f64"), &post.xi_sum);
        write_f64(&format!("{dir}/rust_{name}_ll.f64"), &[post.log_likelihood]);
        times.push(format!("\"{name}_fb\": {t:e}"));
        let (t, (path, _)) = time(reps, || hmm::viterbi(&le, k, &init, &trans));
        let path: Vec<f64> = path.iter().map(|&s| s as f64).collect();
        write_f64(&format!("{dir}/rust_{name}_path.f64"), &path);
        times.push(format!("\"{name}_viterbi\": {t:e}"));
    }
    std::fs::write(
        format!("{dir}/rust_times.json"),
        format!("{{{}}}", times.join(", ")),
    )
    .expect("rust_times.json");
}
