//! # ganglion-plot
//!
//! Small figures for Ganglion on top of [`plotters`]: line and scatter series,
//! linear or logarithmic axes, titles, axis labels and legends, stacked panels,
//! and spike rasters. [`save`] writes every figure twice, as SVG (for reports)
//! and PNG (for quick looks), each to a temporary name that is then renamed.
//!
//! Text is drawn with DejaVu Sans bundled in the crate (`assets/`, Bitstream
//! Vera licence), registered with plotters on first use, so figures render on
//! machines without system fonts.
//!
//! Units: figure sizes are pixels; data values are plain `f64` in whatever unit
//! the axis label states (rasters use ms for time and Hz for rates).
//!
//! ```
//! use ganglion_plot::{Figure, Panel, save};
//!
//! let decay: Vec<(f64, f64)> = (0..50).map(|i| (i as f64, (-0.3 * i as f64).exp())).collect();
//! let fig = Figure::new("membrane decay")
//!     .panel(Panel::new("time [ms]", "V / V0").log_y().line("exp(-t/τ)", decay));
//! let dir = std::env::temp_dir().join(format!("ganglion-plot-doc-{}", std::process::id()));
//! let saved = save(&fig, dir.join("decay"))?;
//! assert!(saved.svg.exists() && saved.png.exists());
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok::<(), ganglion_plot::PlotError>(())
//! ```

mod diagram;
mod error;
mod figure;
mod raster;
mod render;

pub use diagram::{Diagram, DiagramEdge, DiagramNode, Layout, bfs_layers, escape};
pub use error::PlotError;
pub use figure::{Axis, Figure, Legend, PALETTE, Panel, Rgb, Scale, Series, SeriesKind};
pub use raster::{
    IdLayout, RasterOptions, RasterPopulation, population_rate, raster, raster_figure,
};
pub use render::{SavedFigure, render_svg, save};
