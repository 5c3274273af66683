//! Skeleton-based instance-segmentation metrics for 3-D label volumes, as defined by FISBe
//! (Mais et al. 2024, "FISBe: a real-world benchmark dataset for instance segmentation of
//! long-range thin filamentous structures", CVPR) and computed by its reference evaluation
//! code (github.com/Kainmueller-Lab/evaluate-instance-segmentation, `evaluate_volume` with the
//! FlyLight preset: clDice localisation, greedy matching, FM threshold 0.1, FS threshold 0.05).
//!
//! # Volumes and skeletons
//!
//! A [`Volume`] is a z × y × x array stored row-major (x fastest). Label volumes are
//! `Volume<u32>` with 0 for background; masks are `Volume<bool>`. [`skeletonize`] is the 3-D
//! thinning of Lee, Kashyap & Chu (1994, CVGIP 56:462), ported step by step from
//! scikit-image's `skeletonize` as released (0.19–0.26; the reference code pins
//! scikit-image < 0.25): six directional sub-passes (order −y, +y, +x, −x, +z, −z; only the
//! first four when the volume has one z-slice) each collect border voxels that are not end
//! points, keep the Euler characteristic (Lee's table 2, column δG₂₆) and are simple (one
//! 26-connected object in the 3×3×3 neighbourhood without them), then re-check them
//! sequentially in raster order, deleting those still simple. The result equals
//! scikit-image's voxel for voxel (tests against fixtures). It therefore also keeps that
//! version's known flaw (scikit-image issue #3757): the sequential re-check tests only
//! simplicity, not the Euler characteristic or end points, so some solids of even thickness
//! (e.g. an 8 × 8 × 12 box) thin away completely. (scikit-image's development source adds
//! both tests to the re-check and reorders the passes, which fixes it; the released
//! library and hence FISBe's numbers do not have that.) The metrics inherit this, as the
//! reference does: an instance with an empty skeleton has clRecall 0 to everything.
//!
//! # Metrics (per volume pair; `g` = ground-truth instance, `p` = predicted instance)
//!
//! Labels of each volume are renumbered 1..n in increasing order of their ids (as
//! `relabel_sequential`); row/column 0 of the matrices below is the background.
//! - clRecall `R[g][p]` = fraction of the skeleton of `g` on voxels labelled `p` in the
//!   prediction (`p = 0`: on predicted background); clPrecision `P[g][p]` = fraction of the
//!   skeleton of `p` on voxels labelled `g` in the ground truth. clDice `D = 2PR / (P + R)`
//!   (0 where both are 0), Shit et al. 2021 (CVPR). The reference stores these as float32 and
//!   compares them with the thresholds in float32; so does this module, so that decisions at
//!   a threshold agree exactly.
//! - Greedy one-to-one matching at threshold `t`: pairs with `D > t`, sorted by decreasing `D`
//!   (ties: lower gt index, then lower pred index), accepted when both are still free.
//!   TP = matches, FP = predicted instances − TP, FN = gt instances − TP;
//!   precision = TP / max(1, TP + FP), recall = TP / max(1, TP + FN), F1 their harmonic mean.
//! - avF1 = mean F1 over t ∈ {0.1, 0.2, …, 0.9}.
//! - Coverage C: each predicted instance is assigned to the row of its largest clPrecision
//!   (first on ties, background included); the coverage of `g` is the sum of `R[g][p]` over
//!   the predictions assigned to it; C is the mean over gt instances. S = (avF1 + C) / 2.
//! - False splits FS = Σ_g max(0, #{p : R\[g\]\[p\] > 0.05} − 1); false merges
//!   FM = Σ_p max(0, #{g : R\[g\]\[p\] > 0.1} − 1) (many-to-many matching on clRecall; with one
//!   label per voxel no instances overlap, so the reference's "consumption" variant reduces
//!   to this thresholding).
//! - TP₀.₅ and the mean clDice of the matched pairs at t = 0.5 (FISBe's "clDiceTP").
//!
//! Not covered: the reference's multi-channel (overlapping instances) input, its "partly
//! labelled" mode and its optional removal of small components before evaluation.
//!
//! ```
//! use ganglion_analysis::skeleton::{Options, Volume, evaluate};
//! // Two straight 3×3 tubes along x; the prediction gives both one label (a false merge).
//! let mut gt = Volume::filled([10, 10, 20], 0u32);
//! for x in 2..18 {
//!     for d in 0..3 {
//!         for e in 0..3 {
//!             gt.set(1 + d, 1 + e, x, 1);
//!             gt.set(6 + d, 6 + e, x, 2);
//!         }
//!     }
//! }
//! let merged = Volume::new(gt.shape(), gt.data().iter().map(|&l| u32::from(l > 0)).collect())?;
//! let e = evaluate(&gt, &merged, &Options::default())?;
//! assert_eq!((e.false_merges, e.false_splits), (1, 0));
//! assert_eq!(e.coverage, 0.5); // the merged label is assigned to one of the two tubes
//! assert_eq!(evaluate(&gt, &gt, &Options::default())?.av_f1, 1.0);
//! # Ok::<(), ganglion_analysis::skeleton::SkeletonError>(())
//! ```

