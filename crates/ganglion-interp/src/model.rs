//! The llama decoder (Touvron et al. 2023) in `f32`, with TransformerLens's hook points.
//!
//! Per layer `l` (pre-norm residual stream):
//!
//! ```text
//! resid_pre ─ RMSNorm(ln1) ─ q,k,v ─ RoPE ─ scores = q·kᵀ/√d_head (+ causal mask) ─ softmax
//!   = pattern ─ z = pattern·v ─ attn_out = z·W_Oᵀ;  resid_mid = resid_pre + attn_out
//! resid_mid ─ RMSNorm(ln2) ─ pre = x·W_gateᵀ, pre_linear = x·W_upᵀ ─ post = silu(pre)·pre_linear
//!   ─ mlp_out = post·W_downᵀ;  resid_post = resid_mid + mlp_out
//! ```
//!
//! then the final RMSNorm and the unembedding (tied to the embedding when the file has no
//! `output.weight`). RMSNorm is `x / scale · w` with `scale = √(mean(x²) + ε)`, the value of
//! the `hook_scale` points. Grouped-query attention: query head `h` reads key/value head
//! `h / (n_heads / n_kv_heads)`, as Hugging Face's `repeat_kv` and TransformerLens do.
//!
//! **q/k layout and RoPE.** llama.cpp's converter stores `attn_q`/`attn_k` with the rows of
//! every head permuted (`reshape(n_head, 2, d_head/2, d).swapaxes(1, 2)`), so that its
//! rotation of adjacent pairs `(2i, 2i+1)` equals Hugging Face's rotate-half rotation of
//! `(i, i + d_head/2)`. The loader undoes the permutation, so `hook_q`/`hook_k` hold the
//! values a Hugging Face or TransformerLens model of the same checkpoint has, and RoPE is
//! applied as rotate-half with `θ_i = base^(−2i/d_head)` at positions 0, 1, ….
//!
//! Hook points (names as in TransformerLens; shapes row-major, batch first):
//!
//! | name | shape |
//! |---|---|
//! | `hook_embed` | `[batch, pos, d_model]` |
//! | `blocks.{l}.hook_resid_pre`, `hook_resid_mid`, `hook_resid_post` | `[batch, pos, d_model]` |
//! | `blocks.{l}.ln1.hook_scale`, `ln2.hook_scale`, `ln_final.hook_scale` | `[batch, pos, 1]` |
//! | `blocks.{l}.attn.hook_q`, `attn.hook_rot_q` | `[batch, pos, n_heads, d_head]` |
//! | `blocks.{l}.attn.hook_k`, `hook_v`, `hook_rot_k` | `[batch, pos, n_kv_heads, d_head]` |
//! | `blocks.{l}.attn.hook_attn_scores` (masked entries −∞), `attn.hook_pattern` | `[batch, n_heads, q_pos, k_pos]` |
//! | `blocks.{l}.attn.hook_z` | `[batch, pos, n_heads, d_head]` |
//! | `blocks.{l}.hook_attn_out`, `hook_mlp_out` | `[batch, pos, d_model]` |
//! | `blocks.{l}.mlp.hook_pre` (gate), `mlp.hook_pre_linear` (up), `mlp.hook_post` | `[batch, pos, d_mlp]` |
//! | `logits` | `[batch, pos, vocab]` (`[batch, 1, vocab]` with [`Run::last_logits_only`]) |

use crate::gguf::{GgufError, GgufFile};
use crate::tokenizer::Tokenizer;
use rayon::prelude::*;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

mod kernels;

pub use kernels::{Product, matmul_t, matmul_t_many, rms_norm};
use kernels::{
    add_in_place, apply_scale, attention_mix, attention_scores, rope, rope_tables, softmax_rows,
};

/// Errors from loading or running a model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The file could not be read or is not a usable GGUF.
    #[error(transparent)]
    Gguf(#[from] GgufError),
    /// The file is GGUF but not a model this forward pass implements.
    #[error("{0}")]
    Unsupported(String),
    /// The prompts or an option are not valid for this model.
    #[error("{0}")]
    Input(String),
}

/// The model's dimensions and constants.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Number of transformer blocks.
    pub n_layers: usize,
    /// Residual-stream width.
    pub d_model: usize,
    /// Query heads per layer.
    pub n_heads: usize,
    /// Key/value heads per layer (`n_heads` is a multiple of it).
    pub n_kv_heads: usize,
    /// Width of one head.
    pub d_head: usize,
    /// MLP hidden width.
    pub d_mlp: usize,
    /// Vocabulary size.
    pub d_vocab: usize,
    /// RoPE base frequency.
    pub rope_base: f64,
    /// RMSNorm ε.
    pub eps: f32,
    /// Longest context the model was trained for, tokens.
    pub n_ctx: usize,
}

