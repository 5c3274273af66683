//! Study `circuit-diagram`: structural circuit diagrams as SVG (PAPERS.md row 30, Abbott
//! 2024, "Neural circuit diagrams: robust diagrams for the communication, implementation,
//! and analysis of deep learning architectures", TMLR).
//!
//! The paper gives a graphical language in which wires carry named tensor axes and boxes
//! are operations, precise enough to stand for the code of an architecture (attention,
//! transformers, U-Nets, vision transformers). What is reproduced here is the structural
//! layer beneath it: a circuit — a Ganglion spec or a transformer circuit found by path
//! patching — drawn as a layered directed graph with [`ganglion_plot::Diagram`]: nodes in
//! columns by layer, ordered within a column by the barycentre heuristic to reduce edge
//! crossings, edge width ∝ |weight| and colour by sign.
//!
//! **Front ends.** [`spec_diagram`]: populations are nodes sized by neuron count, each
//! projection an edge weighted by mean weight × expected synapse count, negative when its
//! receptor is inhibitory or its weight is negative (Dale's sign); columns are breadth-first
//! distance from the populations nothing projects into. [`head_diagram`]: attention heads
//! are nodes in the column of their layer (the logits one column after the last), edges
//! sender → receiver weighted by their path-patching effect.
//!
//! **Data.** The spec diagrams are of `examples/cuba.toml` and a small thalamo-cortical
//! relay written in this module whose populations are listed so that its input order has
//! crossings. The IOI study (`ioi-circuit`) needs GPT-2 weights and does not store
//! sender → receiver effects per pair, so the transformer diagram is of a synthetic circuit
//! with the head roles and layers Wang et al. (2022) report for GPT-2 small and
//! illustrative effect sizes (not measurements).
//!
//! **Checks** (self-consistency): every population, projection and head is drawn once;
//! inhibitory projections are drawn in the negative colour; the barycentre layout has no more
//! crossings than the input order (and, on the relay, none); every SVG is well-formed (tags
//! balance).

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use ganglion_model::{Receptor, Resolved, parse_str, validate_circuit};
use ganglion_plot::{Diagram, DiagramEdge, DiagramNode, bfs_layers, escape};
use serde::Serialize;

use crate::report::{self, Table};
use crate::{Check, Expect, Mode, Source, Study, StudyError, StudyInfo, StudyOutput};

/// The `circuit-diagram` study (see the module docs).
pub struct CircuitDiagram;

const NAME: &str = "circuit-diagram";
const SWEEPS: usize = 8;

/// The diagram of a validated spec (see the module docs for the encoding).
pub fn spec_diagram(r: &Resolved) -> Diagram {
    let pairs: Vec<(usize, usize)> = r.projections.iter().map(|p| (p.source, p.target)).collect();
    let layers = bfs_layers(r.populations.len(), &pairs);
    let nodes = r
        .populations
        .iter()
        .zip(&layers)
        .map(|(p, &l)| DiagramNode::new(format!("{} ({})", p.name, p.size), l, p.size as f64))
        .collect();
    let edges = r
        .projections
        .iter()
        .map(|p| {
            let w = p.weight.mean();
            let sign = if p.receptor == Receptor::Inhibitory || w < 0.0 {
                -1.0
            } else {
                1.0
            };
            DiagramEdge {
                from: p.source,
                to: p.target,
                weight: sign * w.abs() * p.expected_synapses,
            }
        })
        .collect();
    Diagram {
        title: r.name.clone(),
        nodes,
        edges,
    }
}

/// A unit of a transformer circuit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Attention head `head` of layer `layer` (both from 0).
    Head {
        /// Layer index.
        layer: usize,
        /// Head index within the layer.
        head: usize,
    },
    /// The output logits (drawn one column after the last layer).
    Logits,
}

