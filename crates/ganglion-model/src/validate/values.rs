//! Values with units: quantities, inline lists, distributions and lists from files.
//!
//! Every number is checked once, where it is read, for what the engine can hold: finite, and
//! within the range of the 32-bit floats it stores weights, parameters and state in
//! ([`check_f32`]). Drawn distributions are checked for the values they can draw.

use super::{Ctx, NO_HINT, Obj, files};
use crate::resolved::Distribution;
use crate::spec::{DistSpec, Modulator, Plasticity, Scalar, Value};
use crate::units::{
    Dim, F32_MAX, F32_MIN_POSITIVE, UnitError, check_f32, number, parse_quantity, show,
};

/// The hint for a number the engine cannot hold.
pub(super) const NUMBER_HINT: &str =
    "numbers must be finite and within ±3.4e38 (the engine computes in 32-bit floats)";

/// How many standard deviations from the mean the normal generator can draw (its largest
/// draw is about 9.4 std, from the smallest uniform it uses).
const NORMAL_REACH: f64 = 10.0;

/// Where the number of elements of a list is unknown.
const COUNT_UNKNOWN_HINT: &str =
    "the number of elements is only known for populations, all_to_all, one_to_one and edge lists";

impl Ctx<'_> {
    /// A quantity of dimension `dim`; bare numbers only for dimensionless ones.
    pub(super) fn quantity(
        &mut self,
        s: &Scalar,
        dim: Dim,
        o: &Obj,
        key: &str,
        what: &str,
    ) -> Option<f64> {
        let (v, d) = match s {
            Scalar::Number(x) => (*x, Dim::Dimensionless),
            Scalar::Text(t) => match parse_quantity(t) {
                Ok(q) => q,
                Err(UnitError::NotFinite(_)) => {
                    let msg = format!("{what} {s} is not a finite number");
                    self.report(o, key, msg, NUMBER_HINT);
                    return None;
                }
                Err(e) => {
                    let hint = format!("write a {dim} like {}", dim.example());
                    self.report(o, key, format!("{what} {s}: {e}"), hint);
                    return None;
                }
            },
        };
        if let Err(e) = check_f32(v) {
            let shown = match s {
                Scalar::Number(x) => number(*x),
                Scalar::Text(t) if t.split_whitespace().eq(show(v, d).split_whitespace()) => {
                    format!("{s}")
                }
                Scalar::Text(_) => format!("{s} ({})", show(v, d)),
            };
            self.report(o, key, format!("{what} {shown} {e}"), NUMBER_HINT);
            return None;
        }
        if d != dim {
            let msg = if d == Dim::Dimensionless {
                format!("{what} {s} has no unit, but it is a {dim}")
            } else {
                format!("{what} {s} is a {d}, but it must be a {dim}")
            };
            self.report(o, key, msg, format!("write it like {}", dim.example()));
            return None;
        }
        Some(v)
    }

    /// An optional quantity: `default` when absent.
    pub(super) fn quantity_or(
        &mut self,
        s: Option<&Scalar>,
        default: f64,
        dim: Dim,
        o: &Obj,
        key: &str,
        what: &str,
    ) -> Option<f64> {
        match s {
            None => Some(default),
            Some(s) => self.quantity(s, dim, o, key, what),
        }
    }

    /// An optional time that must be positive: `default` when absent.
    pub(super) fn positive_time(
        &mut self,
        s: Option<&Scalar>,
        default: f64,
        o: &Obj,
        key: &str,
        what: &str,
    ) -> Option<f64> {
        let t = self.quantity_or(s, default, Dim::Time, o, key, what)?;
        if t <= 0.0 {
            let msg = format!("{what} must be positive, got {}", show(t, Dim::Time));
            self.report(
                o,
                key,
                msg,
                "time constants are positive durations like \"20 ms\"",
            );
            return None;
        }
        Some(t)
    }

    /// A factor converting values written in `unit` to base units of `dim` (1 for a missing
    /// unit of a dimensionless quantity), or a report: `missing` when there is no unit,
    /// `{prefix}{field} "u" is not a {dim}` when it is wrong.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn unit_factor(
        &mut self,
        unit: Option<&str>,
        dim: Dim,
        o: &Obj,
        key: &str,
        prefix: &str,
        field: &str,
        missing: impl FnOnce() -> String,
    ) -> Option<f64> {
        let base = dim.base_unit();
        match unit.filter(|u| !u.trim().is_empty()) {
            None if dim == Dim::Dimensionless => Some(1.0),
            None => {
                self.report(o, key, missing(), format!("add {field} = \"{base}\""));
                None
            }
            Some(u) => match parse_quantity(&format!("1 {u}")) {
                Ok((f, d)) if d == dim => Some(f),
                _ => {
                    let msg = format!("{prefix}{field} \"{u}\" is not a {dim}");
                    self.report(o, key, msg, format!("use {field} = \"{base}\""));
                    None
                }
            },
        }
    }

    /// A value or distribution of dimension `dim`. `count` is how many elements a list must
    /// have (None: lists are not allowed here).
    pub(super) fn distribution(
        &mut self,
        v: &Value,
        dim: Dim,
        o: &Obj,
        key: &str,
        what: &str,
        count: Option<usize>,
    ) -> Option<Distribution> {
        match v {
            Value::Scalar(s) => self.quantity(s, dim, o, key, what).map(Distribution::Const),
            Value::List(items) => {
                let vals: Vec<Option<f64>> = items
                    .iter()
                    .enumerate()
                    .map(|(i, s)| {
                        let item = format!("{what} (list item {})", i + 1);
                        self.quantity(s, dim, o, key, &item)
                    })
                    .collect();
                let vals: Vec<f64> = vals.into_iter().collect::<Option<_>>()?;
                let n = self.list_count(o, key, what, count, "a list")?;
                if n != vals.len() {
                    let msg = format!(
                        "{what}: the list has {} values but {n} are needed",
                        vals.len()
                    );
                    self.report(
                        o,
                        key,
                        msg,
                        format!("give exactly {n} values, one per element"),
                    );
                    return None;
                }
                Some(Distribution::List(vals.into()))
            }
            Value::Dist(d) if d.file.is_some() => {
                let n = self.list_count(o, key, what, count, "a list from a file")?;
                files::read_list(self, d, dim, o, key, what, n)
            }
            Value::Dist(d) => self.drawn(d, dim, o, key, what),
        }
    }

    /// The element count a list must have, or a report that lists are not possible here.
    fn list_count(
        &mut self,
        o: &Obj,
        key: &str,
        what: &str,
        count: Option<usize>,
        list: &str,
    ) -> Option<usize> {
        if count.is_none() {
            let msg = format!("{what}: {list} is not possible here");
            self.report(o, key, msg, COUNT_UNKNOWN_HINT);
        }
        count
    }

    /// A drawn distribution: `uniform`, `normal` or `lognormal`.
    fn drawn(
        &mut self,
        d: &DistSpec,
        dim: Dim,
        o: &Obj,
        key: &str,
        what: &str,
    ) -> Option<Distribution> {
        let q = |ctx: &mut Self, s: &Option<Scalar>, field: &str| match s {
            None => Some(None),
            Some(s) => ctx
                .quantity(s, dim, o, key, &format!("{what}.{field}"))
                .map(Some),
        };
        let low = q(self, &d.low, "low")?;
        let high = q(self, &d.high, "high")?;
        let mean = q(self, &d.mean, "mean")?;
        let std = q(self, &d.std, "std")?;
        let min = q(self, &d.min, "min")?;
        let max = q(self, &d.max, "max")?;
        let kind = d.dist.as_deref().unwrap_or_default();
        let need = |ctx: &mut Self, x: Option<f64>, field: &str| {
            if x.is_none() {
                let msg = format!("{what}: a {kind} distribution needs `{field}`");
                ctx.report(o, key, msg, dist_hint(kind, dim));
            }
            x
        };
        match kind {
            "uniform" => {
                let low = need(self, low, "low")?;
                let high = need(self, high, "high")?;
                if low > high {
                    let msg = format!(
                        "{what}: uniform low {} is above high {}",
                        show(low, dim),
                        show(high, dim)
                    );
                    self.report(o, key, msg, "swap low and high");
                    return None;
                }
                Some(Distribution::Uniform { low, high })
            }
            "normal" | "lognormal" => {
                let mean = need(self, mean, "mean")?;
                let std = need(self, std, "std")?;
                if std < 0.0 {
                    let msg = format!("{what}: std {} is negative", show(std, dim));
                    self.report(o, key, msg, NO_HINT);
                    return None;
                }
                if let (Some(a), Some(b)) = (min, max)
                    && a >= b
                {
                    let msg = format!(
                        "{what}: min {} is not below max {}",
                        show(a, dim),
                        show(b, dim)
                    );
                    self.report(o, key, msg, NO_HINT);
                    return None;
                }
                if kind == "normal" {
                    let lo = min.unwrap_or(mean - NORMAL_REACH * std);
                    let hi = max.unwrap_or(mean + NORMAL_REACH * std);
                    if lo < -F32_MAX || hi > F32_MAX {
                        let msg = format!(
                            "{what}: a normal with mean {} and std {} draws values up to {}, beyond ±3.4e38 (the engine computes in 32-bit floats)",
                            show(mean, dim),
                            show(std, dim),
                            show(if hi > F32_MAX { hi } else { lo }, dim),
                        );
                        let hint = "use a smaller std, or bound the draws with min and max";
                        self.report(o, key, msg, hint);
                        return None;
                    }
                    return Some(Distribution::Normal {
                        mean,
                        std,
                        min,
                        max,
                    });
                }
                if mean <= 0.0 {
                    let msg = format!(
                        "{what}: a lognormal needs a positive mean, got {}",
                        show(mean, dim)
                    );
                    let hint =
                        "lognormal takes the mean and std of the (positive) values themselves";
                    self.report(o, key, msg, hint);
                    return None;
                }
                let s2 = (1.0 + (std / mean).powi(2)).ln();
                let (mu, sigma) = (mean.ln() - 0.5 * s2, s2.sqrt());
                let hi = max.unwrap_or((mu + NORMAL_REACH * sigma).exp());
                let lo = (mu - NORMAL_REACH * sigma).exp();
                let reach = match (hi > F32_MAX, min.is_none() && lo < F32_MIN_POSITIVE) {
                    (true, _) => Some(format!("up to {}, beyond 3.4e38", show(hi, dim))),
                    (false, true) => Some(format!(
                        "down to {}, closer to zero than 1.2e-38",
                        show(lo, dim)
                    )),
                    (false, false) => None,
                };
                if let Some(reach) = reach {
                    let msg = format!(
                        "{what}: a lognormal with mean {} and std {} draws values {reach} (the engine computes in 32-bit floats)",
                        show(mean, dim),
                        show(std, dim),
                    );
                    let hint = "use a smaller std relative to the mean, or bound the draws with min and max";
                    self.report(o, key, msg, hint);
                    return None;
                }
                Some(Distribution::LogNormal {
                    mu,
                    sigma,
                    min,
                    max,
                })
            }
            other => {
                let msg = if other.is_empty() {
                    format!("{what}: a distribution needs `dist` (or `file`)")
                } else {
                    format!("{what}: unknown distribution \"{other}\"")
                };
                let hint =
                    "use dist = \"uniform\" | \"normal\" | \"lognormal\", or file = \"values.npy\"";
                self.report(o, key, msg, hint);
                None
            }
        }
    }
}

