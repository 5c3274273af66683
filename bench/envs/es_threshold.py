"""ES wall time to a reward threshold: Ganglion (`ganglion env es`) against the same NCAP
training written in Python the way the NCAP repository runs it (numpy NCAP, estorch-style ES
with Adam, DeepMind Control's swimmer stepping the MuJoCo bindings).

Both sides run the same algorithm on the same numbers: NCAP's four shared, sign-constrained
weights (init 1, 1, 1, -1), the swim task (reward: forward head speed, tolerance to 0.1 m/s;
observation: joint angles + body velocities), episodes of 1000 control steps from
dm_control's random start RandomState(s), generation g of seed S evaluated on start
100000*S + g, perturbations from RandomState(S).normal(0, sigma), centred ranks, the
gradient clipped to +-1, PyTorch-style Adam (lr 0.01, weight decay 0.005). After every
generation the mean return over starts 900000.. is evaluated; a run stops when it reaches
--threshold. Because the perturbations come from the same MT19937 stream, the two
implementations follow the same parameter trajectory: the script asserts that every
generation's parameters agree (to 1e-6) before it reports times.

Parallelism: Ganglion evaluates the population on --threads threads; the Python side on a
multiprocessing pool of the same size (one dm_control environment per worker), as
estorch's `n_proc` does.

    bench/envs/setup.sh && cargo build --release -p ganglion-cli
    bench/envs/.venv/bin/python bench/envs/es_threshold.py --seeds 1 2 3 --threshold 400 --threads 2
"""
import argparse
import json
import multiprocessing as mp
import os
import platform
import subprocess
import sys
import time

import numpy as np
from dm_control.rl import control
from dm_control.suite import swimmer
from dm_control.utils import rewards

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GANGLION = os.path.join(ROOT, "target", "release", "ganglion")
SWIM_SPEED = 0.1
POP, SIGMA, LR, DECAY, CLIP, PERIOD = 8, 0.02, 0.01, 0.005, 1.0, 60


class Swim(swimmer.Swimmer):
    """The NCAP paper's swim task: forward speed of the head, target hidden."""

    def get_observation(self, physics):
        return np.concatenate([physics.joints(), physics.body_velocities()])

    def get_reward(self, physics):
        v = -physics.body_velocities()[1]
        return rewards.tolerance(v, bounds=(SWIM_SPEED, float("inf")), margin=SWIM_SPEED,
                                 value_at_margin=0.0, sigmoid="linear")


def make_env(links, horizon):
    physics = swimmer.Physics.from_xml_string(*swimmer.get_model_and_assets(links))
    task = Swim(random=0)
    return control.Environment(physics, task, time_limit=horizon * swimmer._CONTROL_TIMESTEP,
                               control_timestep=swimmer._CONTROL_TIMESTEP)


def ncap_torques(theta, q, t):
    """NCAP (shared weights, sign-constrained): torques from normalised joint angles q."""
    prop, osc, ipsi, contra = max(theta[0], 0), max(theta[1], 0), max(theta[2], 0), min(theta[3], 0)
    osc_d, osc_v = (1.0, 0.0) if t % PERIOD < PERIOD // 2 else (0.0, 1.0)
    out = np.empty(len(q))
    for i in range(len(q)):
        if i == 0:
            b_d, b_v = osc_d * osc, osc_v * osc
        else:
            b_d = min(max(q[i - 1], 0.0), 1.0) * prop
            b_v = min(max(-q[i - 1], 0.0), 1.0) * prop
        b_d, b_v = min(max(b_d, 0.0), 1.0), min(max(b_v, 0.0), 1.0)
        m_d = min(max(b_d * ipsi + b_v * contra, 0.0), 1.0)
        m_v = min(max(b_v * ipsi + b_d * contra, 0.0), 1.0)
        out[i] = m_d - m_v
    return out


_ENV = None


def episode_return(args):
    theta, seed, links, horizon = args
    global _ENV
    if _ENV is None:
        _ENV = make_env(links, horizon)
    _ENV.task._random = np.random.RandomState(seed)
    ts = _ENV.reset()
    limit = 2 * np.pi / links
    total = 0.0
    for t in range(horizon):
        q = np.clip(ts.observation[: links - 1] / limit, -1.0, 1.0)
        ts = _ENV.step(ncap_torques(theta, q, t))
        total += ts.reward
    return total


def centred_ranks(f):
    order = np.argsort(np.asarray(f), kind="stable")
    ranks = np.empty(len(f))
    ranks[order] = np.arange(len(f))
    return ranks / (len(f) - 1) - 0.5