/// The diagram of a transformer circuit given as `(sender, receiver, effect)` triples;
/// nodes appear in order of first mention, all of size 1.
pub fn head_diagram(title: &str, edges: &[(Unit, Unit, f64)]) -> Diagram {
    let last = edges
        .iter()
        .flat_map(|e| [e.0, e.1])
        .filter_map(|u| match u {
            Unit::Head { layer, .. } => Some(layer),
            Unit::Logits => None,
        })
        .max()
        .unwrap_or(0);
    let mut units: Vec<Unit> = Vec::new();
    let index = |u: Unit, units: &mut Vec<Unit>| {
        units.iter().position(|&v| v == u).unwrap_or_else(|| {
            units.push(u);
            units.len() - 1
        })
    };
    let edges: Vec<DiagramEdge> = edges
        .iter()
        .map(|&(a, b, w)| DiagramEdge {
            from: index(a, &mut units),
            to: index(b, &mut units),
            weight: w,
        })
        .collect();
    let nodes = units
        .iter()
        .map(|u| match *u {
            Unit::Head { layer, head } => DiagramNode::new(format!("{layer}.{head}"), layer, 1.0),
            Unit::Logits => DiagramNode::new("logits", last + 1, 1.0),
        })
        .collect();
    Diagram {
        title: title.into(),
        nodes,
        edges,
    }
}

/// A synthetic IOI-like circuit: GPT-2 small head roles and layers from Wang et al.
/// (2022, Fig. 2), effects illustrative. Heads are listed in an arbitrary order so that
/// the input layout has crossings to remove.
fn synthetic_ioi() -> Vec<(Unit, Unit, f64)> {
    let h = |layer, head| Unit::Head { layer, head };
    vec![
        // previous-token → induction
        (h(4, 11), h(5, 5), 0.4),
        (h(4, 11), h(6, 9), 0.3),
        // induction and duplicate-token → S-inhibition (via values)
        (h(5, 5), h(8, 10), 0.5),
        (h(6, 9), h(7, 3), 0.4),
        (h(3, 0), h(7, 9), 0.6),
        (h(3, 0), h(8, 6), 0.5),
        // S-inhibition → name movers (via queries), adjacent layers 8 → 9
        (h(8, 10), h(9, 9), 0.7),
        (h(8, 6), h(9, 6), 0.6),
        (h(8, 6), h(9, 9), 0.3),
        (h(8, 10), h(9, 6), 0.2),
        (h(7, 3), h(9, 9), 0.3),
        (h(7, 9), h(9, 6), 0.4),
        // name movers → logits; the negative name mover pushes the other way
        (h(9, 9), Unit::Logits, 1.0),
        (h(9, 6), Unit::Logits, 0.8),
        (h(8, 10), h(10, 7), 0.2),
        (h(10, 7), Unit::Logits, -0.5),
    ]
}

/// A small feed-forward relay with recurrence, its populations listed so that the input
/// order crosses: thalamus → L4 → L2/3, inhibitory before excitatory in L4.
const RELAY: &str = r#"
[simulation]
dt = "0.1 ms"
duration = "100 ms"
seed = 1

[[population]]
name = "thal_a"
size = 200
model = "iaf_psc_exp"
sign = "excitatory"

[[population]]
name = "thal_b"
size = 100
model = "iaf_psc_exp"
sign = "excitatory"

[[population]]
name = "L4E"
size = 800
model = "iaf_psc_exp"
sign = "excitatory"

[[population]]
name = "L4I"
size = 200
model = "iaf_psc_exp"
sign = "inhibitory"

[[population]]
name = "L23I"
size = 200
model = "iaf_psc_exp"
sign = "inhibitory"

[[population]]
name = "L23E"
size = 800
model = "iaf_psc_exp"
sign = "excitatory"

[[projection]]
source = "thal_a"
target = "L4I"
connectivity = { rule = "fixed_probability", p = 0.1 }
weight = "20 pA"

[[projection]]
source = "thal_b"
target = "L4E"
connectivity = { rule = "fixed_probability", p = 0.1 }
weight = "20 pA"

[[projection]]
source = "L4E"
target = "L23E"
connectivity = { rule = "fixed_probability", p = 0.1 }
weight = "20 pA"

[[projection]]
source = "L4I"
target = "L23I"
connectivity = { rule = "fixed_probability", p = 0.05 }
weight = "-80 pA"

[[projection]]
source = "L4E"
target = "L4I"
connectivity = { rule = "fixed_probability", p = 0.1 }
weight = "20 pA"

[[projection]]
source = "L4I"
target = "L4E"
connectivity = { rule = "fixed_probability", p = 0.1 }
weight = "-80 pA"

[[projection]]
source = "L23I"
target = "L23E"
connectivity = { rule = "fixed_probability", p = 0.1 }
weight = "-80 pA"
"#;

