//! `validate()`: check a [`Circuit`] once, up front, and resolve it to base units.
//!
//! Every problem is collected (not just the first) and names the file, line, object and
//! value, with a hint on how to fix it.

use crate::error::{ModelError, Problem, SourceMap};
use crate::models::{self, MODELS, ModelInfo, Range, StateDefault, SynapseKind};
use crate::npy;
use crate::resolved::*;
use crate::spec::*;
use crate::units::{Dim, parse_quantity, show};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Bytes per synapse while building (generation buffers + final CSR), used for the estimate.
pub const BUILD_BYTES_PER_SYNAPSE: f64 = 22.0;

/// Where a spec came from: file (for messages and relative paths) and its text (for lines).
#[derive(Debug, Clone, Default)]
pub struct Source {
    /// The spec file.
    pub file: Option<PathBuf>,
    /// Its line index.
    pub map: SourceMap,
}

impl Source {
    fn base_dir(&self) -> PathBuf {
        self.file
            .as_ref()
            .and_then(|f| f.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| PathBuf::from("."))
    }
}

/// Read a TOML spec file into a [`Circuit`] and its [`Source`].
pub fn load(path: &Path) -> Result<(Circuit, Source), ModelError> {
    let text = std::fs::read_to_string(path).map_err(|source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let circuit = parse_str(&text, path)?;
    Ok((
        circuit,
        Source {
            file: Some(path.to_path_buf()),
            map: SourceMap::new(&text),
        },
    ))
}

/// Parse TOML text (named `path` in messages).
pub fn parse_str(text: &str, path: &Path) -> Result<Circuit, ModelError> {
    toml::from_str::<Circuit>(text).map_err(|e| {
        let (line, column) = e
            .span()
            .map(|s| {
                let before = &text[..s.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let col = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
                (line, col)
            })
            .unwrap_or((0, 0));
        ModelError::Syntax {
            path: path.to_path_buf(),
            line,
            column,
            message: e.message().to_string(),
        }
    })
}

/// Load and validate a spec file.
pub fn load_and_validate(path: &Path) -> Result<Resolved, ModelError> {
    let (c, src) = load(path)?;
    validate(&c, &src)
}

struct Ctx<'a> {
    src: &'a Source,
    problems: Vec<Problem>,
    dt: f64,
    duration: f64,
}

#[derive(Clone, Copy)]
struct Loc<'a> {
    section: &'static str,
    index: usize,
    key: Option<&'a str>,
}

impl Ctx<'_> {
    fn report(&mut self, loc: Loc, object: &str, message: String, hint: Option<String>) {
        self.problems.push(Problem {
            file: self.src.file.clone(),
            line: self.src.map.locate(loc.section, loc.index, loc.key),
            object: object.to_string(),
            message,
            hint,
        });
    }

    /// A quantity of dimension `dim`; bare numbers only for dimensionless ones.
    fn quantity(
        &mut self,
        s: &Scalar,
        dim: Dim,
        loc: Loc,
        object: &str,
        what: &str,
    ) -> Option<f64> {
        let (v, d) = match s {
            Scalar::Number(x) => (*x, Dim::Dimensionless),
            Scalar::Text(t) => match parse_quantity(t) {
                Ok(q) => q,
                Err(e) => {
                    self.report(
                        loc,
                        object,
                        format!("{what} {s}: {e}"),
                        Some(format!("write a {dim} like {}", dim.example())),
                    );
                    return None;
                }
            },
        };
        if !v.is_finite() {
            self.report(loc, object, format!("{what} {s} is not finite"), None);
            return None;
        }
        if d != dim {
            let msg = if d == Dim::Dimensionless {
                format!("{what} {s} has no unit, but it is a {dim}")
            } else {
                format!("{what} {s} is a {d}, but it must be a {dim}")
            };
            self.report(
                loc,
                object,
                msg,
                Some(format!("write it like {}", dim.example())),
            );
            return None;
        }
        Some(v)
    }

    /// A value or distribution of dimension `dim`. `count` is how many elements a file list
    /// must have (None: lists are not allowed here).
    fn distribution(
        &mut self,
        v: &Value,
        dim: Dim,
        loc: Loc,
        object: &str,
        what: &str,
        count: Option<usize>,
    ) -> Option<Distribution> {
        let d = match v {
            Value::Scalar(s) => {
                return self
                    .quantity(s, dim, loc, object, what)
                    .map(Distribution::Const);
            }
            Value::List(items) => {
                let vals: Vec<Option<f64>> = items
                    .iter()
                    .map(|s| self.quantity(s, dim, loc, object, what))
                    .collect();
                let vals: Vec<f64> = vals.into_iter().collect::<Option<_>>()?;
                return match count {
                    Some(n) if n == vals.len() => Some(Distribution::List(vals.into())),
                    Some(n) => {
                        self.report(
                            loc,
                            object,
                            format!(
                                "{what}: the list has {} values but {n} are needed",
                                vals.len()
                            ),
                            Some(format!("give exactly {n} values, one per element")),
                        );
                        None
                    }
                    None => {
                        self.report(loc, object, format!("{what}: a list is not possible here"), Some("the number of elements is only known for populations, all_to_all, one_to_one and edge lists".into()));
                        None
                    }
                };
            }
            Value::Dist(d) => d,
        };
        let q = |ctx: &mut Self, s: &Option<Scalar>, field: &str| -> Option<Option<f64>> {
            match s {
                None => Some(None),
                Some(s) => ctx
                    .quantity(s, dim, loc, object, &format!("{what}.{field}"))
                    .map(Some),
            }
        };
        let need = |ctx: &mut Self, x: Option<f64>, field: &str, kind: &str| -> Option<f64> {
            if x.is_none() {
                ctx.report(
                    loc,
                    object,
                    format!("{what}: a {kind} distribution needs `{field}`"),
                    Some(dist_hint(kind, dim)),
                );
            }
            x
        };
        if let Some(file) = &d.file {
            let path = self.src.base_dir().join(file);
            let unit = d.unit.clone().unwrap_or_default();
            let factor = if unit.is_empty() {
                if dim != Dim::Dimensionless {
                    self.report(
                        loc,
                        object,
                        format!("{what}: the list in {file} has no `unit`"),
                        Some(format!("add unit = \"{}\"", dim.base_unit())),
                    );
                    return None;
                }
                1.0
            } else {
                match parse_quantity(&format!("1 {unit}")) {
                    Ok((f, ud)) if ud == dim => f,
                    _ => {
                        self.report(
                            loc,
                            object,
                            format!("{what}: unit \"{unit}\" is not a {dim}"),
                            Some(format!("use unit = \"{}\"", dim.base_unit())),
                        );
                        return None;
                    }
                }
            };
            let arr = match npy::read(&path) {
                Ok(a) => a,
                Err(e) => {
                    self.report(
                        loc,
                        object,
                        format!("{what}: cannot read {}: {e}", path.display()),
                        Some("give a .npy file path relative to the spec file".into()),
                    );
                    return None;
                }
            };
            match count {
                None => {
                    self.report(
                        loc,
                        object,
                        format!("{what}: a list from a file is not possible here"),
                        Some("the number of elements is only known for populations, all_to_all, one_to_one and edge lists".into()),
                    );
                    return None;
                }
                Some(n) if arr.data.len() != n => {
                    self.report(
                        loc,
                        object,
                        format!(
                            "{what}: {file} has {} values but {n} are needed",
                            arr.data.len()
                        ),
                        Some(format!(
                            "save exactly {n} values (one per element) in {file}"
                        )),
                    );
                    return None;
                }
                _ => {}
            }
            let vals: Vec<f64> = arr.data.iter().map(|x| x * factor).collect();
            if let Some(i) = vals.iter().position(|x| !x.is_finite()) {
                self.report(
                    loc,
                    object,
                    format!("{what}: {file}[{i}] is not finite"),
                    None,
                );
                return None;
            }
            return Some(Distribution::List(vals.into()));
        }
        let kind = d.dist.clone().unwrap_or_default();
        let low = q(self, &d.low, "low")?;
        let high = q(self, &d.high, "high")?;
        let mean = q(self, &d.mean, "mean")?;
        let std = q(self, &d.std, "std")?;
        let min = q(self, &d.min, "min")?;
        let max = q(self, &d.max, "max")?;
        match kind.as_str() {
            "uniform" => {
                let low = need(self, low, "low", "uniform")?;
                let high = need(self, high, "high", "uniform")?;
                if low > high {
                    self.report(
                        loc,
                        object,
                        format!(
                            "{what}: uniform low {} is above high {}",
                            show(low, dim),
                            show(high, dim)
                        ),
                        Some("swap low and high".into()),
                    );
                    return None;
                }
                Some(Distribution::Uniform { low, high })
            }
            "normal" | "lognormal" => {
                let mean = need(self, mean, "mean", &kind)?;
                let std = need(self, std, "std", &kind)?;
                if std < 0.0 {
                    self.report(
                        loc,
                        object,
                        format!("{what}: std {} is negative", show(std, dim)),
                        None,
                    );
                    return None;
                }
                if let (Some(a), Some(b)) = (min, max)
                    && a >= b
                {
                    self.report(
                        loc,
                        object,
                        format!(
                            "{what}: min {} is not below max {}",
                            show(a, dim),
                            show(b, dim)
                        ),
                        None,
                    );
                    return None;
                }
                if kind == "normal" {
                    Some(Distribution::Normal {
                        mean,
                        std,
                        min,
                        max,
                    })
                } else {
                    if mean <= 0.0 {
                        self.report(
                            loc,
                            object,
                            format!("{what}: a lognormal needs a positive mean, got {}", show(mean, dim)),
                            Some("lognormal takes the mean and std of the (positive) values themselves".into()),
                        );
                        return None;
                    }
                    let s2 = (1.0 + (std / mean).powi(2)).ln();
                    Some(Distribution::LogNormal {
                        mu: mean.ln() - 0.5 * s2,
                        sigma: s2.sqrt(),
                        min,
                        max,
                    })
                }
            }
            other => {
                let msg = if other.is_empty() {
                    format!("{what}: a distribution needs `dist` (or `file`)")
                } else {
                    format!("{what}: unknown distribution \"{other}\"")
                };
                self.report(
                    loc,
                    object,
                    msg,
                    Some("use dist = \"uniform\" | \"normal\" | \"lognormal\", or file = \"values.npy\"".into()),
                );
                None
            }
        }
    }

    /// A delay in ms that must be at least dt.
    fn delay(
        &mut self,
        v: Option<&Value>,
        loc: Loc,
        object: &str,
        count: Option<usize>,
    ) -> Option<Distribution> {
        let Some(v) = v else {
            return Some(Distribution::Const(self.dt));
        };
        let d = self.distribution(v, Dim::Time, loc, object, "delay", count)?;
        let (lo, _) = d.bounds();
        if lo < self.dt - 1e-9 {
            let shown = if lo.is_finite() {
                show(lo, Dim::Time)
            } else {
                "unbounded below".into()
            };
            self.report(
                loc,
                object,
                format!(
                    "delay {shown} is shorter than dt {}",
                    show(self.dt, Dim::Time)
                ),
                Some(match d {
                    Distribution::Normal { .. } | Distribution::LogNormal { .. } => {
                        format!("add min = \"{} ms\" to the delay distribution", self.dt)
                    }
                    _ => format!(
                        "use a delay of at least one step ({} ms), or decrease dt",
                        self.dt
                    ),
                }),
            );
            return None;
        }
        Some(d)
    }
}

