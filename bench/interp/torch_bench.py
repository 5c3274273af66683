"""ganglion-interp against PyTorch on CPU: the same llama forward over the weights of the
same GGUF (dequantised to float32 by llama.cpp's `gguf` package, as reference_forward.py
does), side by side with the Rust example `interp_bench`.

Two workloads on one batch of 48 prompts × 20 tokens:

1. the full forward with logits at every position (tokens per second);
2. head patching at all positions for all 30 × 9 = 270 heads (TransformerLens's
   `get_act_patch_attn_head_out_all_pos`): cache the clean run's `z` and the corrupted
   run's `resid_pre`, then for each head run the corrupted prompts from that head's layer
   on with the head's `z` replaced by its clean value, logits at the last position only.
   Both sides use the same algorithm (start at the head's layer, last-position unembedding),
   so the comparison is of the implementations, not of the algorithm.

The two sides run interleaved (Rust, PyTorch, Rust, PyTorch, …) so that the load of other
processes on this shared machine falls on both alike; the 1-minute load average is
recorded with each timing. PyTorch uses `torch.set_num_threads(2)`, Rust rayon's default
(one thread per core, 2 here). Peak memory: `/usr/bin/time -v` for the Rust process (load +
run), `resource.getrusage` (RUSAGE_SELF, ru_maxrss) for this process (load + all PyTorch
runs; the comparison with the Rust outputs happens after it is read).

The forward's logits must agree to 1e-4 of the largest logit; the sweep's 270 metrics to
1e-3 of |clean − corrupted|.

    bench/interp/setup.sh                       # adds torch to bench/interp/.venv
    bench/interp/.venv/bin/python bench/interp/torch_bench.py [ROUNDS] [SWEEPS]
"""
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import gguf
import numpy as np
import torch
import torch.nn.functional as F
from gguf import quants

from oracle import MODEL, ROOT

BIN = ROOT / "target/release/examples/interp_bench"
BATCH, LEN = 48, 20


def meta(reader, key):
    return reader.fields[key].contents()


