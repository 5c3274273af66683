//! A C. elegans connectome as a runnable circuit: one population of its neurons (in the
//! connectome's order), its chemical synapses as one edge list (weight = synapse count ×
//! `chemical`, negative from the neurons taken as inhibitory — by default the 26 GABAergic
//! ones — positive from all others) and its gap junctions as another (`synapse =
//! "gap_junction"`, conductance = junction count × `gap`, each pair once). Used by
//! `ganglion connectome spec` and the `celegans-touch` study.

use std::path::PathBuf;

use ganglion_data::connectome::{Connectome, GABAERGIC, class_of, neuron_names};
use ganglion_model::{Circuit, Connectivity, Monitor, Population, Projection, Simulation};

/// How to turn a connectome into a circuit.
#[derive(Debug, Clone)]
pub struct WormOptions {
    /// Neuron model of every neuron (a spiking model with gap junctions, or a rate unit).
    pub model: String,
    /// Chemical weight per synaptic contact, in the model's weight unit (`"2 pA"`, `0.01`);
    /// `None` leaves the chemical synapses out (gap junctions only).
    pub chemical: Option<String>,
    /// Gap-junction conductance per junction (`"0.5 nS"`; dimensionless for rate units).
    pub gap: String,
    /// Keep the pharyngeal neurons (the pharynx connects to the rest only through RIP).
    pub pharynx: bool,
    /// Neurons whose chemical synapses are inhibitory (negative weights).
    pub inhibitory: Vec<String>,
    /// Time step and duration (`"0.1 ms"`, `"1000 ms"`).
    pub dt: String,
    /// Simulated time.
    pub duration: String,
}

/// The circuit and the files it reads.
#[derive(Debug, Clone)]
pub struct WormCircuit {
    /// The spec (edge lists named by the `path` function given to [`circuit`]).
    pub circuit: Circuit,
    /// The neurons, in population order.
    pub neurons: Vec<String>,
    /// `(file name, CSV text)`: the chemical and electrical edge lists and the neuron table.
    pub files: Vec<(String, String)>,
}

impl WormOptions {
    /// The GABAergic neurons, as [`WormOptions::inhibitory`]'s default.
    pub fn gabaergic() -> Vec<String> {
        GABAERGIC.iter().map(|s| s.to_string()).collect()
    }
}

/// The folder holding the connectome files `files` (`cect` JSON, as `scripts/fetch-data.sh
/// cect` unpacks them): `$GANGLION_DATA/cect`, `data/cect` under the current folder, or the
/// repository's `data/cect`; the error says how to fetch them.
pub fn cect_dir(files: &[&str]) -> Result<PathBuf, String> {
    crate::data::data_dir("cect", files, "the C. elegans connectomes")
}

/// Population name of the worm's neurons.
pub const POPULATION: &str = "worm";

/// The number and unit of `amount` (`"2 pA"` → (2, pA); `"0.01"` → (0.01, none)).
fn scale(amount: &str) -> Result<(f64, Option<String>), String> {
    let s = amount.trim();
    let (num, unit) = s.split_once(' ').unwrap_or((s, ""));
    let x: f64 = num
        .parse()
        .map_err(|_| format!("\"{amount}\" is not a number with an optional unit"))?;
    let unit = unit.trim();
    Ok((x, (!unit.is_empty()).then(|| unit.to_string())))
}

/// The circuit of `conn`'s neurons (muscles and other cells dropped); `path(file)` names
/// each written file in the spec (a bare name next to a spec file, or a full path).
pub fn circuit(
    conn: &Connectome,
    o: &WormOptions,
    path: impl Fn(&str) -> String,
) -> Result<WormCircuit, String> {
    if let Some(bad) = o.inhibitory.iter().find(|n| class_of(n).is_none()) {
        let names: Vec<&str> = neuron_names().collect();
        let hint = ganglion_base::names::did_you_mean(bad, &names, "neurons");
        return Err(format!("\"{bad}\" is not a C. elegans neuron; {hint}"));
    }
    let worm = conn.neurons_only(o.pharynx);
    let n = worm.nodes.len();
    if n == 0 {
        return Err(format!(
            "{}: no C. elegans neurons among its nodes",
            conn.name
        ));
    }
    let chemical = o.chemical.as_deref().map(scale).transpose()?;
    let (g_per, gunit) = scale(&o.gap)?;
    let inhibitory: Vec<bool> = worm
        .nodes
        .iter()
        .map(|n| o.inhibitory.contains(n))
        .collect();
    let mut c = Circuit::new(Simulation::new(&o.dt, &o.duration))
        .population(Population::new(POPULATION, n, &o.model))
        .monitor(Monitor::state(
            POPULATION,
            &[state_variable(&o.model)],
            &(0..n as u32).collect::<Vec<_>>(),
        ));
    let mut files = vec![];
    let mut table = String::from("index,name,class,inhibitory\n");
    for (i, name) in worm.nodes.iter().enumerate() {
        let class = class_of(name).map_or("other".into(), |c| format!("{c:?}").to_lowercase());
        table.push_str(&format!("{i},{name},{class},{}\n", inhibitory[i]));
    }
    files.push(("neurons.csv".to_string(), table));
    if let (Some(layer), Some((w_per, wunit))) = (worm.layer("chemical"), chemical) {
        let mut csv = String::from("source,target,weight\n");
        for (i, j, count) in worm.edges(layer) {
            let sign = if inhibitory[i] { -1.0 } else { 1.0 };
            csv.push_str(&format!("{i},{j},{}\n", w_per * (sign * count)));
        }
        let mut conn = Connectivity::edge_list(&path("chemical.csv"));
        conn.weight_unit = wunit;
        let mut p = Projection::new(POPULATION, POPULATION, conn);
        p.name = Some("chemical".into());
        p.autapses = true;
        c = c.projection(p);
        files.push(("chemical.csv".to_string(), csv));
    }
    if let Some(layer) = worm.layer("electrical") {
        let mut csv = String::from("source,target,weight\n");
        for (i, j, _) in worm.edges(layer).into_iter().filter(|e| e.0 < e.1) {
            // Each junction once; a file that is not symmetric gives the pair the mean.
            let both = (layer.weights[i * n + j] + layer.weights[j * n + i]) / 2.0;
            csv.push_str(&format!("{i},{j},{}\n", g_per * both));
        }
        let mut conn = Connectivity::edge_list(&path("gap_junctions.csv"));
        conn.weight_unit = gunit;
        let mut p = Projection::new(POPULATION, POPULATION, conn);
        p.name = Some("gap_junctions".into());
        p.synapse = Some("gap_junction".into());
        c = c.projection(p);
        files.push(("gap_junctions.csv".to_string(), csv));
    }
    Ok(WormCircuit {
        circuit: c,
        neurons: worm.nodes,
        files,
    })
}

