//! An open square gridworld with a hidden goal, observed as a small image, as in the foraging
//! gridworld of Fang & Stachenfeld (2024, ICLR, "Predictive auxiliary objectives in deep RL
//! mimic learning in the brain", arXiv:2310.06089; their `GridWorld` environment with the
//! `GRID` observation and a hidden goal).
//!
//! The arena is `side` × `side` open cells surrounded by a one-cell wall, so the observation
//! is a `(side + 2)` × `(side + 2)` image, row-major: −1 on wall pixels, +1 on the agent's
//! pixel, 0 elsewhere. The goal is not drawn. Actions 0–3 move up, down, left, right; a move
//! into the wall leaves the agent in place. Reaching the goal gives reward 1 and ends the
//! episode; every other step gives 0. States are numbered `row · side + col` (row 0 at the
//! top).

/// Errors from building a [`Gridworld`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GridError {
    /// The arena must have at least 2 × 2 cells.
    #[error("gridworld side {0} is too small: use a side of at least 2")]
    Side(usize),
    /// The goal must be one of the arena's cells.
    #[error(
        "gridworld goal state {goal} is outside the {side}×{side} arena (states 0..{n}): pass a state below {n}"
    )]
    Goal {
        /// The goal state given.
        goal: usize,
        /// The arena's side.
        side: usize,
        /// The number of states, side².
        n: usize,
    },
}

/// The number of actions (up, down, left, right).
pub const ACTIONS: usize = 4;

/// An open `side` × `side` arena with a hidden goal (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gridworld {
    side: usize,
    goal: usize,
}

impl Gridworld {
    /// An arena of `side` × `side` cells whose goal is state `goal` (`row · side + col`).
    pub fn new(side: usize, goal: usize) -> Result<Gridworld, GridError> {
        if side < 2 {
            return Err(GridError::Side(side));
        }
        if goal >= side * side {
            return Err(GridError::Goal {
                goal,
                side,
                n: side * side,
            });
        }
        Ok(Gridworld { side, goal })
    }

    /// Cells per side.
    pub fn side(&self) -> usize {
        self.side
    }

    /// The goal state.
    pub fn goal(&self) -> usize {
        self.goal
    }

    /// The same arena with the goal moved to `goal`.
    pub fn with_goal(&self, goal: usize) -> Result<Gridworld, GridError> {
        Gridworld::new(self.side, goal)
    }

    /// Number of states, side².
    pub fn states(&self) -> usize {
        self.side * self.side
    }

    /// Length of an observation, (side + 2)².
    pub fn obs_len(&self) -> usize {
        (self.side + 2) * (self.side + 2)
    }

    /// The state after taking action `a` (0 up, 1 down, 2 left, 3 right) in state `s`, and
    /// the reward (1 on entering the goal, else 0).
    pub fn step(&self, s: usize, a: usize) -> (usize, f64) {
        assert!(
            s < self.states() && a < ACTIONS,
            "gridworld step from state {s} with action {a}: states are 0..{}, actions 0..4",
            self.states()
        );
        let (r, c) = (s / self.side, s % self.side);
        let (r, c) = match a {
            0 => (r.saturating_sub(1), c),
            1 => ((r + 1).min(self.side - 1), c),
            2 => (r, c.saturating_sub(1)),
            _ => (r, (c + 1).min(self.side - 1)),
        };
        let next = r * self.side + c;
        (next, if next == self.goal { 1.0 } else { 0.0 })
    }

    /// Writes the observation of state `s` into `out` (length [`Gridworld::obs_len`]).
    pub fn observe(&self, s: usize, out: &mut [f64]) {
        let w = self.side + 2;
        assert!(
            out.len() == w * w && s < self.states(),
            "gridworld observation of state {s} into {} values: need {} values and a state below {}",
            out.len(),
            w * w,
            self.states()
        );
        for i in 0..w {
            for j in 0..w {
                let wall = i == 0 || j == 0 || i == w - 1 || j == w - 1;
                out[i * w + j] = if wall { -1.0 } else { 0.0 };
            }
        }
        let (r, c) = (s / self.side, s % self.side);
        out[(r + 1) * w + c + 1] = 1.0;
    }

    /// All observations, one row per state: `states × obs_len`, row-major.
    pub fn observations(&self) -> Vec<f64> {
        let m = self.obs_len();
        let mut v = vec![0.0; self.states() * m];
        for s in 0..self.states() {
            self.observe(s, &mut v[s * m..(s + 1) * m]);
        }
        v
    }

    /// Shortest-path length between two states (the Manhattan distance: the arena is open).
    pub fn distance(&self, a: usize, b: usize) -> usize {
        let (ra, ca) = (a / self.side, a % self.side);
        let (rb, cb) = (b / self.side, b % self.side);
        ra.abs_diff(rb) + ca.abs_diff(cb)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Breadth-first search over [`Gridworld::step`] gives the same distances as
    /// [`Gridworld::distance`].
    #[test]
    fn distance_matches_breadth_first_search() {
        let g = Gridworld::new(5, 7).unwrap();
        let n = g.states();
        for src in 0..n {
            let mut d = vec![usize::MAX; n];
            d[src] = 0;
            let mut queue = std::collections::VecDeque::from([src]);
            while let Some(s) = queue.pop_front() {
                for a in 0..ACTIONS {
                    let (t, _) = g.step(s, a);
                    if d[t] == usize::MAX {
                        d[t] = d[s] + 1;
                        queue.push_back(t);
                    }
                }
            }
            for (t, &dt) in d.iter().enumerate() {
                assert_eq!(dt, g.distance(src, t));
            }
        }
    }

    #[test]
    fn steps_walls_and_reward() {
        let g = Gridworld::new(3, 8).unwrap();
        assert_eq!(g.step(0, 0), (0, 0.0)); // into the top wall
        assert_eq!(g.step(0, 2), (0, 0.0)); // into the left wall
        assert_eq!(g.step(0, 1), (3, 0.0));
        assert_eq!(g.step(0, 3), (1, 0.0));
        assert_eq!(g.step(5, 1), (8, 1.0));
        assert_eq!(g.step(7, 3), (8, 1.0));
    }

    #[test]
    fn observation_image() {
        let g = Gridworld::new(2, 3).unwrap();
        let mut o = vec![0.0; 16];
        g.observe(1, &mut o);
        #[rustfmt::skip]
        let want = [
            -1.0, -1.0, -1.0, -1.0,
            -1.0,  0.0,  1.0, -1.0,
            -1.0,  0.0,  0.0, -1.0,
            -1.0, -1.0, -1.0, -1.0,
        ];
        assert_eq!(o, want);
        assert_eq!(g.observations()[16..32], want);
    }

    #[test]
    fn bad_input_names_the_fix() {
        assert_eq!(Gridworld::new(1, 0), Err(GridError::Side(1)));
        let e = Gridworld::new(3, 9).unwrap_err();
        assert!(e.to_string().contains("below 9"), "{e}");
    }
}
