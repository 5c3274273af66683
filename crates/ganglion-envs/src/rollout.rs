//! Rollouts: open-loop travelling-wave control, single episodes with their trajectories, and
//! batches of episodes run in parallel (one MuJoCo simulation per worker thread) with the
//! throughput measured.

use crate::swimmer::{Observation, Swimmer, SwimmerError};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// A controller: fills `action` (one control per joint, head to tail) for control step `t`
/// (0-based) of an episode, given the latest observation.
pub trait Policy: Sync {
    /// Writes the action for step `t`.
    fn act(&self, t: usize, obs: &Observation, action: &mut [f64]);
}

/// The open-loop travelling wave u_j(t) = A·sin(2π·t/P − j·F) for actuator j (0 nearest the
/// head) at control step t: a wave of period P control steps running head to tail with phase
/// lag F \[rad\] per joint.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SineWave {
    /// Amplitude A (controls are clamped to \[−1, 1\] by the model).
    pub amp: f64,
    /// Period P \[control steps\], > 0.
    pub period: f64,
    /// Phase lag F between neighbouring actuators \[rad\].
    pub phase: f64,
}

impl SineWave {
    /// Parses `"sine:amp=A,period=P,phase=F"` (keys in any order, each exactly once).
    pub fn parse(spec: &str) -> Result<SineWave, String> {
        let usage = "expected sine:amp=A,period=P,phase=F (e.g. sine:amp=1,period=30,phase=0.8)";
        let Some(rest) = spec.trim().strip_prefix("sine:") else {
            return Err(format!("control {spec:?}: unknown kind; {usage}"));
        };
        let (mut amp, mut period, mut phase) = (None, None, None);
        for part in rest.split(',') {
            let Some((k, v)) = part.split_once('=') else {
                return Err(format!(
                    "control {spec:?}: {part:?} is not key=value; {usage}"
                ));
            };
            let x: f64 = v
                .trim()
                .parse()
                .map_err(|_| format!("control {spec:?}: {k}={v:?} is not a number; {usage}"))?;
            if !x.is_finite() {
                return Err(format!("control {spec:?}: {k} must be finite, got {x}"));
            }
            let slot = match k.trim() {
                "amp" => &mut amp,
                "period" => &mut period,
                "phase" => &mut phase,
                other => {
                    return Err(format!(
                        "control {spec:?}: unknown key {other:?} (amp, period, phase); {usage}"
                    ));
                }
            };
            if slot.replace(x).is_some() {
                return Err(format!("control {spec:?}: {k} given twice"));
            }
        }
        let (Some(amp), Some(period), Some(phase)) = (amp, period, phase) else {
            return Err(format!(
                "control {spec:?}: amp, period and phase are all needed; {usage}"
            ));
        };
        if !(period > 0.0) {
            return Err(format!(
                "control {spec:?}: period must be > 0 control steps, got {period}"
            ));
        }
        Ok(SineWave { amp, period, phase })
    }

    /// u_j(t) for every actuator j.
    pub fn action(&self, t: usize, action: &mut [f64]) {
        let w = 2.0 * std::f64::consts::PI * t as f64 / self.period;
        for (j, u) in action.iter_mut().enumerate() {
            *u = self.amp * (w - j as f64 * self.phase).sin();
        }
    }
}

impl Policy for SineWave {
    fn act(&self, t: usize, _obs: &Observation, action: &mut [f64]) {
        self.action(t, action);
    }
}

/// One episode's record.
#[derive(Debug, Clone, PartialEq)]
pub struct Episode {
    /// Reward after each control step.
    pub rewards: Vec<f64>,
    /// Nose position (x, y) \[m\] after each control step.
    pub nose_xy: Vec<[f64; 2]>,
    /// Joint angles \[rad\] after each control step, steps × (links − 1), row-major.
    pub joints: Vec<f64>,
}

impl Episode {
    /// Sum of the rewards (the episode return).
    pub fn reward_sum(&self) -> f64 {
        self.rewards.iter().sum()
    }
}

/// How an episode starts.
#[derive(Debug, Clone, PartialEq)]
pub enum Start {
    /// dm_control's random initialisation from `RandomState(seed)` ([`Swimmer::reset`]).
    Seed(u32),
    /// A pose at rest ([`Swimmer::reset_to`]): joint angles (empty: zero), heading, target.
    Pose {
        /// Internal joint angles \[rad\] (empty: all 0).
        joints: Vec<f64>,
        /// Heading \[rad\].
        heading: f64,
        /// Target (x, y) \[m\].
        target: [f64; 2],
    },
}

/// Runs `steps` control steps of `policy` from `start` on `env`.
pub fn run_episode(
    env: &mut Swimmer,
    start: &Start,
    steps: usize,
    policy: &dyn Policy,
) -> Result<Episode, SwimmerError> {
    run_episode_with(env, start, steps, policy, &mut |_, _| {})
}

