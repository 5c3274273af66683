//! NCAP, the C. elegans-inspired swimming circuit of Bhattasali, Zador & Engel (2022),
//! "Neural circuit architectural priors for embodied control", NeurIPS (arXiv:2201.05242),
//! as its public repository defines it (`nikhilxb/ncap-swimmer`, `neurobo/ncap/swimmer.py`,
//! `SwimmerModule` without the optional speed and turn inputs).
//!
//! For each joint i (0 nearest the head) a dorsal and a ventral B-neuron and a dorsal and a
//! ventral muscle, all graded units `clamp(x, 0, 1)`:
//! - proprioception: joint i's B-neurons receive the previous joint's angle, split into its
//!   positive (dorsal) and negative (ventral) parts, through an excitatory weight (i > 0), so
//!   that a bend propagates head to tail;
//! - the head oscillator drives joint 0's B-neurons with a square wave: dorsal on for the
//!   first half of each period (default 60 control steps), ventral for the second;
//! - muscles: ipsilateral excitation (w ≥ 0) from the same side's B-neuron, contralateral
//!   inhibition (w ≤ 0) from the other side's;
//! - torque_i = dorsal muscle − ventral muscle, in \[−1, 1\].
//!
//! Joint angles enter normalised by the joint limit 2π/n_links and clamped to \[−1, 1\].
//! With weight sharing there are four parameters (B-neuron proprioceptive weight, oscillator
//! weight, muscle ipsilateral and contralateral weights); without it, 6 per joint (n_joints
//! of them, less the missing proprioception of joint 0 and oscillator of joints > 0: 2(n − 1)
//! proprioceptive + 2 oscillator + 4n muscle weights). With sign constraints, excitatory
//! weights enter as max(w, 0) and inhibitory ones as min(w, 0); without, as they are.

use crate::random::RandomState;
use crate::rollout::Policy;
use crate::swimmer::Observation;

/// Which NCAP variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NcapConfig {
    /// Number of actuated joints (links − 1).
    pub joints: usize,
    /// Oscillator period \[control steps\] (the paper's 60).
    pub period: usize,
    /// One weight per connection type shared by all joints (4 parameters) instead of one per
    /// joint and side.
    pub shared: bool,
    /// Excitatory weights clamped ≥ 0 and inhibitory ones ≤ 0.
    pub constrained: bool,
}

impl NcapConfig {
    /// The paper's default circuit for `joints` joints: period 60, shared, sign-constrained.
    pub fn paper(joints: usize) -> NcapConfig {
        NcapConfig {
            joints,
            period: 60,
            shared: true,
            constrained: true,
        }
    }
}

/// Sign of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sign {
    /// Excitatory (w ≥ 0 under constraints).
    Excitatory,
    /// Inhibitory (w ≤ 0 under constraints).
    Inhibitory,
}

/// Indices of one joint's six weights into the parameter vector (`None`: absent).
#[derive(Debug, Clone, Copy)]
struct JointWeights {
    prop_d: Option<usize>,
    prop_v: Option<usize>,
    osc_d: Option<usize>,
    osc_v: Option<usize>,
    d_d: usize,
    d_v: usize,
    v_v: usize,
    v_d: usize,
}

/// The NCAP circuit with its parameters.
#[derive(Debug, Clone)]
pub struct Ncap {
    config: NcapConfig,
    params: Vec<f64>,
    names: Vec<String>,
    signs: Vec<Sign>,
    wiring: Vec<JointWeights>,
}

impl Ncap {
    /// The circuit with the repository's constant initialisation: excitatory weights 1,
    /// inhibitory −1 (with constraints); without constraints each weight ±1 with probability
    /// 1/2 from `RandomState(seed)` (`unsigned_constant`; `seed` is unused otherwise).
    ///
    /// Panics if `joints == 0` or `period < 2`.
    pub fn new(config: NcapConfig, seed: u32) -> Ncap {
        assert!(config.joints > 0, "NCAP needs at least one joint");
        assert!(
            config.period >= 2,
            "NCAP oscillator period {} must be at least 2 control steps",
            config.period
        );
        let mut names = Vec::new();
        let mut signs = Vec::new();
        let mut add = |name: String, sign: Sign| {
            names.push(name);
            signs.push(sign);
            names.len() - 1
        };
        let wiring = if config.shared {
            // The repository's ParameterDict order.
            let prop = add("bneuron_prop".into(), Sign::Excitatory);
            let osc = add("bneuron_osc".into(), Sign::Excitatory);
            let ipsi = add("muscle_ipsi".into(), Sign::Excitatory);
            let contra = add("muscle_contra".into(), Sign::Inhibitory);
            (0..config.joints)
                .map(|i| JointWeights {
                    prop_d: (i > 0).then_some(prop),
                    prop_v: (i > 0).then_some(prop),
                    osc_d: (i == 0).then_some(osc),
                    osc_v: (i == 0).then_some(osc),
                    d_d: ipsi,
                    d_v: contra,
                    v_v: ipsi,
                    v_d: contra,
                })
                .collect()
        } else {
            (0..config.joints)
                .map(|i| {
                    let (mut prop_d, mut prop_v, mut osc_d, mut osc_v) = (None, None, None, None);
                    if i > 0 {
                        prop_d = Some(add(format!("bneuron_d_prop_{i}"), Sign::Excitatory));
                        prop_v = Some(add(format!("bneuron_v_prop_{i}"), Sign::Excitatory));
                    }
                    if i == 0 {
                        osc_d = Some(add(format!("bneuron_d_osc_{i}"), Sign::Excitatory));
                        osc_v = Some(add(format!("bneuron_v_osc_{i}"), Sign::Excitatory));
                    }
                    JointWeights {
                        prop_d,
                        prop_v,
                        osc_d,
                        osc_v,
                        d_d: add(format!("muscle_d_d_{i}"), Sign::Excitatory),
                        d_v: add(format!("muscle_d_v_{i}"), Sign::Inhibitory),
                        v_v: add(format!("muscle_v_v_{i}"), Sign::Excitatory),
                        v_d: add(format!("muscle_v_d_{i}"), Sign::Inhibitory),
                    }
                })
                .collect()
        };
        let params = if config.constrained {
            signs
                .iter()
                .map(|s| match s {
                    Sign::Excitatory => 1.0,
                    Sign::Inhibitory => -1.0,
                })
                .collect()
        } else {
            let mut rng = RandomState::new(seed);
            signs
                .iter()
                .map(|_| if rng.rand() < 0.5 { 1.0 } else { -1.0 })
                .collect()
        };
        Ncap {
            config,
            params,
            names,
            signs,
            wiring,
        }
    }

