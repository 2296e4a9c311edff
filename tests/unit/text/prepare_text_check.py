#!/usr/bin/python3
"""Checks the splits of `dptrain prepare text` with h5py against an independent reading of the
corpus: BERT's reference tokenizer (bert_reference.py), the split hash re-implemented here, and
the sequence layout of docs/text.md.

    prepare_text_check.py labelled OUT_DIR FORTUNE_DIR VOCAB MAX_LEN TEST_FRACTION
    prepare_text_check.py packed   OUT_DIR FORTUNE_DIR VOCAB MAX_LEN TEST_FRACTION
"""
import json
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bert_reference import BasicTokenizer, WordpieceTokenizer, load_vocab  # noqa: E402

M64 = 0xFFFFFFFFFFFFFFFF


def hash_unit(text):
    """FNV-1a 64 of the UTF-8 bytes, splitmix64's finalizer, top 53 bits -> [0, 1)."""
    h = 1469598103934665603
    for c in text.encode("utf-8"):
        h = ((h ^ c) * 1099511628211) & M64
    h = ((h ^ (h >> 30)) * 0xBF58476D1CE4E5B9) & M64
    h = ((h ^ (h >> 27)) * 0x94D049BB133111EB) & M64
    h ^= h >> 31
    return (h >> 11) / 9007199254740992.0


def fortunes(directory):
    """(text, label) of every fortune, files in sorted order, as the corpus reader defines them."""
    docs = []
    for name in sorted(os.listdir(directory)):
        if name.startswith(".") or name.endswith(".dat"):
            continue
        with open(os.path.join(directory, name), "rb") as f:
            text = f.read().decode("utf-8")
        chunk = []
        for line in text.split("\n") + ["%"]:
            if line.strip(" \t\r\f\v") == "%":
                doc = "\n".join(chunk).strip(" \t\n\r\f\v")
                if doc:
                    docs.append((doc, os.path.splitext(name)[0]))
                chunk = []
            else:
                chunk.append(line)
    return docs


def read_split(path):
    manifest = json.load(open(os.path.join(path, "manifest.json")))
    cols = {}
    for shard in manifest["shards"]:
        with h5py.File(os.path.join(path, shard["file"]), "r") as f:
            for name in f:
                cols.setdefault(name, []).append(f[name][...])
    return manifest, {k: np.concatenate(v) for k, v in cols.items()}


def main():
    mode, out, corpus, vocab_path, max_len, fraction = sys.argv[1:7]
    max_len, fraction = int(max_len), float(fraction)
    vocab = load_vocab(vocab_path)
    basic, wordpiece = BasicTokenizer(True), WordpieceTokenizer(vocab)
    docs = fortunes(corpus)
    ids_of = {text: [vocab[t] for w in basic.tokenize(text) for t in wordpiece.tokenize(w)] for text, _ in docs}
    cls, sep, pad = vocab["[CLS]"], vocab["[SEP]"], vocab["[PAD]"]
    for split in ("train", "test"):
        manifest, cols = read_split(os.path.join(out, split))
        text = manifest["text"]
        assert text["max_len"] == max_len and text["vocab_size"] == len(vocab), text
        assert (text["pad_id"], text["cls_id"], text["sep_id"]) == (pad, cls, sep), text
        ids, mask = cols["input_ids"], cols["attention_mask"]
        assert ids.dtype == np.int32 and mask.dtype == np.uint8 and ids.shape[1] == max_len, (ids.dtype, ids.shape)
        real = mask.sum(axis=1).astype(np.int64)
        # Every row: 1s then 0s in the mask, [CLS] first, [SEP] last of the real tokens, [PAD] after.
        assert np.array_equal(mask, (np.arange(max_len)[None, :] < real[:, None]).astype(np.uint8))
        assert (ids[:, 0] == cls).all() and (ids[np.arange(len(ids)), real - 1] == sep).all()
        assert (ids[mask == 0] == pad).all()
        mine = [(t, label) for t, label in docs if (hash_unit(t) < fraction) == (split == "test") and ids_of[t]]
        mine.sort(key=lambda d: hash_unit(d[0]))  # hash order (no ties in this corpus)
        if mode == "labelled":
            names = manifest["class_names"]
            assert names == sorted({label for _, label in docs}), names
            expected = [[cls] + ids_of[t][: max_len - 2] + [sep] for t, _ in mine]
            assert len(expected) == len(ids), (split, len(expected), len(ids))
            for row, n, exp in zip(ids, real, expected):
                assert list(row[:n]) == exp, (list(row[:n]), exp)
            assert list(cols["label"]) == [names.index(label) for _, label in mine]
        else:
            assert "label" not in cols and text["packed"]
            stream = []
            for t, _ in mine:
                stream += ([sep] if stream else []) + ids_of[t]
            assert (real[:-1] == max_len).all(), "only the last packed row may have padding"
            got = []
            for row, n in zip(ids, real):
                got += list(row[1 : n - 1])
                if len(got) < len(stream) and stream[len(got)] == sep:
                    got.append(sep)  # a piece's leading [SEP] is dropped
            assert got == stream, "packed stream differs"
        print(f"{mode} {split}: {len(ids)} rows match the reference")


if __name__ == "__main__":
    main()
