//! Layered circuit diagrams: a directed graph whose nodes sit in columns by layer, drawn
//! as SVG by hand.
//!
//! This is the structural part of a circuit diagram in the sense of Abbott (2024,
//! "Neural circuit diagrams", TMLR): what talks to what, in which order, with which sign
//! and strength. Layout follows the Sugiyama scheme restricted to what circuits need:
//! layers are given (or computed by [`bfs_layers`]); within each layer nodes are ordered
//! by the barycentre heuristic (Sugiyama, Tagawa & Toda 1981), alternating downward and
//! upward sweeps and keeping the order with the fewest crossings seen, so the result never
//! has more crossings than the input order. Edge width is proportional to |weight|, colour
//! gives the sign (Okabe–Ito vermillion for positive, blue for negative, grey for zero).
//!
//! Crossings are counted, as in the Sugiyama literature, between pairs of edges joining
//! the same two adjacent layers (edges spanning several layers, within one layer, or
//! self-loops are drawn as curves and not counted).
//!
//! ```
//! use ganglion_plot::{Diagram, DiagramEdge, DiagramNode};
//!
//! let d = Diagram {
//!     title: "feed-forward".into(),
//!     nodes: vec![DiagramNode::new("in", 0, 10.0), DiagramNode::new("out", 1, 5.0)],
//!     edges: vec![DiagramEdge { from: 0, to: 1, weight: 2.0 }],
//! };
//! let layout = d.barycentre_order(4)?;
//! assert_eq!(d.crossings(&layout), 0);
//! let svg = d.to_svg(&layout)?;
//! assert!(svg.starts_with("<svg") && svg.contains("class=\"edge\""));
//! # Ok::<(), ganglion_plot::PlotError>(())
//! ```

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::PlotError;

/// One node of a diagram.
#[derive(Debug, Clone, PartialEq)]
pub struct DiagramNode {
    /// Text drawn under the node (escaped for XML when written).
    pub label: String,
    /// Column, 0 = leftmost.
    pub layer: usize,
    /// Relative size (e.g. neuron count), > 0; the drawn area is proportional to it,
    /// scaled so the largest node has the maximum radius.
    pub size: f64,
}

impl DiagramNode {
    /// A node with `label` in column `layer` of relative `size`.
    pub fn new(label: impl Into<String>, layer: usize, size: f64) -> Self {
        Self {
            label: label.into(),
            layer,
            size,
        }
    }
}

/// One directed, signed edge between node indices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DiagramEdge {
    /// Source node index into [`Diagram::nodes`].
    pub from: usize,
    /// Target node index.
    pub to: usize,
    /// Signed strength in any unit; width ∝ |weight|, colour by sign.
    pub weight: f64,
}

/// A layered directed graph to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagram {
    /// Title drawn at the top.
    pub title: String,
    /// Nodes.
    pub nodes: Vec<DiagramNode>,
    /// Edges.
    pub edges: Vec<DiagramEdge>,
}

/// Node order within each layer: `order[l]` lists the node indices of layer `l`, top to
/// bottom. Layers without nodes are empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Node indices per layer, top to bottom.
    pub order: Vec<Vec<usize>>,
}

impl Layout {
    /// Position of every node within its layer (index = node index).
    fn positions(&self, n: usize) -> Vec<usize> {
        let mut pos = vec![0; n];
        for layer in &self.order {
            for (i, &v) in layer.iter().enumerate() {
                pos[v] = i;
            }
        }
        pos
    }
}

