"""An independent llama forward pass in numpy (float64) over the weights of the same GGUF,
dequantised by llama.cpp's own Python package `gguf`, against ganglion-interp's f32 forward.

Independent of the Rust code on purpose: it uses the GGUF's q/k weights as stored (rows
permuted by llama.cpp's converter) with llama.cpp's RoPE on adjacent pairs (2i, 2i+1),
whereas the Rust loader un-permutes the rows and rotates halves (i, i + d_head/2) as
Hugging Face does; the two agree only if the permutation is understood correctly.
Prompts are tokenised by the oracle tokenizer (oracle.py).

    bench/interp/.venv/bin/python bench/interp/reference_forward.py
"""
import json
import platform
import sys
import tempfile
import time

import gguf
from importlib.metadata import version
import numpy as np
from gguf import quants

from oracle import MODEL, build_rust, oracle_tokenizer, run_rust

PROMPTS = [
    "The capital of France is",
    "When Mary and John went to the store, John gave a drink to",
    "1, 2, 3, 4, 5,",
    "<|im_start|>user\nWhat is the largest planet?<|im_end|>\n<|im_start|>assistant\n",
    "def fibonacci(n):\n    if n < 2:\n        return n\n    return",
    "Le chat est sur la table. The cat is on the",
    "a",
]


def load(reader):
    w = {}
    for t in reader.tensors:
        w[t.name] = quants.dequantize(t.data, t.tensor_type).astype(np.float64)
    return w


def meta(reader, key):
    return reader.fields[key].contents()


def rms(x, g, eps):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * g


def rope_adjacent(x, base):
    """llama.cpp's rope (mode 0): rotate pairs (2i, 2i+1) by pos * base^(-2i/d)."""
    p, h, d = x.shape
    i = np.arange(d // 2)
    theta = np.arange(p)[:, None] * base ** (-2.0 * i / d)[None, :]
    c, s = np.cos(theta)[:, None, :], np.sin(theta)[:, None, :]
    x0, x1 = x[..., 0::2], x[..., 1::2]
    out = np.empty_like(x)
    out[..., 0::2] = x0 * c - x1 * s
    out[..., 1::2] = x0 * s + x1 * c
    return out


def forward(w, reader, ids):
    L = meta(reader, "llama.block_count")
    nh = meta(reader, "llama.attention.head_count")
    nkv = meta(reader, "llama.attention.head_count_kv")
    eps = meta(reader, "llama.attention.layer_norm_rms_epsilon")
    base = meta(reader, "llama.rope.freq_base")
    emb = w["token_embd.weight"]
    d = emb.shape[1]
    dh = d // nh
    x = emb[np.array(ids)]
    p = len(ids)
    mask = np.triu(np.full((p, p), -np.inf), 1)
    for l in range(L):
        g = lambda n: w[f"blk.{l}.{n}.weight"]
        h = rms(x, g("attn_norm"), eps)
        q = (h @ g("attn_q").T).reshape(p, nh, dh)
        k = (h @ g("attn_k").T).reshape(p, nkv, dh)
        v = (h @ g("attn_v").T).reshape(p, nkv, dh)
        q, k = rope_adjacent(q, base), rope_adjacent(k, base)
        rep = nh // nkv
        z = np.empty((p, nh, dh))
        for hh in range(nh):
            s = q[:, hh] @ k[:, hh // rep].T / np.sqrt(dh) + mask
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            z[:, hh] = s @ v[:, hh // rep]
        x = x + z.reshape(p, nh * dh) @ g("attn_output").T
        h = rms(x, g("ffn_norm"), eps)
        gate = h @ g("ffn_gate").T
        up = h @ g("ffn_up").T
        x = x + (gate / (1 + np.exp(-gate)) * up) @ g("ffn_down").T
    x = rms(x, w["output_norm.weight"], eps)
    unemb = w.get("output.weight", emb)
    return x @ unemb.T


def main():
    build_rust()
    reader = gguf.GGUFReader(str(MODEL))
    tk = oracle_tokenizer(reader)
    toks = meta(reader, "tokenizer.ggml.tokens")
    ids = [tk.encode(p, add_special_tokens=False).ids for p in PROMPTS]
    t0 = time.time()
    w = load(reader)
    print(f"dequantised {len(w)} tensors in {time.time() - t0:.1f} s")
    with tempfile.TemporaryDirectory() as d:
        inp, out = f"{d}/ids.json", f"{d}/logits.bin"
        json.dump(ids, open(inp, "w"))
        run_rust("logits", MODEL, inp, out)
        flat = np.fromfile(out, dtype="<f4")
    rows = []
    worst = 0.0
    off = 0
    for prompt, tid in zip(PROMPTS, ids):
        n = len(tid) * len(toks)
        rust = flat[off : off + n].reshape(len(tid), len(toks)).astype(np.float64)
        off += n
        ref = forward(w, reader, tid)
        scale = np.abs(ref).max()
        rel_max = np.abs(rust - ref).max() / scale
        rel_l2 = np.linalg.norm(rust - ref) / np.linalg.norm(ref)
        argmax_same = bool((rust.argmax(-1) == ref.argmax(-1)).all())
        top = toks[int(ref[-1].argmax())]
        worst = max(worst, rel_max)
        rows.append((prompt, len(tid), rel_max, rel_l2, argmax_same, top))
    print("| prompt | tokens | max abs diff / max abs logit | rel. L2 | argmax equal at every position | top next token |")
    print("|---|---|---|---|---|---|")
    for prompt, n, a, b, same, top in rows:
        shown = prompt.replace("\n", "\\n").replace("|", "\\|")
        print(f"| `{shown}` | {n} | {a:.2e} | {b:.2e} | {same} | `{top}` |")
    print(f"\nworst max-abs-relative difference {worst:.2e}; numpy {np.__version__}, gguf {version('gguf')}, {platform.processor() or platform.machine()}")
    sys.exit(0 if worst < 1e-4 and all(r[4] for r in rows) else 1)


if __name__ == "__main__":
    main()
