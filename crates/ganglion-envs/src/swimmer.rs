//! The DeepMind Control Suite swimmer (Tassa et al. 2018, "DeepMind Control Suite",
//! arXiv:1801.00690; `dm_control/suite/swimmer.py` and `swimmer.xml` of dm-control 1.0.50), an
//! n-link planar body in a viscous fluid that must bring its nose to a target.
//!
//! The model is generated here from the structure of dm_control's `swimmer.xml` template, as
//! `swimmer._make_model` does: a head body with three root joints (x, y slides and a z hinge),
//! then `n − 1` segments 0.1 m apart, each a massless capsule plus a 0.01 kg box, joined by a
//! hinge `joint_i` limited to ±360°/n and driven by `motor_i` (gear 5·10⁻⁴, control in \[−1, 1\];
//! `motor_0` nearest the head), with a velocimeter and gyro at each segment's site. The fluid is
//! MuJoCo's inertia-based model at density 3000; contacts are off; the physics step is 2 ms.
//! Only rendering material (textures, skybox, headlight settings) is left out.
//!
//! The task is dm_control's: a control step holds the action for 15 physics steps (30 ms, the
//! suite's `_CONTROL_TIMESTEP`), stepped as dm_control's `legacy_step` does (`mj_step2`, then
//! `mj_step` × 14, then `mj_step1`, so that positions are current when observed); an episode is
//! 1000 control steps (30 s). Observations: the n − 1 joint angles, the nose-to-target vector in
//! the head's frame (x, y), and the local velocities (vx, vy, ωz) of the head and each segment
//! from the site sensors. Reward: `tolerance(|nose − target|, bounds = (0, r), margin = 5r,
//! long_tail)` with `r` = 0.1 m the target's radius. Episodes start, as dm_control's do, with
//! the heading uniform in \[−π, π), each joint uniform within its limits, and the target uniform
//! in a ±2 m square (±0.3 m with probability 0.2), drawn from `np.random.RandomState(seed)` in
//! dm_control's order.

use crate::mujoco::{JointType, Model, MujocoError, Obj, Simulation};
use crate::random::RandomState;
use crate::rewards::{self, Sigmoid};
use std::fmt::Write as _;

/// dm_control's control time step for the swimmer \[s\].
pub const CONTROL_TIMESTEP: f64 = 0.03;
/// dm_control's episode length \[s\] (`_DEFAULT_TIME_LIMIT`).
pub const TIME_LIMIT: f64 = 30.0;
/// Control steps per episode (`TIME_LIMIT / CONTROL_TIMESTEP`).
pub const EPISODE_STEPS: usize = 1000;

/// The internal joints' limit ±2π/n_links \[rad\] (±360°/n in dm_control's template), as
/// the model is built.
pub fn joint_limit(n_links: usize) -> f64 {
    2.0 * std::f64::consts::PI / n_links as f64
}

/// Errors building or driving the swimmer.
#[derive(Debug, thiserror::Error)]
pub enum SwimmerError {
    /// MuJoCo is missing or rejected something.
    #[error(transparent)]
    Mujoco(#[from] MujocoError),
    /// Fewer than 3 links.
    #[error("a swimmer needs at least 3 links, got {0} (dm_control's minimum)")]
    TooFewLinks(usize),
    /// An action of the wrong length.
    #[error("the {links}-link swimmer takes {want} controls (one per joint), got {got}")]
    ActionLength {
        /// Links.
        links: usize,
        /// Expected (links − 1).
        want: usize,
        /// Given.
        got: usize,
    },
    /// A pose of the wrong length.
    #[error("the {links}-link swimmer has {want} joints, got {got} joint angles")]
    PoseLength {
        /// Links.
        links: usize,
        /// Expected (links − 1).
        want: usize,
        /// Given.
        got: usize,
    },
    /// A non-finite number in an action, pose or target.
    #[error("{what} must be finite, got {value}")]
    NotFinite {
        /// Which input (`"joint angle 2"`, `"action 0"`, `"heading"`, `"target x"`, ...).
        what: String,
        /// The value.
        value: f64,
    },
    /// A model or state self-check failed.
    #[error("swimmer self-check failed: {0}")]
    Check(String),
    /// MuJoCo found bad accelerations and reset the state during an episode.
    #[error(
        "MuJoCo reset an unstable state {resets} time(s) during the episode\n  hint: the \
         generated swimmer with controls in [-1, 1] stays stable; look for a changed model \
         (time step, gear, joint limits) or a start pose far outside the joint limits"
    )]
    Unstable {
        /// How many times (`warning[mjWARN_BADQACC].number`).
        resets: i32,
    },
}

