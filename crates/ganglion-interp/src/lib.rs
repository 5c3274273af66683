//! # ganglion-interp
//!
//! Circuit dissection of real transformer language models, in the vocabulary of
//! TransformerLens (Nanda & Bloom 2022): hook points, an activation cache, run-with-hooks
//! editing, ablation and logit differences.
//!
//! - [`gguf`]: the GGUF v3 container of llama.cpp (metadata, tensor directory) and
//!   dequantisation of F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K and Q6_K tensors to `f32`;
//!   a small writer for tests and tools;
//! - [`tokenizer`]: the byte-level BPE tokenizer stored in a GGUF's metadata (GPT-2 byte
//!   mapping, the pre-tokenizer split written out by hand, merges by rank);
//! - [`model`]: the llama forward pass in `f32` (RMSNorm, RoPE, grouped-query attention,
//!   SwiGLU) with hook points `blocks.{l}.hook_resid_pre`, `blocks.{l}.attn.hook_z`, … and
//!   the run-with-cache / run-with-hooks APIs;
//! - [`ablate`]: logit differences over prompt sets, with zero- or mean-ablated heads and
//!   MLP neurons;
//! - [`attribution`]: direct logit attribution of the logit difference per head, MLP and
//!   the embedding (final-norm scale frozen at its value in the run);
//! - [`patching`]: activation patching clean → corrupted by layer and position
//!   (residual stream, attention and MLP outputs), by head (all positions or each), and
//!   path patching from sender heads to receiver heads' q, k or v;
//! - [`steering`]: steering vectors (activation addition, Turner et al. 2023; contrastive
//!   activation addition, Rimsky et al. 2024): `α · v` added to the residual stream at one
//!   layer, `v` the difference of mean activations over two prompt sets;
//! - [`probing`]: sparse probing of MLP neurons (Gurnee et al. 2023): neurons ranked by
//!   mean difference or F-statistic for a binary feature, logistic probes on the top k.
//!
//! The model of the issue is SmolLM2-135M-Instruct (Q4_1 GGUF), fetched by
//! `scripts/fetch-data.sh smollm2` into `data/smollm2/`.
//!
//! ```no_run
//! // Needs the model file (scripts/fetch-data.sh smollm2).
//! use ganglion_interp::model::{HookPoint, Model, Run};
//! use std::path::Path;
//!
//! let m = Model::load(Path::new("data/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"))?;
//! let tok = m.tokenizer()?;
//! let ids = tok.encode_prompt("When Mary and John went to the store, John gave a drink to");
//! let (mary, john) = (tok.encode(" Mary")[0], tok.encode(" John")[0]);
//! // Zero-ablate head 3 of layer 23 at every position and keep its attention pattern.
//! let (l, h, dh) = (23, 3, m.cfg.d_head);
//! let mut run = Run::new()
//!     .hook(HookPoint::Z(l), move |z| {
//!         for row in z.data.chunks_mut(z.shape[2] * dh) {
//!             row[h * dh..(h + 1) * dh].fill(0.0);
//!         }
//!     })
//!     .cache(&[HookPoint::Pattern(l)])
//!     .last_only();
//! let logits = m.run(&[ids], &mut run)?;
//! println!("logit diff {}", logits.data[mary as usize] - logits.data[john as usize]);
//! println!("pattern shape {:?}", run.cache[&HookPoint::Pattern(l)].shape); // [1, 9, pos, pos]
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod ablate;
pub mod attribution;
pub mod gguf;
pub mod model;
pub mod patching;
pub mod probing;
pub mod steering;
pub mod tokenizer;
