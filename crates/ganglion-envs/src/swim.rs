//! The swim-forward task of the NCAP paper (Bhattasali, Zador & Engel 2022; its repository's
//! `neurobo/ncap/envs.py`, task `swim`): dm_control's n-link swimmer ([`crate::swimmer`]) with
//! the same random episode starts, but rewarded for swimming forward rather than for reaching
//! the target (which is hidden).
//!
//! - Observation: the n − 1 joint angles \[rad\] then the body velocities (vx, vy, ωz of the
//!   head and each segment), as `Swim.get_observation` (no target vector): length
//!   (n − 1) + 3n.
//! - Reward: `tolerance(v, bounds = (0.1, ∞), margin = 0.1, value_at_margin = 0, linear)`
//!   with v = −(head velocimeter y), the head's forward speed \[m/s\]: 0 when still or
//!   swimming backwards, rising linearly to 1 at 0.1 m/s and above. An episode's return is at
//!   most its length (1000 in the paper).

use crate::ppo::{Actor, ActorInput, Env};
use crate::rewards::{self, Sigmoid};
use crate::swimmer::{Observation, Swimmer, SwimmerError};

/// The speed \[m/s\] above which the reward is 1 (`_SWIM_SPEED`).
pub const SWIM_SPEED: f64 = 0.1;

/// The swim reward for forward speed `v` \[m/s\].
pub fn swim_reward(v: f64) -> f64 {
    rewards::tolerance(
        v,
        (SWIM_SPEED, f64::INFINITY),
        SWIM_SPEED,
        Sigmoid::Linear,
        0.0,
    )
}

/// The task's observation from the swimmer's: joints, then body velocities.
pub fn swim_observation(obs: &Observation) -> Vec<f64> {
    let mut v = obs.joints.clone();
    v.extend_from_slice(&obs.body_velocities);
    v
}

/// The swim task on one swimmer, with episodes of `horizon` control steps.
#[derive(Clone)]
pub struct Swim {
    swimmer: Swimmer,
    horizon: usize,
}

impl Swim {
    /// The task on `swimmer` (any link count) with episodes of `horizon` control steps (the
    /// paper's 1000).
    pub fn new(swimmer: Swimmer, horizon: usize) -> Swim {
        Swim { swimmer, horizon }
    }

    /// The swimmer.
    pub fn swimmer(&self) -> &Swimmer {
        &self.swimmer
    }

    /// Observation length (n − 1) + 3n for n links.
    pub fn observation_len(&self) -> usize {
        let n = self.swimmer.links();
        (n - 1) + 3 * n
    }

    fn reward_of(obs: &Observation) -> f64 {
        swim_reward(-obs.body_velocities[1])
    }

    /// Runs one episode from dm_control's random start `seed`, acting with `actor`'s mean
    /// on the raw observation (no normalisation); returns the rewards.
    pub fn episode<A: Actor>(&mut self, actor: &A, seed: u32) -> Result<Vec<f64>, SwimmerError> {
        let mut obs = swim_observation(&self.swimmer.reset(seed));
        let mut action = vec![0.0; self.swimmer.action_len()];
        let mut rewards = Vec::with_capacity(self.horizon);
        for t in 0..self.horizon {
            actor.mean(
                &ActorInput {
                    raw: &obs,
                    norm: &obs,
                    t,
                },
                &mut action,
            );
            let (o, _) = self.swimmer.step(&action)?;
            rewards.push(Self::reward_of(&o));
            obs = swim_observation(&o);
        }
        if self.swimmer.unstable_count() > 0 {
            return Err(SwimmerError::Unstable {
                resets: self.swimmer.unstable_count(),
            });
        }
        Ok(rewards)
    }
}

impl Env for Swim {
    fn obs_len(&self) -> usize {
        self.observation_len()
    }
    fn act_len(&self) -> usize {
        self.swimmer.action_len()
    }
    fn horizon(&self) -> usize {
        self.horizon
    }
    fn reset(&mut self, seed: u32) -> Result<Vec<f64>, String> {
        Ok(swim_observation(&self.swimmer.reset(seed)))
    }
    fn step(&mut self, action: &[f64]) -> Result<(Vec<f64>, f64), String> {
        let (o, _) = self.swimmer.step(action).map_err(|e| e.to_string())?;
        Ok((swim_observation(&o), Self::reward_of(&o)))
    }
}

/// Mean return of `actor`'s mean over episodes from `seeds`, run in parallel on `threads`
/// copies of `proto` (results independent of `threads`).
pub fn mean_return<A: Actor>(
    proto: &Swim,
    actor: &A,
    seeds: &[u32],
    threads: usize,
) -> Result<f64, SwimmerError> {
    let returns = returns(proto, actor, seeds, threads)?;
    Ok(returns.iter().sum::<f64>() / returns.len().max(1) as f64)
}

/// Each episode's return (see [`mean_return`]), in the order of `seeds`.
pub fn returns<A: Actor>(
    proto: &Swim,
    actor: &A,
    seeds: &[u32],
    threads: usize,
) -> Result<Vec<f64>, SwimmerError> {
    let threads = threads.clamp(1, seeds.len().max(1));
    let chunk = seeds.len().div_ceil(threads).max(1);
    let parts: Vec<Result<Vec<f64>, SwimmerError>> = std::thread::scope(|s| {
        let handles: Vec<_> = seeds
            .chunks(chunk)
            .map(|c| {
                let mut env = proto.clone();
                s.spawn(move || {
                    c.iter()
                        .map(|&seed| env.episode(actor, seed).map(|r| r.iter().sum::<f64>()))
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("an episode worker panicked"))
            .collect()
    });
    let mut out = Vec::with_capacity(seeds.len());
    for p in parts {
        out.extend(p?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reward_is_linear_up_to_the_desired_speed() {
        assert_eq!(swim_reward(-0.05), 0.0);
        assert_eq!(swim_reward(0.0), 0.0);
        assert!((swim_reward(0.025) - 0.25).abs() < 1e-12);
        assert!((swim_reward(0.07) - 0.7).abs() < 1e-12);
        assert_eq!(swim_reward(0.1), 1.0);
        assert_eq!(swim_reward(0.5), 1.0);
    }

    #[test]
    fn observation_drops_the_target() {
        let o = Observation {
            joints: vec![0.1, 0.2],
            to_target: [5.0, 6.0],
            body_velocities: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
        };
        assert_eq!(
            swim_observation(&o),
            vec![0.1, 0.2, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
        );
        // Forward is −y in the head's frame: the reward reads −vy of the head.
        assert_eq!(Swim::reward_of(&o), 0.0);
    }
}