use std::fmt;

/// Errors of the volume constructors and the metrics.
#[derive(Debug, Clone, PartialEq)]
pub enum SkeletonError {
    /// `data.len()` does not equal z·y·x.
    DataLength { shape: [usize; 3], len: usize },
    /// A volume with a zero-length axis.
    EmptyShape {
        what: &'static str,
        shape: [usize; 3],
    },
    /// Two volumes that must share a shape do not.
    ShapeMismatch { gt: [usize; 3], pred: [usize; 3] },
    /// The ground truth has no labelled voxel (the metrics divide by the gt count).
    NoGroundTruth,
    /// A matching threshold outside [0, 1).
    Threshold { name: &'static str, value: f64 },
}

impl fmt::Display for SkeletonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DataLength { shape, len } => write!(
                f,
                "volume of shape {shape:?} (z, y, x) needs {} values, got {len}; pass row-major data with x fastest",
                shape[0] * shape[1] * shape[2]
            ),
            Self::EmptyShape { what, shape } => {
                write!(
                    f,
                    "{what} has shape {shape:?}: every axis must be at least 1"
                )
            }
            Self::ShapeMismatch { gt, pred } => write!(
                f,
                "ground truth has shape {gt:?} but prediction {pred:?}: crop or pad them to the same z, y, x"
            ),
            Self::NoGroundTruth => write!(
                f,
                "ground-truth volume has no labelled voxel: the metrics are relative to gt instances, give at least one"
            ),
            Self::Threshold { name, value } => {
                write!(f, "{name} = {value} is not a threshold in [0, 1)")
            }
        }
    }
}

impl std::error::Error for SkeletonError {}

/// A 3-D array of shape `[z, y, x]`, row-major (x fastest): voxel (z, y, x) is at
/// `(z * y_len + y) * x_len + x`.
#[derive(Debug, Clone, PartialEq)]
pub struct Volume<T> {
    shape: [usize; 3],
    data: Vec<T>,
}

impl<T: Copy> Volume<T> {
    /// A volume from row-major data; errors when `data.len()` is not z·y·x or an axis is 0.
    pub fn new(shape: [usize; 3], data: Vec<T>) -> Result<Self, SkeletonError> {
        if shape.contains(&0) {
            return Err(SkeletonError::EmptyShape {
                what: "volume",
                shape,
            });
        }
        if data.len() != shape[0] * shape[1] * shape[2] {
            return Err(SkeletonError::DataLength {
                shape,
                len: data.len(),
            });
        }
        Ok(Self { shape, data })
    }

    /// A volume of shape `shape` filled with `value` (panics on a zero-length axis).
    pub fn filled(shape: [usize; 3], value: T) -> Self {
        assert!(
            !shape.contains(&0),
            "Volume::filled: shape {shape:?} has a zero-length axis"
        );
        Self {
            shape,
            data: vec![value; shape[0] * shape[1] * shape[2]],
        }
    }

    /// The shape `[z, y, x]`.
    pub fn shape(&self) -> [usize; 3] {
        self.shape
    }

    /// The row-major values.
    pub fn data(&self) -> &[T] {
        &self.data
    }

    /// Mutable row-major values.
    pub fn data_mut(&mut self) -> &mut [T] {
        &mut self.data
    }

    /// Flat index of voxel (z, y, x).
    pub fn index(&self, z: usize, y: usize, x: usize) -> usize {
        (z * self.shape[1] + y) * self.shape[2] + x
    }

    /// (z, y, x) of a flat index.
    pub fn coords(&self, i: usize) -> [usize; 3] {
        let x = i % self.shape[2];
        let y = (i / self.shape[2]) % self.shape[1];
        [i / (self.shape[1] * self.shape[2]), y, x]
    }

