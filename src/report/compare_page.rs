//! The comparison page of `pacsim compare`: a table of the metrics that changed between
//! a baseline and a candidate run, with the verdict of each (a CI artefact).

use crate::report::html::{format, Block, Cell, Column, Mark, Page, Row, Section, Table};
use crate::report::run_page::catalogue::describe_or_key;

/// What the comparison decided for one metric (the order is the page's: what fails the
/// gate first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// Worse beyond its tolerance: fails the gate.
    Regression,
    /// In the baseline, not in the candidate: fails the gate.
    Missing,
    /// Worse, but within its tolerance.
    Within,
    /// Different, for a metric with no better or worse direction.
    Changed,
    /// Better.
    Better,
    /// In the candidate only.
    New,
    /// The same value.
    Same,
}

impl Verdict {
    fn text(self) -> &'static str {
        match self {
            Verdict::Regression => "regression",
            Verdict::Missing => "missing",
            Verdict::Within => "worse, within tolerance",
            Verdict::Changed => "changed",
            Verdict::Better => "better",
            Verdict::New => "new",
            Verdict::Same => "same",
        }
    }
    fn mark(self) -> Option<Mark> {
        match self {
            Verdict::Regression | Verdict::Missing => Some(Mark::Bad),
            Verdict::Within | Verdict::Changed => Some(Mark::Warn),
            Verdict::Better => Some(Mark::Good),
            Verdict::New | Verdict::Same => None,
        }
    }
}

/// One metric's comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct CompareRow {
    /// What the metric belongs to (a sweep point, a cluster); empty for the whole run.
    pub scope: String,
    pub metric: String,
    pub baseline: Option<f64>,
    pub candidate: Option<f64>,
    /// The tolerance applied, as written (`5%`, `0.2s`), if any.
    pub tolerance: Option<String>,
    pub verdict: Verdict,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CompareReport {
    /// How the two sides are named (their folders, or scenario names and hashes).
    pub baseline: String,
    pub candidate: String,
    pub pacsim_version: String,
    pub rows: Vec<CompareRow>,
    /// Also list the metrics with the same value (otherwise only their count is given).
    pub show_same: bool,
}

pub fn render(r: &CompareReport) -> String {
    let regressions = r
        .rows
        .iter()
        .filter(|x| matches!(x.verdict, Verdict::Regression | Verdict::Missing))
        .count();
    let mut s = Section::new("verdict", "Verdict");
    s.push(Block::Answer {
        text: if regressions == 0 {
            format!("No regression in {} metric(s).", r.rows.len())
        } else {
            format!(
                "{regressions} regression(s) in {} metric(s): the gate fails.",
                r.rows.len()
            )
        },
        good: regressions == 0,
    });
    let mut rows: Vec<&CompareRow> = r
        .rows
        .iter()
        .filter(|x| r.show_same || x.verdict != Verdict::Same)
        .collect();
    // What fails the gate first, then by scope and metric, so the page reads the same
    // every time.
    rows.sort_by(|a, b| (a.verdict, &a.scope, &a.metric).cmp(&(b.verdict, &b.scope, &b.metric)));
    let same = r.rows.len() - rows.len();
    let scoped = r.rows.iter().any(|x| !x.scope.is_empty());
    let mut cols = Vec::new();
    if scoped {
        cols.push(Column::text("scope"));
    }
    cols.extend([
        Column::text("metric"),
        Column::number("baseline"),
        Column::number("candidate"),
        Column::number("change"),
        Column::text("tolerance"),
        Column::text("verdict"),
    ]);
    let mut t = Table::new(cols).sortable();
    for x in rows {
        let info = describe_or_key(&x.metric);
        let shown = |v: Option<f64>| match v {
            Some(v) => Cell::number(format::value(v, info.unit), v),
            None => Cell::text("–"),
        };
        let (change, ratio) = match (x.baseline, x.candidate) {
            (Some(b), Some(c)) => (
                format::change(b, c),
                if b != 0.0 {
                    (c - b) / b.abs()
                } else {
                    f64::NAN
                },
            ),
            _ => ("–".into(), f64::NAN),
        };
        let metric = if info.meaning.is_empty() {
            x.metric.clone()
        } else {
            format!("{} ({})", x.metric, info.label)
        };
        let mut cells = Vec::new();
        if scoped {
            cells.push(Cell::text(x.scope.clone()));
        }
        cells.extend([
            Cell::text(metric),
            shown(x.baseline),
            shown(x.candidate),
            Cell::number(change, ratio),
            Cell::text(x.tolerance.clone().unwrap_or_default()),
            Cell::text(x.verdict.text()),
        ]);
        let key = if x.scope.is_empty() {
            x.metric.clone()
        } else {
            format!("{}/{}", x.scope, x.metric)
        };
        let mut row = Row::keyed(&key, cells);
        row.mark = x.verdict.mark();
        t.push(row);
    }
    let mut changes = Section::new("changes", "Metrics");
    changes.push(Block::Table(t));
    if same > 0 {
        changes.note(format!(
            "{same} metric(s) with the same value are not listed."
        ));
    }
    Page {
        title: format!("{} → {}", r.baseline, r.candidate),
        subtitle: "pacsim comparison".into(),
        identity: vec![
            ("baseline".into(), r.baseline.clone()),
            ("candidate".into(), r.candidate.clone()),
            ("pacsim".into(), r.pacsim_version.clone()),
        ],
        sections: vec![s, changes],
        footer: sweep_footer(),
    }
    .render()
}