/// As [`run_episode`], calling `each(t, env)` after control step `t` (0-based), for drawing
/// frames or recording more than [`Episode`] keeps.
pub fn run_episode_with(
    env: &mut Swimmer,
    start: &Start,
    steps: usize,
    policy: &dyn Policy,
    each: &mut dyn FnMut(usize, &Swimmer),
) -> Result<Episode, SwimmerError> {
    let mut obs = match start {
        Start::Seed(s) => env.reset(*s),
        Start::Pose {
            joints,
            heading,
            target,
        } => env.reset_to(joints, *heading, *target)?,
    };
    let n = env.action_len();
    let mut ep = Episode {
        rewards: Vec::with_capacity(steps),
        nose_xy: Vec::with_capacity(steps),
        joints: Vec::with_capacity(steps * n),
    };
    let mut action = vec![0.0; n];
    for t in 0..steps {
        policy.act(t, &obs, &mut action);
        let (o, r) = env.step(&action)?;
        obs = o;
        ep.rewards.push(r);
        ep.nose_xy.push(env.nose_xy());
        ep.joints.extend_from_slice(&obs.joints);
        each(t, env);
    }
    if env.unstable_count() > 0 {
        return Err(SwimmerError::Unstable {
            resets: env.unstable_count(),
        });
    }
    Ok(ep)
}

/// A batch of episodes and its throughput.
#[derive(Debug, Clone)]
pub struct Batch {
    /// The episodes, in the order of the starts given (independent of the thread count).
    pub episodes: Vec<Episode>,
    /// Control steps run in all.
    pub env_steps: usize,
    /// Wall time of the rollouts (environment construction excluded) \[s\].
    pub seconds: f64,
    /// Worker threads used.
    pub threads: usize,
}

impl Batch {
    /// Control steps per second, all workers together.
    pub fn steps_per_second(&self) -> f64 {
        self.env_steps as f64 / self.seconds
    }
    /// Control steps per second per worker thread.
    pub fn steps_per_second_per_thread(&self) -> f64 {
        self.steps_per_second() / self.threads as f64
    }
}

/// Runs one episode per entry of `starts` (each `steps` control steps) on `threads` worker
/// threads, each with its own swimmer (its own MuJoCo model copy and data) built from `proto`.
/// Workers take episodes from a shared counter; results are placed by episode index, so they
/// do not depend on `threads`.
pub fn run_batch(
    proto: &Swimmer,
    starts: &[Start],
    steps: usize,
    threads: usize,
    policy: &dyn Policy,
) -> Result<Batch, SwimmerError> {
    let threads = threads.clamp(1, starts.len().max(1));
    let envs: Vec<Swimmer> = (0..threads).map(|_| proto.clone()).collect();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<Episode, SwimmerError>>>> =
        Mutex::new((0..starts.len()).map(|_| None).collect());
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for mut env in envs {
            let (next, results) = (&next, &results);
            s.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= starts.len() {
                        break;
                    }
                    let r = run_episode(&mut env, &starts[i], steps, policy);
                    results.lock().expect("a worker panicked")[i] = Some(r);
                }
            });
        }
    });
    let seconds = t0.elapsed().as_secs_f64();
    let episodes = results
        .into_inner()
        .expect("a worker panicked")
        .into_iter()
        .map(|r| r.expect("every episode index is taken by a worker"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Batch {
        env_steps: steps * starts.len(),
        episodes,
        seconds,
        threads,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_sine() {
        let w = SineWave::parse("sine:amp=0.5,period=30,phase=0.8").expect("valid");
        assert_eq!(
            w,
            SineWave {
                amp: 0.5,
                period: 30.0,
                phase: 0.8
            }
        );
        let w2 = SineWave::parse("sine:phase=0.8, period=30,amp=0.5").expect("any order");
        assert_eq!(w, w2);
    }

    #[test]
    fn parse_errors_name_the_problem() {
        let e = |s: &str| SineWave::parse(s).expect_err(s);
        assert!(e("cos:amp=1,period=2,phase=3").contains("unknown kind"));
        assert!(e("sine:amp=1,period=2").contains("all needed"));
        assert!(e("sine:amp=x,period=2,phase=1").contains("amp=\"x\" is not a number"));
        assert!(e("sine:amp=1,period=0,phase=1").contains("period must be > 0"));
        assert!(e("sine:amp=1,period=2,phase=1,amp=2").contains("given twice"));
        assert!(e("sine:amp=1,freq=2,phase=1").contains("unknown key \"freq\""));
        assert!(e("sine:amp=1;period=2").contains("not a number"));
        assert!(e("sine:amp=inf,period=2,phase=1").contains("finite"));
    }

    #[test]
    fn sine_values_by_hand() {
        let w = SineWave {
            amp: 2.0,
            period: 4.0,
            phase: std::f64::consts::FRAC_PI_2,
        };
        let mut u = [0.0; 3];
        // t = 1: 2·sin(π/2 − jπ/2) = 2, 0, −2.
        w.action(1, &mut u);
        assert!((u[0] - 2.0).abs() < 1e-15 && u[1].abs() < 1e-15 && (u[2] + 2.0).abs() < 1e-15);
        w.action(0, &mut u);
        assert_eq!(u[0], 0.0);
        assert!((u[1] + 2.0).abs() < 1e-15);
    }
}
