//! Writes a few example figures: `cargo run -p ganglion-plot --example gallery -- OUT_DIR`.

use ganglion_plot::{Figure, Legend, Panel, RasterOptions, raster, save};

fn main() -> Result<(), ganglion_plot::PlotError> {
    let out = std::env::args().nth(1).unwrap_or_else(|| "gallery".into());
    let out = std::path::Path::new(&out);
    let n: Vec<f64> = (3..200).map(|k| f64::from(k) * 100.0).collect();
    let fig = Figure::new("log-y lines, dashed and scatter").panel(
        Panel::new("n [cells]", "probability")
            .log_y()
            .line(
                "a = 64",
                n.iter().map(|&x| (x, (x / 300.0).powf(-12.0))).collect(),
            )
            .dashed(
                "a = 128",
                n.iter()
                    .map(|&x| (x, 0.3 * (x / 300.0).powf(-9.0)))
                    .collect(),
            )
            .scatter(
                "simulated",
                n.iter()
                    .step_by(10)
                    .map(|&x| (x, (x / 300.0).powf(-12.0)))
                    .collect(),
            )
            .legend(Legend::UpperRight),
    );
    save(&fig, out.join("lines"))?;

    // A toy raster: 100 neurons firing at a rate modulated at 10 Hz.
    let (mut t, mut id) = (Vec::new(), Vec::new());
    let mut x: u64 = 12345;
    for step in 0..5000u32 {
        let time = f64::from(step) * 0.1; // [ms]
        let p = 0.002 * (1.0 + (2.0 * std::f64::consts::PI * time / 100.0).sin());
        for neuron in 0..100u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if (x >> 11) as f64 / (1u64 << 53) as f64 <= p {
                t.push(time);
                id.push(neuron);
            }
        }
    }
    let half = t.len() / 2;
    let opts = RasterOptions {
        rate_bin_ms: Some(5.0),
        population_sizes: Some(vec![100, 100]),
        ..RasterOptions::default()
    };
    raster(
        &[
            ("exc", &t[..half], &id[..half]),
            ("inh", &t[half..], &id[half..]),
        ],
        &opts,
        out.join("raster"),
    )?;
    Ok(())
}
