//! Events as spike times for the simulator: one input neuron per `(x, y, polarity)`.
//!
//! Neuron `(y · width + x) · 2 + polarity` (polarity 0 = OFF, 1 = ON) spikes at each of its
//! events' times. The pairs are in the layout a `spike_times` input reads from its `file`
//! (an `.npy` array of shape N × 2: neuron index, time in ms), so a recording drives a
//! population of `2 · width · height` neurons:
//!
//! ```toml
//! [[input]]
//! kind = "spike_times"
//! target = "retina"          # 2 · width · height neurons
//! file = "events_spikes.npy" # written by write_spike_times_npy
//! weight = "2 mV"
//! ```

use super::{Event, EventError, EventStream};
use std::path::Path;

/// The input neuron of an event on a sensor `width` pixels wide.
pub fn neuron_of(e: &Event, width: u16) -> u32 {
    (e.y as u32 * width as u32 + e.x as u32) * 2 + e.on as u32
}

/// The `(x, y, on)` of input neuron `n` on a sensor `width` pixels wide.
pub fn pixel_of(n: u32, width: u16) -> (u16, u16, bool) {
    let pix = n / 2;
    (
        (pix % width as u32) as u16,
        (pix / width as u32) as u16,
        n % 2 == 1,
    )
}

/// Number of input neurons for a stream: `2 · width · height`.
pub fn neuron_count(s: &EventStream) -> usize {
    2 * s.width as usize * s.height as usize
}

/// `(neuron, time in ms)` for each event at or after `t0_us`, with time measured from
/// `t0_us` (µs / 1000), in the stream's (time) order.
pub fn spike_times(s: &EventStream, t0_us: u64) -> Vec<(u32, f64)> {
    s.events
        .iter()
        .filter(|e| e.t >= t0_us)
        .map(|e| (neuron_of(e, s.width), (e.t - t0_us) as f64 / 1000.0))
        .collect()
}

/// Writes `spikes` as the N × 2 `<f8` `.npy` array a `spike_times` input's `file` reads.
pub fn write_spike_times_npy(path: &Path, spikes: &[(u32, f64)]) -> Result<(), EventError> {
    let flat: Vec<f64> = spikes.iter().flat_map(|&(n, t)| [n as f64, t]).collect();
    ganglion_base::npy::write(path, &[spikes.len(), 2], &flat).map_err(|source| EventError::Io {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neurons_and_times() {
        let s = EventStream::new(
            3,
            2,
            vec![
                Event {
                    t: 1500,
                    x: 2,
                    y: 1,
                    on: true,
                },
                Event {
                    t: 500,
                    x: 0,
                    y: 0,
                    on: false,
                },
                Event {
                    t: 2500,
                    x: 1,
                    y: 0,
                    on: true,
                },
            ],
        )
        .unwrap();
        assert_eq!(neuron_count(&s), 12);
        let sp = spike_times(&s, 1000);
        // (1·3 + 2)·2 + 1 = 11 at 0.5 ms; (0·3 + 1)·2 + 1 = 3 at 1.5 ms.
        assert_eq!(sp, vec![(11, 0.5), (3, 1.5)]);
        for n in 0..12 {
            let (x, y, on) = pixel_of(n, 3);
            assert_eq!(neuron_of(&Event { t: 0, x, y, on }, 3), n);
        }
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.npy");
        write_spike_times_npy(&p, &sp).unwrap();
        let a = ganglion_base::npy::read(&p).unwrap();
        assert_eq!(a.shape, vec![2, 2]);
        assert_eq!(a.data, vec![11.0, 0.5, 3.0, 1.5]);
    }
}
