//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong in `ganglion-learn`.
///
/// Each variant names the object the user configured (a field, a file, a task) and the
/// offending value; most carry a `hint:` the user can act on.
#[derive(Debug, thiserror::Error)]
pub enum LearnError {
    /// A configuration field is out of its valid range.
    #[error("{object}: {field} = {value} is invalid: {reason}\n  hint: {hint}")]
    InvalidParameter {
        /// The object being configured, e.g. `"EsnConfig"`.
        object: &'static str,
        /// The field name, e.g. `"leak_rate"`.
        field: &'static str,
        /// The value given, formatted.
        value: String,
        /// Why it is invalid.
        reason: String,
        /// What to do instead.
        hint: String,
    },
    /// Two arrays that must agree in length or shape do not.
    #[error("{object}: {what}: expected {expected}, got {got}\n  hint: {hint}")]
    ShapeMismatch {
        /// The object or function that received the data.
        object: &'static str,
        /// Which array.
        what: String,
        /// Expected length / shape.
        expected: String,
        /// Actual length / shape.
        got: String,
        /// What to do instead.
        hint: String,
    },
    /// A linear solve failed (matrix not positive definite, eigen solver did not converge).
    #[error("{object}: {what}\n  hint: {hint}")]
    Numerical {
        /// The object that ran the computation.
        object: &'static str,
        /// What failed, with values.
        what: String,
        /// What to do instead.
        hint: String,
    },
    /// A value became NaN or infinite during a run.
    #[error("{object}: non-finite value at step {step}, unit {unit}\n  hint: {hint}")]
    Diverged {
        /// The object whose state diverged.
        object: &'static str,
        /// The time step (0-based).
        step: usize,
        /// The unit (0-based) or output index.
        unit: usize,
        /// What to do instead.
        hint: String,
    },
    /// A data file could not be read or parsed.
    #[error("{path}: {what}\n  hint: {hint}")]
    Data {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        what: String,
        /// What to do instead.
        hint: String,
    },
    /// An unknown name was given (task, option key, enum value).
    #[error("{object}: unknown {kind} \"{name}\"; expected one of: {expected}")]
    UnknownName {
        /// Where the name was given.
        object: &'static str,
        /// What kind of name (`"task"`, `"option"`).
        kind: &'static str,
        /// The name given.
        name: String,
        /// The accepted names.
        expected: String,
    },
}

/// Shorthand for `Result<T, ganglion_learn::LearnError>`.
pub type Result<T, E = LearnError> = std::result::Result<T, E>;

impl LearnError {
    pub(crate) fn param(
        object: &'static str,
        field: &'static str,
        value: impl std::fmt::Display,
        reason: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        LearnError::InvalidParameter {
            object,
            field,
            value: value.to_string(),
            reason: reason.into(),
            hint: hint.into(),
        }
    }

    pub(crate) fn shape(
        object: &'static str,
        what: impl Into<String>,
        expected: impl std::fmt::Display,
        got: impl std::fmt::Display,
        hint: impl Into<String>,
    ) -> Self {
        LearnError::ShapeMismatch {
            object,
            what: what.into(),
            expected: expected.to_string(),
            got: got.to_string(),
            hint: hint.into(),
        }
    }
}

/// Checks that the count `field` is at least 1 or returns [`LearnError::InvalidParameter`].
pub(crate) fn check_nonzero(
    object: &'static str,
    field: &'static str,
    v: usize,
    hint: &str,
) -> Result<()> {
    if v == 0 {
        return Err(LearnError::param(
            object,
            field,
            0,
            "must be at least 1",
            hint,
        ));
    }
    Ok(())
}

/// Checks that `what` has `expected` entries (it has `got`) or returns
/// [`LearnError::ShapeMismatch`].
pub(crate) fn check_len(
    object: &'static str,
    what: &str,
    expected: usize,
    got: usize,
    hint: &str,
) -> Result<()> {
    if got != expected {
        return Err(LearnError::shape(object, what, expected, got, hint));
    }
    Ok(())
}

/// Checks `lo <= v <= hi` (with `v` finite) or returns [`LearnError::InvalidParameter`].
pub(crate) fn check_range(
    object: &'static str,
    field: &'static str,
    v: f64,
    lo: f64,
    hi: f64,
    hint: &str,
) -> Result<()> {
    if v.is_finite() && v >= lo && v <= hi {
        Ok(())
    } else {
        Err(LearnError::param(
            object,
            field,
            v,
            format!("must be finite and in [{lo}, {hi}]"),
            hint,
        ))
    }
}
