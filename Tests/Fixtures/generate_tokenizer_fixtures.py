#!/usr/bin/env python3
"""Generates the tokenizer fixtures in Tests/Fixtures/tokenizer/ with tiktoken (pip install tiktoken).

No network: the `gpt2` encoding is built from the local GPT-2 files in ../shared/data (as
../shared/bench/peer_tiktoken.py does). Run from the package root:

    /tmp/ref/bin/python Tests/Fixtures/generate_tokenizer_fixtures.py [--data ../shared/data]

(--data defaults to $FINCH_SHARED_DATA, else ../shared/data beside the package root.)

Writes:
- dataset_ids.json: tiktoken ids of every chapter 7 entry formatted as an Alpaca prompt + response
  (one array per entry), plus count and FNV-1a 64 of the ids of all entries joined by "\\n" (one call).
- hard_text.json: hand-picked hard strings and seeded random Unicode strings with their ids; some with
  `allowed_special` (tiktoken's `encode(..., allowed_special={"<|endoftext|>"})`).
- scalar_classes.json: how tiktoken's regex engine classes every Unicode scalar (0 other, 1 \\p{L},
  2 \\p{N}, 3 \\s), as run-length [first scalar, class] pairs. Found by probing tiktoken itself: an
  encoding whose only multi-byte tokens are "a"+c, "1"+c, "!"+c and "\\t"+c returns the single token
  for "a"+c exactly when the regex keeps "a" and c in one piece, i.e. when c is a letter, and so on.
"""
import argparse, json, os, random

import tiktoken
from tiktoken.load import data_gym_to_mergeable_bpe_ranks

PAT = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "tokenizer")


def alpaca(e):
    t = ("Below is an instruction that describes a task. Write a response that appropriately "
         "completes the request.\n\n### Instruction:\n" + e["instruction"])
    if e["input"]:
        t += "\n\n### Input:\n" + e["input"]
    return t + "\n\n### Response:\n" + e["output"]


def fnv1a64(ids):
    """FNV-1a 64 over the decimal ids joined by commas (easy to recompute in Swift)."""
    h = 0xCBF29CE484222325
    for b in ",".join(map(str, ids)).encode():
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


