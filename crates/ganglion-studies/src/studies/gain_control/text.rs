//! The text of the `gain-control` report.

use std::fmt::Write as _;

use super::figures::Figs;
use super::{
    BASELINE, EXCITATION, Experiment, KAPPA, LAMBDA, NEAR_DEG, PAIR_DEG, SHARE, Sizes, Summary,
    Validation, WIDTH,
};
use crate::report::{self, Table, num};
use crate::{Check, Mode};

fn summary_row(t: &mut Table, label: &str, s: &Summary) {
    t.row(vec![
        label.into(),
        num(s.excitation),
        num(s.share),
        num(s.gain_ratio_at_adaptor),
        num(s.gain_ratio_orthogonal),
        num(s.mean_repulsion_deg),
        num(s.max_repulsion_deg),
        num(s.fraction_repelled),
        format!(
            "{} → {}",
            num(s.near_corr_unadapted),
            num(s.near_corr_adapted)
        ),
        format!("{} → {}", num(s.rate_cv_unadapted), num(s.rate_cv_adapted)),
    ]);
}

fn summary_table() -> Table {
    Table::new(&[
        "network",
        "recurrent excitation",
        "adaptor share",
        "gain ratio at adaptor",
        "gain ratio at 90°",
        "mean repulsion (≤45°) [deg]",
        "max repulsion [deg]",
        "fraction repelled",
        "near-adaptor correlation, unadapted → adapted",
        "rate CV, unadapted → adapted",
    ])
}

