"""Token ids of the Rust tokenizer (ganglion-interp) against the oracle (see oracle.py) on a
few hundred varied strings: unicode, digits, spaces, newlines, punctuation, contractions,
control tokens. Must match exactly. Also writes the fixture that `cargo test` checks
without Python (crates/ganglion-interp/tests/fixtures/tokenizer_smollm2.json).

    bench/interp/setup.sh && bench/interp/.venv/bin/python bench/interp/tokenizer_check.py
"""
import json
import random
import sys
import tempfile

import gguf
import tokenizers

from oracle import MODEL, ROOT, build_rust, oracle_tokenizer, run_rust

HAND = [
    "The capital of France is",
    "Hello, world!",
    "I'm sure they'll say we've done it; she'd know, wouldn't she? It's John's.",
    "THEY'RE SHOUTING'S 'quoted' \"double\"",
    "  leading spaces and trailing spaces   ",
    "tabs\tand\t\tdouble tabs \t mixed",
    "line one\nline two\n\nline four\r\nwindows\r\n",
    "\n\n\n",
    " ",
    "",
    "12345 + 678 = 7023, pi ≈ 3.14159, 1e-10, 0x1F, 2024-06-01",
    "Numbers: 1,000,000 and ½ and ² and ٣٤ and 四",
    "naïve café résumé coöperate façade",
    "Ελληνικά κείμενα, русский текст, עברית, العربية",
    "中文文本测试，日本語のテキスト、한국어 텍스트",
    "हिंदी पाठ और तमिழ் உரை",
    "emoji 😀🎉👍🏽 and flags 🇫🇷 and ZWJ 👨‍👩‍👧",
    "math ∑∫√∞ ≠ ≤ ≥ and arrows → ← ↔",
    "code: fn main() { println!(\"{}\", x[0] + y.z); } // comment",
    "def f(x):\n    return x**2  # square\n",
    "<html><body class=\"a\">Text &amp; more</body></html>",
    "https://example.com/path?q=1&r=two#frag",
    "email@example.com, @user #hashtag $100 50% ^caret ~tilde |pipe|",
    "Mary and John went to the store. John gave a drink to Mary",
    "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
    "text<|endoftext|>more text<|im_end|>",
    "<|im_start|",
    "ALLCAPS lowercase MiXeD CamelCase snake_case kebab-case",
    "punctuation!!! ??? ... --- ;;; ::: ,,, ((( )))",
    "nbsp\u00a0here and ideographic\u3000space and thin\u2009space",
    "zero\u200bwidth and soft\u00adhyphen and control\u0004byte",
    "a'b 'll 've 're 'd 'm 's 't",
    "don't can't won't shouldn't y'all o'clock",
    "   \n  \n\t\n",
    "word\u2028line sep\u2029para sep",
    "ﬁ ligature, Ⅻ roman numeral, ⅓ fraction, ① circled",
    "Ünïcödé ÀÉÎÕÜ ñ ß ø å æ",
    "x" * 50,
    "ab" * 30,
    " 1 2 3 4 5 6 7 8 9 0",
]


def generated(n, seed=12):
    rng = random.Random(seed)
    pieces = [
        "the", " the", "The", "cat", " sat", " on", " mat", "'s", "'re", "'LL", " ", "  ", "\n", "\t",
        "0", "7", "42", "3.5", "-", ",", ".", "!", "?", "\"", "(", ")", "é", "ü", "中", "😀", "Ж", "ह",
        "ि", "\u00a0", "\r\n", "<|im_end|>", "http", "://", "_", "#", "$", "€", "%", " ", "ing", " un",
        "ά", "ß", "Ⅻ", "½", "٣", "\u200b",
    ]
    out = []
    for _ in range(n):
        k = rng.randint(1, 14)
        out.append("".join(rng.choice(pieces) for _ in range(k)))
    return out


def main():
    build_rust()
    reader = gguf.GGUFReader(str(MODEL))
    tk = oracle_tokenizer(reader)
    texts = HAND + generated(300)
    want = [tk.encode(t, add_special_tokens=False).ids for t in texts]
    with tempfile.TemporaryDirectory() as d:
        inp, out = f"{d}/in.json", f"{d}/out.json"
        with open(inp, "w") as f:
            json.dump(texts, f)
        run_rust("tokenize", MODEL, inp, out)
        got = json.load(open(out))
    bad = [(t, w, g) for t, w, g in zip(texts, want, got) if w != g]
    print(f"{len(texts)} strings, {sum(map(len, want))} tokens: {len(texts) - len(bad)} identical, {len(bad)} differ")
    for t, w, g in bad[:20]:
        print(f"  {t!r}\n    oracle {w}\n    rust   {g}")
    # Decoding: the oracle's decoder and ours are compared through the Rust encode ids.
    fixture = ROOT / "crates/ganglion-interp/tests/fixtures/tokenizer_smollm2.json"
    fixture.parent.mkdir(parents=True, exist_ok=True)
    cases = [{"text": t, "ids": w} for t, w in zip(texts, want)]
    # The hand-written strings cover every class of the split; add a few generated ones.
    chosen = cases[: len(HAND)] + cases[len(HAND) : len(HAND) + 6]
    source = f"tokenizers {tokenizers.__version__}: BPE from the GGUF vocabulary and merges, Digits(individual) + ByteLevel (bench/interp/oracle.py)"
    with open(fixture, "w") as f:
        f.write('{"source": ' + json.dumps(source) + ',\n "cases": [\n')
        f.write(",\n".join("  " + json.dumps(c, ensure_ascii=False) for c in chosen))
        f.write("\n]}\n")
    print(f"wrote {len(chosen)} cases to {fixture.relative_to(ROOT)}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
