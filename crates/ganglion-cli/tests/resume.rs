//! `ganglion run --checkpoint-every` survives `kill -9`: `--resume` finishes the run with
//! results byte-identical to an uninterrupted run, for 1 and 2 threads.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn ganglion() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ganglion"))
}

fn cuba() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/cuba.toml")
        .display()
        .to_string()
}

/// Every .npy of a results folder, by name.
fn recordings(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "npy"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

fn checkpoint_step(dir: &Path) -> Option<u64> {
    let bytes = std::fs::read(dir.join("checkpoint.bin")).ok()?;
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).into_owned();
    let k = text.find("\"step\":")?;
    text[k + 7..]
        .trim_start()
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

fn run_killed_then_resumed(threads: &str) {
    let root = tempfile::tempdir().unwrap();
    let args = |out: &PathBuf| {
        vec![
            "run".to_string(),
            cuba(),
            "--duration".into(),
            "4 s".into(),
            "--threads".into(),
            threads.into(),
            "--no-plots".into(),
            "--out".into(),
            out.display().to_string(),
        ]
    };
    // The reference, uninterrupted.
    let whole = root.path().join("whole");
    let o = ganglion().args(args(&whole)).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // The same run with checkpoints, killed with SIGKILL after its second checkpoint.
    let out = root.path().join("killed");
    let ckpt = root.path().join("killed.checkpoint");
    let mut child = ganglion()
        .args(args(&out))
        .args(["--checkpoint-every", "200 ms"])
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    let killed_at = loop {
        if let Some(step) = checkpoint_step(&ckpt)
            && step >= 4000
        {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            break step;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the run ended ({status}) before it could be killed; make it longer");
        }
        assert!(
            t0.elapsed() < Duration::from_secs(120),
            "no checkpoint appeared"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    assert!(!out.exists(), "a killed run leaves no results folder");
    assert!(killed_at < 40_000);

    let o = ganglion()
        .args(args(&out))
        .args(["--checkpoint-every", "200 ms", "--resume"])
        .arg(&ckpt)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        !ckpt.exists(),
        "the checkpoint is removed once the results are written"
    );
    let (a, b) = (recordings(&whole), recordings(&out));
    assert!(!a.is_empty());
    assert_eq!(
        a.iter().map(|x| &x.0).collect::<Vec<_>>(),
        b.iter().map(|x| &x.0).collect::<Vec<_>>()
    );
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(
            x == y,
            "{name} differs after resuming from step {killed_at}"
        );
    }
}

#[test]
fn a_killed_run_resumes_bit_identically_with_one_thread() {
    run_killed_then_resumed("1");
}

#[test]
fn a_killed_run_resumes_bit_identically_with_two_threads() {
    run_killed_then_resumed("2");
}

#[test]
fn resuming_with_another_spec_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let ckpt = root.path().join("x.checkpoint");
    std::fs::create_dir(&ckpt).unwrap();
    std::fs::write(ckpt.join("checkpoint.bin"), b"not a checkpoint").unwrap();
    let o = ganglion()
        .args(["run", &cuba(), "--resume"])
        .arg(&ckpt)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("--resume") && e.contains("not a Ganglion checkpoint"),
        "{e}"
    );
}
