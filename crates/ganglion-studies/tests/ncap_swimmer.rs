//! The `ncap-swimmer` study in quick mode, where `scripts/fetch-data.sh mujoco` has fetched
//! MuJoCo (skipped otherwise, with a note; CI fetches it).

mod common;

use common::{check, run_quick};
use ganglion_studies::{Mode, run_study};

fn have_mujoco() -> bool {
    match ganglion_envs::mujoco::load() {
        Ok(_) => true,
        Err(ganglion_envs::mujoco::MujocoError::NotFound { .. }) => {
            eprintln!("skipped: MuJoCo not fetched (scripts/fetch-data.sh mujoco)");
            false
        }
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn ncap_swimmer_quick_if_mujoco() {
    if !have_mujoco() {
        // Without MuJoCo the study says how to get it.
        let tmp = tempfile::tempdir().expect("tempdir");
        let e = run_study("ncap-swimmer", Mode::Quick, Some(tmp.path().join("x")))
            .expect_err("no MuJoCo");
        assert!(
            e.to_string().contains("scripts/fetch-data.sh mujoco"),
            "{e}"
        );
        return;
    }
    let (outcome, metrics) = run_quick("ncap-swimmer", &["learning_curves"]);
    let learners = metrics["tables"]["learners"].as_array().expect("learners");
    assert_eq!(learners.len(), 5);
    let params: Vec<u64> = learners
        .iter()
        .map(|l| l["parameters"].as_u64().expect("count"))
        .collect();
    // NCAP ES, NCAP unconstrained ES, MLP ES, NCAP PPO, MLP PPO.
    assert_eq!(params, [4, 4, 6021, 4, 6021]);
    // Quick mode: 3 rounds of 8 episodes of 100 steps, evaluated after each.
    let curves = metrics["tables"]["curves"].as_array().expect("curves");
    assert_eq!(curves.len(), 5 * 4);
    assert_eq!(curves[3]["env_steps"].as_f64(), Some(2400.0));
    assert_eq!(
        check(&outcome, "parameter_ratio_mlp_over_ncap").value,
        6021.0 / 4.0
    );
    // NCAP swims from the start; the MLP does not.
    assert!(check(&outcome, "ncap_initial_reward_per_step").value > 0.5);
    assert!(check(&outcome, "mlp_initial_reward_per_step").value < 0.2);
    // The MLP does not reach NCAP's untrained return within quick mode's 2400 steps
    // (censored at the budget plus one round).
    assert_eq!(
        check(&outcome, "mlp_steps_to_ncap_initial_es").value,
        3200.0
    );
    assert_eq!(outcome.checks.len(), 12);
    let transfer = metrics["tables"]["transfer"].as_array().expect("transfer");
    assert_eq!(transfer.len(), 2 * 2);
    // The oscillator-period sweep: one row per period, sign-respecting grid weights, and a
    // best grid point that swims forward at the paper's period.
    let periods = metrics["tables"]["oscillator_periods"]
        .as_array()
        .expect("oscillator_periods");
    let listed: Vec<u64> = periods
        .iter()
        .map(|r| r["period"].as_u64().expect("period"))
        .collect();
    assert_eq!(listed, [30, 40, 50, 60, 80, 100]);
    for r in periods {
        let w: Vec<f64> = r["best_grid_weights"]
            .as_array()
            .expect("weights")
            .iter()
            .map(|v| v.as_f64().expect("weight"))
            .collect();
        assert!(w[..3].iter().all(|&x| x > 0.0) && w[3] < 0.0, "{w:?}");
        assert!(r["best_grid_return"].as_f64().expect("return").is_finite());
    }
    assert!(periods[3]["best_grid_return"].as_f64().expect("return") > 0.0);
}