    /// The variant.
    pub fn config(&self) -> NcapConfig {
        self.config
    }
    /// The parameters (raw, before any sign clamp), in [`Ncap::names`] order.
    pub fn params(&self) -> &[f64] {
        &self.params
    }
    /// Replaces the parameters. Panics on a length mismatch.
    pub fn set_params(&mut self, p: &[f64]) {
        assert_eq!(
            p.len(),
            self.params.len(),
            "NCAP with {} parameters given {}",
            self.params.len(),
            p.len()
        );
        self.params.copy_from_slice(p);
    }
    /// Parameter names, as the repository's ParameterDict keys.
    pub fn names(&self) -> &[String] {
        &self.names
    }
    /// Each parameter's sign.
    pub fn signs(&self) -> &[Sign] {
        &self.signs
    }

    /// The effective weight of parameter `k` (sign-clamped under constraints).
    fn w(&self, k: usize) -> f64 {
        let p = self.params[k];
        if !self.config.constrained {
            return p;
        }
        match self.signs[k] {
            Sign::Excitatory => p.max(0.0),
            Sign::Inhibitory => p.min(0.0),
        }
    }

    /// The head oscillator at control step `t`: (dorsal, ventral), a square wave that is
    /// dorsal for the first ⌊period/2⌋ steps of each period.
    pub fn oscillator(&self, t: usize) -> (f64, f64) {
        if t % self.config.period < self.config.period / 2 {
            (1.0, 0.0)
        } else {
            (0.0, 1.0)
        }
    }

    /// Joint torques (`joints` values in \[−1, 1\]) from normalised joint angles `joint_pos`
    /// (each in \[−1, 1\]) at control step `t`.
    pub fn forward(&self, joint_pos: &[f64], t: usize, torques: &mut [f64]) {
        let n = self.config.joints;
        assert!(
            joint_pos.len() == n && torques.len() == n,
            "NCAP for {n} joints given {} angles and {} torque slots",
            joint_pos.len(),
            torques.len()
        );
        let graded = |x: f64| x.clamp(0.0, 1.0);
        let (osc_d, osc_v) = self.oscillator(t);
        for (i, jw) in self.wiring.iter().enumerate() {
            let (mut b_d, mut b_v) = (0.0, 0.0);
            if let (Some(kd), Some(kv)) = (jw.prop_d, jw.prop_v) {
                let q = joint_pos[i - 1];
                b_d += q.clamp(0.0, 1.0) * self.w(kd);
                b_v += (-q).clamp(0.0, 1.0) * self.w(kv);
            }
            if let (Some(kd), Some(kv)) = (jw.osc_d, jw.osc_v) {
                b_d += osc_d * self.w(kd);
                b_v += osc_v * self.w(kv);
            }
            let (b_d, b_v) = (graded(b_d), graded(b_v));
            let m_d = graded(b_d * self.w(jw.d_d) + b_v * self.w(jw.d_v));
            let m_v = graded(b_v * self.w(jw.v_v) + b_d * self.w(jw.v_d));
            torques[i] = m_d - m_v;
        }
    }
}

