//! The order of a sweep's runs: a mixed-radix number over the axes, replications last.
//!
//! With axes of `n0, n1, …, nk` values and `R` replications, run `index` is
//!
//! ```text
//! index = ((c0 · n1 + c1) · n2 + … + ck) · R + r
//! ```
//!
//! where `ci` is the position of the value of axis `i` in its list and `r` the
//! replication: the first axis varies slowest, the last axis fastest, and the
//! replications of one point are neighbours. `point = index / R`. The run's seed is the
//! scenario's seed plus `r`, so replication `r` of every point draws the same random
//! streams (common random numbers: differences between points come from the axes, not
//! from luck), and any run is reproduced by `pacsim run` with its `--seed` and `--set`
//! arguments. This mapping is a pure function of the sweep file, never of the thread
//! count or of which machine runs what.

use super::spec::{set_arg, Sweep};
use crate::scenario::{Scenario, ScenarioError};
use serde_json::Value;

/// One run of a sweep: which point, which replication, which seed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunPoint {
    pub index: u64,
    pub point: u64,
    pub replication: u64,
    /// Position of each axis's value in its list.
    pub coords: Vec<usize>,
    pub seed: u64,
}

/// Splits a point number into the position on each axis (`radices` = values per axis).
pub fn coords_of(radices: &[usize], mut point: u64) -> Vec<usize> {
    let mut coords = vec![0; radices.len()];
    for (c, &n) in coords.iter_mut().zip(radices).rev() {
        *c = (point % n as u64) as usize;
        point /= n as u64;
    }
    coords
}

/// The point number of axis positions `coords` (the inverse of [`coords_of`]).
pub fn point_of(radices: &[usize], coords: &[usize]) -> u64 {
    coords
        .iter()
        .zip(radices)
        .fold(0u64, |acc, (&c, &n)| acc * n as u64 + c as u64)
}

impl Sweep {
    /// Values per axis.
    pub fn radices(&self) -> Vec<usize> {
        self.axes.iter().map(|a| a.values.len()).collect()
    }

    /// Points: combinations of axis values.
    pub fn points(&self) -> u64 {
        self.axes.iter().map(|a| a.values.len() as u64).product()
    }

    /// Runs: points × replications.
    pub fn runs(&self) -> u64 {
        self.points() * self.replications
    }

    /// Run `index` (below [`Sweep::runs`]).
    pub fn run_point(&self, index: u64) -> RunPoint {
        let replication = index % self.replications;
        let point = index / self.replications;
        let coords = coords_of(&self.radices(), point);
        let base_seed = self
            .axes
            .iter()
            .zip(&coords)
            .find(|(a, _)| a.path == "seed")
            .and_then(|(a, &c)| a.values[c].as_u64())
            .unwrap_or(self.base.scenario.seed);
        RunPoint {
            index,
            point,
            replication,
            coords,
            seed: base_seed.wrapping_add(replication),
        }
    }

    /// The axis values of a run, in axis order.
    pub fn values(&self, p: &RunPoint) -> Vec<Value> {
        self.axes
            .iter()
            .zip(&p.coords)
            .map(|(a, &c)| a.values[c].clone())
            .collect()
    }

    /// The `--set` arguments of a run, in axis order.
    pub fn sets(&self, p: &RunPoint) -> Vec<String> {
        self.axes
            .iter()
            .zip(&p.coords)
            .map(|(a, &c)| set_arg(&a.path, &a.values[c]))
            .collect()
    }

    /// The validated scenario of a run: the base, the axes' values, the run's seed.
    pub fn scenario_of(&self, p: &RunPoint) -> Result<Scenario, Box<ScenarioError>> {
        let mut s = self.base.load(&self.sets(p))?;
        s.seed = p.seed;
        Ok(s)
    }

    /// Identifies what the sweep computes (see [`identity`]); computed once, at load.
    pub fn hash(&self) -> u64 {
        self.identity
    }
}

/// Identifies what a sweep computes: the resolved base scenario, the axes' paths and
/// values, and the replications. A results folder records it, so runs of another sweep
/// are never mixed in. (Names and plots are left out: they change no result.)
pub fn identity(base: &Scenario, axes: &[super::Axis], replications: u64) -> u64 {
    let axes: Vec<Value> = axes
        .iter()
        .map(|a| serde_json::json!({ "path": a.path, "values": a.values }))
        .collect();
    let text = format!("{:016x}|{}|{replications}", base.hash, Value::Array(axes),);
    crate::engine::rng::fnv1a64(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_axis_varies_fastest() {
        let r = [3, 2, 4];
        let all: Vec<Vec<usize>> = (0..24).map(|p| coords_of(&r, p)).collect();
        assert_eq!(all[0], [0, 0, 0]);
        assert_eq!(all[1], [0, 0, 1]);
        assert_eq!(all[4], [0, 1, 0]);
        assert_eq!(all[8], [1, 0, 0]);
        assert_eq!(all[23], [2, 1, 3]);
        for (p, c) in all.iter().enumerate() {
            assert_eq!(point_of(&r, c), p as u64);
        }
        assert_eq!(coords_of(&[], 0), Vec::<usize>::new());
    }
}
