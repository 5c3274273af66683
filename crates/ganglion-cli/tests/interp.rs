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

/// `interp probe --data` material: 24 prompt beginnings, each finished once with a number
/// (label true) and once with a word (label false), so the beginnings carry no label.
const DIGIT_OR_WORD: [(&str, &str, &str); 24] = [
    ("The answer is", "7", "yes"),
    ("She counted to", "42", "ten"),
    ("Our room number is", "15", "high"),
    ("He was born in", "1990", "Paris"),
    ("The bus leaves at", "8", "noon"),
    ("I bought apples and", "5", "pears"),
    ("Turn to page", "12", "one"),
    ("The final score was", "21", "close"),
    ("Add", "250", "flour"),
    ("Call me at", "6", "home"),
    ("The year was", "2004", "long"),
    ("My age is", "31", "private"),
    ("The price is", "99", "fair"),
    ("We need", "4", "help"),
    ("The door code is", "3", "secret"),
    ("Meet me on floor", "9", "two"),
    ("The train number is", "66", "late"),
    ("It weighs", "70", "little"),
    ("Her lucky number is", "13", "seven"),
    ("The temperature is", "20", "mild"),
    ("Chapter", "11", "one"),
    ("The total came to", "48", "nothing"),
    ("Wait for", "10", "me"),
    ("He scored", "3", "twice"),
];

fn digit_or_word() -> Vec<(String, bool)> {
    DIGIT_OR_WORD
        .iter()
        .flat_map(|(start, n, w)| {
            [
                (format!("{start} {n}"), true),
                (format!("{start} {w}"), false),
            ]
        })
        .collect()
}

fn labelled(dir: &Path, lines: &[(String, bool)]) -> PathBuf {
    let f = dir.join("d.jsonl");
    let text: Vec<String> = lines
        .iter()
        .map(|(p, l)| serde_json::json!({"prompt": p, "label": l}).to_string())
        .collect();
    std::fs::write(&f, text.join("\n")).unwrap();
    f
}

