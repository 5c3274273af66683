//! Lowering a spec to its differentiable twin: the circuit read as a chain input → layer → …
//! → output (with at most one recurrent projection per layer), `iaf_psc_exp` parameters as
//! [`LifParams`], and the [`Trainer`] built from it ([`trainer_from_resolved`]).

use crate::TrainError;
use crate::config::TrainConfig;
use crate::constraints::Dale;
use crate::lif::LifParams;
use crate::trainer::{Model, Trainer, lif_init_std, normal_weights};
use ganglion_data::encode;
use ganglion_model::{Distribution, ModelInfo, Resolved, Rule, Sign};

/// The circuit read as a trainable chain: input population, then layers.
struct Chain {
    /// Population indices, input first.
    pops: Vec<usize>,
    /// Projection index into each layer (from the previous population).
    projs: Vec<usize>,
    /// Recurrent projection (the layer onto itself) per layer, if any.
    recs: Vec<Option<usize>>,
}

fn unsupported(what: String, hint: &str) -> TrainError {
    TrainError::Unsupported {
        what,
        hint: hint.into(),
    }
}

fn chain_of(r: &Resolved) -> Result<Chain, TrainError> {
    let targets: Vec<usize> = r.projections.iter().map(|p| p.target).collect();
    let inputs: Vec<usize> = (0..r.populations.len())
        .filter(|i| !targets.contains(i))
        .collect();
    if inputs.len() != 1 {
        return Err(unsupported(
            format!(
                "{} populations receive no projection ({:?}); training needs exactly one input population",
                inputs.len(),
                inputs
                    .iter()
                    .map(|&i| &r.populations[i].name)
                    .collect::<Vec<_>>()
            ),
            "make the data's population the only one without incoming projections",
        ));
    }
    let mut pops = vec![inputs[0]];
    let mut projs = vec![];
    loop {
        let cur = *pops.last().unwrap_or(&inputs[0]);
        let out: Vec<usize> = (0..r.projections.len())
            .filter(|&j| r.projections[j].source == cur && r.projections[j].target != cur)
            .collect();
        match out.len() {
            0 => break,
            1 => {
                let p = &r.projections[out[0]];
                if pops.contains(&p.target) {
                    return Err(unsupported(
                        format!("projection \"{}\" closes a loop", p.name),
                        "training supports feed-forward chains of populations",
                    ));
                }
                if !matches!(p.rule, Rule::AllToAll) {
                    return Err(unsupported(
                        format!("projection \"{}\": rule other than all_to_all", p.name),
                        "use connectivity = { rule = \"all_to_all\" }; sparsity is a mask in the trainer's API",
                    ));
                }
                pops.push(p.target);
                projs.push(out[0]);
            }
            _ => {
                return Err(unsupported(
                    format!(
                        "population \"{}\" projects to {} populations",
                        r.populations[cur].name,
                        out.len()
                    ),
                    "training supports one chain input → hidden → … → output",
                ));
            }
        }
    }
    if projs.is_empty() {
        return Err(unsupported(
            "the spec has no projection from the input population".into(),
            "add an all_to_all projection input → hidden",
        ));
    }
    let mut recs = vec![None; projs.len()];
    for j in 0..r.projections.len() {
        if projs.contains(&j) {
            continue;
        }
        let p = &r.projections[j];
        let layer = pops[1..]
            .iter()
            .position(|&q| q == p.source && q == p.target);
        match layer {
            Some(li) if recs[li].is_none() && matches!(p.rule, Rule::AllToAll) => {
                recs[li] = Some(j)
            }
            _ => {
                return Err(unsupported(
                    format!(
                        "projection \"{}\" is neither part of the input → output chain nor one all_to_all recurrent projection of a layer",
                        p.name
                    ),
                    "training supports input → layer → … → output with at most one all_to_all recurrent projection per layer",
                ));
            }
        }
    }
    Ok(Chain { pops, projs, recs })
}

