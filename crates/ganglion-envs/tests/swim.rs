//! The swim-forward task on the real MuJoCo swimmer (skipped with a note where MuJoCo is not
//! fetched), and a first look at the learners on it.

use ganglion_envs::mlp::Mlp;
use ganglion_envs::mujoco::{self, MujocoError};
use ganglion_envs::ncap::{Ncap, NcapConfig};
use ganglion_envs::ppo::{MlpActor, NcapActor};
use ganglion_envs::swim::{Swim, mean_return, returns};
use ganglion_envs::swimmer::Swimmer;
use std::time::Instant;

fn have_mujoco() -> bool {
    match mujoco::load() {
        Ok(_) => true,
        Err(MujocoError::NotFound { .. }) => {
            eprintln!("skipped: MuJoCo not fetched (scripts/fetch-data.sh mujoco)");
            false
        }
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn ncap_swims_forward_and_zero_torque_does_not() {
    if !have_mujoco() {
        return;
    }
    let env = Swim::new(Swimmer::new(6).expect("swimmer"), 300);
    let seeds: Vec<u32> = (0..4).collect();
    let ncap = NcapActor::new(Ncap::new(NcapConfig::paper(5), 0));
    let t0 = Instant::now();
    let r = returns(&env, &ncap, &seeds, 2).expect("episodes");
    eprintln!("NCAP returns {r:?} in {:?}", t0.elapsed());
    // Zero torque: a MLP whose weights are all 0 outputs 0; the body only drifts.
    let mut zero = Mlp::new(&[23, 4, 5], 0);
    zero.set_params(&vec![0.0; zero.params().len()]);
    let still = mean_return(&env, &MlpActor(zero), &seeds, 2).expect("episodes");
    eprintln!("zero-torque return {still}");
    assert!(still < 5.0, "a body without torque earned {still}");
    // The initial circuit swims at a good fraction of 0.1 m/s within the first periods.
    let m = r.iter().sum::<f64>() / r.len() as f64;
    assert!(m > 150.0, "NCAP return {m} over 300 steps");
    assert_eq!(r, returns(&env, &ncap, &seeds, 1).expect("episodes"));
}
