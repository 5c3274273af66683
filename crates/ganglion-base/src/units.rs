//! Physical quantities written as strings (`"20 ms"`, `"-65 mV"`, `"380 pA"`).
//!
//! The engine runs on plain floats in NEST's unit system: time in ms, voltage in mV,
//! current in pA, conductance in nS, capacitance in pF, frequency in Hz, resistance in MΩ.
//! [`parse_quantity`] converts a string to that system and reports its [`Dim`].

use std::fmt;

/// Physical dimension of a value. Each has one base unit in the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dim {
    /// Base unit: ms.
    Time,
    /// Base unit: mV.
    Voltage,
    /// Base unit: pA.
    Current,
    /// Base unit: nS.
    Conductance,
    /// Base unit: pF.
    Capacitance,
    /// Base unit: Hz.
    Frequency,
    /// Base unit: MΩ.
    Resistance,
    /// Base unit: bytes (memory limits).
    Memory,
    /// A plain number.
    Dimensionless,
}

impl Dim {
    /// The engine's base unit for this dimension, as written in specs.
    pub fn base_unit(self) -> &'static str {
        match self {
            Dim::Time => "ms",
            Dim::Voltage => "mV",
            Dim::Current => "pA",
            Dim::Conductance => "nS",
            Dim::Capacitance => "pF",
            Dim::Frequency => "Hz",
            Dim::Resistance => "MOhm",
            Dim::Memory => "B",
            Dim::Dimensionless => "",
        }
    }

    /// An example value with a unit of this dimension, for hints.
    pub fn example(self) -> &'static str {
        match self {
            Dim::Time => "\"20 ms\"",
            Dim::Voltage => "\"-65 mV\"",
            Dim::Current => "\"380 pA\"",
            Dim::Conductance => "\"6 nS\"",
            Dim::Capacitance => "\"250 pF\"",
            Dim::Frequency => "\"10 Hz\"",
            Dim::Resistance => "\"100 MOhm\"",
            Dim::Memory => "\"4 GiB\"",
            Dim::Dimensionless => "0.5",
        }
    }
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Dim::Time => "time",
            Dim::Voltage => "voltage",
            Dim::Current => "current",
            Dim::Conductance => "conductance",
            Dim::Capacitance => "capacitance",
            Dim::Frequency => "frequency",
            Dim::Resistance => "resistance",
            Dim::Memory => "memory size",
            Dim::Dimensionless => "dimensionless number",
        };
        f.write_str(s)
    }
}

/// Why a quantity string could not be read.
#[derive(Debug, Clone, PartialEq)]
pub enum UnitError {
    /// The numeric part is not a number.
    BadNumber(String),
    /// A number with no unit where one is required.
    MissingUnit,
    /// The unit is not known.
    UnknownUnit(String),
    /// The number, or the number converted to the base unit, is infinite or NaN
    /// (`"1e400 ms"`, `"1e300 A"`).
    NotFinite(String),
}

impl fmt::Display for UnitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnitError::BadNumber(s) => write!(f, "\"{s}\" is not a number"),
            UnitError::MissingUnit => write!(f, "the value has no unit"),
            UnitError::UnknownUnit(u) => write!(f, "unknown unit \"{u}\""),
            UnitError::NotFinite(s) => write!(f, "\"{s}\" is not a finite number"),
        }
    }
}

/// The largest magnitude the engine can hold: it stores weights, parameters and state as
/// 32-bit floats (`f32::MAX`, about 3.4e38).
pub const F32_MAX: f64 = f32::MAX as f64;

/// The smallest non-zero magnitude the engine holds at full precision (`f32::MIN_POSITIVE`,
/// about 1.2e-38); smaller ones lose precision or become 0 in 32-bit floats.
pub const F32_MIN_POSITIVE: f64 = f32::MIN_POSITIVE as f64;

/// Why a number cannot be used by the engine, which computes in 32-bit floats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeError {
    /// Infinite or NaN.
    NotFinite,
    /// Finite, but beyond ±[`F32_MAX`] (infinite as f32).
    TooLarge,
    /// Not zero, but closer to zero than [`F32_MIN_POSITIVE`] (0 or imprecise as f32).
    TooSmall,
}

impl fmt::Display for RangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RangeError::NotFinite => "is not a finite number",
            RangeError::TooLarge => {
                "is beyond ±3.4e38, the range of the 32-bit floats the engine computes in"
            }
            RangeError::TooSmall => {
                "is closer to zero than 1.2e-38, the smallest 32-bit float the engine holds exactly"
            }
        })
    }
}

