"""Collect the PD14 timing runs (Ganglion logs with /usr/bin/time -v, NEST JSON from
nest_pd14.py) and the accuracy ensemble (ensemble.py output) into bench/pd14/results.json.

Usage: python bench/pd14/summarize.py RUN_DIR ENSEMBLE.json OUT.json
RUN_DIR holds g_*.log (ganglion run) and n_*.json / n_*.log (NEST) files named
<sim>_s<scale>_t<threads>_seed<seed>; gt_* are Ganglion timing-only runs, gb_* build-only
(1 ms) runs that give the CPU cost of the build.
"""
import glob
import json
import os
import re
import statistics
import sys


def gnu_time(text):
    def f(key):
        m = re.search(key + r":\s*([\d.:]+)", text)
        return m.group(1) if m else None
    user, sys_ = float(f("User time \\(seconds\\)")), float(f("System time \\(seconds\\)"))
    return {"cpu_s": user + sys_, "peak_rss_mb": int(f("Maximum resident set size \\(kbytes\\)")) / 1024.0}


def name_fields(path):
    m = re.search(r"(g|gt|gb|n)_s([\d.]+)_t(\d+)(?:_seed(\d+))?", os.path.basename(path))
    return m.group(1), float(m.group(2)), int(m.group(3)), int(m.group(4)) if m.group(4) else None


def ganglion_run(log):
    text = open(log).read()
    m = re.search(r"build ([\d.]+) s · simulate ([\d.]+) s", text)
    if not m:
        return None
    spec = re.search(r"--duration (\d+) ms", text)
    kind, scale, threads, seed = name_fields(log)
    d = {"simulator": "Ganglion", "kind": kind, "scale": scale, "threads": threads, "seed": seed,
         "build_s": float(m.group(1)), "sim_s": float(m.group(2))}
    d.update(gnu_time(text))
    if spec:
        d["model_s"] = float(spec.group(1)) / 1000.0
        d["rtf"] = d["sim_s"] / d["model_s"] if d["model_s"] > 0.01 else None
    return d


def nest_run(js):
    r = json.load(open(js))
    kind, scale, threads, seed = name_fields(js)
    d = {"simulator": r["simulator"], "kind": kind, "scale": scale, "threads": threads,
         "seed": seed, "build_s": r["build_s"], "presim_s": r["presim_s"], "sim_s": r["sim_s"],
         "model_s": r["t_sim_ms"] / 1000.0, "rtf": r["rtf"], "peak_rss_mb": r["peak_rss_mb"],
         "build_cpu_s": r.get("build_cpu_s"), "sim_cpu_s": r.get("sim_cpu_s")}
    log = js[:-5] + ".log"
    if os.path.exists(log):
        d["cpu_s"] = gnu_time(open(log).read())["cpu_s"]
    return d


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def main():
    run_dir, ens, out = sys.argv[1:4]
    runs = []
    for log in sorted(glob.glob(f"{run_dir}/g*_s*.log")):
        g = ganglion_run(log)
        if g:
            runs.append(g)
    for js in sorted(glob.glob(f"{run_dir}/n_s*.json")):
        runs.append(nest_run(js))
    build_cpu = {(r["scale"], r["threads"]): r["cpu_s"] for r in runs if r["kind"] == "gb"}
    for r in runs:
        if r["simulator"] == "Ganglion" and r.get("rtf") and (r["scale"], r["threads"]) in build_cpu:
            # CPU of the simulation phase: the whole run's minus a build-only run's.
            r["sim_cpu_s"] = r["cpu_s"] - build_cpu[(r["scale"], r["threads"])]
            r["cpu_rtf"] = r["sim_cpu_s"] / r["model_s"]
        if r["simulator"] != "Ganglion" and r.get("sim_cpu_s"):
            r["cpu_rtf"] = r["sim_cpu_s"] / r["model_s"]
    groups = {}
    for r in runs:
        if r["kind"] == "gb":
            continue
        key = (f'{"Ganglion" if r["simulator"] == "Ganglion" else "NEST"} scale {r["scale"]} '
               f'threads {r["threads"]} model {r.get("model_s")} s')
        groups.setdefault(key, []).append(r)
    summary = {}
    for k, rs in sorted(groups.items()):
        summary[k] = {
            "runs": len(rs), "seeds": [r["seed"] for r in rs],
            "build_s_median": med([r["build_s"] for r in rs]),
            "rtf_median": med([r.get("rtf") for r in rs]),
            "rtf_min": min(r["rtf"] for r in rs if r.get("rtf")),
            "cpu_rtf_median": med([r.get("cpu_rtf") for r in rs]),
            "peak_rss_mb_median": med([r["peak_rss_mb"] for r in rs]),
        }
    res = {"runs": runs, "summary": summary}
    if os.path.exists(ens):
        e = json.load(open(ens))
        res["ensemble"] = {k: e[k] for k in ["scale", "window_ms", "bin_ms", "subsample",
                                             "nest_runs", "ganglion_runs"]}
        res["ensemble"]["ks"] = {
            p: {o: {k: v for k, v in d.items()} for o, d in obs.items()}
            for p, obs in e["ks"].items()}
    with open(out, "w") as f:
        json.dump(res, f, indent=1)
    for k, v in summary.items():
        print(k, json.dumps(v))


if __name__ == "__main__":
    main()