/// Layers by breadth-first distance along `edges` (pairs of node indices) from the
/// sources (nodes with no incoming edge from another node), all at layer 0; nodes not
/// reached (cycles without a source) are then taken from the lowest-numbered one, again at
/// layer 0, and so on: a source-to-sink ordering that stays defined when the graph has
/// cycles.
///
/// Panics if an edge names a node ≥ `n` (a programming error of the caller).
pub fn bfs_layers(n: usize, edges: &[(usize, usize)]) -> Vec<usize> {
    let mut out = vec![Vec::new(); n];
    for &(a, b) in edges {
        assert!(
            a < n && b < n,
            "bfs_layers: edge ({a}, {b}) names a node ≥ n = {n}; pass node indices below n"
        );
        out[a].push(b);
    }
    let mut has_input = vec![false; n];
    for &(a, b) in edges {
        if a != b {
            has_input[b] = true;
        }
    }
    let mut layer = vec![usize::MAX; n];
    let sources: Vec<usize> = (0..n).filter(|&v| !has_input[v]).collect();
    let starts = std::iter::once(sources).chain((0..n).map(|v| vec![v]));
    for start in starts {
        let start: Vec<usize> = start
            .into_iter()
            .filter(|&v| layer[v] == usize::MAX)
            .collect();
        for &v in &start {
            layer[v] = 0;
        }
        let mut queue = VecDeque::from(start);
        while let Some(v) = queue.pop_front() {
            for &w in &out[v] {
                if layer[w] == usize::MAX {
                    layer[w] = layer[v] + 1;
                    queue.push_back(w);
                }
            }
        }
    }
    layer
}

impl Diagram {
    fn invalid(&self, message: String) -> PlotError {
        PlotError::InvalidFigure {
            title: self.title.clone(),
            message,
        }
    }

    /// Checks node sizes and edge endpoints.
    pub fn validate(&self) -> Result<(), PlotError> {
        if self.nodes.is_empty() {
            return Err(self.invalid("the diagram has no nodes; add at least one".into()));
        }
        for n in &self.nodes {
            if !(n.size.is_finite() && n.size > 0.0) {
                return Err(self.invalid(format!(
                    "node \"{}\" has size {}; sizes must be finite and > 0",
                    n.label, n.size
                )));
            }
        }
        for e in &self.edges {
            if e.from >= self.nodes.len() || e.to >= self.nodes.len() {
                return Err(self.invalid(format!(
                    "edge {} → {} names a node beyond the {} nodes; use node indices below {}",
                    e.from,
                    e.to,
                    self.nodes.len(),
                    self.nodes.len()
                )));
            }
            if !e.weight.is_finite() {
                return Err(self.invalid(format!(
                    "edge {} → {} has weight {}; weights must be finite",
                    self.nodes[e.from].label, self.nodes[e.to].label, e.weight
                )));
            }
        }
        Ok(())
    }

    /// Nodes in index order within each layer (the unordered layout).
    pub fn input_order(&self) -> Result<Layout, PlotError> {
        self.validate()?;
        let layers = self.nodes.iter().map(|n| n.layer).max().unwrap_or(0) + 1;
        let mut order = vec![Vec::new(); layers];
        for (i, n) in self.nodes.iter().enumerate() {
            order[n.layer].push(i);
        }
        Ok(Layout { order })
    }

    /// Neighbours of every node in the adjacent layers, direction ignored: `(below, above)`
    /// = neighbours in layer − 1 and layer + 1.
    fn adjacent(&self) -> Vec<(Vec<usize>, Vec<usize>)> {
        let mut adj = vec![(Vec::new(), Vec::new()); self.nodes.len()];
        for e in &self.edges {
            let (la, lb) = (self.nodes[e.from].layer, self.nodes[e.to].layer);
            if la + 1 == lb {
                adj[e.to].0.push(e.from);
                adj[e.from].1.push(e.to);
            } else if lb + 1 == la {
                adj[e.from].0.push(e.to);
                adj[e.to].1.push(e.from);
            }
        }
        adj
    }

    /// Orders nodes within layers by the barycentre heuristic: `sweeps` alternating
    /// passes (down: each layer by the mean position of its neighbours in the layer
    /// before; up: in the layer after). Nodes without such neighbours keep their place;
    /// ties keep the current order. Returns the layout with the fewest crossings among
    /// the input order and every sweep's result, so never worse than [`Self::input_order`].
    pub fn barycentre_order(&self, sweeps: usize) -> Result<Layout, PlotError> {
        let mut layout = self.input_order()?;
        let adj = self.adjacent();
        let mut best = layout.clone();
        let mut best_c = self.crossings(&layout);
        for sweep in 0..sweeps {
            let down = sweep % 2 == 0;
            let layers: Vec<usize> = if down {
                (1..layout.order.len()).collect()
            } else {
                (0..layout.order.len().saturating_sub(1)).rev().collect()
            };
            for l in layers {
                let pos = layout.positions(self.nodes.len());
                let mut keyed: Vec<(f64, usize)> = layout.order[l]
                    .iter()
                    .map(|&v| {
                        let nb = if down { &adj[v].0 } else { &adj[v].1 };
                        let key = if nb.is_empty() {
                            pos[v] as f64
                        } else {
                            nb.iter().map(|&u| pos[u] as f64).sum::<f64>() / nb.len() as f64
                        };
                        (key, v)
                    })
                    .collect();
                // Stable sort: equal barycentres keep their current order.
                keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
                layout.order[l] = keyed.into_iter().map(|(_, v)| v).collect();
            }
            let c = self.crossings(&layout);
            if c < best_c {
                best_c = c;
                best = layout.clone();
            }
        }
        Ok(best)
    }