/// The spiking models with a differentiable twin, from the model registry.
fn twin_models() -> String {
    ganglion_model::MODELS
        .iter()
        .filter(|m| m.spiking && m.differentiable)
        .map(|m| m.name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn const_param(r: &Resolved, pop: usize, name: &str) -> Result<f64, TrainError> {
    let p = &r.populations[pop];
    match p.param(name) {
        Some(Distribution::Const(x)) => Ok(*x),
        Some(_) => Err(unsupported(
            format!("population \"{}\": {name} varies across neurons", p.name),
            "give trained populations one value per parameter",
        )),
        None => Err(unsupported(
            format!(
                "population \"{}\" (model {}) has no {name}",
                p.name, p.model.name
            ),
            &format!("trainable spiking populations use {}", twin_models()),
        )),
    }
}

fn lif_params(r: &Resolved, pop: usize) -> Result<LifParams, TrainError> {
    let g = |n: &str| const_param(r, pop, n);
    let e_l = g("E_L")?;
    let v_init = match r.populations[pop].init.first() {
        Some(Distribution::Const(v)) => *v,
        _ => e_l,
    };
    Ok(LifParams {
        c_m: g("C_m")?,
        tau_m: g("tau_m")?,
        e_l,
        v_th: g("V_th")?,
        v_reset: g("V_reset")?,
        t_ref: g("t_ref")?,
        i_e: g("I_e")?,
        tau_syn_ex: g("tau_syn_ex")?,
        tau_syn_in: g("tau_syn_in")?,
        v_init,
        // The simulator's iaf_psc_exp has a fixed threshold.
        adapt_tau: 0.0,
        adapt_beta: 0.0,
    })
}

/// The delay of projection `j` in steps (at least one), which must be one value.
fn delay_steps(r: &Resolved, j: usize) -> Result<usize, TrainError> {
    let p = &r.projections[j];
    match &p.delay {
        Distribution::Const(d) => Ok(((d / r.dt).round() as usize).max(1)),
        _ => Err(unsupported(
            format!("projection \"{}\": delays vary", p.name),
            "give trained projections one delay",
        )),
    }
}

/// Build the trainer a spec describes. Spiking chains (`iaf_psc_exp` layers) become an
/// [`Snn`](crate::snn::Snn), rate chains (`rate_*` layers) an [`Mlp`](crate::mlp::Mlp).
/// Weight lists in the spec (files or inline) are used as initial weights (so a trained spec
/// can be trained further); other weights are drawn by the trainer. Dale signs of source
/// populations become constraints.
pub fn trainer_from_resolved(
    r: &Resolved,
    cfg: TrainConfig,
    data_dim: usize,
) -> Result<Trainer, TrainError> {
    let ch = chain_of(r)?;
    let sizes: Vec<usize> = ch.pops.iter().map(|&p| r.populations[p].size).collect();
    if sizes[0] != data_dim {
        return Err(unsupported(
            format!(
                "input population \"{}\" has {} neurons but the data has {} inputs",
                r.populations[ch.pops[0]].name, sizes[0], data_dim
            ),
            "set the input population's size to the number of pixels",
        ));
    }
    let layers: Vec<&ModelInfo> = ch.pops[1..]
        .iter()
        .map(|&p| r.populations[p].model)
        .collect();
    let layer_models: Vec<&str> = layers.iter().map(|m| m.name).collect();
    // Spiking layers need a model with a twin (the registry says which); rate layers train
    // as dense layers.
    let spiking = layers.iter().all(|m| m.spiking && m.differentiable);
    let rate = layers.iter().all(|m| !m.spiking);
    let mut t = if spiking {
        let params: Result<Vec<LifParams>, TrainError> =
            ch.pops[1..].iter().map(|&p| lif_params(r, p)).collect();
        let mut t = Trainer::new_snn(&sizes, &params?, r.dt, cfg);
        if let Model::Snn(s) = &mut t.model {
            for (li, &j) in ch.projs.iter().enumerate() {
                s.layers[li].delay = delay_steps(r, j)?;
                if let Some(jr) = ch.recs[li] {
                    let d = delay_steps(r, jr)?;
                    let l = &mut s.layers[li];
                    // Recurrent weights start at half the feed-forward scale for the same activity.
                    let std = lif_init_std(0.5 * t.cfg.init_gain, &l.k, l.n, 0.1);
                    let key = encode::stream_key(t.cfg.seed, 3000 + li as u64);
                    l.rec = Some((normal_weights(std, key, l.n * l.n), d));
                }
            }
        }
        if ch.recs.iter().any(Option::is_some) {
            t.regroup();
        }
        t
    } else if rate {
        if ch.recs.iter().any(Option::is_some) {
            return Err(unsupported(
                "recurrent projection between rate layers".into(),
                "the dense trainer is feed-forward; use Rust's rate_rnn::RateRnn for recurrent rate networks",
            ));
        }
        Trainer::new_mlp(&sizes, cfg)
    } else {
        return Err(unsupported(
            format!("layer models {layer_models:?}"),
            &format!(
                "train chains of {} (spiking) or rate_* (dense) populations",
                twin_models()
            ),
        ));
    };
    // Spec weights given as lists, provenance, Dale signs, and zero diagonals of recurrent
    // projections without autapses. Groups in params_mut order: per layer w, (rec), (bias).
    let mut group_of = vec![];
    for (li, &j) in ch.projs.iter().enumerate() {
        group_of.push(j);
        if let Some(jr) = ch.recs[li] {
            group_of.push(jr);
        }
        if !spiking {
            group_of.push(usize::MAX); // bias
        }
    }
    for (g, &j) in group_of.iter().enumerate() {
        if j == usize::MAX {
            continue;
        }
        t.origins[g].projection = Some(j);
        let pr = &r.projections[j];
        if let Distribution::List(v) = &pr.weight {
            let mut params = t.model.params_mut();
            if v.len() == params[g].len() {
                params[g]
                    .iter_mut()
                    .zip(v.iter())
                    .for_each(|(w, &x)| *w = x as f32);
            }
        }
        t.constraints[g].dale = r.populations[pr.source].sign.map(|s| match s {
            Sign::Excitatory => Dale::Excitatory,
            Sign::Inhibitory => Dale::Inhibitory,
        });
        if pr.source == pr.target && !pr.autapses {
            let n = r.populations[pr.target].size;
            t.constraints[g].mask = Some((0..n * n).map(|k| (k / n != k % n) as u8).collect());
            t.constraints[g].no_autapses = true;
        }
    }
    t.apply_constraints();
    t.init_masks();
    Ok(t)
}
