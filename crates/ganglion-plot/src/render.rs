//! Drawing a [`Figure`] with plotters, and writing it to disk.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ganglion_base::files;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

use crate::PlotError;
use crate::figure::{Figure, Legend, PALETTE, Panel, Scale, SeriesKind};

/// DejaVu Sans, bundled so that text renders on machines without system fonts
/// (plotters' system-font lookup fails there with "No such font").
static FONT_BYTES: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// Registers the bundled font under the generic family names plotters uses.
/// Idempotent and cheap after the first call.
fn ensure_font() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        ["sans-serif", "serif", "monospace"]
            .iter()
            .all(|family| register_font(family, FontStyle::Normal, FONT_BYTES).is_ok())
    });
    if ok { Ok(()) } else { Err(PlotError::Font) }
}

/// The two files [`save`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedFigure {
    /// Path of the SVG file (`<path_without_ext>.svg`).
    pub svg: PathBuf,
    /// Path of the PNG file (`<path_without_ext>.png`), `width × height` pixels.
    pub png: PathBuf,
}

/// Writes `fig` as `<path_without_ext>.svg` and `<path_without_ext>.png`.
///
/// Each file is first written under a temporary name in the same directory
/// and then renamed, so a crash never leaves a half-written figure behind.
/// Missing parent directories are created. The PNG is `fig.width × fig.height`
/// pixels; the SVG has the same size in user units.
///
/// `path_without_ext` is extended, not replaced: `runs/x/fig.v2` gives
/// `runs/x/fig.v2.svg`.
pub fn save(fig: &Figure, path_without_ext: impl AsRef<Path>) -> Result<SavedFigure, PlotError> {
    validate(fig)?;
    let stem = path_without_ext.as_ref();
    let svg = with_suffix(stem, "svg");
    let png = with_suffix(stem, "png");
    if let Some(parent) = stem.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| PlotError::Io {
            path: parent.to_path_buf(),
            source,
        })?;
    }

    let text = render_svg(fig)?;
    let tmp = temp_with_ext(&svg, "svg");
    let written = std::fs::write(&tmp, text.as_bytes()).map_err(|source| PlotError::Io {
        path: tmp.clone(),
        source,
    });
    finish(written, &tmp, &svg)?;

    // The bitmap backend picks its encoder from the file extension, so the
    // temporary name must still end in `.png`.
    let tmp = temp_with_ext(&png, "png");
    let drawn = (|| {
        let root = BitMapBackend::new(&tmp, (fig.width, fig.height)).into_drawing_area();
        draw_figure(fig, &root)?;
        root.present().map_err(|e| draw_error(fig, e))
    })();
    finish(drawn, &tmp, &png)?;
    Ok(SavedFigure { svg, png })
}

/// Renders `fig` to an SVG document held in memory.
pub fn render_svg(fig: &Figure) -> Result<String, PlotError> {
    validate(fig)?;
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (fig.width, fig.height)).into_drawing_area();
        draw_figure(fig, &root)?;
        root.present().map_err(|e| draw_error(fig, e))?;
    }
    Ok(text)
}

/// Renames `tmp` to `dest` when `result` is Ok; removes `tmp` otherwise.
fn finish(result: Result<(), PlotError>, tmp: &Path, dest: &Path) -> Result<(), PlotError> {
    match result {
        Ok(()) => std::fs::rename(tmp, dest).map_err(|source| {
            let _ = std::fs::remove_file(tmp);
            PlotError::Io {
                path: dest.to_path_buf(),
                source,
            }
        }),
        Err(e) => {
            let _ = std::fs::remove_file(tmp);
            Err(e)
        }
    }
}