#[allow(clippy::too_many_arguments)]
pub(super) fn report_text(
    mode: Mode,
    s: Sizes,
    checks: &[Check],
    main: &Experiment,
    control: &Experiment,
    v: &Validation,
    sweep: &[Summary],
    figs: &Figs,
    elapsed: f64,
) -> String {
    let mut out = report::header(
        "gain-control — adaptive coding efficiency via single-neuron gains in a recurrent ring",
        mode,
        checks,
    );
    let _ = writeln!(
        out,
        "## What is reproduced\n\n\
         Duong, Bredenberg, Heeger & Simoncelli (2023) propose that V1 adaptation needs no synaptic change: \
         single-neuron gains, optimised to trade the fidelity of the stimulus representation against total \
         activity and propagated through fixed recurrent connections, reproduce the adaptation effects seen in \
         V1 population data (Benucci et al. 2013) — gain reduction near the adaptor, tuning-curve repulsion, \
         response decorrelation and homeostatic equalisation of mean rates. We check the **direction** of each \
         effect in a ring model, and that the two effects the paper attributes to recurrence vanish without it.\n\n\
         **The data are synthesised**: model stimuli (gratings of one orientation at a time) and model responses. \
         The paper fits published V1 recordings, which are not available here, so none of its fitted numbers can \
         be compared; the paper's full text was not available either (only its abstract), so the objective below \
         is ours, chosen to match the abstract's description.\n"
    );
    let _ = writeln!(
        out,
        "## Model\n\n\
         - {n} neurons, preferred orientations iπ/{n}; feedforward drive h_i(s) = {BASELINE} + exp({KAPPA}·(cos 2(s − θ_i) − 1)).\n\
         - Dynamics τ dr/dt = −r + G(h + W r), steady state r = (I − GW)⁻¹ G h; W circulant, local excitation \
         W_ij ∝ exp({WIDTH}·(cos 2(θ_i − θ_j) − 1)), rows summing to {EXCITATION}, no inhibition (with broad \
         inhibition added, neurons far from the adaptor are attracted instead — see What differs).\n\
         - Objective over the gains: L(g) = −ln det A + λ Σ_i r̄_i with A = (I − GW)⁻¹G and r̄ = A μ the mean rates \
         under the ensemble (λ = {LAMBDA}). −ln det A is, up to a constant, minus the information a noisy linear \
         response carries about a Gaussian drive ensemble at high signal-to-noise (½ ln det(A C Aᵀ) = ln det A + \
         const); the activity cost is the total mean rate. Without recurrence the optimum is g_i = 1/(λ μ_i). \
         Gains are optimised in ln g by gradient descent (hand-written gradient, Barzilai–Borwein steps, Armijo \
         backtracking that never leaves the stable region).\n\
         - Ensembles: {m} equally spaced orientations; uniform (unadapted) or with {SHARE} of the probability moved \
         onto 0° (the adaptor; the share is our choice).\n\
         - Measures on the biased ensemble: preference by vector mean of the tuning curve (doubled angle) and by \
         parabolic peak on a {grid}-point grid; correlation = stimulus-driven correlation (covariance A C Aᵀ, no \
         response noise) averaged over pairs within ±{PAIR_DEG}° of the adaptor; homeostasis = coefficient of \
         variation of the mean rates across neurons. Repulsion is averaged over neurons with 0 < |offset| ≤ {NEAR_DEG}°.\n",
        n = s.n,
        m = s.m,
        grid = s.grid,
    );
    let _ = writeln!(out, "## Checks\n\n{}", report::checks_table(checks));
    let mut t = summary_table();
    summary_row(&mut t, "recurrent", &main.summary);
    summary_row(&mut t, "no recurrence (W = 0)", &control.summary);
    let _ = writeln!(
        out,
        "## Results\n\n{}\n\
         Optimiser: {} / {} iterations (unadapted / adapted), final gradient norms {} / {} in ln g. Scalar \
         (Fourier) optimum of the uniform ensemble g = {}; largest relative deviation of the n-dimensional \
         optimum {}. Gradient vs central differences: {}; fixed point vs Euler integration: {}.\n\n\
         The paper gives no numbers we can set beside ours: its effects are fits to Benucci et al.'s recordings \
         (figures), and we compare directions only.\n\n{}\n{}\n{}",
        t.render(),
        main.summary.iterations.0,
        main.summary.iterations.1,
        report::sci(main.summary.gradient_norm.0, 2),
        report::sci(main.summary.gradient_norm.1, 2),
        num(v.scalar_gain),
        report::sci(v.uniform_vs_scalar_rel, 2),
        report::sci(v.gradient_fd_rel, 2),
        report::sci(v.steady_state_vs_euler, 2),
        figs.gains,
        figs.tuning,
        figs.effects,
    );
    if !sweep.is_empty() {
        let mut t = summary_table();
        for row in sweep {
            summary_row(&mut t, "sweep", row);
        }
        let _ = writeln!(
            out,
            "## Sweeps (full mode)\n\nRecurrent excitation at adaptor share {SHARE}, then the adaptor share at \
             excitation {EXCITATION}.\n\n{}",
            t.render()
        );
    }
    let _ = writeln!(
        out,
        "## What differs from the paper\n\n\
         - Synthetic stimuli and responses instead of the V1 population data the paper fits; directions are \
         checked, magnitudes are ours (they grow with the recurrent excitation, see the sweep in full mode).\n\
         - The objective is our reading of the abstract (fidelity as high-SNR Gaussian information, −ln det A; cost \
         as total mean rate); the paper's exact objective, its recurrent weights (fitted to data) and its analytic \
         gain solution could not be consulted. With this objective the stimulus covariance drops out: the gains \
         depend on the ensemble only through the mean drive. A finite-noise information term (½ ln det(I + A C Aᵀ/σ²)) \
         was tried first and abandoned: with overlapping tuning curves its optimum is sparse (a few neurons carry \
         all the gain), which is not what V1 shows.\n\
         - The recurrent weights are purely excitatory and local. Adding broad inhibition keeps repulsion near \
         the adaptor but turns it into attraction for neurons more than ~40° away.\n\
         - Correlations are stimulus-driven (signal) correlations of a noiseless linear model, not the trial-to-trial \
         correlations of recorded neurons.\n\n\
         Run time {elapsed:.1} s ({mode} mode). Full mode: `cargo run --release -- study run gain-control --full`."
    );
    out
}