/// Check that `x` is a number the engine can hold as an `f32`: finite, within ±[`F32_MAX`],
/// and either 0 or at least [`F32_MIN_POSITIVE`] in magnitude.
///
/// ```
/// use ganglion_base::units::{check_f32, RangeError};
/// assert_eq!(check_f32(20.0), Ok(20.0));
/// assert_eq!(check_f32(f64::NAN), Err(RangeError::NotFinite));
/// assert_eq!(check_f32(1e300), Err(RangeError::TooLarge));
/// assert_eq!(check_f32(1e-300), Err(RangeError::TooSmall));
/// ```
pub fn check_f32(x: f64) -> Result<f64, RangeError> {
    let a = x.abs();
    if !x.is_finite() {
        Err(RangeError::NotFinite)
    } else if a > F32_MAX {
        Err(RangeError::TooLarge)
    } else if a != 0.0 && a < F32_MIN_POSITIVE {
        Err(RangeError::TooSmall)
    } else {
        Ok(x)
    }
}

/// A unit: its dimension and its factor to the engine's base unit.
fn unit_factor(unit: &str) -> Option<(Dim, f64)> {
    let (dim, f) = match unit {
        "s" => (Dim::Time, 1e3),
        "ms" => (Dim::Time, 1.0),
        "us" | "µs" | "μs" => (Dim::Time, 1e-3),
        "min" => (Dim::Time, 60e3),
        "V" => (Dim::Voltage, 1e3),
        "mV" => (Dim::Voltage, 1.0),
        "uV" | "µV" | "μV" => (Dim::Voltage, 1e-3),
        "A" => (Dim::Current, 1e12),
        "mA" => (Dim::Current, 1e9),
        "uA" | "µA" | "μA" => (Dim::Current, 1e6),
        "nA" => (Dim::Current, 1e3),
        "pA" => (Dim::Current, 1.0),
        "fA" => (Dim::Current, 1e-3),
        "S" => (Dim::Conductance, 1e9),
        "mS" => (Dim::Conductance, 1e6),
        "uS" | "µS" | "μS" => (Dim::Conductance, 1e3),
        "nS" => (Dim::Conductance, 1.0),
        "pS" => (Dim::Conductance, 1e-3),
        "F" => (Dim::Capacitance, 1e12),
        "uF" | "µF" | "μF" => (Dim::Capacitance, 1e6),
        "nF" => (Dim::Capacitance, 1e3),
        "pF" => (Dim::Capacitance, 1.0),
        "Hz" => (Dim::Frequency, 1.0),
        "kHz" => (Dim::Frequency, 1e3),
        "Ohm" | "Ω" => (Dim::Resistance, 1e-6),
        "kOhm" | "kΩ" => (Dim::Resistance, 1e-3),
        "MOhm" | "MΩ" => (Dim::Resistance, 1.0),
        "GOhm" | "GΩ" => (Dim::Resistance, 1e3),
        "B" => (Dim::Memory, 1.0),
        "KiB" => (Dim::Memory, 1024.0),
        "MiB" => (Dim::Memory, 1024.0 * 1024.0),
        "GiB" => (Dim::Memory, 1024.0 * 1024.0 * 1024.0),
        "KB" | "kB" => (Dim::Memory, 1e3),
        "MB" => (Dim::Memory, 1e6),
        "GB" => (Dim::Memory, 1e9),
        _ => return None,
    };
    Some((dim, f))
}

/// Parse `"<number> <unit>"` (the space is optional) into a value in the engine's base unit
/// and its dimension. A bare number is [`Dim::Dimensionless`]. A number that is infinite,
/// NaN, or becomes infinite in the base unit is [`UnitError::NotFinite`] (the f32 range is
/// checked by [`check_f32`]).
///
/// ```
/// use ganglion_base::units::{parse_quantity, Dim};
/// assert_eq!(parse_quantity("1.5 s").unwrap(), (1500.0, Dim::Time));
/// assert_eq!(parse_quantity("-65mV").unwrap(), (-65.0, Dim::Voltage));
/// ```
pub fn parse_quantity(text: &str) -> Result<(f64, Dim), UnitError> {
    let t = text.trim();
    // The number ends where a character that cannot be part of a float starts.
    let mut end = 0;
    let bytes: Vec<char> = t.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let ok = c.is_ascii_digit()
            || c == '.'
            || c == '+'
            || c == '-'
            || ((c == 'e' || c == 'E')
                && i + 1 < bytes.len()
                && (bytes[i + 1].is_ascii_digit() || bytes[i + 1] == '-' || bytes[i + 1] == '+')
                && i > 0);
        if !ok {
            break;
        }
        end += c.len_utf8();
        i += 1;
    }
    let (num, unit) = t.split_at(end);
    let unit = unit.trim();
    let value: f64 = num
        .trim()
        .parse()
        .map_err(|_| UnitError::BadNumber(t.to_string()))?;
    let (value, dim) = if unit.is_empty() {
        (value, Dim::Dimensionless)
    } else {
        match unit_factor(unit) {
            Some((dim, f)) => (value * f, dim),
            None => return Err(UnitError::UnknownUnit(unit.to_string())),
        }
    };
    if !value.is_finite() {
        return Err(UnitError::NotFinite(t.to_string()));
    }
    Ok((value, dim))
}

