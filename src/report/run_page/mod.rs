//! The run report, `report.html`: one self-contained page drawn from a run's output files
//! (never from the simulation's memory), so `pacsim report DIR` gives the same bytes as
//! the run did.
//!
//! The page is a list of sections, each a function of the outputs that returns `None`
//! when its data is absent (no DRS section for a cluster without DRS). To add one, write
//! a module in `sections/` and name it in [`SECTIONS`]; plots no section shows appear
//! under "Other plots", and metrics no section shows are still in "All metrics".

pub mod catalogue;
pub mod outputs;
mod sections;

use crate::report::html::{format, Block, Cell, Column, Fact, Figure, Link, Page, Row, Table};
use crate::report::OutputFile;
pub use outputs::{load, Dir, OutputError, RunOutputs, Source};
use std::collections::BTreeSet;

/// A part of the page: `None` when the run has nothing to show there.
pub type SectionFn = fn(&RunOutputs) -> Option<crate::report::html::Section>;

/// The sections, in page order.
pub const SECTIONS: &[SectionFn] = &[
    sections::overview::section,
    sections::utilisation::section,
    sections::placement::section,
    sections::startup::section,
    sections::drs::section,
    sections::vmotion::section,
    sections::hosts::section,
    sections::energy::section,
];

/// What each plot shows, by file stem (a plot without an entry is captioned by its name).
const PLOT_CAPTIONS: &[(&str, &str)] = &[
    ("cluster_utilisation", "CPU demand and memory as fractions of each cluster's capacity, and its imbalance, at every sample."),
    ("instances", "VMs and pods running, pods starting, instances waiting for room, and hosts powered on."),
    ("host_cpu_heatmap", "CPU utilisation of every host over time (neighbouring hosts and samples averaged into at most 100 × 240 cells); bright is busy."),
    ("pod_startup_cdf", "Fraction of pods Running within a given time of their creation; the p50 and p99 are marked."),
    ("drs_passes", "Imbalance before each DRS pass against the threshold's target (above), and the moves each pass recommended (below)."),
    ("vmotion_duration_cdf", "Fraction of vMotions finished within a given time, pre-copy rounds and switch-over included."),
];

/// The raw files, with what each holds.
const FILE_NOTES: &[(&str, &str)] = &[
    (
        outputs::SUMMARY,
        "the scenario's identity and every metric (the keys are in the README)",
    ),
    (outputs::TIMESERIES, "per-cluster series at every sample"),
    (
        outputs::HOST_CPU,
        "CPU utilisation of every host at every sample",
    ),
    (
        outputs::DRS_LOG,
        "one JSON object per DRS pass, with each recommended move and its reason",
    ),
    (
        outputs::RUN_JSON,
        "wall-clock figures of the run (the only file that differs between identical runs)",
    ),
];

/// Reads the outputs of a run just rendered in memory and draws its report.
pub fn render_files(files: &[OutputFile]) -> Result<String, OutputError> {
    Ok(render(&load(files)?))
}

/// The report page of `run`.
pub fn render(run: &RunOutputs) -> String {
    let id = &run.identity;
    let mut page = Page {
        title: id.name.clone(),
        subtitle: "pacsim run report".into(),
        identity: vec![
            ("scenario".into(), id.name.clone()),
            ("seed".into(), id.seed.to_string()),
            (
                "simulated".into(),
                format::value(id.duration_s, format::Unit::Seconds),
            ),
            ("scenario hash".into(), id.hash.clone()),
            ("pacsim".into(), id.pacsim_version.clone()),
        ],
        sections: SECTIONS.iter().filter_map(|f| f(run)).collect(),
        footer: format!(
            "Drawn by pacsim {} from the files in this folder; `pacsim report DIR` draws it again.",
            env!("CARGO_PKG_VERSION")
        ),
    };
    let shown: BTreeSet<&str> = page
        .sections
        .iter()
        .flat_map(|s| &s.blocks)
        .filter_map(|b| match b {
            Block::Figure(f) => f.id.strip_prefix("plot-"),
            _ => None,
        })
        .collect();
    let others: Vec<Block> = run
        .plots
        .keys()
        .filter(|stem| !shown.contains(stem.as_str()))
        .filter_map(|stem| figure(run, stem))
        .collect();
    if !others.is_empty() {
        let mut s = crate::report::html::Section::new("other-plots", "Other plots");
        s.blocks = others;
        page.sections.push(s);
    }
    page.sections.push(all_metrics(run));
    page.sections.push(raw_files(run));
    page.render()
}

/// A metric as a fact line, if the summary has it.
pub(crate) fn fact(run: &RunOutputs, key: &str) -> Option<Fact> {
    let v = run.metric(key)?;
    let info = catalogue::describe_or_key(key);
    Some(Fact {
        key: Some(key.into()),
        label: info.label,
        value: format::value(v, info.unit),
        raw: Some(v),
        meaning: info.meaning,
    })
}

/// The metrics of `keys` that the summary has, as a block of facts.
pub(crate) fn facts(run: &RunOutputs, keys: &[&str]) -> Block {
    Block::Facts(keys.iter().filter_map(|k| fact(run, k)).collect())
}

/// A number cell in the metric's unit.
pub(crate) fn metric_cell(run: &RunOutputs, key: &str) -> Cell {
    match run.metric(key) {
        Some(v) => Cell::number(format::value(v, catalogue::describe_or_key(key).unit), v),
        None => Cell::text("–"),
    }
}

/// The plot `stem` as a figure with its caption and file links, if the run drew it.
pub(crate) fn figure(run: &RunOutputs, stem: &str) -> Option<Block> {
    let svg = run.plots.get(stem)?;
    let caption = PLOT_CAPTIONS
        .iter()
        .find(|(s, _)| *s == stem)
        .map_or(stem, |(_, c)| *c);
    Some(Block::Figure(Figure {
        id: format!("plot-{stem}"),
        svg: svg.clone(),
        caption: caption.into(),
        links: vec![
            Link::file(&format!("plots/{stem}.svg"), ""),
            Link::file(&format!("plots/{stem}.png"), ""),
        ],
    }))
}

/// Every metric of the summary, sortable, with its unit and meaning.
fn all_metrics(run: &RunOutputs) -> crate::report::html::Section {
    let mut s = crate::report::html::Section::new("metrics", "All metrics");
    s.text("Every metric of summary.json; click a heading to sort.");
    let mut t = Table::new(vec![
        Column::text("key"),
        Column::text("metric"),
        Column::number("value"),
        Column::text("what it means"),
    ])
    .sortable();
    for (k, &v) in &run.metrics {
        let info = catalogue::describe_or_key(k);
        t.push(Row::keyed(
            k,
            vec![
                Cell::text(k.clone()),
                Cell::text(info.label),
                Cell::number(format::value(v, info.unit), v),
                Cell::text(info.meaning),
            ],
        ));
    }
    s.push(Block::Table(t));
    s
}

fn raw_files(run: &RunOutputs) -> crate::report::html::Section {
    let mut s = crate::report::html::Section::new("files", "Raw files");
    s.text("The files this page was drawn from, beside it in the run's folder.");
    let links = run
        .files
        .iter()
        .map(|f| {
            let note = FILE_NOTES.iter().find(|(n, _)| n == f).map_or("", |n| n.1);
            Link::file(f, note)
        })
        .chain(run.plots.keys().flat_map(|stem| {
            [
                Link::file(&format!("plots/{stem}.svg"), "plot, vector"),
                Link::file(&format!("plots/{stem}.png"), "plot, image"),
            ]
        }))
        .collect();
    s.push(Block::Links(links));
    s
}