def hard_strings():
    s = []
    # Contractions in every case and position.
    for c in ["s", "d", "m", "t", "ll", "ve", "re"]:
        for v in {c, c.upper(), c.capitalize(), c[:-1] + c[-1].upper()}:
            s += [f"it'{v}", f"'{v}", f" '{v}", f"x'{v}y", f"''{v}", f"!'{v}", f"'{v}'{v}", f"1'{v}"]
    s += ["I'm can't won't they'll we've you're he'd she's", "I'M CAN'T WON'T THEY'LL WE'VE YOU'RE HE'D",
          "'", "''", "' s", "'l", "'lx", "'v", "'r", "'x", "x'", "rock'n'roll", "’s ’t ’ll", "' ' '", "'\n's"]
    # Whitespace: runs, tabs, newlines, trailing, mixed kinds, lone and at the ends.
    s += ["a  b", "a   b", "a\tb", "a \t b", "a\n\nb", "a\n \nb", "  leading", "trailing  ", "trailing\n",
          "trailing \n", "\n", " ", "   ", "\t\t", "\n\n\n", "a \n", "a\n ", "a\r\nb\r\n", " \ta", "\t a",
          "x \u00a0y", "x\u00a0 y", "x\u3000y", "x \u2003 y", "end with nbsp\u00a0", "\u00a0", "a\u0085b", "a \u0085",
          "a\x0bb\x0cc", "a\x1cb\x1dc\x1ed\x1fe", "a \x1c b", "a\u200bb", "a \u200b b", "a\ufeffb", "\ufeff",
          "a\u180eb", "a\u2028b\u2029c", "a\u202fb\u205fc", "a\u1680b", "    def f(x):\n        return x\n",
          "line one  \n  line two\t\n\tline three   ", "\n \n \n", " \n", "x\n\n  y", "x  \n  y", "x \t\n y"]
    # Digits mixed with letters and punctuation, other number categories.
    s += ["abc123def", "12345678901234567890", "3.14159", "1,000,000", " 42", "x2y3", "A1B2C3", "²³¹", "½ ¼ ¾",
          "Ⅻ ⅻ", "٣٤٥", "①②③", "𝟘𝟙𝟚", "10km/h", "0x1F600", "2nd 3rd 4th", "v1.2.3-beta", "$100.00", "-5",
          "١٢٣abc", "३४"]
    # Emoji, ZWJ sequences, flags, variation selectors.
    s += ["👨‍👩‍👧‍👦", "👍🏽 thumbs", "🏳️‍🌈", "🇺🇸🇫🇷", "❤️ love", "I ❤ NY", "😀😃😄", " 🙂", "a🙂b", "🧑🏻‍💻 coding",
          "\u2764\ufe0f\u200d\U0001f525"]
    # CJK, Hangul, Japanese, Thai, Devanagari, Arabic, Hebrew with marks.
    s += ["你好，世界。", "日本語のテキストです", "カタカナーと々", "한국어 텍스트", "ภาษาไทย", "हिन्दी भाषा",
          "مرحبا بالعالم", "مَرْحَبًا", "ـــكلمة", "שָׁלוֹם", "Ελληνικά", "Привет, мир!", "Ǆemal ǅemal"]
    # Combining marks, categories Lm / Mn / No, odd scalars.
    s += ["e\u0301", "cafe\u0301", "a\u0300\u0301\u0302\u0303", "Z\u0351\u0352\u0353a\u0354l\u0355g\u0356o",
          "ʰʲʷ ˈstress", "x\u02c8y", "\u0345x", "soft\u00adhyphen", "\u0640", "\u2e2f", "x\u0307\u0323",
          "\x00nul", "\x7fdel", "\ue000private", "\U0010fffd", "\U0010ffff", "\ufffe\uffff", "\ufffd", "𝐀𝐁𝐂 math",
          "\U000e0001\U000e0041", "\U0001e030\U0001e031", "\U00011f00\U00011f04", "\U0001cc00", "\U00010d40\U00010d50",
          "\U0001e5d0\U0001e5f1", "\U00016d40\U00016d70", "\u0b55", "\u08c7", "\u1ac0", "\U00016fe4", "\U0001f6dd"]
    # Special-token text (encoded as ordinary text unless allowed) and near misses.
    s += ["<|endoftext|>", "a<|endoftext|>b", "<|endoftext|><|endoftext|>", "<|endoftext", "<|end|>", " <|endoftext|> "]
    # Very long words and runs.
    rng = random.Random(7)
    s += ["a" * 5000, "ab" * 2000, "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(3000)),
          "9" * 2000, "!" * 1500, " " * 1000 + "x", "\n" * 500, "x" + " " * 999,
          "https://example.com/" + "path/" * 200, "supercalifragilisticexpialidocious" * 30, "é" * 1000, "日本" * 500,
          "😀" * 300]
    return s


def random_strings(n, seed):
    rng = random.Random(seed)
    pools = [
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        " \t\n\r\x0b\x0c\u00a0\u2003\u3000\u0085",
        "'\"!?.,;:-_()[]{}<>/\\|@#$%^&*+=~`",
        "sdmtlvre'",
        "éüñçßøåÆŒ\u0301\u0308\u0327ʰˈ々ー\u0640",
        "你好世界日本語한국어ภาษาไทยमरहबا",
        "²½①Ⅻ٣𝟘",
        "😀👍🏽‍❤️🇺🇸\ufe0f\u200d",
    ]
    out = []
    for _ in range(n):
        length = rng.randint(1, 40)
        chars = []
        for _ in range(length):
            r = rng.random()
            if r < 0.85:
                chars.append(rng.choice(rng.choice(pools)))
            else:  # any scalar outside the surrogates
                while True:
                    c = rng.randint(0, 0x10FFFF)
                    if not 0xD800 <= c < 0xE000:
                        break
                chars.append(chr(c))
        out.append("".join(chars))
    return out