/// Format a number for messages: plainly (`20`, `-0.5`), or in exponent form when it is
/// very large or very small (`1e300`, `2.5e-12`), never as hundreds of digits.
pub fn number(x: f64) -> String {
    let a = x.abs();
    if a == 0.0 || !a.is_finite() || (1e-6..1e15).contains(&a) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// Format a value in base units for messages: `20 ms`, `-65 mV`, `1e300 pA`.
pub fn show(value: f64, dim: Dim) -> String {
    if dim == Dim::Dimensionless {
        number(value)
    } else {
        format!("{} {}", number(value), dim.base_unit())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_units() {
        assert_eq!(parse_quantity("20 ms").unwrap(), (20.0, Dim::Time));
        assert_eq!(parse_quantity("0.6 nS").unwrap(), (0.6, Dim::Conductance));
        assert_eq!(parse_quantity("1 nA").unwrap(), (1000.0, Dim::Current));
        assert_eq!(parse_quantity("8 kHz").unwrap(), (8000.0, Dim::Frequency));
        assert_eq!(parse_quantity("1e-3 s").unwrap(), (1.0, Dim::Time));
        assert_eq!(
            parse_quantity("2.5e2 pF").unwrap(),
            (250.0, Dim::Capacitance)
        );
        assert_eq!(parse_quantity("0.25").unwrap(), (0.25, Dim::Dimensionless));
        assert_eq!(
            parse_quantity("2 GiB").unwrap().0,
            2.0 * 1024.0 * 1024.0 * 1024.0
        );
    }

    #[test]
    fn rejects_bad_units() {
        assert_eq!(
            parse_quantity("20 parsecs"),
            Err(UnitError::UnknownUnit("parsecs".into()))
        );
        assert!(matches!(
            parse_quantity("fast ms"),
            Err(UnitError::BadNumber(_))
        ));
    }

    #[test]
    fn rejects_numbers_that_are_not_finite() {
        for t in ["1e400 ms", "1e300 A", "-1e308 S", "1e999"] {
            assert_eq!(
                parse_quantity(t),
                Err(UnitError::NotFinite(t.into())),
                "{t}"
            );
        }
        for t in ["inf ms", "nan pA", "NaN", "infinity"] {
            assert!(parse_quantity(t).is_err(), "{t}");
        }
        assert_eq!(
            UnitError::NotFinite("1e400 ms".into()).to_string(),
            "\"1e400 ms\" is not a finite number"
        );
    }

    #[test]
    fn numbers_in_messages_stay_short() {
        assert_eq!(show(20.0, Dim::Time), "20 ms");
        assert_eq!(show(-0.5, Dim::Voltage), "-0.5 mV");
        assert_eq!(show(1e300, Dim::Current), "1e300 pA");
        assert_eq!(number(2.5e-12), "2.5e-12");
        assert_eq!(number(f64::NAN), "NaN");
        assert_eq!(number(f64::NEG_INFINITY), "-inf");
        assert_eq!(number(0.0), "0");
    }

    #[test]
    fn the_f32_range() {
        assert_eq!(check_f32(0.0), Ok(0.0));
        assert_eq!(check_f32(-3.4e38), Ok(-3.4e38));
        assert_eq!(check_f32(1.2e-38), Ok(1.2e-38));
        assert_eq!(check_f32(f64::INFINITY), Err(RangeError::NotFinite));
        assert_eq!(check_f32(f64::NEG_INFINITY), Err(RangeError::NotFinite));
        assert_eq!(check_f32(3.5e38), Err(RangeError::TooLarge));
        assert_eq!(check_f32(-1e39), Err(RangeError::TooLarge));
        assert_eq!(check_f32(1e-39), Err(RangeError::TooSmall));
        assert!(RangeError::TooLarge.to_string().contains("3.4e38"));
    }
}
