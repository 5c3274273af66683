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
//!   path patching from sender heads to receiver heads' q, k or v.
//!
//! The model of the issue is SmolLM2-135M-Instruct (Q4_1 GGUF), fetched by
//! `scripts/fetch-data.sh smollm2` into `data/smollm2/`.

pub mod ablate;
pub mod attribution;
pub mod gguf;
pub mod model;
pub mod patching;
pub mod tokenizer;