def python_es(seed, links, horizon, generations, threshold, eval_episodes, pool):
    rng = np.random.RandomState(seed)
    theta = np.array([1.0, 1.0, 1.0, -1.0])
    m, v = np.zeros(4), np.zeros(4)
    start = time.perf_counter()
    rows, reached = [], None
    evals = [900_000 + i for i in range(eval_episodes)]
    for g in range(generations):
        half = POP // 2
        eps = rng.normal(0.0, SIGMA, size=(half, 4))
        members = [theta + eps[k] for k in range(half)] + [theta - eps[k] for k in range(half)]
        ep = 100_000 * seed + g
        fit = pool.map(episode_return, [(p, ep, links, horizon) for p in members])
        r = centred_ranks(fit)
        grad = ((r[:half] - r[half:])[:, None] * eps).sum(0) / (POP * SIGMA)
        grad = np.clip(grad, -CLIP, CLIP)
        # PyTorch Adam on the descent direction, L2 decay added to the gradient.
        gd = -grad + DECAY * theta
        t = g + 1
        m = 0.9 * m + 0.1 * gd
        v = 0.999 * v + 0.001 * gd * gd
        theta = theta - LR / (1 - 0.9 ** t) * m / (np.sqrt(v) / np.sqrt(1 - 0.999 ** t) + 1e-8)
        ret = float(np.mean(pool.map(episode_return, [(theta, s, links, horizon) for s in evals])))
        secs = time.perf_counter() - start
        rows.append({"generation": g + 1, "seconds": secs, "return": ret, "theta": theta.tolist()})
        if threshold is not None and ret >= threshold:
            reached = (g + 1, secs)
            break
    return rows, reached


def ganglion_es(seed, links, horizon, generations, threshold, eval_episodes, threads):
    cmd = [GANGLION, "env", "es", "--links", str(links), "--horizon", str(horizon),
           "--generations", str(generations), "--eval-episodes", str(eval_episodes),
           "--seed", str(seed), "--threads", str(threads), "--json"]
    if threshold is not None:
        cmd += ["--threshold", str(threshold)]
    out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    g = out["reached_generation"]
    return out["generations"], (None if g is None else (g, out["seconds_to_threshold"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--links", type=int, default=6)
    ap.add_argument("--horizon", type=int, default=1000)
    ap.add_argument("--generations", type=int, default=40)
    ap.add_argument("--threshold", type=float, default=400.0)
    ap.add_argument("--eval-episodes", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    print(f"# ES to a return of {a.threshold} (NCAP, {a.links}-link swim task, horizon {a.horizon}, "
          f"{a.threads} workers each); {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}, numpy {np.__version__}", flush=True)
    results = []
    with mp.Pool(a.threads) as pool:
        for seed in a.seeds:
            g_rows, g_hit = ganglion_es(seed, a.links, a.horizon, a.generations, a.threshold,
                                        a.eval_episodes, a.threads)
            p_rows, p_hit = python_es(seed, a.links, a.horizon, a.generations, a.threshold,
                                      a.eval_episodes, pool)
            n = min(len(g_rows), len(p_rows))
            worst = max(max(abs(x - y) for x, y in zip(g["theta"], p["theta"]))
                        for g, p in zip(g_rows[:n], p_rows[:n]))
            ret_diff = max(abs(g["return"] - p["return"]) for g, p in zip(g_rows[:n], p_rows[:n]))
            assert worst < 1e-6, f"seed {seed}: parameters differ by {worst}"
            assert g_hit is None or p_hit is None or g_hit[0] == p_hit[0], (g_hit, p_hit)
            results.append({"seed": seed, "ganglion": g_hit, "python": p_hit,
                            "theta_max_diff": worst, "return_max_diff": ret_diff,
                            "generations_compared": n})
            print(json.dumps(results[-1]), flush=True)
    hit = [r for r in results if r["ganglion"] and r["python"]]
    if hit:
        gs = sorted(r["ganglion"][1] for r in hit)
        ps = sorted(r["python"][1] for r in hit)
        med = lambda xs: xs[len(xs) // 2] if len(xs) % 2 else 0.5 * (xs[len(xs) // 2 - 1] + xs[len(xs) // 2])
        print(json.dumps({"median_seconds_ganglion": med(gs), "median_seconds_python": med(ps),
                          "ratio_python_over_ganglion": med(ps) / med(gs),
                          "seeds_reaching": len(hit), "seeds": len(results)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
