//! The study's event movies, their rasters and labels, and the checks of the file formats
//! and of the spike-times input built from events.

use std::path::Path;

use ganglion_base::rng::{Stream, derive};
use ganglion_data::events::{EventStream, formats, spikes, synth};
use ganglion_learn::hd_kernel::EventRaster;
use ganglion_model::{Circuit, Input, Monitor, Population, Simulation, validate_circuit};
use ganglion_sim::Network;

/// What the movies look like.
#[derive(Debug, Clone, Copy)]
pub struct MovieDesign {
    /// Sensor side, pixels (square).
    pub side: u16,
    /// Time bins (= frame steps) per movie, 1 ms each.
    pub bins: usize,
    /// Number of directions.
    pub directions: usize,
    /// Speeds, px per bin.
    pub speeds: &'static [f64],
    /// Mean saccade segment length, bins (the paper: 24 ms).
    pub mean_segment: f64,
}

/// A movie as the kernel sees it.
pub struct Sample {
    /// The binary raster.
    pub raster: EventRaster,
    /// The motion class of each bin, `None` where not scored (see [`scored`]).
    pub labels: Vec<Option<usize>>,
    /// Number of events.
    pub events: usize,
}

/// Texture and sensor settings shared by all movies.
pub fn texture() -> synth::TextureParams {
    synth::TextureParams {
        freq: 0.06,
        freq_bandwidth: 0.4,
        components: 48,
        ..synth::TextureParams::default()
    }
}

/// DVS settings: 1 ms frames, threshold 0.5 log-units.
pub fn dvs() -> synth::DvsParams {
    synth::DvsParams {
        threshold: 0.5,
        frame_us: 1000,
    }
}

/// The motion classes of each bin of `n` movies of the set `set` (0 train, 1 test, 2
/// demo) for seed `seed`: saccade walks ([`synth::saccades`]) whose segment classes are
/// drawn uniformly — or, for the training set, dealt from a deck of all classes reshuffled
/// every round, so that every class gets the same number of segments (±1). A decision sums
/// the evidence of ~100 outputs, so a class prior learnt from an unbalanced handful of
/// segments would be amplified a hundredfold.
pub fn labels(d: &MovieDesign, seed: u64, set: u64, n: usize) -> Vec<Vec<usize>> {
    let c = d.directions * d.speeds.len();
    let mut deck_stream = Stream::new(derive(derive(seed, set), 0xDEC));
    let mut deck: Vec<usize> = Vec::new();
    (0..n)
        .map(|i| {
            let key = derive(derive(seed, set), i as u64);
            let mut l = synth::saccades(d.bins, c, d.mean_segment, derive(key, 7));
            if set == 0 {
                let mut start = 0;
                while start < l.len() {
                    let end = (start..l.len())
                        .find(|&t| l[t] != l[start])
                        .unwrap_or(l.len());
                    if deck.is_empty() {
                        deck = (0..c).collect();
                        for k in (1..c).rev() {
                            deck.swap(k, deck_stream.below(k as u64 + 1) as usize);
                        }
                    }
                    let class = deck.pop().expect("refilled above");
                    l[start..end].fill(class);
                    start = end;
                }
            }
            l
        })
        .collect()
}

/// Movie `i` of the set `set` for seed `seed`, moving as `labels` says.
pub fn movie(
    d: &MovieDesign,
    seed: u64,
    set: u64,
    i: usize,
    labels: &[usize],
) -> Result<synth::Movie, String> {
    let key = derive(derive(seed, set), i as u64);
    let motions = synth::motion_classes(d.directions, d.speeds);
    synth::render(d.side, d.side, &motions, labels, &texture(), &dvs(), key)
        .map_err(|e| e.to_string())
}

/// `Some(label)` for bins whose motion has been the same for the last `window` bins (the
/// whole reach of the longest kernel), `None` elsewhere — the same bins for every kernel.
pub fn scored(labels: &[usize], window: usize) -> Vec<Option<usize>> {
    (0..labels.len())
        .map(|t| {
            (t + 1 >= window && labels[t + 1 - window..=t].iter().all(|&l| l == labels[t]))
                .then_some(labels[t])
        })
        .collect()
}

