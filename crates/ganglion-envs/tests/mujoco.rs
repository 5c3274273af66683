//! Tests against the real MuJoCo library. They run where `scripts/fetch-data.sh mujoco` has
//! fetched it (CI does) and are skipped with a note otherwise.

use ganglion_envs::mujoco::{self, JointType, Model, MujocoError, Obj, Simulation, layout};
use ganglion_envs::rollout::{SineWave, Start, run_batch, run_episode};
use ganglion_envs::swimmer::{Swimmer, swimmer_xml};
use std::path::Path;

/// True when MuJoCo is loaded; false (with a note) when it is not fetched. Any other failure
/// (a wrong version, a broken file) fails the test.
fn have_mujoco() -> bool {
    let ok = mujoco::available().unwrap_or_else(|e| panic!("{e}"));
    if !ok {
        eprintln!("skipped: MuJoCo not fetched (scripts/fetch-data.sh mujoco)");
    }
    ok
}

#[test]
fn layout_matches_headers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let include = root.join("../../data/mujoco/include");
    if !include.join("mujoco/mujoco.h").is_file() {
        eprintln!("skipped: MuJoCo headers not fetched (scripts/fetch-data.sh mujoco)");
        return;
    }
    let exe = std::env::temp_dir().join(format!("ganglion-mj-layout-{}", std::process::id()));
    let built = std::process::Command::new("cc")
        .arg("-I")
        .arg(&include)
        .arg(root.join("tools/layout.c"))
        .arg("-o")
        .arg(&exe)
        .output();
    // Skip only without a compiler; a compile error (e.g. a renamed field) is a failure.
    match built {
        Ok(o) => assert!(
            o.status.success(),
            "tools/layout.c failed to compile against the headers:\n{}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("skipped: no C compiler (cc) to read the headers' offsets");
            return;
        }
        Err(e) => panic!("running cc: {e}"),
    }
    let out = std::process::Command::new(&exe)
        .output()
        .expect("run layout");
    let _ = std::fs::remove_file(&exe);
    let text = String::from_utf8(out.stdout).expect("utf8");
    let printed: Vec<(String, i64)> = text
        .lines()
        .map(|l| {
            let (k, v) = l.split_once(' ').expect("name value");
            (k.to_string(), v.parse().expect("integer"))
        })
        .collect();
    assert_eq!(printed.len(), layout::ALL.len(), "{text}");
    for (name, value) in &printed {
        let ours = layout::ALL
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("{name} missing from layout::ALL"));
        assert_eq!(
            ours.1, *value,
            "{name}: layout.rs has {}, headers {value}",
            ours.1
        );
    }
}

#[test]
fn model_sizes_and_joints() {
    if !have_mujoco() {
        return;
    }
    let (_, version) = mujoco::load().expect("loaded");
    assert!(version.starts_with("4.0"), "{version}");
    let m = Model::from_xml(&swimmer_xml(6).expect("xml")).expect("compiles");
    // 3 root joints + 5 hinges; world + head + 5 segments; 6 head/world geoms + 2 per segment
    // + target; 12 frame values + (vel, gyro) per body.
    assert_eq!((m.nq(), m.nv(), m.nu(), m.na()), (8, 8, 5, 0));
    assert_eq!((m.nbody(), m.njnt(), m.ngeom()), (7, 8, 17));
    assert_eq!(m.nsensordata(), 12 + 6 * 6);
    assert_eq!(m.timestep(), 0.002);
    assert_eq!(m.integrator(), layout::MJ_INT_EULER);
    let rootz = m.id(Obj::Joint, "rootz").expect("rootz");
    assert_eq!(m.jnt_type(rootz), JointType::Hinge);
    assert!(!m.jnt_limited(rootz));
    assert_eq!(
        m.jnt_type(m.id(Obj::Joint, "rootx").expect("x")),
        JointType::Slide
    );
    let j0 = m.id(Obj::Joint, "joint_0").expect("joint_0");
    assert!(m.jnt_limited(j0));
    let lim = 60f64.to_radians();
    let [lo, hi] = m.jnt_range(j0);
    assert!(
        (lo + lim).abs() < 1e-15 && (hi - lim).abs() < 1e-15,
        "{lo} {hi}"
    );
    assert_eq!(m.jnt_qposadr(j0), 3);
    assert_eq!(m.geom_size(m.id(Obj::Geom, "target").expect("t"))[0], 0.1);
    let e = m.id(Obj::Body, "tail").expect_err("no tail");
    assert!(e.to_string().contains("no body named \"tail\""), "{e}");
    let bad = Model::from_xml("<mujoco><worldbody><geom type='nonsense'/></worldbody></mujoco>");
    assert!(matches!(bad, Err(MujocoError::Model(_))));
}

