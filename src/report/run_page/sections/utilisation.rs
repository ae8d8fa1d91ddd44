//! How busy the clusters were: per-cluster utilisation and imbalance, and the plots of
//! utilisation, instances and per-host CPU over time.

use crate::report::html::{Block, Cell, Column, Row, Section, Table};
use crate::report::run_page::{figure, metric_cell, RunOutputs};

const FIELDS: [(&str, &str); 6] = [
    ("hosts", "hosts"),
    ("cpu_util_mean", "CPU mean"),
    ("cpu_util_p95", "CPU p95"),
    ("mem_util_mean", "memory mean"),
    ("mem_util_p95", "memory p95"),
    ("imbalance_mean", "imbalance"),
];

pub fn section(run: &RunOutputs) -> Option<Section> {
    let mut s = Section::new("utilisation", "Utilisation");
    s.text(format!(
        "{} sample(s) of {} cluster(s); host_cpu.csv has {} column(s) of hosts (neighbouring hosts are averaged in very large runs).",
        run.timeseries.rows(),
        run.clusters.len(),
        run.host_columns
    ));
    let mut cols = vec![Column::text("cluster")];
    cols.extend(FIELDS.iter().map(|(_, label)| Column::number(label)));
    let mut t = Table::new(cols).sortable();
    for c in &run.clusters {
        let mut cells = vec![Cell::text(c.clone())];
        cells.extend(
            FIELDS
                .iter()
                .map(|(f, _)| metric_cell(run, &format!("cluster.{c}.{f}"))),
        );
        t.push(Row::keyed(c, cells));
    }
    s.push(Block::Table(t));
    for stem in ["cluster_utilisation", "instances", "host_cpu_heatmap"] {
        if let Some(f) = figure(run, stem) {
            s.push(f);
        }
    }
    Some(s)
}