fn sweep_footer() -> String {
    crate::report::sweep_page::footer()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> CompareReport {
        let row = |m: &str, b, c, v| CompareRow {
            scope: String::new(),
            metric: m.into(),
            baseline: b,
            candidate: c,
            tolerance: Some("5%".into()),
            verdict: v,
        };
        CompareReport {
            baseline: "results/base".into(),
            candidate: "results/<new>".into(),
            pacsim_version: "0.1.0".into(),
            rows: vec![
                row("energy_kwh", Some(10.0), Some(10.1), Verdict::Same),
                row(
                    "pod_startup_p99_s",
                    Some(2.0),
                    Some(2.5),
                    Verdict::Regression,
                ),
                row("imbalance_mean", Some(0.1), Some(0.08), Verdict::Better),
                row("cluster.x.hosts", Some(8.0), None, Verdict::Missing),
            ],
            show_same: false,
        }
    }

    #[test]
    fn regressions_come_first_with_their_change_and_verdict() {
        let html = render(&report());
        assert!(html.contains(
            "<p class=\"answer bad\">2 regression(s) in 4 metric(s): the gate fails.</p>"
        ));
        let reg = html.find("data-key=\"pod_startup_p99_s\"").unwrap();
        let imp = html.find("data-key=\"imbalance_mean\"").unwrap();
        assert!(reg < imp);
        assert!(html.contains("<tr data-key=\"pod_startup_p99_s\" class=\"bad\"><td>pod_startup_p99_s (pod start-up p99)</td><td class=\"num\" data-sort=\"2\">2.00 s</td><td class=\"num\" data-sort=\"2.5\">2.50 s</td><td class=\"num\" data-sort=\"0.25\">+25.0 %</td><td>5%</td><td>regression</td></tr>"), "{html}");
        assert!(html.contains("class=\"good\"><td>imbalance_mean"));
        assert!(!html.contains("data-key=\"energy_kwh\""));
        assert!(html.contains("1 metric(s) with the same value are not listed."));
        assert!(
            !html.contains(">scope</button>"),
            "no scope column without scopes"
        );
        assert!(html.contains("results/&lt;new&gt;"));
    }

    #[test]
    fn a_clean_comparison_passes_and_can_list_everything() {
        let mut r = report();
        r.rows
            .retain(|x| !matches!(x.verdict, Verdict::Regression | Verdict::Missing));
        r.show_same = true;
        r.rows[1].scope = "point 3".into();
        let html = render(&r);
        assert!(
            html.contains(
                "<tr data-key=\"point 3/imbalance_mean\" class=\"good\"><td>point 3</td>"
            ),
            "{html}"
        );
        assert!(html.contains("<p class=\"answer\">No regression in 2 metric(s).</p>"));
        assert!(html.contains("data-key=\"energy_kwh\""));
    }
}
