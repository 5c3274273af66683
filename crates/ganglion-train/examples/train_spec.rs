//! `cargo run --release -p ganglion-train --example train_spec -- SPEC DATA [EPOCHS] [LIMIT]`:
//! the library entry behind `ganglion train`, for runs before the CLI wires it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report
use ganglion_train::{TrainOptions, train_from_spec};
use std::path::Path;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let spec = a
        .get(1)
        .map(String::as_str)
        .unwrap_or("examples/fmnist_snn.toml");
    let data = a.get(2).map(String::as_str).unwrap_or("fashion-mnist");
    let opts = TrainOptions {
        epochs: a.get(3).and_then(|s| s.parse().ok()),
        limit: a.get(4).and_then(|s| s.parse().ok()),
        resume: std::env::var("RESUME").is_ok(),
        progress: true,
        ..Default::default()
    };
    match train_from_spec(Path::new(spec), data, Path::new("data"), opts) {
        Ok(r) => println!("{}", r.json_line()),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