/// Planar forward kinematics of the chain, written independently of MuJoCo: returns the head's
/// and each segment's frame origin (x, y) and heading.
fn planar_fk(qpos: &[f64]) -> Vec<([f64; 2], f64)> {
    let rot = |a: f64, v: [f64; 2]| {
        [
            a.cos() * v[0] - a.sin() * v[1],
            a.sin() * v[0] + a.cos() * v[1],
        ]
    };
    // Head: slides move it by (qx, qy); rootz turns it about its anchor (0, -0.05).
    let (qx, qy, th) = (qpos[0], qpos[1], qpos[2]);
    let r = rot(th, [0.0, 0.05]);
    let mut frames = vec![([qx + r[0], qy - 0.05 + r[1]], th)];
    for &phi in &qpos[3..] {
        let (p, a) = *frames.last().expect("head");
        // The child's joint sits 0.05 m along the parent's y axis; the child's origin is 0.05 m
        // further along its own y axis.
        let anchor = rot(a, [0.0, 0.05]);
        let child = a + phi;
        let off = rot(child, [0.0, 0.05]);
        frames.push((
            [p[0] + anchor[0] + off[0], p[1] + anchor[1] + off[1]],
            child,
        ));
    }
    frames
}

#[test]
fn geom_positions_match_planar_kinematics() {
    if !have_mujoco() {
        return;
    }
    let n = 5;
    let m = Model::from_xml(&swimmer_xml(n).expect("xml")).expect("compiles");
    let mut sim = Simulation::new(&m).expect("sim");
    let qpos = [0.3, -0.7, 2.1, 0.4, -0.9, 0.25, 1.1];
    sim.qpos_mut().copy_from_slice(&qpos);
    sim.forward();
    let fk = planar_fk(&qpos);
    let head = m.id(Obj::Body, "head").expect("head");
    let xm = sim.xmat(head);
    let (c, s) = (qpos[2].cos(), qpos[2].sin());
    let want = [c, -s, 0.0, s, c, 0.0, 0.0, 0.0, 1.0];
    for k in 0..9 {
        assert!(
            (xm[k] - want[k]).abs() < 1e-12,
            "xmat[head] {xm:?} vs {want:?}"
        );
    }
    let close = |a: [f64; 3], b: [f64; 2], what: &str| {
        assert!(
            (a[0] - b[0]).abs() < 1e-12
                && (a[1] - b[1]).abs() < 1e-12
                && (a[2] - 0.05).abs() < 1e-12,
            "{what}: MuJoCo {a:?}, kinematics {b:?}"
        );
    };
    close(sim.xpos(head), fk[0].0, "head origin");
    // The nose is 0.06 m behind the head's origin along its y axis.
    let nose = [fk[0].0[0] + 0.06 * s, fk[0].0[1] - 0.06 * c];
    close(
        sim.geom_xpos(m.id(Obj::Geom, "nose").expect("nose")),
        nose,
        "nose",
    );
    for i in 0..n - 1 {
        let g = m.id(Obj::Geom, &format!("visual_{i}")).expect("visual");
        close(sim.geom_xpos(g), fk[i + 1].0, &format!("visual_{i}"));
        let site = m.id(Obj::Site, &format!("site_{i}")).expect("site");
        close(sim.site_xpos(site), fk[i + 1].0, &format!("site_{i}"));
    }
}

