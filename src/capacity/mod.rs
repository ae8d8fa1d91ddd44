//! Capacity planning: the smallest value of one integer field (a host count, usually)
//! at which every service-level objective holds in every replication.
//!
//! The search assumes the objectives are monotone in the field — more hosts never make
//! them fail — and spends as few runs as that allows: from a starting value it steps
//! away by 1, 2, 4, … until it has a failing value below a passing one (the bracket), then
//! bisects between them. The answer comes with its evidence: each objective's value in
//! every replication at the answer and at one below it. Every replication `r` runs with
//! the scenario's seed plus `r`, as in a sweep, so the runs at two values differ by the
//! field alone.
//!
//! The result ([`CapacityPlan`]) is plain data; `report::capacity` writes it as text.
//!
//! Not yet: "with N host failures tolerated" needs vSphere HA in the model, which has not
//! landed; it will be the same search with the failures injected.

pub mod slo;

use crate::scenario::ScenarioError;
use crate::sweep::simulate;
use crate::sweep::spec::{set_arg, BaseScenario};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;
use slo::Slo;
use std::collections::BTreeMap;

/// What to find.
#[derive(Clone, Debug, Serialize)]
pub struct Question {
    /// The field varied (`clusters[0].hosts[0].count`).
    pub vary: String,
    pub slos: Vec<Slo>,
    pub replications: u64,
    /// The search range, both ends included.
    pub min: i64,
    pub max: i64,
    /// Where the search starts (the scenario's own value, when it is in range).
    pub start: i64,
}

/// One replication at one value.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Replication {
    pub replication: u64,
    pub seed: u64,
    /// Each objective's value, in [`Question::slos`] order.
    pub values: Vec<f64>,
    pub met: Vec<bool>,
}

/// The runs at one value of the field.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    pub value: i64,
    /// Every objective met in every replication.
    pub pass: bool,
    pub replications: Vec<Replication>,
}

impl Evaluation {
    /// The worst value of objective `k` over the replications (the one that decides).
    pub fn worst(&self, slo: &Slo, k: usize) -> f64 {
        let vals = self.replications.iter().map(|r| r.values[k]);
        let pick = |a: f64, b: f64| {
            if a.is_nan() || b.is_nan() {
                f64::NAN
            } else if matches!(slo.op, slo::Op::Ge | slo::Op::Gt) {
                a.min(b)
            } else if slo.op == slo::Op::Eq {
                if (a - slo.bound).abs() >= (b - slo.bound).abs() {
                    a
                } else {
                    b
                }
            } else {
                a.max(b)
            }
        };
        vals.reduce(pick).unwrap_or(f64::NAN)
    }
}

/// The answer and how it was found.
#[derive(Clone, Debug, Serialize)]
pub struct CapacityPlan {
    /// The base scenario's name.
    pub scenario: String,
    pub question: Question,
    /// The smallest passing value; `None` when even `max` fails.
    pub answer: Option<i64>,
    /// Every value evaluated, in search order.
    pub evaluations: Vec<Evaluation>,
    pub runs: u64,
    /// What the model cannot answer yet.
    pub not_yet: Vec<String>,
}

impl CapacityPlan {
    fn at(&self, v: i64) -> Option<&Evaluation> {
        self.evaluations.iter().find(|e| e.value == v)
    }

    /// The evaluation at the answer.
    pub fn at_answer(&self) -> Option<&Evaluation> {
        self.answer.and_then(|a| self.at(a))
    }

    /// The evaluation one below the answer (none when the answer is the minimum).
    pub fn below_answer(&self) -> Option<&Evaluation> {
        self.answer.and_then(|a| self.at(a - 1))
    }
}

/// A value at which the scenario is invalid.
#[derive(Debug)]
pub struct InvalidAt {
    pub value: i64,
    pub error: Box<ScenarioError>,
}

