//! Probe: runs the CA3 memory test benches and prints the outputs.
use ganglion_studies::studies::ca3_memory::model::*;

fn score(stdp: &Stdp, timing: Timing, st: StdpTiming) -> usize {
    let dir = std::env::temp_dir().join("ca3probe");
    let mut ok = 0;
    for b in benches() {
        let r = run(&b, timing, stdp, st, &dir).unwrap();
        let d = decode(&r, &b);
        let e = expected(&b.ops);
        ok += d.iter().zip(&e).filter(|(d, e)| &d.pattern == *e).count();
    }
    ok
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).is_some_and(|s| s == "grid") {
        std::fs::create_dir_all(std::env::temp_dir().join("ca3probe")).unwrap();
        for tp in [0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0] {
            for tm in [0.5, 1.0, 1.5, 2.0, 3.0, 5.0] {
                for am in [0.5, 1.0, 2.0, 3.0, 4.0, 6.0] {
                    for ap in [1.0, 2.0, 3.0, 6.0] {
                        let stdp = Stdp {
                            a_plus: ap,
                            a_minus: am,
                            tau_plus: tp,
                            tau_minus: tm,
                            ..Stdp::SPYMEM
                        };
                        let s = score(&stdp, Timing::Matched, StdpTiming::Dendritic);
                        if s >= 31 {
                            println!("tp={tp} tm={tm} ap={ap} am={am}: {s}/33");
                        }
                    }
                }
            }
        }
        return;
    }
    let tau_plus: f64 = std::env::var("TP").map_or(3.0, |s| s.parse().unwrap());
    let a_plus: f64 = args.get(1).map_or(6.0, |s| s.parse().unwrap());
    let a_minus: f64 = args.get(2).map_or(6.0, |s| s.parse().unwrap());
    let tau_minus: f64 = args.get(3).map_or(3.0, |s| s.parse().unwrap());
    let mode = args.get(4).map_or("md", |s| s.as_str());
    let verbose = args.get(5).is_some();
    let stdp = Stdp {
        a_plus,
        a_minus,
        tau_minus,
        tau_plus,
        ..Stdp::SPYMEM
    };
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
    let dir = std::env::temp_dir().join("ca3probe");
    std::fs::create_dir_all(&dir).unwrap();
    let mut ok = 0;
    let mut all = 0;
    for b in benches() {
        if let Some(l) = &b.spymem_spikes {
            assert_eq!(&b.input_spikes(), l, "{}", b.name);
        }
        let r = run(&b, timing, &stdp, st, &dir).unwrap();
        let d = decode(&r, &b);
        let e = expected(&b.ops);
        println!("== {} ({:.3} s)", b.name, r.wall_s);
        for (k, o) in b.ops.iter().enumerate() {
            let good = d[k].pattern == e[k];
            all += 1;
            ok += good as usize;
            println!(
                "  t={:3} {:18} exp {:22} got {:22} {} lat cue {} cont {} other {:?}",
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
            println!("    w cue->cont {:?}", r.w_cue_cont);
            println!("    w cont->cue {:?}", r.w_cont_cue);
        }
    }
    println!("{ok}/{all} correct");
}
