//! Inputs lowered into one partition (Poisson trains, spike times, currents, step currents,
//! time series) and how each writes into the ring buffers or the external current.

use crate::network::{PopPart, TAG_INPUT, channel_of};
use crate::rng::{Stream, derive};
use crate::sample::draw;
use ganglion_model::{InputKind, Receptor, Resolved};

#[derive(Debug)]
pub(crate) enum InputPart {
    Poisson {
        pop: usize,
        /// (local index, stream key, λ per step, weight)
        targets: Vec<(u32, u64, f64, f32)>,
        /// Cumulative Poisson probabilities when every target has the same λ < 64 (the usual
        /// case): a sample is then one uniform and a short scan, no exp or division.
        cdf: Option<Vec<f64>>,
        channel: usize,
        delay: usize,
    },
    SpikeTimes {
        pop: usize,
        /// (read step, local index), sorted by step.
        events: Vec<(u64, u32)>,
        cursor: usize,
        weight: f32,
        channel: usize,
    },
    Current {
        pop: usize,
        targets: Vec<(u32, f32)>,
        start: u64,
        stop: u64,
    },
    StepCurrent {
        pop: usize,
        targets: Vec<u32>,
        steps: Vec<u64>,
        amps: Vec<f32>,
    },
    TimeSeries {
        pop: usize,
        /// (local index, column)
        targets: Vec<(u32, usize)>,
        values: std::sync::Arc<[f64]>,
        columns: usize,
        steps_per_sample: f64,
    },
}

impl InputPart {
    pub(crate) fn pop(&self) -> usize {
        match self {
            InputPart::Poisson { pop, .. }
            | InputPart::SpikeTimes { pop, .. }
            | InputPart::Current { pop, .. }
            | InputPart::StepCurrent { pop, .. }
            | InputPart::TimeSeries { pop, .. } => *pop,
        }
    }
}

impl ganglion_base::state::Saved for InputPart {
    /// Only spike-time inputs keep state (their cursor); the others are functions of the step.
    fn save(&self, w: &mut ganglion_base::state::StateWriter) {
        if let InputPart::SpikeTimes { cursor, .. } = self {
            w.put(cursor);
        }
    }
    fn load(
        &mut self,
        r: &mut ganglion_base::state::StateReader,
    ) -> Result<(), ganglion_base::state::StateError> {
        if let InputPart::SpikeTimes { cursor, .. } = self {
            r.get(cursor)?;
        }
        Ok(())
    }
}

pub(crate) fn apply_input(inp: &mut InputPart, pops: &mut [PopPart], t: u64) {
    let pp = &mut pops[inp.pop()];
    match inp {
        InputPart::Poisson {
            targets,
            cdf,
            channel,
            delay,
            ..
        } => {
            let slot = ((t + *delay as u64) % pp.slots as u64) as usize;
            let base = pp.slot_base(*channel, slot);
            let salt = t.wrapping_mul(0xD1B5_4A32_D192_ED03);
            match cdf {
                Some(cdf) => {
                    for &(i, key, _, w) in targets.iter() {
                        let u = crate::rng::unit_f64(crate::rng::mix64(key ^ salt));
                        let k = cdf.iter().position(|&f| u < f).unwrap_or(cdf.len());
                        if k > 0 {
                            pp.ring[base + i as usize] += k as f32 * w;
                        }
                    }
                }
                None => {
                    for &(i, key, lambda, w) in targets.iter() {
                        let mut s = Stream::new(key ^ salt);
                        let k = s.poisson(lambda);
                        if k > 0 {
                            pp.ring[base + i as usize] += k as f32 * w;
                        }
                    }
                }
            }
        }
        InputPart::SpikeTimes {
            events,
            cursor,
            weight,
            channel,
            ..
        } => {
            let slot = (t % pp.slots as u64) as usize;
            let base = pp.slot_base(*channel, slot);
            while *cursor < events.len() && events[*cursor].0 <= t {
                let (step, i) = events[*cursor];
                if step == t {
                    pp.ring[base + i as usize] += *weight;
                }
                *cursor += 1;
            }
        }
        InputPart::Current {
            targets,
            start,
            stop,
            ..
        } => {
            if t >= *start && t < *stop {
                for &(i, a) in targets.iter() {
                    pp.i_ext[i as usize] += a;
                }
            }
        }
        InputPart::StepCurrent {
            targets,
            steps,
            amps,
            ..
        } => {
            let k = steps.partition_point(|&s| s <= t);
            if k > 0 {
                let a = amps[k - 1];
                for &i in targets.iter() {
                    pp.i_ext[i as usize] += a;
                }
            }
        }
        InputPart::TimeSeries {
            targets,
            values,
            columns,
            steps_per_sample,
            ..
        } => {
            let row = (t as f64 / *steps_per_sample).floor() as usize;
            let rows = values.len() / *columns;
            if row < rows {
                for &(i, c) in targets.iter() {
                    pp.i_ext[i as usize] += values[row * *columns + c] as f32;
                }
            }
        }
    }
}

