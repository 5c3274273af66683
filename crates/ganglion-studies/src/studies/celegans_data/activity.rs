//! The activity half of `celegans-data`: calcium-like activity simulated on the Cook 2019
//! connectome by the engine, "imaged" as different labs do (their own sampling rate with
//! jitter, a subset of neurons recorded and only some of them identified, measurement noise),
//! and homogenised with the Simeon et al. (2024) pipeline onto the 300 slots — where the
//! truth is known, so every step can be checked.

use std::path::Path;

use ganglion_analysis::calcium::{self, FINE_DT, Slotted};
use ganglion_analysis::encoding::pearson;
use ganglion_base::rng::{Stream, derive};
use ganglion_data::connectome::{Connectome, slot_names};
use ganglion_model::{Input, Value, validate_circuit};
use ganglion_sim::Network;
use serde::Serialize;

use super::study_err;
use crate::StudyError;
use crate::worm::{self, WormOptions};

/// Engine time step and the interval at which the engine's activity is recorded (ms).
const DT_MS: f64 = 10.0;
const RECORD_MS: f64 = 100.0;
/// Time constant of the rate units (graded potentials; ms).
pub(super) const TAU_MS: f64 = 1000.0;
/// Decay time constant of the calcium indicator, a GCaMP6s-like 1 s (s).
pub(super) const CA_TAU_S: f64 = 1.0;
/// Each neuron's private drive: an Ornstein–Uhlenbeck process (correlation time, SD),
/// held for `DRIVE_STEP_MS` at a time.
pub(super) const DRIVE_TAU_S: f64 = 2.0;
const DRIVE_SD: f64 = 1.0;
const DRIVE_STEP_MS: f64 = 200.0;
/// The shared command drive: one slow OU process (correlation time, SD) that excites the
/// backward command interneurons and inhibits the forward ones, as the global forward/reverse
/// state that dominates whole-brain recordings does (Kato et al. 2015, Cell 163:656).
pub(super) const COMMAND_TAU_S: f64 = 10.0;
const COMMAND_SD: f64 = 1.0;
const BACKWARD: [&str; 6] = ["AVAL", "AVAR", "AVDL", "AVDR", "AVEL", "AVER"];
const FORWARD: [&str; 4] = ["AVBL", "AVBR", "PVCL", "PVCR"];
/// The spectral radius of the chemical weights (bounded by that of the synapse counts): below
/// 1, the chemical synapses alone keep the linear network stable, and the gap junctions (a
/// symmetric negative semi-definite coupling) only damp it further.
pub(super) const CHEMICAL_GAIN: f64 = 0.8;
/// The summed gap-junction conductance of the average coupled neuron, relative to the leak
/// (a neuron's junction counts are heavy-tailed: the most coupled has ~10× the average).
pub(super) const GAP_GAIN: f64 = 1.0;
/// The labs' volume rates (Hz), from slower to faster than the common interval.
const RATES_HZ: [f64; 4] = [1.0, 1.7, 2.9, 6.0];
/// Neurons recorded per worm, the fraction of them identified, and the measurement noise SD
/// relative to each trace's SD.
const RECORDED: usize = 120;
const IDENTIFIED: f64 = 0.75;
pub(super) const NOISE: f64 = 0.5;
/// worm-graph's preprocessing (`configs/submodule/preprocess.yaml`): Gaussian smoothing of
/// σ = 3 samples at the original rate, then resampling to 0.7 s by linear interpolation.
pub(super) const SMOOTH_SIGMA: f64 = 3.0;
pub(super) const RESAMPLE_DT: f64 = 0.7;

/// The simulated truth of one worm: calcium of every slot neuron at 10 Hz.
pub(super) struct Truth {
    /// Sample times (s).
    pub times: Vec<f64>,
    /// Time × slots (0 for a slot the simulation lacks).
    pub calcium: Vec<f64>,
}

/// One simulated recording and its homogenised form.
pub(super) struct Worm {
    pub rate_hz: f64,
    pub truth: Truth,
    /// The homogenised recording with and without smoothing.
    pub slotted: Slotted,
    pub unsmoothed: Slotted,
    /// Common-grid times (s) of `slotted`.
    pub grid: Vec<f64>,
}

/// Per worm: what homogenisation kept of the truth.
#[derive(Debug, Clone, Serialize)]
pub(super) struct WormRow {
    pub worm: usize,
    pub rate_hz: f64,
    pub samples: usize,
    pub grid_samples: usize,
    pub identified: usize,
    pub unidentified: usize,
    /// Median over identified neurons of r(homogenised trace, true calcium on the grid).
    pub trace_r: f64,
    pub trace_r_unsmoothed: f64,
    /// Fraction of identified slots whose trace correlates best with their own neuron's truth.
    pub identification: f64,
    /// r between the pairwise correlations of the homogenised traces and of the truth.
    pub fc_r: f64,
}

