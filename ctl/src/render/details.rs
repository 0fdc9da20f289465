//! Human-readable summaries for `inspect` (like `docker service inspect --pretty`): aligned
//! `Key: value` lines, with sections whose fields are indented under them.

/// Spaces between the longest `Key:` and its value, as between table columns.
const GAP: usize = 3;

#[derive(Default)]
pub struct Details {
    rows: Vec<(String, Option<String>)>,
}

impl Details {
    pub fn new() -> Details {
        Details::default()
    }

    /// A `Key: value` line; a multi-line value continues aligned under its first line.
    pub fn field(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.rows.push((key.to_string(), Some(value.into())));
        self
    }

    /// A field shown only when it has something to say.
    pub fn field_if(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        let value = value.into();
        if !value.is_empty() {
            self.field(key, value);
        }
        self
    }

    /// A heading; its fields follow with keys indented by one space (` Delay`).
    pub fn section(&mut self, key: &str) -> &mut Self {
        self.rows.push((key.to_string(), None));
        self
    }

    pub fn render(&self) -> String {
        let width = self
            .rows
            .iter()
            .filter(|(_, v)| v.is_some())
            .map(|(k, _)| k.chars().count() + 1)
            .max()
            .unwrap_or(0)
            + GAP;
        let mut out = String::new();
        for (key, value) in &self.rows {
            let label = format!("{key}:");
            match value {
                None => out.push_str(&label),
                Some(value) => {
                    let mut lines = value.lines();
                    let first = lines.next().unwrap_or_default();
                    out.push_str(&format!("{label:<width$}{first}"));
                    for line in lines {
                        out.push('\n');
                        out.push_str(&format!("{:width$}{line}", ""));
                    }
                }
            }
            let trimmed = out.trim_end_matches(' ').len();
            out.truncate(trimmed);
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_values_and_indents_sections() {
        let mut d = Details::new();
        d.field("ID", "abc")
            .field_if("Labels", "")
            .section("Update config")
            .field(" Parallelism", "1")
            .field("Env", "A=1\nB=2");
        assert_eq!(
            d.render(),
            "ID:             abc\n\
             Update config:\n \
             Parallelism:   1\n\
             Env:            A=1\n                \
             B=2\n"
        );
    }
}