    /// Value at (z, y, x).
    pub fn get(&self, z: usize, y: usize, x: usize) -> T {
        self.data[self.index(z, y, x)]
    }

    /// Sets the value at (z, y, x).
    pub fn set(&mut self, z: usize, y: usize, x: usize, v: T) {
        let i = self.index(z, y, x);
        self.data[i] = v;
    }

    /// Number of voxels.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Always false (volumes have no zero-length axis); for clippy's `len` convention.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

impl Volume<u32> {
    /// The mask of voxels labelled `label`.
    pub fn mask_of(&self, label: u32) -> Volume<bool> {
        Volume {
            shape: self.shape,
            data: self.data.iter().map(|&l| l == label).collect(),
        }
    }

    /// The sorted distinct non-zero labels.
    pub fn labels(&self) -> Vec<u32> {
        let mut l: Vec<u32> = self.data.iter().copied().filter(|&v| v > 0).collect();
        l.sort_unstable();
        l.dedup();
        l
    }
}

#[cfg(test)]
mod tests;
mod thinning;

pub use thinning::{skeletonize, skeletonize_labels};

// ------------------------------------------------------------------ clDice of two masks

/// Centerline Dice of two binary masks (Shit et al. 2021).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClDice {
    /// Topology precision: fraction of the skeleton of the prediction inside the gt mask.
    pub precision: f64,
    /// Topology sensitivity: fraction of the skeleton of the gt inside the predicted mask.
    pub sensitivity: f64,
    /// Harmonic mean of the two (0 when both are 0).
    pub cl_dice: f64,
}

/// clDice of a predicted mask against a ground-truth mask of the same shape. A mask with an
/// empty skeleton contributes 0 (as in the reference code).
pub fn cl_dice(gt: &Volume<bool>, pred: &Volume<bool>) -> Result<ClDice, SkeletonError> {
    if gt.shape != pred.shape {
        return Err(SkeletonError::ShapeMismatch {
            gt: gt.shape,
            pred: pred.shape,
        });
    }
    let frac = |skel: &Volume<bool>, other: &Volume<bool>| {
        let (mut n, mut inside) = (0usize, 0usize);
        for (&s, &o) in skel.data.iter().zip(&other.data) {
            n += usize::from(s);
            inside += usize::from(s && o);
        }
        if n == 0 {
            0.0
        } else {
            inside as f64 / n as f64
        }
    };
    let precision = frac(&skeletonize(pred), gt);
    let sensitivity = frac(&skeletonize(gt), pred);
    let s = precision + sensitivity;
    let cl_dice = if s > 0.0 {
        2.0 * precision * sensitivity / s
    } else {
        0.0
    };
    Ok(ClDice {
        precision,
        sensitivity,
        cl_dice,
    })
}

// ------------------------------------------------------------------ FISBe metrics

/// Thresholds of the FISBe metrics (defaults: the FlyLight preset of the reference code).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// clRecall above which a gt instance counts toward a false merge of a prediction (0.1).
    pub fm_threshold: f64,
    /// clRecall above which a prediction counts toward a false split of a gt instance (0.05).
    pub fs_threshold: f64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            fm_threshold: 0.1,
            fs_threshold: 0.05,
        }
    }
}

/// The clDice thresholds of avF1: 0.1, 0.2, …, 0.9.
pub const AV_F1_THRESHOLDS: [f64; 9] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/// Detection counts at one clDice threshold after greedy one-to-one matching.
#[derive(Debug, Clone, PartialEq)]
pub struct Counts {
    /// The clDice threshold (a pair matches when its clDice is strictly above it).
    pub threshold: f64,
    /// Matched pairs.
    pub tp: usize,
    /// Unmatched predicted instances.
    pub fp: usize,
    /// Unmatched gt instances.
    pub fn_: usize,
    /// TP / max(1, TP + FP).
    pub precision: f64,
    /// TP / max(1, TP + FN).
    pub recall: f64,
    /// Harmonic mean of precision and recall (0 when both are 0).
    pub f1: f64,
    /// The matched pairs as (gt row, pred column), 1-based indices into the matrices.
    pub matches: Vec<(usize, usize)>,
}

