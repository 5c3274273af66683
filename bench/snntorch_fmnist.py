"""snnTorch side of the training benchmark (bench/TRAIN.md): the same SNN as
examples/fmnist_snn.toml, trained on the same Fashion-MNIST files with the same batch size.

784 rate-coded inputs (Bernoulli per step, p = pixel), 25 steps of 1 ms -> 256 -> 10 current-based
LIF neurons with exponential synapses (snn.Synaptic: alpha = e^{-1/5}, beta = e^{-1/20}),
threshold 1, reset to zero, no biases, fast-sigmoid surrogate, cross-entropy on output spike
counts, Adam, batch 128. Prints one JSON line per epoch.

    bench/snntorch_setup.sh
    bench/out/.venv-snntorch/bin/python bench/snntorch_fmnist.py --epochs 1 [--limit N]
"""
import argparse, gzip, json, math, os, time

import numpy as np
import torch
import torch.nn as nn
import snntorch as snn
from snntorch import surrogate, spikegen
import snntorch.functional as SF


def idx(path):
    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
        b = f.read()
    nd = b[3]
    dims = [int.from_bytes(b[4 + 4 * k: 8 + 4 * k], "big") for k in range(nd)]
    return np.frombuffer(b, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def load(d, pre):
    x = idx(os.path.join(d, f"{pre}-images-idx3-ubyte.gz"))
    y = idx(os.path.join(d, f"{pre}-labels-idx1-ubyte.gz"))
    return torch.tensor(x.reshape(len(x), -1) / 255.0, dtype=torch.float32), torch.tensor(y, dtype=torch.long)


class Net(nn.Module):
    def __init__(self, slope):
        super().__init__()
        sg = surrogate.fast_sigmoid(slope=slope)
        a, b = math.exp(-1 / 5), math.exp(-1 / 20)
        self.fc1 = nn.Linear(784, 256, bias=False)
        self.lif1 = snn.Synaptic(alpha=a, beta=b, spike_grad=sg, reset_mechanism="zero")
        self.fc2 = nn.Linear(256, 10, bias=False)
        self.lif2 = snn.Synaptic(alpha=a, beta=b, spike_grad=sg, reset_mechanism="zero")

    def forward(self, x):  # x: steps x batch x 784
        syn1, mem1 = self.lif1.init_synaptic()
        syn2, mem2 = self.lif2.init_synaptic()
        out = []
        for t in range(x.shape[0]):
            s1, syn1, mem1 = self.lif1(self.fc1(x[t]), syn1, mem1)
            s2, syn2, mem2 = self.lif2(self.fc2(s1), syn2, mem2)
            out.append(s2)
        return torch.stack(out)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="data/fashion-mnist")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=25)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--slope", type=float, default=7.5)  # 0.5 /mV x 15 mV threshold
    a = p.parse_args()
    torch.manual_seed(1)
    xtr, ytr = load(a.data, "train")
    xte, yte = load(a.data, "t10k")
    if a.limit:
        xtr, ytr, xte, yte = xtr[: a.limit], ytr[: a.limit], xte[: a.limit], yte[: a.limit]
    net = Net(a.slope)
    opt = torch.optim.Adam(net.parameters(), lr=a.lr)
    loss_fn = SF.ce_count_loss()
    for e in range(a.epochs):
        t0, c0 = time.time(), time.process_time()
        perm = torch.randperm(len(xtr))
        for i in range(0, len(xtr), a.batch):
            idx_ = perm[i: i + a.batch]
            spk = spikegen.rate(xtr[idx_], num_steps=a.steps)
            out = net(spk)
            loss = loss_fn(out, ytr[idx_])
            opt.zero_grad()
            loss.backward()
            opt.step()
        epoch_s, epoch_cpu_s = time.time() - t0, time.process_time() - c0
        correct = 0
        with torch.no_grad():
            for i in range(0, len(xte), 256):
                out = net(spikegen.rate(xte[i: i + 256], num_steps=a.steps))
                correct += (out.sum(0).argmax(1) == yte[i: i + 256]).sum().item()
        print(json.dumps({"epoch": e + 1, "epoch_s": epoch_s, "epoch_cpu_s": epoch_cpu_s, "test_accuracy": correct / len(xte),
                          "threads": torch.get_num_threads(), "torch": torch.__version__, "snntorch": snn.__version__}), flush=True)


if __name__ == "__main__":
    main()