fn with_suffix(stem: &Path, ext: &str) -> PathBuf {
    let mut s: OsString = stem.as_os_str().to_owned();
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

/// A hidden, unique name beside `dest` that keeps the extension `ext`
/// (`ganglion_base::files::temp_sibling` with `.ext` appended).
fn temp_with_ext(dest: &Path, ext: &str) -> PathBuf {
    with_suffix(&files::temp_sibling(dest, "tmp"), ext)
}

fn validate(fig: &Figure) -> Result<(), PlotError> {
    let invalid = |message: String| PlotError::InvalidFigure {
        title: fig.title.clone(),
        message,
    };
    if fig.panels.is_empty() {
        return Err(invalid("it has no panels".into()));
    }
    if fig.width < 50 || fig.height < 50 {
        return Err(invalid(format!(
            "size {}×{} px is too small (minimum 50×50)",
            fig.width, fig.height
        )));
    }
    for (i, p) in fig.panels.iter().enumerate() {
        if !(p.height_weight.is_finite() && p.height_weight > 0.0) {
            return Err(invalid(format!(
                "panel {i}: height_weight {} must be positive",
                p.height_weight
            )));
        }
        for (axis, name) in [(&p.x, "x"), (&p.y, "y")] {
            if let Some((lo, hi)) = axis.range {
                if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                    return Err(invalid(format!(
                        "panel {i}: {name} range ({lo}, {hi}) must be finite with min < max"
                    )));
                }
                if axis.scale == Scale::Log && lo <= 0.0 {
                    return Err(invalid(format!(
                        "panel {i}: log {name} axis needs a positive range, got ({lo}, {hi})"
                    )));
                }
            }
        }
    }
    ensure_font()
}

fn draw_error<E: std::fmt::Display>(fig: &Figure, e: E) -> PlotError {
    PlotError::Draw {
        title: fig.title.clone(),
        message: e.to_string(),
    }
}

fn draw_figure<DB: DrawingBackend>(
    fig: &Figure,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), PlotError> {
    root.fill(&WHITE).map_err(|e| draw_error(fig, e))?;
    let mut rest = if fig.title.is_empty() {
        root.clone()
    } else {
        root.titled(&fig.title, ("sans-serif", 22))
            .map_err(|e| draw_error(fig, e))?
    };
    let total: f64 = fig.panels.iter().map(|p| p.height_weight).sum();
    let mut remaining_weight = total;
    for (i, panel) in fig.panels.iter().enumerate() {
        if i + 1 == fig.panels.len() {
            draw_panel(fig, panel, &rest)?;
            break;
        }
        let h = f64::from(rest.dim_in_pixel().1);
        let px = (h * panel.height_weight / remaining_weight).round() as i32;
        let (this, below) = rest.split_vertically(px);
        draw_panel(fig, panel, &this)?;
        remaining_weight -= panel.height_weight;
        rest = below;
    }
    Ok(())
}

/// Points of a series that have a position on the panel's axes.
fn drawable(panel: &Panel, points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let ok = |v: f64, s: Scale| v.is_finite() && (s == Scale::Linear || v > 0.0);
    points
        .iter()
        .copied()
        .filter(|&(x, y)| ok(x, panel.x.scale) && ok(y, panel.y.scale))
        .collect()
}

