//! The byte-level BPE tokenizer of GPT-2 (Radford et al. 2019; Sennrich et al. 2016 for
//! BPE) as stored in a GGUF's metadata (`tokenizer.ggml.model = "gpt2"`).
//!
//! Encoding: control tokens (`<|im_start|>`, …) are cut out of the text first, leftmost and
//! longest first, as Hugging Face `tokenizers` does with special added tokens; every other
//! piece is pre-tokenised (for the `smollm` family each digit alone, then the GPT-2 split
//! `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`, written
//! out by hand here since it needs a lookahead), each pre-token's UTF-8 bytes are mapped to
//! GPT-2's printable byte alphabet, and adjacent symbols are merged by merge rank (lowest
//! first) until no listed merge applies. Decoding maps the byte alphabet back.

mod letters;

use crate::gguf::{GgufError, GgufFile, Value};
use std::collections::HashMap;

/// The pre-tokenizer splits this tokenizer knows (llama.cpp's `tokenizer.ggml.pre` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreTokenizer {
    /// The GPT-2 regex alone (`gpt-2`, `phi-2`, …).
    Gpt2,
    /// Each digit (`\p{N}`) alone, then the GPT-2 regex (`smollm`, `starcoder`, `refact`, …).
    DigitsThenGpt2,
}

impl PreTokenizer {
    /// The split for a `tokenizer.ggml.pre` name, if known.
    pub fn from_name(name: &str) -> Option<PreTokenizer> {
        match name {
            "gpt-2" | "phi-2" | "mpt" | "olmo" | "jais" | "jina-es" | "jina-de" | "jina-v2-es"
            | "jina-v2-de" => Some(PreTokenizer::Gpt2),
            "smollm" | "starcoder" | "refact" | "command-r" | "codeshell" | "exaone"
            | "minerva" => Some(PreTokenizer::DigitsThenGpt2),
            _ => None,
        }
    }
}

/// A byte-level BPE tokenizer.
#[derive(Debug, Clone)]
pub struct Tokenizer {
    tokens: Vec<String>,
    ids: HashMap<String, u32>,
    /// (left, right) → (rank, merged id).
    merges: HashMap<(u32, u32), (u32, u32)>,
    /// Control tokens, longest first.
    special: Vec<(String, u32)>,
    is_special: Vec<bool>,
    /// The token of each byte's character; `None` where the vocabulary lacks it (such
    /// bytes are dropped, as Hugging Face's BPE does without an unknown token).
    byte_ids: [Option<u32>; 256],
    char_to_byte: HashMap<char, u8>,
    pre: PreTokenizer,
    /// The beginning-of-sequence token, if the vocabulary names one.
    pub bos: Option<u32>,
    /// The end-of-sequence token, if the vocabulary names one.
    pub eos: Option<u32>,
    /// Whether the model expects [`Tokenizer::bos`] before every prompt
    /// (`tokenizer.ggml.add_bos_token`).
    pub add_bos: bool,
}

/// GPT-2's map from bytes to printable characters (`bytes_to_unicode`): printable Latin-1
/// bytes map to themselves, the other 68 to U+0100 onwards in byte order.
pub fn byte_to_char() -> [char; 256] {
    let mut map = ['\0'; 256];
    let mut next = 256u32;
    for b in 0..256u32 {
        let printable =
            (0x21..=0x7e).contains(&b) || (0xa1..=0xac).contains(&b) || (0xae..=0xff).contains(&b);
        let c = if printable {
            b
        } else {
            next += 1;
            next - 1
        };
        map[b as usize] = char::from_u32(c).expect("below U+0200");
    }
    map
}

