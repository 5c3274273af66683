//! `ganglion interp logit-diff` end to end: JSON output on the real model (when
//! `scripts/fetch-data.sh smollm2` has fetched it; skipped otherwise) and clear errors.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

use std::path::{Path, PathBuf};
use std::process::Command;

fn ganglion() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ganglion"))
}

fn model() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipped: data/smollm2 not fetched (scripts/fetch-data.sh smollm2)");
        None
    }
}

fn prompts(dir: &Path, lines: &[(&str, &str, &str)]) -> PathBuf {
    let f = dir.join("p.jsonl");
    let text: Vec<String> = lines
        .iter()
        .map(|(p, c, i)| serde_json::json!({"prompt": p, "correct": c, "incorrect": i}).to_string())
        .collect();
    std::fs::write(&f, text.join("\n")).unwrap();
    f
}

const IOI: [(&str, &str, &str); 2] = [
    (
        "When Mary and John went to the store, John gave a drink to",
        " Mary",
        " John",
    ),
    (
        "When Tom and James went to the park, James gave a ball to",
        " Tom",
        " James",
    ),
];

#[test]
fn not_a_gguf_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = prompts(dir.path(), &IOI);
    let fake = dir.path().join("model.gguf");
    std::fs::write(&fake, "not a model").unwrap();
    let o = ganglion()
        .args(["interp", "logit-diff", "--model"])
        .arg(&fake)
        .arg("--prompts")
        .arg(&p)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("is not a GGUF file"), "{err}");
    let o = ganglion()
        .args(["interp", "logit-diff", "--model"])
        .arg(&fake)
        .arg("--prompts")
        .arg(&p)
        .args(["--ablate", "23:3"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stderr).contains("write L<layer>H<head>"));
}

#[test]
fn logit_diff_json_and_ablation_on_smollm2() {
    let Some(m) = model() else { return };
    let dir = tempfile::tempdir().unwrap();
    let p = prompts(dir.path(), &IOI);
    let run = |extra: &[&str]| {
        let o = ganglion()
            .args(["interp", "logit-diff", "--json", "--model"])
            .arg(&m)
            .arg("--prompts")
            .arg(&p)
            .args(extra)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let clean = run(&[]);
    let per = clean["per_prompt"].as_array().unwrap();
    assert_eq!(per.len(), 2);
    let diffs: Vec<f64> = per
        .iter()
        .map(|r| r["logit_diff"].as_f64().unwrap())
        .collect();
    // The model prefers the indirect object on both IOI prompts.
    assert!(diffs.iter().all(|&d| d > 1.0), "{diffs:?}");
    assert_eq!(clean["accuracy"].as_f64(), Some(1.0));
    let mean = clean["mean_logit_diff"].as_f64().unwrap();
    assert!((mean - (diffs[0] + diffs[1]) / 2.0).abs() < 1e-5);
    let ablated = run(&["--ablate", "L0H0,L1H1", "--ablation", "zero"]);
    assert_eq!(ablated["ablate"], serde_json::json!(["L0H0", "L1H1"]));
    assert!((ablated["mean_logit_diff"].as_f64().unwrap() - mean).abs() > 1e-3);

    let o = ganglion()
        .args(["interp", "logit-diff", "--model"])
        .arg(&m)
        .arg("--prompts")
        .arg(&p)
        .args(["--ablate", "L3H9"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stderr).contains("head L3H9 is out of range"));
    let bad = prompts(
        dir.path(),
        &[("The capital of France is", " Parisian", " London")],
    );
    let o = ganglion()
        .args(["interp", "logit-diff", "--model"])
        .arg(&m)
        .arg("--prompts")
        .arg(&bad)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("\" Parisian\" is 2 tokens"), "{err}");
}

#[test]
fn attribute_and_patch_on_smollm2() {
    let Some(m) = model() else { return };
    let dir = tempfile::tempdir().unwrap();
    let p = prompts(dir.path(), &IOI);
    let o = ganglion()
        .args(["interp", "attribute", "--json", "--model"])
        .arg(&m)
        .arg("--prompts")
        .arg(&p)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["heads_mean"].as_array().unwrap().len(), 30);
    assert_eq!(v["heads_mean"][0].as_array().unwrap().len(), 9);
    for r in v["per_prompt"].as_array().unwrap() {
        let (d, s) = (
            r["logit_diff"].as_f64().unwrap(),
            r["attribution_sum"].as_f64().unwrap(),
        );
        assert!((d - s).abs() < 1e-3 * d.abs().max(1.0), "{d} vs {s}");
    }

    // ABC corruption: the subject's second mention replaced by a third name.
    let bad = dir.path().join("c.jsonl");
    std::fs::write(
        &bad,
        "{\"prompt\": \"When Mary and John went to the store, Mike gave a drink to\"}\n\
         {\"prompt\": \"When Tom and James went to the park, Jack gave a ball to\"}\n",
    )
    .unwrap();
    let out = dir.path().join("patch");
    let o = ganglion()
        .args(["interp", "patch", "--by", "layer", "--model"])
        .arg(&m)
        .arg("--prompts")
        .arg(&p)
        .arg("--corrupted")
        .arg(&bad)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("patching.json")).unwrap()).unwrap();
    let (clean, corrupt) = (
        v["clean_logit_diff"].as_f64().unwrap(),
        v["corrupted_logit_diff"].as_f64().unwrap(),
    );
    assert!(clean > corrupt, "{clean} vs {corrupt}");
    assert_eq!(v["results"]["attn_out"]["shape"], serde_json::json!([30]));
    assert_eq!(
        v["results"]["mlp_out"]["normalised"]
            .as_array()
            .unwrap()
            .len(),
        30
    );

    let one = dir.path().join("one.jsonl");
    std::fs::write(
        &one,
        "{\"prompt\": \"When Mary and John went to the store, Mike gave a drink to\"}\n",
    )
    .unwrap();
    let o = ganglion()
        .args(["interp", "patch", "--by", "head", "--model"])
        .arg(&m)
        .arg("--prompts")
        .arg(&p)
        .arg("--corrupted")
        .arg(&one)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stderr).contains("they are paired line by line"));
}
