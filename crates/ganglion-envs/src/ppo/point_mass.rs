//! A small control task without MuJoCo, on which PPO's tests check that it learns.

use super::*;

/// A point mass on a plane that must reach a goal — a small control task for testing PPO.
/// State: position p and velocity v (2-D each); action a ∈ \[−1, 1\]² (clamped) accelerates
/// it: v ← 0.7·v + 0.3·a, p ← p + 0.1·v. Observation (p, v, g − p); reward −|p − g| per
/// step. Episodes start at rest at a random p with a random goal g, both uniform in
/// \[−1, 1\]², and last `horizon` steps.
#[derive(Debug, Clone)]
pub struct PointMass {
    p: [f64; 2],
    v: [f64; 2],
    g: [f64; 2],
    horizon: usize,
}

impl PointMass {
    /// A point mass with episodes of `horizon` steps.
    pub fn new(horizon: usize) -> PointMass {
        PointMass {
            p: [0.0; 2],
            v: [0.0; 2],
            g: [0.0; 2],
            horizon,
        }
    }
    fn obs(&self) -> Vec<f64> {
        vec![
            self.p[0],
            self.p[1],
            self.v[0],
            self.v[1],
            self.g[0] - self.p[0],
            self.g[1] - self.p[1],
        ]
    }
}

impl Env for PointMass {
    fn obs_len(&self) -> usize {
        6
    }
    fn act_len(&self) -> usize {
        2
    }
    fn horizon(&self) -> usize {
        self.horizon
    }
    fn reset(&mut self, seed: u32) -> Result<Vec<f64>, String> {
        let mut r = RandomState::new(seed);
        self.p = [r.uniform(-1.0, 1.0), r.uniform(-1.0, 1.0)];
        self.g = [r.uniform(-1.0, 1.0), r.uniform(-1.0, 1.0)];
        self.v = [0.0; 2];
        Ok(self.obs())
    }
    fn step(&mut self, action: &[f64]) -> Result<(Vec<f64>, f64), String> {
        if action.len() != 2 || action.iter().any(|a| !a.is_finite()) {
            return Err(format!(
                "point mass: action must be 2 finite numbers, got {action:?}"
            ));
        }
        for (k, a) in action.iter().enumerate() {
            self.v[k] = 0.7 * self.v[k] + 0.3 * a.clamp(-1.0, 1.0);
            self.p[k] += 0.1 * self.v[k];
        }
        let d = ((self.p[0] - self.g[0]).powi(2) + (self.p[1] - self.g[1]).powi(2)).sqrt();
        Ok((self.obs(), -d))
    }
}