    /// Number of crossing pairs among edges joining adjacent layers in `layout` (see the
    /// module docs). Two edges cross when their endpoints are in opposite order in the
    /// two layers; edges sharing an endpoint do not cross.
    pub fn crossings(&self, layout: &Layout) -> usize {
        let pos = layout.positions(self.nodes.len());
        // Each adjacent-layer edge as (lower layer, position there, position above).
        let segs: Vec<(usize, usize, usize)> = self
            .edges
            .iter()
            .filter_map(|e| {
                let (a, b) = (e.from, e.to);
                let (la, lb) = (self.nodes[a].layer, self.nodes[b].layer);
                if la + 1 == lb {
                    Some((la, pos[a], pos[b]))
                } else if lb + 1 == la {
                    Some((lb, pos[b], pos[a]))
                } else {
                    None
                }
            })
            .collect();
        let mut count = 0;
        for (i, s) in segs.iter().enumerate() {
            for t in &segs[i + 1..] {
                if s.0 == t.0 && (s.1 < t.1 && s.2 > t.2 || s.1 > t.1 && s.2 < t.2) {
                    count += 1;
                }
            }
        }
        count
    }

    /// The diagram as an SVG document. Nodes are `<g class="node">` groups (circle +
    /// label), edges `<path class="edge">` with a `<title>` giving their weight; the
    /// output depends only on the diagram and layout (numbers to 0.01 px).
    pub fn to_svg(&self, layout: &Layout) -> Result<String, PlotError> {
        self.validate()?;
        let (margin, col_gap, row_gap, r_min, r_max) = (60.0, 180.0, 90.0, 8.0, 28.0);
        let layers = layout.order.len().max(1);
        let rows = layout.order.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let width = 2.0 * margin + (layers - 1) as f64 * col_gap;
        let height = 2.0 * margin + 30.0 + (rows - 1) as f64 * row_gap;
        let max_size = self.nodes.iter().map(|n| n.size).fold(0.0, f64::max);
        let radius: Vec<f64> = self
            .nodes
            .iter()
            .map(|n| r_min + (r_max - r_min) * (n.size / max_size).sqrt())
            .collect();
        let mut xy = vec![(0.0, 0.0); self.nodes.len()];
        for (l, layer) in layout.order.iter().enumerate() {
            // Centre each column vertically.
            let top = margin + 30.0 + (rows - layer.len()) as f64 * row_gap / 2.0;
            for (i, &v) in layer.iter().enumerate() {
                xy[v] = (margin + l as f64 * col_gap, top + i as f64 * row_gap);
            }
        }
        let max_w = self
            .edges
            .iter()
            .map(|e| e.weight.abs())
            .fold(0.0, f64::max);
        let mut s = String::new();
        let _ = writeln!(
            s,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"DejaVu Sans, sans-serif\">"
        );
        s.push_str("<defs>\n");
        for (id, colour) in [("pos", POS), ("neg", NEG), ("zero", ZERO)] {
            let _ = writeln!(
                s,
                "<marker id=\"arrow-{id}\" markerUnits=\"userSpaceOnUse\" markerWidth=\"10\" markerHeight=\"10\" refX=\"9\" refY=\"5\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"{colour}\"/></marker>"
            );
        }
        s.push_str("</defs>\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        let _ = writeln!(
            s,
            "<text x=\"{:.2}\" y=\"28\" text-anchor=\"middle\" font-size=\"16\">{}</text>",
            width / 2.0,
            escape(&self.title)
        );
        for e in &self.edges {
            let (id, colour) = if e.weight > 0.0 {
                ("pos", POS)
            } else if e.weight < 0.0 {
                ("neg", NEG)
            } else {
                ("zero", ZERO)
            };
            let w = if max_w > 0.0 {
                0.75 + 5.25 * e.weight.abs() / max_w
            } else {
                0.75
            };
            let d = edge_path(xy[e.from], xy[e.to], radius[e.from], radius[e.to]);
            let _ = writeln!(
                s,
                "<path class=\"edge\" d=\"{d}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"{w:.2}\" stroke-opacity=\"0.8\" marker-end=\"url(#arrow-{id})\"><title>{} → {}: {}</title></path>",
                escape(&self.nodes[e.from].label),
                escape(&self.nodes[e.to].label),
                e.weight
            );
        }
        for (i, n) in self.nodes.iter().enumerate() {
            let (x, y) = xy[i];
            let _ = writeln!(
                s,
                "<g class=\"node\"><circle cx=\"{x:.2}\" cy=\"{y:.2}\" r=\"{:.2}\" fill=\"#f0f0f0\" stroke=\"black\"/><text x=\"{x:.2}\" y=\"{:.2}\" text-anchor=\"middle\" font-size=\"12\">{}</text></g>",
                radius[i],
                y + radius[i] + 14.0,
                escape(&n.label)
            );
        }
        s.push_str("</svg>\n");
        Ok(s)
    }

