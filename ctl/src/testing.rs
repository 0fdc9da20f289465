//! Helpers for ctl's unit tests: command lines written as the user would type them.

/// Splits a command line into words, honouring single quotes (`'echo hi'`, `''`), so tests
/// can write flags as the user would.
pub fn argv(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                word.get_or_insert_with(String::new);
            }
            c if c.is_whitespace() && !quoted => words.extend(word.take()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argv_splits_like_a_shell() {
        assert_eq!(
            argv("create --args 'echo hi'  --name '' -d"),
            ["create", "--args", "echo hi", "--name", "", "-d"]
        );
    }
}
