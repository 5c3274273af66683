//! The hidden Markov model, its exact symbol statistics, and symbol statistics of samples.

use ganglion_base::rng::Stream;

/// A discrete HMM with uniform start distribution.
#[derive(Debug, Clone)]
pub struct Hmm {
    /// Transition matrix A[s][s'] (rows sum to 1).
    pub a: Vec<Vec<f64>>,
    /// Emission matrix E[s][k] (rows sum to 1).
    pub e: Vec<Vec<f64>>,
}

impl Hmm {
    /// The paper's two-state linear-chain HMM (`scripts/config.py`, `HMMTwo`: states 2,
    /// outputs 3, transition "target_prob" 0.05, emission "linear"): A = [[0.95, 0.05], [0.05,
    /// 0.95]], E = [[0.99, 0.01, 0], [0, 0.01, 0.99]].
    pub fn two_state() -> Self {
        Self {
            a: vec![vec![0.95, 0.05], vec![0.05, 0.95]],
            e: vec![vec![0.99, 0.01, 0.0], vec![0.0, 0.01, 0.99]],
        }
    }

    /// Hidden states.
    pub fn states(&self) -> usize {
        self.a.len()
    }

    /// Symbols.
    pub fn symbols(&self) -> usize {
        self.e[0].len()
    }

    fn draw(p: &[f64], u: f64) -> usize {
        let mut acc = 0.0;
        for (i, &q) in p.iter().enumerate() {
            acc += q;
            if u < acc {
                return i;
            }
        }
        p.len() - 1
    }

    /// `n` sequences of `t_len` symbols (row-major n × T) and hidden states, from stream `key`.
    pub fn sample(&self, n: usize, t_len: usize, key: u64) -> (Vec<usize>, Vec<usize>) {
        let mut s = Stream::new(key);
        let mut ys = Vec::with_capacity(n * t_len);
        let mut zs = Vec::with_capacity(n * t_len);
        let uniform = vec![1.0 / self.states() as f64; self.states()];
        for _ in 0..n {
            let mut z = Self::draw(&uniform, s.uniform());
            for t in 0..t_len {
                if t > 0 {
                    z = Self::draw(&self.a[z], s.uniform());
                }
                zs.push(z);
                ys.push(Self::draw(&self.e[z], s.uniform()));
            }
        }
        (ys, zs)
    }

    /// State distribution at each step 0..T from the uniform start.
    fn state_marginals(&self, t_len: usize) -> Vec<Vec<f64>> {
        let s = self.states();
        let mut p = vec![1.0 / s as f64; s];
        let mut out = Vec::with_capacity(t_len);
        for _ in 0..t_len {
            out.push(p.clone());
            p = (0..s)
                .map(|j| (0..s).map(|i| p[i] * self.a[i][j]).sum())
                .collect();
        }
        out
    }

    /// Exact symbol statistics of length-`t_len` sequences: emission frequencies averaged over
    /// positions, and bigram probabilities P(y_t = a, y_{t+1} = b) averaged over t = 0..T−2.
    pub fn exact(&self, t_len: usize) -> SymbolStats {
        let k = self.symbols();
        let marg = self.state_marginals(t_len);
        let mut freq = vec![0.0; k];
        let mut bigram = vec![0.0; k * k];
        for (t, p) in marg.iter().enumerate() {
            for (pz, ez) in p.iter().zip(&self.e) {
                for (f, e) in freq.iter_mut().zip(ez) {
                    *f += pz * e / t_len as f64;
                }
            }
            if t + 1 < t_len {
                for ((pz, ez), az) in p.iter().zip(&self.e).zip(&self.a) {
                    for (azz, ez2) in az.iter().zip(&self.e) {
                        let w = pz * azz / (t_len - 1) as f64;
                        for a in 0..k {
                            for b in 0..k {
                                bigram[a * k + b] += w * ez[a] * ez2[b];
                            }
                        }
                    }
                }
            }
        }
        SymbolStats { freq, bigram, k }
    }
}

/// Emission frequencies and bigram probabilities of a symbol source.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SymbolStats {
    /// P(y = k), averaged over positions.
    pub freq: Vec<f64>,
    /// P(y_t = a, y_{t+1} = b), row-major K × K.
    pub bigram: Vec<f64>,
    /// Symbols.
    pub k: usize,
}

impl SymbolStats {
    /// Statistics of `n` sampled sequences of length `t_len` (row-major symbols).
    pub fn of(ys: &[usize], t_len: usize, k: usize) -> Self {
        let n = ys.len() / t_len;
        let mut freq = vec![0.0; k];
        let mut bigram = vec![0.0; k * k];
        for seq in ys.chunks(t_len) {
            for (t, &y) in seq.iter().enumerate() {
                freq[y] += 1.0;
                if t + 1 < t_len {
                    bigram[y * k + seq[t + 1]] += 1.0;
                }
            }
        }
        freq.iter_mut().for_each(|v| *v /= (n * t_len) as f64);
        bigram
            .iter_mut()
            .for_each(|v| *v /= (n * (t_len - 1)).max(1) as f64);
        Self { freq, bigram, k }
    }

    /// Total-variation distances (½ Σ|p − q|) of the emission frequencies and of the bigram
    /// distributions from `other`.
    pub fn tv(&self, other: &SymbolStats) -> (f64, f64) {
        let tv =
            |a: &[f64], b: &[f64]| 0.5 * a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f64>();
        (tv(&self.freq, &other.freq), tv(&self.bigram, &other.bigram))
    }

    /// P(y_{t+1} = a | y_t = a) for symbol `a` (NaN if `a` never occurs before the end).
    pub fn stay(&self, a: usize) -> f64 {
        let row: f64 = (0..self.k).map(|b| self.bigram[a * self.k + b]).sum();
        self.bigram[a * self.k + a] / row
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_statistics_match_a_large_sample() {
        let h = Hmm::two_state();
        let ex = h.exact(20);
        // Uniform start is stationary for the symmetric chain: P(y) = (0.495, 0.01, 0.495).
        assert!((ex.freq[0] - 0.495).abs() < 1e-12 && (ex.freq[1] - 0.01).abs() < 1e-12);
        // Stay probability of symbol 0: P(0 → 0) = (0.95·0.99 + 0.05·0) = 0.9405.
        assert!((ex.stay(0) - 0.9405).abs() < 1e-12, "{}", ex.stay(0));
        let (ys, _) = h.sample(4000, 20, 3);
        let (tv_f, tv_b) = SymbolStats::of(&ys, 20, 3).tv(&ex);
        assert!(tv_f < 0.01 && tv_b < 0.01, "{tv_f} {tv_b}");
    }
}
