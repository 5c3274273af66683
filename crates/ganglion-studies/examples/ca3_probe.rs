//! Probe of the `ca3-memory` model: runs the test benches with given STDP
//! parameters and prints every operation, or sweeps them.
//!
//! ```sh
//! cargo run -p ganglion-studies --example ca3_probe -- [A+ A- tau+ tau- [MODE [v]]]
//! cargo run -p ganglion-studies --example ca3_probe -- grid [z]
//! cargo run -p ganglion-studies --example ca3_probe -- tau
//! ```
//! MODE: `md` (used: matched timing, dendritic STDP timing), `me` (emission
//! STDP timing), `ld` / `le` (literal dt = 1 ms timing); add `z` for the lazy
//! update; `v` prints all spikes. `grid z` sweeps with the lazy update; `tau`
//! sweeps τ± = τ+ = τ− (A± = 6) in every mode, immediate and lazy.
use ganglion_studies::studies::ca3_memory::model::{
    Stdp, StdpTiming, Timing, benches, decode, expected, populations, run,
};

fn score(stdp: &Stdp, timing: Timing, st: StdpTiming) -> Result<usize, String> {
    let dir = std::env::temp_dir().join("ca3probe");
    let mut ok = 0;
    for b in benches() {
        let r = run(&b, timing, stdp, st, &dir)?;
        let d = decode(&r, &b);
        let e = expected(&b.ops);
        ok += d.iter().zip(&e).filter(|(d, e)| &d.pattern == *e).count();
    }
    Ok(ok)
}

/// The step mapping and STDP timing of a MODE string (see the module docs).
fn mode_of(mode: &str) -> (Timing, StdpTiming) {
    let timing = if mode.contains('l') {
        Timing::Literal
    } else {
        Timing::Matched
    };
    let st = if mode.contains('e') {
        StdpTiming::Emission
    } else {
        StdpTiming::Dendritic
    };
    (timing, st)
}

fn arg(args: &[String], k: usize, default: f64) -> Result<f64, String> {
    args.get(k).map_or(Ok(default), |s| {
        s.parse().map_err(|e| format!("argument {k}: {e}"))
    })
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::env::temp_dir().join("ca3probe");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    if args.get(1).is_some_and(|s| s == "tau") {
        for mode in ["md", "me", "ld", "le"] {
            for lazy in [false, true] {
                let (timing, st) = mode_of(mode);
                let mut line = format!("{mode}{}:", if lazy { "z" } else { " " });
                for tau in [0.3, 0.45, 0.6, 0.75, 1.0, 1.5, 2.0, 3.0] {
                    let stdp = Stdp {
                        tau_plus: tau,
                        tau_minus: tau,
                        lazy,
                        ..Stdp::SPYMEM
                    };
                    line += &format!(" τ{tau}={}", score(&stdp, timing, st)?);
                }
                println!("{line}");
            }
        }
        return Ok(());
    }
    if args.get(1).is_some_and(|s| s == "grid") {
        let lazy = args.get(2).is_some_and(|s| s == "z");
        for tp in [0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0] {
            for tm in [0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0] {
                for am in [0.5, 1.0, 2.0, 3.0, 4.0, 6.0] {
                    for ap in [1.0, 2.0, 3.0, 6.0] {
                        let stdp = Stdp {
                            a_plus: ap,
                            a_minus: am,
                            tau_plus: tp,
                            tau_minus: tm,
                            lazy,
                            ..Stdp::SPYMEM
                        };
                        let s = score(&stdp, Timing::Matched, StdpTiming::Dendritic)?;
                        println!("tau+={tp} tau-={tm} A+={ap} A-={am}: {s}");
                    }
                }
            }
        }
        return Ok(());
    }
    let stdp = Stdp {
        a_plus: arg(&args, 1, 6.0)?,
        a_minus: arg(&args, 2, 6.0)?,
        tau_plus: arg(&args, 3, Stdp::TUNED.tau_plus)?,
        tau_minus: arg(&args, 4, Stdp::TUNED.tau_minus)?,
        lazy: args.get(5).is_some_and(|m| m.contains('z')),
        ..Stdp::SPYMEM
    };
    let mode = args.get(5).map_or("md", String::as_str);
    let verbose = args.get(6).is_some();
    let (timing, st) = mode_of(mode);
    let (mut ok, mut all) = (0, 0);
    for b in benches() {
        let r = run(&b, timing, &stdp, st, &dir)?;
        let d = decode(&r, &b);
        let e = expected(&b.ops);
        println!("== {} ({:.3} s)", b.name, r.wall_s);
        for (k, o) in b.ops.iter().enumerate() {
            let good = d[k].pattern == e[k];
            all += 1;
            ok += usize::from(good);
            println!(
                "  t={:3} {:18} expected {:20} got {:20} {} latency cue {} content {} other {:?}",
                o.t0,
                o.kind.name(),
                e[k].text(),
                d[k].pattern.text(),
                if good { "ok" } else { "BAD" },
                d[k].cue_latency,
                d[k].content_latency,
                d[k].other
            );
        }
        if verbose {
            for (p, (name, _)) in populations().iter().enumerate() {
                let (t, i) = &r.spikes[p];
                let v: Vec<String> = t.iter().zip(i).map(|(t, i)| format!("{t}:{i}")).collect();
                println!("    {name}: {}", v.join(" "));
            }
            println!("    w cue->content {:?}", r.w_cue_cont);
            println!("    w content->cue {:?}", r.w_cont_cue);
        }
    }
    println!("{ok}/{all} correct");
    Ok(())
}