/// Whether the start and end tags of an XML document balance: `None` when they do, else
/// a description of the first mismatch. Comments, declarations and self-closing tags are
/// handled; attribute values must not contain `>` (escaped output never does).
pub fn tags_balance(xml: &str) -> Option<String> {
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = xml;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>') else {
            return Some("a '<' without a closing '>'".into());
        };
        let tag = &rest[open + 1..open + close];
        rest = &rest[open + close + 1..];
        if tag.starts_with('?') || tag.starts_with('!') || tag.ends_with('/') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            match stack.pop() {
                Some(top) if top == name.trim() => {}
                top => return Some(format!("</{}> closes <{}>", name, top.unwrap_or("none"))),
            }
        } else {
            stack.push(tag.split_whitespace().next().unwrap_or(""));
        }
    }
    stack.last().map(|t| format!("<{t}> is never closed"))
}

/// One drawn diagram's structural facts.
#[derive(Debug, Clone, Serialize)]
struct Drawn {
    diagram: String,
    nodes: usize,
    edges: usize,
    nodes_in_svg: usize,
    edges_in_svg: usize,
    negative_edges: usize,
    negative_in_svg: usize,
    labels_missing: usize,
    crossings_input: usize,
    crossings_barycentre: usize,
    tags_balance: bool,
}

fn draw(d: &Diagram, file: &str, dir: &Path) -> Result<Drawn, StudyError> {
    let err = |e: ganglion_plot::PlotError| {
        StudyError::study(NAME, format!("diagram \"{}\": {e}", d.title))
    };
    let input = d.input_order().map_err(err)?;
    let layout = d.barycentre_order(SWEEPS).map_err(err)?;
    let svg = d.to_svg(&layout).map_err(err)?;
    d.save_svg(&layout, dir.join(file)).map_err(err)?;
    Ok(Drawn {
        diagram: file.into(),
        nodes: d.nodes.len(),
        edges: d.edges.len(),
        nodes_in_svg: svg.matches("class=\"node\"").count(),
        edges_in_svg: svg.matches("class=\"edge\"").count(),
        negative_edges: d.edges.iter().filter(|e| e.weight < 0.0).count(),
        negative_in_svg: svg.matches("url(#arrow-neg)").count(),
        labels_missing: d
            .nodes
            .iter()
            .filter(|n| !svg.contains(&format!(">{}</text>", escape(&n.label))))
            .count(),
        crossings_input: d.crossings(&input),
        crossings_barycentre: d.crossings(&layout),
        tags_balance: tags_balance(&svg).is_none(),
    })
}

fn spec(text: &str, name: &str) -> Result<Resolved, StudyError> {
    let err = |message: String| StudyError::study(NAME, format!("{name}: {message}"));
    let c = parse_str(text, Path::new(name)).map_err(|e| err(e.to_string()))?;
    let mut r = validate_circuit(&c).map_err(|e| err(e.to_string()))?;
    r.name = name.trim_end_matches(".toml").into();
    Ok(r)
}

impl Study for CircuitDiagram {
    fn info(&self) -> StudyInfo {
        StudyInfo {
            name: NAME,
            paper: "Neural circuit diagrams (Abbott 2024; PAPERS.md row 30): a circuit drawn from its structure as a layered SVG diagram — Ganglion specs and a transformer head circuit",
            checks: "every population/projection/head drawn once with its sign; barycentre ordering has no more crossings than the input order; SVG tags balance (self-consistency)",
            quick_runtime: "< 1 s",
            full_runtime: "< 1 s",
        }
    }