#[test]
fn state_save_restore_is_bit_identical() {
    if !have_mujoco() {
        return;
    }
    let m = Model::from_xml(&swimmer_xml(4).expect("xml")).expect("compiles");
    let mut sim = Simulation::new(&m).expect("sim");
    sim.qpos_mut()[3] = 0.5;
    sim.forward();
    for t in 0..50 {
        sim.ctrl_mut().fill((t as f64 * 0.3).sin());
        sim.step();
    }
    let saved = sim.save();
    assert_eq!(saved.len(), sim.state_len());
    let run = |sim: &mut Simulation| {
        for t in 0..100 {
            sim.ctrl_mut().fill((t as f64 * 0.2).cos());
            sim.step();
        }
        (sim.qpos().to_vec(), sim.qvel().to_vec(), sim.time())
    };
    let a = run(&mut sim);
    sim.restore(&saved).expect("restore");
    let b = run(&mut sim);
    assert_eq!(a, b);
    let mut copy = sim.clone();
    assert_eq!(run(&mut sim), run(&mut copy));
    let e = sim.restore(&saved[1..]).expect_err("short state");
    assert!(e.to_string().contains("does not fit"), "{e}");
}

#[test]
fn swimmer_checks_and_observation_shapes() {
    if !have_mujoco() {
        return;
    }
    let mut env = Swimmer::new(6).expect("6 links");
    assert_eq!(env.substeps(), 15);
    let o = env.reset_to(&[], 0.0, [0.0, -1.0]).expect("pose");
    assert_eq!(o.joints, vec![0.0; 5]);
    assert_eq!(o.body_velocities, vec![0.0; 18]);
    // Facing -y, the target 1 m along -y from the origin is ahead: 0.94 m along the head's
    // y axis (which points to the tail, so -0.94), none along x.
    assert!(
        o.to_target[0].abs() < 1e-12 && (o.to_target[1] + 0.94).abs() < 1e-12,
        "{o:?}"
    );
    // Reward at 0.94 m: d = (0.94 - 0.1)/0.5, 1 / (9 d² + 1).
    let d: f64 = (0.94 - 0.1) / 0.5;
    assert!((env.reward() - 1.0 / (9.0 * d * d + 1.0)).abs() < 1e-12);
    let e = env.step(&[0.0; 4]).expect_err("4 controls");
    assert!(e.to_string().contains("takes 5 controls"), "{e}");
    let e = env.step(&[f64::NAN; 5]).expect_err("NaN");
    assert!(e.to_string().contains("finite"), "{e}");
    assert!(Swimmer::new(2).is_err());
}

#[test]
fn seeded_resets_follow_dm_controls_draws() {
    if !have_mujoco() {
        return;
    }
    let mut env = Swimmer::new(5).expect("env");
    let a = env.reset(3);
    let pos_a = env.sim().qpos().to_vec();
    let b = env.reset(3);
    assert_eq!(a, b);
    assert_eq!(pos_a, env.sim().qpos());
    assert_ne!(env.reset(4), a);
    // The same numbers drawn by hand in dm_control's order: rootz, 4 joints, close?, x, y.
    let mut r = ganglion_envs::random::RandomState::new(3);
    let pi = std::f64::consts::PI;
    let lim = (360.0f64 / 5.0).to_radians();
    let mut want = vec![0.0, 0.0, r.uniform(-pi, pi)];
    for _ in 0..4 {
        want.push(r.uniform(-lim, lim));
    }
    let bound = if r.rand() < 0.2 { 0.3 } else { 2.0 };
    let target = [r.uniform(-bound, bound), r.uniform(-bound, bound)];
    env.reset(3);
    for (x, w) in env.sim().qpos().iter().zip(&want) {
        assert!((x - w).abs() < 1e-15, "{:?} vs {want:?}", env.sim().qpos());
    }
    assert_eq!(env.target(), target);
}

