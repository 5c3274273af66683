//! `ganglion env rollout|bench|es|xml`: the MuJoCo swimmer from the command line — one
//! rollout to compare step for step with dm_control, throughput of parallel rollouts, NCAP
//! trained by evolution strategies to a reward threshold, and the generated model.

use anyhow::{Context, Result, bail};
use clap::{Subcommand, ValueEnum};
use ganglion_base::files::write_atomic;
use ganglion_envs::draw::{frame_svg, kymograph_svg};
use ganglion_envs::rollout::{Episode, SineWave, Start, run_batch, run_episode_with};
use ganglion_envs::swimmer::{CONTROL_TIMESTEP, Swimmer, joint_limit, swimmer_xml};
use ganglion_plot::{Figure, Panel};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `ganglion env ...`
#[derive(Subcommand)]
pub enum EnvCommand {
    /// Run one episode of the n-link swimmer under an open-loop travelling wave and print the
    /// reward sum and the nose's path (the nose position after every control step).
    Rollout {
        /// Number of links (≥ 3).
        #[arg(long, default_value_t = 6)]
        links: usize,
        /// Control steps (30 ms each; dm_control's episode is 1000).
        #[arg(long, default_value_t = 1000)]
        steps: usize,
        /// Start: `zero` (all joints 0, at rest, heading 0) or `random` (dm_control's random
        /// start drawn from RandomState(--seed), target included).
        #[arg(long, value_enum, default_value_t = Init::Zero)]
        init: Init,
        /// Seed of the random start (with --init random; default 0).
        #[arg(long)]
        seed: Option<u32>,
        /// Target centre `X,Y` in metres (with --init zero; default 1,1, dm_control's
        /// template position).
        #[arg(long, allow_hyphen_values = true)]
        target: Option<String>,
        /// Control u_j(t) = A·sin(2π·t/P − j·F) for actuator j (0 nearest the head) at
        /// control step t: `sine:amp=A,period=P,phase=F` (P in control steps, F in radians).
        #[arg(long, default_value = "sine:amp=1,period=60,phase=1.5")]
        control: String,
        /// Print `{"reward_sum": ..., "nose_xy": [[x, y], ...]}`.
        #[arg(long)]
        json: bool,
        /// Write figures into this folder (created if missing): trajectory.svg/.png (nose
        /// position over time and its path) and kymograph.svg (joint angles over time).
        #[arg(long)]
        plot: Option<PathBuf>,
        /// With --plot, also draw the body every K control steps as frame_NNNN.svg.
        #[arg(long, requires = "plot")]
        frames: Option<usize>,
    },
    /// Time batched rollouts (one MuJoCo simulation per thread) and print control steps per
    /// second.
    Bench {
        /// Number of links (≥ 3).
        #[arg(long, default_value_t = 6)]
        links: usize,
        /// Starts: `random` (dm_control's random starts, seeds 0..episodes) or `zero` (every
        /// episode from the model's reference state, as `mj_resetData` leaves it: all joints
        /// 0, at rest, heading 0, the target at (1, 1); what a bare bindings loop runs).
        #[arg(long, value_enum, default_value_t = Init::Random)]
        init: Init,
        /// Episodes.
        #[arg(long, default_value_t = 8)]
        episodes: usize,
        /// Control steps per episode.
        #[arg(long, default_value_t = 1000)]
        steps: usize,
        /// Worker threads.
        #[arg(long, default_value_t = 1)]
        threads: usize,
        /// The open-loop control (as for `rollout`).
        #[arg(long, default_value = "sine:amp=1,period=60,phase=1.5")]
        control: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Train NCAP (the paper's four shared, sign-constrained weights) on the swim task with
    /// evolution strategies (the NCAP repository's settings: population 8, σ 0.02, Adam 0.01)
    /// until the mean return over the evaluation episodes reaches --threshold or --generations
    /// run out. Generation g's population is evaluated on dm_control's random start
    /// 100000·seed + g, the evaluation on starts 900000, 900001, ...
    Es {
        /// Number of links (≥ 3).
        #[arg(long, default_value_t = 6)]
        links: usize,
        /// Most generations.
        #[arg(long, default_value_t = 40)]
        generations: usize,
        /// Stop when the evaluation return reaches this (sum of rewards over an episode, at
        /// most --horizon).
        #[arg(long)]
        threshold: Option<f64>,
        /// Evaluation episodes after each generation.
        #[arg(long, default_value_t = 3)]
        eval_episodes: usize,
        /// Control steps per episode (the paper's 1000).
        #[arg(long, default_value_t = 1000)]
        horizon: usize,
        /// Seed of the perturbations and of the training starts.
        #[arg(long, default_value_t = 1)]
        seed: u32,
        /// Worker threads evaluating the population and the evaluation episodes.
        #[arg(long, default_value_t = 1)]
        threads: usize,
        /// Print JSON: every generation's wall time, return and parameters.
        #[arg(long)]
        json: bool,
    },
    /// Print the generated MJCF of the n-link swimmer.
    Xml {
        /// Number of links (≥ 3).
        #[arg(long, default_value_t = 6)]
        links: usize,
    },
}

/// How a rollout starts.
#[derive(Clone, Copy, ValueEnum)]
pub enum Init {
    /// All joints at 0, at rest, heading 0, the target at --target.
    Zero,
    /// dm_control's random start from RandomState(--seed).
    Random,
}

pub fn env(cmd: EnvCommand) -> Result<ExitCode> {
    match cmd {
        EnvCommand::Rollout {
            links,
            steps,
            init,
            seed,
            target,
            control,
            json,
            plot,
            frames,
        } => {
            let wave = SineWave::parse(&control).map_err(anyhow::Error::msg)?;
            if frames == Some(0) {
                bail!("--frames must be at least 1 (draw the body every K control steps)");
            }
            let start = match init {
                Init::Zero => {
                    if seed.is_some() {
                        bail!("--seed draws a random start: use it with --init random");
                    }
                    Start::Pose {
                        joints: vec![],
                        heading: 0.0,
                        target: parse_xy(target.as_deref().unwrap_or("1,1"))?,
                    }
                }
                Init::Random => {
                    if target.is_some() {
                        bail!(
                            "--init random draws the target too (as dm_control does); give \
                             --target with --init zero"
                        );
                    }
                    Start::Seed(seed.unwrap_or(0))
                }
            };
            let mut env = Swimmer::new(links)?;
            if let Some(dir) = &plot {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
            }
            // Frames are drawn as the episode runs (the body is not kept in the Episode).
            let mut drawn = Vec::new();
            let mut each = |t: usize, env: &Swimmer| {
                if let (Some(k), Some(dir)) = (frames, &plot)
                    && t % k == k - 1
                {
                    let nose = env.nose_xy();
                    let svg = frame_svg(
                        &env.joint_points(),
                        nose,
                        env.target(),
                        env.target_size(),
                        [nose[0], nose[1]],
                        1.0,
                        &format!("control step {} (t = {:.2} s)", t + 1, env.sim().time()),
                    );
                    drawn.push((dir.join(format!("frame_{:04}.svg", t + 1)), svg));
                }
            };
            let ep = run_episode_with(&mut env, &start, steps, &wave, &mut each)?;
            for (path, svg) in &drawn {
                write_atomic(path, svg.as_bytes())
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            if let Some(dir) = &plot {
                figures(dir, &ep, links, &control)?;
            }
            let mut out = std::io::stdout().lock();
            if json {
                // Field order as the issue specifies it (serde_json's map would sort the keys).
                #[derive(serde::Serialize)]
                struct Rollout<'a> {
                    reward_sum: f64,
                    nose_xy: &'a [[f64; 2]],
                }
                let v = Rollout {
                    reward_sum: ep.reward_sum(),
                    nose_xy: &ep.nose_xy,
                };
                writeln!(out, "{}", serde_json::to_string(&v)?)?;
            } else {
                let last = ep.nose_xy.last().copied().unwrap_or(env.nose_xy());
                writeln!(
                    out,
                    "{links}-link swimmer, {steps} control steps: reward sum {:.4}, nose at \
                     ({:.4}, {:.4}) m, target at ({:.4}, {:.4}) m",
                    ep.reward_sum(),
                    last[0],
                    last[1],
                    env.target()[0],
                    env.target()[1]
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        EnvCommand::Bench {
            links,
            init,
            episodes,
            steps,
            threads,
            control,
            json,
        } => {
            let wave = SineWave::parse(&control).map_err(anyhow::Error::msg)?;
            if episodes == 0 || steps == 0 || threads == 0 {
                bail!(
                    "--episodes, --steps and --threads must be at least 1 (got {episodes}, \
                     {steps}, {threads})"
                );
            }
            let proto = Swimmer::new(links)?;
            let starts: Vec<Start> = match init {
                Init::Random => (0..episodes as u32).map(Start::Seed).collect(),
                Init::Zero => vec![
                    Start::Pose {
                        joints: vec![],
                        heading: 0.0,
                        target: [1.0, 1.0],
                    };
                    episodes
                ],
            };
            let b = run_batch(&proto, &starts, steps, threads, &wave)?;
            let mut out = std::io::stdout().lock();
            if json {
                let v = serde_json::json!({
                    "links": links,
                    "init": if matches!(init, Init::Zero) { "zero" } else { "random" },
                    "episodes": episodes,
                    "steps": steps,
                    "threads": b.threads,
                    "env_steps": b.env_steps,
                    "physics_steps": b.env_steps * proto.substeps(),
                    "seconds": b.seconds,
                    "steps_per_second": b.steps_per_second(),
                    "steps_per_second_per_thread": b.steps_per_second_per_thread(),
                });
                writeln!(out, "{v}")?;
            } else {
                writeln!(
                    out,
                    "{} control steps ({} physics steps) in {:.3} s on {} thread(s): {:.0} \
                     steps/s, {:.0} per thread",
                    b.env_steps,
                    b.env_steps * proto.substeps(),
                    b.seconds,
                    b.threads,
                    b.steps_per_second(),
                    b.steps_per_second_per_thread()
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        EnvCommand::Es {
            links,
            generations,
            threshold,
            eval_episodes,
            horizon,
            seed,
            threads,
            json,
        } => es(
            links,
            generations,
            threshold,
            eval_episodes,
            horizon,
            seed,
            threads,
            json,
        ),
        EnvCommand::Xml { links } => {
            write!(std::io::stdout().lock(), "{}", swimmer_xml(links)?)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `ganglion env es`: NCAP trained by ES to a return threshold, timed.
#[allow(clippy::too_many_arguments)]
fn es(
    links: usize,
    generations: usize,
    threshold: Option<f64>,
    eval_episodes: usize,
    horizon: usize,
    seed: u32,
    threads: usize,
    json: bool,
) -> Result<ExitCode> {
    use ganglion_envs::es::{Es, EsConfig};
    use ganglion_envs::ncap::{Ncap, NcapConfig};
    use ganglion_envs::ppo::{Actor, NcapActor};
    use ganglion_envs::swim::{Swim, mean_return};
    if generations == 0 || eval_episodes == 0 || horizon == 0 || threads == 0 {
        bail!(
            "--generations, --eval-episodes, --horizon and --threads must be at least 1 (got \
             {generations}, {eval_episodes}, {horizon}, {threads})"
        );
    }
    if seed >= 42_949 {
        bail!("--seed {seed} must be below 42949 (training starts are 100000·seed + g in u32)");
    }
    let env = Swim::new(Swimmer::new(links)?, horizon);
    let mut actor = NcapActor::new(Ncap::new(NcapConfig::paper(links - 1), seed));
    let mut es = Es::new(
        actor.params().to_vec(),
        EsConfig {
            seed,
            threads,
            ..EsConfig::ncap_repo()
        },
    );
    let eval_seeds: Vec<u32> = (0..eval_episodes as u32).map(|i| 900_000 + i).collect();
    let started = std::time::Instant::now();
    let failed = std::sync::Mutex::new(None::<String>);
    let mut rows = Vec::new();
    let mut reached = None;
    for g in 0..generations {
        let episode = 100_000 * seed + g as u32;
        let fitness = |p: &[f64]| -> f64 {
            let mut a = actor.clone();
            a.set_params(p);
            match env.clone().episode(&a, episode) {
                Ok(r) => r.iter().sum(),
                Err(e) => {
                    *failed.lock().expect("lock") = Some(e.to_string());
                    f64::NEG_INFINITY
                }
            }
        };
        es.step(&fitness);
        if let Some(e) = failed.lock().expect("lock").take() {
            bail!("generation {}: {e}", g + 1);
        }
        actor.set_params(es.theta());
        let ret = mean_return(&env, &actor, &eval_seeds, threads)?;
        let seconds = started.elapsed().as_secs_f64();
        rows.push(serde_json::json!({
            "generation": g + 1,
            "seconds": seconds,
            "return": ret,
            "theta": es.theta(),
        }));
        if !json {
            println!(
                "generation {:3}: return {ret:8.2} after {seconds:7.2} s, θ = {:?}",
                g + 1,
                es.theta()
            );
        }
        if threshold.is_some_and(|t| ret >= t) {
            reached = Some((g + 1, seconds));
            break;
        }
    }
    if json {
        let v = serde_json::json!({
            "links": links,
            "horizon": horizon,
            "seed": seed,
            "threads": threads,
            "threshold": threshold,
            "reached_generation": reached.map(|r| r.0),
            "seconds_to_threshold": reached.map(|r| r.1),
            "generations": rows,
        });
        writeln!(std::io::stdout().lock(), "{v}")?;
    } else if let Some(t) = threshold {
        match reached {
            Some((g, s)) => println!("return {t} reached at generation {g} after {s:.2} s"),
            None => println!("return {t} not reached in {generations} generations"),
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// trajectory.svg/.png and kymograph.svg of an episode in `dir`.
fn figures(dir: &Path, ep: &Episode, links: usize, control: &str) -> Result<()> {
    let t = |i: usize| (i + 1) as f64 * CONTROL_TIMESTEP;
    let x: Vec<(f64, f64)> = ep
        .nose_xy
        .iter()
        .enumerate()
        .map(|(i, p)| (t(i), p[0]))
        .collect();
    let y: Vec<(f64, f64)> = ep
        .nose_xy
        .iter()
        .enumerate()
        .map(|(i, p)| (t(i), p[1]))
        .collect();
    let path: Vec<(f64, f64)> = ep.nose_xy.iter().map(|p| (p[0], p[1])).collect();
    let fig = Figure::new(format!("{links}-link swimmer, {control}"))
        .panel(
            Panel::new("time [s]", "nose position [m]")
                .line("x", x)
                .line("y", y),
        )
        .panel(
            Panel::new("x [m]", "y [m]")
                .title("nose path")
                .line("nose", path),
        );
    ganglion_plot::save(&fig, dir.join("trajectory"))?;
    let limit = joint_limit(links);
    let svg = kymograph_svg(
        &ep.joints,
        links - 1,
        limit,
        &format!("joint angles, {links}-link swimmer, {control}"),
    );
    let path = dir.join("kymograph.svg");
    write_atomic(&path, svg.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// `"X,Y"` → \[X, Y\].
fn parse_xy(s: &str) -> Result<[f64; 2]> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let [x, y] = parts.as_slice() else {
        bail!("--target {s:?}: expected X,Y in metres (e.g. --target 1,-0.5)");
    };
    let num = |v: &str| -> Result<f64> {
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(x),
            _ => bail!("--target {s:?}: {v:?} is not a finite number; expected X,Y in metres"),
        }
    };
    Ok([num(x)?, num(y)?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_parsing() {
        assert_eq!(parse_xy("1,-0.5").expect("valid"), [1.0, -0.5]);
        assert_eq!(parse_xy(" -2 , 3 ").expect("spaces"), [-2.0, 3.0]);
        let e = parse_xy("1").expect_err("one number").to_string();
        assert!(e.contains("expected X,Y"), "{e}");
        let e = parse_xy("1,z").expect_err("not a number").to_string();
        assert!(e.contains("\"z\" is not a finite number"), "{e}");
        assert!(parse_xy("1,nan").is_err());
    }
}
