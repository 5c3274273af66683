//! Probe of the `predictive-aux-rl` study's horizon claim: with the small encoder and the full
//! mode's arena and budget, the study's one-step agent against a long-horizon (γp = 0.8) agent
//! with chosen auxiliary weights — by default the authors' selected γp = 0.8 model (positive
//! 10⁻⁴, both negative samples 1; `selected_models` in their `model_parameters/gridworld.py`)
//! instead of the study's (positive 4·10⁻⁴, negatives 10⁻²). Prints the paired transfer-AUC
//! difference (long − one step) with its 95 % interval, and each agent's map correlation and
//! participation ratio.
//!
//! ```sh
//! cargo run --release -p ganglion-studies --example predictive_probe -- [SEEDS [NEGATIVE [POSITIVE]]]
//! ```
use ganglion_envs::predictive_dqn::AuxWeights;
use ganglion_studies::studies::predictive_aux_rl::{agents, train_agent};
use ganglion_studies::{Mode, SeedStats, par_map};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize, default: f64, what: &str| -> f64 {
        args.get(i).map_or(default, |s| {
            s.parse().unwrap_or_else(|_| panic!("{what} is a number"))
        })
    };
    let seeds = number(0, 30.0, "SEEDS") as u32;
    let negative = number(1, 1.0, "NEGATIVE");
    let positive = number(2, 1e-4, "POSITIVE");
    let one_step = agents()[1].1;
    let long = AuxWeights {
        positive,
        neg_neighbor: negative,
        neg_random: negative,
        ..agents()[2].1
    };
    let t = std::time::Instant::now();
    let runs = par_map(2 * seeds as usize, |k| {
        let aux = if k % 2 == 0 { one_step } else { long };
        train_agent(Mode::Full, 1 + (k / 2) as u32, 0, aux)
    });
    let pick =
        |parity: usize, f: &dyn Fn(&ganglion_studies::studies::predictive_aux_rl::Run) -> f64| {
            runs.iter()
                .skip(parity)
                .step_by(2)
                .map(f)
                .collect::<Vec<f64>>()
        };
    let diff: Vec<f64> = pick(1, &|r| r.transfer_auc)
        .iter()
        .zip(pick(0, &|r| r.transfer_auc))
        .map(|(l, s)| l - s)
        .collect();
    let show = |name: &str, v: &[f64]| {
        let st = SeedStats::new(v);
        println!(
            "{name:<44} {:+.4} [{:+.4}, {:+.4}]",
            st.mean, st.ci_low, st.ci_high
        );
    };
    println!(
        "{seeds} seeds; long horizon γp = {}: positive {positive:e}, negatives {negative:e}",
        long.horizon
    );
    show("transfer AUC, long − one step (paired)", &diff);
    for (parity, name) in [(0, "one step"), (1, "long horizon")] {
        show(&format!("{name}: AUC"), &pick(parity, &|r| r.auc));
        show(
            &format!("{name}: transfer AUC"),
            &pick(parity, &|r| r.transfer_auc),
        );
        show(
            &format!("{name}: map correlation"),
            &pick(parity, &|r| r.map_r),
        );
        show(
            &format!("{name}: participation ratio"),
            &pick(parity, &|r| r.dimension),
        );
    }
    println!("{:.0} s", t.elapsed().as_secs_f64());
}