#[test]
fn passive_body_settles() {
    if !have_mujoco() {
        return;
    }
    let mut env = Swimmer::new(6).expect("env");
    env.reset(11);
    let zero = [0.0; 5];
    let mut speed0 = 0.0;
    for t in 0..400 {
        env.step(&zero).expect("step");
        if t == 0 {
            speed0 = env.sim().qvel().iter().map(|v| v * v).sum::<f64>().sqrt();
        }
    }
    let before = env.nose_xy();
    let speed = env.sim().qvel().iter().map(|v| v * v).sum::<f64>().sqrt();
    for _ in 0..100 {
        env.step(&zero).expect("step");
    }
    let after = env.nose_xy();
    let drift = ((after[0] - before[0]).powi(2) + (after[1] - before[1]).powi(2)).sqrt();
    assert!(
        speed < 1e-3 * speed0.max(1e-6) + 1e-6,
        "|qvel| {speed} (first step {speed0})"
    );
    assert!(drift < 1e-4, "nose drifted {drift} m over the last 3 s");
    assert_eq!(env.unstable_count(), 0);
}

#[test]
fn travelling_wave_swims_forward_and_reversed_wave_does_not() {
    if !have_mujoco() {
        return;
    }
    let mut env = Swimmer::new(6).expect("env");
    let start = Start::Pose {
        joints: vec![],
        heading: 0.0,
        target: [0.0, -10.0],
    };
    // A wave of period 60 control steps (1.8 s), 1.5 rad lag per joint: head to tail (phase
    // > 0) pushes the body forward, as in anguilliform swimming; tail to head, backward.
    let fwd = SineWave::parse("sine:amp=1,period=60,phase=1.5").expect("wave");
    let back = SineWave { phase: -1.5, ..fwd };
    let f = run_episode(&mut env, &start, 300, &fwd).expect("forward");
    let b = run_episode(&mut env, &start, 300, &back).expect("backward");
    // The head faces -y; the nose starts at (0, -0.06).
    let gain = |e: &ganglion_envs::rollout::Episode| -(e.nose_xy.last().expect("steps")[1] + 0.06);
    eprintln!(
        "head-to-tail wave: {:.3} m, tail-to-head: {:.3} m",
        gain(&f),
        gain(&b)
    );
    assert!(gain(&f) > 0.3, "forward wave moved the nose {} m", gain(&f));
    assert!(
        gain(&b) < -0.3,
        "reversed wave moved the nose {} m forward",
        gain(&b)
    );
    // Closer to the target ahead, more reward.
    assert!(f.reward_sum() > b.reward_sum());
}

#[test]
fn episodes_are_deterministic_and_restorable() {
    if !have_mujoco() {
        return;
    }
    let mut env = Swimmer::new(5).expect("env");
    let wave = SineWave::parse("sine:amp=0.7,period=25,phase=1.1").expect("wave");
    let run = |env: &mut Swimmer| run_episode(env, &Start::Seed(9), 200, &wave).expect("episode");
    let a = run(&mut env);
    let b = run(&mut Swimmer::new(5).expect("env"));
    assert_eq!(a, b);
    // Save mid-episode, continue, restore, continue: the same numbers bit for bit.
    env.reset(9);
    let mut u = vec![0.0; 4];
    for t in 0..100 {
        wave.action(t, &mut u);
        env.step(&u).expect("step");
    }
    let saved = env.save();
    let go = |env: &mut Swimmer| {
        let mut out = Vec::new();
        let mut u = vec![0.0; 4];
        for t in 100..200 {
            wave.action(t, &mut u);
            let (o, r) = env.step(&u).expect("step");
            out.push((o, r));
        }
        out
    };
    let first = go(&mut env);
    env.reset(1);
    env.restore(&saved).expect("restore");
    assert_eq!(env.steps(), 100);
    let second = go(&mut env);
    assert_eq!(first, second);
    assert_eq!(first.last().expect("steps").1, a.rewards[199]);
}

#[test]
fn parallel_batch_matches_serial_and_reports_throughput() {
    if !have_mujoco() {
        return;
    }
    let proto = Swimmer::new(6).expect("env");
    let wave = SineWave::parse("sine:amp=1,period=30,phase=0.8").expect("wave");
    let starts: Vec<Start> = (0..4).map(Start::Seed).collect();
    let one = run_batch(&proto, &starts, 100, 1, &wave).expect("1 thread");
    let two = run_batch(&proto, &starts, 100, 2, &wave).expect("2 threads");
    assert_eq!(one.episodes, two.episodes);
    assert_eq!(two.env_steps, 400);
    assert!(two.steps_per_second() > 0.0 && two.threads == 2);
    let mut env = proto.clone();
    let serial = run_episode(&mut env, &starts[2], 100, &wave).expect("serial");
    assert_eq!(serial, one.episodes[2]);
}