def scalar_classes(ranks):
    """Class of every scalar per tiktoken's regex engine, probed as described in the docstring."""
    prefixes = [(b"a", 1), (b"1", 2), (b"!", 0), (b"\t", 3)]
    runs = []
    base = {bytes([b]): b for b in range(256)}
    for plane_start in range(0, 0x110000, 0x10000):
        scalars = [c for c in range(plane_start, plane_start + 0x10000) if not 0xD800 <= c < 0xE000]
        r = dict(base)
        probe_id = {}
        for p, cls in prefixes:
            for c in scalars:
                key = p + chr(c).encode()
                if key not in r:  # "a"+"a" etc. could collide with nothing multi-byte; keep first
                    r[key] = len(r)
                probe_id[(cls, c)] = r[key]
        enc = tiktoken.Encoding("probe", pat_str=PAT, mergeable_ranks=r, special_tokens={})
        for cls_guess in (1, 2, 0, 3):
            p = [x for x, k in prefixes if k == cls_guess][0].decode()
            texts = [p + chr(c) for c in scalars]
            results = enc.encode_ordinary_batch(texts, num_threads=2)
            for c, ids in zip(scalars, results):
                if ids == [probe_id[(cls_guess, c)]]:
                    runs.append((c, cls_guess))
        # Sorted per plane below.
    found = {}
    for c, cls in runs:
        if c in found:
            raise SystemExit(f"scalar U+{c:04X} probed as two classes {found[c]} and {cls}")
        found[c] = cls
    table, last = [], None
    for c in range(0x110000):
        cls = found.get(c, 0) if not 0xD800 <= c < 0xE000 else 0
        if c not in found and not 0xD800 <= c < 0xE000:
            raise SystemExit(f"scalar U+{c:04X} matched no probe")
        if cls != last:
            table.append([c, cls])
            last = cls
    return table


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.environ.get("FINCH_SHARED_DATA") or os.path.join(HERE, "..", "..", "..", "shared", "data"))
    ap.add_argument("--skip-classes", action="store_true")
    a = ap.parse_args()
    ranks = data_gym_to_mergeable_bpe_ranks(os.path.join(a.data, "gpt2", "vocab.bpe"), os.path.join(a.data, "gpt2", "encoder.json"))
    enc = tiktoken.Encoding("gpt2", pat_str=PAT, mergeable_ranks=ranks, special_tokens={"<|endoftext|>": 50256})
    os.makedirs(OUT, exist_ok=True)

    entries = [alpaca(e) for e in json.load(open(os.path.join(a.data, "instruction", "instruction-data.json")))]
    ids = [enc.encode_ordinary(t) for t in entries]
    whole = enc.encode_ordinary("\n".join(entries))
    with open(os.path.join(OUT, "dataset_ids.json"), "w") as f:
        f.write('{"tiktoken":"%s","entries":%d,"whole_count":%d,"whole_fnv1a64":"%s","ids":[\n' %
                (tiktoken.__version__, len(entries), len(whole), fnv1a64(whole)))
        f.write(",\n".join(json.dumps(x, separators=(",", ":")) for x in ids))
        f.write("\n]}\n")

    cases = [{"text": t, "ids": enc.encode_ordinary(t)} for t in hard_strings()]
    for t in ["<|endoftext|>", "a<|endoftext|>b", "<|endoftext|><|endoftext|>", " <|endoftext|> ", "x \n<|endoftext|>\n y",
              "<|endoftext", "<|endoftext|>" * 3 + "tail  "]:
        cases.append({"text": t, "allowed_special": True, "ids": enc.encode(t, allowed_special={"<|endoftext|>"})})
    for t in random_strings(400, seed=20260521):
        cases.append({"text": t, "random": True, "ids": enc.encode_ordinary(t)})
    with open(os.path.join(OUT, "hard_text.json"), "w") as f:
        f.write('{"tiktoken":"%s","cases":[\n' % tiktoken.__version__)
        f.write(",\n".join(json.dumps(c, separators=(",", ":"), ensure_ascii=True) for c in cases))
        f.write("\n]}\n")

    if not a.skip_classes:
        table = scalar_classes(ranks)
        with open(os.path.join(OUT, "scalar_classes.json"), "w") as f:
            f.write('{"tiktoken":"%s","classes":"0 other, 1 L, 2 N, 3 whitespace","runs":[\n' % tiktoken.__version__)
            f.write(",\n".join(json.dumps(r) for r in table))
            f.write("\n]}\n")
    for name in sorted(os.listdir(OUT)):
        print(name, os.path.getsize(os.path.join(OUT, name)), "bytes")


if __name__ == "__main__":
    main()