    /// Writes [`Self::to_svg`] of `layout` to `path` (`.svg` appended when missing) via a
    /// temporary file that is then renamed; returns the path written.
    pub fn save_svg(&self, layout: &Layout, path: impl AsRef<Path>) -> Result<PathBuf, PlotError> {
        let text = self.to_svg(layout)?;
        let path = path.as_ref();
        let path = if path.extension().is_some_and(|e| e == "svg") {
            path.to_path_buf()
        } else {
            let mut p = path.as_os_str().to_owned();
            p.push(".svg");
            PathBuf::from(p)
        };
        let io = |path: &Path, source| PlotError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        std::fs::write(&tmp, text).map_err(|e| io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| io(&path, e))?;
        Ok(path)
    }
}

const POS: &str = "#d55e00";
const NEG: &str = "#0072b2";
const ZERO: &str = "#999999";

/// SVG path data from node `a` to node `b` (centres, radii): a slightly bent quadratic
/// curve (so that reciprocal edges separate), a wider bend within a column, and a loop
/// above the node for self-edges.
fn edge_path(a: (f64, f64), b: (f64, f64), ra: f64, rb: f64) -> String {
    if a == b {
        let (x, y) = (a.0, a.1 - ra);
        return format!(
            "M{:.2},{:.2} C{:.2},{:.2} {:.2},{:.2} {:.2},{:.2}",
            x - 6.0,
            y,
            x - 26.0,
            y - 40.0,
            x + 26.0,
            y - 40.0,
            x + 6.0,
            y
        );
    }
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len = dx.hypot(dy);
    let (ux, uy) = (dx / len, dy / len);
    // Bend to the right of the direction of travel.
    let bend = if dx.abs() < 1e-9 {
        0.25 * len + 20.0
    } else {
        14.0
    };
    let (mx, my) = ((a.0 + b.0) / 2.0 - uy * bend, (a.1 + b.1) / 2.0 + ux * bend);
    let start = toward(a, (mx, my), ra);
    let end = toward(b, (mx, my), rb + 1.0);
    format!(
        "M{:.2},{:.2} Q{mx:.2},{my:.2} {:.2},{:.2}",
        start.0, start.1, end.0, end.1
    )
}

/// The point at distance `r` from `c` toward `p`.
fn toward(c: (f64, f64), p: (f64, f64), r: f64) -> (f64, f64) {
    let (dx, dy) = (p.0 - c.0, p.1 - c.1);
    let len = dx.hypot(dy).max(1e-9);
    (c.0 + r * dx / len, c.1 + r * dy / len)
}