/// One transformer block's weights, dequantised; matrices row-major `[out, in]`.
#[derive(Debug, Clone)]
pub struct Layer {
    /// RMSNorm weight before attention, `[d_model]`.
    pub ln1: Vec<f32>,
    /// Query projection `[n_heads·d_head, d_model]`, Hugging Face row order.
    pub w_q: Vec<f32>,
    /// Key projection `[n_kv_heads·d_head, d_model]`, Hugging Face row order.
    pub w_k: Vec<f32>,
    /// Value projection `[n_kv_heads·d_head, d_model]`.
    pub w_v: Vec<f32>,
    /// Output projection `[d_model, n_heads·d_head]`.
    pub w_o: Vec<f32>,
    /// RMSNorm weight before the MLP, `[d_model]`.
    pub ln2: Vec<f32>,
    /// Gate projection `[d_mlp, d_model]`.
    pub w_gate: Vec<f32>,
    /// Up projection `[d_mlp, d_model]`.
    pub w_up: Vec<f32>,
    /// Down projection `[d_model, d_mlp]`.
    pub w_down: Vec<f32>,
}

/// A llama model with its tokenizer.
#[derive(Debug, Clone)]
pub struct Model {
    /// Dimensions.
    pub cfg: Config,
    /// Token embedding `[d_vocab, d_model]`.
    pub embed: Vec<f32>,
    /// The blocks.
    pub layers: Vec<Layer>,
    /// Final RMSNorm weight `[d_model]`.
    pub ln_final: Vec<f32>,
    /// Unembedding `[d_vocab, d_model]`; `None` when tied to [`Model::embed`].
    pub unembed: Option<Vec<f32>>,
    /// The tokenizer from the same file, or why there is none (no tokenizer metadata, or a
    /// tokenizer this crate does not implement): the weights load either way, and the
    /// error surfaces from [`Model::tokenizer`].
    pub tokenizer: Result<Tokenizer, String>,
}

/// Which activation a hook sees; `Display`/`FromStr` use TransformerLens names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HookPoint {
    /// `hook_embed`.
    Embed,
    /// `blocks.{l}.hook_resid_pre`.
    ResidPre(usize),
    /// `blocks.{l}.ln1.hook_scale`.
    Ln1Scale(usize),
    /// `blocks.{l}.attn.hook_q`.
    Q(usize),
    /// `blocks.{l}.attn.hook_k`.
    K(usize),
    /// `blocks.{l}.attn.hook_v`.
    V(usize),
    /// `blocks.{l}.attn.hook_rot_q`.
    RotQ(usize),
    /// `blocks.{l}.attn.hook_rot_k`.
    RotK(usize),
    /// `blocks.{l}.attn.hook_attn_scores`.
    AttnScores(usize),
    /// `blocks.{l}.attn.hook_pattern`.
    Pattern(usize),
    /// `blocks.{l}.attn.hook_z`.
    Z(usize),
    /// `blocks.{l}.hook_attn_out`.
    AttnOut(usize),
    /// `blocks.{l}.hook_resid_mid`.
    ResidMid(usize),
    /// `blocks.{l}.ln2.hook_scale`.
    Ln2Scale(usize),
    /// `blocks.{l}.mlp.hook_pre` (the gate projection, before SiLU).
    MlpPre(usize),
    /// `blocks.{l}.mlp.hook_pre_linear` (the up projection).
    MlpPreLinear(usize),
    /// `blocks.{l}.mlp.hook_post`.
    MlpPost(usize),
    /// `blocks.{l}.hook_mlp_out`.
    MlpOut(usize),
    /// `blocks.{l}.hook_resid_post`.
    ResidPost(usize),
    /// `ln_final.hook_scale`.
    LnFinalScale,
    /// `logits`.
    Logits,
}

