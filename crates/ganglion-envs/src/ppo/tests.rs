use super::*;
use crate::ncap::NcapConfig;

#[test]
fn ncap_actor_matches_the_circuit() {
    for constrained in [true, false] {
        let mut c = Ncap::new(
            NcapConfig {
                constrained,
                ..NcapConfig::paper(5)
            },
            3,
        );
        c.set_params(&[0.7, 1.3, 0.4, -0.6]);
        let a = NcapActor::new(c.clone());
        let raw = [0.4, -0.9, 0.1, 1.5, -0.2, 9.0, 9.0];
        for t in [0, 29, 30, 59, 61] {
            let mut want = [0.0; 5];
            let obs = crate::swimmer::Observation {
                joints: raw[..5].to_vec(),
                to_target: [0.0; 2],
                body_velocities: vec![],
            };
            crate::rollout::Policy::act(&c, t, &obs, &mut want);
            let mut got = [0.0; 5];
            a.mean(
                &ActorInput {
                    raw: &raw,
                    norm: &raw,
                    t,
                },
                &mut got,
            );
            assert_eq!(got, want, "t = {t}, constrained {constrained}");
        }
    }
}

/// Central finite difference of Σ c·μ over the actor's parameters.
fn fd_check<A: Actor>(actor: &A, input: &ActorInput, c: &[f64], tol: f64) {
    let mut grad = vec![0.0; actor.params().len()];
    actor.backward(input, c, &mut grad);
    let f = |a: &A| {
        let mut mu = vec![0.0; c.len()];
        a.mean(input, &mut mu);
        mu.iter().zip(c).map(|(m, c)| m * c).sum::<f64>()
    };
    let h = 1e-6;
    for k in 0..grad.len() {
        let mut p = actor.params().to_vec();
        let mut up = actor.clone();
        p[k] += h;
        up.set_params(&p);
        let mut down = actor.clone();
        p[k] -= 2.0 * h;
        down.set_params(&p);
        let fd = (f(&up) - f(&down)) / (2.0 * h);
        assert!(
            (fd - grad[k]).abs() < tol,
            "param {k}: finite difference {fd}, backward {}",
            grad[k]
        );
    }
}

#[test]
fn ncap_gradient_matches_finite_differences() {
    // Weights and angles away from the clamps' kinks, so the circuit is differentiable
    // there: B-neurons and muscles strictly inside (0, 1) or outside.
    let raw = [0.35, -0.5, 0.2, -0.15, 0.4, 0.0];
    let c = [0.9, -1.1, 0.6, 1.7, -0.4];
    for constrained in [true, false] {
        for params in [[0.8, 0.6, 0.9, -0.3], [1.7, 0.45, 0.55, -0.25]] {
            let mut n = Ncap::new(
                NcapConfig {
                    constrained,
                    ..NcapConfig::paper(5)
                },
                0,
            );
            n.set_params(&params);
            let a = NcapActor::new(n);
            for t in [3, 40] {
                fd_check(
                    &a,
                    &ActorInput {
                        raw: &raw,
                        norm: &raw,
                        t,
                    },
                    &c,
                    1e-8,
                );
            }
        }
    }
    // A sign-violating weight has zero gradient under constraints, not without them.
    let mut n = Ncap::new(NcapConfig::paper(5), 0);
    n.set_params(&[0.8, 0.6, 0.9, 0.3]);
    let a = NcapActor::new(n);
    let mut g = [0.0; 4];
    a.backward(
        &ActorInput {
            raw: &raw,
            norm: &raw,
            t: 3,
        },
        &c,
        &mut g,
    );
    assert_eq!(g[3], 0.0);
}

#[test]
fn mlp_actor_gradient_matches_finite_differences() {
    let a = MlpActor(Mlp::new(&[4, 8, 3], 5));
    let x = [0.2, -0.4, 1.1, 0.05];
    fd_check(
        &a,
        &ActorInput {
            raw: &x,
            norm: &x,
            t: 0,
        },
        &[0.3, -1.0, 0.8],
        1e-8,
    );
}