fn probe(model: &Path, data: &Path, extra: &[&str]) -> std::process::Output {
    ganglion()
        .args(["interp", "probe", "--model"])
        .arg(model)
        .arg("--data")
        .arg(data)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn probe_separates_prompts_ending_in_a_number_on_smollm2() {
    let Some(m) = model() else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = labelled(dir.path(), &digit_or_word());
    let out = dir.path().join("probe");
    let out_s = out.to_str().unwrap();
    let args = ["--layer", "1", "--k", "16,1,4,2,8", "--test-frac", "0.5"];
    let o = probe(&m, &d, &[&args[..], &["--json", "--out", out_s]].concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("probe.json")).unwrap()).unwrap();
    assert_eq!(v, file, "probe.json differs from the --json output");
    assert_eq!(v["layer"], 1);
    assert_eq!(v["hook"], "blocks.1.mlp.hook_post");
    assert_eq!(v["pool"], "last");
    assert_eq!(v["rank"], "f-stat");
    // 24 of each class; round(0.5 · 24) = 12 of each held out.
    assert_eq!(v["positives"], 24);
    assert_eq!(v["negatives"], 24);
    assert_eq!(v["n_train"], 24);
    assert_eq!(v["n_test"], 24);
    assert_eq!(
        v["train"],
        serde_json::json!({"positives": 12, "negatives": 12})
    );
    assert_eq!(
        v["test"],
        serde_json::json!({"positives": 12, "negatives": 12})
    );
    assert_eq!(v["majority_baseline_accuracy"].as_f64(), Some(0.5));
    let d_mlp = v["d_mlp"].as_u64().unwrap() as usize;
    assert_eq!(d_mlp, 1536);
    let results = v["results"].as_array().unwrap();
    let ks: Vec<u64> = results.iter().map(|r| r["k"].as_u64().unwrap()).collect();
    assert_eq!(ks, [1, 2, 4, 8, 16], "the sizes come back sorted");
    // Each probe's neurons are distinct, in range, and the top k of one training-split
    // ranking, so a smaller probe's neurons lead every larger one's.
    let lists: Vec<Vec<usize>> = results
        .iter()
        .map(|r| {
            r["neurons"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_u64().unwrap() as usize)
                .collect()
        })
        .collect();
    for (r, n) in results.iter().zip(&lists) {
        let k = r["k"].as_u64().unwrap() as usize;
        assert_eq!(n.len(), k);
        assert!(n.iter().all(|&j| j < d_mlp), "{n:?}");
        let distinct: std::collections::BTreeSet<_> = n.iter().collect();
        assert_eq!(distinct.len(), k, "{n:?}");
        assert_eq!(&n[..], &lists.last().unwrap()[..k]);
        assert_eq!(r["weights"].as_array().unwrap().len(), k + 1);
        let (acc, f1) = (r["accuracy"].as_f64().unwrap(), r["f1"].as_f64().unwrap());
        assert!((0.0..=1.0).contains(&acc) && (0.0..=1.0).contains(&f1));
        // Accuracy counts the 24 held-out prompts.
        assert!((acc * 24.0 - (acc * 24.0).round()).abs() < 1e-9, "{acc}");
    }
    // The best single neuron is the first of every probe.
    let best = &v["best_neuron"];
    assert_eq!(best["neuron"].as_u64().unwrap() as usize, lists[0][0]);
    assert_eq!(best["split"], "train");
    assert!(best["score"].as_f64().unwrap() > 0.0, "{best}");
    assert_ne!(best["mean_positive"], best["mean_negative"]);
    // Whether the prompt ends in a number is a property of the last token, which early
    // MLP neurons see. If the 16 neurons carried nothing, each of the 24 held-out answers
    // would be right with probability 1/2: P(≥ 20 right) = 12 951 / 2²⁴ ≈ 0.08 %. (Seeds
    // 0–5 gave 0.958–1.0 at k = 16 when the test was written.)
    let acc = results.last().unwrap()["accuracy"].as_f64().unwrap();
    assert!(acc >= 20.0 / 24.0, "held-out accuracy {acc} at k = 16");

    // The other ranking and pooling, printed as a table.
    let o = probe(
        &m,
        &d,
        &[
            &args[..],
            &["--rank", "mean-diff", "--pool", "mean", "--seed", "3"],
        ]
        .concat(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(
        table.contains("blocks.1.mlp.hook_post (pooled mean)"),
        "{table}"
    );
    assert!(table.contains("ranked by mean-diff"), "{table}");
    assert!(table.contains("24 train / 24 test prompts"), "{table}");
    assert_eq!(table.lines().count(), 3 + 5 + 1, "{table}");

    // An existing results folder is not replaced without --force; with it, it is.
    let o = probe(&m, &d, &[&args[..], &["--out", out_s]].concat());
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--out"), "{err}");
    let o = probe(&m, &d, &[&args[..], &["--out", out_s, "--force"]].concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.join("probe.json").exists());

    // Errors that need the model's shape.
    let o = probe(&m, &d, &["--layer", "30", "--test-frac", "0.5"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--layer 30 is out of range: the model has 30 blocks, 0..=29"),
        "{err}"
    );
    let o = probe(&m, &d, &["--layer", "1", "--k", "4,2000"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--k 2000 is larger than the model's 1536 MLP neurons"),
        "{err}"
    );
}

/// Bad --data and flags are refused, naming what is wrong, before the model is loaded (the
/// model path here does not exist) and without writing --out.
#[test]
fn probe_refuses_bad_input_before_loading_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let no_model = dir.path().join("absent.gguf");
    let out = dir.path().join("out");
    let out_s = out.to_str().unwrap();
    let good = labelled(dir.path(), &digit_or_word());
    let refused = |data: &Path, extra: &[&str], want: &str| {
        let o = probe(
            &no_model,
            data,
            &[&["--layer", "1", "--out", out_s][..], extra].concat(),
        );
        assert!(!o.status.success(), "{extra:?} was accepted");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(want), "want {want:?} in: {err}");
        assert!(!err.contains("absent.gguf"), "the model was opened: {err}");
        assert!(!out.exists(), "{extra:?} wrote {}", out.display());
    };
    let write = |name: &str, text: &str| {
        let f = dir.path().join(name);
        std::fs::write(&f, text).unwrap();
        f
    };
    let lines = |extra: &str| {
        let mut t: Vec<String> = digit_or_word()
            .iter()
            .map(|(p, l)| serde_json::json!({"prompt": p, "label": l}).to_string())
            .collect();
        t.insert(2, extra.to_string());
        t.join("\n")
    };
    refused(
        &write("bad.jsonl", &lines("{\"prompt\": \"x\", \"label\": tru}")),
        &[],
        "bad.jsonl:3: not valid JSON",
    );
    refused(
        &write("nolabel.jsonl", &lines("{\"prompt\": \"x\"}")),
        &[],
        "nolabel.jsonl:3: no \"label\"",
    );
    refused(
        &write(
            "yes.jsonl",
            &lines("{\"prompt\": \"x\", \"label\": \"yes\"}"),
        ),
        &[],
        "yes.jsonl:3: \"label\" is \"yes\"; it must be true or false",
    );
    refused(
        &write("one.jsonl", &lines("{\"prompt\": \"x\", \"label\": 1}")),
        &[],
        "\"label\" is 1; it must be true or false",
    );
    refused(
        &write("noprompt.jsonl", &lines("{\"label\": true}")),
        &[],
        "noprompt.jsonl:3: no \"prompt\"",
    );
    refused(
        &write("empty.jsonl", "\n  \n"),
        &[],
        "empty.jsonl has no examples",
    );
    // 2 positives: at 0.3, round(0.6) = 1 held out; at 0.5, 1 held out and 1 to train.
    let few: Vec<(String, bool)> = digit_or_word()
        .into_iter()
        .filter(|(p, l)| !l || p.ends_with(" 7") || p.ends_with(" 42"))
        .collect();
    let few_dir = dir.path().join("few");
    std::fs::create_dir(&few_dir).unwrap();
    let few = labelled(&few_dir, &few);
    refused(
        &few,
        &[],
        "2 positive example(s) (\"label\": true) with --test-frac 0.3 leave 1 in the test split",
    );
    refused(&few, &["--test-frac", "0.5"], "add positive examples");
    refused(
        &good,
        &["--test-frac", "0"],
        "--test-frac 0 must be in (0, 1)",
    );
    refused(
        &good,
        &["--test-frac", "1"],
        "--test-frac 1 must be in (0, 1)",
    );
    refused(&good, &["--test-frac", "NaN"], "must be in (0, 1)");
    refused(
        &good,
        &["--k", "1,0,4"],
        "--k 0: a probe needs at least one neuron",
    );
    refused(&good, &["--l2=-1"], "--l2 -1 must be");
    refused(&good, &["--rank", "t-stat"], "--rank");
    refused(&good, &["--pool", "tokens"], "--pool");
    refused(
        &dir.path().join("missing.jsonl"),
        &[],
        "--data: cannot read",
    );
}