/// Bracket then bisect: the smallest value in `[min, max]` for which `pass` holds,
/// assuming it holds from some value on. `pass` is asked at most about
/// `2·log2(max − min) + 2` times; `None` when `max` fails.
pub fn search<E>(
    min: i64,
    max: i64,
    start: i64,
    mut pass: impl FnMut(i64) -> Result<bool, E>,
) -> Result<Option<i64>, E> {
    let start = start.clamp(min, max);
    let (mut fail, mut ok);
    if pass(start)? {
        ok = start;
        fail = None;
        let mut step = 1i64;
        while ok > min {
            let v = ok.saturating_sub(step).max(min);
            if pass(v)? {
                ok = v;
                step = step.saturating_mul(2);
            } else {
                fail = Some(v);
                break;
            }
        }
    } else {
        let mut f = start;
        let mut step = 1i64;
        loop {
            if f >= max {
                return Ok(None);
            }
            let v = f.saturating_add(step).min(max);
            if pass(v)? {
                ok = v;
                break;
            }
            f = v;
            step = step.saturating_mul(2);
        }
        fail = Some(f);
    }
    while let Some(f) = fail {
        if ok - f <= 1 {
            break;
        }
        let mid = f + (ok - f) / 2;
        if pass(mid)? {
            ok = mid;
        } else {
            fail = Some(mid);
        }
    }
    Ok(Some(ok))
}

/// Runs the replications at one value, in parallel (each a single-threaded simulation).
pub fn evaluate(base: &BaseScenario, q: &Question, value: i64) -> Result<Evaluation, InvalidAt> {
    let sets = [set_arg(&q.vary, &Value::from(value))];
    let scenario = base
        .load(&sets)
        .map_err(|error| InvalidAt { value, error })?;
    let replications: Vec<Replication> = (0..q.replications)
        .into_par_iter()
        .map(|r| {
            let mut s = scenario.clone();
            s.seed = scenario.seed.wrapping_add(r);
            let summary = simulate(&s);
            let empty = serde_json::Map::new();
            let metrics = summary["metrics"].as_object().unwrap_or(&empty);
            let values: Vec<f64> = q.slos.iter().map(|slo| slo.value(metrics)).collect();
            let met = q
                .slos
                .iter()
                .zip(&values)
                .map(|(s, &v)| s.holds(v))
                .collect();
            Replication {
                replication: r,
                seed: s.seed,
                values,
                met,
            }
        })
        .collect();
    Ok(Evaluation {
        value,
        pass: replications.iter().all(|r| r.met.iter().all(|&m| m)),
        replications,
    })
}

/// Answers `q` for `base`.
pub fn plan(base: &BaseScenario, q: Question) -> Result<CapacityPlan, InvalidAt> {
    let mut seen: BTreeMap<i64, usize> = BTreeMap::new();
    let mut evaluations: Vec<Evaluation> = Vec::new();
    let answer = search(q.min, q.max, q.start, |v| {
        if let Some(&i) = seen.get(&v) {
            return Ok::<bool, InvalidAt>(evaluations[i].pass);
        }
        let e: Evaluation = evaluate(base, &q, v)?;
        let pass = e.pass;
        seen.insert(v, evaluations.len());
        evaluations.push(e);
        Ok(pass)
    })?;
    // The evidence one below the answer is always at hand after a bisection; fetch it if
    // the bracket ended exactly there without running it.
    if let Some(a) = answer {
        if a > q.min && !seen.contains_key(&(a - 1)) {
            evaluations.push(evaluate(base, &q, a - 1)?);
        }
    }
    let runs = evaluations.len() as u64 * q.replications;
    Ok(CapacityPlan {
        scenario: base.scenario.name.clone(),
        question: q,
        answer,
        evaluations,
        runs,
        not_yet: vec![
            "an answer with N host failures tolerated needs vSphere HA in the model, which has not landed yet".into(),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(min: i64, max: i64, start: i64, answer: i64) -> (Option<i64>, Vec<i64>) {
        let mut asked = Vec::new();
        let got = search::<()>(min, max, start, |v| {
            asked.push(v);
            Ok(v >= answer)
        })
        .unwrap();
        (got, asked)
    }

    #[test]
    fn the_search_finds_the_threshold_from_either_side() {
        for start in [1, 5, 17, 64, 100] {
            for answer in [1, 2, 7, 16, 17, 63, 100] {
                let (got, asked) = find(1, 100, start, answer);
                assert_eq!(got, Some(answer), "start {start}");
                assert!(asked.len() <= 16, "{asked:?}");
                if answer > 1 {
                    assert!(asked.contains(&(answer - 1)), "evidence below: {asked:?}");
                }
            }
        }
        assert_eq!(find(1, 100, 50, 101).0, None);
        assert_eq!(find(3, 100, 1, 2).0, Some(3), "start below min is clamped");
    }

    #[test]
    fn a_far_answer_costs_logarithmically_many_runs() {
        let (got, asked) = find(1, 100_000, 8, 70_001);
        assert_eq!(got, Some(70_001));
        assert!(asked.len() <= 2 * 17 + 2, "{} asks", asked.len());
    }
}
