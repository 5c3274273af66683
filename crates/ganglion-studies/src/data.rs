//! Where the studies find the real data that `scripts/fetch-data.sh` puts in `data/`.

use std::path::{Path, PathBuf};

/// The folder of dataset `dataset` (as `scripts/fetch-data.sh DATASET` fetches it) that holds
/// all of `files`: `$GANGLION_DATA/DATASET`, `data/DATASET` under the current folder, or the
/// repository's `data/DATASET`. The error names `what` is missing and how to fetch it.
pub fn data_dir(dataset: &str, files: &[&str], what: &str) -> Result<PathBuf, String> {
    let candidates = [
        std::env::var_os("GANGLION_DATA").map(|d| PathBuf::from(d).join(dataset)),
        Some(Path::new("data").join(dataset)),
        Some(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../data")
                .join(dataset),
        ),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|d| files.iter().all(|f| d.join(f).is_file()))
        .ok_or_else(|| {
            format!(
                "{what} ({}) not found in data/{dataset}\n  hint: fetch with \
                 scripts/fetch-data.sh {dataset} (or set GANGLION_DATA to the folder holding \
                 {dataset}/)",
                files.join(", ")
            )
        })
}

/// Fashion-MNIST's training and test sets (60 000 + 10 000 images), from the folder
/// `scripts/fetch-data.sh fashion-mnist` fills (see [`data_dir`]); the error names what is
/// missing and how to fetch it, or the folder that could not be read.
pub fn fashion_mnist() -> Result<(ganglion_data::ImageSet, ganglion_data::ImageSet), String> {
    use ganglion_data::images::{Split, load_named};
    let files = [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ];
    let dir = data_dir("fashion-mnist", &files, "Fashion-MNIST")?;
    let get = |split| {
        load_named("fashion-mnist", &dir, split)
            .map_err(|e| format!("reading Fashion-MNIST in {}: {e}", dir.display()))
    };
    Ok((get(Split::Train)?, get(Split::Test)?))
}