fn axis_range(fixed: Option<(f64, f64)>, scale: Scale, values: &[f64]) -> (f64, f64) {
    if let Some(r) = fixed {
        return r;
    }
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for &v in values {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    match scale {
        Scale::Linear => {
            if !(lo.is_finite() && hi.is_finite()) {
                return (0.0, 1.0);
            }
            let span = hi - lo;
            let pad = if span > 0.0 {
                0.04 * span
            } else {
                (0.1 * lo.abs()).max(0.5)
            };
            (lo - pad, hi + pad)
        }
        // Values arrive as log10 exponents: snap outward to whole decades.
        Scale::Log => {
            if !(lo.is_finite() && hi.is_finite()) {
                return (-1.0, 0.0);
            }
            let l = lo.floor();
            let h = hi.ceil().max(l + 1.0);
            (l, h)
        }
    }
}

/// `v`, or 0 where it is 0 but for rounding: tick positions are sums of float steps, so a
/// tick meant to be 0 can arrive as -2.2e-16 and would be labelled so.
fn snap_zero(v: f64, axis: &std::ops::Range<f64>) -> f64 {
    if v.abs() < 1e-9 * (axis.end - axis.start).abs() {
        0.0
    } else {
        v
    }
}

/// Tick label text: whole decades as `1e-12` on log axes (where `v` is the
/// exponent), compact decimals or scientific notation on linear ones.
fn tick_label(v: f64, scale: Scale) -> String {
    match scale {
        Scale::Log => {
            let e = v;
            if (e - e.round()).abs() < 1e-6 {
                let e = e.round() as i32;
                match e {
                    0 => "1".into(),
                    1 => "10".into(),
                    2 => "100".into(),
                    -1 => "0.1".into(),
                    _ => format!("1e{e}"),
                }
            } else {
                // Between decades: three significant digits (316, 31.6, 3.16).
                let value = 10f64.powf(e);
                if (-3.0..4.0).contains(&e) {
                    let decimals = (2 - e.floor() as i32).max(0) as usize;
                    let s = format!("{value:.decimals$}");
                    if s.contains('.') {
                        s.trim_end_matches('0').trim_end_matches('.').into()
                    } else {
                        s
                    }
                } else {
                    format!("{value:.1e}")
                }
            }
        }
        Scale::Linear => {
            if v == 0.0 {
                "0".into()
            } else if v.abs() >= 1e5 || v.abs() < 1e-3 {
                format!("{v:.1e}")
            } else {
                let s = format!("{v:.4}");
                let s = s.trim_end_matches('0').trim_end_matches('.');
                if s == "-0" { "0".into() } else { s.into() }
            }
        }
    }
}

fn draw_panel<DB: DrawingBackend>(
    fig: &Figure,
    panel: &Panel,
    area: &DrawingArea<DB, Shift>,
) -> Result<(), PlotError> {
    // Log axes are drawn as linear axes over log10(value): plotters' own log
    // coordinate drops every tick below f64::EPSILON (~2e-16), and the
    // probabilities plotted here go far lower. Points are mapped once here.
    let to_axis = |v: f64, s: Scale| match s {
        Scale::Linear => v,
        Scale::Log => v.log10(),
    };
    let pts: Vec<Vec<(f64, f64)>> = panel
        .series
        .iter()
        .map(|s| {
            drawable(panel, &s.points)
                .into_iter()
                .map(|(x, y)| (to_axis(x, panel.x.scale), to_axis(y, panel.y.scale)))
                .collect()
        })
        .collect();
    let xs: Vec<f64> = pts.iter().flatten().map(|p| p.0).collect();
    let ys: Vec<f64> = pts.iter().flatten().map(|p| p.1).collect();
    let fixed = |r: Option<(f64, f64)>, s: Scale| r.map(|(a, b)| (to_axis(a, s), to_axis(b, s)));
    let (x0, x1) = axis_range(fixed(panel.x.range, panel.x.scale), panel.x.scale, &xs);
    let (y0, y1) = axis_range(fixed(panel.y.range, panel.y.scale), panel.y.scale, &ys);
    // Points outside a fixed range are left out rather than drawn on the frame.
    let inside = |v: f64, lo: f64, hi: f64| {
        let eps = 1e-9 * (hi - lo);
        v >= lo - eps && v <= hi + eps
    };
    let pts: Vec<Vec<(f64, f64)>> = pts
        .into_iter()
        .map(|series| {
            series
                .into_iter()
                .filter(|&(x, y)| inside(x, x0, x1) && inside(y, y0, y1))
                .collect()
        })
        .collect();
    draw_panel_in(fig, panel, &pts, area, x0..x1, y0..y1)
}

fn draw_panel_in<DB: DrawingBackend>(
    fig: &Figure,
    panel: &Panel,
    pts: &[Vec<(f64, f64)>],
    area: &DrawingArea<DB, Shift>,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
) -> Result<(), PlotError> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| draw_error(fig, e);
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(78);
    if let Some(t) = &panel.title {
        builder.caption(t, ("sans-serif", 17));
    }
    let (xr, yr) = (x.clone(), y.clone());
    let mut chart = builder.build_cartesian_2d(x, y).map_err(err)?;
    // Fewer ticks on short panels so labels do not collide.
    let (w_px, h_px) = chart.plotting_area().dim_in_pixel();
    let y_ticks = (h_px / 45).clamp(2, 12) as usize;
    let x_ticks = (w_px / 80).clamp(2, 12) as usize;
    let (xs, ys) = (panel.x.scale, panel.y.scale);
    let x_fmt = move |v: &f64| tick_label(snap_zero(*v, &xr), xs);
    let y_fmt = move |v: &f64| tick_label(snap_zero(*v, &yr), ys);
    chart
        .configure_mesh()
        .x_desc(panel.x.label.as_str())
        .y_desc(panel.y.label.as_str())
        .x_labels(x_ticks)
        .y_labels(y_ticks)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .axis_desc_style(("sans-serif", 16))
        .label_style(("sans-serif", 13))
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(err)?;

    let mut any_named = false;
    for (i, (s, points)) in panel.series.iter().zip(pts).enumerate() {
        let c = s.color.unwrap_or(PALETTE[i % PALETTE.len()]);
        let color = RGBColor(c.0, c.1, c.2);
        let line = color.stroke_width(s.line_width.max(1));
        let marker = s.marker_size;
        let points = points.clone();
        let anno = match s.kind {
            SeriesKind::Line => chart.draw_series(LineSeries::new(points, line)),
            SeriesKind::Dashed => chart.draw_series(DashedLineSeries::new(points, 8, 5, line)),
            SeriesKind::Scatter => chart.draw_series(
                points
                    .into_iter()
                    .map(|p| Circle::new(p, marker, color.filled())),
            ),
            SeriesKind::LineMarkers => {
                chart.draw_series(LineSeries::new(points, line).point_size(marker.max(1)))
            }
        }
        .map_err(err)?;
        if !s.name.is_empty() {
            any_named = true;
            let kind = s.kind;
            anno.label(s.name.as_str()).legend(move |(x, y)| {
                let sample: DynElement<'static, DB, (i32, i32)> = match kind {
                    SeriesKind::Scatter => Circle::new((x + 10, y), 4, color.filled()).into_dyn(),
                    _ => PathElement::new(vec![(x, y), (x + 20, y)], line).into_dyn(),
                };
                sample
            });
        }
    }
    let pos = match panel.legend {
        Legend::None => None,
        Legend::UpperRight => Some(SeriesLabelPosition::UpperRight),
        Legend::UpperLeft => Some(SeriesLabelPosition::UpperLeft),
        Legend::LowerLeft => Some(SeriesLabelPosition::LowerLeft),
        Legend::LowerRight => Some(SeriesLabelPosition::LowerRight),
    };
    if let (Some(pos), true) = (pos, any_named) {
        chart
            .configure_series_labels()
            .position(pos)
            .label_font(("sans-serif", 13))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(160, 160, 160))
            .draw()
            .map_err(err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_ranges_snap_to_decades() {
        // Log ranges arrive as exponents.
        assert_eq!(axis_range(None, Scale::Log, &[-12.5, -0.7]), (-13.0, 0.0));
        let (l, h) = axis_range(None, Scale::Log, &[0.0]);
        assert!(l < h);
    }

    #[test]
    fn linear_range_of_constant_data_is_not_empty() {
        let (l, h) = axis_range(None, Scale::Linear, &[2.0, 2.0]);
        assert!(l < 2.0 && h > 2.0);
        assert_eq!(axis_range(None, Scale::Linear, &[]), (0.0, 1.0));
    }

    #[test]
    fn tick_labels() {
        assert_eq!(tick_label(-12.0, Scale::Log), "1e-12");
        assert_eq!(tick_label(1.0, Scale::Log), "10");
        assert_eq!(tick_label(2f64.log10(), Scale::Log), "2");
        assert_eq!(tick_label(-7.5, Scale::Log), "3.2e-8");
        assert_eq!(tick_label(2.5, Scale::Log), "316");
        assert_eq!(tick_label(1.5, Scale::Log), "31.6");
        assert_eq!(tick_label(0.25, Scale::Linear), "0.25");
        assert_eq!(tick_label(2000.0, Scale::Linear), "2000");
        assert_eq!(tick_label(2.5e-5, Scale::Linear), "2.5e-5");
        assert_eq!(
            tick_label(snap_zero(-2.2e-16, &(-1.1..1.1)), Scale::Linear),
            "0"
        );
        assert_eq!(snap_zero(2.5e-5, &(0.0..1e-4)), 2.5e-5);
    }

    #[test]
    fn suffix_extends_rather_than_replaces() {
        assert_eq!(
            with_suffix(Path::new("a/fig.v2"), "svg"),
            PathBuf::from("a/fig.v2.svg")
        );
        let t = temp_with_ext(Path::new("a/fig.png"), "png");
        assert!(t.to_string_lossy().ends_with(".png"));
        assert_eq!(t.parent(), Some(Path::new("a")));
        let name = t.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with(".fig.png.tmp-"), "{name}");
        assert_ne!(t, temp_with_ext(Path::new("a/fig.png"), "png"), "unique");
    }
}
