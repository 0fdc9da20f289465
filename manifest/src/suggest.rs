//! "Did you mean ...?" for misspelt keys: serde names the unknown field or variant and lists
//! the expected ones (`unknown field `replicaz`, expected `replicas``); we pick the nearest
//! by edit distance and rewrite the message as `unknown field `replicaz`, did you mean
//! `replicas`?`.

/// Rewrites serde's unknown-field or unknown-variant message with the nearest expected name;
/// other messages come back unchanged.
pub fn with_suggestion(message: &str) -> String {
    let Some((what, unknown, expected)) = parse_unknown(message) else {
        return message.to_string();
    };
    match nearest(&unknown, &expected) {
        Some(best) => format!("unknown {what} `{unknown}`, did you mean `{best}`?"),
        None if expected.is_empty() => format!("unknown {what} `{unknown}`: none is allowed here"),
        None => format!(
            "unknown {what} `{unknown}`, expected one of: {}",
            expected.join(", ")
        ),
    }
}

/// `unknown field `x`, expected `a`` / `expected one of `a`, `b`` / `there are no fields`
/// -> ("field", "x", ["a", "b"]).
fn parse_unknown(message: &str) -> Option<(&'static str, String, Vec<String>)> {
    let (what, rest) = if let Some(rest) = message.strip_prefix("unknown field `") {
        ("field", rest)
    } else {
        ("variant", message.strip_prefix("unknown variant `")?)
    };
    let (unknown, tail) = rest.split_once('`')?;
    let expected = tail
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    Some((what, unknown.to_string(), expected))
}

/// The expected name closest to `unknown`, if it is close enough to be a typo: at most a
/// third of its length in edits (at least one), or `unknown` is a prefix of it.
pub fn nearest<'a>(unknown: &str, expected: &'a [String]) -> Option<&'a str> {
    let limit = (unknown.chars().count() / 3).max(1);
    expected
        .iter()
        .map(|e| (edit_distance(&unknown.to_lowercase(), e), e))
        .filter(|(d, e)| *d <= limit || (unknown.len() >= 3 && e.starts_with(unknown)))
        .min_by_key(|(d, _)| *d)
        .map(|(_, e)| e.as_str())
}

/// Levenshtein distance, with an adjacent swap counting as one edit (`replcias`).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = d;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("replicas", "replicas"), 0);
        assert_eq!(edit_distance("replicaz", "replicas"), 1);
        assert_eq!(edit_distance("replcias", "replicas"), 1);
        assert_eq!(edit_distance("imag", "image"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn suggests_the_nearest_field() {
        assert_eq!(
            with_suggestion("unknown field `replicaz`, expected `replicas`"),
            "unknown field `replicaz`, did you mean `replicas`?"
        );
        assert_eq!(
            with_suggestion(
                "unknown field `imagee`, expected one of `image`, `command`, `args`, `env`"
            ),
            "unknown field `imagee`, did you mean `image`?"
        );
        assert_eq!(
            with_suggestion("unknown field `Parallelism`, expected one of `delay`, `parallelism`"),
            "unknown field `Parallelism`, did you mean `parallelism`?"
        );
        assert_eq!(
            with_suggestion(
                "unknown variant `replicated_jb`, expected one of `replicated`, `global`, \
                 `replicated_job`, `global_job`"
            ),
            "unknown variant `replicated_jb`, did you mean `replicated_job`?"
        );
    }

    #[test]
    fn lists_the_choices_when_nothing_is_close() {
        assert_eq!(
            with_suggestion("unknown field `zzz`, expected one of `image`, `command`"),
            "unknown field `zzz`, expected one of: image, command"
        );
        assert_eq!(
            with_suggestion("unknown field `x`, there are no fields"),
            "unknown field `x`: none is allowed here"
        );
    }

    #[test]
    fn other_messages_pass_through() {
        assert_eq!(
            with_suggestion("missing field `image`"),
            "missing field `image`"
        );
    }
}