/// The raster and scored labels of `m`.
pub fn sample(m: &synth::Movie, bins: usize, window: usize) -> Result<Sample, String> {
    let s = &m.stream;
    let raster = EventRaster::new(
        s.width as usize,
        s.height as usize,
        bins,
        s.binned(1000, bins),
    )
    .map_err(|e| e.to_string())?;
    Ok(Sample {
        raster,
        labels: scored(&m.labels, window),
        events: s.events.len(),
    })
}

/// Writes `s` in every format we read and reads it back; the number of formats whose
/// round trip gave the identical stream (out of 3: Tonic `.npy`, AEDAT 3.1, AEDAT 2.0).
pub fn round_trips(s: &EventStream, dir: &Path) -> Result<usize, String> {
    let err = |e: ganglion_data::events::EventError| e.to_string();
    let tonic = dir.join("movie_tonic.npy");
    formats::write_tonic_npy(&tonic, s).map_err(err)?;
    let a = formats::read_tonic_npy(&tonic, Some((s.width, s.height))).map_err(err)?;
    let v3 = dir.join("movie.aedat31");
    formats::write_aedat31(&v3, s, 4096).map_err(err)?;
    let b = formats::read_aedat31(&v3, Some((s.width, s.height))).map_err(err)?;
    let v2 = dir.join("movie.aedat2");
    formats::write_aedat2_dvs128(&v2, s).map_err(err)?;
    let c = formats::read_aedat2_dvs128(&v2).map_err(err)?;
    let same_events = c.events == s.events;
    for f in [tonic, v3, v2] {
        std::fs::remove_file(&f).map_err(|e| format!("{}: {e}", f.display()))?;
    }
    Ok((a == *s) as usize + (b == *s) as usize + same_events as usize)
}

/// Drives a population of `2 · side²` integrate-and-fire neurons with the movie's events
/// through a `spike_times` input read from the `.npy` file [`spikes::write_spike_times_npy`]
/// writes, and returns (input neurons with at least one event, of those the number that
/// fired, neurons that fired without an input event).
pub fn drive_network(
    s: &EventStream,
    dir: &Path,
    ms: f64,
) -> Result<(usize, usize, usize), String> {
    let sp: Vec<(u32, f64)> = spikes::spike_times(s, 0)
        .into_iter()
        .filter(|&(_, t)| t < ms - 1.0)
        .collect();
    let file = dir.join("movie_spikes.npy");
    spikes::write_spike_times_npy(&file, &sp).map_err(|e| e.to_string())?;
    let n = spikes::neuron_count(s);
    let pop = Population::new("retina", n, "iaf_psc_exp")
        .param("C_m", "250 pF")
        .param("tau_m", "10 ms")
        .param("E_L", "-65 mV")
        .param("V_th", "-55 mV")
        .param("V_reset", "-65 mV")
        .param("t_ref", "0.5 ms")
        .param("tau_syn_ex", "0.5 ms")
        .param("tau_syn_in", "0.5 ms")
        .init("V_m", "-65 mV");
    let mut inp = Input::new("spike_times", "retina");
    inp.file = Some(file.to_string_lossy().into_owned());
    inp.weight = Some("20 nA".into());
    let c = Circuit::new(Simulation::new("0.1 ms", &format!("{ms} ms")))
        .population(pop)
        .input(inp)
        .monitor(Monitor::spikes("retina"));
    let r = validate_circuit(&c).map_err(|e| e.to_string())?;
    let mut net = Network::build(&r).map_err(|e| e.to_string())?;
    let res = net.run(None).map_err(|e| e.to_string())?;
    std::fs::remove_file(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut driven = vec![false; n];
    for &(k, _) in &sp {
        driven[k as usize] = true;
    }
    let mut fired = vec![false; n];
    for &k in &res.spikes[0].senders {
        fired[k as usize] = true;
    }
    let inputs = driven.iter().filter(|&&d| d).count();
    let hit = driven
        .iter()
        .zip(&fired)
        .filter(|(d, f)| **d && **f)
        .count();
    let stray = driven
        .iter()
        .zip(&fired)
        .filter(|(d, f)| !**d && **f)
        .count();
    Ok((inputs, hit, stray))
}