/// NCAP driving the dm_control swimmer: the observation's joint angles normalised by the
/// joint limit 2π/n_links and clamped to \[−1, 1\], torques as actions (`SwimmerPolicy`).
impl Policy for Ncap {
    fn act(&self, t: usize, obs: &Observation, action: &mut [f64]) {
        let limit = crate::swimmer::joint_limit(self.config.joints + 1);
        let q: Vec<f64> = obs
            .joints
            .iter()
            .map(|a| (a / limit).clamp(-1.0, 1.0))
            .collect();
        self.forward(&q, t, action);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_counts_and_names() {
        let shared = Ncap::new(NcapConfig::paper(5), 0);
        assert_eq!(
            shared.names(),
            &[
                "bneuron_prop",
                "bneuron_osc",
                "muscle_ipsi",
                "muscle_contra"
            ]
        );
        assert_eq!(shared.params(), &[1.0, 1.0, 1.0, -1.0]);
        let unshared = Ncap::new(
            NcapConfig {
                shared: false,
                ..NcapConfig::paper(5)
            },
            0,
        );
        // 2 (n - 1) proprioceptive + 2 oscillator + 4 n muscle weights = 6 n.
        assert_eq!(unshared.params().len(), 30);
        assert_eq!(unshared.names()[0], "bneuron_d_osc_0");
        assert_eq!(unshared.names()[6], "bneuron_d_prop_1");
    }

    #[test]
    fn hand_computed_torques() {
        let c = Ncap::new(NcapConfig::paper(3), 0);
        let mut u = [0.0; 3];
        // t = 0: the oscillator is dorsal, so joint 0's dorsal B-neuron fires (1) and drives
        // the dorsal muscle (1) while inhibiting the ventral one (0): torque 1. Joint 1 reads
        // joint 0's angle 0.5 (dorsal part 0.5): torque 0.5. Joint 2 reads -0.3 (ventral part
        // 0.3): ventral muscle 0.3, dorsal graded(-0.3) = 0: torque -0.3.
        c.forward(&[0.5, -0.3, 0.9], 0, &mut u);
        assert_eq!(u, [1.0, 0.5, -0.3]);
        // Second half of the period: the ventral oscillator drives joint 0 the other way.
        c.forward(&[0.0, 0.0, 0.0], 30, &mut u);
        assert_eq!(u, [-1.0, 0.0, 0.0]);
        c.forward(&[0.0, 0.0, 0.0], 59, &mut u);
        assert_eq!(u[0], -1.0);
        c.forward(&[0.0, 0.0, 0.0], 60, &mut u);
        assert_eq!(u[0], 1.0);
    }

    #[test]
    fn weights_and_graded_units() {
        let mut c = Ncap::new(NcapConfig::paper(2), 0);
        // prop 0.4, osc 2 (B-neuron saturates at 1), ipsi 0.7, contra -0.2.
        c.set_params(&[0.4, 2.0, 0.7, -0.2]);
        let mut u = [0.0; 2];
        c.forward(&[0.5, 0.0], 0, &mut u);
        // Joint 0: b_d = 1, b_v = 0 → m_d = 0.7, m_v = graded(-0.2) = 0.
        // Joint 1: b_d = 0.5·0.4 = 0.2 → m_d = 0.14, m_v = 0.
        assert!(
            (u[0] - 0.7).abs() < 1e-15 && (u[1] - 0.14).abs() < 1e-15,
            "{u:?}"
        );
    }

    #[test]
    fn sign_constraints_clamp_and_unconstrained_do_not() {
        let mut c = Ncap::new(NcapConfig::paper(2), 0);
        // A negative "excitatory" oscillator weight counts as 0 under constraints.
        c.set_params(&[1.0, -1.0, 1.0, -1.0]);
        let mut u = [9.0; 2];
        c.forward(&[0.0, 0.0], 0, &mut u);
        assert_eq!(u, [0.0, 0.0]);
        let mut free = Ncap::new(
            NcapConfig {
                constrained: false,
                ..NcapConfig::paper(2)
            },
            0,
        );
        assert!(free.params().iter().all(|&p| p == 1.0 || p == -1.0));
        // Unconstrained: osc -1 inhibits the dorsal B-neuron (graded to 0); contra +1 now
        // excites: with prop 1 and joint 0 at -0.5, joint 1's ventral B-neuron is 0.5 and
        // drives both muscles to 0.5 (ipsi 1, contra +1): torque 0.
        free.set_params(&[1.0, -1.0, 1.0, 1.0]);
        free.forward(&[-0.5, 0.0], 0, &mut u);
        assert_eq!(u, [0.0, 0.0]);
        free.set_params(&[1.0, 1.0, 1.0, 1.0]);
        free.forward(&[0.0, 0.0], 0, &mut u);
        // Joint 0: b_d = 1 drives both muscles: 1 - 1 = 0.
        assert_eq!(u[0], 0.0);
    }

    #[test]
    fn unconstrained_init_draws_signs_from_the_seed() {
        let cfg = NcapConfig {
            constrained: false,
            shared: false,
            ..NcapConfig::paper(6)
        };
        let a = Ncap::new(cfg, 1);
        assert_eq!(a.params(), Ncap::new(cfg, 1).params());
        assert_ne!(a.params(), Ncap::new(cfg, 2).params());
        let pos = a.params().iter().filter(|&&p| p > 0.0).count();
        assert!(pos > 5 && pos < 31, "{pos} of 36 positive");
    }
}