#[test]
fn ncap_swims_from_its_initial_weights_and_transfers_across_lengths() {
    if !have_mujoco() {
        return;
    }
    use ganglion_envs::ncap::{Ncap, NcapConfig};
    // The paper's claim that the architecture alone swims: the constant initial weights
    // (excitatory 1, inhibitory -1), no learning, head facing the target 3 m ahead.
    let mut gains = Vec::new();
    for links in [6, 10, 12] {
        let mut env = Swimmer::new(links).expect("env");
        let ncap = Ncap::new(NcapConfig::paper(links - 1), 0);
        let start = Start::Pose {
            joints: vec![],
            heading: 0.0,
            target: [0.0, -3.0],
        };
        let ep = run_episode(&mut env, &start, 500, &ncap).expect("episode");
        let end = ep.nose_xy.last().expect("steps");
        gains.push((links, -(end[1] + 0.06), ep.reward_sum()));
    }
    eprintln!("NCAP (initial weights), 500 steps: (links, forward m, reward) {gains:?}");
    for (links, forward, _) in &gains {
        assert!(
            *forward > 0.3,
            "{links} links: NCAP moved {forward} m forward"
        );
    }
}

#[test]
fn evolution_strategies_improve_ncap_on_the_swimmer() {
    if !have_mujoco() {
        return;
    }
    use ganglion_envs::es::{Es, EsConfig};
    use ganglion_envs::ncap::{Ncap, NcapConfig};
    let proto = Swimmer::new(6).expect("env");
    let base = Ncap::new(NcapConfig::paper(5), 0);
    // Return of 600 control steps from dm_control's start for RandomState(0).
    let fitness = |p: &[f64]| -> f64 {
        let mut env = proto.clone();
        let mut c = base.clone();
        c.set_params(p);
        run_episode(&mut env, &Start::Seed(0), 600, &c)
            .expect("episode")
            .reward_sum()
    };
    let cfg = EsConfig {
        population: 8,
        sigma: 0.05,
        lr: 0.05,
        threads: 2,
        ..EsConfig::ncap_repo()
    };
    let mut es = Es::new(base.params().to_vec(), cfg);
    let before = fitness(es.theta());
    for _ in 0..3 {
        es.step(&fitness);
    }
    let after = fitness(es.theta());
    eprintln!("NCAP return over 600 steps: {before:.2} -> {after:.2} after 3 ES generations");
    assert!(
        after > before,
        "ES did not improve NCAP: {before} -> {after}"
    );
}

#[test]
fn mlp_policy_drives_the_swimmer_from_the_flat_observation() {
    if !have_mujoco() {
        return;
    }
    use ganglion_envs::mlp::Mlp;
    use ganglion_envs::rollout::Policy;
    let mut env = Swimmer::new(6).expect("env");
    let mlp = Mlp::for_swimmer(6, &[64, 64], 1);
    let obs = env.reset(2);
    let mut a = vec![0.0; 5];
    mlp.act(0, &obs, &mut a);
    let mut b = vec![0.0; 5];
    mlp.forward(&obs.flat(), &mut b);
    assert_eq!(a, b);
    let ep = run_episode(&mut env, &Start::Seed(2), 50, &mlp).expect("episode");
    assert!(ep.rewards.iter().all(|r| (0.0..=1.0).contains(r)));
    let other = Mlp::for_swimmer(6, &[64, 64], 2);
    let ep2 = run_episode(&mut env, &Start::Seed(2), 50, &other).expect("episode");
    assert_ne!(ep.nose_xy, ep2.nose_xy);
}

// dm_control's own values (dm-control 1.0.50 on mujoco 3.17.0), printed at full precision by
//     bench/envs/.venv/bin/python bench/envs/swimmer_rollout.py --golden
// The rollouts are rows 2 and 5 of the agreement table in bench/envs/RESULTS.md; the small
// remaining differences are the last bits of sums between MuJoCo 3.17.0 and 4.0.0 (1.4e-12 in
// a reward sum of 1000 steps, 1e-14 m in the nose).

