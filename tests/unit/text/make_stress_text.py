#!/usr/bin/python3
"""Writes lines of random text from character pools that exercise every rule of BERT's basic
tokenizer (accents, combining marks, Greek sigma, Turkish dotted I, CJK, Hangul, ligatures,
Unicode punctuation and spaces, zero-width and control characters, emoji), seeded: the same
file every time.    make_stress_text.py OUT [LINES]"""
import random
import sys

POOLS = [
    "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789",
    "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿÀÁÂÃÄÅÇÈÉÊËÑÖØÜßœŒ",
    "\u0301\u0300\u0308\u0327\u030c",                      # combining marks
    "ΑΒΓΔΕΣσςαβγδεΌάέ", "İıŞşĞğ", "АБВГДЕЖабвгдёж",
    "你好世界中文字\u3400\uf900\U00020000", "한국어글",
    "ﬁﬂ\ufb00ⅷ①", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", "«»—–‘’“”…¿¡、。！？",
    " \t\u00a0\u2003\u3000\u2028", "\u200b\u200d\ufeff\x01\x07\x7f\u00ad\ufffd\x00",
    "😀🎉👍🏽", "\u0e01\u0e32\u0e23", "\u0627\u0644\u0639\u0631\u0628\u064a\u0629",
]


def main():
    rng = random.Random(1234)
    lines = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
    out = []
    for _ in range(lines):
        line = []
        for _ in range(rng.randint(0, 60)):
            pool = POOLS[rng.randrange(len(POOLS))] if rng.random() < 0.35 else POOLS[rng.randrange(2)]
            line.append(rng.choice(pool))
            if rng.random() < 0.2:
                line.append(" ")
        out.append("".join(line).replace("\n", " "))
    with open(sys.argv[1], "wb") as f:
        f.write(("\n".join(out) + "\n").encode("utf-8"))


if __name__ == "__main__":
    main()