impl Ctx<'_> {
    /// A plain number of the spec (no unit) that the engine can hold, or a report
    /// `{what} {x} is not a finite number` (or beyond the f32 range).
    pub(super) fn plain_number(&mut self, x: f64, o: &Obj, key: &str, what: &str) -> Option<f64> {
        match check_f32(x) {
            Ok(x) => Some(x),
            Err(e) => {
                let msg = format!("{what} {} {e}", number(x));
                self.report(o, key, msg, NUMBER_HINT);
                None
            }
        }
    }

    /// Check the plain numbers (not quantities) of a plasticity rule: amplitudes, rates,
    /// exponents and modulator offsets. `None` when one of them is reported.
    pub(super) fn plasticity_numbers(&mut self, o: &Obj, pl: &Plasticity) -> Option<()> {
        // Every field is named, so that a new plain number cannot be missed here.
        let Plasticity {
            rule: _,
            w_max: _,
            w_min: _,
            tau_plus: _,
            tau_minus: _,
            a_plus,
            a_minus,
            mode: _,
            pairing: _,
            tau_x: _,
            tau_y: _,
            a2_plus,
            a3_plus,
            a2_minus,
            a3_minus,
            eta: _,
            rho0: _,
            tau: _,
            tau_e: _,
            rate,
            lambda,
            alpha,
            mu,
            interval: _,
            modulator,
            gate,
            timing: _,
            axonal_delay: _,
            dendritic_delay: _,
            update: _,
            target: _,
            gain: _,
        } = pl;
        let offset = |m: &Option<Modulator>| m.as_ref().and_then(|m| m.offset);
        let numbers = [
            (*a_plus, "A_plus", "plasticity.A_plus"),
            (*a_minus, "A_minus", "plasticity.A_minus"),
            (*a2_plus, "A2_plus", "plasticity.A2_plus"),
            (*a3_plus, "A3_plus", "plasticity.A3_plus"),
            (*a2_minus, "A2_minus", "plasticity.A2_minus"),
            (*a3_minus, "A3_minus", "plasticity.A3_minus"),
            (*rate, "rate", "plasticity.rate"),
            (*lambda, "lambda", "plasticity.lambda"),
            (*alpha, "alpha", "plasticity.alpha"),
            (*mu, "mu", "plasticity.mu"),
            (
                offset(modulator),
                "modulator",
                "plasticity.modulator.offset",
            ),
            (offset(gate), "gate", "plasticity.gate.offset"),
        ];
        let mut ok = true;
        for (x, key, what) in numbers {
            if let Some(x) = x {
                ok &= self.plain_number(x, o, key, what).is_some();
            }
        }
        ok.then_some(())
    }
}

/// The spec line of a `kind` distribution of dimension `dim`.
fn dist_hint(kind: &str, dim: Dim) -> String {
    let e = dim.example();
    match kind {
        "uniform" => format!("{{ dist = \"uniform\", low = {e}, high = {e} }}"),
        _ => format!("{{ dist = \"{kind}\", mean = {e}, std = {e} }}"),
    }
}
