//! The list of studies, running one into its output directory, and the text
//! the CLI prints.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use ganglion_base::files::{FilesError, OutputDir, Replace};

use crate::studies::{
    active_dendrites::ActiveDendrites, adaptive_ei_reservoir::AdaptiveEiReservoir,
    astro_snn::AstroSnn, brunel_2000::Brunel2000, ca3_memory::Ca3Memory,
    celegans_data::CelegansData, celegans_touch::CelegansTouch, circuit_diagram::CircuitDiagram,
    cortical_microcircuit::CorticalMicrocircuit, dynamic_connectome::DynamicConnectome,
    elm_neuron::ElmNeuron, emotion_steering::EmotionSteering, encoding_models::EncodingModels,
    g2gnet::G2gNet, gain_control::GainControl, hd_snn_motion::HdSnnMotion,
    hlop_continual::HlopContinual, hmm_glm::HmmGlmStudy, homeostatic_shift::HomeostaticShift,
    ioi_circuit::IoiCircuit, lsm_zero_shot::LsmZeroShot, milan_lite::MilanLite,
    ncap_swimmer::NcapSwimmer, nested_oscillations::NestedOscillations,
    network_features::NetworkFeatures, neuroformer_lite::NeuroformerLite, neuronpath::NeuronPath,
    pavlovian_attention::PavlovianAttention, predictive_aux_rl::PredictiveAuxRl,
    rich_lazy_rank::RichLazyRank, rnn_hmm::RnnHmm, sfq_xor::SfqXor,
    skeleton_metrics::SkeletonMetrics, topological_rsa::TopologicalRsa,
    what_when_reservoir::WhatWhenReservoir,
};
use crate::{Mode, Study, StudyError, StudyInfo, StudyOutcome};

/// Every registered study, in listing order.
fn registry() -> Vec<&'static dyn Study> {
    vec![
        &ActiveDendrites,
        &AdaptiveEiReservoir,
        &AstroSnn,
        &Brunel2000,
        &Ca3Memory,
        &CelegansData,
        &CelegansTouch,
        &CircuitDiagram,
        &CorticalMicrocircuit,
        &DynamicConnectome,
        &ElmNeuron,
        &EmotionSteering,
        &EncodingModels,
        &G2gNet,
        &GainControl,
        &HdSnnMotion,
        &HlopContinual,
        &HmmGlmStudy,
        &HomeostaticShift,
        &IoiCircuit,
        &LsmZeroShot,
        &MilanLite,
        &NcapSwimmer,
        &NestedOscillations,
        &NetworkFeatures,
        &NeuroformerLite,
        &NeuronPath,
        &PavlovianAttention,
        &PredictiveAuxRl,
        &RichLazyRank,
        &RnnHmm,
        &SfqXor,
        &SkeletonMetrics,
        &TopologicalRsa,
        &WhatWhenReservoir,
    ]
}

/// Name, paper, checks and runtimes of every study (for `ganglion study list`).
pub fn list() -> Vec<StudyInfo> {
    registry().iter().map(|s| s.info()).collect()
}

/// The study registered under `name`.
pub fn find(name: &str) -> Result<&'static dyn Study, StudyError> {
    registry()
        .into_iter()
        .find(|s| s.info().name == name)
        .ok_or_else(|| StudyError::UnknownStudy {
            name: name.to_string(),
            available: list().iter().map(|i| i.name).collect::<Vec<_>>().join(", "),
        })
}

/// Runs study `name` in `mode` and writes its outputs.
///
/// Outputs go to `out`, or by default to `runs/<name>/<UTC timestamp>/`
/// relative to the current directory; `out` must not exist or be an empty
/// directory (see [`run_study_with`] to replace an earlier study folder).
/// The directory holds `report.md`, the figures (SVG and PNG) and
/// `metrics.json` (`study`, `mode`, `elapsed_s`, `passed`, `checks` — each
/// `{name, value, kind, expected | bound, tolerance, relative, source,
/// seeds?, pass, note}`, see [`crate::Check`] — and `tables`).
///
/// A failed check is not an error: inspect [`StudyOutcome::passed`].
pub fn run_study(name: &str, mode: Mode, out: Option<PathBuf>) -> Result<StudyOutcome, StudyError> {
    run_study_with(name, mode, out, Replace::Never)
}

