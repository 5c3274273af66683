#!/usr/bin/env python3
"""The MuJoCo swimmer side by side: `ganglion env rollout` against DeepMind Control's own
swimmer (dm_control.suite.swimmer, dm-control 1.0.50 on mujoco 3.17.0), and the speed of
`ganglion env bench` against the official `mujoco` Python bindings stepping the same XML.

Agreement: for each case, the same start (all joints 0 at rest and the target at (X, Y), or
dm_control's random start from RandomState(seed)), the same open-loop wave
u_j(t) = A sin(2 pi t / P - j F) for 1000 control steps; the reward sum and the nose's (x, y)
after every control step must agree to 1e-3 (asserted).

Speed: control steps (15 physics steps each) per second on one core, median of --repeats runs
of --episodes episodes of 1000 steps, interleaved, every loop on the same trajectory (each
episode from mj_resetData's reference state, target at (1, 1); `ganglion env bench --init zero`,
checked by the final nose position): ganglion (full environment step:
observation and reward every step), the `mujoco` bindings (set ctrl, mj_step(m, d, 15): the
physics alone, no observation or reward) both on mujoco 3.17.0 and on 4.0.0 (bench/envs/
.venv-mj4: the very libmujoco.so.4.0.0 that ganglion loads), and dm_control's
Environment.step.

    bench/envs/setup.sh && cargo build --release -p ganglion-cli
    bench/envs/.venv/bin/python bench/envs/swimmer_rollout.py [--repeats 5] [--episodes 4]
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings

# dm_control imports GLFW for rendering, which warns without a display; nothing is rendered.
warnings.filterwarnings("ignore", module="glfw")

import numpy as np
import mujoco

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def wave(t, n, amp, period, phase):
    j = np.arange(n)
    return amp * np.sin(2 * np.pi * t / period - j * phase)


def dm_rollout(links, steps, amp, period, phase, target=None, seed=None):
    """dm_control's own swimmer; target=(x, y) starts from all joints 0, else RandomState(seed)."""
    from dm_control.suite import swimmer
    env = swimmer.swimmer(n_links=links, random=seed if seed is not None else 0)
    env.reset()
    physics = env.physics
    if target is not None:
        zero_start(physics, target)
    rewards, nose = [], []
    for t in range(steps):
        ts = env.step(wave(t, links - 1, amp, period, phase))
        rewards.append(ts.reward)
        nose.append(physics.named.data.geom_xpos["nose"][:2].copy())
    return float(np.sum(rewards)), np.array(nose)


def golden():
    """Full-precision dm_control values that tests/mujoco.rs asserts (`--golden`)."""
    from dm_control.suite import swimmer
    for links, start, (amp, period, phase) in [(6, dict(target=(0.0, -1.5)), (1.0, 60, 1.5)),
                                               (6, dict(seed=3), (1.0, 60, 1.5))]:
        r, nose = dm_rollout(links, 1000, amp, period, phase, **start)
        print(f"rollout links={links} {start} amp={amp} period={period} phase={phase}: "
              f"reward_sum={r!r} final_nose=[{float(nose[-1][0])!r}, {float(nose[-1][1])!r}]")
    env = swimmer.swimmer(n_links=5, random=3)
    ts = env.reset()
    physics = env.physics
    flat = np.concatenate([np.asarray(v, dtype=float).ravel() for v in ts.observation.values()])
    print("observation keys: " + ", ".join(ts.observation))
    print("reset(3), 5 links: qpos=" + repr([float(x) for x in physics.data.qpos]))
    print("target=" + repr([float(x) for x in physics.named.model.geom_pos["target"][:2]]))
    print("flat_observation=" + repr([float(x) for x in flat]))


def ganglion(exe, *args):
    out = subprocess.run([exe, *args], check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout)