type BlockHook = (&'static str, fn(usize) -> HookPoint);

/// The per-block hook points with their TransformerLens names, in forward order.
const BLOCK_HOOKS: [BlockHook; 18] = [
    ("hook_resid_pre", HookPoint::ResidPre),
    ("ln1.hook_scale", HookPoint::Ln1Scale),
    ("attn.hook_q", HookPoint::Q),
    ("attn.hook_k", HookPoint::K),
    ("attn.hook_v", HookPoint::V),
    ("attn.hook_rot_q", HookPoint::RotQ),
    ("attn.hook_rot_k", HookPoint::RotK),
    ("attn.hook_attn_scores", HookPoint::AttnScores),
    ("attn.hook_pattern", HookPoint::Pattern),
    ("attn.hook_z", HookPoint::Z),
    ("hook_attn_out", HookPoint::AttnOut),
    ("hook_resid_mid", HookPoint::ResidMid),
    ("ln2.hook_scale", HookPoint::Ln2Scale),
    ("mlp.hook_pre", HookPoint::MlpPre),
    ("mlp.hook_pre_linear", HookPoint::MlpPreLinear),
    ("mlp.hook_post", HookPoint::MlpPost),
    ("hook_mlp_out", HookPoint::MlpOut),
    ("hook_resid_post", HookPoint::ResidPost),
];

impl HookPoint {
    /// The block this point belongs to (`None` for embed, final norm and logits).
    pub fn layer(self) -> Option<usize> {
        use HookPoint::*;
        match self {
            Embed | LnFinalScale | Logits => None,
            ResidPre(l) | Ln1Scale(l) | Q(l) | K(l) | V(l) | RotQ(l) | RotK(l) | AttnScores(l)
            | Pattern(l) | Z(l) | AttnOut(l) | ResidMid(l) | Ln2Scale(l) | MlpPre(l)
            | MlpPreLinear(l) | MlpPost(l) | MlpOut(l) | ResidPost(l) => Some(l),
        }
    }

    /// Every hook point of a model with `n_layers` blocks, in the order the forward pass
    /// reaches them.
    pub fn all(n_layers: usize) -> Vec<HookPoint> {
        let mut v = vec![HookPoint::Embed];
        for l in 0..n_layers {
            v.extend(BLOCK_HOOKS.iter().map(|(_, f)| f(l)));
        }
        v.extend([HookPoint::LnFinalScale, HookPoint::Logits]);
        v
    }
}

impl fmt::Display for HookPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self, self.layer()) {
            (HookPoint::Embed, _) => f.write_str("hook_embed"),
            (HookPoint::LnFinalScale, _) => f.write_str("ln_final.hook_scale"),
            (HookPoint::Logits, _) => f.write_str("logits"),
            (p, Some(l)) => {
                let name = BLOCK_HOOKS
                    .iter()
                    .find(|(_, g)| g(l) == *p)
                    .map(|(n, _)| *n)
                    .expect("every block hook is listed");
                write!(f, "blocks.{l}.{name}")
            }
            (_, None) => unreachable!("non-block points are matched above"),
        }
    }
}

impl FromStr for HookPoint {
    type Err = String;

    fn from_str(s: &str) -> Result<HookPoint, String> {
        match s {
            "hook_embed" => return Ok(HookPoint::Embed),
            "ln_final.hook_scale" => return Ok(HookPoint::LnFinalScale),
            "logits" => return Ok(HookPoint::Logits),
            _ => {}
        }
        let bad = || {
            format!(
                "unknown hook point {s:?} (expected e.g. blocks.3.attn.hook_z, blocks.0.hook_resid_pre, ln_final.hook_scale, logits)"
            )
        };
        let rest = s.strip_prefix("blocks.").ok_or_else(bad)?;
        let (l, name) = rest.split_once('.').ok_or_else(bad)?;
        let l: usize = l.parse().map_err(|_| bad())?;
        BLOCK_HOOKS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, f)| f(l))
            .ok_or_else(bad)
    }
}

/// An activation: row-major `data` with `shape` (see the module's table).
#[derive(Debug, Clone, PartialEq)]
pub struct Activation {
    /// Dimensions, batch first.
    pub shape: Vec<usize>,
    /// Values, row-major.
    pub data: Vec<f32>,
}

impl Activation {
    /// The element at a multi-index.
    ///
    /// # Panics
    /// If the index has the wrong rank or is out of range.
    pub fn at(&self, idx: &[usize]) -> f32 {
        self.data[self.offset(idx)]
    }

    /// The flat offset of a multi-index.
    ///
    /// # Panics
    /// If the index has the wrong rank or is out of range.
    pub fn offset(&self, idx: &[usize]) -> usize {
        assert_eq!(
            idx.len(),
            self.shape.len(),
            "index {idx:?} for shape {:?}",
            self.shape
        );
        idx.iter().zip(&self.shape).fold(0, |o, (&i, &n)| {
            assert!(
                i < n,
                "index {idx:?} out of range for shape {:?}",
                self.shape
            );
            o * n + i
        })
    }
}

