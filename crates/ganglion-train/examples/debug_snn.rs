use ganglion_train::{
    config::TrainFile,
    train::{Model, trainer_from_resolved},
};
use std::path::Path;
fn main() {
    let r = ganglion_model::load_and_validate(Path::new("examples/fmnist_snn.toml")).unwrap();
    let cfg = TrainFile::default().resolve().unwrap();
    let t = trainer_from_resolved(&r, cfg, 784).unwrap();
    let set = ganglion_data::load_named(
        "fashion-mnist",
        Path::new("data"),
        ganglion_data::Split::Test,
    )
    .unwrap()
    .truncate(5);
    if let Model::Snn(s) = &t.model {
        println!("k {:?}", s.layers[0].k);
        let w = &s.layers[0].w;
        let m: f32 = w.iter().map(|x| x * x).sum::<f32>() / w.len() as f32;
        println!("w0 rms {}", m.sqrt());
        for i in 0..5 {
            let x = t.test_input(&set, i);
            let (sp, tapes) = s.forward_sample(&x);
            let cnt: Vec<usize> = sp
                .iter()
                .map(|v| v.iter().map(|&b| b as usize).sum())
                .collect();
            let amax = tapes[0].a.iter().cloned().fold(f32::MIN, f32::max);
            println!(
                "in {} spikes per layer {:?} max a0 {}",
                x.iter().map(|&b| b as usize).sum::<usize>(),
                cnt,
                amax
            );
        }
    }
}