fn is_letter(c: char) -> bool {
    let cp = c as u32;
    letters::LETTERS
        .binary_search_by(|&(a, b)| {
            if b < cp {
                std::cmp::Ordering::Less
            } else if a > cp {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

// `\p{N}` is Nd | Nl | No, which is what `char::is_numeric` tests; `\s` is White_Space,
// which is `char::is_whitespace`.
fn is_number(c: char) -> bool {
    c.is_numeric()
}

/// Split `text` as the GPT-2 pre-tokenizer regex does; the pieces concatenate to `text`.
pub fn split_gpt2(text: &str) -> Vec<&str> {
    let cs: Vec<(usize, char)> = text.char_indices().collect();
    let n = cs.len();
    let at = |i: usize| if i < n { cs[i].0 } else { text.len() };
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        let c = cs[i].1;
        let start = i;
        // 's 't 're 've 'm 'll 'd (lower case only, as in GPT-2's regex).
        if c == '\'' && i + 1 < n {
            let c1 = cs[i + 1].1;
            if matches!(c1, 's' | 't' | 'm' | 'd') {
                out.push(&text[at(i)..at(i + 2)]);
                i += 2;
                continue;
            }
            if i + 2 < n {
                let c2 = cs[i + 2].1;
                if matches!((c1, c2), ('r', 'e') | ('v', 'e') | ('l', 'l')) {
                    out.push(&text[at(i)..at(i + 3)]);
                    i += 3;
                    continue;
                }
            }
        }
        // An optional single space before a run of letters, of numbers or of other symbols.
        let j = if c == ' ' { i + 1 } else { i };
        if j < n {
            let cj = cs[j].1;
            let class: Option<fn(char) -> bool> = if is_letter(cj) {
                Some(is_letter)
            } else if is_number(cj) {
                Some(is_number)
            } else if !cj.is_whitespace() {
                Some(|c: char| !c.is_whitespace() && !is_letter(c) && !is_number(c))
            } else {
                None
            };
            if let Some(class) = class {
                let mut k = j;
                while k < n && class(cs[k].1) {
                    k += 1;
                }
                out.push(&text[at(start)..at(k)]);
                i = k;
                continue;
            }
        }
        // Whitespace: `\s+(?!\S)` leaves the last blank of a run before a non-blank to the
        // next piece (so " word" keeps its space); `\s+` takes a lone blank.
        let mut k = i;
        while k < n && cs[k].1.is_whitespace() {
            k += 1;
        }
        debug_assert!(k > i, "every character falls in one class");
        let end = if k == n || k - i == 1 { k } else { k - 1 };
        out.push(&text[at(i)..at(end)]);
        i = end;
    }
    out
}

/// Split off every `\p{N}` character as its own piece (Hugging Face's
/// `Digits(individual_digits=true)`); the pieces concatenate to `text`.
pub fn split_digits(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if is_number(c) {
            if start < i {
                out.push(&text[start..i]);
            }
            out.push(&text[i..i + c.len_utf8()]);
            start = i + c.len_utf8();
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

impl Tokenizer {
    /// The tokenizer stored in a GGUF file's `tokenizer.ggml.*` metadata.
    pub fn from_gguf(f: &GgufFile) -> Result<Tokenizer, GgufError> {
        let model = f.get_str("tokenizer.ggml.model")?;
        if model != "gpt2" {
            return Err(GgufError::Metadata {
                key: "tokenizer.ggml.model".into(),
                message: format!("{model:?} is not supported (only byte-level BPE, \"gpt2\")"),
            });
        }
        // Without the key the pre-tokenizer is unknown: guessing gpt-2 would split some
        // texts differently from the model's training without any sign of it.
        let pre_name = f.get_str("tokenizer.ggml.pre").map_err(|_| GgufError::Metadata {
            key: "tokenizer.ggml.pre".into(),
            message: "absent: the pre-tokenizer (how text is split before BPE) is unknown; add the key (e.g. \"gpt-2\" or \"smollm\") with gguf-set-metadata or re-convert the model".into(),
        })?;
        let pre = PreTokenizer::from_name(pre_name).ok_or_else(|| GgufError::Metadata {
            key: "tokenizer.ggml.pre".into(),
            message: format!(
                "pre-tokenizer {pre_name:?} is not supported (supported: gpt-2 and its aliases, smollm/starcoder/refact and theirs)"
            ),
        })?;
        let strings = |key: &str| -> Result<Vec<String>, GgufError> {
            let bad = |message: String| GgufError::Metadata {
                key: key.into(),
                message,
            };
            let v = f.get(key).ok_or_else(|| bad("absent".into()))?;
            let a = v.as_array().ok_or_else(|| bad("not an array".into()))?;
            a.iter()
                .map(|x| {
                    x.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| bad("not an array of strings".into()))
                })
                .collect()
        };
        let tokens = strings("tokenizer.ggml.tokens")?;
        let merges = strings("tokenizer.ggml.merges")?;
        let types: Vec<u64> = match f.get("tokenizer.ggml.token_type") {
            Some(Value::Array(_, a)) => a.iter().map(|v| v.as_u64().unwrap_or(1)).collect(),
            _ => vec![1; tokens.len()],
        };
        let opt_id = |key: &str| f.get(key).and_then(Value::as_u64).map(|v| v as u32);
        let add_bos = f
            .get("tokenizer.ggml.add_bos_token")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        Tokenizer::new(
            tokens,
            &merges,
            &types,
            pre,
            opt_id("tokenizer.ggml.bos_token_id"),
            opt_id("tokenizer.ggml.eos_token_id"),
            add_bos,
        )
    }

    /// A tokenizer from its parts: `tokens[id]` in GPT-2's byte alphabet, `merges` as
    /// `"left right"` lines in rank order, `types[id]` as llama.cpp's token types (3 control
    /// and 4 user-defined are matched whole in the text).
    pub fn new(
        tokens: Vec<String>,
        merges: &[String],
        types: &[u64],
        pre: PreTokenizer,
        bos: Option<u32>,
        eos: Option<u32>,
        add_bos: bool,
    ) -> Result<Tokenizer, GgufError> {
        let meta = |key: &str, message: String| GgufError::Metadata {
            key: key.into(),
            message,
        };
        let ids: HashMap<String, u32> = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let b2c = byte_to_char();
        let mut byte_ids = [None; 256];
        for (b, c) in b2c.iter().enumerate() {
            byte_ids[b] = ids.get(&c.to_string()).copied();
        }
        // A real byte-level vocabulary has (nearly) all of them; SmolLM2's lacks a few
        // control bytes.
        let n_bytes = byte_ids.iter().flatten().count();
        if n_bytes < 128 {
            return Err(meta(
                "tokenizer.ggml.tokens",
                format!(
                    "has tokens for only {n_bytes} of the 256 byte characters; not a byte-level BPE vocabulary"
                ),
            ));
        }
        let mut merge_map = HashMap::with_capacity(merges.len());
        for (rank, m) in merges.iter().enumerate() {
            let (l, r) = m.split_once(' ').ok_or_else(|| {
                meta(
                    "tokenizer.ggml.merges",
                    format!("entry {rank} {m:?} is not \"left right\""),
                )
            })?;
            let lookup = |s: &str| {
                ids.get(s).copied().ok_or_else(|| {
                    meta(
                        "tokenizer.ggml.merges",
                        format!("entry {rank} {m:?} names {s:?}, which is not in the vocabulary"),
                    )
                })
            };
            let merged = lookup(&format!("{l}{r}"))?;
            merge_map
                .entry((lookup(l)?, lookup(r)?))
                .or_insert((rank as u32, merged));
        }
        let mut special: Vec<(String, u32)> = Vec::new();
        let mut is_special = vec![false; tokens.len()];
        for (i, t) in tokens.iter().enumerate() {
            if matches!(types.get(i), Some(3) | Some(4)) && !t.is_empty() {
                special.push((t.clone(), i as u32));
                is_special[i] = true;
            }
        }
        special.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.1.cmp(&b.1)));
        for (name, id) in [("bos", bos), ("eos", eos)] {
            if let Some(id) = id
                && id as usize >= tokens.len()
            {
                return Err(meta(
                    &format!("tokenizer.ggml.{name}_token_id"),
                    format!("{id} is outside the vocabulary of {}", tokens.len()),
                ));
            }
        }
        Ok(Tokenizer {
            char_to_byte: b2c.iter().enumerate().map(|(b, &c)| (c, b as u8)).collect(),
            tokens,
            ids,
            merges: merge_map,
            special,
            is_special,
            byte_ids,
            pre,
            bos,
            eos,
            add_bos,
        })
    }

    /// The vocabulary size.
    pub fn vocab_size(&self) -> usize {
        self.tokens.len()
    }

    /// A token's id from its stored (byte-alphabet) string, e.g. `"ĠParis"`.
    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.ids.get(token).copied()
    }

    /// A token's stored string, in GPT-2's byte alphabet (`"ĠParis"`).
    ///
    /// # Panics
    /// If `id` is outside the vocabulary.
    pub fn token(&self, id: u32) -> &str {
        &self.tokens[id as usize]
    }

    /// Encode a prompt as the model reads it: BOS first when the file asks for one
    /// ([`Tokenizer::add_bos`]), then [`Tokenizer::encode`].
    pub fn encode_prompt(&self, text: &str) -> Vec<u32> {
        let mut ids = Vec::new();
        if self.add_bos
            && let Some(b) = self.bos
        {
            ids.push(b);
        }
        ids.extend(self.encode(text));
        ids
    }

    /// Encode text into token ids: control tokens in the text become their ids, the rest is
    /// byte-level BPE. No BOS is added (see [`Tokenizer::add_bos`]).
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let mut out = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            match self.find_special(rest) {
                Some((pos, len, id)) => {
                    self.encode_plain_into(&rest[..pos], &mut out);
                    out.push(id);
                    rest = &rest[pos + len..];
                }
                None => {
                    self.encode_plain_into(rest, &mut out);
                    break;
                }
            }
        }
        out
    }

    /// Encode text with no control-token matching (`<|im_start|>` becomes ordinary pieces).
    pub fn encode_plain(&self, text: &str) -> Vec<u32> {
        let mut out = Vec::new();
        self.encode_plain_into(text, &mut out);
        out
    }

    fn find_special(&self, text: &str) -> Option<(usize, usize, u32)> {
        if self.special.is_empty() {
            return None;
        }
        // Leftmost match; at that position the longest (the list is longest first).
        for (pos, _) in text.char_indices() {
            let tail = &text[pos..];
            for (s, id) in &self.special {
                if tail.starts_with(s.as_str()) {
                    return Some((pos, s.len(), *id));
                }
            }
        }
        None
    }

    fn encode_plain_into(&self, text: &str, out: &mut Vec<u32>) {
        let pieces: Vec<&str> = match self.pre {
            PreTokenizer::Gpt2 => split_gpt2(text),
            PreTokenizer::DigitsThenGpt2 => split_digits(text)
                .into_iter()
                .flat_map(split_gpt2)
                .collect(),
        };
        for p in pieces {
            self.bpe(p, out);
        }
    }

    fn bpe(&self, piece: &str, out: &mut Vec<u32>) {
        let mut sym: Vec<u32> = piece
            .bytes()
            .filter_map(|b| self.byte_ids[b as usize])
            .collect();
        loop {
            let best = sym
                .windows(2)
                .enumerate()
                .filter_map(|(i, w)| {
                    self.merges
                        .get(&(w[0], w[1]))
                        .map(|&(rank, m)| (rank, i, m))
                })
                .min();
            let Some((rank, _, merged)) = best else { break };
            // Merge every occurrence of that pair, left to right.
            let mut next = Vec::with_capacity(sym.len());
            let mut i = 0;
            while i < sym.len() {
                if i + 1 < sym.len()
                    && self
                        .merges
                        .get(&(sym[i], sym[i + 1]))
                        .is_some_and(|&(r, _)| r == rank)
                {
                    next.push(merged);
                    i += 2;
                } else {
                    next.push(sym[i]);
                    i += 1;
                }
            }
            sym = next;
        }
        out.extend_from_slice(&sym);
    }

    /// The bytes a token stands for (control tokens: their text).
    pub fn token_bytes(&self, id: u32) -> Vec<u8> {
        let t = &self.tokens[id as usize];
        if self.is_special[id as usize] {
            return t.as_bytes().to_vec();
        }
        let mut b = Vec::with_capacity(t.len());
        for c in t.chars() {
            match self.char_to_byte.get(&c) {
                Some(&x) => b.push(x),
                None => b.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
            }
        }
        b
    }

    /// Decode ids to text (invalid UTF-8, e.g. a lone token inside a multi-byte character,
    /// becomes U+FFFD).
    ///
    /// # Panics
    /// If an id is outside the vocabulary.
    pub fn decode(&self, ids: &[u32]) -> String {
        let bytes: Vec<u8> = ids.iter().flat_map(|&id| self.token_bytes(id)).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

#[cfg(test)]
mod tests;