/// A hook function: sees (and may change in place, keeping the shape) one activation of
/// the whole batch.
pub type HookFn<'a> = Box<dyn FnMut(&mut Activation) + 'a>;

/// What one forward pass does besides computing logits: hooks that edit activations, which
/// activations to keep, whether to compute logits only at the last position.
#[derive(Default)]
pub struct Run<'a> {
    hooks: Vec<(HookPoint, HookFn<'a>)>,
    keep: Vec<HookPoint>,
    /// Activations kept by [`Run::cache`], after any hooks at the same point ran.
    pub cache: HashMap<HookPoint, Activation>,
    /// Unembed only the last position (logits `[batch, 1, vocab]`): the pass's most
    /// expensive matrix product shrinks by the prompt length.
    pub last_logits_only: bool,
    start: Option<(usize, Activation)>,
}

impl<'a> Run<'a> {
    /// A run with no hooks that keeps nothing.
    pub fn new() -> Run<'a> {
        Run::default()
    }

    /// Add a hook at `point`; hooks at one point run in the order added.
    pub fn hook(mut self, point: HookPoint, f: impl FnMut(&mut Activation) + 'a) -> Self {
        self.hooks.push((point, Box::new(f)));
        self
    }

    /// Keep these activations in [`Run::cache`].
    pub fn cache(mut self, points: &[HookPoint]) -> Self {
        self.keep.extend_from_slice(points);
        self
    }

    /// Compute logits at the last position only.
    pub fn last_only(mut self) -> Self {
        self.last_logits_only = true;
        self
    }

    /// Start the pass at block `layer` with this `blocks.{layer}.hook_resid_pre`
    /// (`[batch, pos, d_model]`, e.g. cached from an earlier run) instead of embedding the
    /// tokens (TransformerLens's `start_at_layer`): patching sweeps skip the blocks a patch
    /// cannot change. The tokens still give the batch its shape.
    pub fn start_at_layer(mut self, layer: usize, resid_pre: Activation) -> Self {
        self.start = Some((layer, resid_pre));
        self
    }

    fn wants(&self, p: HookPoint) -> bool {
        self.keep.contains(&p) || self.hooked(p)
    }

    /// Whether a hook (not just a cache entry) sits at `p`: only then can the value differ
    /// from what the pass computed.
    fn hooked(&self, p: HookPoint) -> bool {
        self.hooks.iter().any(|(q, _)| *q == p)
    }

    /// Run the hooks at `p` on `buf` (shape `shape`) and keep a copy if asked.
    fn at(&mut self, p: HookPoint, shape: &[usize], buf: &mut Vec<f32>) {
        if !self.wants(p) {
            return;
        }
        let mut a = Activation {
            shape: shape.to_vec(),
            data: std::mem::take(buf),
        };
        for (q, f) in &mut self.hooks {
            if *q == p {
                f(&mut a);
                assert!(
                    a.shape == shape && a.data.len() == shape.iter().product::<usize>(),
                    "a hook on {p} changed the activation's shape from {shape:?} to {:?} ({} values); hooks must edit in place",
                    a.shape,
                    a.data.len()
                );
            }
        }
        if self.keep.contains(&p) {
            self.cache.insert(p, a.clone());
        }
        *buf = a.data;
    }
}

fn unpermute_qk(w: &[f32], n_heads: usize, d_head: usize, d_model: usize) -> Vec<f32> {
    // GGUF row 2j + s of a head is Hugging Face row s·d_head/2 + j.
    let half = d_head / 2;
    let mut out = vec![0f32; w.len()];
    for h in 0..n_heads {
        for j in 0..half {
            for s in 0..2 {
                let src = (h * d_head + 2 * j + s) * d_model;
                let dst = (h * d_head + s * half + j) * d_model;
                out[dst..dst + d_model].copy_from_slice(&w[src..src + d_model]);
            }
        }
    }
    out
}

impl Model {
    /// Load a llama GGUF, dequantising every weight to `f32` once.
    pub fn load(path: &Path) -> Result<Model, ModelError> {
        Model::from_gguf(&GgufFile::open(path)?)
    }

