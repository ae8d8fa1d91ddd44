//! Running a sweep's runs: each one a single-threaded simulation, many in parallel on a
//! rayon pool, each result handed back as a [`RunRecord`] (what `runs/<index>.json`
//! holds). Writing the records is the caller's (the command line's) business.

use super::plan::RunPoint;
use super::spec::Sweep;
use crate::metrics::{summarize, Recorder};
use crate::scenario::{Scenario, ScenarioError};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;

/// The result of one run, as `runs/<index>.json` stores it: which run it is, the values
/// and seed that made it (and the `--set` arguments that reproduce it with `pacsim run`),
/// and its `summary.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub sweep: String,
    /// [`Sweep::hash`] in hex: a record of another sweep is never taken for this one's.
    pub sweep_hash: String,
    pub index: u64,
    pub point: u64,
    pub replication: u64,
    pub seed: u64,
    /// The axes' values, in axis order.
    pub values: Vec<Value>,
    /// `pacsim run BASE --seed SEED --set …` reproduces this run.
    pub set: Vec<String>,
    pub summary: Value,
}

impl RunRecord {
    /// Whether this is a complete result of run `index` of the sweep with `hash`; the
    /// reason when it is not.
    pub fn check(&self, hash: &str, index: u64) -> Result<(), String> {
        if self.sweep_hash != hash {
            return Err(format!(
                "it belongs to another sweep (hash {}, this sweep is {hash})",
                self.sweep_hash
            ));
        }
        if self.index != index {
            return Err(format!("it holds run {} instead", self.index));
        }
        match self.summary.get("metrics") {
            Some(Value::Object(m)) if m.values().all(|v| v.is_number() || v.is_null()) => Ok(()),
            _ => Err("its summary has no metrics".into()),
        }
    }

    /// Parses a record file's text and checks it (see [`RunRecord::check`]).
    pub fn parse(text: &str, hash: &str, index: u64) -> Result<RunRecord, String> {
        let r: RunRecord =
            serde_json::from_str(text).map_err(|e| format!("it is not a run record ({e})"))?;
        r.check(hash, index)?;
        Ok(r)
    }

    /// The record as its file holds it.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// Runs one scenario to its end and returns its `summary.json` document.
pub fn simulate(scenario: &Scenario) -> Value {
    let mut world = crate::model::build(scenario, 0);
    let mut rec = Recorder::new(&world);
    crate::model::run(&mut world, &mut rec, &mut |_| {});
    summarize(scenario, &world, &rec)
}

/// The metric keys a run of `scenario` reports (those of `summary.json`), found without
/// running it: the summary of the world before its first event has every key.
pub fn metric_names(scenario: &Scenario) -> Vec<String> {
    let world = crate::model::build(scenario, 0);
    let rec = Recorder::new(&world);
    match &summarize(scenario, &world, &rec)["metrics"] {
        Value::Object(m) => m.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// A run whose scenario is invalid (an axis value that is fine alone but not with the
/// others).
#[derive(Debug)]
pub struct PointError {
    pub point: u64,
    pub values: Vec<String>,
    pub error: Box<ScenarioError>,
}

impl Sweep {
    /// Runs run `index` and returns its record.
    pub fn run_one(&self, index: u64) -> Result<RunRecord, PointError> {
        let p = self.run_point(index);
        let scenario = self
            .scenario_of(&p)
            .map_err(|error| self.point_error(&p, error))?;
        Ok(RunRecord {
            sweep: self.name.clone(),
            sweep_hash: format!("{:016x}", self.hash()),
            index,
            point: p.point,
            replication: p.replication,
            seed: p.seed,
            values: self.values(&p),
            set: self.sets(&p),
            summary: simulate(&scenario),
        })
    }

    fn point_error(&self, p: &RunPoint, error: Box<ScenarioError>) -> PointError {
        PointError {
            point: p.point,
            values: self.sets(p),
            error,
        }
    }

    /// Loads the scenario of every point that `indices` touch (each once, in parallel)
    /// and returns those that are invalid, by point: a sweep refuses to start rather than
    /// fail halfway.
    pub fn invalid_points(&self, indices: &[u64]) -> Vec<PointError> {
        let points: BTreeSet<u64> = indices.iter().map(|i| i / self.replications).collect();
        let points: Vec<u64> = points.into_iter().collect();
        points
            .par_iter()
            .filter_map(|&pt| {
                let p = self.run_point(pt * self.replications);
                self.scenario_of(&p)
                    .err()
                    .map(|error| self.point_error(&p, error))
            })
            .collect()
    }
}

/// Runs `indices` of `sweep` on `threads` threads (each run single-threaded) and hands
/// each result to `done` as it finishes, in no particular order. Stops early when `done`
/// returns an error (e.g. a full disk), and returns that error.
pub fn execute<E: Send>(
    sweep: &Sweep,
    indices: &[u64],
    threads: usize,
    done: &(dyn Fn(u64, Result<RunRecord, PointError>) -> Result<(), E> + Sync),
) -> Result<(), E> {
    let work = || {
        indices
            .par_iter()
            .with_max_len(1)
            .try_for_each(|&i| done(i, sweep.run_one(i)))
    };
    match rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .thread_name(|i| format!("pacsim-sweep-{i}"))
        .build()
    {
        Ok(pool) => pool.install(work),
        // No new threads to be had: run on the global pool instead.
        Err(_) => work(),
    }
}
