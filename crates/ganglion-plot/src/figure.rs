//! The figure description: plain data, no drawing code.
//!
//! A [`Figure`] is a title, a size in pixels and one or more [`Panel`]s stacked
//! vertically. Each panel has two [`Axis`] and a list of [`Series`]. Values are
//! plain `f64` in whatever unit the axis label names; this crate never converts
//! units.

/// An sRGB colour, 8 bits per channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

/// The colours series get when they do not set one: the Okabe–Ito palette
/// (distinguishable with the common colour-vision deficiencies), black first.
pub const PALETTE: [Rgb; 8] = [
    Rgb(0, 0, 0),
    Rgb(230, 159, 0),
    Rgb(86, 180, 233),
    Rgb(0, 158, 115),
    Rgb(213, 94, 0),
    Rgb(0, 114, 178),
    Rgb(204, 121, 167),
    Rgb(240, 228, 66),
];

/// How values map onto an axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scale {
    /// Linear axis (the default).
    #[default]
    Linear,
    /// Base-10 logarithmic axis. Points with a non-positive value on this axis
    /// are left out of the drawing (they have no position on it).
    Log,
}

/// One axis: its label, scale and optional fixed range.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Axis {
    /// Label drawn beside the axis; put the unit in it, e.g. `"time [ms]"`.
    pub label: String,
    /// Linear (default) or logarithmic.
    pub scale: Scale,
    /// Fixed `(min, max)` in data units. `None` (default): fitted to the data
    /// with a small margin (whole decades on a log axis). Points outside a
    /// fixed range are not drawn.
    pub range: Option<(f64, f64)>,
}

impl Axis {
    /// A linear axis with the given label and an automatic range.
    pub fn new(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            ..Self::default()
        }
    }
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SeriesKind {
    /// Solid polyline through the points in the given order (the default).
    #[default]
    Line,
    /// Dashed polyline.
    Dashed,
    /// Filled circular markers, no line.
    Scatter,
    /// Solid polyline with a marker on every point.
    LineMarkers,
}

/// A named set of `(x, y)` points drawn one way.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Name shown in the legend; an empty name keeps the series out of it.
    pub name: String,
    /// Line, dashed line, markers or both.
    pub kind: SeriesKind,
    /// Points in data units. Non-finite points are skipped when drawing.
    pub points: Vec<(f64, f64)>,
    /// Colour; `None` takes the next colour of [`PALETTE`] in panel order.
    pub color: Option<Rgb>,
    /// Line width in pixels (default 2).
    pub line_width: u32,
    /// Marker radius in pixels (default 3).
    pub marker_size: u32,
}

impl Series {
    /// A series of the given kind with default colour and sizes.
    pub fn new(name: impl Into<String>, kind: SeriesKind, points: Vec<(f64, f64)>) -> Self {
        Self {
            name: name.into(),
            kind,
            points,
            color: None,
            line_width: 2,
            marker_size: 3,
        }
    }

    /// Sets the colour.
    #[must_use]
    pub fn color(mut self, color: Rgb) -> Self {
        self.color = Some(color);
        self
    }

    /// Sets the marker radius in pixels.
    #[must_use]
    pub fn marker_size(mut self, px: u32) -> Self {
        self.marker_size = px;
        self
    }

    /// Sets the line width in pixels.
    #[must_use]
    pub fn line_width(mut self, px: u32) -> Self {
        self.line_width = px;
        self
    }
}

/// Where a panel's legend goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Legend {
    /// No legend.
    None,
    /// Upper right corner inside the plot (the default).
    #[default]
    UpperRight,
    /// Upper left corner inside the plot.
    UpperLeft,
    /// Lower left corner inside the plot.
    LowerLeft,
    /// Lower right corner inside the plot.
    LowerRight,
}

/// One plot: axes, series and legend.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// Optional caption drawn above this panel.
    pub title: Option<String>,
    /// Horizontal axis.
    pub x: Axis,
    /// Vertical axis.
    pub y: Axis,
    /// The data, drawn in order (later series on top).
    pub series: Vec<Series>,
    /// Legend placement; series with an empty name are not listed.
    pub legend: Legend,
    /// Relative height when several panels share a figure (default 1.0).
    pub height_weight: f64,
}

impl Panel {
    /// An empty panel with linear axes carrying the given labels.
    pub fn new(x_label: impl Into<String>, y_label: impl Into<String>) -> Self {
        Self {
            title: None,
            x: Axis::new(x_label),
            y: Axis::new(y_label),
            series: Vec::new(),
            legend: Legend::default(),
            height_weight: 1.0,
        }
    }

    /// Makes the y axis logarithmic.
    #[must_use]
    pub fn log_y(mut self) -> Self {
        self.y.scale = Scale::Log;
        self
    }

    /// Makes the x axis logarithmic.
    #[must_use]
    pub fn log_x(mut self) -> Self {
        self.x.scale = Scale::Log;
        self
    }

    /// Fixes the x range (data units).
    #[must_use]
    pub fn x_range(mut self, min: f64, max: f64) -> Self {
        self.x.range = Some((min, max));
        self
    }

    /// Fixes the y range (data units).
    #[must_use]
    pub fn y_range(mut self, min: f64, max: f64) -> Self {
        self.y.range = Some((min, max));
        self
    }

    /// Sets the caption drawn above the panel.
    #[must_use]
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Sets the legend placement.
    #[must_use]
    pub fn legend(mut self, legend: Legend) -> Self {
        self.legend = legend;
        self
    }

    /// Sets the relative height of this panel in a multi-panel figure.
    #[must_use]
    pub fn height_weight(mut self, weight: f64) -> Self {
        self.height_weight = weight;
        self
    }

    /// Adds a solid line series.
    #[must_use]
    pub fn line(self, name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        self.series(Series::new(name, SeriesKind::Line, points))
    }

    /// Adds a dashed line series.
    #[must_use]
    pub fn dashed(self, name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        self.series(Series::new(name, SeriesKind::Dashed, points))
    }

    /// Adds a scatter (markers only) series.
    #[must_use]
    pub fn scatter(self, name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        self.series(Series::new(name, SeriesKind::Scatter, points))
    }

    /// Adds a fully specified series.
    #[must_use]
    pub fn series(mut self, series: Series) -> Self {
        self.series.push(series);
        self
    }
}

/// A whole figure: title, pixel size and vertically stacked panels.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Title drawn at the top; also names the figure in error messages.
    pub title: String,
    /// Width in pixels of the PNG (and of the SVG's view box). Default 900.
    pub width: u32,
    /// Height in pixels. Default 600.
    pub height: u32,
    /// Panels from top to bottom.
    pub panels: Vec<Panel>,
}

impl Figure {
    /// An empty 900 × 600 px figure.
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            width: 900,
            height: 600,
            panels: Vec::new(),
        }
    }

    /// Sets the size in pixels.
    #[must_use]
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.width = width;
        self.height = height;
        self
    }

    /// Appends a panel below the existing ones.
    #[must_use]
    pub fn panel(mut self, panel: Panel) -> Self {
        self.panels.push(panel);
        self
    }
}
