//! Tables, optionally sortable by clicking a column heading (the page's one tiny inline
//! script, see [`super::page::SORT_SCRIPT`]). Cell text is escaped when rendered.

use super::escape::{escape, escape_into};
use std::fmt::Write as _;

/// How a row or cell is marked, as a CSS class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    /// Breaks a service-level objective, or is a regression.
    Bad,
    /// An improvement.
    Good,
    /// Worth a look, not a failure.
    Warn,
}

impl Mark {
    fn class(self) -> &'static str {
        match self {
            Mark::Bad => "bad",
            Mark::Good => "good",
            Mark::Warn => "warn",
        }
    }
}

/// A column: its heading, an optional explanation (shown on hover), and whether it holds
/// numbers (right-aligned, sorted numerically).
#[derive(Clone, Debug)]
pub struct Column {
    pub label: String,
    pub title: Option<String>,
    pub numeric: bool,
}

impl Column {
    pub fn text(label: &str) -> Self {
        Column {
            label: label.into(),
            title: None,
            numeric: false,
        }
    }
    pub fn number(label: &str) -> Self {
        Column {
            label: label.into(),
            title: None,
            numeric: true,
        }
    }
}

/// One cell: the text shown, and for numbers the exact value it sorts by.
#[derive(Clone, Debug, Default)]
pub struct Cell {
    pub text: String,
    pub sort: Option<f64>,
    pub mark: Option<Mark>,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Self {
        Cell {
            text: s.into(),
            ..Cell::default()
        }
    }
    /// A number: shown as `shown`, sorted by `v`.
    pub fn number(shown: impl Into<String>, v: f64) -> Self {
        Cell {
            text: shown.into(),
            sort: Some(v),
            mark: None,
        }
    }
    pub fn marked(mut self, mark: Option<Mark>) -> Self {
        self.mark = mark;
        self
    }
}

/// A row; `key` becomes a `data-key` attribute so that tests (and people reading the
/// source) can find a metric's row.
#[derive(Clone, Debug, Default)]
pub struct Row {
    pub key: Option<String>,
    pub cells: Vec<Cell>,
    pub mark: Option<Mark>,
}

impl Row {
    pub fn new(cells: Vec<Cell>) -> Self {
        Row {
            key: None,
            cells,
            mark: None,
        }
    }
    pub fn keyed(key: &str, cells: Vec<Cell>) -> Self {
        Row {
            key: Some(key.into()),
            cells,
            mark: None,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Table {
    pub caption: Option<String>,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
    /// Headings become buttons that sort the rows.
    pub sortable: bool,
}

impl Table {
    pub fn new(columns: Vec<Column>) -> Self {
        Table {
            columns,
            ..Table::default()
        }
    }
    pub fn sortable(mut self) -> Self {
        self.sortable = true;
        self
    }
    pub fn caption(mut self, c: &str) -> Self {
        self.caption = Some(c.into());
        self
    }
    pub fn push(&mut self, row: Row) {
        self.rows.push(row);
    }

    pub fn render(&self, out: &mut String) {
        out.push_str(if self.sortable {
            "<div class=\"scroll\"><table class=\"sortable\">"
        } else {
            "<div class=\"scroll\"><table>"
        });
        if let Some(c) = &self.caption {
            let _ = write!(out, "<caption>{}</caption>", escape(c));
        }
        out.push_str("<thead><tr>");
        for col in &self.columns {
            out.push_str("<th scope=\"col\"");
            if col.numeric {
                out.push_str(" class=\"num\" data-type=\"num\"");
            }
            if let Some(t) = &col.title {
                let _ = write!(out, " title=\"{}\"", escape(t));
            }
            if self.sortable {
                out.push_str(" aria-sort=\"none\"><button type=\"button\">");
                escape_into(out, &col.label);
                out.push_str("</button></th>");
            } else {
                out.push('>');
                escape_into(out, &col.label);
                out.push_str("</th>");
            }
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for row in &self.rows {
            out.push_str("<tr");
            if let Some(k) = &row.key {
                let _ = write!(out, " data-key=\"{}\"", escape(k));
            }
            if let Some(m) = row.mark {
                let _ = write!(out, " class=\"{}\"", m.class());
            }
            out.push('>');
            for (i, cell) in row.cells.iter().enumerate() {
                out.push_str("<td");
                let numeric = self.columns.get(i).is_some_and(|c| c.numeric);
                match (numeric, cell.mark) {
                    (true, Some(m)) => {
                        let _ = write!(out, " class=\"num {}\"", m.class());
                    }
                    (true, None) => out.push_str(" class=\"num\""),
                    (false, Some(m)) => {
                        let _ = write!(out, " class=\"{}\"", m.class());
                    }
                    (false, None) => {}
                }
                if let Some(v) = cell.sort {
                    // Exact and locale-free: what the script compares.
                    let _ = write!(out, " data-sort=\"{}\"", sort_key(v));
                }
                out.push('>');
                escape_into(out, &cell.text);
                out.push_str("</td>");
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody></table></div>\n");
    }
}

/// A number as the sort script reads it (`parseFloat`); non-finite values sort first.
fn sort_key(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        "-1e308".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_escaped_and_numbers_carry_their_sort_key() {
        let mut t = Table::new(vec![Column::text("name"), Column::number("value")]).sortable();
        t.push(Row::keyed(
            "k<1>",
            vec![
                Cell::text("<b>x</b>"),
                Cell::number("1,234", 1234.0).marked(Some(Mark::Bad)),
            ],
        ));
        let mut html = String::new();
        t.render(&mut html);
        assert!(html.contains("<td>&lt;b&gt;x&lt;/b&gt;</td>"), "{html}");
        assert!(html.contains("data-key=\"k&lt;1&gt;\""), "{html}");
        assert!(
            html.contains("<td class=\"num bad\" data-sort=\"1234\">1,234</td>"),
            "{html}"
        );
        assert!(html.contains("<button type=\"button\">value</button>"));
        assert!(html.contains("<table class=\"sortable\">"));
    }

    #[test]
    fn a_plain_table_has_no_buttons() {
        let mut t = Table::new(vec![Column::text("a")]);
        t.push(Row::new(vec![Cell::text("1")]));
        let mut html = String::new();
        t.render(&mut html);
        assert!(!html.contains("button"));
        assert!(!html.contains("sortable"));
    }
}
