//! Python objects ↔ the spec's TOML values, and JSON values → Python objects.
//!
//! A spec given as Python dicts and lists is turned into a `toml::Value` and deserialised
//! into a `Circuit` by the same serde code that reads spec files, so both take exactly the
//! same schema. Values that TOML has no type for (`None`, sets, arbitrary objects) are
//! rejected with the path of the offending key (`population[0].params.tau_m`).

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

/// `obj` (at `path` in the spec, for messages) as a TOML value.
pub fn to_toml(obj: &Bound<'_, PyAny>, path: &str) -> PyResult<toml::Value> {
    let type_name = || {
        obj.get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "?".into())
    };
    if obj.is_none() {
        return Err(PyTypeError::new_err(format!(
            "{}: None is not a spec value\n  hint: leave the key out to use its default",
            show(path)
        )));
    }
    if obj.is_instance_of::<PyBool>() {
        return Ok(toml::Value::Boolean(obj.extract::<bool>()?));
    }
    if obj.is_instance_of::<PyString>() {
        return Ok(toml::Value::String(obj.extract::<String>()?));
    }
    if obj.is_instance_of::<PyInt>() {
        return obj.extract::<i64>().map(toml::Value::Integer).map_err(|_| {
            PyTypeError::new_err(format!(
                "{}: the integer {} does not fit in 64 bits",
                show(path),
                obj
            ))
        });
    }
    if obj.is_instance_of::<PyFloat>() {
        return Ok(toml::Value::Float(obj.extract::<f64>()?));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut table = toml::map::Map::new();
        for (k, v) in d.iter() {
            let key: String = k.extract().map_err(|_| {
                PyTypeError::new_err(format!(
                    "{}: key {} is not a string\n  hint: spec keys are names such as \"tau_m\"",
                    show(path),
                    k.repr().map(|r| r.to_string()).unwrap_or_default()
                ))
            })?;
            let sub = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            table.insert(key, to_toml(&v, &sub)?);
        }
        return Ok(toml::Value::Table(table));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut items = vec![];
        for (i, v) in obj.try_iter()?.enumerate() {
            items.push(to_toml(&v?, &format!("{path}[{i}]"))?);
        }
        return Ok(toml::Value::Array(items));
    }
    // numpy arrays and scalars (np.arange(3), np.float64(0.5), np.int64(7)): their plain
    // Python equivalent.
    if obj.hasattr("tolist")? {
        let plain = obj.call_method0("tolist")?;
        if !plain.is(obj) {
            return to_toml(&plain, path);
        }
    }
    Err(PyTypeError::new_err(format!(
        "{}: a {} is not a spec value\n  hint: use str (\"20 ms\"), int, float, bool, list or dict",
        show(path),
        type_name()
    )))
}

fn show(path: &str) -> String {
    if path.is_empty() {
        "spec".into()
    } else {
        format!("spec key {path}")
    }
}

/// A TOML value as plain Python objects (dict, list, str, int, float, bool).
pub fn from_toml<'py>(py: Python<'py>, v: &toml::Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        toml::Value::String(s) => PyString::new(py, s).into_any(),
        toml::Value::Integer(i) => i.into_pyobject(py)?.into_any(),
        toml::Value::Float(f) => PyFloat::new(py, *f).into_any(),
        toml::Value::Boolean(b) => PyBool::new(py, *b).to_owned().into_any(),
        toml::Value::Datetime(d) => PyString::new(py, &d.to_string()).into_any(),
        toml::Value::Array(a) => {
            let l = PyList::empty(py);
            for x in a {
                l.append(from_toml(py, x)?)?;
            }
            l.into_any()
        }
        toml::Value::Table(t) => {
            let d = PyDict::new(py);
            for (k, x) in t {
                d.set_item(k, from_toml(py, x)?)?;
            }
            d.into_any()
        }
    })
}

/// A JSON value as plain Python objects (`null` → `None`).
pub fn from_json<'py>(py: Python<'py>, v: &serde_json::Value) -> PyResult<Bound<'py, PyAny>> {
    use serde_json::Value as J;
    Ok(match v {
        J::Null => py.None().into_bound(py),
        J::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        J::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => u.into_pyobject(py)?.into_any(),
            (None, Some(i)) => i.into_pyobject(py)?.into_any(),
            _ => PyFloat::new(py, n.as_f64().unwrap_or(f64::NAN)).into_any(),
        },
        J::String(s) => PyString::new(py, s).into_any(),
        J::Array(a) => {
            let l = PyList::empty(py);
            for x in a {
                l.append(from_json(py, x)?)?;
            }
            l.into_any()
        }
        J::Object(o) => {
            let d = PyDict::new(py);
            for (k, x) in o {
                d.set_item(k, from_json(py, x)?)?;
            }
            d.into_any()
        }
    })
}
