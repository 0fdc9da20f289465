//! Column tables like `docker ps`: a header row, each column as wide as its widest cell plus a
//! gap of three spaces, and no trailing whitespace.

/// Spaces between columns, as Docker's tabwriter pads.
const GAP: usize = 3;

pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&str]) -> Table {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; missing cells are blank, extra cells are dropped.
    pub fn row(&mut self, mut cells: Vec<String>) {
        cells.resize(self.headers.len(), String::new());
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for row in std::iter::once(&self.headers).chain(&self.rows) {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                line.push_str(cell);
                if i + 1 < row.len() {
                    let pad = widths[i] - cell.chars().count() + GAP;
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_columns_by_their_widest_cell_plus_three() {
        let mut t = Table::new(&["ID", "NAME", "IMAGE"]);
        t.row(vec!["abc".into(), "web".into(), "nginx:1".into()]);
        t.row(vec!["abcdef".into(), "w".into(), "x".into()]);
        assert_eq!(
            t.render(),
            "ID       NAME   IMAGE\n\
             abc      web    nginx:1\n\
             abcdef   w      x\n"
        );
    }

    #[test]
    fn blank_last_cells_leave_no_trailing_spaces_and_width_counts_chars() {
        let mut t = Table::new(&["A", "B"]);
        t.row(vec!["é…".into()]);
        assert_eq!(t.render(), "A    B\né…\n");
    }

    #[test]
    fn an_empty_table_is_its_header() {
        assert_eq!(Table::new(&["ID", "NAME"]).render(), "ID   NAME\n");
    }
}