fn dist_hint(kind: &str, dim: Dim) -> String {
    let e = dim.example();
    match kind {
        "uniform" => format!("{{ dist = \"uniform\", low = {e}, high = {e} }}"),
        _ => format!("{{ dist = \"{kind}\", mean = {e}, std = {e} }}"),
    }
}

fn receptor_name(r: &str) -> Option<Receptor> {
    match r {
        "excitatory" | "ex" | "exc" | "AMPA" => Some(Receptor::Excitatory),
        "inhibitory" | "in" | "inh" | "GABA" => Some(Receptor::Inhibitory),
        _ => None,
    }
}

/// Validate a circuit and resolve it to base units. All problems are reported together.
pub fn validate(c: &Circuit, src: &Source) -> Result<Resolved, ModelError> {
    let mut ctx = Ctx {
        src,
        problems: vec![],
        dt: 0.1,
        duration: 0.0,
    };
    let sim = |key: &'static str| Loc {
        section: "simulation",
        index: 0,
        key: Some(key),
    };
    let dt = ctx.quantity(&c.simulation.dt, Dim::Time, sim("dt"), "[simulation]", "dt");
    let duration = ctx.quantity(
        &c.simulation.duration,
        Dim::Time,
        sim("duration"),
        "[simulation]",
        "duration",
    );
    if let Some(dt) = dt {
        if dt <= 0.0 {
            ctx.report(
                sim("dt"),
                "[simulation]",
                format!("dt {} must be positive", show(dt, Dim::Time)),
                Some("dt = \"0.1 ms\" is a common choice".into()),
            );
        } else {
            ctx.dt = dt;
        }
    }
    let mut steps = 0u64;
    if let Some(d) = duration {
        if d <= 0.0 {
            ctx.report(
                sim("duration"),
                "[simulation]",
                format!("duration {} must be positive", show(d, Dim::Time)),
                None,
            );
        } else {
            ctx.duration = d;
            steps = (d / ctx.dt).round() as u64;
        }
    }
    let memory_limit = c.simulation.memory_limit.as_ref().and_then(|m| {
        ctx.quantity(
            m,
            Dim::Memory,
            sim("memory_limit"),
            "[simulation]",
            "memory_limit",
        )
    });
    let threads = if c.simulation.threads == 0 {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    } else {
        c.simulation.threads
    };

    // Populations.
    let mut names = HashSet::new();
    let mut pops: Vec<ResolvedPopulation> = vec![];
    let mut pop_ok = vec![];
    for (i, p) in c.populations.iter().enumerate() {
        let obj = format!("population \"{}\"", p.name);
        let loc = |key| Loc {
            section: "population",
            index: i,
            key: Some(key),
        };
        if p.name.trim().is_empty() {
            ctx.report(
                loc("name"),
                &format!("population #{}", i + 1),
                "has an empty name".into(),
                Some("give it a unique name".into()),
            );
        }
        if !names.insert(p.name.clone()) {
            ctx.report(
                loc("name"),
                &obj,
                "is defined twice".into(),
                Some("population names must be unique".into()),
            );
        }
        if p.size == 0 {
            ctx.report(
                loc("size"),
                &obj,
                "has size 0".into(),
                Some("give it at least one neuron".into()),
            );
        }
        let Some(model) = models::model(&p.model) else {
            let hint = match models::closest(&p.model, MODELS.iter().map(|m| m.name)) {
                Some(m) => format!("did you mean \"{m}\"? `ganglion models` lists all models"),
                None => format!(
                    "known models: {}",
                    MODELS.iter().map(|m| m.name).collect::<Vec<_>>().join(", ")
                ),
            };
            ctx.report(
                loc("model"),
                &obj,
                format!("unknown model \"{}\"", p.model),
                Some(hint),
            );
            pop_ok.push(false);
            continue;
        };
        let mut ok = true;
        for key in p.params.keys() {
            if model.param(key).is_none() {
                let hint = match models::closest(key, model.params.iter().map(|q| q.name)) {
                    Some(m) => format!("did you mean \"{m}\"?"),
                    None => format!(
                        "{} has: {}",
                        model.name,
                        model
                            .params
                            .iter()
                            .map(|q| q.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                ctx.report(
                    loc(key),
                    &obj,
                    format!("model {} has no parameter \"{key}\"", model.name),
                    Some(hint),
                );
                ok = false;
            }
        }
        for key in p.init.keys() {
            if model.state_var(key).is_none() {
                ctx.report(
                    loc(key),
                    &obj,
                    format!("model {} has no state variable \"{key}\"", model.name),
                    Some(format!(
                        "its state is: {}",
                        model
                            .state
                            .iter()
                            .map(|q| q.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                );
                ok = false;
            }
        }
        let mut params = vec![];
        for info in model.params {
            let d = match p.params.get(info.name) {
                None => Some(Distribution::Const(info.default)),
                Some(v) => {
                    ctx.distribution(v, info.dim, loc(info.name), &obj, info.name, Some(p.size))
                }
            };
            match d {
                Some(d) => params.push(d),
                None => {
                    ok = false;
                    params.push(Distribution::Const(info.default));
                }
            }
        }
        // Range checks from the catalogue (every neuron's value, via the distribution's bounds).
        for (info, d) in model.params.iter().zip(&params) {
            let (lo, _) = d.bounds();
            let shown = if lo.is_finite() {
                show(lo, info.dim)
            } else {
                "unbounded below".into()
            };
            let problem = match info.range {
                Range::Positive if lo <= 0.0 => Some(format!("must be positive, got {shown}")),
                Range::NonNegative if lo < 0.0 => {
                    Some(format!("must not be negative, got {shown}"))
                }
                _ => None,
            };
            if let Some(problem) = problem {
                ctx.report(
                    loc(info.name),
                    &obj,
                    format!("{} {problem}", info.name),
                    Some(if info.dim == Dim::Time {
                        "time constants are positive durations like \"20 ms\"".into()
                    } else {
                        "use a positive value".into()
                    })
                    .filter(|_| info.range == Range::Positive),
                );
                ok = false;
            }
        }
        if let Some((reset, threshold)) = model.reset_below
            && let (Some(vr), Some(vt)) = (
                model.param_index(reset).map(|k| params[k].bounds().1),
                model.param_index(threshold).map(|k| params[k].bounds().0),
            )
            && vr >= vt
        {
            ctx.report(
                loc(reset),
                &obj,
                format!(
                    "{reset} (up to {}) is not below {threshold} (from {})",
                    show(vr, Dim::Voltage),
                    show(vt, Dim::Voltage)
                ),
                Some("the reset potential must lie below the threshold".into()),
            );
            ok = false;
        }
        let mut init = vec![];
        for info in model.state {
            let d = match p.init.get(info.name) {
                None => Some(match info.default {
                    StateDefault::Const(v) => Distribution::Const(v),
                    StateDefault::Param(n) => {
                        params[model.param_index(n).expect("default refers to a parameter")].clone()
                    }
                }),
                Some(v) => {
                    ctx.distribution(v, info.dim, loc(info.name), &obj, info.name, Some(p.size))
                }
            };
            init.push(d.unwrap_or(Distribution::Const(0.0)));
        }
        let homeostasis = match &p.homeostasis {
            None => None,
            Some(h) => {
                if model.threshold.is_none() {
                    ctx.report(
                        loc("homeostasis"),
                        &obj,
                        format!(
                            "homeostasis adapts V_th, which model {} does not have as a threshold",
                            model.name
                        ),
                        Some(format!(
                            "models with an adaptable threshold: {}",
                            MODELS
                                .iter()
                                .filter(|m| m.threshold.is_some())
                                .map(|m| m.name)
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                    );
                    ok = false;
                    None
                } else {
                    let target = ctx.distribution(
                        &h.target,
                        Dim::Frequency,
                        loc("homeostasis"),
                        &obj,
                        "homeostasis.target",
                        Some(p.size),
                    );
                    let tau = h
                        .tau
                        .as_ref()
                        .map(|s| {
                            ctx.quantity(s, Dim::Time, loc("homeostasis"), &obj, "homeostasis.tau")
                        })
                        .unwrap_or(Some(1000.0));
                    let eta = h
                        .eta
                        .as_ref()
                        .map(|s| {
                            ctx.quantity(
                                s,
                                Dim::Voltage,
                                loc("homeostasis"),
                                &obj,
                                "homeostasis.eta",
                            )
                        })
                        .unwrap_or(Some(0.1));
                    match (target, tau, eta) {
                        (Some(target), Some(tau), Some(eta)) if tau > 0.0 => {
                            Some(ResolvedHomeostasis { target, tau, eta })
                        }
                        _ => {
                            ok = false;
                            None
                        }
                    }
                }
            }
        };
        pop_ok.push(ok);
        pops.push(ResolvedPopulation {
            name: p.name.clone(),
            size: p.size,
            model,
            sign: p.sign,
            params,
            init,
            homeostasis,
        });
    }
    let pop_index = |name: &str| pops.iter().position(|p| p.name == name);
    let unknown_pop = |ctx: &mut Ctx, loc: Loc, obj: &str, role: &str, name: &str| {
        let hint = match models::closest(name, pops.iter().map(|p| p.name.as_str())) {
            Some(m) => format!("did you mean \"{m}\"?"),
            None => format!(
                "defined populations: {}",
                if pops.is_empty() {
                    "none".to_string()
                } else {
                    pops.iter()
                        .map(|p| format!("\"{}\"", p.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
        };
        ctx.report(
            loc,
            obj,
            format!("{role} population \"{name}\" is not defined"),
            Some(hint),
        );
    };

    // Projections.
    let mut projections = vec![];
    let mut proj_names = HashSet::new();
    for (i, pr) in c.projections.iter().enumerate() {
        let name = pr.display_name();
        let obj = format!("projection \"{name}\"");
        let loc = |key| Loc {
            section: "projection",
            index: i,
            key: Some(key),
        };
        if !proj_names.insert(name.clone()) && pr.name.is_some() {
            ctx.report(
                loc("name"),
                &obj,
                "is defined twice".into(),
                Some("projection names must be unique".into()),
            );
        }
        let s = pop_index(&pr.source);
        let t = pop_index(&pr.target);
        if s.is_none() {
            unknown_pop(&mut ctx, loc("source"), &obj, "source", &pr.source);
        }
        if t.is_none() {
            unknown_pop(&mut ctx, loc("target"), &obj, "target", &pr.target);
        }
        let (Some(s), Some(t)) = (s, t) else { continue };
        let (sp, tp) = (&pops[s], &pops[t]);
        let (ns, nt) = (sp.size, tp.size);
        let kind = tp.model.synapse;
        if !sp.model.spiking && tp.model.spiking {
            ctx.report(
                loc("source"),
                &obj,
                format!(
                    "rate population \"{}\" cannot project onto spiking population \"{}\"",
                    sp.name, tp.name
                ),
                Some(
                    "drive spiking neurons from rates with a poisson or timeseries [[input]]"
                        .into(),
                ),
            );
            continue;
        }
        let self_proj = s == t;
        // Connectivity.
        let cn = &pr.connectivity;
        let mut edge_count = None;
        let rule = match cn.rule.as_str() {
            "all_to_all" => Some(Rule::AllToAll),
            "one_to_one" => {
                if ns != nt {
                    ctx.report(loc("connectivity"), &obj, format!("one_to_one needs equal sizes, but source has {ns} and target {nt} neurons"), Some("use fixed_indegree or an edge list".into()));
                    None
                } else {
                    Some(Rule::OneToOne)
                }
            }
            "fixed_probability" => match cn.p {
                Some(p) if (0.0..=1.0).contains(&p) => Some(Rule::FixedProbability(p)),
                Some(p) => {
                    ctx.report(
                        loc("connectivity"),
                        &obj,
                        format!("connection probability p = {p} is outside [0, 1]"),
                        Some("p is a probability, e.g. p = 0.02".into()),
                    );
                    None
                }
                None => {
                    ctx.report(
                        loc("connectivity"),
                        &obj,
                        "fixed_probability needs `p`".into(),
                        Some("{ rule = \"fixed_probability\", p = 0.02 }".into()),
                    );
                    None
                }
            },
            "fixed_indegree" | "fixed_outdegree" => {
                let indeg = cn.rule == "fixed_indegree";
                let pool =
                    if indeg { ns } else { nt } as u64 - u64::from(self_proj && !pr.autapses);
                match cn.k {
                    None => {
                        ctx.report(
                            loc("connectivity"),
                            &obj,
                            format!("{} needs `k`", cn.rule),
                            Some(format!("{{ rule = \"{}\", k = 100 }}", cn.rule)),
                        );
                        None
                    }
                    Some(k) if k > pool && !pr.multapses => {
                        ctx.report(
                            loc("connectivity"),
                            &obj,
                            format!(
                                "{} k = {k} is larger than the {} {} neurons available",
                                if indeg { "in-degree" } else { "out-degree" },
                                pool,
                                if indeg { "source" } else { "target" }
                            ),
                            Some(format!(
                                "use k ≤ {pool}, or set multapses = true to allow repeated pairs"
                            )),
                        );
                        None
                    }
                    Some(k) => Some(if indeg {
                        Rule::FixedIndegree(k)
                    } else {
                        Rule::FixedOutdegree(k)
                    }),
                }
            }
            "edge_list" => {
                let r = read_edge_list(
                    &mut ctx,
                    cn,
                    kind.weight_dim(),
                    loc("connectivity"),
                    &obj,
                    ns,
                    nt,
                );
                if let Some(e) = &r {
                    edge_count = Some(e.source.len());
                    if pr.weight.is_none() && e.weight.is_none() {
                        ctx.report(
                            loc("connectivity"),
                            &obj,
                            "the edge list has no weight column and the projection no `weight`"
                                .into(),
                            Some("add weight = ... or a third column".into()),
                        );
                    }
                }
                r.map(|e| Rule::EdgeList(Arc::new(e)))
            }
            other => {
                let rules = [
                    "all_to_all",
                    "fixed_probability",
                    "fixed_indegree",
                    "fixed_outdegree",
                    "one_to_one",
                    "edge_list",
                ];
                let hint = models::did_you_mean(other, &rules, "rules");
                ctx.report(
                    loc("connectivity"),
                    &obj,
                    format!("unknown connection rule \"{other}\""),
                    Some(hint),
                );
                None
            }
        };
        let count_known = match &rule {
            Some(Rule::AllToAll) => Some(ns * nt - if self_proj && !pr.autapses { ns } else { 0 }),
            Some(Rule::OneToOne) => Some(ns),
            Some(Rule::EdgeList(_)) => edge_count,
            _ => None,
        };
        let weight = match (&pr.weight, &rule) {
            (Some(w), _) => ctx.distribution(
                w,
                kind.weight_dim(),
                loc("weight"),
                &obj,
                "weight",
                count_known,
            ),
            (None, Some(Rule::EdgeList(e))) if e.weight.is_some() => Some(Distribution::Const(0.0)),
            (None, _) => {
                ctx.report(
                    loc("source"),
                    &obj,
                    "has no `weight`".into(),
                    Some(format!("add weight = {}", kind.weight_dim().example())),
                );
                None
            }
        };
        let delay = ctx.delay(pr.delay.as_ref(), loc("delay"), &obj, count_known);
        if let Some(Rule::EdgeList(e)) = &rule
            && let Some(ds) = &e.delay
            && let Some(lo) = ds.iter().copied().reduce(f64::min)
            && lo < ctx.dt - 1e-9
        {
            ctx.report(
                loc("connectivity"),
                &obj,
                format!(
                    "edge-list delay {} is shorter than dt {}",
                    show(lo, Dim::Time),
                    show(ctx.dt, Dim::Time)
                ),
                Some("every delay must be at least one time step".into()),
            );
        }
        let (Some(rule), Some(weight), Some(delay)) = (rule, weight, delay) else {
            continue;
        };
        // Receptor and Dale's law.
        let (wlo, whi) = match &rule {
            Rule::EdgeList(e) if pr.weight.is_none() => e
                .weight
                .as_ref()
                .map(|w| {
                    w.iter()
                        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                            (a.min(x), b.max(x))
                        })
                })
                .unwrap_or((0.0, 0.0)),
            _ => weight.bounds(),
        };
        let receptor = match resolve_receptor(
            &mut ctx,
            pr.receptor.as_deref(),
            sp.sign,
            (wlo, whi),
            weight.mean(),
            kind,
            loc("receptor"),
            &obj,
        ) {
            Some(r) => r,
            None => continue,
        };
        check_dale(
            &mut ctx,
            sp,
            kind,
            receptor,
            (wlo, whi),
            loc("weight"),
            &obj,
        );
        let expected = match &rule {
            Rule::AllToAll => (ns * nt) as f64,
            Rule::FixedProbability(p) => p * ns as f64 * nt as f64,
            Rule::FixedIndegree(k) => *k as f64 * nt as f64,
            Rule::FixedOutdegree(k) => *k as f64 * ns as f64,
            Rule::OneToOne => ns as f64,
            Rule::EdgeList(e) => e.source.len() as f64,
        };
        let plasticity = match &pr.plasticity {
            None => None,
            Some(pl) => {
                if !sp.model.spiking || !tp.model.spiking {
                    ctx.report(
                        loc("plasticity"),
                        &obj,
                        "plasticity needs spiking source and target populations".into(),
                        Some("rate rules live in ganglion-learn".into()),
                    );
                    continue;
                }
                let pop_names: Vec<String> = pops.iter().map(|p| p.name.clone()).collect();
                match resolve_plasticity(
                    &mut ctx,
                    pl,
                    kind.weight_dim(),
                    loc("plasticity"),
                    &obj,
                    &pop_names,
                ) {
                    Some(p) => Some(p),
                    None => continue,
                }
            }
        };
        projections.push(ResolvedProjection {
            plasticity,
            name,
            source: s,
            target: t,
            rule,
            weight,
            delay,
            receptor,
            autapses: pr.autapses,
            multapses: pr.multapses,
            expected_synapses: expected,
        });
    }

    // Inputs.
    let mut inputs = vec![];
    for (i, inp) in c.inputs.iter().enumerate() {
        let obj = format!("input \"{}\"", inp.display_name());
        let loc = |key| Loc {
            section: "input",
            index: i,
            key: Some(key),
        };
        let Some(t) = pop_index(&inp.target) else {
            unknown_pop(&mut ctx, loc("target"), &obj, "target", &inp.target);
            continue;
        };
        let tp = &pops[t];
        let n_target = inp.neurons.as_ref().map(|v| v.len()).unwrap_or(tp.size);
        if let Some(ns) = &inp.neurons
            && let Some(&bad) = ns.iter().find(|&&n| n as usize >= tp.size)
        {
            ctx.report(
                loc("neurons"),
                &obj,
                format!(
                    "neuron {bad} does not exist in \"{}\" (size {})",
                    tp.name, tp.size
                ),
                Some(format!("indices run from 0 to {}", tp.size - 1)),
            );
            continue;
        }
        let kind = tp.model.synapse;
        let current_dim = if kind == SynapseKind::Rate {
            Dim::Dimensionless
        } else {
            Dim::Current
        };
        let spike_delay = |ctx: &mut Ctx| -> Option<f64> {
            let d = match &inp.delay {
                None => ctx.dt,
                Some(s) => ctx.quantity(s, Dim::Time, loc("delay"), &obj, "delay")?,
            };
            if d < ctx.dt - 1e-9 {
                ctx.report(
                    loc("delay"),
                    &obj,
                    format!(
                        "delay {} is shorter than dt {}",
                        show(d, Dim::Time),
                        show(ctx.dt, Dim::Time)
                    ),
                    Some(format!("use at least {} ms", ctx.dt)),
                );
                return None;
            }
            Some(d)
        };
        let k = match inp.kind.as_str() {
            "poisson" => {
                let rate = match &inp.rate {
                    Some(r) => ctx.distribution(
                        r,
                        Dim::Frequency,
                        loc("rate"),
                        &obj,
                        "rate",
                        Some(n_target),
                    ),
                    None => {
                        ctx.report(
                            loc("kind"),
                            &obj,
                            "a poisson input needs `rate`".into(),
                            Some("rate = \"10 Hz\"".into()),
                        );
                        None
                    }
                };
                if let Some(r) = &rate
                    && r.bounds().0 < 0.0
                {
                    ctx.report(
                        loc("rate"),
                        &obj,
                        format!(
                            "rate can be negative (down to {})",
                            show(r.bounds().0, Dim::Frequency)
                        ),
                        Some(
                            "rates must be ≥ 0 Hz; clip the distribution with min = \"0 Hz\""
                                .into(),
                        ),
                    );
                    continue;
                }
                let weight = input_weight(&mut ctx, inp, kind, loc("weight"), &obj, Some(n_target));
                let delay = spike_delay(&mut ctx);
                let (Some(rate), Some(weight), Some(delay)) = (rate, weight, delay) else {
                    continue;
                };
                let Some(receptor) = resolve_receptor(
                    &mut ctx,
                    inp.receptor.as_deref(),
                    None,
                    weight.bounds(),
                    weight.mean(),
                    kind,
                    loc("receptor"),
                    &obj,
                ) else {
                    continue;
                };
                InputKind::Poisson {
                    rate,
                    weight,
                    delay,
                    receptor,
                }
            }
            "spike_times" => {
                let mut events = vec![];
                if let Some(file) = &inp.file {
                    let path = src.base_dir().join(file);
                    match npy::read(&path) {
                        Ok(a) if a.shape.len() == 2 && a.shape[1] == 2 => {
                            for r in a.data.chunks_exact(2) {
                                events.push((r[0] as u32, r[1]));
                            }
                        }
                        Ok(a) => {
                            ctx.report(
                                loc("file"),
                                &obj,
                                format!("{file} has shape {:?}, expected (N, 2)", a.shape),
                                Some("columns: neuron index, time in ms".into()),
                            );
                            continue;
                        }
                        Err(e) => {
                            ctx.report(
                                loc("file"),
                                &obj,
                                format!("cannot read {}: {e}", path.display()),
                                None,
                            );
                            continue;
                        }
                    }
                } else if let Some(times) = &inp.times {
                    let mut ts = vec![];
                    for t in times {
                        if let Some(v) =
                            ctx.quantity(t, Dim::Time, loc("times"), &obj, "spike time")
                        {
                            ts.push(v);
                        }
                    }
                    let targets: Vec<u32> = inp
                        .neurons
                        .clone()
                        .unwrap_or_else(|| (0..tp.size as u32).collect());
                    for &n in &targets {
                        for &t in &ts {
                            events.push((n, t));
                        }
                    }
                } else {
                    ctx.report(
                        loc("kind"),
                        &obj,
                        "a spike_times input needs `times` or `file`".into(),
                        Some("times = [\"10 ms\", \"25 ms\"]".into()),
                    );
                    continue;
                }
                if let Some(&(n, _)) = events.iter().find(|e| e.0 as usize >= tp.size) {
                    ctx.report(
                        loc("file"),
                        &obj,
                        format!(
                            "neuron {n} does not exist in \"{}\" (size {})",
                            tp.name, tp.size
                        ),
                        None,
                    );
                    continue;
                }
                if let Some(&(_, t)) = events.iter().find(|e| !(e.1 >= 0.0) || !e.1.is_finite()) {
                    ctx.report(
                        loc("times"),
                        &obj,
                        format!("spike time {t} ms is negative or not finite"),
                        None,
                    );
                    continue;
                }
                events.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
                let weight = input_weight(&mut ctx, inp, kind, loc("weight"), &obj, None);
                let delay = spike_delay(&mut ctx);
                let (Some(weight), Some(delay)) = (weight, delay) else {
                    continue;
                };
                let Some(w) = weight.as_const() else {
                    ctx.report(
                        loc("weight"),
                        &obj,
                        "spike_times takes one weight".into(),
                        Some("use a single value".into()),
                    );
                    continue;
                };
                let Some(receptor) = resolve_receptor(
                    &mut ctx,
                    inp.receptor.as_deref(),
                    None,
                    (w, w),
                    w,
                    kind,
                    loc("receptor"),
                    &obj,
                ) else {
                    continue;
                };
                InputKind::SpikeTimes {
                    events,
                    weight: w,
                    delay,
                    receptor,
                }
            }
            "current" => {
                let Some(a) = &inp.amplitude else {
                    ctx.report(
                        loc("kind"),
                        &obj,
                        "a current input needs `amplitude`".into(),
                        Some(format!("amplitude = {}", current_dim.example())),
                    );
                    continue;
                };
                let amp = ctx.distribution(
                    a,
                    current_dim,
                    loc("amplitude"),
                    &obj,
                    "amplitude",
                    Some(n_target),
                );
                let start = inp
                    .start
                    .as_ref()
                    .map(|s| ctx.quantity(s, Dim::Time, loc("start"), &obj, "start"))
                    .unwrap_or(Some(0.0));
                let stop = inp
                    .stop
                    .as_ref()
                    .map(|s| ctx.quantity(s, Dim::Time, loc("stop"), &obj, "stop"))
                    .unwrap_or(Some(f64::INFINITY));
                let (Some(amplitude), Some(start), Some(stop)) = (amp, start, stop) else {
                    continue;
                };
                if stop <= start {
                    ctx.report(
                        loc("stop"),
                        &obj,
                        format!(
                            "stop {} is not after start {}",
                            show(stop, Dim::Time),
                            show(start, Dim::Time)
                        ),
                        None,
                    );
                    continue;
                }
                InputKind::Current {
                    amplitude,
                    start,
                    stop,
                }
            }
            "step_current" => {
                let (Some(times), Some(amps)) = (&inp.times, &inp.amplitudes) else {
                    ctx.report(
                        loc("kind"),
                        &obj,
                        "a step_current needs `times` and `amplitudes`".into(),
                        Some(
                            "times = [\"0 ms\", \"100 ms\"], amplitudes = [\"0 pA\", \"400 pA\"]"
                                .into(),
                        ),
                    );
                    continue;
                };
                if times.len() != amps.len() {
                    ctx.report(
                        loc("amplitudes"),
                        &obj,
                        format!("{} times but {} amplitudes", times.len(), amps.len()),
                        Some("give one amplitude per switch time".into()),
                    );
                    continue;
                }
                let ts: Vec<Option<f64>> = times
                    .iter()
                    .map(|t| ctx.quantity(t, Dim::Time, loc("times"), &obj, "time"))
                    .collect();
                let am: Vec<Option<f64>> = amps
                    .iter()
                    .map(|a| ctx.quantity(a, current_dim, loc("amplitudes"), &obj, "amplitude"))
                    .collect();
                let (Some(ts), Some(am)) = (
                    ts.into_iter().collect::<Option<Vec<_>>>(),
                    am.into_iter().collect::<Option<Vec<_>>>(),
                ) else {
                    continue;
                };
                if ts.windows(2).any(|w| w[1] <= w[0]) {
                    ctx.report(
                        loc("times"),
                        &obj,
                        "switch times are not increasing".into(),
                        Some("sort the times".into()),
                    );
                    continue;
                }
                InputKind::StepCurrent {
                    times: ts,
                    amplitudes: am,
                }
            }
            "timeseries" => {
                let Some(file) = &inp.file else {
                    ctx.report(
                        loc("kind"),
                        &obj,
                        "a timeseries input needs `file`".into(),
                        Some("file = \"drive.npy\" with shape (T,) or (T, N)".into()),
                    );
                    continue;
                };
                let unit = inp.unit.clone().unwrap_or_default();
                let factor = if unit.is_empty() && current_dim == Dim::Dimensionless {
                    Some(1.0)
                } else {
                    match parse_quantity(&format!("1 {unit}")) {
                        Ok((f, d)) if d == current_dim => Some(f),
                        _ => {
                            ctx.report(
                                loc("unit"),
                                &obj,
                                format!("unit \"{unit}\" is not a {current_dim}"),
                                Some(format!("unit = \"{}\"", current_dim.base_unit())),
                            );
                            None
                        }
                    }
                };
                let step = match &inp.step {
                    None => Some(ctx.dt),
                    Some(s) => ctx.quantity(s, Dim::Time, loc("step"), &obj, "step"),
                };
                let (Some(factor), Some(step)) = (factor, step) else {
                    continue;
                };
                if step < ctx.dt - 1e-9 {
                    ctx.report(
                        loc("step"),
                        &obj,
                        format!("step {} is shorter than dt", show(step, Dim::Time)),
                        Some("resample the series to dt or coarser".into()),
                    );
                    continue;
                }
                let path = src.base_dir().join(file);
                let arr = match npy::read(&path) {
                    Ok(a) => a,
                    Err(e) => {
                        ctx.report(
                            loc("file"),
                            &obj,
                            format!("cannot read {}: {e}", path.display()),
                            None,
                        );
                        continue;
                    }
                };
                let columns = match arr.shape.as_slice() {
                    [_] => 1,
                    [_, c] if *c == n_target || *c == 1 => *c,
                    s => {
                        ctx.report(
                            loc("file"),
                            &obj,
                            format!("{file} has shape {s:?}; expected (T,) or (T, {n_target})"),
                            Some("one column per targeted neuron".into()),
                        );
                        continue;
                    }
                };
                InputKind::TimeSeries {
                    values: arr
                        .data
                        .iter()
                        .map(|x| x * factor)
                        .collect::<Vec<_>>()
                        .into(),
                    columns,
                    step,
                }
            }
            other => {
                let kinds = [
                    "poisson",
                    "spike_times",
                    "current",
                    "step_current",
                    "timeseries",
                ];
                let hint = models::did_you_mean(other, &kinds, "kinds");
                ctx.report(
                    loc("kind"),
                    &obj,
                    format!("unknown input kind \"{other}\""),
                    Some(hint),
                );
                continue;
            }
        };
        inputs.push(ResolvedInput {
            name: inp.display_name(),
            target: t,
            neurons: inp.neurons.clone(),
            kind: k,
        });
    }

    // Monitors.
    let mut monitors = vec![];
    for (i, m) in c.monitors.iter().enumerate() {
        let obj = format!(
            "monitor #{} ({} of \"{}\")",
            i + 1,
            m.kind,
            m.projection.as_deref().unwrap_or(&m.population)
        );
        let loc = |key| Loc {
            section: "monitor",
            index: i,
            key: Some(key),
        };
        if m.kind == "weights" {
            let Some(name) = &m.projection else {
                ctx.report(
                    loc("kind"),
                    &obj,
                    "a weights monitor needs `projection`".into(),
                    Some("projection = \"exc→inh\" (its name, or source→target)".into()),
                );
                continue;
            };
            let Some(j) = projections.iter().position(|p| &p.name == name) else {
                let names: Vec<&str> = projections.iter().map(|p| p.name.as_str()).collect();
                let hint = models::did_you_mean(name, &names, "projections");
                ctx.report(
                    loc("projection"),
                    &obj,
                    format!("projection \"{name}\" is not defined"),
                    Some(hint),
                );
                continue;
            };
            if projections[j].plasticity.is_none() {
                ctx.report(
                    loc("projection"),
                    &obj,
                    format!("projection \"{name}\" has no plasticity, so its weights never change"),
                    Some(
                        "add plasticity = { rule = \"stdp\", w_max = ... } or drop the monitor"
                            .into(),
                    ),
                );
                continue;
            }
            let every = match &m.every {
                None => 1,
                Some(s) => match ctx.quantity(s, Dim::Time, loc("every"), &obj, "every") {
                    Some(v) if (v / ctx.dt).round() >= 1.0 => (v / ctx.dt).round() as u64,
                    Some(v) => {
                        ctx.report(
                            loc("every"),
                            &obj,
                            format!("every {} is shorter than dt", show(v, Dim::Time)),
                            None,
                        );
                        continue;
                    }
                    None => continue,
                },
            };
            monitors.push(ResolvedMonitor {
                population: projections[j].target,
                kind: MonitorKind::Weights {
                    projection: j,
                    count: m.count.unwrap_or(100) as usize,
                    every,
                },
            });
            continue;
        }
        let Some(p) = pop_index(&m.population) else {
            unknown_pop(
                &mut ctx,
                loc("population"),
                &obj,
                "monitored",
                &m.population,
            );
            continue;
        };
        let pp = &pops[p];
        let neurons: Option<Vec<u32>> = match (&m.neurons, m.count) {
            (Some(n), _) => Some(n.clone()),
            (None, Some(k)) => Some((0..k.min(pp.size as u32)).collect()),
            (None, None) => None,
        };
        if let Some(ns) = &neurons
            && let Some(&bad) = ns.iter().find(|&&n| n as usize >= pp.size)
        {
            ctx.report(
                loc("neurons"),
                &obj,
                format!("neuron {bad} does not exist (size {})", pp.size),
                Some(format!("indices run from 0 to {}", pp.size - 1)),
            );
            continue;
        }
        let steps_of =
            |ctx: &mut Ctx, s: &Option<Scalar>, key: &'static str, default: f64| -> Option<u64> {
                let v = match s {
                    None => default,
                    Some(s) => ctx.quantity(s, Dim::Time, loc(key), &obj, key)?,
                };
                let k = (v / ctx.dt).round();
                if k < 1.0 {
                    ctx.report(
                        loc(key),
                        &obj,
                        format!("{key} {} is shorter than dt", show(v, Dim::Time)),
                        None,
                    );
                    return None;
                }
                Some(k as u64)
            };
        let kind = match m.kind.as_str() {
            "spikes" => {
                if !pp.model.spiking {
                    ctx.report(
                        loc("kind"),
                        &obj,
                        format!("\"{}\" is a rate population and has no spikes", pp.name),
                        Some("record its state variable \"r\" with kind = \"state\"".into()),
                    );
                    continue;
                }
                MonitorKind::Spikes { neurons }
            }
            "rate" => {
                if !pp.model.spiking {
                    ctx.report(
                        loc("kind"),
                        &obj,
                        format!("\"{}\" is a rate population", pp.name),
                        Some("record its state variable \"r\"".into()),
                    );
                    continue;
                }
                let dt = ctx.dt;
                let Some(bin) = steps_of(&mut ctx, &m.bin, "bin", 1.0f64.max(dt)) else {
                    continue;
                };
                MonitorKind::Rate { bin }
            }
            "state" => {
                let vars = m.variables.clone().unwrap_or_default();
                if vars.is_empty() {
                    ctx.report(
                        loc("kind"),
                        &obj,
                        "a state monitor needs `variables`".into(),
                        Some(format!("variables = [\"{}\"]", pp.model.state[0].name)),
                    );
                    continue;
                }
                let mut idx = vec![];
                for v in &vars {
                    match pp.model.state.iter().position(|s| s.name == v) {
                        Some(k) => idx.push(k),
                        None => ctx.report(
                            loc("variables"),
                            &obj,
                            format!("model {} has no state variable \"{v}\"", pp.model.name),
                            Some(format!(
                                "its state is: {}",
                                pp.model
                                    .state
                                    .iter()
                                    .map(|q| q.name)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )),
                        ),
                    }
                }
                let Some(neurons) = neurons else {
                    ctx.report(
                        loc("kind"),
                        &obj,
                        "a state monitor needs `neurons` or `count`".into(),
                        Some("neurons = [0, 1, 2]".into()),
                    );
                    continue;
                };
                let dt = ctx.dt;
                let Some(every) = steps_of(&mut ctx, &m.every, "every", dt) else {
                    continue;
                };
                if idx.len() != vars.len() {
                    continue;
                }
                MonitorKind::State {
                    variables: idx,
                    neurons,
                    every,
                }
            }
            other => {
                ctx.report(
                    loc("kind"),
                    &obj,
                    format!("unknown monitor kind \"{other}\""),
                    Some("kinds: spikes, state, rate".into()),
                );
                continue;
            }
        };
        monitors.push(ResolvedMonitor {
            population: p,
            kind,
        });
    }

    // Memory estimate, before anything is allocated.
    let synapses: f64 = projections.iter().map(|p| p.expected_synapses).sum();
    let max_delay = projections
        .iter()
        .map(|p| p.delay.bounds().1)
        .fold(ctx.dt, f64::max);
    let slots = (max_delay / ctx.dt).ceil() + 2.0;
    let neuron_bytes: f64 = pops
        .iter()
        .map(|p| {
            p.size as f64 * (4.0 * (p.params.len() + p.model.state.len()) as f64 + 8.0 * slots)
        })
        .sum();
    let peak = synapses * BUILD_BYTES_PER_SYNAPSE + neuron_bytes;
    let limit = memory_limit.unwrap_or_else(available_memory);
    if peak > limit {
        let gib = |b: f64| b / (1024.0 * 1024.0 * 1024.0);
        ctx.problems.push(Problem {
            file: src.file.clone(),
            line: None,
            object: "circuit".into(),
            message: format!(
                "needs about {:.1} GiB to build ({:.3e} synapses × {} B + neuron state), but only {:.1} GiB {}",
                gib(peak),
                synapses,
                BUILD_BYTES_PER_SYNAPSE,
                gib(limit),
                if memory_limit.is_some() { "is allowed by [simulation] memory_limit" } else { "is available" }
            ),
            hint: Some("reduce population sizes or connection density, or raise memory_limit on a larger machine".into()),
        });
    }
    let all_pops_ok = pop_ok.iter().all(|&b| b);
    if !ctx.problems.is_empty() || !all_pops_ok {
        return Err(ModelError::Invalid(ctx.problems));
    }
    let name = src
        .file
        .as_ref()
        .and_then(|f| f.file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "circuit".into());
    Ok(Resolved {
        name,
        dt: ctx.dt,
        steps,
        seed: c.simulation.seed,
        threads: threads.max(1),
        populations: pops,
        projections,
        inputs,
        monitors,
        memory: MemoryEstimate {
            synapses,
            peak_bytes: peak,
            limit_bytes: limit,
        },
    })
}

fn resolve_modulator(
    ctx: &mut Ctx,
    m: &Modulator,
    what: &str,
    loc: Loc,
    obj: &str,
    pops: &[String],
) -> Option<ModulatorSource> {
    match (&m.file, &m.population) {
        (Some(file), None) => {
            let step = match &m.step {
                None => ctx.dt,
                Some(s) => ctx.quantity(s, Dim::Time, loc, obj, &format!("{what}.step"))?,
            };
            if step < ctx.dt - 1e-9 {
                ctx.report(
                    loc,
                    obj,
                    format!("{what}.step {} is shorter than dt", show(step, Dim::Time)),
                    None,
                );
                return None;
            }
            let path = ctx.src.base_dir().join(file);
            match npy::read(&path) {
                Ok(a) => Some(ModulatorSource::Series {
                    values: a.data.into(),
                    step,
                }),
                Err(e) => {
                    ctx.report(
                        loc,
                        obj,
                        format!("{what}: cannot read {}: {e}", path.display()),
                        Some("a .npy file of one value per sample, relative to the spec".into()),
                    );
                    None
                }
            }
        }
        (None, Some(name)) => {
            let Some(population) = pops.iter().position(|p| p == name) else {
                ctx.report(
                    loc,
                    obj,
                    format!("{what}: population \"{name}\" is not defined"),
                    None,
                );
                return None;
            };
            let tau = match &m.tau {
                None => 50.0,
                Some(s) => ctx.quantity(s, Dim::Time, loc, obj, &format!("{what}.tau"))?,
            };
            if tau <= 0.0 {
                ctx.report(loc, obj, format!("{what}.tau must be positive"), None);
                return None;
            }
            Some(ModulatorSource::Population {
                population,
                tau,
                offset: m.offset.unwrap_or(0.0),
            })
        }
        _ => {
            ctx.report(loc, obj, format!("{what} needs exactly one of `file` or `population`"), Some(format!("{what} = {{ file = \"reward.npy\", step = \"1 ms\" }} or {{ population = \"da\", tau = \"50 ms\" }}")));
            None
        }
    }
}

/// A quantity a plasticity rule cannot do without: its value, or a report naming the rule,
/// the field and an example.
#[allow(clippy::too_many_arguments)]
fn required(
    ctx: &mut Ctx,
    v: &Option<Scalar>,
    dim: Dim,
    loc: Loc,
    obj: &str,
    rule: &str,
    field: &str,
    what: &str,
) -> Option<f64> {
    match v {
        Some(s) => ctx.quantity(s, dim, loc, obj, &format!("plasticity.{field}")),
        None => {
            ctx.report(
                loc,
                obj,
                format!("the {rule} rule needs `{field}`, {what}"),
                Some(format!("{field} = {}", dim.example())),
            );
            None
        }
    }
}

fn resolve_plasticity(
    ctx: &mut Ctx,
    pl: &Plasticity,
    wdim: Dim,
    loc: Loc,
    obj: &str,
    pops: &[String],
) -> Option<ResolvedPlasticity> {
    let time = |ctx: &mut Ctx, v: &Option<Scalar>, name: &str, default: f64| -> Option<f64> {
        let t = match v {
            None => default,
            Some(s) => ctx.quantity(s, Dim::Time, loc, obj, &format!("plasticity.{name}"))?,
        };
        if t <= 0.0 {
            ctx.report(
                loc,
                obj,
                format!(
                    "plasticity.{name} must be positive, got {}",
                    show(t, Dim::Time)
                ),
                None,
            );
            return None;
        }
        Some(t)
    };
    let power_law = matches!(pl.rule.as_str(), "power_law" | "stdp_pl_synapse_hom");
    let w_max = match &pl.w_max {
        Some(s) => ctx.quantity(s, wdim, loc, obj, "plasticity.w_max")?.abs(),
        None if power_law => f64::INFINITY,
        None => {
            ctx.report(
                loc,
                obj,
                "plasticity needs `w_max`".into(),
                Some(format!("w_max = {}", wdim.example())),
            );
            return None;
        }
    };
    let w_min = match &pl.w_min {
        Some(s) => ctx.quantity(s, wdim, loc, obj, "plasticity.w_min")?.abs(),
        None => 0.0,
    };
    if w_min > w_max {
        ctx.report(
            loc,
            obj,
            format!("plasticity w_min {w_min} is above w_max {w_max}"),
            None,
        );
        return None;
    }
    let rule = match pl.rule.as_str() {
        "stdp" => {
            let multiplicative = match pl.mode.as_deref().unwrap_or("additive") {
                "additive" => false,
                "multiplicative" => true,
                m => {
                    ctx.report(
                        loc,
                        obj,
                        format!("unknown STDP mode \"{m}\""),
                        Some("mode = \"additive\" or \"multiplicative\"".into()),
                    );
                    return None;
                }
            };
            let nearest = match pl.pairing.as_deref().unwrap_or("all_to_all") {
                "all_to_all" => false,
                "nearest" => true,
                m => {
                    ctx.report(
                        loc,
                        obj,
                        format!("unknown pairing \"{m}\""),
                        Some("pairing = \"all_to_all\" or \"nearest\"".into()),
                    );
                    return None;
                }
            };
            PlasticRule::Pair {
                tau_plus: time(ctx, &pl.tau_plus, "tau_plus", 20.0)?,
                tau_minus: time(ctx, &pl.tau_minus, "tau_minus", 20.0)?,
                a_plus: pl.a_plus.unwrap_or(0.01),
                a_minus: pl.a_minus.unwrap_or(0.0105),
                multiplicative,
                nearest,
            }
        }
        "triplet" => PlasticRule::Triplet {
            tau_plus: time(ctx, &pl.tau_plus, "tau_plus", 16.8)?,
            tau_minus: time(ctx, &pl.tau_minus, "tau_minus", 33.7)?,
            tau_x: time(ctx, &pl.tau_x, "tau_x", 101.0)?,
            tau_y: time(ctx, &pl.tau_y, "tau_y", 125.0)?,
            a2_plus: pl.a2_plus.unwrap_or(5e-10),
            a3_plus: pl.a3_plus.unwrap_or(6.2e-3),
            a2_minus: pl.a2_minus.unwrap_or(7e-3),
            a3_minus: pl.a3_minus.unwrap_or(2.3e-4),
        },
        "three_factor" => {
            let Some(m) = &pl.modulator else {
                ctx.report(
                    loc,
                    obj,
                    "the three_factor rule needs a `modulator`".into(),
                    Some("modulator = { file = \"reward.npy\", step = \"1 ms\" }".into()),
                );
                return None;
            };
            let modulator = resolve_modulator(ctx, m, "modulator", loc, obj, pops)?;
            let gate = match &pl.gate {
                None => None,
                Some(g) => Some(resolve_modulator(ctx, g, "gate", loc, obj, pops)?),
            };
            PlasticRule::ThreeFactor {
                tau_plus: time(ctx, &pl.tau_plus, "tau_plus", 20.0)?,
                tau_minus: time(ctx, &pl.tau_minus, "tau_minus", 20.0)?,
                a_plus: pl.a_plus.unwrap_or(1.0),
                a_minus: pl.a_minus.unwrap_or(1.0),
                tau_e: time(ctx, &pl.tau_e, "tau_e", 200.0)?,
                rate: pl.rate.unwrap_or(1.0),
                modulator,
                gate,
            }
        }
        "power_law" | "stdp_pl_synapse_hom" => PlasticRule::PowerLaw {
            tau_plus: time(ctx, &pl.tau_plus, "tau_plus", 15.0)?,
            tau_minus: time(ctx, &pl.tau_minus, "tau_minus", 30.0)?,
            lambda: pl.lambda.unwrap_or(0.1),
            alpha: pl.alpha.unwrap_or(0.0513),
            mu: pl.mu.unwrap_or(0.4),
        },
        "scaling" => {
            let target = required(
                ctx,
                &pl.rho0,
                Dim::Frequency,
                loc,
                obj,
                "scaling",
                "rho0",
                "the target rate",
            )?;
            PlasticRule::Scaling {
                target,
                tau: time(ctx, &pl.tau, "tau", 1000.0)?,
                rate: pl.rate.unwrap_or(0.1),
                interval: ((time(ctx, &pl.interval, "interval", 10.0)? / ctx.dt).round() as u64)
                    .max(1),
            }
        }
        "vogels" => {
            let tau = time(ctx, &pl.tau, "tau", 20.0)?;
            let eta = required(
                ctx,
                &pl.eta,
                wdim,
                loc,
                obj,
                "vogels",
                "eta",
                "the weight change per unit trace",
            )?;
            let rho0 = required(
                ctx,
                &pl.rho0,
                Dim::Frequency,
                loc,
                obj,
                "vogels",
                "rho0",
                "the target rate",
            )?;
            PlasticRule::Vogels {
                tau,
                eta,
                alpha: 2.0 * rho0 * tau * 1e-3,
            }
        }
        other => {
            ctx.report(
                loc,
                obj,
                format!("unknown plasticity rule \"{other}\""),
                Some("rules: stdp, triplet, power_law, three_factor, scaling, vogels".into()),
            );
            return None;
        }
    };
    Some(ResolvedPlasticity { rule, w_min, w_max })
}

fn input_weight(
    ctx: &mut Ctx,
    inp: &Input,
    kind: SynapseKind,
    loc: Loc,
    obj: &str,
    count: Option<usize>,
) -> Option<Distribution> {
    match &inp.weight {
        Some(w) => ctx.distribution(w, kind.weight_dim(), loc, obj, "weight", count),
        None => {
            ctx.report(
                loc,
                obj,
                "needs a `weight` for its spikes".into(),
                Some(format!("weight = {}", kind.weight_dim().example())),
            );
            None
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn resolve_receptor(
    ctx: &mut Ctx,
    explicit: Option<&str>,
    sign: Option<Sign>,
    (wlo, whi): (f64, f64),
    wmean: f64,
    kind: SynapseKind,
    loc: Loc,
    obj: &str,
) -> Option<Receptor> {
    let r = match explicit {
        Some(name) => match receptor_name(name) {
            Some(r) => r,
            None => {
                ctx.report(
                    loc,
                    obj,
                    format!("unknown receptor \"{name}\""),
                    Some("receptor = \"excitatory\" or \"inhibitory\"".into()),
                );
                return None;
            }
        },
        None => match (kind, sign) {
            (_, Some(Sign::Excitatory)) => Receptor::Excitatory,
            (_, Some(Sign::Inhibitory)) => Receptor::Inhibitory,
            (SynapseKind::Conductance, None) => Receptor::Excitatory,
            (_, None) => {
                if wmean < 0.0 {
                    Receptor::Inhibitory
                } else {
                    Receptor::Excitatory
                }
            }
        },
    };
    match kind {
        SynapseKind::Conductance => {
            if wlo < 0.0 {
                ctx.report(loc, obj, format!("conductance weight can be negative ({} nS)", wlo), Some("conductances are magnitudes; choose receptor = \"inhibitory\" for inhibition and clip with min = \"0 nS\"".into()));
                return None;
            }
        }
        SynapseKind::Current => {
            // NEST's convention: inhibitory currents are negative.
            if r == Receptor::Inhibitory && whi > 0.0 {
                ctx.report(
                    loc,
                    obj,
                    format!("weight up to {whi} pA into the inhibitory receptor is positive"),
                    Some("inhibitory currents are negative, e.g. weight = \"-50 pA\"".into()),
                );
                return None;
            }
            if r == Receptor::Excitatory && wlo < 0.0 && explicit.is_some() {
                ctx.report(
                    loc,
                    obj,
                    format!("weight down to {wlo} pA into the excitatory receptor is negative"),
                    Some("use receptor = \"inhibitory\" for negative currents".into()),
                );
                return None;
            }
        }
        SynapseKind::Delta | SynapseKind::Rate => {}
    }
    Some(r)
}

fn check_dale(
    ctx: &mut Ctx,
    sp: &ResolvedPopulation,
    kind: SynapseKind,
    r: Receptor,
    (wlo, whi): (f64, f64),
    loc: Loc,
    obj: &str,
) {
    let Some(sign) = sp.sign else { return };
    let unit = kind.weight_dim().base_unit();
    match (kind, sign) {
        (SynapseKind::Conductance, Sign::Excitatory) if r != Receptor::Excitatory => ctx.report(loc, obj, format!("Dale's law: excitatory population \"{}\" projects onto an inhibitory receptor", sp.name), Some("remove receptor or set receptor = \"excitatory\"".into())),
        (SynapseKind::Conductance, Sign::Inhibitory) if r != Receptor::Inhibitory => ctx.report(loc, obj, format!("Dale's law: inhibitory population \"{}\" projects onto an excitatory receptor", sp.name), Some("remove receptor or set receptor = \"inhibitory\"".into())),
        (SynapseKind::Conductance, _) => {}
        (_, Sign::Excitatory) if wlo < 0.0 => ctx.report(
            loc,
            obj,
            format!("Dale's law: excitatory population \"{}\" has weights down to {wlo} {unit}", sp.name),
            Some(format!("weights from an excitatory population must be ≥ 0; clip the distribution with min = \"0 {unit}\"")),
        ),
        (_, Sign::Inhibitory) if whi > 0.0 => ctx.report(
            loc,
            obj,
            format!("Dale's law: inhibitory population \"{}\" has weights up to {whi} {unit}", sp.name),
            Some(format!("weights from an inhibitory population must be ≤ 0; clip the distribution with max = \"0 {unit}\"")),
        ),
        _ => {}
    }
}

fn read_edge_list(
    ctx: &mut Ctx,
    cn: &Connectivity,
    wdim: Dim,
    loc: Loc,
    obj: &str,
    ns: usize,
    nt: usize,
) -> Option<EdgeList> {
    let Some(file) = &cn.file else {
        ctx.report(loc, obj, "edge_list needs `file`".into(), Some("{ rule = \"edge_list\", file = \"edges.csv\", weight_unit = \"pA\", delay_unit = \"ms\" }".into()));
        return None;
    };
    let path = ctx.src.base_dir().join(file);
    let rows: Vec<Vec<f64>> = if file.ends_with(".npy") {
        match npy::read(&path) {
            Ok(a) if a.shape.len() == 2 && (2..=4).contains(&a.shape[1]) => a
                .data
                .chunks_exact(a.shape[1])
                .map(|r| r.to_vec())
                .collect(),
            Ok(a) => {
                ctx.report(
                    loc,
                    obj,
                    format!("{file} has shape {:?}, expected (E, 2..4)", a.shape),
                    Some("columns: source, target[, weight[, delay]]".into()),
                );
                return None;
            }
            Err(e) => {
                ctx.report(
                    loc,
                    obj,
                    format!("cannot read {}: {e}", path.display()),
                    None,
                );
                return None;
            }
        }
    } else {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                ctx.report(
                    loc,
                    obj,
                    format!("cannot read {}: {e}", path.display()),
                    Some("give the path relative to the spec file".into()),
                );
                return None;
            }
        };
        let mut rows = vec![];
        for (ln, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let cells: Vec<&str> = line
                .split([',', '\t', ' '])
                .filter(|s| !s.is_empty())
                .collect();
            let parsed: Result<Vec<f64>, _> = cells.iter().map(|c| c.parse::<f64>()).collect();
            match parsed {
                Ok(r) if (2..=4).contains(&r.len()) => rows.push(r),
                Err(_) if rows.is_empty() && ln == 0 => continue, // header line
                _ => {
                    ctx.report(
                        loc,
                        obj,
                        format!("{file}:{}: cannot read \"{line}\"", ln + 1),
                        Some("each row: source, target[, weight[, delay]]".into()),
                    );
                    return None;
                }
            }
        }
        rows
    };
    let cols = rows.iter().map(|r| r.len()).min().unwrap_or(2);
    let factor = |ctx: &mut Ctx, unit: &Option<String>, dim: Dim, what: &str| -> Option<f64> {
        match unit {
            None if dim == Dim::Dimensionless => Some(1.0),
            None => {
                ctx.report(
                    loc,
                    obj,
                    format!("the edge list has a {what} column but no {what}_unit"),
                    Some(format!("add {what}_unit = \"{}\"", dim.base_unit())),
                );
                None
            }
            Some(u) => match parse_quantity(&format!("1 {u}")) {
                Ok((f, d)) if d == dim => Some(f),
                _ => {
                    ctx.report(
                        loc,
                        obj,
                        format!("{what}_unit \"{u}\" is not a {dim}"),
                        Some(format!("use \"{}\"", dim.base_unit())),
                    );
                    None
                }
            },
        }
    };
    let wf = if cols >= 3 {
        Some(factor(ctx, &cn.weight_unit, wdim, "weight")?)
    } else {
        None
    };
    let df = if cols >= 4 {
        Some(factor(ctx, &cn.delay_unit, Dim::Time, "delay")?)
    } else {
        None
    };
    let mut e = EdgeList {
        source: vec![],
        target: vec![],
        weight: wf.map(|_| vec![]),
        delay: df.map(|_| vec![]),
    };
    for (i, r) in rows.iter().enumerate() {
        let (s, t) = (r[0], r[1]);
        if s < 0.0
            || s.fract() != 0.0
            || s as usize >= ns
            || t < 0.0
            || t.fract() != 0.0
            || t as usize >= nt
        {
            ctx.report(
                loc,
                obj,
                format!(
                    "edge {i} ({s} → {t}) is out of range (source size {ns}, target size {nt})"
                ),
                Some("indices are 0-based neuron indices within each population".into()),
            );
            return None;
        }
        e.source.push(s as u32);
        e.target.push(t as u32);
        if let (Some(w), Some(f)) = (e.weight.as_mut(), wf) {
            w.push(r[2] * f);
        }
        if let (Some(d), Some(f)) = (e.delay.as_mut(), df) {
            d.push(r[3] * f);
        }
    }
    Some(e)
}

/// Memory the OS reports as available (MemAvailable), in bytes; 16 GiB if unknown.
pub fn available_memory() -> f64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("MemAvailable:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<f64>().ok())
        })
        .map(|kib| kib * 1024.0)
        .unwrap_or(16.0 * 1024.0 * 1024.0 * 1024.0)
}

/// Validate a model-level [`ModelInfo`]-aware circuit built in Rust (no file).
pub fn validate_circuit(c: &Circuit) -> Result<Resolved, ModelError> {
    validate(c, &Source::default())
}

#[allow(dead_code)]
fn _assert_model_info_used(_: &ModelInfo) {}
