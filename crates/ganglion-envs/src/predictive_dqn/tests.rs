use super::*;

#[test]
fn gradient_matches_finite_differences() {
    for seed in [1, 2, 3] {
        let e = gradient_check(seed);
        assert!(e < 1e-6, "seed {seed}: max gradient error {e}");
    }
}

/// The loss by hand for a one-sample batch: Q term only, done transition, so y = r.
#[test]
fn q_loss_by_hand() {
    let world = Gridworld::new(2, 3).unwrap();
    let obs = world.observations();
    let net = Net::new(world.obs_len(), 4, 2, 9);
    let s = Sample {
        s: 1,
        a: 1,
        r: 1.0,
        next: 3,
        done: true,
        next_action: None,
    };
    let (p, _) = loss_and_grad(&net, &net, &net, &obs, &[s], 0.9, &AuxWeights::none());
    let q = net.q(&net.encode(&obs[16..32]))[1];
    assert!((p.q - (q - 1.0).powi(2)).abs() < 1e-12);
    assert_eq!(p.positive + p.neg_neighbor + p.neg_random, 0.0);
}

#[test]
fn participation_ratio_bounds() {
    // Isotropic: the four corners of a square in 2-d give 2; points on a line give 1.
    let sq = vec![
        vec![1.0, 1.0],
        vec![1.0, -1.0],
        vec![-1.0, 1.0],
        vec![-1.0, -1.0],
    ];
    assert!((participation_ratio(&sq) - 2.0).abs() < 1e-12);
    let line: Vec<Vec<f64>> = (0..5).map(|i| vec![i as f64, 2.0 * i as f64]).collect();
    assert!((participation_ratio(&line) - 1.0).abs() < 1e-12);
}

#[test]
fn map_correlation_of_true_coordinates() {
    // Latents = cell coordinates: Euclidean vs Manhattan distance, strongly correlated.
    let w = Gridworld::new(4, 0).unwrap();
    let z: Vec<Vec<f64>> = (0..16)
        .map(|s| vec![(s / 4) as f64, (s % 4) as f64])
        .collect();
    let r = map_correlation(&w, &z);
    assert!(r > 0.95 && r < 1.0, "{r}");
    // With L1 latents... a scaled copy of the path distance gives exactly 1.
    assert!((pearson(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]) - 1.0).abs() < 1e-12);
}

/// The model-free agent learns a 4×4 arena from a random walk.
#[test]
fn learns_small_arena() {
    let world = Gridworld::new(4, 15).unwrap();
    let cfg = DqnConfig {
        hidden: 32,
        latent: 8,
        gamma: 0.9,
        lr: 1e-3,
        batch: 32,
        target_every: 200,
        aux: AuxWeights::none(),
        seed: 1,
    };
    let sched = Schedule {
        episodes: 60,
        max_steps: 50,
        eval_every: 20,
        epsilon: 1.0,
    };
    let t = train(&world, &cfg, &sched, None, false);
    assert_eq!(t.curve.len(), 4);
    assert!(t.curve[3].success > 0.9, "{:?}", t.curve);
}

#[test]
fn collapsed_latents_have_no_map_and_no_dimension() {
    // A dead encoder (every hidden ReLU silent) maps every state to the same latent.
    let world = Gridworld::new(3, 4).unwrap();
    let z = vec![vec![0.2, 0.23, -0.15]; world.states()];
    assert_eq!(map_correlation(&world, &z), 0.0);
    assert_eq!(participation_ratio(&z), 0.0);
}