fn critic_loss<A: Actor>(p: &Ppo<A, PointMass>, batch: &[(&Sample, f64, f64)]) -> f64 {
    batch
        .iter()
        .map(|(s, _, ret)| {
            let v = Ppo::<A, PointMass>::value(&p.critic, &s.norm, s.t, p.horizon);
            0.5 * (v - ret) * (v - ret)
        })
        .sum::<f64>()
        / batch.len() as f64
}

#[test]
fn surrogate_and_value_gradients_match_finite_differences() {
    let config = PpoConfig {
        envs: 2,
        steps: 20,
        critic_hidden: vec![6],
        log_std: -0.3,
        entropy: 0.01,
        threads: 2,
        ..PpoConfig::default()
    };
    let actor = MlpActor(Mlp::new(&[6, 5, 2], 1));
    let mut p = Ppo::new(actor, vec![PointMass::new(15); 2], config).expect("valid");
    let (per_env, _) = p.rollout().expect("rollout");
    // Move the policy off the sampling one so that some ratios are clipped.
    let mut q = p.actor.params().to_vec();
    let mut r = RandomState::new(4);
    q.iter_mut().for_each(|x| *x += 0.3 * r.randn());
    p.actor.set_params(&q);
    p.log_std = vec![-0.1, -0.5];
    let samples: Vec<&Sample> = per_env.iter().flatten().collect();
    let mut rr = RandomState::new(9);
    let batch: Vec<(&Sample, f64, f64)> = samples
        .iter()
        .map(|s| (*s, rr.randn(), rr.randn()))
        .collect();
    let (ga, gc, sums) = p.gradients(&batch);
    assert!(sums[1] > 0.0 && sums[1] < batch.len() as f64, "{sums:?}");
    let h = 1e-6;
    let na = p.actor.params().len();
    for k in 0..na + 2 {
        let mut up = p.actor.clone();
        let mut ls = p.log_std.clone();
        // Evaluate at ±h on a clone of the learner's pieces.
        let mut eval = |delta: f64| {
            let mut th = p.actor.params().to_vec();
            let mut l = p.log_std.clone();
            if k < na {
                th[k] += delta;
            } else {
                l[k - na] += delta;
            }
            up.set_params(&th);
            ls.clone_from(&l);
            let mut mu = vec![0.0; 2];
            let eps = p.config.clip;
            let mut total = 0.0;
            for (s, adv, _) in &batch {
                up.mean(
                    &ActorInput {
                        raw: &s.raw,
                        norm: &s.norm,
                        t: s.t,
                    },
                    &mut mu,
                );
                let r = (log_prob(&s.action, &mu, &ls) - s.logp).exp();
                total -= (r * adv).min(r.clamp(1.0 - eps, 1.0 + eps) * adv);
            }
            total / batch.len() as f64 - p.config.entropy * ls.iter().sum::<f64>()
        };
        let fd = (eval(h) - eval(-h)) / (2.0 * h);
        assert!(
            (fd - ga[k]).abs() < 1e-7,
            "actor parameter {k}: finite difference {fd}, gradient {}",
            ga[k]
        );
    }
    let nc = p.critic.params().len();
    for k in 0..nc {
        let base = p.critic.params().to_vec();
        let mut th = base.clone();
        th[k] += h;
        p.critic.set_params(&th);
        let up = critic_loss(&p, &batch);
        th[k] -= 2.0 * h;
        p.critic.set_params(&th);
        let down = critic_loss(&p, &batch);
        p.critic.set_params(&base);
        let fd = (up - down) / (2.0 * h);
        assert!(
            (fd - gc[k]).abs() < 1e-7,
            "critic parameter {k}: finite difference {fd}, gradient {}",
            gc[k]
        );
    }
}

