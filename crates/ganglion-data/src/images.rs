//! Image-classification datasets: MNIST, Fashion-MNIST (IDX) and scikit-learn's 8×8 digits.

use crate::{DataError, idx};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Which part of a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// The training set (`train-*` files).
    Train,
    /// The test set (`t10k-*` files).
    Test,
}

/// Images with labels; intensities scaled to [0, 1].
#[derive(Debug, Clone, PartialEq)]
pub struct ImageSet {
    /// Image height \[pixels\].
    pub rows: usize,
    /// Image width \[pixels\].
    pub cols: usize,
    /// Number of classes (labels are `0..classes`).
    pub classes: usize,
    /// `len() × rows × cols` intensities in [0, 1], row-major.
    pub images: Vec<f32>,
    /// One label per image.
    pub labels: Vec<u8>,
}

impl ImageSet {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }
    /// True when there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
    /// Pixels per image.
    pub fn dim(&self) -> usize {
        self.rows * self.cols
    }
    /// Image `i` as `rows × cols` intensities.
    pub fn image(&self, i: usize) -> &[f32] {
        let d = self.dim();
        &self.images[i * d..(i + 1) * d]
    }
    /// The first `n` images (all if fewer).
    pub fn truncate(mut self, n: usize) -> ImageSet {
        let n = n.min(self.len());
        self.images.truncate(n * self.dim());
        self.labels.truncate(n);
        self
    }
}

fn find(dir: &Path, stem: &str) -> PathBuf {
    let gz = dir.join(format!("{stem}.gz"));
    if gz.exists() { gz } else { dir.join(stem) }
}

/// Read an MNIST-layout directory (`{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]`),
/// as MNIST and Fashion-MNIST ship. Pixels are divided by 255.
pub fn load_idx_dir(dir: &Path, split: Split) -> Result<ImageSet, DataError> {
    let pre = match split {
        Split::Train => "train",
        Split::Test => "t10k",
    };
    let ip = find(dir, &format!("{pre}-images-idx3-ubyte"));
    let lp = find(dir, &format!("{pre}-labels-idx1-ubyte"));
    let im = idx::read(&ip)?;
    let lb = idx::read(&lp)?;
    if im.dims.len() != 3 {
        return Err(DataError::Format {
            path: ip,
            msg: format!("expected 3 dimensions (n, rows, cols), got {:?}", im.dims),
        });
    }
    if lb.dims.len() != 1 {
        return Err(DataError::Format {
            path: lp,
            msg: format!("expected 1 dimension (n), got {:?}", lb.dims),
        });
    }
    if im.dims[0] != lb.dims[0] {
        return Err(DataError::Mismatch {
            images: ip,
            n_images: im.dims[0],
            labels: lp,
            n_labels: lb.dims[0],
        });
    }
    let classes = lb
        .data
        .iter()
        .copied()
        .max()
        .map_or(0, |m| m as usize + 1)
        .max(10);
    Ok(ImageSet {
        rows: im.dims[1],
        cols: im.dims[2],
        classes,
        images: im.data.iter().map(|&p| p as f32 / 255.0).collect(),
        labels: lb.data,
    })
}

/// Read scikit-learn's `digits.csv.gz` (1797 rows of 64 pixels in 0..16 and a label).
/// Pixels are divided by 16. The set has no official split: [`load_named`] uses the first
/// 1437 images (80 %) for training and the rest for testing.
pub fn load_digits_csv(path: &Path) -> Result<ImageSet, DataError> {
    let raw = std::fs::read(path).map_err(|source| DataError::Io {
        path: path.into(),
        source,
    })?;
    let mut text = String::new();
    let fmt = |msg: String| DataError::Format {
        path: path.into(),
        msg,
    };
    if raw.starts_with(&[0x1f, 0x8b]) {
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_string(&mut text)
            .map_err(|e| fmt(format!("bad gzip data: {e}")))?;
    } else {
        text = String::from_utf8(raw).map_err(|e| fmt(e.to_string()))?;
    }
    let (mut images, mut labels) = (Vec::new(), Vec::new());
    for (ln, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let vals: Result<Vec<f32>, _> = line.split(',').map(|s| s.trim().parse::<f32>()).collect();
        let vals = vals.map_err(|e| fmt(format!("line {}: {e}", ln + 1)))?;
        if vals.len() != 65 {
            return Err(fmt(format!(
                "line {}: expected 65 columns, got {}",
                ln + 1,
                vals.len()
            )));
        }
        images.extend(vals[..64].iter().map(|v| v / 16.0));
        labels.push(vals[64] as u8);
    }
    Ok(ImageSet {
        rows: 8,
        cols: 8,
        classes: 10,
        images,
        labels,
    })
}

/// Load a dataset by name from `data_dir` as `scripts/fetch-data.sh` lays it out:
/// `fashion-mnist` (`data_dir/fashion-mnist/`), `mnist` (`data_dir/mnist/`), `digits`
/// (`data_dir/digits/digits.csv.gz`). A `data_dir` that itself holds the IDX files is accepted.
pub fn load_named(name: &str, data_dir: &Path, split: Split) -> Result<ImageSet, DataError> {
    match name {
        "fashion-mnist" | "fashion_mnist" | "fmnist" | "mnist" => {
            let sub = if name == "mnist" {
                "mnist"
            } else {
                "fashion-mnist"
            };
            let dir = if data_dir.join(sub).is_dir() {
                data_dir.join(sub)
            } else {
                data_dir.to_path_buf()
            };
            load_idx_dir(&dir, split)
        }
        "digits" => {
            let p = if data_dir.join("digits").is_dir() {
                data_dir.join("digits/digits.csv.gz")
            } else {
                data_dir.join("digits.csv.gz")
            };
            let all = load_digits_csv(&p)?;
            let cut = 1437.min(all.len());
            let d = all.dim();
            Ok(match split {
                Split::Train => all.truncate(cut),
                Split::Test => ImageSet {
                    images: all.images[cut * d..].to_vec(),
                    labels: all.labels[cut..].to_vec(),
                    ..all
                },
            })
        }
        _ => Err(DataError::UnknownDataset(name.into())),
    }
}