/// The circuit of the Cook 2019 connectome (all 302 neurons; CANL/R have no synapses).
pub(super) fn connectome(dir: &Path) -> Result<Connectome, StudyError> {
    let conn = Connectome::load(&dir.join("Cook2019HermReader.json"))
        .map_err(|e| study_err(e.to_string()))?;
    Ok(conn.neurons_only(true))
}

/// Chemical weight per synapse and gap conductance per junction for `conn`.
fn gains(conn: &Connectome) -> (f64, f64) {
    let n = conn.nodes.len();
    // The Perron root of the synapse-count matrix (power iteration on a non-negative matrix),
    // which bounds the spectral radius of the signed weights.
    let perron = conn.layer("chemical").map_or(0.0, |l| {
        let mut v = vec![1.0; n];
        let mut root = 0.0;
        for _ in 0..500 {
            let next: Vec<f64> = (0..n)
                .map(|j| (0..n).map(|i| l.weights[i * n + j] * v[i]).sum())
                .collect();
            let norm = next.iter().map(|x| x * x).sum::<f64>().sqrt();
            if norm == 0.0 {
                return 0.0;
            }
            root = norm / v.iter().map(|x| x * x).sum::<f64>().sqrt();
            v = next.into_iter().map(|x| x / norm).collect();
        }
        root
    });
    // Summed junction counts of the neurons that have gap junctions.
    let sums: Vec<f64> = conn.layer("electrical").map_or(vec![], |l| {
        (0..n)
            .map(|i| l.weights[i * n..(i + 1) * n].iter().sum::<f64>())
            .filter(|s| *s > 0.0)
            .collect()
    });
    let mean_gap = sums.iter().sum::<f64>() / sums.len().max(1) as f64;
    (
        CHEMICAL_GAIN / perron.max(1.0),
        GAP_GAIN / mean_gap.max(1.0),
    )
}

/// Runs worm `w` (its own drive, seeded by `seed`) for `seconds` and returns the calcium
/// of every slot at 10 Hz. The drive file lives in `scratch` only while the engine runs.
pub(super) fn simulate(
    conn: &Connectome,
    w: usize,
    seconds: f64,
    seed: u64,
    scratch: &Path,
) -> Result<Truth, StudyError> {
    let n = conn.nodes.len();
    let (chemical, gap) = gains(conn);
    let o = WormOptions {
        model: "rate_linear".into(),
        chemical: Some(format!("{chemical}")),
        gap: format!("{gap}"),
        pharynx: true,
        inhibitory: WormOptions::gabaergic(),
        dt: format!("{DT_MS} ms"),
        duration: format!("{} ms", seconds * 1000.0),
    };
    let file = |f: &str| scratch.join(format!("worm{w}_{f}"));
    let wc =
        worm::circuit(conn, &o, |f| file(f).to_string_lossy().into_owned()).map_err(study_err)?;
    let mut files: Vec<std::path::PathBuf> = vec![];
    for (f, text) in &wc.files {
        std::fs::write(file(f), text).map_err(StudyError::io(file(f)))?;
        files.push(file(f));
    }
    // The drive: an OU process per neuron plus the command process, sampled every
    // DRIVE_STEP_MS.
    let steps = (seconds * 1000.0 / DRIVE_STEP_MS).ceil() as usize + 1;
    let mut s = Stream::new(derive(seed, w as u64));
    let mut ou = |tau_s: f64, sd: f64| -> Vec<f64> {
        let a = (-DRIVE_STEP_MS / 1000.0 / tau_s).exp();
        let mut x = vec![sd * s.normal()];
        for k in 1..steps {
            x.push(a * x[k - 1] + (1.0 - a * a).sqrt() * sd * s.normal());
        }
        x
    };
    let command = ou(COMMAND_TAU_S, COMMAND_SD);
    let sign: Vec<f64> = wc
        .neurons
        .iter()
        .map(|name| {
            let is = |set: &[&str]| set.contains(&name.as_str());
            if is(&BACKWARD) {
                1.0
            } else if is(&FORWARD) {
                -1.0
            } else {
                0.0
            }
        })
        .collect();
    let mut drive = vec![0.0f64; steps * n];
    for j in 0..n {
        for (k, x) in ou(DRIVE_TAU_S, DRIVE_SD).into_iter().enumerate() {
            drive[k * n + j] = x + sign[j] * command[k];
        }
    }
    let drive_file = file("drive.npy");
    ganglion_base::npy::write(&drive_file, &[steps, n], &drive)
        .map_err(StudyError::io(&drive_file))?;
    files.push(drive_file.clone());
    let mut input = Input::new("timeseries", worm::POPULATION);
    input.file = Some(drive_file.to_string_lossy().into_owned());
    input.step = Some(format!("{DRIVE_STEP_MS} ms").as_str().into());
    let mut c = wc.circuit.input(input);
    c.populations[0]
        .params
        .insert("tau".into(), Value::from(format!("{TAU_MS} ms").as_str()));
    c.monitors[0].every = Some(format!("{RECORD_MS} ms").as_str().into());
    let run = validate_circuit(&c)
        .map_err(|e| study_err(e.to_string()))
        .and_then(|r| {
            Network::build(&r)
                .and_then(|mut net| net.run(None))
                .map_err(|e| study_err(e.to_string()))
        });
    for f in &files {
        let _ = std::fs::remove_file(f);
    }
    let st = &run?.states[0];
    // Calcium: the activity through the indicator's first-order decay (exact for samples
    // held over each recording interval).
    let slots = slot_names();
    let at: Vec<Option<usize>> = wc
        .neurons
        .iter()
        .map(|name| slots.binary_search(&name.as_str()).ok())
        .collect();
    let samples = st.times_ms.len();
    let k = 1.0 - (-RECORD_MS / 1000.0 / CA_TAU_S).exp();
    let mut calcium = vec![0.0; samples * slots.len()];
    let mut ca = vec![0.0; n];
    for t in 0..samples {
        for (j, slot) in at.iter().enumerate() {
            let r = f64::from(st.values[t * n + j]);
            ca[j] = if t == 0 { r } else { ca[j] + k * (r - ca[j]) };
            if let Some(i) = slot {
                calcium[t * slots.len() + i] = ca[j];
            }
        }
    }
    Ok(Truth {
        times: st.times_ms.iter().map(|t| t / 1000.0).collect(),
        calcium,
    })
}