    fn run(&self, mode: Mode, dir: &Path) -> Result<StudyOutput, StudyError> {
        let started = Instant::now();
        let cuba = spec(
            include_str!("../../../../../examples/cuba.toml"),
            "cuba.toml",
        )?;
        let relay = spec(RELAY, "relay.toml")?;
        let mut drawn = vec![
            draw(&spec_diagram(&cuba), "cuba", dir)?,
            draw(&spec_diagram(&relay), "relay", dir)?,
        ];
        if mode == Mode::Full {
            let pd14 = spec(
                include_str!("../../../../../examples/pd14_small.toml"),
                "pd14_small.toml",
            )?;
            drawn.push(draw(&spec_diagram(&pd14), "pd14_small", dir)?);
        }
        let ioi = head_diagram(
            "synthetic IOI-like head circuit (illustrative effects)",
            &synthetic_ioi(),
        );
        drawn.push(draw(&ioi, "ioi_synthetic", dir)?);
        // Inhibitory projections of the specs, counted from the spec rather than the diagram.
        let inhibitory = |r: &Resolved| {
            r.projections
                .iter()
                .filter(|p| p.receptor == Receptor::Inhibitory || p.weight.mean() < 0.0)
                .count()
        };
        let sum = |f: &dyn Fn(&Drawn) -> usize| drawn.iter().map(f).sum::<usize>() as f64;
        let expected_nodes = cuba.populations.len() + relay.populations.len();
        let expected_edges = cuba.projections.len() + relay.projections.len();
        let relay_d = &drawn[1];
        let ioi_d = drawn.last().expect("the IOI diagram is always drawn");
        let checks = vec![
            Check::new(
                "spec_populations_drawn",
                (drawn[0].nodes_in_svg + relay_d.nodes_in_svg) as f64,
                Expect::equals(expected_nodes as f64),
                Source::SelfConsistency,
                "node groups in the cuba and relay SVGs = populations in the two specs",
            ),
            Check::new(
                "spec_projections_drawn",
                (drawn[0].edges_in_svg + relay_d.edges_in_svg) as f64,
                Expect::equals(expected_edges as f64),
                Source::SelfConsistency,
                "edge paths in the cuba and relay SVGs = projections in the two specs",
            ),
            Check::new(
                "inhibitory_projections_negative",
                (drawn[0].negative_in_svg + relay_d.negative_in_svg) as f64,
                Expect::equals((inhibitory(&cuba) + inhibitory(&relay)) as f64),
                Source::SelfConsistency,
                "edges drawn in the negative colour = projections with an inhibitory receptor or negative weight",
            ),
            Check::new(
                "ioi_heads_and_paths_drawn",
                (ioi_d.nodes_in_svg + ioi_d.edges_in_svg) as f64,
                Expect::equals((ioi.nodes.len() + synthetic_ioi().len()) as f64),
                Source::SelfConsistency,
                "distinct heads (+ logits) and sender → receiver pairs of the synthetic circuit, all drawn",
            ),
            Check::new(
                "labels_missing",
                sum(&|d| d.labels_missing),
                Expect::equals(0.0),
                Source::SelfConsistency,
                "every node's (escaped) label appears as a text element",
            ),
            Check::new(
                "crossings_barycentre_minus_input",
                drawn
                    .iter()
                    .map(|d| d.crossings_barycentre as f64 - d.crossings_input as f64)
                    .fold(f64::NEG_INFINITY, f64::max),
                Expect::at_most(0.0),
                Source::SelfConsistency,
                "largest (barycentre − input-order) crossing count over the diagrams: the layout keeps the best order seen, starting from the input order",
            ),
            Check::new(
                "relay_crossings_barycentre",
                relay_d.crossings_barycentre as f64,
                Expect::equals(0.0),
                Source::SelfConsistency,
                "the relay is planar as a layered graph (thal_a → L4I → L23I beside thal_b → L4E → L23E), so the optimum is 0; its input order has crossings",
            ),
            Check::new(
                "svg_unbalanced",
                drawn.iter().filter(|d| !d.tags_balance).count() as f64,
                Expect::equals(0.0),
                Source::SelfConsistency,
                "SVG documents whose start and end tags do not balance",
            ),
        ];
        let mut rows = Table::new(&[
            "diagram",
            "nodes",
            "edges",
            "negative",
            "crossings (input order)",
            "crossings (barycentre)",
            "tags balance",
        ]);
        for d in &drawn {
            rows.row(vec![
                d.diagram.clone(),
                d.nodes.to_string(),
                d.edges.to_string(),
                d.negative_edges.to_string(),
                d.crossings_input.to_string(),
                d.crossings_barycentre.to_string(),
                d.tags_balance.to_string(),
            ]);
        }
        let text = report_text(
            mode,
            &checks,
            &rows,
            &drawn,
            started.elapsed().as_secs_f64(),
        );
        report::finish(NAME, dir, &text, checks, &[("diagrams", &drawn)])
    }
}