def ganglion_rollout(exe, links, steps, amp, period, phase, target=None, seed=None):
    args = ["env", "rollout", "--links", str(links), "--steps", str(steps),
            "--control", f"sine:amp={amp},period={period},phase={phase}", "--json"]
    if target is not None:
        args += ["--init", "zero", f"--target={target[0]},{target[1]}"]
    else:
        args += ["--init", "random", "--seed", str(seed)]
    v = ganglion(exe, *args)
    return v["reward_sum"], np.array(v["nose_xy"])


def nose_xy(m, d):
    g = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_GEOM, "nose")
    return [float(d.geom_xpos[g][0]), float(d.geom_xpos[g][1])]


def zero_start(physics, target=(1.0, 1.0)):
    """As `--init zero`: the model's reference pose at rest, the target (and its light, as
    Swimmer.initialize_episode does) at `target`: what mj_resetData gives the bindings."""
    with physics.reset_context():
        physics.data.qpos[:] = 0
        physics.data.qvel[:] = 0
        physics.named.model.geom_pos["target", "x"] = target[0]
        physics.named.model.geom_pos["target", "y"] = target[1]
        physics.named.model.light_pos["target_light", "x"] = target[0]
        physics.named.model.light_pos["target_light", "y"] = target[1]


def bindings_steps_per_second(xml, links, episodes, steps, amp, period, phase):
    m = mujoco.MjModel.from_xml_string(xml)
    d = mujoco.MjData(m)
    n = links - 1
    controls = [wave(t, n, amp, period, phase) for t in range(steps)]
    t0 = time.perf_counter()
    for _ in range(episodes):
        mujoco.mj_resetData(m, d)
        for t in range(steps):
            d.ctrl[:] = controls[t]
            mujoco.mj_step(m, d, 15)
    rate = episodes * steps / (time.perf_counter() - t0)
    # Untimed: positions of the final state (mj_step leaves geom_xpos one step behind).
    mujoco.mj_kinematics(m, d)
    return rate, nose_xy(m, d)


def bindings_env_steps_per_second(xml, links, episodes, steps, amp, period, phase):
    """The bindings driven as a full environment step, as one would without dm_control:
    dm_control's stepping (mj_step2, mj_step x 14, mj_step1) plus the swimmer's observation
    and reward computed with numpy."""
    m = mujoco.MjModel.from_xml_string(xml)
    d = mujoco.MjData(m)
    n = links - 1
    nose = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_GEOM, "nose")
    target = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_GEOM, "target")
    head = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_BODY, "head")
    size = m.geom_size[target, 0]
    controls = [wave(t, n, amp, period, phase) for t in range(steps)]
    t0 = time.perf_counter()
    total = 0.0
    for _ in range(episodes):
        mujoco.mj_resetData(m, d)
        mujoco.mj_forward(m, d)
        for t in range(steps):
            d.ctrl[:] = controls[t]
            mujoco.mj_step2(m, d)
            mujoco.mj_step(m, d, 14)
            mujoco.mj_step1(m, d)
            to_target = (d.geom_xpos[target] - d.geom_xpos[nose]).dot(d.xmat[head].reshape(3, 3))[:2]
            obs = np.concatenate([d.qpos[3:], to_target, d.sensordata[12:].reshape(-1, 6)[:, [0, 1, 5]].ravel()])
            dist = np.linalg.norm(to_target)
            x = max(dist - size, 0.0) / (5 * size)
            total += 1.0 if dist <= size else 1.0 / (9.0 * x * x + 1.0)
    assert obs.shape == (n + 2 + 3 * links,)
    return episodes * steps / (time.perf_counter() - t0), nose_xy(m, d)


