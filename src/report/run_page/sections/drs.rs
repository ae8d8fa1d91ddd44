//! DRS: per cluster, how often the imbalance was above the threshold's target and what
//! the passes achieved; the reasons for the moves; the largest recommendations with their
//! reasons (from `drs.jsonl`); and the passes plot.

use crate::report::html::{format, Block, Cell, Column, Mark, Row, Section, Table, Unit};
use crate::report::run_page::outputs::Recommendation;
use crate::report::run_page::{facts, figure, RunOutputs};
use std::collections::BTreeMap;

/// Recommendations listed, the largest gains first.
pub const TOP_RECOMMENDATIONS: usize = 20;

/// What a move's reason means (`policy::balance::Reason`).
const REASONS: &[(&str, &str)] = &[
    (
        "balance_cpu",
        "lowers the spread of CPU load across hosts the most",
    ),
    (
        "balance_memory",
        "lowers the spread of memory load across hosts the most",
    ),
];

pub fn section(run: &RunOutputs) -> Option<Section> {
    if run.drs.is_empty() {
        return None;
    }
    let log = &run.drs;
    let mut s = Section::new("drs", "DRS load balancing");
    s.text("Every pass measures the cluster's imbalance (the spread of host loads) and, when it is above the migration threshold's target, recommends the vMotions that lower it most.");
    s.push(facts(
        run,
        &["drs_passes", "drs_recommendations", "migrations"],
    ));

    let mut per: BTreeMap<&str, Stats> = BTreeMap::new();
    for p in &log.passes {
        let st = per.entry(p.cluster.as_str()).or_default();
        st.passes += 1;
        st.level = p.level;
        st.target = p.target;
        st.before += p.imbalance_before;
        st.after += p.imbalance_after;
        st.max_before = st.max_before.max(p.imbalance_before);
        st.moves += p.recommendations.len();
        if p.target.is_some_and(|t| p.imbalance_before > t) {
            st.above += 1;
        }
    }
    let mut t = Table::new(vec![
        Column::text("cluster"),
        Column::number("level"),
        Column::number("target"),
        Column::number("passes"),
        Column::number("above target"),
        Column::number("imbalance before (mean)"),
        Column::number("after (mean)"),
        Column::number("worst before"),
        Column::number("moves"),
    ]);
    let plain = |v: f64| Cell::number(format::value(v, Unit::Plain), v);
    let count = |v: usize| Cell::number(format::value(v as f64, Unit::Count), v as f64);
    for (c, st) in &per {
        let n = st.passes as f64;
        t.push(Row::keyed(
            c,
            vec![
                Cell::text(*c),
                count(st.level as usize),
                st.target.map_or(Cell::text("none (level 1)"), plain),
                count(st.passes),
                count(st.above).marked((st.above > 0).then_some(Mark::Warn)),
                plain(st.before / n),
                plain(st.after / n),
                plain(st.max_before),
                count(st.moves),
            ],
        ));
    }
    if !t.rows.is_empty() {
        s.push(Block::Table(t));
    }
    if let Some(f) = figure(run, "drs_passes") {
        s.push(f);
    }

    if !log.evacuations.is_empty() {
        let moves: usize = log
            .evacuations
            .iter()
            .map(|e| e.recommendations.len())
            .sum();
        s.text(format!(
            "{} host evacuation(s) (maintenance or standby) recommended {moves} mandatory move(s).",
            log.evacuations.len()
        ));
    }
    let passes = log
        .passes
        .iter()
        .map(|p| (p.time_s, p.cluster.as_str(), &p.recommendations));
    let evacuations = log
        .evacuations
        .iter()
        .map(|e| (e.time_s, e.cluster.as_str(), &e.recommendations));
    let mut moves: Vec<(f64, &str, &Recommendation)> = passes
        .chain(evacuations)
        .flat_map(|(t, c, recs)| recs.iter().map(move |r| (t, c, r)))
        .collect();
    let mut by_reason: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, _, r) in &moves {
        *by_reason.entry(r.reason.as_str()).or_default() += 1;
    }
    let mut reasons = Table::new(vec![
        Column::text("reason"),
        Column::number("moves"),
        Column::text("what it means"),
    ])
    .caption("Moves by reason");
    for (r, n) in by_reason {
        let why = REASONS
            .iter()
            .find(|(k, _)| *k == r)
            .map_or("", |(_, w)| *w);
        reasons.push(Row::keyed(
            r,
            vec![Cell::text(r), count(n), Cell::text(why)],
        ));
    }
    s.push(Block::Table(reasons));

    // Largest gains first (moves without a gain, the mandatory ones, are left out); ties
    // in log order (a stable sort), so the list is deterministic.
    moves.retain(|m| m.2.gain.is_some());
    if moves.is_empty() {
        return Some(s);
    }
    let gain = |m: &(f64, &str, &Recommendation)| m.2.gain.unwrap_or(0.0);
    moves.sort_by(|a, b| gain(b).total_cmp(&gain(a)));
    let mut top = Table::new(vec![
        Column::number("time"),
        Column::text("cluster"),
        Column::text("VM"),
        Column::text("from"),
        Column::text("to"),
        Column::text("reason"),
        Column::number("priority"),
        Column::number("gain"),
    ])
    .sortable()
    .caption(&format!(
        "The {} largest recommendations of {} (gain: the drop in imbalance the move is worth)",
        moves.len().min(TOP_RECOMMENDATIONS),
        moves.len()
    ));
    for (time, cluster, r) in moves.iter().take(TOP_RECOMMENDATIONS) {
        top.push(Row::new(vec![
            Cell::number(format::value(*time, Unit::Seconds), *time),
            Cell::text(*cluster),
            Cell::text(r.vm.clone()),
            Cell::text(r.from.clone()),
            Cell::text(r.to.clone()),
            Cell::text(r.reason.clone()),
            count(r.priority as usize),
            Cell::number(format::sig(r.gain.unwrap_or(0.0), 3), r.gain.unwrap_or(0.0)),
        ]));
    }
    s.push(Block::Table(top));
    Some(s)
}

#[derive(Default)]
struct Stats {
    passes: usize,
    level: u32,
    target: Option<f64>,
    before: f64,
    after: f64,
    max_before: f64,
    moves: usize,
    above: usize,
}