#[test]
fn gae_by_hand() {
    // One environment, three steps, the second ends an episode: the chain is cut there.
    let config = PpoConfig {
        envs: 1,
        gamma: 0.9,
        lambda: 0.5,
        ..PpoConfig::default()
    };
    let p = Ppo::new(
        MlpActor(Mlp::new(&[6, 2], 0)),
        vec![PointMass::new(2)],
        config,
    )
    .expect("valid");
    let s = |reward: f64, value: f64, next_value: f64, cut: bool| Sample {
        raw: vec![],
        norm: vec![],
        t: 0,
        action: vec![],
        logp: 0.0,
        value,
        reward,
        next_value,
        cut,
    };
    let per_env = vec![vec![
        s(1.0, 0.5, 0.2, false),
        s(0.0, 0.2, 0.7, true),
        s(2.0, 0.1, 0.3, true),
    ]];
    let (adv, ret) = p.advantages(&per_env);
    let d2 = 2.0 + 0.9 * 0.3 - 0.1;
    let d1 = 0.0 + 0.9 * 0.7 - 0.2;
    let d0 = 1.0 + 0.9 * 0.2 - 0.5 + 0.45 * d1;
    let raw = [d0, d1, d2];
    for k in 0..3 {
        assert!((ret[k] - (raw[k] + per_env[0][k].value)).abs() < 1e-12);
    }
    let m = raw.iter().sum::<f64>() / 3.0;
    let sd = (raw.iter().map(|a| (a - m) * (a - m)).sum::<f64>() / 3.0).sqrt();
    for k in 0..3 {
        assert!((adv[k] - (raw[k] - m) / (sd + 1e-8)).abs() < 1e-12);
    }
}

#[test]
fn normalizer_matches_batch_statistics() {
    let mut n = Normalizer::new(2);
    let rows = [1.0, 10.0, 3.0, 20.0, 5.0, 60.0, 7.0, 30.0];
    n.update(&rows[..4]);
    n.update(&rows[4..]);
    let mut out = [0.0; 2];
    n.apply(&[4.0, 30.0], &mut out);
    // Means 4 and 30, population variances 5 and 350.
    assert!(out[0].abs() < 1e-12 && out[1].abs() < 1e-12, "{out:?}");
    n.apply(&[4.0 + 5f64.sqrt(), 30.0 - 350f64.sqrt()], &mut out);
    assert!(
        (out[0] - 1.0).abs() < 1e-8 && (out[1] + 1.0).abs() < 1e-8,
        "{out:?}"
    );
}

#[test]
fn ppo_learns_to_reach_the_goal() {
    let horizon = 40;
    let config = PpoConfig {
        envs: 8,
        steps: 160,
        epochs: 8,
        minibatch: 128,
        lr_actor: 3e-3,
        lr_critic: 3e-3,
        log_std: -0.5,
        critic_hidden: vec![32],
        threads: 2,
        seed: 3,
        ..PpoConfig::default()
    };
    let actor = MlpActor::new(&[6, 32, 2], 7);
    let envs = vec![PointMass::new(horizon); 8];
    let mut ppo = Ppo::new(actor, envs, config).expect("valid");
    let mut eval_env = PointMass::new(horizon);
    let eval = |ppo: &Ppo<MlpActor, PointMass>, env: &mut PointMass| -> f64 {
        (0..20)
            .map(|s| ppo.evaluate(env, 5000 + s).expect("eval"))
            .sum::<f64>()
            / 20.0
    };
    // The random policy: uniform actions in [-1, 1]².
    let mut r = RandomState::new(1);
    let mut random = 0.0;
    for s in 0..20 {
        eval_env.reset(5000 + s).expect("reset");
        for _ in 0..horizon {
            let a = [r.uniform(-1.0, 1.0), r.uniform(-1.0, 1.0)];
            random += eval_env.step(&a).expect("step").1;
        }
    }
    random /= 20.0;
    // A hand-tuned PD controller towards the goal, as a reference for a good policy.
    let mut pd = 0.0;
    for s in 0..20 {
        let mut o = eval_env.reset(5000 + s).expect("reset");
        for _ in 0..horizon {
            let a = [4.0 * o[4] - 1.0 * o[2], 4.0 * o[5] - 1.0 * o[3]];
            let (next, r) = eval_env.step(&a).expect("step");
            pd += r;
            o = next;
        }
    }
    pd /= 20.0;
    let before = eval(&ppo, &mut eval_env);
    for _ in 0..40 {
        ppo.update().expect("update");
    }
    let after = eval(&ppo, &mut eval_env);
    assert_eq!(ppo.env_steps(), 40 * 8 * 160);
    // Seen: random −43, untrained −41 (mean ≈ 0: the mass stays put), PD −7.6, PPO after
    // 51 200 steps −9.8.
    assert!(
        after > 0.3 * random && after > 1.5 * pd && after > 0.3 * before,
        "PPO return {after}, before training {before}, random policy {random}, PD {pd}"
    );
}