/// The recorded potential: `V_m` of spiking models, the activation `x` of rate units.
fn state_variable(model: &str) -> &'static str {
    match ganglion_model::model(model) {
        Some(m) if !m.spiking => "x",
        _ => "V_m",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> Connectome {
        let json = r#"{"nodes": ["MDL01", "AVAL", "DD1", "VA5"],
          "connections": {"Generic_CS": [[0, 0, 0, 0], [0, 0, 2, 7], [0, 0, 0, 3], [0, 0, 0, 0]],
                          "Generic_GJ": [[0, 0, 0, 0], [0, 0, 0, 4], [0, 0, 0, 0], [0, 4, 0, 0]]}}"#;
        Connectome::from_json("toy", json).unwrap()
    }

    #[test]
    fn chemical_signs_follow_gaba_and_junctions_appear_once() {
        let o = WormOptions {
            model: "iaf_psc_exp".into(),
            chemical: Some("2 pA".into()),
            gap: "0.5 nS".into(),
            pharynx: false,
            inhibitory: WormOptions::gabaergic(),
            dt: "0.1 ms".into(),
            duration: "10 ms".into(),
        };
        let w = circuit(&toy(), &o, |f| format!("/x/{f}")).unwrap();
        assert_eq!(w.neurons, ["AVAL", "DD1", "VA5"]);
        let file = |name: &str| &w.files.iter().find(|f| f.0 == name).unwrap().1;
        // AVAL → DD1 (2 contacts), AVAL → VA5 (7), DD1 → VA5 (3, GABAergic: negative).
        assert_eq!(
            file("chemical.csv"),
            "source,target,weight\n0,1,4\n0,2,14\n1,2,-6\n"
        );
        assert_eq!(file("gap_junctions.csv"), "source,target,weight\n0,2,2\n");
        assert!(file("neurons.csv").contains("1,DD1,motor,true"));
        let p = &w.circuit.projections;
        assert_eq!(p[0].connectivity.file.as_deref(), Some("/x/chemical.csv"));
        assert_eq!(p[0].connectivity.weight_unit.as_deref(), Some("pA"));
        assert_eq!(p[1].synapse.as_deref(), Some("gap_junction"));
        assert_eq!(p[1].connectivity.weight_unit.as_deref(), Some("nS"));
    }

    #[test]
    fn missing_data_names_the_fetch_command() {
        // A file no data folder holds, so the lookup fails wherever the data is.
        let e = cect_dir(&["ganglion-no-such-connectome.json"]).unwrap_err();
        assert!(e.contains("scripts/fetch-data.sh cect"), "{e}");
        assert!(e.contains("(ganglion-no-such-connectome.json)"), "{e}");
    }

    #[test]
    fn a_bad_amount_is_named() {
        let o = WormOptions {
            model: "rate_tanh".into(),
            chemical: Some("two pA".into()),
            gap: "0.1".into(),
            pharynx: true,
            inhibitory: vec![],
            dt: "0.1 ms".into(),
            duration: "10 ms".into(),
        };
        let e = circuit(&toy(), &o, |f| f.to_string()).unwrap_err();
        assert!(e.contains("\"two pA\" is not a number"), "{e}");
        let o = WormOptions {
            chemical: Some("0.1".into()),
            inhibitory: vec!["ALMX".into()],
            ..o
        };
        let e = circuit(&toy(), &o, |f| f.to_string()).unwrap_err();
        assert!(
            e.contains("\"ALMX\" is not a C. elegans neuron; did you mean \"ALML\"?"),
            "{e}"
        );
    }
}