/// Everything FISBe reports for one volume pair (see the module docs for the definitions).
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Original gt label ids; row `k ≥ 1` of the matrices is `gt_ids[k - 1]`.
    pub gt_ids: Vec<u32>,
    /// Original predicted label ids; column `k ≥ 1` is `pred_ids[k - 1]`.
    pub pred_ids: Vec<u32>,
    /// clRecall, (n_gt + 1) × (n_pred + 1) row-major, row/column 0 = background.
    pub cl_recall: Vec<f32>,
    /// clPrecision, same layout.
    pub cl_precision: Vec<f32>,
    /// clDice, same layout.
    pub cl_dice: Vec<f32>,
    /// Counts at each of [`AV_F1_THRESHOLDS`].
    pub counts: Vec<Counts>,
    /// Mean F1 over [`AV_F1_THRESHOLDS`].
    pub av_f1: f64,
    /// Skeleton coverage of each gt instance (row order).
    pub gt_coverage: Vec<f64>,
    /// C: mean gt coverage.
    pub coverage: f64,
    /// S = (avF1 + C) / 2, FISBe's ranking score.
    pub score: f64,
    /// False splits FS.
    pub false_splits: usize,
    /// False merges FM.
    pub false_merges: usize,
    /// Mean clDice of the pairs matched at threshold 0.5 (0 when none).
    pub avg_tp_05_cldice: f64,
}

impl Evaluation {
    /// Number of gt instances.
    pub fn n_gt(&self) -> usize {
        self.gt_ids.len()
    }

    /// Number of predicted instances.
    pub fn n_pred(&self) -> usize {
        self.pred_ids.len()
    }

    /// The counts at the avF1 threshold closest to `t` (e.g. 0.5).
    pub fn at(&self, t: f64) -> &Counts {
        self.counts
            .iter()
            .min_by(|a, b| (a.threshold - t).abs().total_cmp(&(b.threshold - t).abs()))
            .expect("nine thresholds")
    }
}

/// Greedy one-to-one matching on a clDice matrix (`(n_gt + 1) × (n_pred + 1)`, row/column 0
/// the background, as in [`Evaluation::cl_dice`]) at `threshold`, as the reference's
/// `assign_labels(..., "greedy")`: (gt row, pred column) pairs, 1-based, in acceptance order.
pub fn greedy_match(
    cl_dice: &[f32],
    n_gt: usize,
    n_pred: usize,
    threshold: f64,
) -> Vec<(usize, usize)> {
    let w = n_pred + 1;
    assert_eq!(
        cl_dice.len(),
        (n_gt + 1) * w,
        "greedy_match: cl_dice must be (n_gt+1) x (n_pred+1)"
    );
    let t = threshold as f32;
    let mut pairs: Vec<(usize, usize)> = (1..=n_gt)
        .flat_map(|g| (1..=n_pred).map(move |p| (g, p)))
        .filter(|&(g, p)| cl_dice[g * w + p] > t)
        .collect();
    // Stable sort by decreasing clDice keeps row-major (gt, then pred) order among ties.
    pairs.sort_by(|a, b| cl_dice[b.0 * w + b.1].total_cmp(&cl_dice[a.0 * w + a.1]));
    let (mut gt_used, mut pred_used) = (vec![false; n_gt + 1], vec![false; n_pred + 1]);
    let mut out = Vec::new();
    for (g, p) in pairs {
        if !gt_used[g] && !pred_used[p] {
            gt_used[g] = true;
            pred_used[p] = true;
            out.push((g, p));
        }
    }
    out
}

fn check_threshold(name: &'static str, value: f64) -> Result<(), SkeletonError> {
    if (0.0..1.0).contains(&value) {
        Ok(())
    } else {
        Err(SkeletonError::Threshold { name, value })
    }
}

