"""Shared helpers for the ganglion-interp checks: the model path, the Rust example binary,
and the oracle tokenizer.

The oracle is Hugging Face `tokenizers` (its Rust BPE and its Oniguruma-regex ByteLevel
pre-tokenizer, which supports the lookahead the GPT-2 pattern needs) built from the same
GGUF vocabulary and merges, with SmolLM2's pre-tokenizer: Digits(individual_digits=True)
then ByteLevel(add_prefix_space=False), which is what llama.cpp's `smollm` pre-type
("\\p{N}" then the GPT-2 regex) specifies. Control tokens (token type 3) are added as special
tokens, so they are matched whole in the text as Hugging Face does by default.
(transformers' own GGUF tokenizer loader needs PyTorch, which is not installed here.)
"""
import json
import os
import pathlib
import subprocess

import gguf
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODEL = ROOT / "data/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
BIN = ROOT / "target/release/examples/interp_check"


def build_rust():
    subprocess.run(
        ["cargo", "build", "--release", "-q", "-p", "ganglion-interp", "--example", "interp_check"],
        cwd=ROOT,
        check=True,
    )


def run_rust(*args):
    return subprocess.run([str(BIN), *map(str, args)], check=True, capture_output=True, text=True)


def oracle_tokenizer(reader: gguf.GGUFReader) -> Tokenizer:
    f = reader.fields
    tokens = f["tokenizer.ggml.tokens"].contents()
    merges = f["tokenizer.ggml.merges"].contents()
    types = f["tokenizer.ggml.token_type"].contents()
    pre = f["tokenizer.ggml.pre"].contents()
    assert f["tokenizer.ggml.model"].contents() == "gpt2"
    assert pre == "smollm", f"this oracle reproduces the smollm pre-tokenizer, not {pre!r}"
    vocab = {t: i for i, t in enumerate(tokens)}
    bpe = models.BPE(vocab=vocab, merges=[tuple(m.split(" ", 1)) for m in merges], fuse_unk=False)
    tk = Tokenizer(bpe)
    tk.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)]
    )
    tk.decoder = decoders.ByteLevel()
    specials = [AddedToken(t, special=True, normalized=False) for t, ty in zip(tokens, types) if ty == 3]
    tk.add_special_tokens(specials)
    for s in specials:
        assert tk.token_to_id(s.content) == vocab[s.content]
    return tk