    /// Build the model from a parsed GGUF file.
    pub fn from_gguf(f: &GgufFile) -> Result<Model, ModelError> {
        let arch = f.get_str("general.architecture")?;
        if arch != "llama" {
            return Err(ModelError::Unsupported(format!(
                "{}: architecture {arch:?} is not supported (only \"llama\")",
                f.source_name
            )));
        }
        let u = |k: &str| f.get_u64(&format!("llama.{k}")).map(|v| v as usize);
        let n_layers = u("block_count")?;
        let d_model = u("embedding_length")?;
        let n_heads = u("attention.head_count")?;
        let n_kv_heads = f
            .get("llama.attention.head_count_kv")
            .map_or(Ok(n_heads), |_| u("attention.head_count_kv"))?;
        let d_mlp = u("feed_forward_length")?;
        let rope_base = f
            .get("llama.rope.freq_base")
            .map_or(Ok(10000.0), |_| f.get_f64("llama.rope.freq_base"))?;
        let eps = f.get_f64("llama.attention.layer_norm_rms_epsilon")? as f32;
        let n_ctx = u("context_length")?;
        if n_heads == 0 || n_kv_heads == 0 || d_model % n_heads != 0 || n_heads % n_kv_heads != 0 {
            return Err(ModelError::Unsupported(format!(
                "{}: {n_heads} heads and {n_kv_heads} key/value heads for width {d_model} do not divide evenly",
                f.source_name
            )));
        }
        let d_head = d_model / n_heads;
        for key in ["key_length", "value_length"] {
            if let Some(v) = f.get(&format!("llama.attention.{key}"))
                && v.as_u64() != Some(d_head as u64)
            {
                return Err(ModelError::Unsupported(format!(
                    "{}: llama.attention.{key} is {v:?} but width / heads is {d_head}; head widths other than d_model / n_heads are not supported",
                    f.source_name
                )));
            }
        }
        if d_head % 2 != 0 {
            return Err(ModelError::Unsupported(format!(
                "{}: odd head width {d_head}",
                f.source_name
            )));
        }
        if let Some(v) = f.get("llama.rope.dimension_count")
            && v.as_u64() != Some(d_head as u64)
        {
            return Err(ModelError::Unsupported(format!(
                "{}: partial rotary embedding (rope.dimension_count {v:?}, head width {d_head}) is not supported",
                f.source_name
            )));
        }
        if let Some(kind) = f.get("llama.rope.scaling.type").and_then(|v| v.as_str())
            && kind != "none"
        {
            return Err(ModelError::Unsupported(format!(
                "{}: RoPE scaling {kind:?} is not supported (only plain RoPE)",
                f.source_name
            )));
        }
        // Llama-3-style RoPE scaling ships per-frequency factors as a tensor, with no
        // `rope.scaling.type` key: plain RoPE would silently compute the wrong rotation.
        if f.tensor_info("rope_freqs.weight").is_some() {
            return Err(ModelError::Unsupported(format!(
                "{}: the tensor rope_freqs.weight (Llama-3-style RoPE frequency scaling) is not supported (only plain RoPE)",
                f.source_name
            )));
        }
        let embed_info =
            f.tensor_info("token_embd.weight")
                .ok_or_else(|| GgufError::MissingTensor {
                    name: "token_embd.weight".into(),
                    count: f.tensors.len(),
                })?;
        let d_vocab = embed_info.shape()[0];
        let embed = f.tensor_f32_shaped("token_embd.weight", &[d_vocab, d_model])?;
        let mut layers = Vec::with_capacity(n_layers);
        let (dq, dkv) = (n_heads * d_head, n_kv_heads * d_head);
        for l in 0..n_layers {
            let t = |name: &str, shape: &[usize]| {
                f.tensor_f32_shaped(&format!("blk.{l}.{name}.weight"), shape)
            };
            layers.push(Layer {
                ln1: t("attn_norm", &[d_model])?,
                w_q: unpermute_qk(&t("attn_q", &[dq, d_model])?, n_heads, d_head, d_model),
                w_k: unpermute_qk(&t("attn_k", &[dkv, d_model])?, n_kv_heads, d_head, d_model),
                w_v: t("attn_v", &[dkv, d_model])?,
                w_o: t("attn_output", &[d_model, dq])?,
                ln2: t("ffn_norm", &[d_model])?,
                w_gate: t("ffn_gate", &[d_mlp, d_model])?,
                w_up: t("ffn_up", &[d_mlp, d_model])?,
                w_down: t("ffn_down", &[d_model, d_mlp])?,
            });
        }
        let ln_final = f.tensor_f32_shaped("output_norm.weight", &[d_model])?;
        let unembed = match f.tensor_info("output.weight") {
            Some(_) => Some(f.tensor_f32_shaped("output.weight", &[d_vocab, d_model])?),
            None => None,
        };
        let tokenizer = match f.get("tokenizer.ggml.model") {
            Some(_) => Tokenizer::from_gguf(f)
                .map_err(|e| format!("{}: the tokenizer cannot be used: {e}", f.source_name)),
            None => Err(format!(
                "{}: the model file has no tokenizer metadata",
                f.source_name
            )),
        };
        Ok(Model {
            cfg: Config {
                n_layers,
                d_model,
                n_heads,
                n_kv_heads,
                d_head,
                d_mlp,
                d_vocab,
                rope_base,
                eps,
                n_ctx,
            },
            embed,
            layers,
            ln_final,
            unembed,
            tokenizer,
        })
    }