/// Images `truth` as a lab would (rate, jitter, recorded and identified subsets, noise) and
/// homogenises the recording.
pub(super) fn image(truth: Truth, w: usize, seed: u64) -> Result<Worm, StudyError> {
    let slots = slot_names();
    let m = slots.len();
    let rate_hz = RATES_HZ[w % RATES_HZ.len()];
    let mut s = Stream::new(derive(seed, 1000 + w as u64));
    // Volume times: the nominal interval with up to 10 % jitter, inside the simulated span.
    let end = truth.times[truth.times.len() - 1];
    let times: Vec<f64> = (0..)
        .map(|k| (k as f64 + 0.1 * s.uniform()) / rate_hz)
        .take_while(|&t| t <= end)
        .collect();
    // Which slots are recorded (the first `identified` of a random order are named).
    let mut order: Vec<usize> = (0..m).collect();
    for i in (1..m).rev() {
        order.swap(i, s.below(i as u64 + 1) as usize);
    }
    let recorded = &order[..RECORDED];
    let identified = (IDENTIFIED * RECORDED as f64).round() as usize;
    let names: Vec<String> = recorded
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            if k < identified {
                slots[i].to_string()
            } else {
                format!("unidentified_{k}")
            }
        })
        .collect();
    let r = recorded.len();
    let mut data = vec![0.0; times.len() * r];
    for (c, &i) in recorded.iter().enumerate() {
        let col = column(&truth.calcium, m, i);
        let sd = std_dev(&col);
        for (t, v) in calcium::interp_linear(&truth.times, &col, &times)
            .into_iter()
            .enumerate()
        {
            data[t * r + c] = v + NOISE * sd * s.normal();
        }
    }
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let err = |e: calcium::CalciumError| study_err(format!("worm {w}: {e}"));
    let z = calcium::standardize(&data, r).map_err(err)?;
    let homogenise = |x: &[f64]| -> Result<(Vec<f64>, Slotted), StudyError> {
        let res = calcium::resample(&times, x, r, RESAMPLE_DT).map_err(err)?;
        Ok((
            res.times,
            calcium::to_slots(&names, &res.data, &slots).map_err(err)?,
        ))
    };
    let smoothed = calcium::gaussian_smooth(&z, r, SMOOTH_SIGMA).map_err(err)?;
    let (grid, slotted) = homogenise(&smoothed)?;
    let (_, unsmoothed) = homogenise(&z)?;
    Ok(Worm {
        rate_hz,
        truth,
        slotted,
        unsmoothed,
        grid,
    })
}

