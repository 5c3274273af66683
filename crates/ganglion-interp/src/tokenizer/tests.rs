//! The pre-tokenizer split against the GPT-2 regex worked by hand, and BPE on a tiny
//! vocabulary whose merges are known.

use super::*;

#[test]
fn gpt2_split_by_hand() {
    let cases: [(&str, &[&str]); 8] = [
        ("Hello world", &["Hello", " world"]),
        (
            "I'm  here\n\nnow",
            &["I", "'m", " ", " here", "\n", "\n", "now"],
        ),
        ("don't stop", &["don", "'t", " stop"]),
        ("x  ", &["x", "  "]),
        ("a !!'s", &["a", " !!'", "s"]),
        ("THEY'RE 42ab", &["THEY", "'", "RE", " 42", "ab"]),
        ("\t\t x", &["\t\t", " x"]),
        ("naïve café ☕", &["naïve", " café", " ☕"]),
    ];
    for (text, want) in cases {
        assert_eq!(split_gpt2(text), want, "{text:?}");
    }
    // Devanagari vowel signs are marks (Mc/Mn), not letters: they split off as symbols.
    assert_eq!(split_gpt2("हिंदी"), ["ह", "िं", "द", "ी"]);
}

#[test]
fn digits_split_off() {
    assert_eq!(split_digits("abc123 d4"), ["abc", "1", "2", "3", " d", "4"]);
    assert_eq!(split_digits("٣x"), ["٣", "x"]); // Arabic-Indic digit is \p{N}
    assert!(split_digits("").is_empty());
}

#[test]
fn byte_alphabet_is_gpt2s() {
    let m = byte_to_char();
    assert_eq!(m[b'A' as usize], 'A');
    assert_eq!(m[b' ' as usize], 'Ġ'); // U+0120: the 33rd non-printable byte (0x20)
    assert_eq!(m[b'\n' as usize], 'Ċ'); // U+010A
    assert_eq!(m[0], 'Ā');
    assert_eq!(m[0xad], 'Ń'); // soft hyphen is the last remapped byte
    let mut all: Vec<char> = m.to_vec();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 256);
}

fn tiny() -> Tokenizer {
    let b2c = byte_to_char();
    let mut tokens: Vec<String> = b2c.iter().map(|c| c.to_string()).collect();
    for t in ["ab", "abc", "Ġab", "cd", "<|end|>"] {
        tokens.push(t.into());
    }
    let merges: Vec<String> = ["a b", "ab c", "Ġ ab", "c d"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut types = vec![1u64; tokens.len()];
    types[260] = 3;
    Tokenizer::new(
        tokens,
        &merges,
        &types,
        PreTokenizer::DigitsThenGpt2,
        None,
        Some(260),
        false,
    )
    .expect("tiny tokenizer")
}

#[test]
fn bpe_merges_by_rank() {
    let t = tiny();
    let id = |s: &str| t.token_id(s).expect("token");
    // "abcd": a+b (rank 0) → ab; ab+c (rank 1) → abc; then no merge for abc+d.
    assert_eq!(t.encode("abcd"), [id("abc"), id("d")]);
    // " abcd": a+b first, then Ġ+ab (rank 2) beats nothing else… ab+c has rank 1, so
    // "abc" forms first and Ġ stays alone.
    assert_eq!(t.encode(" abcd"), [id("Ġ"), id("abc"), id("d")]);
    assert_eq!(t.encode(" abd"), [id("Ġab"), id("d")]);
    // "cd" merges; control tokens are matched whole in the text.
    assert_eq!(t.encode("cd<|end|>cd"), [id("cd"), 260, id("cd")]);
    assert_eq!(t.encode_plain("<|end|>").len(), 7);
    // A byte missing from the vocabulary is dropped (it is a pre-token of its own here).
    let mut tokens: Vec<String> = byte_to_char().iter().map(|c| c.to_string()).collect();
    tokens[4] = "unused".into();
    tokens.push("ab".into());
    let t2 = Tokenizer::new(
        tokens,
        &["a b".into()],
        &[],
        PreTokenizer::Gpt2,
        None,
        None,
        false,
    )
    .expect("vocabulary without byte 4");
    assert_eq!(t2.encode("a\u{4}b"), [97, 98]);
    assert_eq!(t2.encode("ab"), [256]);
    // Round trip through the byte alphabet, including multi-byte characters.
    for s in ["abcd", " a\nb  c", "é ☕ 12", "cd<|end|>x"] {
        assert_eq!(t.decode(&t.encode(s)), s);
    }
}

#[test]
fn bad_vocabularies_are_reported() {
    let err = Tokenizer::new(
        vec!["a".into()],
        &[],
        &[1],
        PreTokenizer::Gpt2,
        None,
        None,
        false,
    )
    .expect_err("missing bytes");
    assert!(
        err.to_string()
            .contains("has tokens for only 1 of the 256 byte characters"),
        "{err}"
    );
    let b2c = byte_to_char();
    let tokens: Vec<String> = b2c.iter().map(|c| c.to_string()).collect();
    let err = Tokenizer::new(
        tokens,
        &["a b".into()],
        &[],
        PreTokenizer::Gpt2,
        None,
        None,
        false,
    )
    .expect_err("merge result missing");
    assert!(
        err.to_string()
            .contains("\"ab\", which is not in the vocabulary"),
        "{err}"
    );
}