    /// The unembedding `[d_vocab, d_model]` (the embedding when tied).
    pub fn w_u(&self) -> &[f32] {
        self.unembed.as_deref().unwrap_or(&self.embed)
    }

    /// The tokenizer, or an error saying why the file has no usable one.
    pub fn tokenizer(&self) -> Result<&Tokenizer, ModelError> {
        self.tokenizer
            .as_ref()
            .map_err(|e| ModelError::Unsupported(e.clone()))
    }

    /// Check that `correct` and `incorrect` hold one answer token per prompt of a batch of
    /// `b` and that every token is in the vocabulary.
    pub fn check_answers(
        &self,
        b: usize,
        correct: &[u32],
        incorrect: &[u32],
    ) -> Result<(), ModelError> {
        if correct.len() != b || incorrect.len() != b {
            return Err(ModelError::Input(format!(
                "{b} prompts but {} correct and {} incorrect answers (one each per prompt)",
                correct.len(),
                incorrect.len()
            )));
        }
        if let Some(&bad) = correct
            .iter()
            .chain(incorrect)
            .find(|&&t| t as usize >= self.cfg.d_vocab)
        {
            return Err(ModelError::Input(format!(
                "answer token {bad} is outside the vocabulary of {} tokens",
                self.cfg.d_vocab
            )));
        }
        Ok(())
    }

    /// Logits `[batch, pos, vocab]` for a batch of prompts of equal length.
    pub fn forward(&self, batch: &[Vec<u32>]) -> Result<Activation, ModelError> {
        self.run(batch, &mut Run::new())
    }

    /// Logits and the activations at `points` (TransformerLens's `run_with_cache`).
    pub fn run_with_cache(
        &self,
        batch: &[Vec<u32>],
        points: &[HookPoint],
    ) -> Result<(Activation, HashMap<HookPoint, Activation>), ModelError> {
        let mut run = Run::new().cache(points);
        let logits = self.run(batch, &mut run)?;
        Ok((logits, run.cache))
    }

    /// Check a batch: non-empty, equal lengths, ids in the vocabulary, within the context.
    pub fn check_batch(&self, batch: &[Vec<u32>]) -> Result<(usize, usize), ModelError> {
        let b = batch.len();
        let Some(first) = batch.first() else {
            return Err(ModelError::Input("the batch has no prompts".into()));
        };
        let p = first.len();
        if p == 0 {
            return Err(ModelError::Input("prompt 0 has no tokens".into()));
        }
        if p > self.cfg.n_ctx {
            return Err(ModelError::Input(format!(
                "prompts of {p} tokens exceed the model's context of {}",
                self.cfg.n_ctx
            )));
        }
        for (i, t) in batch.iter().enumerate() {
            if t.len() != p {
                return Err(ModelError::Input(format!(
                    "prompt {i} has {} tokens but prompt 0 has {p}; a batch needs prompts of equal length (group them by length)",
                    t.len()
                )));
            }
            if let Some(&bad) = t.iter().find(|&&id| id as usize >= self.cfg.d_vocab) {
                return Err(ModelError::Input(format!(
                    "prompt {i} has token id {bad}, outside the vocabulary of {}",
                    self.cfg.d_vocab
                )));
            }
        }
        Ok((b, p))
    }

