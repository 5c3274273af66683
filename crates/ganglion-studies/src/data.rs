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

/// The SmolLM2-135M-Instruct model file that `scripts/fetch-data.sh smollm2` fetches.
pub const SMOLLM2_FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// The path of the SmolLM2 model (see [`data_dir`]), or why it is absent and how to fetch it.
pub fn smollm2_path() -> Result<PathBuf, String> {
    data_dir(
        "smollm2",
        &[SMOLLM2_FILE],
        "the SmolLM2-135M-Instruct model",
    )
    .map(|d| d.join(SMOLLM2_FILE))
}

/// The SmolLM2 model loaded for `study`; the error (named after the study) says how to fetch
/// it, or which file could not be read.
pub fn load_smollm2(study: &str) -> Result<ganglion_interp::model::Model, crate::StudyError> {
    let path = smollm2_path().map_err(|m| crate::StudyError::study(study, m))?;
    ganglion_interp::model::Model::load(&path)
        .map_err(|e| crate::StudyError::study(study, format!("{}: {e}", path.display())))
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