/// FISBe metrics of a predicted label volume against a ground-truth label volume of the
/// same shape (0 = background; any other ids, renumbered in increasing order). An empty
/// prediction is allowed (everything is 0 or FN); an empty ground truth is an error.
pub fn evaluate(
    gt: &Volume<u32>,
    pred: &Volume<u32>,
    opts: &Options,
) -> Result<Evaluation, SkeletonError> {
    if gt.shape != pred.shape {
        return Err(SkeletonError::ShapeMismatch {
            gt: gt.shape,
            pred: pred.shape,
        });
    }
    check_threshold("fm_threshold", opts.fm_threshold)?;
    check_threshold("fs_threshold", opts.fs_threshold)?;
    let gt_ids = gt.labels();
    if gt_ids.is_empty() {
        return Err(SkeletonError::NoGroundTruth);
    }
    let pred_ids = pred.labels();
    let (ng, np) = (gt_ids.len(), pred_ids.len());
    let w = np + 1;
    // Sequential relabelling: 0 stays background, ids map to 1..n in increasing order.
    let seq = |ids: &[u32], v: &Volume<u32>| -> Vec<u32> {
        v.data
            .iter()
            .map(|&l| {
                if l == 0 {
                    0
                } else {
                    ids.binary_search(&l).expect("listed") as u32 + 1
                }
            })
            .collect()
    };
    let (g_seq, p_seq) = (seq(&gt_ids, gt), seq(&pred_ids, pred));
    let mut cl_recall = vec![0f32; (ng + 1) * w];
    let mut cl_precision = vec![0f32; (ng + 1) * w];
    // Counts in f64 divided in f64, then stored as f32, as the reference's float32 matrices.
    let mut row = vec![0usize; ng.max(np) + 1];
    for (k, (_, skel)) in skeletonize_labels(gt).into_iter().enumerate() {
        if skel.is_empty() {
            continue;
        }
        row.iter_mut().for_each(|c| *c = 0);
        skel.iter().for_each(|&i| row[p_seq[i] as usize] += 1);
        for p in 0..=np {
            cl_recall[(k + 1) * w + p] = (row[p] as f64 / skel.len() as f64) as f32;
        }
    }
    for (k, (_, skel)) in skeletonize_labels(pred).into_iter().enumerate() {
        if skel.is_empty() {
            continue;
        }
        row.iter_mut().for_each(|c| *c = 0);
        skel.iter().for_each(|&i| row[g_seq[i] as usize] += 1);
        for g in 0..=ng {
            cl_precision[g * w + k + 1] = (row[g] as f64 / skel.len() as f64) as f32;
        }
    }
    let cl_dice: Vec<f32> = cl_precision
        .iter()
        .zip(&cl_recall)
        .map(|(&p, &r)| {
            let d = 2.0f32 * p * r / (p + r);
            if d.is_nan() { 0.0 } else { d }
        })
        .collect();

    let max_dice = cl_dice.iter().copied().fold(0f32, f32::max);
    let counts: Vec<Counts> = AV_F1_THRESHOLDS
        .iter()
        .map(|&t| {
            let matches = if np > 0 && max_dice > t as f32 {
                greedy_match(&cl_dice, ng, np, t)
            } else {
                Vec::new()
            };
            let tp = matches.len();
            let (fp, fn_) = (np - tp, ng - tp);
            let precision = tp as f64 / (tp + fp).max(1) as f64;
            let recall = tp as f64 / (tp + fn_).max(1) as f64;
            let f1 = if precision + recall > 0.0 {
                2.0 * precision * recall / (precision + recall)
            } else {
                0.0
            };
            Counts {
                threshold: t,
                tp,
                fp,
                fn_,
                precision,
                recall,
                f1,
                matches,
            }
        })
        .collect();
    let av_f1 = counts.iter().map(|c| c.f1).sum::<f64>() / counts.len() as f64;

    // Coverage: each prediction goes to its row of largest clPrecision (first on ties).
    let mut gt_coverage = vec![0f64; ng];
    for p in 1..=np {
        let mut best = 0;
        for g in 1..=ng {
            if cl_precision[g * w + p] > cl_precision[best * w + p] {
                best = g;
            }
        }
        if best > 0 {
            gt_coverage[best - 1] += f64::from(cl_recall[best * w + p]);
        }
    }
    let coverage = gt_coverage.iter().sum::<f64>() / ng as f64;

    let (fs_t, fm_t) = (opts.fs_threshold as f32, opts.fm_threshold as f32);
    let false_splits = (1..=ng)
        .map(|g| {
            (1..=np)
                .filter(|&p| cl_recall[g * w + p] > fs_t)
                .count()
                .saturating_sub(1)
        })
        .sum();
    let false_merges = (1..=np)
        .map(|p| {
            (1..=ng)
                .filter(|&g| cl_recall[g * w + p] > fm_t)
                .count()
                .saturating_sub(1)
        })
        .sum();
    let m05 = &counts[4].matches;
    let avg_tp_05_cldice = if m05.is_empty() {
        0.0
    } else {
        m05.iter()
            .map(|&(g, p)| f64::from(cl_dice[g * w + p]))
            .sum::<f64>()
            / m05.len() as f64
    };
    Ok(Evaluation {
        gt_ids,
        pred_ids,
        cl_recall,
        cl_precision,
        cl_dice,
        score: 0.5 * av_f1 + 0.5 * coverage,
        counts,
        av_f1,
        gt_coverage,
        coverage,
        false_splits,
        false_merges,
        avg_tp_05_cldice,
    })
}