def unpermute(w, n_heads):
    """Undo llama.cpp's q/k row permutation (GGUF row 2j + s of a head is Hugging Face row
    s·d_head/2 + j), so that Hugging Face's rotate-half RoPE applies."""
    out, d = w.shape
    return w.reshape(n_heads, out // n_heads // 2, 2, d).swapaxes(1, 2).reshape(out, d)


class Llama:
    def __init__(self, reader):
        self.L = int(meta(reader, "llama.block_count"))
        self.nh = int(meta(reader, "llama.attention.head_count"))
        self.nkv = int(meta(reader, "llama.attention.head_count_kv"))
        self.eps = float(meta(reader, "llama.attention.layer_norm_rms_epsilon"))
        base = float(meta(reader, "llama.rope.freq_base"))
        w = {}
        for t in reader.tensors:
            a = quants.dequantize(t.data, t.tensor_type).astype(np.float32)
            if t.name.endswith("attn_q.weight"):
                a = unpermute(a, self.nh)
            elif t.name.endswith("attn_k.weight"):
                a = unpermute(a, self.nkv)
            w[t.name] = torch.from_numpy(np.ascontiguousarray(a))
        self.w = w
        self.emb = w["token_embd.weight"]
        self.unemb = w.get("output.weight", self.emb)
        self.d = self.emb.shape[1]
        self.dh = self.d // self.nh
        inv = base ** (-torch.arange(0, self.dh, 2, dtype=torch.float64) / self.dh)
        ang = torch.arange(4096, dtype=torch.float64)[:, None] * inv[None, :]
        ang = torch.cat([ang, ang], -1)
        self.cos, self.sin = ang.cos().float(), ang.sin().float()

    def rms(self, x, g):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * g

    def rope(self, x):
        p = x.shape[2]
        c, s = self.cos[:p], self.sin[:p]
        h = x.shape[-1] // 2
        rot = torch.cat([-x[..., h:], x[..., :h]], -1)
        return x * c + rot * s

    def blocks(self, x, start=0, z_hook=None, cache_z=None, cache_resid=None):
        """Blocks `start`.. on the residual `x` [batch, pos, d_model]; `z_hook(l, z)` may
        edit z [batch, heads, pos, d_head] in place; caches fill per layer."""
        b, p, _ = x.shape
        for l in range(start, self.L):
            g = lambda n: self.w[f"blk.{l}.{n}.weight"]
            if cache_resid is not None:
                cache_resid.append(x)
            h = self.rms(x, g("attn_norm"))
            q = F.linear(h, g("attn_q")).view(b, p, self.nh, self.dh).transpose(1, 2)
            k = F.linear(h, g("attn_k")).view(b, p, self.nkv, self.dh).transpose(1, 2)
            v = F.linear(h, g("attn_v")).view(b, p, self.nkv, self.dh).transpose(1, 2)
            q, k = self.rope(q), self.rope(k)
            z = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
            if z_hook is not None:
                z_hook(l, z)
            if cache_z is not None:
                cache_z.append(z)
            x = x + F.linear(z.transpose(1, 2).reshape(b, p, self.d), g("attn_output"))
            h = self.rms(x, g("ffn_norm"))
            x = x + F.linear(F.silu(F.linear(h, g("ffn_gate"))) * F.linear(h, g("ffn_up")), g("ffn_down"))
        return x

    def logits(self, x):
        return F.linear(self.rms(x, self.w["output_norm.weight"]), self.unemb)

    def forward(self, ids):
        return self.logits(self.blocks(self.emb[ids]))

    def patch_heads(self, clean, corrupted, correct, incorrect):
        """Metrics (mean logit difference over the batch) clean, corrupted and patched
        per head [layers, heads], head z patched clean → corrupted at all positions."""
        rows = torch.arange(len(correct))

        def metric(last):
            lg = self.logits(last)
            return (lg[rows, correct] - lg[rows, incorrect]).double().mean().item()

        zc, rc = [], []
        m_clean = metric(self.blocks(self.emb[clean], cache_z=zc)[:, -1])
        m_corr = metric(self.blocks(self.emb[corrupted], cache_resid=rc)[:, -1])
        out = np.zeros((self.L, self.nh))
        for l in range(self.L):
            for hh in range(self.nh):
                def hook(layer, z, l=l, hh=hh):
                    if layer == l:
                        z[:, hh] = zc[l][:, hh]

                out[l, hh] = metric(self.blocks(rc[l], start=l, z_hook=hook)[:, -1])
        return m_clean, m_corr, out


def loadavg():
    return round(os.getloadavg()[0], 2)


def run_rust(args):
    """Run interp_bench under /usr/bin/time -v: (stdout, peak RSS in MB)."""
    r = subprocess.run(["/usr/bin/time", "-v", str(BIN), *map(str, args)], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"interp_bench failed:\n{r.stderr}")
    kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1))
    return r.stdout, kb / 1024


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    sweeps = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    subprocess.run(
        ["cargo", "build", "--release", "-q", "-p", "ganglion-interp", "--example", "interp_bench"], cwd=ROOT, check=True
    )
    torch.set_num_threads(2)
    torch.set_grad_enabled(False)
    reader = gguf.GGUFReader(str(MODEL))
    t0 = time.time()
    m = Llama(reader)
    load_s = time.time() - t0
    V = m.emb.shape[0]
    # Deterministic, varied token ids (interp_check's hash); the corrupted batch differs at
    # positions 2 and 9 (as an IOI corruption changes a name), and the answers are the clean
    # and corrupted tokens at position 2.
    clean = [[(b * 7919 + t * 104_729 + 17) % V for t in range(LEN)] for b in range(BATCH)]
    corrupted = [list(r) for r in clean]
    for b, r in enumerate(corrupted):
        for t in (2, 9):
            r[t] = (r[t] + 1000 + 37 * b) % V
    correct = [r[2] for r in clean]
    incorrect = [r[2] for r in corrupted]
    ids = torch.tensor(clean)
    tmp = tempfile.mkdtemp(prefix="torch_bench_")
    ids_path, pairs_path = f"{tmp}/ids.json", f"{tmp}/pairs.json"
    json.dump(clean, open(ids_path, "w"))
    json.dump({"clean": clean, "corrupted": corrupted, "correct": correct, "incorrect": incorrect}, open(pairs_path, "w"))
    print(f"PyTorch {torch.__version__} ({torch.get_num_threads()} threads), loaded in {load_s:.1f} s; tmp {tmp}", flush=True)

    m.forward(ids)  # warm-up: the first pass allocates
    fwd = {"rust": [], "torch": []}
    rust_rss = []
    torch_logits = None
    for r in range(rounds):
        la = loadavg()
        # Two passes in the Rust process as well: the second, warm one is timed.
        out, rss = run_rust(["forward", MODEL, ids_path, 2, f"{tmp}/rust_logits.bin"])
        rust_rss.append(rss)
        fwd["rust"].append((json.loads(out)["times_s"][-1], la))
        la = loadavg()
        t = time.perf_counter()
        torch_logits = m.forward(ids)
        fwd["torch"].append((time.perf_counter() - t, la))
        print(f"round {r}: rust {fwd['rust'][-1][0]:.2f} s (load {fwd['rust'][-1][1]}), torch {fwd['torch'][-1][0]:.2f} s (load {la})", flush=True)
    torch_rss_fwd = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    sw = {"rust": [], "torch": []}
    rust_sweep_rss = []
    rust_sweep = torch_sweep = None
    for s in range(sweeps):
        la = loadavg()
        _, rss = run_rust(["sweep", MODEL, pairs_path, f"{tmp}/rust_sweep.json"])
        rust_sweep_rss.append(rss)
        rust_sweep = json.load(open(f"{tmp}/rust_sweep.json"))
        sw["rust"].append((rust_sweep["time_s"], la))
        la = loadavg()
        t = time.perf_counter()
        torch_sweep = m.patch_heads(clean, corrupted, torch.tensor(correct), torch.tensor(incorrect))
        sw["torch"].append((time.perf_counter() - t, la))
        print(f"sweep {s}: rust {sw['rust'][-1][0]:.1f} s (load {sw['rust'][-1][1]}), torch {sw['torch'][-1][0]:.1f} s (load {la})", flush=True)
    torch_rss_all = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # Agreement, after the peak-memory readings.
    rust_logits = np.memmap(f"{tmp}/rust_logits.bin", dtype="<f4", mode="r").reshape(BATCH, LEN, V)
    tl = torch_logits.numpy()
    scale = float(np.abs(tl).max())
    worst = max(float(np.abs(rust_logits[b].astype(np.float64) - tl[b]).max()) for b in range(BATCH)) / scale
    argmax_same = all(bool((rust_logits[b].argmax(-1) == tl[b].argmax(-1)).all()) for b in range(BATCH))
    if sweeps:
        tc, tco, tp = torch_sweep
        span = abs(tc - tco)
        sweep_diff = float(np.abs(np.array(rust_sweep["patched"]) - tp.ravel()).max()) / span
        order_r = np.argsort(-np.array(rust_sweep["patched"]))[:5]
        order_t = np.argsort(-tp.ravel())[:5]

    med = lambda xs: statistics.median(x[0] for x in xs)
    toks = BATCH * LEN
    print("\n## results")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; PyTorch {torch.__version__}, numpy {np.__version__}")
    print(f"forward ({rounds} rounds): rust median {med(fwd['rust']):.3f} s ({toks / med(fwd['rust']):.0f} tok/s), "
          f"torch median {med(fwd['torch']):.3f} s ({toks / med(fwd['torch']):.0f} tok/s), "
          f"ratio torch/rust time {med(fwd['torch']) / med(fwd['rust']):.2f}")
    print(f"  rust times {[round(x[0], 3) for x in fwd['rust']]} loads {[x[1] for x in fwd['rust']]}")
    print(f"  torch times {[round(x[0], 3) for x in fwd['torch']]} loads {[x[1] for x in fwd['torch']]}")
    print(f"  logits: max |rust − torch| / max |logit| = {worst:.2e}; argmax equal everywhere: {argmax_same}")
    print(f"peak RSS: rust forward process {max(rust_rss):.0f} MB; torch process after forwards {torch_rss_fwd:.0f} MB")
    if sweeps:
        print(f"sweep ({sweeps} run(s)): rust median {med(sw['rust']):.1f} s, torch median {med(sw['torch']):.1f} s, "
              f"ratio torch/rust {med(sw['torch']) / med(sw['rust']):.2f}")
        print(f"  rust {sw['rust']}; torch {sw['torch']}")
        print(f"  clean {rust_sweep['clean']:.4f} / {tc:.4f}, corrupted {rust_sweep['corrupted']:.4f} / {tco:.4f} (rust / torch)")
        print(f"  max |patched rust − torch| / |clean − corrupted| = {sweep_diff:.2e}")
        print(f"  top heads rust {[divmod(int(i), m.nh) for i in order_r]}, torch {[divmod(int(i), m.nh) for i in order_t]}")
        print(f"peak RSS: rust sweep process {max(rust_sweep_rss):.0f} MB; torch process overall {torch_rss_all:.0f} MB")
    ok = worst < 1e-4 and argmax_same and (not sweeps or sweep_diff < 1e-3)
    print("agreement OK" if ok else "AGREEMENT FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
