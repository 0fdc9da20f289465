//! Splits a command string into arguments as a POSIX shell would (Docker does the same with
//! a Compose `command: "sh -c 'echo hi'"`): whitespace separates, single quotes keep
//! everything, double quotes keep all but `\"`, `\\`, `\$` and `` \` ``, a backslash escapes
//! the next character outside quotes. No expansion of variables or globs.

/// Why a command string cannot be split.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShellSplitError {
    /// A quote (`single` or `double`) opened and never closed; `line` is the whole string.
    #[error("unclosed {quote} quote in {line:?}")]
    UnclosedQuote { quote: &'static str, line: String },
}

fn unclosed(quote: &'static str, line: &str) -> ShellSplitError {
    ShellSplitError::UnclosedQuote {
        quote,
        line: line.to_string(),
    }
}

/// The arguments of `line`, or why it cannot be split (an unclosed quote).
pub fn shell_split(line: &str) -> Result<Vec<String>, ShellSplitError> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err(unclosed("single", line)),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some('\n') => {}
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err(unclosed("double", line)),
                        },
                        Some(c) => word.push(c),
                        None => return Err(unclosed("double", line)),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some('\n') => {}
                    Some(c) => word.push(c),
                    None => word.push('\\'),
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str) -> Vec<String> {
        shell_split(line).unwrap()
    }

    #[test]
    fn splits_like_a_shell() {
        assert_eq!(split("  echo   hi "), ["echo", "hi"]);
        assert_eq!(
            split("sh -c 'echo \"$HOME\"; exit 3'"),
            ["sh", "-c", "echo \"$HOME\"; exit 3"]
        );
        assert_eq!(split(r#"a "b \"c\" \n" d\ e"#), ["a", r#"b "c" \n"#, "d e"]);
        assert_eq!(split("x '' y"), ["x", "", "y"]);
        assert_eq!(split("ab'cd'\"ef\""), ["abcdef"]);
        assert!(split("").is_empty());
    }

    #[test]
    fn refuses_an_unclosed_quote() {
        assert!(
            shell_split("echo 'hi")
                .unwrap_err()
                .to_string()
                .contains("single quote")
        );
        assert!(
            shell_split("echo \"hi")
                .unwrap_err()
                .to_string()
                .contains("double quote")
        );
    }
}