def dm_steps_per_second(links, episodes, steps, amp, period, phase):
    from dm_control.suite import swimmer
    env = swimmer.swimmer(n_links=links, random=0)
    n = links - 1
    controls = [wave(t, n, amp, period, phase) for t in range(steps)]
    t0 = time.perf_counter()
    for _ in range(episodes):
        # The same start as the other loops (mj_resetData's reference state, target at (1, 1)).
        env.reset()
        zero_start(env.physics)
        for t in range(steps):
            env.step(controls[t])
    rate = episodes * steps / (time.perf_counter() - t0)
    return rate, [float(x) for x in env.physics.named.data.geom_xpos["nose"][:2]]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ganglion", default=os.path.join(ROOT, "target", "release", "ganglion"))
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--episodes", type=int, default=4)
    ap.add_argument("--links", type=int, default=6)
    ap.add_argument("--bindings-only", metavar="XML",
                    help="only time the bindings of this interpreter on XML and print steps/s "
                         "(how the 4.0.0 bindings in .venv-mj4 are timed)")
    ap.add_argument("--golden", action="store_true",
                    help="print the dm_control values tests/mujoco.rs asserts, and stop")
    a = ap.parse_args()
    if a.golden:
        golden()
        return
    if a.bindings_only:
        with open(a.bindings_only) as f:
            xml = f.read()
        raw, nose_raw = bindings_steps_per_second(xml, a.links, a.episodes, 1000, 1.0, 60, 1.5)
        task, nose_task = bindings_env_steps_per_second(xml, a.links, a.episodes, 1000, 1.0, 60, 1.5)
        print(json.dumps([raw, task, nose_raw, nose_task]))
        return
    exe = a.ganglion
    steps = 1000

    print("## Agreement with dm_control (1000 control steps each)\n")
    print("| links | start | control (A, P, F) | reward sum dm_control | reward sum ganglion "
          "| abs diff | max nose diff [m] |")
    print("|---|---|---|---|---|---|---|")
    cases = [
        (6, dict(target=(1.0, 1.0)), (1.0, 60, 1.5)),
        (6, dict(target=(0.0, -1.5)), (1.0, 60, 1.5)),
        (4, dict(target=(-0.5, 0.8)), (0.7, 30, 0.8)),
        (10, dict(target=(1.0, -1.0)), (1.0, 60, 0.6)),
        (6, dict(seed=3), (1.0, 60, 1.5)),
        (15, dict(seed=7), (0.8, 45, 0.4)),
    ]
    worst = 0.0
    for links, start, (amp, period, phase) in cases:
        r_dm, nose_dm = dm_rollout(links, steps, amp, period, phase, **start)
        r_g, nose_g = ganglion_rollout(exe, links, steps, amp, period, phase, **start)
        assert nose_g.shape == nose_dm.shape, (nose_g.shape, nose_dm.shape)
        dr = abs(r_dm - r_g)
        dn = float(np.max(np.abs(nose_dm - nose_g)))
        worst = max(worst, dr, dn)
        label = f"target {start['target']}" if "target" in start else f"RandomState({start['seed']})"
        print(f"| {links} | {label} | {amp}, {period}, {phase} | {r_dm:.6f} | {r_g:.6f} "
              f"| {dr:.2e} | {dn:.2e} |")
        assert dr < 1e-3 and dn < 1e-3, f"disagreement: reward {dr}, nose {dn}"
    print(f"\nworst difference {worst:.2e} (asserted < 1e-3)\n")

    links, amp, period, phase = a.links, 1.0, 60, 1.5
    xml = subprocess.run([exe, "env", "xml", "--links", str(links)], check=True,
                         capture_output=True, text=True).stdout
    mj4 = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".venv-mj4", "bin", "python")
    xml_path = os.path.join(ROOT, "target", f"swimmer{links}.xml")
    with open(xml_path, "w") as f:
        f.write(xml)
    runs = {"ganglion": [], "mujoco bindings": [], "mujoco 4.0.0 bindings": [],
            "mujoco bindings + numpy task": [], "mujoco 4.0.0 bindings + numpy task": [],
            "dm_control": []}
    if not os.path.exists(mj4):
        print(f"(no {mj4}: run bench/envs/setup.sh to time the 4.0.0 bindings)")
        del runs["mujoco 4.0.0 bindings"]
        del runs["mujoco 4.0.0 bindings + numpy task"]
    # Every implementation runs the same trajectory: each episode from the model's reference
    # state (mj_resetData: joints 0, at rest, target at (1, 1)) under the same wave. The nose
    # after the last step is checked against `ganglion env rollout` of that start.
    ctrl = f"sine:amp={amp},period={period},phase={phase}"
    want = ganglion(exe, "env", "rollout", "--links", str(links), "--steps", str(steps),
                    "--init", "zero", "--target=1,1", "--control", ctrl, "--json")["nose_xy"][-1]
    noses = {}
    load = []
    for _ in range(a.repeats):
        load.append(os.getloadavg()[0])
        v = ganglion(exe, "env", "bench", "--links", str(links), "--episodes", str(a.episodes),
                     "--steps", str(steps), "--threads", "1", "--init", "zero",
                     "--control", ctrl, "--json")
        runs["ganglion"].append(v["steps_per_second_per_thread"])
        rate, noses["mujoco bindings"] = bindings_steps_per_second(
            xml, links, a.episodes, steps, amp, period, phase)
        runs["mujoco bindings"].append(rate)
        rate, noses["mujoco bindings + numpy task"] = bindings_env_steps_per_second(
            xml, links, a.episodes, steps, amp, period, phase)
        runs["mujoco bindings + numpy task"].append(rate)
        if "mujoco 4.0.0 bindings" in runs:
            out = subprocess.run([mj4, __file__, "--bindings-only", xml_path, "--links", str(links),
                                  "--episodes", str(a.episodes)],
                                 check=True, capture_output=True, text=True)
            raw, task, noses["mujoco 4.0.0 bindings"], noses["mujoco 4.0.0 bindings + numpy task"] = \
                json.loads(out.stdout)
            runs["mujoco 4.0.0 bindings"].append(raw)
            runs["mujoco 4.0.0 bindings + numpy task"].append(task)
        rate, noses["dm_control"] = dm_steps_per_second(links, a.episodes, steps, amp, period, phase)
        runs["dm_control"].append(rate)
    same = max(max(abs(n[0] - want[0]), abs(n[1] - want[1])) for n in noses.values())
    assert same < 1e-6, f"the timed loops did not run ganglion's trajectory: {noses} vs {want}"
    med = {k: statistics.median(v) for k, v in runs.items()}
    print(f"## Speed, {links}-link swimmer, one core ({a.repeats} runs of {a.episodes} x {steps} "
          f"control steps, 15 physics steps each)\n")
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"mujoco {mujoco.__version__} (bindings), libmujoco 4.0.0 (ganglion)\n")
    print(f"All loops run the same trajectory (each episode from mj_resetData's reference state, "
          f"target at (1, 1)): final nose within {same:.1e} m of ganglion's {want}. "
          f"Load average (1 min) at the start of each repeat: "
          f"{', '.join(f'{x:.1f}' for x in load)}.\n")
    print("| implementation | what one step does | control steps/s (median) | runs | ganglion / this |")
    print("|---|---|---|---|---|")
    what = {
        "ganglion": "ctrl, 15 physics steps, observation, reward",
        "mujoco bindings": f"ctrl, mj_step(m, d, 15) (no observation or reward), mujoco {mujoco.__version__}",
        "mujoco 4.0.0 bindings": "the same on mujoco 4.0.0 (ganglion's libmujoco)",
        "mujoco bindings + numpy task": f"ctrl, mj_step2 + mj_step(m, d, 14) + mj_step1, observation and reward in numpy, mujoco {mujoco.__version__}",
        "mujoco 4.0.0 bindings + numpy task": "the same on mujoco 4.0.0",
        "dm_control": "Environment.step (ctrl, 15 steps, observation, reward); start set as the others'",
    }
    for k, v in runs.items():
        print(f"| {k} | {what[k]} | {med[k]:.0f} | {', '.join(f'{x:.0f}' for x in v)} "
              f"| {med['ganglion'] / med[k]:.2f} |")


if __name__ == "__main__":
    sys.exit(main())