pub(super) fn column(x: &[f64], n: usize, j: usize) -> Vec<f64> {
    x.chunks(n).map(|row| row[j]).collect()
}

fn std_dev(x: &[f64]) -> f64 {
    let mean = x.iter().sum::<f64>() / x.len() as f64;
    (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
}

/// The identified slots of a homogenised recording.
pub(super) fn identified(s: &Slotted) -> Vec<usize> {
    (0..s.mask.len()).filter(|&i| s.mask[i]).collect()
}

impl Worm {
    /// The true calcium of slot `i` on the common grid. An averaged sample (recordings faster
    /// than the grid) is the mean over its window, so it is compared with the truth at the
    /// window's centre; an interpolated one with the truth at its time.
    pub fn truth_on_grid(&self, i: usize) -> Vec<f64> {
        let lag = if 1.0 / self.rate_hz >= RESAMPLE_DT {
            0.0
        } else {
            ((RESAMPLE_DT / FINE_DT).round() - 1.0) * FINE_DT / 2.0
        };
        let at: Vec<f64> = self.grid.iter().map(|t| t + lag).collect();
        let col = column(&self.truth.calcium, self.slotted.mask.len(), i);
        calcium::interp_linear(&self.truth.times, &col, &at)
    }

    /// Scores the homogenisation of this worm against its truth.
    pub fn score(&self, w: usize) -> WormRow {
        let m = self.slotted.mask.len();
        let ids = identified(&self.slotted);
        let trace = |s: &Slotted, i: usize| column(&s.data, m, i);
        let truths: Vec<Vec<f64>> = (0..m).map(|i| self.truth_on_grid(i)).collect();
        let median_r = |s: &Slotted| {
            crate::stats::median(
                ids.iter()
                    .map(|&i| pearson(&trace(s, i), &truths[i]))
                    .collect(),
            )
        };
        // Identification among every slot the simulation drives (all but the empty ones).
        let live: Vec<usize> = (0..m).filter(|&j| std_dev(&truths[j]) > 0.0).collect();
        let hits = ids
            .iter()
            .filter(|&&i| {
                let x = trace(&self.slotted, i);
                let best = live
                    .iter()
                    .map(|&j| (j, pearson(&x, &truths[j])))
                    .max_by(|a, b| a.1.total_cmp(&b.1));
                best.map(|b| b.0) == Some(i)
            })
            .count();
        let full: Vec<Vec<f64>> = ids
            .iter()
            .map(|&i| column(&self.truth.calcium, m, i))
            .collect();
        let homog: Vec<Vec<f64>> = ids.iter().map(|&i| trace(&self.slotted, i)).collect();
        let (mut a, mut b) = (vec![], vec![]);
        for p in 0..ids.len() {
            for q in 0..p {
                a.push(pearson(&homog[p], &homog[q]));
                b.push(pearson(&full[p], &full[q]));
            }
        }
        WormRow {
            worm: w,
            rate_hz: self.rate_hz,
            samples: self.truth.times.len(),
            grid_samples: self.grid.len(),
            identified: ids.len(),
            unidentified: self.slotted.unmatched.len(),
            trace_r: median_r(&self.slotted),
            trace_r_unsmoothed: median_r(&self.unsmoothed),
            identification: hits as f64 / ids.len().max(1) as f64,
            fc_r: pearson(&a, &b),
        }
    }
}

/// One slot pair that two worms both identified: its correlation in each worm, homogenised
/// and in the noise-free 10 Hz calcium.
#[derive(Debug, Clone, Copy)]
pub(super) struct SharedPair {
    pub homogenized: (f64, f64),
    pub truth: (f64, f64),
}

/// The pairs of slots that worms `a` and `b` both identified.
pub(super) fn shared_fc(a: &Worm, b: &Worm) -> Vec<SharedPair> {
    let m = a.slotted.mask.len();
    let both: Vec<usize> = (0..m)
        .filter(|&i| a.slotted.mask[i] && b.slotted.mask[i])
        .collect();
    let r = |x: &[f64], i: usize, j: usize| pearson(&column(x, m, i), &column(x, m, j));
    let mut out = vec![];
    for (p, &i) in both.iter().enumerate() {
        for &j in &both[..p] {
            out.push(SharedPair {
                homogenized: (r(&a.slotted.data, i, j), r(&b.slotted.data, i, j)),
                truth: (r(&a.truth.calcium, i, j), r(&b.truth.calcium, i, j)),
            });
        }
    }
    out
}