#[test]
fn rollouts_match_dm_control_golden_values() {
    if !have_mujoco() {
        return;
    }
    let wave = SineWave::parse("sine:amp=1,period=60,phase=1.5").expect("wave");
    let cases = [
        (
            Start::Pose {
                joints: vec![],
                heading: 0.0,
                target: [0.0, -1.5],
            },
            285.690275711307,
            [-0.13393265133955878, -2.1909279333879517],
        ),
        (
            Start::Seed(3),
            134.3998994037883,
            [0.9033827250226251, -2.0094790300401777],
        ),
    ];
    for (start, reward_sum, nose) in cases {
        let mut env = Swimmer::new(6).expect("swimmer");
        let ep = run_episode(&mut env, &start, 1000, &wave).expect("episode");
        let got = ep.reward_sum();
        assert!(
            (got - reward_sum).abs() < 1e-11,
            "{start:?}: reward sum {got} vs {reward_sum}"
        );
        let last = ep.nose_xy[999];
        for k in 0..2 {
            assert!(
                (last[k] - nose[k]).abs() < 1e-13,
                "{start:?}: nose {last:?} vs {nose:?}"
            );
        }
    }
}

#[test]
fn seeded_reset_matches_dm_control_golden_values() {
    if !have_mujoco() {
        return;
    }
    let mut env = Swimmer::new(5).expect("swimmer");
    let obs = env.reset(3);
    let qpos = [
        0.0,
        0.0,
        0.3191726350921127,
        0.5231325363181996,
        -0.5255137089052271,
        0.027212739955958964,
        0.9875834120232607,
    ];
    let target = [-1.497658758144655, -1.171028487447253];
    let mut flat = vec![
        0.5231325363181996,
        -0.5255137089052271,
        0.027212739955958964,
        0.9875834120232607,
        -1.7737775730299488,
        -0.5844743450575893,
    ];
    flat.extend([0.0; 15]);
    assert_eq!(env.sim().qpos(), &qpos[..], "qpos from RandomState(3)");
    assert_eq!(env.target(), target);
    let got = obs.flat();
    assert_eq!(got.len(), flat.len());
    for (k, (a, b)) in got.iter().zip(&flat).enumerate() {
        assert!((a - b).abs() < 1e-14, "flat observation [{k}]: {a} vs {b}");
    }
}

#[test]
fn frame_points_are_the_ends_of_all_links() {
    if !have_mujoco() {
        return;
    }
    let mut env = Swimmer::new(6).expect("swimmer");
    env.reset_to(&[], 0.0, [1.0, 1.0]).expect("pose");
    // Straight along +y: the head's root joint at y = −0.05, then every 0.1 m to the tail's
    // end at 0.55 (6 links of 0.1 m).
    let p = env.joint_points();
    assert_eq!(p.len(), 7);
    for (k, q) in p.iter().enumerate() {
        let want = [0.0, -0.05 + 0.1 * k as f64];
        assert!(
            (q[0] - want[0]).abs() < 1e-15 && (q[1] - want[1]).abs() < 1e-15,
            "{p:?}"
        );
    }
    // Bent: still n + 1 points 0.1 m apart.
    env.reset(5);
    let p = env.joint_points();
    assert_eq!(p.len(), 7);
    for w in p.windows(2) {
        let d = ((w[1][0] - w[0][0]).powi(2) + (w[1][1] - w[0][1]).powi(2)).sqrt();
        assert!((d - 0.1).abs() < 1e-12, "{p:?}");
    }
}

#[test]
fn non_finite_inputs_name_the_joint_or_actuator() {
    if !have_mujoco() {
        return;
    }
    let mut env = Swimmer::new(4).expect("swimmer");
    let e = env
        .reset_to(&[0.0, f64::NAN, 0.0], 0.0, [1.0, 1.0])
        .expect_err("NaN joint");
    assert_eq!(e.to_string(), "joint angle 1 must be finite, got NaN");
    let e = env
        .step(&[0.0, 0.0, f64::INFINITY])
        .expect_err("inf action");
    assert_eq!(e.to_string(), "action 2 must be finite, got inf");
}
