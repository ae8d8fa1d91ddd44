//! A comparison as a text table: metric, baseline, candidate, change, verdict.

use super::sweep::fmt_num;
use crate::compare::tolerance::Direction;
use crate::compare::{Comparison, Row, Verdict};
use std::fmt::Write as _;

fn num(v: Option<f64>) -> String {
    v.map_or("-".into(), fmt_num)
}

fn change(r: &Row) -> String {
    match (r.change(), r.baseline) {
        (Some(0.0), _) => "0".into(),
        (Some(d), Some(b)) if b != 0.0 => {
            format!(
                "{}{} ({:+.1}%)",
                if d > 0.0 { "+" } else { "" },
                fmt_num(d),
                d / b.abs() * 100.0
            )
        }
        (Some(d), _) => format!("{}{}", if d > 0.0 { "+" } else { "" }, fmt_num(d)),
        (None, _) => String::new(),
    }
}

fn verdict(r: &Row) -> String {
    let dir = match r.rule.better {
        Direction::Lower => "lower is better",
        Direction::Higher => "higher is better",
        Direction::Equal => "must equal",
        Direction::Ignore => "not judged",
    };
    match r.verdict {
        Verdict::Regression | Verdict::Within => {
            format!(
                "{} ({dir}; tolerance {})",
                r.verdict.name(),
                fmt_num(r.rule.allowed(r.baseline.unwrap_or(0.0)))
            )
        }
        Verdict::Better => format!("better ({dir})"),
        v => v.name().to_string(),
    }
}

/// The table of every row that is not `same` (or of every row, with `all`), grouped by
/// scope, and a closing count.
pub fn text(c: &Comparison, all: bool) -> String {
    let rows: Vec<&Row> = c
        .rows
        .iter()
        .filter(|r| all || r.verdict != Verdict::Same)
        .collect();
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.metric.clone(),
                num(r.baseline),
                num(r.candidate),
                change(r),
                verdict(r),
            ]
        })
        .collect();
    let head = ["metric", "baseline", "candidate", "change", "verdict"];
    let lines = super::table::lines(&head, &cells, &[false, true, true, false]);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "compare {} (baseline) with {} (candidate)",
        c.baseline, c.candidate
    );
    if !rows.is_empty() {
        let _ = writeln!(out, "{}", lines[0]);
        let mut scope: Option<&str> = None;
        for (r, line) in rows.iter().zip(&lines[1..]) {
            if !r.scope.is_empty() && scope != Some(r.scope.as_str()) {
                let _ = writeln!(out, "{}", r.scope);
                scope = Some(&r.scope);
            }
            let _ = writeln!(out, "{line}");
        }
    }
    let counts: Vec<String> = [
        Verdict::Regression,
        Verdict::Within,
        Verdict::Better,
        Verdict::Changed,
        Verdict::New,
        Verdict::Same,
    ]
    .iter()
    .filter(|&&v| c.count(v) > 0)
    .map(|&v| format!("{} {}", c.count(v), v.name()))
    .collect();
    let _ = writeln!(
        out,
        "{} metric value(s): {}",
        c.rows.len(),
        if counts.is_empty() {
            "none".to_string()
        } else {
            counts.join(", ")
        }
    );
    let _ = writeln!(
        out,
        "{}",
        match c.regressions() {
            0 => "verdict: no regression".to_string(),
            n => format!("verdict: {n} regression(s)"),
        }
    );
    out
}
