//! Runs a study without the CLI:
//! `cargo run --release -p ganglion-studies --example run_study -- NAME [--full] [--out DIR]`
//! (no NAME: print the list).

use std::process::ExitCode;

use ganglion_studies::{Mode, format_list, format_outcome, run_study};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(name) = args
        .iter()
        .find(|a| !a.starts_with("--") && !is_out_value(&args, a))
    else {
        print!("{}", format_list());
        return ExitCode::SUCCESS;
    };
    let mode = if args.iter().any(|a| a == "--full") {
        Mode::Full
    } else {
        Mode::Quick
    };
    let out = args
        .iter()
        .position(|a| a == "--out")
        .and_then(|i| args.get(i + 1))
        .map(Into::into);
    match run_study(name, mode, out) {
        Ok(outcome) => {
            print!("{}", format_outcome(&outcome));
            if outcome.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn is_out_value(args: &[String], a: &String) -> bool {
    args.iter()
        .position(|x| x == "--out")
        .is_some_and(|i| args.get(i + 1) == Some(a))
}
