//! Spike rasters with an optional population-rate panel.
//!
//! Input is plain slices, one `(name, times_ms, ids)` triple per population:
//! spike `k` of a population happened at `times_ms[k]` (milliseconds) in
//! neuron `ids[k]` (index within the population, or a global index, see
//! [`IdLayout`]).

use std::path::Path;

use crate::PlotError;
use crate::figure::{Figure, Legend, PALETTE, Panel, Series, SeriesKind};
use crate::render::{SavedFigure, save};

/// One population's spikes: `(name, spike times [ms], neuron ids)`, read pairwise.
pub type RasterPopulation<'a> = (&'a str, &'a [f64], &'a [u32]);

/// How neuron ids are placed on the raster's y axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IdLayout {
    /// Ids are per population (each starts at 0); population `k` is drawn
    /// above the previous ones, shifted by the sum of their sizes (the default).
    #[default]
    Stacked,
    /// Ids are already global; draw them as given.
    AsGiven,
}

/// Options for [`raster`] and [`raster_figure`]. Every field has a default.
#[derive(Debug, Clone, PartialEq)]
pub struct RasterOptions {
    /// Figure title. Default: `"spike raster"`.
    pub title: String,
    /// Time window `(start, stop)` in ms drawn and binned. Default: the extent
    /// of all spikes (`(0, 1)` when there are none).
    pub t_range_ms: Option<(f64, f64)>,
    /// Width of the population-rate bins in ms; `Some` adds a rate panel
    /// below the raster. Default: `None` (raster only).
    pub rate_bin_ms: Option<f64>,
    /// Number of neurons in each population, in the order of the populations,
    /// used for stacking and for the per-neuron rate. Default: highest id + 1.
    pub population_sizes: Option<Vec<u32>>,
    /// Placement of ids on the y axis. Default: [`IdLayout::Stacked`].
    pub layout: IdLayout,
    /// Figure width in pixels. Default 1000.
    pub width: u32,
    /// Figure height in pixels. Default 650 (raster and rate panel 3 : 1).
    pub height: u32,
    /// Marker radius in pixels for each spike. Default 1.
    pub marker_px: u32,
}

impl Default for RasterOptions {
    fn default() -> Self {
        Self {
            title: "spike raster".into(),
            t_range_ms: None,
            rate_bin_ms: None,
            population_sizes: None,
            layout: IdLayout::Stacked,
            width: 1000,
            height: 650,
            marker_px: 1,
        }
    }
}

/// Population rate in Hz per neuron: spikes with `t_start_ms <= t < t_stop_ms`
/// are counted in bins of `bin_ms` and divided by `n_neurons` and the bin
/// width in seconds. Returns `(bin start [ms], rate [Hz])` pairs; the last bin
/// may be shorter than `bin_ms` and is normalised by its own width. Returns
/// an empty vector when the window or bin width is not positive.
pub fn population_rate(
    times_ms: &[f64],
    n_neurons: u32,
    t_start_ms: f64,
    t_stop_ms: f64,
    bin_ms: f64,
) -> Vec<(f64, f64)> {
    let span = t_stop_ms - t_start_ms;
    if !(span > 0.0 && bin_ms > 0.0 && bin_ms.is_finite()) {
        return Vec::new();
    }
    let n_bins = (span / bin_ms).ceil().max(1.0) as usize;
    let mut counts = vec![0u64; n_bins];
    for &t in times_ms {
        if t >= t_start_ms && t < t_stop_ms {
            let b = (((t - t_start_ms) / bin_ms) as usize).min(n_bins - 1);
            counts[b] += 1;
        }
    }
    let n = f64::from(n_neurons.max(1));
    counts
        .iter()
        .enumerate()
        .map(|(b, &c)| {
            let t0 = t_start_ms + b as f64 * bin_ms;
            let width_s = (t_stop_ms.min(t0 + bin_ms) - t0) / 1000.0;
            (t0, c as f64 / n / width_s)
        })
        .collect()
}

