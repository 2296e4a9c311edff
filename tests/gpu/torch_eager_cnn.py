#!/usr/bin/env python3
"""PyTorch eager baseline for dptrain's Fashion-MNIST CNN (src/models/cnn.cc, configs/fashion_mnist_cnn.ini).

Same architecture, batch, optimizer (SGD, momentum 0.9, Nesterov, weight decay 5e-4), learning-rate
schedule (100 warm-up steps, cosine) and input normalization as `dptrain train --config
configs/fashion_mnist_cnn.ini`; the loop a PyTorch user writes: forward, loss, backward, step, the
loss read back only every --log-every steps. One JSON line per run on stdout, then a table.

Two ways to feed it, both reported:
  host  each batch is gathered from a uint8 array in host memory, normalized to float32 there and
        copied to the GPU -- what dptrain's loader + `.to(device)` do (the like-for-like baseline);
  gpu   the whole split lives on the GPU as uint8 and batches are sliced there (the ceiling).
samples/s counts the timed steps only: every step after the first --warmup ones, between two
device synchronizations. Test accuracy is measured after the last step when --test is given.

Usage: torch_eager_cnn.py --train DIR/train --test DIR/t10k [--epochs 3] [--precision fp32,bf16]
       [--data host,gpu] [--batch 128]    (DIR/<split>-{images-idx3,labels-idx1}-ubyte[.gz|.xz])
"""
import argparse
import gzip
import json
import lzma
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

PIXEL_MEAN, PIXEL_STD = 0.2860, 0.3530  # configs/fashion_mnist_cnn.ini [data]


def read_idx(prefix):
    """Reads <prefix> with an optional .xz or .gz suffix (IDX: magic, dims, uint8 data)."""
    for suffix, opener in (("", open), (".xz", lzma.open), (".gz", gzip.open)):
        if os.path.exists(prefix + suffix):
            with opener(prefix + suffix, "rb") as f:
                data = f.read()
            break
    else:
        sys.exit(f"torch_eager_cnn.py: no IDX file {prefix}[.xz|.gz]")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_split(prefix):
    return read_idx(prefix + "-images-idx3-ubyte"), read_idx(prefix + "-labels-idx1-ubyte").astype(np.int64)


# --- the model: src/models/cnn.cc, layer for layer ---------------------------------------------
def conv3x3(cin, cout, stride):
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)


def norm(c):
    return nn.GroupNorm(min(8, c), c)


def float32(x):  # cnn.cc: GroupNorm's input in float32 under bf16 autocast (CUDA autocast does it anyway)
    return x.float() if x.dtype in (torch.bfloat16, torch.float16) else x


class ConvBlock(nn.Module):  # conv -> norm -> relu
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv, self.norm = conv3x3(cin, cout, stride), norm(cout)

    def forward(self, x):
        return F.relu(self.norm(float32(self.conv(x))))


class ResidualBlock(nn.Module):  # x + norm(conv(relu(norm(conv(x))))) -> relu
    def __init__(self, c):
        super().__init__()
        self.conv1, self.norm1 = conv3x3(c, c, 1), norm(c)
        self.conv2, self.norm2 = conv3x3(c, c, 1), norm(c)

    def forward(self, x):
        h = F.relu(self.norm1(float32(self.conv1(x))))
        return F.relu(x + self.norm2(float32(self.conv2(h))))


class Cnn(nn.Module):
    def __init__(self, in_channels=1, height=28, width=28, channels=16, classes=10):
        super().__init__()
        c = channels
        halved = lambda n: (n + 1) // 2
        self.features = nn.Sequential(ConvBlock(in_channels, c, 1), ResidualBlock(c), ConvBlock(c, 2 * c, 2),
                                      ResidualBlock(2 * c), ConvBlock(2 * c, 4 * c, 2), ResidualBlock(4 * c))
        self.head = nn.Linear(4 * c * halved(halved(height)) * halved(halved(width)), classes)

    def forward(self, x):
        h = x.unsqueeze(1) if x.dim() == 3 else x
        return self.head(self.features(h).flatten(1))


