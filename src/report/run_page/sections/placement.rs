//! Where instances went: placed, waited, rejected (with the reasons) and left waiting,
//! per kind, and the most that waited at once.

use crate::report::html::{format, Block, Cell, Column, Mark, Row, Section, Table, Unit};
use crate::report::run_page::catalogue::REJECT_REASONS;
use crate::report::run_page::{facts, metric_cell, RunOutputs};

const COLUMNS: [(&str, &str); 7] = [
    ("arrived", "arrived"),
    ("placed", "placed"),
    ("waited", "waited"),
    ("rejected", "rejected"),
    ("pending_at_end", "pending at end"),
    ("running_at_end", "running at end"),
    ("departed", "departed"),
];

pub fn section(run: &RunOutputs) -> Option<Section> {
    let kinds: Vec<(&str, &str)> = [("vms", "VMs"), ("pods", "pods")]
        .into_iter()
        .filter(|(k, _)| run.m(&format!("{k}_arrived")) > 0.0)
        .collect();
    if kinds.is_empty() {
        return None;
    }
    let mut s = Section::new("placement", "Placement and waiting");
    let mut cols = vec![Column::text("kind")];
    cols.extend(COLUMNS.iter().map(|(_, l)| Column::number(l)));
    let mut t = Table::new(cols);
    for (k, label) in &kinds {
        let mut cells = vec![Cell::text(*label)];
        for (c, _) in COLUMNS {
            let mut cell = metric_cell(run, &format!("{k}_{c}"));
            if (c == "rejected" || c == "pending_at_end") && cell.sort.unwrap_or(0.0) > 0.0 {
                cell.mark = Some(Mark::Warn);
            }
            cells.push(cell);
        }
        t.push(Row::keyed(k, cells));
    }
    s.push(Block::Table(t));

    let mut reasons = Table::new(vec![
        Column::text("kind"),
        Column::text("reason"),
        Column::number("rejected"),
        Column::text("what it means"),
    ])
    .caption("Rejections by reason");
    for (k, label) in &kinds {
        for (reason, why) in REJECT_REASONS {
            let key = format!("{k}_rejected_{reason}");
            if run.m(&key) > 0.0 {
                reasons.push(Row::keyed(
                    &key,
                    vec![
                        Cell::text(*label),
                        Cell::text(reason.replace('_', " ")),
                        metric_cell(run, &key),
                        Cell::text(*why),
                    ],
                ));
            }
        }
    }
    if reasons.rows.is_empty() {
        s.text("Nothing was rejected.");
    } else {
        s.push(Block::Table(reasons));
    }
    let peak = run
        .clusters
        .iter()
        .filter_map(|c| run.cluster_series(c, "pending"))
        .flat_map(|v| v.iter().copied())
        .fold(0.0, f64::max);
    if peak > 0.0 {
        s.text(format!(
            "At most {} instance(s) waited for room in one cluster at a sample.",
            format::value(peak, Unit::Count)
        ));
    }
    if run.m("rule_should_broken") > 0.0 {
        s.push(facts(run, &["rule_should_broken"]));
    }
    Some(s)
}