/// Formats a float for MJCF (shortest round-trip representation).
fn num(x: f64) -> String {
    format!("{x}")
}

/// The MJCF of an `n_links`-link swimmer, with the element names, order and parameters of
/// dm_control's (see the module docs). Errors when `n_links < 3`.
pub fn swimmer_xml(n_links: usize) -> Result<String, SwimmerError> {
    if n_links < 3 {
        return Err(SwimmerError::TooFewLinks(n_links));
    }
    let mut x = String::new();
    let scale = n_links as f64 / 6.0;
    let cam = |p: [f64; 3]| {
        p.iter()
            .map(|v| num(v * scale))
            .collect::<Vec<_>>()
            .join(" ")
    };
    // The template's header and head, minus the rendering-only includes (materials are kept
    // as plain colours so that geoms name the same materials).
    x.push_str(
        r#"<mujoco model="swimmer">
  <asset>
    <material name="grid" rgba=".1 .2 .3 1"/>
    <material name="self" rgba=".7 .5 .3 1"/>
    <material name="effector" rgba=".7 .4 .2 1"/>
    <material name="eye" rgba="0 .2 1 1"/>
    <material name="target" rgba=".6 .3 .3 1"/>
  </asset>

  <option timestep="0.002" density="3000">
    <flag contact="disable"/>
  </option>

  <default>
    <default class="swimmer">
      <joint type="hinge" pos="0 -.05 0" axis="0 0 1" limited="true" solreflimit=".05 1" solimplimit="0 .8 .1" armature="1e-6"/>
      <default class="inertial">
        <geom type="box" size=".001 .05 .01" rgba="0 0 0 0" mass=".01"/>
      </default>
      <default class="visual">
        <geom type="capsule" size=".01" fromto="0 -.05 0 0 .05 0" material="self" mass="0"/>
      </default>
      <site size=".01" rgba="0 0 0 0"/>
    </default>
    <default class="free">
      <joint limited="false" stiffness="0" armature="0"/>
    </default>
    <motor gear="5e-4" ctrllimited="true" ctrlrange="-1 1"/>
  </default>

  <worldbody>
    <geom name="ground" type="plane" size="2 2 0.1" material="grid"/>
    <body name="head" pos="0 0 .05" childclass="swimmer">
      <light name="light_1" diffuse=".8 .8 .8" pos="0 0 1.5"/>
      <geom name="head" type="ellipsoid" size=".02 .04 .017" pos="0 -.022 0"  material="self" mass="0"/>
      <geom name="nose" type="sphere" pos="0 -.06 0" size=".004" material="effector" mass="0"/>
      <geom name="eyes" type="capsule" fromto="-.006 -.054 .005 .006 -.054 .005" size=".004" material="eye" mass="0"/>
"#,
    );
    let _ = writeln!(
        x,
        r#"      <camera name="tracking1" pos="{}" xyaxes="1 0 0 0 1 1" mode="trackcom" fovy="60"/>"#,
        cam([0.0, -0.2, 0.5])
    );
    let _ = writeln!(
        x,
        r#"      <camera name="tracking2" pos="{}" xyaxes="0 -1 0 .3 0 1" mode="trackcom" fovy="60"/>"#,
        cam([-0.9, 0.5, 0.15])
    );
    x.push_str(
        r#"      <camera name="eyes" pos="0 -.058 .005" xyaxes="-1 0 0 0 0 1"/>
      <joint name="rootx" class="free" type="slide" axis="1 0 0" pos="0 -.05 0"/>
      <joint name="rooty" class="free" type="slide" axis="0 1 0" pos="0 -.05 0"/>
      <joint name="rootz" class="free" type="hinge" axis="0 0 1" pos="0 -.05 0"/>
      <geom name="inertial" class="inertial"/>
      <geom name="visual" class="visual"/>
      <site name="head"/>
"#,
    );
    // The chain: each segment nested in the previous one (`_make_body`), 0.1 m further on.
    // In degrees as the template writes it (= joint_limit(n_links) in radians).
    let limit = 360.0 / n_links as f64;
    for i in 0..n_links - 1 {
        let pad = "  ".repeat(3 + i);
        let _ = writeln!(x, r#"{pad}<body name="segment_{i}" pos="0 .1 0">"#);
        let _ = writeln!(x, r#"{pad}  <geom class="visual" name="visual_{i}"/>"#);
        let _ = writeln!(x, r#"{pad}  <geom class="inertial" name="inertial_{i}"/>"#);
        let _ = writeln!(x, r#"{pad}  <site name="site_{i}"/>"#);
        let _ = writeln!(
            x,
            r#"{pad}  <joint name="joint_{i}" range="{} {}"/>"#,
            num(-limit),
            num(limit)
        );
    }
    for i in (0..n_links - 1).rev() {
        let _ = writeln!(x, "{}</body>", "  ".repeat(3 + i));
    }
    x.push_str(
        r#"    </body>
    <geom name="target" type="sphere" pos="1 1 .05" size=".1" material="target"/>
    <light name="target_light" diffuse="1 1 1" pos="1 1 1.5"/>
  </worldbody>

  <sensor>
    <framepos name="nose_pos" objtype="geom" objname="nose"/>
    <framepos name="target_pos" objtype="geom" objname="target"/>
    <framexaxis name="head_xaxis" objtype="xbody" objname="head"/>
    <frameyaxis name="head_yaxis" objtype="xbody" objname="head"/>
    <velocimeter name="head_vel" site="head"/>
    <gyro name="head_gyro" site="head"/>
  </sensor>
  <actuator>
"#,
    );
    for i in 0..n_links - 1 {
        let _ = writeln!(x, r#"    <motor name="motor_{i}" joint="joint_{i}"/>"#);
    }
    x.push_str("  </actuator>\n  <sensor>\n");
    for i in 0..n_links - 1 {
        let _ = writeln!(
            x,
            r#"    <velocimeter name="velocimeter_{i}" site="site_{i}"/>"#
        );
        let _ = writeln!(x, r#"    <gyro name="gyro_{i}" site="site_{i}"/>"#);
    }
    x.push_str("  </sensor>\n</mujoco>\n");
    Ok(x)
}

/// One observation, in dm_control's order (`get_observation`'s OrderedDict).
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// The n − 1 internal joint angles \[rad\], head to tail (`qpos[3:]`).
    pub joints: Vec<f64>,
    /// Nose-to-target vector in the head's frame (x, y) \[m\].
    pub to_target: [f64; 2],
    /// Local velocities of the head then each segment, 3 per body: vx, vy \[m/s\], ωz \[rad/s\]
    /// (length 3n).
    pub body_velocities: Vec<f64>,
}

impl Observation {
    /// The observation flattened as dm_control's `flat_observation` does: joints, to_target,
    /// body_velocities (length (n − 1) + 2 + 3n).
    pub fn flat(&self) -> Vec<f64> {
        let mut v = self.joints.clone();
        v.extend_from_slice(&self.to_target);
        v.extend_from_slice(&self.body_velocities);
        v
    }
}

/// A saved swimmer (physics state, target, step counter), for [`Swimmer::restore`].
#[derive(Debug, Clone, PartialEq)]
pub struct SwimmerState {
    /// MuJoCo's full integration state (`mjSTATE_INTEGRATION`).
    pub physics: Vec<f64>,
    /// Target centre (x, y) \[m\].
    pub target: [f64; 2],
    /// Control steps taken this episode.
    pub steps: usize,
}

/// The swimmer task on one MuJoCo simulation (not thread-shared: one per worker).
#[derive(Clone)]
pub struct Swimmer {
    sim: Simulation,
    links: usize,
    substeps: usize,
    steps: usize,
    nose: usize,
    target_geom: usize,
    target_light: usize,
    head: usize,
    target_size: f64,
    joint_qpos: Vec<usize>,
}

impl Swimmer {
    /// An `n_links`-link swimmer (dm_control's `swimmer(n_links)`), at rest at the origin with
    /// the target at dm_control's template position (1, 1); call [`Swimmer::reset`] or
    /// [`Swimmer::reset_to`] to start an episode.
    pub fn new(n_links: usize) -> Result<Swimmer, SwimmerError> {
        let model = Model::from_xml(&swimmer_xml(n_links)?)?;
        Swimmer::from_model(&model, n_links)
    }

    /// A swimmer on an already compiled model of [`swimmer_xml`]`(n_links)` (saves recompiling
    /// the XML when making many environments).
    pub fn from_model(model: &Model, n_links: usize) -> Result<Swimmer, SwimmerError> {
        if n_links < 3 {
            return Err(SwimmerError::TooFewLinks(n_links));
        }
        let sim = Simulation::new(model)?;
        let m = sim.model();
        if m.nu() != n_links - 1 || m.nq() != n_links + 2 {
            return Err(SwimmerError::Check(format!(
                "the model has nq = {}, nu = {}; a {n_links}-link swimmer has {} and {}",
                m.nq(),
                m.nu(),
                n_links + 2,
                n_links - 1
            )));
        }
        // dm_control's compute_n_steps: the control step must be a whole number of physics
        // steps.
        let ratio = CONTROL_TIMESTEP / m.timestep();
        if (ratio - ratio.round()).abs() > 1e-8 {
            return Err(SwimmerError::Check(format!(
                "control step {CONTROL_TIMESTEP} s is not a multiple of the physics step {} s",
                m.timestep()
            )));
        }
        let mut joint_qpos = Vec::with_capacity(n_links - 1);
        for i in 0..n_links - 1 {
            let j = m.id(Obj::Joint, &format!("joint_{i}"))?;
            joint_qpos.push(m.jnt_qposadr(j));
        }
        let target_geom = m.id(Obj::Geom, "target")?;
        let mut s = Swimmer {
            links: n_links,
            substeps: ratio.round() as usize,
            steps: 0,
            nose: m.id(Obj::Geom, "nose")?,
            target_geom,
            target_light: m.id(Obj::Light, "target_light")?,
            head: m.id(Obj::Body, "head")?,
            target_size: m.geom_size(target_geom)[0],
            joint_qpos,
            sim,
        };
        s.begin_episode(&[], 0.0, [1.0, 1.0])?;
        s.check_sensors()?;
        Ok(s)
    }

    /// Cross-checks the arrays read through the struct layout against each other: the
    /// `framepos` sensors (sensordata) against `geom_xpos` and the target's `geom_pos`, and the
    /// head's `xmat` against the frame-axis sensors.
    fn check_sensors(&self) -> Result<(), SwimmerError> {
        let sd = self.sim.sensordata();
        let m = self.sim.model();
        // Sizes first: the comparisons below index sensordata[0..12].
        let (adr, dim) = m.sensor_span(m.id(Obj::Sensor, "head_vel")?);
        if (adr, dim) != (12, 3) || sd.len() != 12 + 6 * self.links {
            return Err(SwimmerError::Check(format!(
                "sensor layout: head_vel at {adr} (dim {dim}), {} values in all, want 12 (dim \
                 3) and {}",
                sd.len(),
                12 + 6 * self.links
            )));
        }
        let nose = self.sim.geom_xpos(self.nose);
        let target = self.sim.geom_xpos(self.target_geom);
        let r = self.sim.xmat(self.head);
        let xaxis = [r[0], r[3], r[6]];
        let yaxis = [r[1], r[4], r[7]];
        let pairs: [(&str, &[f64], &[f64]); 5] = [
            ("nose_pos vs geom_xpos[nose]", &sd[0..3], &nose),
            ("target_pos vs geom_xpos[target]", &sd[3..6], &target),
            (
                "geom_xpos[target] vs geom_pos[target]",
                &target,
                &m.geom_pos(self.target_geom),
            ),
            ("head_xaxis vs xmat[head]", &sd[6..9], &xaxis),
            ("head_yaxis vs xmat[head]", &sd[9..12], &yaxis),
        ];
        for (what, a, b) in pairs {
            if a.iter().zip(b).any(|(x, y)| (x - y).abs() > 1e-12) {
                return Err(SwimmerError::Check(format!("{what}: {a:?} != {b:?}")));
            }
        }
        Ok(())
    }

    /// Number of links.
    pub fn links(&self) -> usize {
        self.links
    }
    /// Number of controls (links − 1).
    pub fn action_len(&self) -> usize {
        self.links - 1
    }
    /// Physics steps per control step (15).
    pub fn substeps(&self) -> usize {
        self.substeps
    }
    /// Control steps taken this episode.
    pub fn steps(&self) -> usize {
        self.steps
    }
    /// Whether the episode has run its [`EPISODE_STEPS`] control steps.
    pub fn done(&self) -> bool {
        self.steps >= EPISODE_STEPS
    }
    /// The underlying simulation (read-only).
    pub fn sim(&self) -> &Simulation {
        &self.sim
    }
    /// Target radius \[m\] (0.1).
    pub fn target_size(&self) -> f64 {
        self.target_size
    }

    /// Starts an episode as dm_control does with `random = seed` (its first reset): the
    /// heading, joint angles and target drawn from `np.random.RandomState(seed)` (see the
    /// module docs).
    pub fn reset(&mut self, seed: u32) -> Observation {
        let mut rng = RandomState::new(seed);
        // randomize_limited_and_rotational_joints: in joint order, limited hinges/slides
        // uniform in their range, unlimited hinges uniform in [-pi, pi], unlimited slides kept.
        let m = self.sim.model();
        let mut qpos = vec![0.0; m.nq()];
        for j in 0..m.njnt() {
            let a = m.jnt_qposadr(j);
            match (m.jnt_type(j), m.jnt_limited(j)) {
                (JointType::Hinge | JointType::Slide, true) => {
                    let [lo, hi] = m.jnt_range(j);
                    qpos[a] = rng.uniform(lo, hi);
                }
                (JointType::Hinge, false) => {
                    qpos[a] = rng.uniform(-std::f64::consts::PI, std::f64::consts::PI)
                }
                _ => {}
            }
        }
        let close = rng.rand() < 0.2;
        let bound = if close { 0.3 } else { 2.0 };
        let tx = rng.uniform(-bound, bound);
        let ty = rng.uniform(-bound, bound);
        self.sim.reset();
        self.sim.qpos_mut().copy_from_slice(&qpos);
        self.set_target([tx, ty]);
        self.sim.forward();
        self.steps = 0;
        self.observation()
    }

    /// Starts an episode from a given pose at rest: the head's root at (0, 0) with heading
    /// `heading` \[rad\] (0: facing −y, as the model is built), internal joint angles `joints`
    /// \[rad\] (empty: all 0), the target centred at `target` (x, y) \[m\].
    pub fn reset_to(
        &mut self,
        joints: &[f64],
        heading: f64,
        target: [f64; 2],
    ) -> Result<Observation, SwimmerError> {
        self.begin_episode(joints, heading, target)?;
        Ok(self.observation())
    }

    fn begin_episode(
        &mut self,
        joints: &[f64],
        heading: f64,
        target: [f64; 2],
    ) -> Result<(), SwimmerError> {
        if !joints.is_empty() && joints.len() != self.links - 1 {
            return Err(SwimmerError::PoseLength {
                links: self.links,
                want: self.links - 1,
                got: joints.len(),
            });
        }
        for (what, v) in joints
            .iter()
            .enumerate()
            .map(|(k, &v)| (format!("joint angle {k}"), v))
            .chain([
                ("heading".to_string(), heading),
                ("target x".to_string(), target[0]),
                ("target y".to_string(), target[1]),
            ])
        {
            if !v.is_finite() {
                return Err(SwimmerError::NotFinite { what, value: v });
            }
        }
        // dm_control: mj_resetData, set the state inside reset_context, then mj_forward.
        self.sim.reset();
        let adr: Vec<usize> = self.joint_qpos.clone();
        let qpos = self.sim.qpos_mut();
        qpos[2] = heading;
        for (k, &a) in adr.iter().enumerate() {
            qpos[a] = joints.get(k).copied().unwrap_or(0.0);
        }
        self.set_target(target);
        self.sim.forward();
        self.steps = 0;
        Ok(())
    }

    /// Moves the target (and its light, as dm_control does) to (x, y), keeping its height.
    fn set_target(&mut self, xy: [f64; 2]) {
        let (g, l) = (self.target_geom, self.target_light);
        let [_, _, gz] = self.sim.model().geom_pos(g);
        self.sim.set_geom_pos(g, [xy[0], xy[1], gz]);
        let [_, _, lz] = self.sim.model().light_pos(l);
        self.sim.set_light_pos(l, [xy[0], xy[1], lz]);
    }

    /// Target centre (x, y) \[m\].
    pub fn target(&self) -> [f64; 2] {
        let [x, y, _] = self.sim.model().geom_pos(self.target_geom);
        [x, y]
    }

    /// One control step: the action (one control per joint, head to tail, clamped by MuJoCo
    /// to \[−1, 1\]) held for 15 physics steps; returns the new observation and the reward.
    /// Stepping past [`EPISODE_STEPS`] is allowed (the caller decides when episodes end).
    pub fn step(&mut self, action: &[f64]) -> Result<(Observation, f64), SwimmerError> {
        self.act(action)?;
        Ok((self.observation(), self.reward()))
    }

    /// As [`Swimmer::step`] without building the observation (for rollouts that only need the
    /// reward and positions).
    pub fn act(&mut self, action: &[f64]) -> Result<(), SwimmerError> {
        if action.len() != self.links - 1 {
            return Err(SwimmerError::ActionLength {
                links: self.links,
                want: self.links - 1,
                got: action.len(),
            });
        }
        if let Some((k, &v)) = action.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(SwimmerError::NotFinite {
                what: format!("action {k}"),
                value: v,
            });
        }
        self.sim.ctrl_mut().copy_from_slice(action);
        // dm_control's legacy_step for non-RK4 integrators: the last mj_step1 (or the forward
        // pass of the reset) already computed this state's position/velocity stage.
        self.sim.step2();
        for _ in 1..self.substeps {
            self.sim.step();
        }
        self.sim.step1();
        self.steps += 1;
        Ok(())
    }

    /// Nose-to-target vector in the head's frame (x, y) \[m\] (`Physics.nose_to_target`).
    pub fn nose_to_target(&self) -> [f64; 2] {
        let t = self.sim.geom_xpos(self.target_geom);
        let n = self.sim.geom_xpos(self.nose);
        let r = self.sim.xmat(self.head);
        let d = [t[0] - n[0], t[1] - n[1], t[2] - n[2]];
        // Row vector times the row-major rotation matrix: d · R.
        let col = |j: usize| d[0] * r[j] + d[1] * r[3 + j] + d[2] * r[6 + j];
        [col(0), col(1)]
    }

    /// The reward of the current state (`Swimmer.get_reward`), in \[0, 1\].
    pub fn reward(&self) -> f64 {
        let [dx, dy] = self.nose_to_target();
        let dist = (dx * dx + dy * dy).sqrt();
        rewards::tolerance(
            dist,
            (0.0, self.target_size),
            5.0 * self.target_size,
            Sigmoid::LongTail,
            rewards::DEFAULT_VALUE_AT_MARGIN,
        )
    }

    /// The current observation.
    pub fn observation(&self) -> Observation {
        let q = self.sim.qpos();
        let joints = self.joint_qpos.iter().map(|&a| q[a]).collect();
        let sd = &self.sim.sensordata()[12..];
        let body_velocities = sd
            .chunks_exact(6)
            .flat_map(|c| [c[0], c[1], c[5]])
            .collect();
        Observation {
            joints,
            to_target: self.nose_to_target(),
            body_velocities,
        }
    }

    /// The nose's position (x, y) in the world \[m\].
    pub fn nose_xy(&self) -> [f64; 2] {
        let p = self.sim.geom_xpos(self.nose);
        [p[0], p[1]]
    }

    /// The internal joint angles \[rad\], head to tail.
    pub fn joint_angles(&self) -> Vec<f64> {
        let q = self.sim.qpos();
        self.joint_qpos.iter().map(|&a| q[a]).collect()
    }

    /// The ends of the links in the world (x, y), head to tail, for drawing the body \[m\]:
    /// the head's root joint, each segment's joint, then the tail's free end (n + 1 points,
    /// so that consecutive points are the n links).
    pub fn joint_points(&self) -> Vec<[f64; 2]> {
        let m = self.sim.model();
        let mut out = Vec::with_capacity(self.links + 1);
        for b in 1..m.nbody() {
            let p = self.sim.xpos(b);
            let r = self.sim.xmat(b);
            // Each link's capsule runs from (0, -0.05, 0) (its joint) to (0, 0.05, 0) in its
            // body's frame; the next body starts 0.1 m on, so its joint is this link's end.
            out.push([p[0] - 0.05 * r[1], p[1] - 0.05 * r[4]]);
            if b + 1 == m.nbody() {
                out.push([p[0] + 0.05 * r[1], p[1] + 0.05 * r[4]]);
            }
        }
        out
    }

    /// How many times MuJoCo reset an unstable state since the episode began (should be 0).
    pub fn unstable_count(&self) -> i32 {
        self.sim.unstable_count()
    }

    /// Saves the episode (physics, target, step count).
    pub fn save(&self) -> SwimmerState {
        SwimmerState {
            physics: self.sim.save(),
            target: self.target(),
            steps: self.steps,
        }
    }

    /// Restores a saved episode; stepping on gives bit-identical results.
    pub fn restore(&mut self, s: &SwimmerState) -> Result<(), SwimmerError> {
        self.set_target(s.target);
        self.sim.restore(&s.physics)?;
        self.steps = s.steps;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_has_dm_controls_structure() {
        let x = swimmer_xml(6).expect("6 links");
        for i in 0..5 {
            assert!(x.contains(&format!(r#"<body name="segment_{i}" pos="0 .1 0">"#)));
            assert!(x.contains(&format!(r#"<joint name="joint_{i}" range="-60 60"/>"#)));
            assert!(x.contains(&format!(r#"<motor name="motor_{i}" joint="joint_{i}"/>"#)));
        }
        assert!(!x.contains("segment_5"));
        assert_eq!(x.matches("<body").count(), 6);
        assert_eq!(x.matches("</body>").count(), 6);
        // The tracking cameras move out by n/6 (unchanged at 6 links).
        assert!(x.contains(r#"name="tracking1" pos="0 -0.2 0.5""#), "{x}");
        assert!(swimmer_xml(12).expect("12").contains(r#"pos="0 -0.4 1""#));
    }

    #[test]
    fn unstable_error_counts_resets_and_hints() {
        let e = SwimmerError::Unstable { resets: 2 }.to_string();
        assert!(
            e.starts_with("MuJoCo reset an unstable state 2 time(s)"),
            "{e}"
        );
        assert!(e.contains("hint:"), "{e}");
        assert_eq!(joint_limit(6), std::f64::consts::PI / 3.0);
    }

    #[test]
    fn too_few_links_is_an_error() {
        let e = swimmer_xml(2).expect_err("2 links");
        assert!(e.to_string().contains("at least 3 links, got 2"), "{e}");
    }

    #[test]
    fn flat_observation_order() {
        let o = Observation {
            joints: vec![1.0, 2.0],
            to_target: [3.0, 4.0],
            body_velocities: vec![5.0; 9],
        };
        let f = o.flat();
        assert_eq!(&f[..4], &[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(f.len(), 2 + 2 + 9);
    }
}
