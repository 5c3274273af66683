//! Event streams as a dynamic vision sensor (DVS, "silicon retina") emits them: each event is
//! a pixel `(x, y)`, a time and a polarity (ON: the log-intensity rose by one threshold, OFF:
//! it fell).
//!
//! - [`synth`]: event movies with known motion — random-phase band-pass textures translated
//!   at a constant velocity, or along saccade-like trajectories of short fast movements in
//!   changing directions — turned into events the way a DVS does (a per-pixel reference
//!   log-intensity, one event per threshold crossing, timed by linear interpolation within
//!   the frame). This is the stimulus of Grimaldi & Perrinet (2023, *Biol. Cybern.*,
//!   doi:10.1007/s00422-023-00975-8), who moved natural images along such trajectories.
//! - [`formats`]: readers and writers for the layouts real datasets come in — Tonic's `.npy`
//!   structured arrays (fields `t`, `x`, `y`, `p`), AEDAT 2.0 (DVS128 addresses) and AEDAT
//!   3.1 (polarity packets). Every reader rejects a bad file with an error naming the file,
//!   the byte offset and the problem.
//! - [`spikes`]: the events as spike times, one input neuron per `(x, y, polarity)`, in the
//!   `(neuron, time in ms)` layout of a `spike_times` input's `.npy` file.
//!
//! Times are integer **microseconds** throughout (as in Tonic and the AEDAT formats).
//!
//! ```
//! use ganglion_data::events::{Event, EventStream};
//! let s = EventStream::new(4, 3, vec![
//!     Event { t: 20, x: 1, y: 2, on: false },
//!     Event { t: 10, x: 3, y: 0, on: true },
//! ])?;
//! assert_eq!(s.events[0].t, 10); // sorted by time
//! assert_eq!(s.count_on(), 1);
//! # Ok::<(), ganglion_data::events::EventError>(())
//! ```

pub mod formats;
pub mod spikes;
pub mod synth;

use std::path::PathBuf;

/// One DVS event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Event {
    /// Time, µs from the start of the recording.
    pub t: u64,
    /// Column, 0 ≤ x < width.
    pub x: u16,
    /// Row, 0 ≤ y < height.
    pub y: u16,
    /// Polarity: `true` for ON (brighter), `false` for OFF (darker).
    pub on: bool,
}

impl Event {
    /// The polarity as an index: 0 for OFF, 1 for ON.
    pub fn polarity(&self) -> usize {
        self.on as usize
    }
}

/// Events from a `width × height` sensor, sorted by time (ties keep their order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventStream {
    /// Sensor width in pixels (x range).
    pub width: u16,
    /// Sensor height in pixels (y range).
    pub height: u16,
    /// The events, sorted by `t`.
    pub events: Vec<Event>,
}

impl EventStream {
    /// A stream of `events` on a `width × height` sensor, sorted by time.
    ///
    /// Fails if the sensor is empty or an event lies outside it.
    pub fn new(width: u16, height: u16, mut events: Vec<Event>) -> Result<Self, EventError> {
        if width == 0 || height == 0 {
            return Err(EventError::Invalid {
                what: format!("EventStream: sensor size {width} × {height} is empty"),
                hint: "give a width and height of at least 1 pixel".into(),
            });
        }
        if let Some((i, e)) = events
            .iter()
            .enumerate()
            .find(|(_, e)| e.x >= width || e.y >= height)
        {
            return Err(EventError::Invalid {
                what: format!(
                    "EventStream: event {i} at (x, y) = ({}, {}) lies outside the {width} × {height} sensor",
                    e.x, e.y
                ),
                hint: "give the sensor size the recording was made with".into(),
            });
        }
        if !events.windows(2).all(|w| w[0].t <= w[1].t) {
            events.sort_by_key(|e| e.t);
        }
        Ok(Self {
            width,
            height,
            events,
        })
    }

    /// A stream whose sensor is the smallest that holds every event (`max + 1` per axis),
    /// or `sensor` when given.
    pub fn fitted(events: Vec<Event>, sensor: Option<(u16, u16)>) -> Result<Self, EventError> {
        let (w, h) = sensor.unwrap_or_else(|| {
            let w = events
                .iter()
                .map(|e| e.x)
                .max()
                .map_or(1, |m| m.saturating_add(1));
            let h = events
                .iter()
                .map(|e| e.y)
                .max()
                .map_or(1, |m| m.saturating_add(1));
            (w, h)
        });
        Self::new(w, h, events)
    }

    /// Number of ON events.
    pub fn count_on(&self) -> usize {
        self.events.iter().filter(|e| e.on).count()
    }

    /// Time of the last event, µs (0 for an empty stream).
    pub fn duration(&self) -> u64 {
        self.events.last().map_or(0, |e| e.t)
    }

    /// The events binned in time: `(bin, x, y, polarity)` with `bin = t / bin_us`, dropping
    /// events at or after `bins · bin_us`. Repeated events of one pixel and polarity in one
    /// bin are kept (callers that want a binary raster deduplicate).
    pub fn binned(&self, bin_us: u64, bins: usize) -> Vec<(u32, u16, u16, u8)> {
        assert!(bin_us > 0, "EventStream::binned: bin_us must be > 0");
        self.events
            .iter()
            .filter_map(|e| {
                let b = e.t / bin_us;
                (b < bins as u64).then_some((b as u32, e.x, e.y, e.on as u8))
            })
            .collect()
    }
}

/// Errors from event streams and their files.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file is not in the format it claims.
    #[error("{path}: at byte {offset}: {msg}")]
    Format {
        /// The file.
        path: PathBuf,
        /// Byte offset where the problem was found.
        offset: u64,
        /// What is wrong, and what was expected.
        msg: String,
    },
    /// A parameter or event is out of range.
    #[error("{what}\n  hint: {hint}")]
    Invalid {
        /// The object and the offending value.
        what: String,
        /// What to do instead.
        hint: String,
    },
}
