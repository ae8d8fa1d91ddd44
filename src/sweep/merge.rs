//! Merging a sweep's run records into one table: a row per run, and per point the
//! statistics of every metric over its replications. The table is plain data
//! ([`MergedSweep`]); `report::sweep` writes it as CSV and `report::plot::sweep` draws
//! it, and other renderers (HTML) can be added over the same structs.
//!
//! Records are taken in index order and every statistic is summed in replication order,
//! so the merged table is the same bits however the runs were spread over threads,
//! processes or machines.

use super::spec::{value_label, Sweep};
use super::stats::Stats;
use super::RunRecord;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;

/// What a results folder's `sweep.json` records: enough to merge and chart the runs
/// without the sweep file, and the hash that ties the folder to one sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepInfo {
    pub pacsim_version: String,
    pub sweep: String,
    /// [`Sweep::hash`] in hex.
    pub hash: String,
    /// The base scenario's name.
    pub scenario: String,
    pub runs: u64,
    pub points: u64,
    pub replications: u64,
    pub axes: Vec<AxisInfo>,
    #[serde(default)]
    pub plots: Vec<PlotInfo>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AxisInfo {
    pub path: String,
    pub name: String,
    pub values: Vec<Value>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlotInfo {
    pub metric: String,
    /// Axis positions.
    pub x: usize,
    pub by: Option<usize>,
}

impl SweepInfo {
    pub fn of(sweep: &Sweep) -> SweepInfo {
        SweepInfo {
            pacsim_version: env!("CARGO_PKG_VERSION").to_string(),
            sweep: sweep.name.clone(),
            hash: format!("{:016x}", sweep.hash()),
            scenario: sweep.base.scenario.name.clone(),
            runs: sweep.runs(),
            points: sweep.points(),
            replications: sweep.replications,
            axes: sweep
                .axes
                .iter()
                .map(|a| AxisInfo {
                    path: a.path.clone(),
                    name: a.name.clone(),
                    values: a.values.clone(),
                })
                .collect(),
            plots: sweep
                .plots
                .iter()
                .map(|p| PlotInfo {
                    metric: p.metric.clone(),
                    x: p.x,
                    by: p.by,
                })
                .collect(),
        }
    }

    /// Checks what a merge relies on: counts that agree, plots that name real axes.
    pub fn check(&self) -> Result<(), String> {
        let points: u64 = self.axes.iter().map(|a| a.values.len() as u64).product();
        if self.replications == 0
            || points != self.points
            || points.checked_mul(self.replications) != Some(self.runs)
        {
            return Err(format!(
                "its counts disagree: {} runs, {} points of axes of {:?} values, {} replications",
                self.runs,
                self.points,
                self.axes.iter().map(|a| a.values.len()).collect::<Vec<_>>(),
                self.replications
            ));
        }
        if let Some(p) = self
            .plots
            .iter()
            .find(|p| p.x >= self.axes.len() || p.by.is_some_and(|b| b >= self.axes.len()))
        {
            return Err(format!("its plot of `{}` names no axis", p.metric));
        }
        Ok(())
    }
}

/// One run of the merged table.
#[derive(Clone, Debug, PartialEq)]
pub struct MergedRun {
    pub index: u64,
    pub point: u64,
    pub replication: u64,
    pub seed: u64,
    /// Position of each axis's value.
    pub coords: Vec<usize>,
    /// By [`MergedSweep::metrics`]; `None` where the run lacks the metric or it is not a
    /// finite number.
    pub metrics: Vec<Option<f64>>,
}

/// One point of the merged table: the statistics of each metric over its replications.
#[derive(Clone, Debug, PartialEq)]
pub struct PointSummary {
    pub point: u64,
    pub coords: Vec<usize>,
    pub replications: usize,
    /// By [`MergedSweep::metrics`].
    pub stats: Vec<Option<Stats>>,
}

/// A merged sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct MergedSweep {
    pub info: SweepInfo,
    /// Every metric any run reported, sorted.
    pub metrics: Vec<String>,
    /// In index order.
    pub runs: Vec<MergedRun>,
    /// In point order.
    pub points: Vec<PointSummary>,
}

impl MergedSweep {
    /// The position of a metric in [`MergedSweep::metrics`].
    pub fn metric(&self, name: &str) -> Option<usize> {
        self.metrics.binary_search_by(|m| m.as_str().cmp(name)).ok()
    }

    /// The label of axis `axis`'s value at position `c`.
    pub fn value_label(&self, axis: usize, c: usize) -> String {
        value_label(&self.info.axes[axis].values[c])
    }
}

/// Merges the records of every run, given in index order (`records[i]` is run `i`,
/// already checked against the sweep's hash).
pub fn merge(info: SweepInfo, records: &[RunRecord]) -> Result<MergedSweep, String> {
    if records.len() as u64 != info.runs {
        return Err(format!(
            "{} records for a sweep of {} runs",
            records.len(),
            info.runs
        ));
    }
    let mut names = BTreeSet::new();
    for r in records {
        if let Some(Value::Object(m)) = r.summary.get("metrics") {
            names.extend(m.keys().cloned());
        }
    }
    let metrics: Vec<String> = names.into_iter().collect();
    let radices: Vec<usize> = info.axes.iter().map(|a| a.values.len()).collect();
    let runs: Vec<MergedRun> = records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let m = r.summary.get("metrics");
            MergedRun {
                index: i as u64,
                point: r.point,
                replication: r.replication,
                seed: r.seed,
                coords: super::plan::coords_of(&radices, i as u64 / info.replications),
                metrics: metrics
                    .iter()
                    .map(|k| {
                        m.and_then(|m| m.get(k))
                            .and_then(Value::as_f64)
                            .filter(|x| x.is_finite())
                    })
                    .collect(),
            }
        })
        .collect();
    let reps = info.replications as usize;
    let points = runs
        .chunks(reps)
        .enumerate()
        .map(|(p, chunk)| PointSummary {
            point: p as u64,
            coords: chunk[0].coords.clone(),
            replications: chunk.len(),
            stats: (0..metrics.len())
                .map(|k| {
                    let v: Vec<f64> = chunk.iter().filter_map(|r| r.metrics[k]).collect();
                    Stats::of(&v)
                })
                .collect(),
        })
        .collect();
    Ok(MergedSweep {
        info,
        metrics,
        runs,
        points,
    })
}