/// [`run_study`] with a choice of what may happen to an existing `out`.
///
/// The destination is checked before the study runs, everything is written
/// into a hidden temporary sibling folder ([`OutputDir`]), and that folder is
/// renamed into place only when the run completed; a failed run leaves
/// nothing behind. With [`Replace::Never`] only a missing or empty folder is
/// written; with [`Replace::Force`] a folder that holds `metrics.json` (one
/// a study wrote) is replaced, and removed only once the new one is in place.
pub fn run_study_with(
    name: &str,
    mode: Mode,
    out: Option<PathBuf>,
    replace: Replace,
) -> Result<StudyOutcome, StudyError> {
    let study = find(name)?;
    let info = study.info();
    let dest = match out {
        Some(d) => d,
        None => default_dir(info.name),
    };
    let files_error = |e: FilesError| match e {
        FilesError::Refused { path, .. } if replace == Replace::Never && path.is_dir() => {
            StudyError::OutputExists { path }
        }
        other => StudyError::Output(other),
    };
    let tmp = OutputDir::create(&dest, replace, MARKER, &[]).map_err(files_error)?;
    // On an error the temporary folder is removed when `tmp` drops.
    let (checks, elapsed_s) = run_into(study, &info, mode, tmp.path())?;
    let dir = tmp.commit().map_err(files_error)?;
    Ok(StudyOutcome {
        study: info.name.to_string(),
        mode,
        dir,
        checks,
        elapsed_s,
    })
}

/// The file every study folder holds; [`Replace::Force`] replaces only folders with it.
const MARKER: &str = "metrics.json";

fn run_into(
    study: &dyn Study,
    info: &StudyInfo,
    mode: Mode,
    tmp: &Path,
) -> Result<(Vec<crate::Check>, f64), StudyError> {
    let started = Instant::now();
    let output = study.run(mode, tmp)?;
    let elapsed_s = started.elapsed().as_secs_f64();
    let passed = output.checks.iter().all(|c| c.pass);
    let metrics = serde_json::json!({
        "study": info.name,
        "paper": info.paper,
        "mode": mode,
        "started_utc": timestamp(SystemTime::now()),
        "elapsed_s": elapsed_s,
        "passed": passed,
        "checks": output.checks,
        "tables": output.tables,
    });
    let text = serde_json::to_string_pretty(&metrics).map_err(|source| StudyError::Json {
        study: info.name.to_string(),
        source,
    })?;
    let path = tmp.join("metrics.json");
    std::fs::write(&path, text).map_err(StudyError::io(path))?;
    Ok((output.checks, elapsed_s))
}

/// `runs/<name>/<timestamp>`, with a numeric suffix if that exists already.
fn default_dir(name: &str) -> PathBuf {
    let base = Path::new("runs").join(name);
    let stamp = timestamp(SystemTime::now());
    let mut dir = base.join(&stamp);
    let mut k = 2;
    while dir.exists() {
        dir = base.join(format!("{stamp}-{k}"));
        k += 1;
    }
    dir
}

/// UTC time as `YYYY-MM-DDTHH-MM-SSZ` (no colons, so it is a valid file name
/// everywhere).
pub fn timestamp(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}-{:02}-{:02}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// The table `ganglion study list` prints: name, quick and full runtime,
/// paper, and what is checked.
pub fn format_list() -> String {
    let infos = list();
    // A column's width: its longest entry, at least its header's.
    let width = |len: fn(&StudyInfo) -> usize, header: usize| {
        infos.iter().map(len).max().unwrap_or(header).max(header)
    };
    let w = width(|i| i.name.len(), 4);
    let wq = width(|i| i.quick_runtime.len(), 5);
    let wf = width(|i| i.full_runtime.len(), 4);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<w$}  {:<wq$}  {:<wf$}  PAPER",
        "NAME", "QUICK", "FULL"
    );
    for i in &infos {
        let _ = writeln!(
            s,
            "{:<w$}  {:<wq$}  {:<wf$}  {}",
            i.name, i.quick_runtime, i.full_runtime, i.paper
        );
        let _ = writeln!(s, "{:<w$}  checks: {}", "", i.checks);
    }
    s
}

/// A short summary of a finished run for the terminal: one line per check
/// and where the report is.
pub fn format_outcome(outcome: &StudyOutcome) -> String {
    let mut s = String::new();
    let w = outcome
        .checks
        .iter()
        .map(|c| c.name.len())
        .max()
        .unwrap_or(5);
    for c in &outcome.checks {
        let _ = writeln!(
            s,
            "{}  {:<w$}  {} (expected {}; {})",
            if c.pass { "pass" } else { "FAIL" },
            c.name,
            c.value_text(),
            c.expect.text(),
            c.source.label()
        );
    }
    let failed = outcome.failed().count();
    let _ = writeln!(
        s,
        "{}: {}/{} checks passed in {:.1} s ({} mode)\nreport: {}",
        outcome.study,
        outcome.checks.len() - failed,
        outcome.checks.len(),
        outcome.elapsed_s,
        outcome.mode,
        outcome.report_path().display()
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_utc_civil_dates() {
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01T00-00-00Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_709_210_096); // 2024-02-29 12:34:56
        assert_eq!(timestamp(t), "2024-02-29T12-34-56Z");
    }

    #[test]
    fn unknown_study_names_the_alternatives() {
        let e = find("nope").err().expect("unknown");
        let msg = e.to_string();
        assert!(msg.contains("active-dendrites") && msg.contains("pavlovian-attention"));
    }

    #[test]
    fn list_table_has_every_study() {
        let s = format_list();
        for i in list() {
            assert!(s.contains(i.name));
        }
    }
}
