//! `.env` and `env_file:` files, read by Docker Compose's rules: one `KEY=VALUE` a line,
//! blank lines and `#` comments skipped, an optional `export ` prefix, values unquoted
//! (trimmed, ` #` starts a comment), 'single-quoted' (literal) or "double-quoted" (escapes
//! `\n`, `\t`, `\"`, `\\`, `\$`); quoted values may span lines. Unquoted and double-quoted
//! values interpolate `${VAR}` from the environment, then from the file's earlier lines; a
//! bare `KEY` takes its value from the environment (and is left out if that has none).

use crate::compose::interpolate::{Lookup, substitute};

/// A problem on one line (from 1) of the file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{line}: {message}")]
pub struct DotenvError {
    pub line: usize,
    pub message: String,
}

/// The file's variables in order; a key given twice keeps its last value.
pub fn parse(text: &str, lookup: &Lookup) -> Result<Vec<(String, String)>, DotenvError> {
    let mut out: Vec<(String, String)> = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let number = i + 1;
        let err = |message: String| DotenvError {
            line: number,
            message,
        };
        let line = lines[i].trim_start();
        i += 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let (key, raw) = match line.split_once('=') {
            Some((k, v)) => (k.trim_end(), Some(v.trim_start())),
            None => (line.trim_end(), None),
        };
        if !valid_key(key) {
            return Err(err(format!(
                "invalid variable name {key:?}: a line is KEY=VALUE"
            )));
        }
        let known = |name: &str| {
            lookup(name).or_else(|| {
                out.iter()
                    .rev()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
            })
        };
        let value = match raw {
            None => match lookup(key) {
                Some(v) => v,
                None => continue,
            },
            Some(raw) => {
                let quote = raw.chars().next().filter(|c| *c == '\'' || *c == '"');
                match quote {
                    Some(q) => {
                        // The value runs to the closing quote, on this line or a later one.
                        let mut body = raw[1..].to_string();
                        let close = loop {
                            if let Some(end) = closing(&body, q) {
                                break end;
                            }
                            match lines.get(i) {
                                Some(next) => {
                                    body.push('\n');
                                    body.push_str(next);
                                    i += 1;
                                }
                                None => {
                                    return Err(err(format!(
                                        "the value of {key} has no closing {q}"
                                    )));
                                }
                            }
                        };
                        let after = body[close + 1..].trim();
                        if !after.is_empty() && !after.starts_with('#') {
                            return Err(err(format!(
                                "unexpected {after:?} after the quoted value of {key}"
                            )));
                        }
                        let body = &body[..close];
                        if q == '\'' {
                            body.to_string()
                        } else {
                            let expanded =
                                substitute(&unescape_dollars(body), &known, &mut Vec::new())
                                    .map_err(&err)?;
                            unescape(&expanded)
                        }
                    }
                    None => {
                        let value = match raw.find(" #").or(raw.find("\t#")) {
                            Some(at) => &raw[..at],
                            None => raw,
                        };
                        substitute(value.trim_end(), &known, &mut Vec::new()).map_err(err)?
                    }
                }
            }
        };
        out.retain(|(k, _)| k != key);
        out.push((key.to_string(), value));
    }
    Ok(out)
}

fn valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c == '.' || c == '-' || c.is_ascii_alphanumeric())
}

/// Index of the unescaped closing quote `q` in `body`.
fn closing(body: &str, q: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        match c {
            '\\' if q == '"' && !escaped => escaped = true,
            c if c == q && !escaped => return Some(i),
            _ => escaped = false,
        }
    }
    None
}

/// `\$` in a double-quoted value is a literal `$`: written `$$` for interpolation.
fn unescape_dollars(body: &str) -> String {
    body.replace("\\$", "$$")
}

/// The escapes of a double-quoted value.
fn unescape(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(other @ ('"' | '\\')) => out.push(other),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<(String, String)>, DotenvError> {
        parse(text, &|name| {
            (name == "HOME").then(|| "/home/ann".to_string())
        })
    }

    fn pairs(text: &str) -> Vec<(String, String)> {
        read(text).unwrap()
    }

    fn kv(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn keys_values_comments_and_export() {
        let text =
            "# a comment\n\nA=1\nexport B = two words  \nC=x # trailing\nD=a#b\nE=\n  F=indented\n";
        assert_eq!(
            pairs(text),
            kv(&[
                ("A", "1"),
                ("B", "two words"),
                ("C", "x"),
                ("D", "a#b"),
                ("E", ""),
                ("F", "indented")
            ])
        );
    }

    #[test]
    fn quotes() {
        let text = "S='a $HOME # not a comment'\nD=\"say \\\"hi\\\"\\n$HOME \\$HOME\" # c\nM=\"one\ntwo\"\nE=''\n";
        assert_eq!(
            pairs(text),
            kv(&[
                ("S", "a $HOME # not a comment"),
                ("D", "say \"hi\"\n/home/ann $HOME"),
                ("M", "one\ntwo"),
                ("E", ""),
            ])
        );
        assert!(read("Q='it''\n").is_err(), "text after a closing quote");
    }

    #[test]
    fn variables_from_the_environment_then_earlier_lines() {
        let text = "BASE=/srv\nDATA=${BASE}/data\nCFG=$HOME/.cfg\nDFLT=${NOPE:-x}\nHOME\nNOPE\n";
        assert_eq!(
            pairs(text),
            kv(&[
                ("BASE", "/srv"),
                ("DATA", "/srv/data"),
                ("CFG", "/home/ann/.cfg"),
                ("DFLT", "x"),
                ("HOME", "/home/ann"),
            ])
        );
        assert_eq!(pairs("A=1\nA=2\n"), kv(&[("A", "2")]));
    }

    #[test]
    fn problems_name_their_line() {
        assert_eq!(read("A=1\nnot a key=2\n").unwrap_err().line, 2);
        let e = read("A=1\nB=\"open\nC=2\n").unwrap_err();
        assert_eq!(
            (e.line, e.message.as_str()),
            (2, "the value of B has no closing \"")
        );
        let e = read("X=${NEED:?set it}\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "1: required variable NEED is missing a value: set it"
        );
    }
}
