//! Ganglion's embodied environments: real MuJoCo physics, loaded at run time, and the
//! DeepMind Control Suite swimmer built on it.
//!
//! - [`mujoco`]: the C library `libmujoco.so.4.0.0` opened with `libloading` (from
//!   `$GANGLION_MUJOCO` or `data/mujoco/`, which `scripts/fetch-data.sh mujoco` fills), and a
//!   small safe wrapper: [`mujoco::Model`] (compiled MJCF), [`mujoco::Simulation`] (one
//!   `mjData`: step, reset, forward, full-state save/restore, the arrays a task reads). The
//!   workspace builds and tests without the library; code that needs it gets
//!   [`mujoco::MujocoError::NotFound`] with the fetch command.
//! - [`swimmer`]: dm_control's n-link swimmer — the model generated from its template, its
//!   observations, its tolerance-shaped reward, its random episode starts, its 30 ms control
//!   step and 1000-step episodes.
//! - [`rewards`]: dm_control's `tolerance` and its sigmoids.
//! - [`random`]: NumPy's `RandomState` (MT19937), so that seeded episode starts match
//!   dm_control's.
//! - [`rollout`]: open-loop travelling waves, episodes with trajectories, and parallel batches
//!   with steps per second.
//! - [`draw`]: an episode's joint angles as a kymograph and frames of the body, as SVG.
//! - [`es`]: OpenAI-style evolution strategies (antithetic sampling, centred-rank fitness
//!   shaping, Adam), parallel over the population, as the NCAP repository trains.
//! - [`mlp`]: the MLP policy NCAP is compared with (tanh hidden layers, flat parameters).
//! - [`ncap`]: the C. elegans-inspired swimming circuit NCAP (Bhattasali, Zador & Engel 2022)
//!   as a swimmer policy: head oscillator, B-neuron chain, antagonistic muscles, four shared
//!   sign-constrained weights (or per-joint, or unconstrained variants).
//! - [`ppo`]: proximal policy optimisation (Gaussian policy, GAE, clipped surrogate, Adam)
//!   with hand-written gradients, for MLP and NCAP actors; a point-mass test task.
//! - [`gridworld`], [`predictive_dqn`]: an open gridworld with a hidden goal seen as a small
//!   image, and deep Q-learning with a predictive auxiliary objective (Fang & Stachenfeld 2024).
//! - [`swim`]: the NCAP paper's swim-forward task on the swimmer (reward for forward speed,
//!   target hidden), as a PPO environment and for parallel episode returns.

#![deny(unsafe_code)]

pub mod draw;
pub mod es;
pub mod gridworld;
pub mod mlp;
#[allow(unsafe_code)] // the FFI layer: all of the crate's unsafe code
pub mod mujoco;
pub mod ncap;
pub mod ppo;
pub mod predictive_dqn;
pub mod random;
pub mod rewards;
pub mod rollout;
pub mod swim;
pub mod swimmer;