/// `text` with the five XML special characters replaced by entities.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two layers of three where the edges a–z, b–y, c–x all cross in input order
    /// (3 crossings) and the optimum is 0.
    fn reversed() -> Diagram {
        let nodes = ["a", "b", "c", "x", "y", "z"]
            .iter()
            .enumerate()
            .map(|(i, l)| DiagramNode::new(*l, i / 3, 1.0))
            .collect();
        let edges = [(0, 5), (1, 4), (2, 3)]
            .iter()
            .map(|&(from, to)| DiagramEdge {
                from,
                to,
                weight: 1.0,
            })
            .collect();
        Diagram {
            title: "reversed".into(),
            nodes,
            edges,
        }
    }

    #[test]
    fn crossings_hand_counted() {
        let d = reversed();
        assert_eq!(d.crossings(&d.input_order().unwrap()), 3);
        // Swapping only b and c in layer 0 (a, c, b) leaves a–z crossing both others.
        let l = Layout {
            order: vec![vec![0, 2, 1], vec![3, 4, 5]],
        };
        assert_eq!(d.crossings(&l), 2);
    }

    #[test]
    fn barycentre_reaches_known_optimum() {
        let d = reversed();
        let l = d.barycentre_order(4).unwrap();
        assert_eq!(d.crossings(&l), 0);
        // Layer 1 reordered by its neighbours' positions: z (a=0), y (b=1), x (c=2).
        assert_eq!(l.order[1], vec![5, 4, 3]);
    }

    #[test]
    fn barycentre_never_worse_and_skips_long_edges() {
        // Three layers; a long edge 0 → 4 and a self-loop are ignored by the count.
        let nodes = vec![
            DiagramNode::new("p", 0, 1.0),
            DiagramNode::new("q", 0, 1.0),
            DiagramNode::new("r", 1, 1.0),
            DiagramNode::new("s", 1, 1.0),
            DiagramNode::new("t", 2, 1.0),
        ];
        let e = |from, to, weight| DiagramEdge { from, to, weight };
        let d = Diagram {
            title: "t".into(),
            nodes,
            edges: vec![
                e(0, 3, 1.0),
                e(1, 2, -1.0),
                e(0, 4, 1.0),
                e(2, 2, 1.0),
                e(3, 4, 1.0),
            ],
        };
        let c0 = d.crossings(&d.input_order().unwrap());
        assert_eq!(c0, 1);
        let l = d.barycentre_order(6).unwrap();
        assert_eq!(d.crossings(&l), 0);
    }

    #[test]
    fn svg_counts_escape_and_determinism() {
        let mut d = reversed();
        d.nodes[0].label = "a<b & \"c\"".into();
        d.edges[1].weight = -2.0;
        let l = d.barycentre_order(2).unwrap();
        let svg = d.to_svg(&l).unwrap();
        assert_eq!(svg.matches("class=\"node\"").count(), 6);
        assert_eq!(svg.matches("class=\"edge\"").count(), 3);
        assert_eq!(svg.matches("marker-end=\"url(#arrow-neg)\"").count(), 1);
        assert!(svg.contains("a&lt;b &amp; &quot;c&quot;"));
        assert!(!svg.contains("a<b"));
        assert_eq!(svg, d.to_svg(&l).unwrap());
        // The strongest edge is drawn at the maximum width, the others at half of it.
        assert_eq!(svg.matches("stroke-width=\"6.00\"").count(), 1);
        let half = format!("stroke-width=\"{:.2}\"", 0.75 + 5.25 * 0.5);
        assert_eq!(svg.matches(half.as_str()).count(), 2);
        assert_eq!(escape("x'y>z"), "x&apos;y&gt;z");
    }

    #[test]
    fn bfs_layers_with_cycle() {
        // 0 → 1 → 2 → 0 and an isolated 3.
        assert_eq!(bfs_layers(4, &[(0, 1), (1, 2), (2, 0)]), vec![0, 1, 2, 0]);
        // Two sources (1 and 3) at layer 0 whatever their index; 2 at its shortest distance.
        assert_eq!(
            bfs_layers(4, &[(0, 2), (3, 0), (1, 2), (2, 2)]),
            vec![1, 0, 1, 0]
        );
    }

    #[test]
    fn invalid_input_is_named() {
        let mut d = reversed();
        d.edges.push(DiagramEdge {
            from: 0,
            to: 9,
            weight: 1.0,
        });
        let msg = d.validate().unwrap_err().to_string();
        assert!(msg.contains("0 → 9"), "{msg}");
        d.edges.pop();
        d.nodes[1].size = 0.0;
        assert!(d.validate().unwrap_err().to_string().contains("\"b\""));
    }
}
