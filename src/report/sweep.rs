//! A sweep as text: the plan listing of `pacsim sweep plan`, and the merged table as
//! `sweep.csv` (one row per run) and `sweep-summary.csv` (one row per point: mean,
//! standard deviation and 95% confidence interval of every metric over replications).

use crate::sweep::merge::MergedSweep;
use crate::sweep::spec::value_label;
use crate::sweep::stats::Stats;
use crate::sweep::{RunPoint, Sweep};
use std::fmt::Write as _;

/// Column widths of the plan listing.
pub struct PlanLayout {
    widths: Vec<usize>,
}

impl PlanLayout {
    pub fn new(sweep: &Sweep) -> PlanLayout {
        let digits = |n: u64| n.max(1).to_string().len();
        let last = sweep.run_point(sweep.runs().saturating_sub(1));
        let mut widths = vec![
            "index".len().max(digits(sweep.runs() - 1)),
            "point".len().max(digits(sweep.points() - 1)),
            "replication".len(),
            "seed".len().max(digits(last.seed)),
        ];
        for a in &sweep.axes {
            let w = a
                .values
                .iter()
                .map(|v| value_label(v).chars().count())
                .max();
            widths.push(a.path.chars().count().max(w.unwrap_or(0)));
        }
        PlanLayout { widths }
    }

    fn line(&self, cells: &[String]) -> String {
        let mut out = String::new();
        for (i, (c, w)) in cells.iter().zip(&self.widths).enumerate() {
            if i + 1 == cells.len() {
                out.push_str(c);
            } else {
                let _ = write!(out, "{c:<w$}  ");
            }
        }
        out.trim_end().to_string()
    }

    /// The header line: `index  point  replication  seed  <axis paths…>`.
    pub fn header(&self, sweep: &Sweep) -> String {
        let mut cells: Vec<String> = ["index", "point", "replication", "seed"]
            .map(String::from)
            .to_vec();
        cells.extend(sweep.axes.iter().map(|a| a.path.clone()));
        self.line(&cells)
    }

    /// One run's line.
    pub fn row(&self, sweep: &Sweep, p: &RunPoint) -> String {
        let mut cells = vec![
            p.index.to_string(),
            p.point.to_string(),
            p.replication.to_string(),
            p.seed.to_string(),
        ];
        cells.extend(sweep.values(p).iter().map(value_label));
        self.line(&cells)
    }
}

/// A number as the merged tables write it: 9 significant digits (as `summary.json`),
/// integers without a decimal point.
pub fn fmt_num(x: f64) -> String {
    if !x.is_finite() {
        return String::new();
    }
    // Counts (bytes, events) stay exact; other values get 9 significant digits.
    if x == x.trunc() && x.abs() < 9.0e15 {
        return format!("{}", x as i64);
    }
    let r: f64 = format!("{x:.8e}").parse().unwrap_or(x);
    if r == r.trunc() && r.abs() < 9.0e15 {
        format!("{}", r as i64)
    } else {
        format!("{r}")
    }
}

/// Quotes a CSV field when it holds a comma, a quote or a line break (RFC 4180).
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn push_row(out: &mut String, cells: impl IntoIterator<Item = String>) {
    let mut first = true;
    for c in cells {
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(&csv_field(&c));
    }
    out.push('\n');
}

/// `sweep.csv`: `index, point, replication, seed`, the axes (by path), then every metric.
pub fn runs_csv(m: &MergedSweep) -> String {
    let mut out = String::new();
    let head = ["index", "point", "replication", "seed"]
        .into_iter()
        .map(String::from)
        .chain(m.info.axes.iter().map(|a| a.path.clone()))
        .chain(m.metrics.iter().cloned());
    push_row(&mut out, head);
    for r in &m.runs {
        let cells = [r.index, r.point, r.replication, r.seed]
            .map(|n| n.to_string())
            .into_iter()
            .chain(
                r.coords
                    .iter()
                    .enumerate()
                    .map(|(a, &c)| m.value_label(a, c)),
            )
            .chain(r.metrics.iter().map(|v| v.map_or(String::new(), fmt_num)));
        push_row(&mut out, cells);
    }
    out
}