pub(crate) fn lower_input(
    r: &Resolved,
    k: usize,
    inp: &ganglion_model::ResolvedInput,
    (lo, hi): (usize, usize),
) -> InputPart {
    let dt = r.dt;
    let pop = inp.target;
    let tp = &r.populations[pop];
    // (local index, position in the input's neuron list) for targets in this partition.
    let targets: Vec<(u32, usize)> = match &inp.neurons {
        None => (lo..hi).map(|g| ((g - lo) as u32, g)).collect(),
        Some(list) => list
            .iter()
            .enumerate()
            .filter(|&(_, &g)| (g as usize) >= lo && (g as usize) < hi)
            .map(|(j, &g)| (g - lo as u32, j))
            .collect(),
    };
    let key = derive(r.seed, TAG_INPUT + k as u64);
    let global = |i: u32| i as u64 + lo as u64;
    let chan = |rc: Receptor| channel_of(rc, tp.model.spiking, true);
    match &inp.kind {
        InputKind::Poisson {
            rate,
            weight,
            delay,
            receptor,
        } => {
            // Rates and weights are drawn per targeted neuron from their own streams, indexed by
            // the neuron's position in the input's list, so any partitioning gets the same values.
            let value = |d: &ganglion_model::Distribution, label: u64, j: usize| {
                let mut s = Stream::new(derive(derive(key, label), j as u64));
                draw(d, j, &mut s)
            };
            let targets: Vec<(u32, u64, f64, f32)> = targets
                .iter()
                .map(|&(i, j)| {
                    (
                        i,
                        derive(key, 1_000_000 + global(i)),
                        value(rate, 1, j) * dt * 1e-3,
                        value(weight, 2, j) as f32,
                    )
                })
                .collect();
            let cdf = rate
                .as_const()
                .map(|r| r * dt * 1e-3)
                .filter(|&l| l < 64.0)
                .map(poisson_cdf);
            InputPart::Poisson {
                pop,
                targets,
                cdf,
                channel: chan(*receptor),
                delay: (delay / dt).round() as usize,
            }
        }
        InputKind::SpikeTimes {
            events,
            weight,
            delay,
            receptor,
        } => {
            let mut ev: Vec<(u64, u32)> = events
                .iter()
                .filter(|&&(g, _)| (g as usize) >= lo && (g as usize) < hi)
                .map(|&(g, time)| {
                    let read = (((time + delay) / dt).round() as i64 - 1).max(0) as u64;
                    (read, g - lo as u32)
                })
                .collect();
            ev.sort();
            InputPart::SpikeTimes {
                pop,
                events: ev,
                cursor: 0,
                weight: *weight as f32,
                channel: chan(*receptor),
            }
        }
        InputKind::Current {
            amplitude,
            start,
            stop,
        } => {
            let mut s = Stream::new(derive(key, 3));
            let all: Vec<f64> = match amplitude {
                ganglion_model::Distribution::Const(a) => {
                    vec![*a; inp.neurons.as_ref().map(|v| v.len()).unwrap_or(tp.size)]
                }
                d => (0..inp.neurons.as_ref().map(|v| v.len()).unwrap_or(tp.size))
                    .map(|j| draw(d, j, &mut s))
                    .collect(),
            };
            InputPart::Current {
                pop,
                targets: targets.iter().map(|&(i, j)| (i, all[j] as f32)).collect(),
                start: (start / dt).round() as u64,
                stop: if stop.is_finite() {
                    (stop / dt).round() as u64
                } else {
                    u64::MAX
                },
            }
        }
        InputKind::StepCurrent { times, amplitudes } => InputPart::StepCurrent {
            pop,
            targets: targets.iter().map(|&(i, _)| i).collect(),
            steps: times.iter().map(|t| (t / dt).round() as u64).collect(),
            amps: amplitudes.iter().map(|&a| a as f32).collect(),
        },
        InputKind::TimeSeries {
            values,
            columns,
            step,
        } => InputPart::TimeSeries {
            pop,
            targets: targets
                .iter()
                .map(|&(i, j)| (i, if *columns == 1 { 0 } else { j }))
                .collect(),
            values: values.clone(),
            columns: *columns,
            steps_per_sample: step / dt,
        },
    }
}

/// Cumulative probabilities P(K ≤ k) of a Poisson(λ) count, up to where they reach 1 − 1e-16.
pub(crate) fn poisson_cdf(lambda: f64) -> Vec<f64> {
    let mut out = vec![];
    let mut p = (-lambda).exp();
    let mut f = p;
    let mut k = 0.0;
    while f < 1.0 - 1e-16 && out.len() < 400 {
        out.push(f);
        k += 1.0;
        p *= lambda / k;
        f += p;
    }
    out
}
