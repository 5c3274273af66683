//! `cargo run --release -p ganglion-learn --example reservoir -- --task mackey-glass --size 1000 --json`
//!
//! The same arguments as `ganglion reservoir` (see `ReservoirTaskArgs::from_args`); prints the
//! report as JSON with `--json`, else a summary. Used by `bench/reservoir_bench.sh` when the
//! `ganglion` binary is not built.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let result = ganglion_learn::ReservoirTaskArgs::from_args(&args)
        .and_then(|a| ganglion_learn::run_reservoir_task(&a));
    match result {
        Ok(report) => {
            if json {
                println!("{}", report.to_json());
            } else {
                println!("{}", report.summary());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
