//! `cargo run --release -p ganglion-train --example sim_predictions -- RUN_DIR [N]`:
//! run the trained circuit of a `ganglion train` output folder in ganglion-sim on the first N
//! test images (one spec per image, as `ganglion run` would run it) and compare each
//! prediction (most output spikes, lowest index on ties) with the twin's.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report
use ganglion_train::{Model, Trainer, write_sample_spec};
use std::path::Path;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let run = Path::new(
        a.get(1)
            .map(String::as_str)
            .unwrap_or("runs/fmnist_snn-train"),
    );
    let n: usize = a.get(2).and_then(|s| s.parse().ok()).unwrap_or(100);
    let t = Trainer::load_checkpoint(&run.join("checkpoint.json")).expect("checkpoint");
    let Model::Snn(s) = &t.model else {
        panic!("not an SNN run")
    };
    let test = ganglion_data::load_named(
        "fashion-mnist",
        Path::new("data"),
        ganglion_data::Split::Test,
    )
    .expect("data")
    .truncate(n);
    let trained = run.join("trained.toml");
    let (mut same, mut correct_sim, mut correct_twin) = (0, 0, 0);
    let t0 = std::time::Instant::now();
    for i in 0..test.len() {
        let x = t.test_input(&test, i);
        let twin = s.predict(std::slice::from_ref(&x))[0];
        let sp = run.join("sample.toml");
        write_sample_spec(&trained, "pixels", &x, s.steps, &sp).expect("sample spec");
        let r = ganglion_model::load_and_validate(&sp).expect("valid");
        let res = ganglion_sim::Network::build(&r)
            .expect("build")
            .run(None)
            .expect("run");
        let out = res
            .spikes
            .iter()
            .find(|d| d.population == "out")
            .expect("out monitor");
        let mut counts = vec![0f32; 10];
        out.senders.iter().for_each(|&k| counts[k as usize] += 1.0);
        let sim = ganglion_train::snn::argmax(&counts);
        same += (sim == twin) as usize;
        correct_sim += (sim == test.labels[i] as usize) as usize;
        correct_twin += (twin == test.labels[i] as usize) as usize;
    }
    println!(
        "{{\"samples\": {}, \"same_prediction\": {}, \"sim_accuracy\": {}, \"twin_accuracy\": {}, \"seconds\": {:.1}}}",
        test.len(),
        same,
        correct_sim as f64 / test.len() as f64,
        correct_twin as f64 / test.len() as f64,
        t0.elapsed().as_secs_f64()
    );
}