def lr_at(step, total, peak=0.05, warmup=100):  # src/optim/optimizer.cc LrSchedule, cosine, floor 0
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup - 1))
    return peak * 0.5 * (1.0 + math.cos(math.pi * progress))


def run(args, precision, data_mode, train, test, device):
    torch.manual_seed(0)
    images, labels = train
    n = len(labels)
    steps_per_epoch = n // args.batch  # the last incomplete batch is dropped, as dptrain does
    total = args.steps if args.steps > 0 else args.epochs * steps_per_epoch
    model = Cnn(channels=args.channels).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
    if data_mode == "gpu":
        dev_images = torch.from_numpy(images.copy()).to(device)
        dev_labels = torch.from_numpy(labels.copy()).to(device)
    gen = np.random.default_rng(0)
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16")
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    def batches():
        epoch = 0
        while True:
            order = gen.permutation(n)
            for s in range(steps_per_epoch):
                idx = order[s * args.batch:(s + 1) * args.batch]
                if data_mode == "gpu":
                    i = torch.from_numpy(idx).to(device, non_blocking=True)
                    x = (dev_images[i].float() / 255.0 - PIXEL_MEAN) / PIXEL_STD
                    yield x, dev_labels[i]
                else:
                    x = torch.from_numpy((images[idx].astype(np.float32) / 255.0 - PIXEL_MEAN) / PIXEL_STD)
                    yield x.to(device), torch.from_numpy(labels[idx]).to(device)
            epoch += 1

    model.train()
    it = batches()
    losses = []
    start = None
    for step in range(total):
        if step == args.warmup:
            sync()
            start = time.perf_counter()
        for group in opt.param_groups:
            group["lr"] = lr_at(step, total)
        x, y = next(it)
        with autocast:
            loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        if (step + 1) % args.log_every == 0 or step + 1 == total:
            losses.append(loss.item())
    sync()
    elapsed = time.perf_counter() - start
    result = {"what": "torch_eager_cnn", "precision": precision, "data": data_mode, "batch": args.batch,
              "steps": total, "timed_steps": total - args.warmup, "seconds": round(elapsed, 4),
              "samples_per_s": round((total - args.warmup) * args.batch / elapsed, 1),
              "final_loss": round(losses[-1], 4), "torch": torch.__version__,
              "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"}
    if test is not None:
        model.eval()
        correct = 0
        with torch.no_grad(), autocast:
            for s in range(0, len(test[1]), 1000):
                x = torch.from_numpy((test[0][s:s + 1000].astype(np.float32) / 255.0 - PIXEL_MEAN) / PIXEL_STD)
                pred = model(x.to(device)).argmax(1).cpu().numpy()
                correct += int((pred == test[1][s:s + 1000]).sum())
        result["test_accuracy"] = round(correct / len(test[1]), 4)
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--train", required=True, help="IDX prefix of the training split, e.g. DIR/train")
    p.add_argument("--test", help="IDX prefix of the test split, e.g. DIR/t10k (accuracy after training)")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--steps", type=int, default=0, help="optimizer steps; 0 = --epochs epochs")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--channels", type=int, default=16)
    p.add_argument("--precision", default="fp32,bf16")
    p.add_argument("--data", default="host,gpu")
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--device", default="cuda", help="cuda (the GPU run) or cpu (to try the script without one)")
    args = p.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("torch_eager_cnn.py: no CUDA device")
    device = torch.device(args.device)
    train = load_split(args.train)
    test = load_split(args.test) if args.test else None
    results = []
    for precision in args.precision.split(","):
        for data_mode in args.data.split(","):
            r = run(args, precision, data_mode, train, test, device)
            print(json.dumps(r), flush=True)
            results.append(r)
    print("\n| precision | data | batch | steps | samples/s | final loss | test accuracy |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['precision']} | {r['data']} | {r['batch']} | {r['steps']} | {r['samples_per_s']:.0f} "
              f"| {r['final_loss']} | {r.get('test_accuracy', '-')} |")


if __name__ == "__main__":
    main()