/// Builds the raster figure (and the rate panel when `rate_bin_ms` is set)
/// without writing it.
pub fn raster_figure(
    populations: &[RasterPopulation<'_>],
    opts: &RasterOptions,
) -> Result<Figure, PlotError> {
    let invalid = |message: String| PlotError::InvalidFigure {
        title: opts.title.clone(),
        message,
    };
    for &(name, times, ids) in populations {
        if times.len() != ids.len() {
            return Err(PlotError::RasterLengthMismatch {
                name: name.to_string(),
                times: times.len(),
                ids: ids.len(),
            });
        }
    }
    if let Some(sizes) = &opts.population_sizes
        && sizes.len() != populations.len()
    {
        return Err(invalid(format!(
            "population_sizes has {} entries for {} populations",
            sizes.len(),
            populations.len()
        )));
    }
    let sizes: Vec<u32> = populations
        .iter()
        .enumerate()
        .map(|(k, &(_, _, ids))| match &opts.population_sizes {
            Some(s) => s[k],
            None => ids.iter().max().map_or(0, |m| m + 1),
        })
        .collect();
    let (t0, t1) = match opts.t_range_ms {
        Some(r) => r,
        None => {
            let all = populations.iter().flat_map(|p| p.1.iter().copied());
            let (lo, hi) = all
                .filter(|t| t.is_finite())
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), t| {
                    (l.min(t), h.max(t))
                });
            if lo.is_finite() && hi > lo {
                (lo, hi)
            } else if lo.is_finite() {
                (lo - 0.5, lo + 0.5)
            } else {
                (0.0, 1.0)
            }
        }
    };
    if !(t0.is_finite() && t1.is_finite() && t0 < t1) {
        return Err(invalid(format!(
            "time range ({t0}, {t1}) ms must be finite and increasing"
        )));
    }

    let y_label = match opts.layout {
        IdLayout::Stacked if populations.len() > 1 => "neuron (populations stacked)",
        _ => "neuron",
    };
    let total: u64 = sizes.iter().map(|&s| u64::from(s)).sum();
    let mut raster = Panel::new("time [ms]", y_label)
        .x_range(t0, t1)
        .legend(Legend::UpperRight)
        .height_weight(3.0);
    if opts.layout == IdLayout::Stacked && total > 0 {
        raster = raster.y_range(-0.5, total as f64 - 0.5);
    }
    let mut offset = 0u64;
    for (k, &(name, times, ids)) in populations.iter().enumerate() {
        let shift = match opts.layout {
            IdLayout::Stacked => offset as f64,
            IdLayout::AsGiven => 0.0,
        };
        let points = times
            .iter()
            .zip(ids)
            .filter(|(t, _)| **t >= t0 && **t <= t1)
            .map(|(&t, &i)| (t, f64::from(i) + shift))
            .collect();
        raster = raster.series(
            Series::new(name, SeriesKind::Scatter, points)
                .color(PALETTE[k % PALETTE.len()])
                .marker_size(opts.marker_px),
        );
        offset += u64::from(sizes[k]);
    }

    let mut fig = Figure::new(opts.title.clone())
        .size(opts.width, opts.height)
        .panel(raster);
    if let Some(bin) = opts.rate_bin_ms {
        if !(bin.is_finite() && bin > 0.0) {
            return Err(invalid(format!("rate bin {bin} ms must be positive")));
        }
        let mut rate = Panel::new("time [ms]", "rate [Hz]")
            .x_range(t0, t1)
            .legend(Legend::UpperRight)
            .height_weight(1.0);
        for (k, &(name, times, _)) in populations.iter().enumerate() {
            // Draw each bin as a flat step so the panel reads as a histogram.
            let bins = population_rate(times, sizes[k], t0, t1, bin);
            let mut steps = Vec::with_capacity(2 * bins.len());
            for &(start, r) in &bins {
                steps.push((start, r));
                steps.push(((start + bin).min(t1), r));
            }
            rate = rate.series(
                Series::new(name, SeriesKind::Line, steps)
                    .color(PALETTE[k % PALETTE.len()])
                    .line_width(1),
            );
        }
        fig = fig.panel(rate);
    }
    Ok(fig)
}

/// Draws a spike raster and writes `<path_without_ext>.svg` and `.png`
/// (see [`save`]).
///
/// ```no_run
/// use ganglion_plot::{RasterOptions, raster};
/// let exc_t = [1.0, 2.5, 7.0];
/// let exc_id = [0u32, 3, 1];
/// let opts = RasterOptions { rate_bin_ms: Some(5.0), ..RasterOptions::default() };
/// raster(&[("exc", &exc_t[..], &exc_id[..])], &opts, "runs/demo/raster")?;
/// # Ok::<(), ganglion_plot::PlotError>(())
/// ```
pub fn raster(
    populations: &[RasterPopulation<'_>],
    opts: &RasterOptions,
    path_without_ext: impl AsRef<Path>,
) -> Result<SavedFigure, PlotError> {
    save(&raster_figure(populations, opts)?, path_without_ext)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_is_hz_per_neuron() {
        // 10 spikes in 10 neurons over one 100 ms bin: 10 Hz per neuron.
        let t: Vec<f64> = (0..10).map(|k| f64::from(k) * 10.0).collect();
        let r = population_rate(&t, 10, 0.0, 100.0, 100.0);
        assert_eq!(r.len(), 1);
        assert!((r[0].1 - 10.0).abs() < 1e-12);
    }

    #[test]
    fn short_last_bin_uses_its_own_width() {
        let r = population_rate(&[95.0], 1, 0.0, 100.0, 30.0);
        assert_eq!(r.len(), 4);
        assert!((r[3].1 - 100.0).abs() < 1e-9); // 1 spike / 10 ms
    }

    #[test]
    fn mismatched_lengths_are_rejected() {
        let e = raster_figure(&[("p", &[1.0][..], &[][..])], &RasterOptions::default());
        assert!(matches!(e, Err(PlotError::RasterLengthMismatch { .. })));
    }

    #[test]
    fn stacked_layout_shifts_later_populations() {
        let opts = RasterOptions {
            population_sizes: Some(vec![4, 2]),
            ..RasterOptions::default()
        };
        let fig = raster_figure(
            &[("a", &[1.0][..], &[3][..]), ("b", &[2.0][..], &[0][..])],
            &opts,
        )
        .expect("valid raster");
        assert_eq!(fig.panels[0].series[1].points, vec![(2.0, 4.0)]);
        assert_eq!(fig.panels.len(), 1);
    }
}
