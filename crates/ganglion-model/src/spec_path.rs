//! Setting one value of a spec by its path, as sweeps and `Circuit.replace` name values:
//! `simulation.KEY` or `SECTION.WHICH.KEY[.SUBKEY…]` (e.g. `input.0.rate`,
//! `projection.exc→inh.weight`, `population.exc.params.tau_m`).

/// Set the spec value at `path` in `spec` (a circuit as a TOML value) to `value`.
///
/// A path is `simulation.KEY`, or `SECTION.WHICH.KEY[.SUBKEY…]` where SECTION is
/// `population`, `projection`, `input` or `monitor` and WHICH is the 0-based index in that
/// list or the object's name (a population's `name`; a projection's `name` or
/// `source→target`, `->` accepted for `→`; an input's `name` or `kind→target`; a monitor's
/// `name`). Missing tables on the way (`params`, `init`) are created. The error says which
/// segment is wrong and lists what exists.
pub fn set_path(spec: &mut toml::Value, path: &str, value: toml::Value) -> Result<(), String> {
    let segs: Vec<&str> = path.split('.').collect();
    let bad = |why: String| format!("\"{path}\": {why}");
    let root = spec
        .as_table_mut()
        .ok_or_else(|| bad("the spec is not a table".into()))?;
    const LISTS: [&str; 4] = ["population", "projection", "input", "monitor"];
    let (mut table, rest) = match segs.as_slice() {
        ["simulation", rest @ ..] if !rest.is_empty() => (
            root.entry("simulation")
                .or_insert_with(|| toml::Value::Table(Default::default()))
                .as_table_mut()
                .ok_or_else(|| bad("[simulation] is not a table".into()))?,
            rest,
        ),
        [section, which, rest @ ..] if LISTS.contains(section) && !rest.is_empty() => {
            let items = root
                .get_mut(*section)
                .and_then(toml::Value::as_array_mut)
                .ok_or_else(|| bad(format!("the spec has no [[{section}]]")))?;
            let names: Vec<String> = items.iter().map(|v| display_name(section, v)).collect();
            let wanted = which.replace("->", "→");
            let k = match wanted.parse::<usize>() {
                Ok(i) if i < items.len() => i,
                Ok(i) => {
                    return Err(bad(format!(
                        "there are {} {section} entries (0..{}), no {i}",
                        items.len(),
                        items.len().saturating_sub(1)
                    )));
                }
                Err(_) => names.iter().position(|n| *n == wanted).ok_or_else(|| {
                    bad(format!(
                        "no {section} named \"{which}\"; the {section} entries are: {}",
                        names
                            .iter()
                            .enumerate()
                            .map(|(i, n)| format!("{i} \"{n}\""))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })?,
            };
            (
                items[k]
                    .as_table_mut()
                    .ok_or_else(|| bad(format!("{section} {k} is not a table")))?,
                rest,
            )
        }
        _ => {
            return Err(bad(
                "give simulation.KEY or SECTION.WHICH.KEY, with SECTION one of population, projection, input, monitor and WHICH an index or a name (e.g. \"input.0.rate\", \"projection.exc→inh.weight\", \"population.exc.params.tau_m\")".into(),
            ));
        }
    };
    let (last, inner) = rest.split_last().expect("rest is not empty");
    for key in inner {
        table = table
            .entry(key.to_string())
            .or_insert_with(|| toml::Value::Table(Default::default()))
            .as_table_mut()
            .ok_or_else(|| bad(format!("\"{key}\" is a value, not a table")))?;
    }
    table.insert(last.to_string(), value);
    Ok(())
}

/// The name an entry of a spec list goes by (as the engine's `display_name`).
fn display_name(section: &str, v: &toml::Value) -> String {
    let get = |k: &str| v.get(k).and_then(toml::Value::as_str).unwrap_or("?");
    if let Some(n) = v.get("name").and_then(toml::Value::as_str) {
        return n.to_string();
    }
    match section {
        "projection" => format!("{}→{}", get("source"), get("target")),
        "input" => format!("{}→{}", get("kind"), get("target")),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_set_values() {
        let mut v: toml::Value = toml::from_str(
            "[simulation]\nduration = \"1 ms\"\n[[population]]\nname = \"exc\"\n[[population]]\nname = \"inh\"\nparams = { tau_m = \"5 ms\" }\n[[projection]]\nsource = \"exc\"\ntarget = \"inh\"\n[[projection]]\nname = \"back\"\nsource = \"inh\"\ntarget = \"exc\"\n[[input]]\nkind = \"poisson\"\ntarget = \"exc\"\n",
        )
        .expect("toml");
        let s = |x: &str| toml::Value::String(x.into());
        set_path(&mut v, "simulation.seed", toml::Value::Integer(4)).expect("ok");
        set_path(&mut v, "population.inh.params.tau_m", s("7 ms")).expect("ok");
        set_path(&mut v, "population.0.params.C_m", s("1 pF")).expect("ok");
        set_path(&mut v, "projection.exc->inh.weight", s("2 pA")).expect("ok");
        set_path(&mut v, "projection.back.weight", s("3 pA")).expect("ok");
        set_path(&mut v, "input.poisson→exc.rate", s("1 kHz")).expect("ok");
        assert_eq!(v["simulation"]["seed"].as_integer(), Some(4));
        assert_eq!(v["population"][1]["params"]["tau_m"].as_str(), Some("7 ms"));
        assert_eq!(v["population"][0]["params"]["C_m"].as_str(), Some("1 pF"));
        assert_eq!(v["projection"][0]["weight"].as_str(), Some("2 pA"));
        assert_eq!(v["projection"][1]["weight"].as_str(), Some("3 pA"));
        assert_eq!(v["input"][0]["rate"].as_str(), Some("1 kHz"));
        let e = set_path(&mut v, "projection.inh→inh.weight", s("1 pA")).unwrap_err();
        assert!(e.contains("no projection named \"inh→inh\""), "{e}");
        assert!(e.contains("0 \"exc→inh\", 1 \"back\""), "{e}");
        let e = set_path(&mut v, "input.3.rate", s("1 Hz")).unwrap_err();
        assert!(e.contains("there are 1 input entries (0..0), no 3"), "{e}");
        let e = set_path(&mut v, "monitor.0.kind", s("spikes")).unwrap_err();
        assert!(e.contains("the spec has no [[monitor]]"), "{e}");
        let e = set_path(&mut v, "population.exc.name.x", s("a")).unwrap_err();
        assert!(e.contains("\"name\" is a value, not a table"), "{e}");
        for bad in ["rate", "neurons.0.x", "population.exc", "simulation"] {
            let e = set_path(&mut v, bad, s("a")).unwrap_err();
            assert!(e.contains("give simulation.KEY"), "{e}");
        }
    }
}