    /// One forward pass over a batch of prompts of equal length, running `run`'s hooks and
    /// filling its cache. Returns the logits `[batch, pos, vocab]` (or `[batch, 1, vocab]`).
    pub fn run(&self, batch: &[Vec<u32>], run: &mut Run<'_>) -> Result<Activation, ModelError> {
        let (b, p) = self.check_batch(batch)?;
        for (point, what) in run
            .hooks
            .iter()
            .map(|(q, _)| (q, "hook"))
            .chain(run.keep.iter().map(|q| (q, "cache point")))
        {
            if point.layer().is_some_and(|l| l >= self.cfg.n_layers) {
                return Err(ModelError::Input(format!(
                    "{what} {point} names a layer outside 0..{}",
                    self.cfg.n_layers
                )));
            }
        }
        let c = &self.cfg;
        let (d, n) = (c.d_model, b * p);
        let (dq, dkv) = (c.n_heads * c.d_head, c.n_kv_heads * c.d_head);
        let resid_shape = [b, p, d];
        let (first, mut x) = match run.start.take() {
            Some((layer, resid)) => {
                if layer >= c.n_layers || resid.shape != resid_shape || resid.data.len() != n * d {
                    return Err(ModelError::Input(format!(
                        "start_at_layer({layer}) with a residual of shape {:?}: needs a layer in 0..{} and shape {resid_shape:?}",
                        resid.shape, c.n_layers
                    )));
                }
                let never = |q: &HookPoint| {
                    q.layer().is_none_or(|l| l < layer)
                        && !matches!(q, HookPoint::LnFinalScale | HookPoint::Logits)
                };
                if let Some((point, _)) = run.hooks.iter().find(|(q, _)| never(q)) {
                    return Err(ModelError::Input(format!(
                        "a hook on {point} would never run: the pass starts at layer {layer}"
                    )));
                }
                if let Some(point) = run.keep.iter().find(|q| never(q)) {
                    return Err(ModelError::Input(format!(
                        "cache point {point} would never be filled: the pass starts at layer {layer}"
                    )));
                }
                (layer, resid.data)
            }
            None => {
                let mut x = vec![0f32; n * d];
                for (row, &id) in x.chunks_mut(d).zip(batch.iter().flatten()) {
                    row.copy_from_slice(&self.embed[id as usize * d..(id as usize + 1) * d]);
                }
                run.at(HookPoint::Embed, &resid_shape, &mut x);
                (0, x)
            }
        };
        let (cos, sin) = rope_tables(p, c.d_head, c.rope_base);
        // Buffers reused by every block (each product overwrites its output): fresh large
        // allocations per block cost page faults comparable to the small products.
        let mut normed = vec![0f32; n * d];
        let (mut q, mut k, mut v) = (vec![0f32; n * dq], vec![0f32; n * dkv], vec![0f32; n * dkv]);
        let (mut attn_out, mut mlp_out) = (vec![0f32; n * d], vec![0f32; n * d]);
        let (mut gate, mut up) = (vec![0f32; n * c.d_mlp], vec![0f32; n * c.d_mlp]);
        for (l, w) in self.layers.iter().enumerate().skip(first) {
            run.at(HookPoint::ResidPre(l), &resid_shape, &mut x);
            let mut scale = rms_norm(&x, &w.ln1, c.eps, &mut normed);
            run.at(HookPoint::Ln1Scale(l), &[b, p, 1], &mut scale);
            if run.hooked(HookPoint::Ln1Scale(l)) {
                apply_scale(&x, &scale, &w.ln1, &mut normed);
            }
            matmul_t_many(
                &normed,
                n,
                d,
                &mut [
                    (&w.w_q, dq, &mut q),
                    (&w.w_k, dkv, &mut k),
                    (&w.w_v, dkv, &mut v),
                ],
            );
            run.at(HookPoint::Q(l), &[b, p, c.n_heads, c.d_head], &mut q);
            run.at(HookPoint::K(l), &[b, p, c.n_kv_heads, c.d_head], &mut k);
            run.at(HookPoint::V(l), &[b, p, c.n_kv_heads, c.d_head], &mut v);
            rope(&mut q, p, c.n_heads, c.d_head, &cos, &sin);
            rope(&mut k, p, c.n_kv_heads, c.d_head, &cos, &sin);
            run.at(HookPoint::RotQ(l), &[b, p, c.n_heads, c.d_head], &mut q);
            run.at(HookPoint::RotK(l), &[b, p, c.n_kv_heads, c.d_head], &mut k);
            let pat_shape = [b, c.n_heads, p, p];
            let mut pattern = attention_scores(&q, &k, b, p, c);
            run.at(HookPoint::AttnScores(l), &pat_shape, &mut pattern);
            softmax_rows(&mut pattern, p);
            run.at(HookPoint::Pattern(l), &pat_shape, &mut pattern);
            let mut z = attention_mix(&pattern, &v, b, p, c);
            run.at(HookPoint::Z(l), &[b, p, c.n_heads, c.d_head], &mut z);
            matmul_t(&z, n, dq, &w.w_o, d, &mut attn_out);
            run.at(HookPoint::AttnOut(l), &resid_shape, &mut attn_out);
            add_in_place(&mut x, &attn_out);
            run.at(HookPoint::ResidMid(l), &resid_shape, &mut x);
            let mut scale = rms_norm(&x, &w.ln2, c.eps, &mut normed);
            run.at(HookPoint::Ln2Scale(l), &[b, p, 1], &mut scale);
            if run.hooked(HookPoint::Ln2Scale(l)) {
                apply_scale(&x, &scale, &w.ln2, &mut normed);
            }
            let mlp_shape = [b, p, c.d_mlp];
            matmul_t_many(
                &normed,
                n,
                d,
                &mut [(&w.w_gate, c.d_mlp, &mut gate), (&w.w_up, c.d_mlp, &mut up)],
            );
            run.at(HookPoint::MlpPre(l), &mlp_shape, &mut gate);
            run.at(HookPoint::MlpPreLinear(l), &mlp_shape, &mut up);
            gate.par_chunks_mut(4096)
                .zip(up.par_chunks(4096))
                .for_each(|(g, u)| {
                    for (g, u) in g.iter_mut().zip(u) {
                        *g = *g / (1.0 + (-*g).exp()) * u;
                    }
                });
            run.at(HookPoint::MlpPost(l), &mlp_shape, &mut gate);
            matmul_t(&gate, n, c.d_mlp, &w.w_down, d, &mut mlp_out);
            run.at(HookPoint::MlpOut(l), &resid_shape, &mut mlp_out);
            add_in_place(&mut x, &mlp_out);
            run.at(HookPoint::ResidPost(l), &resid_shape, &mut x);
        }
        let mut scale = rms_norm(&x, &self.ln_final, c.eps, &mut normed);
        run.at(HookPoint::LnFinalScale, &[b, p, 1], &mut scale);
        if run.hooked(HookPoint::LnFinalScale) {
            apply_scale(&x, &scale, &self.ln_final, &mut normed);
        }
        let (rows, q_len): (Vec<f32>, usize) = if run.last_logits_only {
            let mut last = Vec::with_capacity(b * d);
            for i in 0..b {
                let r = i * p + p - 1;
                last.extend_from_slice(&normed[r * d..(r + 1) * d]);
            }
            (last, 1)
        } else {
            (normed, p)
        };
        let mut logits = vec![0f32; b * q_len * c.d_vocab];
        matmul_t(&rows, b * q_len, d, self.w_u(), c.d_vocab, &mut logits);
        let shape = [b, q_len, c.d_vocab];
        run.at(HookPoint::Logits, &shape, &mut logits);
        Ok(Activation {
            shape: shape.to_vec(),
            data: logits,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(x: &[f32], n: usize, k: usize, w: &[f32], m: usize) -> Vec<f32> {
        let mut out = vec![0f32; n * m];
        for i in 0..n {
            for j in 0..m {
                out[i * m + j] = (0..k)
                    .map(|e| x[i * k + e] as f64 * w[j * k + e] as f64)
                    .sum::<f64>() as f32;
            }
        }
        out
    }

    #[test]
    fn matmul_t_many_matches_the_definition() {
        // Sizes on both sides of the row-split threshold, with a ragged last block.
        for n in [1, 5, 31, 1001] {
            let k = 7;
            let x: Vec<f32> = (0..n * k)
                .map(|i| ((i * 37 % 11) as f32 - 5.0) * 0.25)
                .collect();
            let w1: Vec<f32> = (0..5 * k)
                .map(|i| ((i * 13 % 7) as f32 - 3.0) * 0.5)
                .collect();
            let w2: Vec<f32> = (0..3 * k)
                .map(|i| ((i * 5 % 9) as f32 - 4.0) * 0.125)
                .collect();
            let (mut o1, mut o2) = (vec![f32::NAN; n * 5], vec![f32::NAN; n * 3]);
            matmul_t_many(&x, n, k, &mut [(&w1, 5, &mut o1), (&w2, 3, &mut o2)]);
            // Small integers times powers of two: exact in f32.
            assert_eq!(o1, naive(&x, n, k, &w1, 5), "n = {n}");
            assert_eq!(o2, naive(&x, n, k, &w2, 3), "n = {n}");
        }
    }
}
