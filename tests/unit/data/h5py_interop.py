"""Reads a dptrain dataset split with h5py, as a user would, and checks it against its IDX
source: manifest, dtypes, shapes, chunking along the sample axis, and every value.

usage: h5py_interop.py <split dir> <images.idx[.gz]> <labels.idx[.gz]>
"""
import gzip
import json
import os
import sys

import h5py
import numpy as np


def read_idx(path):
    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
        data = f.read()
    assert data[0:2] == b"\0\0" and data[2] == 0x08, f"{path}: not an unsigned-byte IDX file"
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def main(split, images_path, labels_path):
    images, labels = read_idx(images_path), read_idx(labels_path)
    with open(os.path.join(split, "manifest.json")) as f:
        manifest = json.load(f)
    assert manifest["format"] == "dptrain-dataset" and manifest["format_version"] == 1
    fields = {f["name"]: f for f in manifest["fields"]}
    assert fields["x"]["dtype"] == "uint8" and fields["x"]["shape"] == list(images.shape[1:])
    assert fields["y"]["role"] == "label" and fields["y"]["num_classes"] == int(labels.max()) + 1
    xs, ys = [], []
    for shard in manifest["shards"]:
        path = os.path.join(split, shard["file"])
        assert os.path.getsize(path) == shard["bytes"], f"{path}: size differs from the manifest"
        with h5py.File(path, "r") as f:
            x, y = f["x"], f["y"]
            assert x.dtype == np.uint8 and y.dtype == np.uint8
            assert x.shape == (shard["samples"],) + images.shape[1:], x.shape
            assert y.shape == (shard["samples"],), y.shape
            assert x.chunks is not None and x.chunks[1:] == images.shape[1:], x.chunks
            chunk_bytes = x.chunks[0] * int(np.prod(images.shape[1:]))
            assert 256 << 10 <= chunk_bytes <= 1 << 20 or x.chunks[0] == shard["samples"], chunk_bytes
            xs.append(x[...])
            ys.append(y[...])
    x_all, y_all = np.concatenate(xs), np.concatenate(ys)
    assert len(x_all) == manifest["total_samples"] == len(images)
    assert np.array_equal(x_all, images), "pixel values differ from the IDX source"
    assert np.array_equal(y_all, labels), "labels differ from the IDX source"
    mean = images.astype(np.float64).mean() / 255.0
    assert abs(fields["x"]["mean"] - mean) < 1e-9, (fields["x"]["mean"], mean)
    print(f"h5py interop: ok ({split}: {len(x_all)} samples in {len(manifest['shards'])} shards)")


if __name__ == "__main__":
    main(*sys.argv[1:])