fn report_text(mode: Mode, checks: &[Check], rows: &Table, drawn: &[Drawn], secs: f64) -> String {
    let mut t = report::header("circuit-diagram: structural circuit diagrams", mode, checks);
    t.push_str(
        "**Paper.** Abbott (2024), *Neural circuit diagrams* (TMLR; PAPERS.md row 30): a diagram \
         language for deep-learning architectures in which wires carry named tensor axes and boxes are \
         operations, precise enough to read off shapes, broadcasting and the code (worked for attention, \
         transformers, U-Nets and vision transformers).\n\n\
         **Reproduced.** The structural layer only: a circuit drawn from its structure as a layered directed \
         graph in SVG — Ganglion specs (populations sized by neuron count, projections weighted by \
         mean weight × expected synapses, coloured by sign) and a transformer head circuit (heads by \
         layer, edges weighted by path-patching effect). Within-layer order by the barycentre heuristic \
         (Sugiyama et al. 1981), never worse than the input order.\n\n\
         **Missing.** The paper's axis-level notation (named axes on wires, tensor shapes, \
         broadcasting/indexing, operation boxes), its categorical semantics and the correspondence to \
         code are not implemented. Edges spanning several layers are drawn as curves without dummy \
         nodes and are not counted as crossings. The transformer circuit is synthetic: the `ioi-circuit` \
         study needs GPT-2 weights and does not store per-pair sender → receiver effects, so the heads and \
         layers are those Wang et al. (2022) name for GPT-2 small and the effect sizes are illustrative.\n\n",
    );
    let _ = writeln!(
        t,
        "## Diagrams\n\n{}\nThe IOI circuit's one remaining crossing is forced: the two S-inhibition heads of \
         layer 8 each feed both name movers of layer 9 (a complete bipartite K2,2, which always crosses \
         once).\n",
        rows.render()
    );
    for d in drawn {
        let _ = writeln!(t, "![{0}]({0}.svg)\n", d.diagram);
    }
    let _ = writeln!(t, "## Checks\n\n{}", report::checks_table(checks));
    let _ = writeln!(
        t,
        "\nRun: `cargo run --release -- study run circuit-diagram --quick` (cuba, relay, IOI); \
         `--full` adds examples/pd14_small.toml. Elapsed {secs:.2} s."
    );
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_balance() {
        assert_eq!(tags_balance("<svg><g><c/></g><!-- x --></svg>"), None);
        assert!(tags_balance("<svg><g></svg>").is_some());
        assert!(tags_balance("<svg>").is_some());
    }

    #[test]
    fn relay_layers_and_signs() {
        let r = spec(RELAY, "relay.toml").unwrap();
        let d = spec_diagram(&r);
        let layers: Vec<usize> = d.nodes.iter().map(|n| n.layer).collect();
        assert_eq!(layers, vec![0, 0, 1, 1, 2, 2]);
        // 800 targets × 800 sources × p 0.1 × 20 pA = 1.28e6 pA for L4E → L23E.
        assert!((d.edges[2].weight - 800.0 * 800.0 * 0.1 * 20.0).abs() < 1e-6 * 1.28e6);
        assert!(d.edges[3].weight < 0.0 && d.edges[0].weight > 0.0);
    }

    #[test]
    fn pd14_small_renders_never_worse() {
        let r = spec(
            include_str!("../../../../../examples/pd14_small.toml"),
            "pd14_small.toml",
        )
        .unwrap();
        let d = spec_diagram(&r);
        let dir = tempfile::tempdir().unwrap();
        let drawn = draw(&d, "pd14_small", dir.path()).unwrap();
        assert_eq!(drawn.nodes_in_svg, r.populations.len());
        assert_eq!(drawn.edges_in_svg, r.projections.len());
        assert!(drawn.crossings_barycentre <= drawn.crossings_input);
        assert!(drawn.tags_balance && drawn.labels_missing == 0);
    }

    #[test]
    fn head_units_in_layer_columns() {
        let d = head_diagram("t", &synthetic_ioi());
        let logits = d.nodes.iter().find(|n| n.label == "logits").unwrap();
        assert_eq!(logits.layer, 11);
        assert!(d.nodes.iter().any(|n| n.label == "8.10" && n.layer == 8));
    }
}
