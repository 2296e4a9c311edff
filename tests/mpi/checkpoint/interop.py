"""Loads a dptrain MLP checkpoint with h5py into torch.nn, evaluates it on the Fashion-MNIST test
split, and compares with `dptrain eval`; checks the `dptrain export` archive with torch.jit.load.
usage: interop.py CHECKPOINT EVAL_OUTPUT MODEL_PT IMAGES_GZ LABELS_GZ"""
import collections
import configparser
import gzip
import re
import sys

import h5py
import numpy as np
import torch

checkpoint, eval_output, exported, images_gz, labels_gz = sys.argv[1:]

with h5py.File(checkpoint, "r") as f:
    config = configparser.ConfigParser()
    config.read_string(f["meta/config"][()].decode())
    state = {name: torch.from_numpy(f["model"][name][()]) for name in f["model"]}
hidden = [int(h) for h in config["model"]["hidden"].split(",")]
mean, std = float(config["data"]["pixel_mean"]), float(config["data"]["pixel_std"])


def mlp():
    layers, width = [("flatten", torch.nn.Flatten())], 784
    for i, h in enumerate(hidden + [10]):
        layers.append((f"fc{i}", torch.nn.Linear(width, h)))
        if i < len(hidden):
            layers.append((f"relu{i}", torch.nn.ReLU()))
        width = h
    return torch.nn.Sequential(collections.OrderedDict(layers))


net = mlp()
net.load_state_dict(state)  # the names are dptrain's named_parameters(): fc0.weight, ...
net.eval()

with gzip.open(images_gz) as f:
    images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
with gzip.open(labels_gz) as f:
    labels = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
x = (torch.from_numpy(images.astype(np.float32)) / 255.0 - mean) / std
with torch.no_grad():
    logits = net(x)
    loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(labels), reduction="sum").item() / len(labels)
    accuracy = (logits.argmax(1).numpy() == labels).mean()

text = open(eval_output).read()
found = re.search(r"eval: loss (\S+) accuracy (\S+) samples (\d+)", text)
assert found, text
d_loss, d_accuracy, d_samples = float(found[1]), float(found[2]), int(found[3])
print(f"torch.nn from h5py: loss {loss:.7f} accuracy {accuracy:.4f}; dptrain eval: loss {d_loss:.7f} "
      f"accuracy {d_accuracy:.4f} over {d_samples}")
assert d_samples == len(labels), d_samples
assert abs(loss - d_loss) <= 1e-5 * abs(d_loss), (loss, d_loss)
assert abs(accuracy - d_accuracy) <= 1.0 / len(labels), (accuracy, d_accuracy)  # an arg-max tie at most

module = torch.jit.load(exported)
loaded = module.state_dict()
assert sorted(loaded) == sorted(state), (sorted(loaded), sorted(state))
for name, value in state.items():
    assert torch.equal(loaded[name], value), name
again = mlp()
again.load_state_dict(loaded)
again.eval()
with torch.no_grad():
    assert torch.equal(again(x[:256]), logits[:256])
print(f"torch.jit.load: {len(loaded)} tensors equal the checkpoint's; same logits")
