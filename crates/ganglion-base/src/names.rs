//! Names: "did you mean" hints for unknown names, and file names made from user names.

/// The closest of `candidates` to `word` by edit distance (case-insensitive), if reasonably
/// close: at most 2 edits, or a third of the candidate's length for long names.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(&word.to_lowercase(), &c.to_lowercase());
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .map(|(_, c)| c)
}

/// A hint for an unknown name: `did you mean "x"?` when a candidate is close, otherwise
/// `"<label>: a, b, c"` listing every candidate (`"<label>: none"` when there are none).
pub fn did_you_mean(word: &str, candidates: &[&str], label: &str) -> String {
    match closest(word, candidates.iter().copied()) {
        Some(m) => format!("did you mean \"{m}\"?"),
        None if candidates.is_empty() => format!("{label}: none"),
        None => format!("{label}: {}", candidates.join(", ")),
    }
}

/// Levenshtein distance between two strings, counted in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let sub = prev[j - 1] + usize::from(a[i - 1] != b[j - 1]);
            cur[j] = sub.min(prev[j] + 1).min(cur[j - 1] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// A user's name (population, projection, study) made safe as part of a file name: ASCII
/// letters, digits, `-` and `_` are kept, everything else becomes `_`.
pub fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_suggests_typos() {
        assert_eq!(closest("tau_mem", ["tau_m", "C_m", "E_L"]), Some("tau_m"));
        assert_eq!(
            closest("iaf_psc_expo", ["iaf_psc_exp", "izhikevich"]),
            Some("iaf_psc_exp")
        );
        assert_eq!(closest("zzzzzzzz", ["tau_m"]), None);
    }

    #[test]
    fn file_safe_names() {
        assert_eq!(file_safe("exc→inh"), "exc_inh");
        assert_eq!(file_safe("../x y"), "___x_y");
    }
}
