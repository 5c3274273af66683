"""PyTorch CPU side of bench/autodiff: one training step (forward + backward + Adam) of
(a) an ELM neuron (NeuronIO-sized: 45 branches x 100 synapses, d_m = 20, hidden 40, 2 outputs;
batch 32, 100 time steps) and (b) a 2-layer pre-LN transformer (d = 64, 4 heads, seq 64, batch 16,
vocab 128). Same sizes and ops as the Rust sides (bench/autodiff/*/src/main.rs).

Usage: python torch_bench.py elm|elm-hoisted|elm-routed|tf [reps]   -> one JSON line with median/min step ms, peak RSS.
"""
import json
import math
import resource
import sys
import time

import torch
import torch.nn.functional as F


def neuronio_routing(n, nb, spb):
    """Input index and validity of every synapse, as ganglion_train::autodiff::elm: inputs
    interleaved (position p reads input (p mod 2)*(n//2) + p//2), branch j reads the spb
    consecutive positions from j*ceil(n/nb); positions past the end are masked."""
    stride = -(-n // nb)
    idx, valid = [], []
    for j in range(nb):
        for s in range(spb):
            pos = j * stride + s
            valid.append(pos < n)
            pos = min(pos, n - 1)
            idx.append((pos % 2) * (n // 2) + pos // 2)
    return torch.tensor(idx), torch.tensor(valid, dtype=torch.float32)


def elm_setup(hoisted=False, routed=False):
    nb, spb, dm = 45, 100, 20
    ns, hid = nb * spb, 2 * dm
    # routed: the paper's NeuronIO neuron as the workspace builds it (1278 inputs routed to the
    # 4500 synapses; the drive is x @ R with R[i, k] the summed weights of branch k's synapses
    # reading input i). Otherwise every synapse reads its own input (4500 inputs).
    n_in = 1278 if routed else ns
    if routed:
        idx, valid = neuronio_routing(n_in, nb, spb)
    p = [
        torch.full((ns,), 0.5),
        torch.randn(nb + dm, hid) * math.sqrt(1 / (nb + dm)),
        torch.zeros(hid),
        torch.randn(hid, dm) * math.sqrt(1 / hid),
        torch.zeros(dm),
        torch.randn(dm, 2) * math.sqrt(1 / dm),
        torch.zeros(2),
    ]
    p = [t.requires_grad_() for t in p]
    kappa_s = torch.full((ns,), math.exp(-1 / 5))
    taus = torch.tensor([150 ** (i / (dm - 1)) for i in range(dm)])
    kappa_m = torch.exp(-1 / taus)
    lam = 5.0 * (1 - kappa_m)
    branch_of = (torch.arange(ns)[:, None] // spb == torch.arange(nb)[None, :]).float()

    def f_hoisted(x, target):
        # As ganglion_train::autodiff::elm: with one synaptic time constant the branch sum
        # commutes with the trace recursion, so the synapse-wide work is one matrix product with
        # the block-diagonal synapse→branch matrix and the loop runs on (batch, branches).
        T, b, _ = x.shape
        w_bd = torch.relu(p[0])[:, None] * branch_of
        if routed:
            w_bd = torch.zeros(n_in, nb).index_add(0, idx, w_bd * valid[:, None])
        drive = (x.view(T * b, n_in) @ w_bd).view(T, b, nb)
        syn = torch.zeros(b, nb)
        m = torch.zeros(b, dm)
        ms = []
        for t in range(T):
            syn = kappa_s[0] * syn + drive[t]
            mm = kappa_m * m
            h = torch.relu(torch.cat([syn, mm], 1) @ p[1] + p[2])
            d = torch.tanh((h @ p[3] + p[4]) * (2 / 3)) * 1.7159
            m = mm + lam * d
            ms.append(m)
        y = torch.stack(ms).view(T * b, dm) @ p[5] + p[6]
        return ((y.view(T, b, 2) - target) ** 2).mean()

    def f(x, target):
        T, b, _ = x.shape
        w_s = torch.relu(p[0])
        s = torch.zeros(b, ns)
        m = torch.zeros(b, dm)
        ys = []
        for t in range(T):
            s = kappa_s * s + w_s * x[t]
            syn = s.view(b, nb, spb).sum(-1)
            mm = kappa_m * m
            h = torch.relu(torch.cat([syn, mm], 1) @ p[1] + p[2])
            d = torch.tanh((h @ p[3] + p[4]) * (2 / 3)) * 1.7159
            m = mm + lam * d
            ys.append(m @ p[5] + p[6])
        return ((torch.stack(ys) - target) ** 2).mean()

    x = (torch.rand(100, 32, n_in) >= 0.98).float()
    y = torch.randn(100, 32, 2)
    return p, (f_hoisted if hoisted else f), x, y


def tf_setup():
    d, h, nl, vocab, seq = 64, 4, 2, 128, 64
    p = [torch.randn(vocab, d) * 0.02, torch.randn(seq, d) * 0.02]
    for _ in range(nl):
        for shape in [(d, 3 * d), (d, d), (d, 4 * d), (4 * d, d)]:
            p.append(torch.randn(*shape) * 0.02)
        for n in [3 * d, d, 4 * d, d]:
            p.append(torch.zeros(n))
        for _ in range(2):
            p.append(torch.ones(d))
            p.append(torch.zeros(d))
    p += [torch.ones(d), torch.zeros(d), torch.randn(d, vocab) * 0.02]
    p = [t.requires_grad_() for t in p]
    mask = torch.triu(torch.full((seq, seq), -1e9), diagonal=1)

    def f(ids, tgt):
        b, t = ids.shape
        dh = d // h
        x = p[0][ids] + p[1]
        for l in range(nl):
            q = p[2 + 12 * l : 2 + 12 * (l + 1)]
            xn = F.layer_norm(x, (d,), q[8], q[9], 1e-5)
            qkv = (xn @ q[0] + q[4]).view(b, t, 3, h, dh)
            qq, kk, vv = (qkv[:, :, i].transpose(1, 2) for i in range(3))
            att = torch.softmax(qq @ kk.transpose(-1, -2) / math.sqrt(dh) + mask, -1)
            o = (att @ vv).transpose(1, 2).reshape(b, t, d)
            x = x + o @ q[1] + q[5]
            xn = F.layer_norm(x, (d,), q[10], q[11], 1e-5)
            x = x + F.gelu(xn @ q[2] + q[6], approximate="tanh") @ q[3] + q[7]
        xn = F.layer_norm(x, (d,), p[-3], p[-2], 1e-5)
        logits = (xn @ p[-1]).view(b * t, vocab)
        return F.cross_entropy(logits, tgt)

    ids = torch.tensor([(i * 7919 + 13) % 128 for i in range(16 * 64)]).view(16, 64)
    tgt = torch.tensor([(i * 104729 + 7) % 128 for i in range(16 * 64)])
    return p, f, ids, tgt


def main():
    which = sys.argv[1] if len(sys.argv) > 1 else "elm"
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    torch.manual_seed(0)
    if which == "elm":
        p, f, x, y = elm_setup()
    elif which == "elm-hoisted":
        p, f, x, y = elm_setup(hoisted=True)
    elif which == "elm-routed":
        p, f, x, y = elm_setup(hoisted=True, routed=True)
    else:
        p, f, x, y = tf_setup()
    opt = torch.optim.Adam(p, lr=1e-3)
    times = []
    for r in range(reps + 2):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = f(x, y)
        loss.backward()
        opt.step()
        last = loss.item()
        if r >= 2:
            times.append(time.perf_counter() - t0)
    times.sort()
    print(json.dumps({
        "lib": "torch " + torch.__version__, "workload": which, "threads": torch.get_num_threads(),
        "params": sum(t.numel() for t in p), "median_ms": round(times[len(times) // 2] * 1e3, 3),
        "min_ms": round(times[0] * 1e3, 3),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "loss": last,
    }))


if __name__ == "__main__":
    main()