/// The four columns of each metric in `sweep-summary.csv`.
pub const STAT_COLUMNS: [&str; 4] = ["mean", "stdev", "ci95_low", "ci95_high"];

/// `sweep-summary.csv`: `point`, the axes (by path), `replications`, then for every
/// metric `<metric>.mean`, `.stdev`, `.ci95_low`, `.ci95_high` (the last three empty with
/// one replication).
pub fn summary_csv(m: &MergedSweep) -> String {
    let mut out = String::new();
    let head = std::iter::once("point".to_string())
        .chain(m.info.axes.iter().map(|a| a.path.clone()))
        .chain(std::iter::once("replications".to_string()))
        .chain(
            m.metrics
                .iter()
                .flat_map(|k| STAT_COLUMNS.map(|s| format!("{k}.{s}"))),
        );
    push_row(&mut out, head);
    for p in &m.points {
        let stats = p.stats.iter().flat_map(|s: &Option<Stats>| match s {
            None => [String::new(), String::new(), String::new(), String::new()],
            Some(s) => [
                fmt_num(s.mean),
                s.stdev.map_or(String::new(), fmt_num),
                s.ci95.map_or(String::new(), |c| fmt_num(c.0)),
                s.ci95.map_or(String::new(), |c| fmt_num(c.1)),
            ],
        });
        let cells = std::iter::once(p.point.to_string())
            .chain(
                p.coords
                    .iter()
                    .enumerate()
                    .map(|(a, &c)| m.value_label(a, c)),
            )
            .chain(std::iter::once(p.replications.to_string()))
            .chain(stats);
        push_row(&mut out, cells);
    }
    out
}

/// Reads CSV text (RFC 4180: quoted fields may hold commas, quotes and line breaks) into
/// rows of fields; an error names the line of an unclosed quote.
pub fn parse_csv(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut line = 1;
    let mut quote_line = 0;
    let mut chars = text.chars().peekable();
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if at_start => {
                quoted = true;
                quote_line = line;
            }
            ',' => {
                row.push(std::mem::take(&mut field));
                at_start = true;
                continue;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                line += 1;
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
                at_start = true;
                continue;
            }
            _ => field.push(c),
        }
        at_start = false;
    }
    if quoted {
        return Err(format!(
            "a quoted field opened on line {quote_line} is never closed"
        ));
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_like_summary_json() {
        assert_eq!(fmt_num(42.0), "42");
        assert_eq!(fmt_num(1.5), "1.5");
        assert_eq!(fmt_num(0.1 + 0.2), "0.3");
        assert_eq!(fmt_num(2.0 / 3.0), "0.666666667");
        assert_eq!(fmt_num(123456789012.0), "123456789012");
        assert_eq!(fmt_num(123456789012.5), "123456789000");
        assert_eq!(fmt_num(-0.000123456789123), "-0.000123456789");
        assert_eq!(fmt_num(f64::NAN), "");
    }

    #[test]
    fn csv_round_trips_through_quoting() {
        let cells = ["a", "b,c", "say \"hi\"", "two\nlines", ""];
        let mut text = String::new();
        push_row(&mut text, cells.map(String::from));
        push_row(&mut text, ["1", "2"].map(String::from));
        let rows = parse_csv(&text).unwrap();
        assert_eq!(
            rows,
            vec![
                cells.map(String::from).to_vec(),
                vec!["1".into(), "2".into()]
            ]
        );
        assert!(parse_csv("a,\"b\n").unwrap_err().contains("line 1"));
        assert_eq!(parse_csv("x,y\r\n1,2").unwrap()[1], ["1", "2"]);
    }
}
