//! The CI quality gate: two results compared metric by metric, each judged by its
//! direction and tolerance ([`tolerance`]). Inputs are two run summaries
//! (`summary.json`) or two merged sweeps (`sweep-summary.csv`, point by point on the
//! replication means).
//!
//! The result ([`Comparison`]) is plain data; `report::compare` writes it as a table.

pub mod tolerance;

use crate::report::sweep::{parse_csv, STAT_COLUMNS};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use tolerance::{Direction, Rule, Tolerances};

/// The metrics of one result: one scope for a run, one per point for a sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// What kind of input this was ("run summary", "merged sweep").
    pub kind: &'static str,
    /// (label, metrics) in order; the label is empty for a run and names the point's
    /// axis values for a sweep.
    pub scopes: Vec<(String, BTreeMap<String, Option<f64>>)>,
}

impl Table {
    /// From `summary.json` text.
    pub fn from_summary_json(text: &str) -> Result<Table, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("it is not JSON ({e})"))?;
        let Some(Value::Object(m)) = v.get("metrics") else {
            return Err("it has no `metrics` mapping: is it a summary.json?".into());
        };
        let mut metrics = BTreeMap::new();
        for (k, v) in m {
            match v {
                Value::Number(n) => {
                    metrics.insert(k.clone(), n.as_f64());
                }
                Value::Null => {
                    metrics.insert(k.clone(), None);
                }
                other => return Err(format!("metric `{k}` is {other}, not a number")),
            }
        }
        Ok(Table {
            kind: "run summary",
            scopes: vec![(String::new(), metrics)],
        })
    }

    /// From `sweep-summary.csv` text: the `.mean` column of every metric, per point.
    pub fn from_sweep_summary_csv(text: &str) -> Result<Table, String> {
        let rows = parse_csv(text)?;
        let Some((head, body)) = rows.split_first() else {
            return Err("it is empty".into());
        };
        let reps = head
            .iter()
            .position(|h| h == "replications")
            .filter(|_| head.first().is_some_and(|h| h == "point"))
            .ok_or("its header does not start `point, <axes>, replications`: is it a sweep-summary.csv?")?;
        let axes = &head[1..reps];
        let mut scopes = Vec::new();
        for (n, row) in body.iter().enumerate() {
            if row.len() != head.len() {
                return Err(format!(
                    "line {} has {} fields, the header {}",
                    n + 2,
                    row.len(),
                    head.len()
                ));
            }
            let label = axes
                .iter()
                .zip(&row[1..reps])
                .map(|(a, v)| format!("{a}={v}"))
                .collect::<Vec<_>>()
                .join(", ");
            let mut metrics = BTreeMap::new();
            for (h, cell) in head.iter().zip(row).skip(reps + 1) {
                let Some(name) = h.strip_suffix(&format!(".{}", STAT_COLUMNS[0])) else {
                    continue;
                };
                let v = if cell.is_empty() {
                    None
                } else {
                    Some(cell.parse::<f64>().map_err(|_| {
                        format!("line {}: `{cell}` in column `{h}` is not a number", n + 2)
                    })?)
                };
                metrics.insert(name.to_string(), v);
            }
            scopes.push((format!("point {}: {label}", row[0]), metrics));
        }
        Ok(Table {
            kind: "merged sweep",
            scopes,
        })
    }
}

/// What the comparison says of one metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The same value.
    Same,
    Better,
    /// Worse, but within the tolerance.
    Within,
    Regression,
    /// A metric that is not judged changed.
    Changed,
    /// Only the candidate has it.
    New,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Same => "same",
            Verdict::Better => "better",
            Verdict::Within => "within tolerance",
            Verdict::Regression => "REGRESSION",
            Verdict::Changed => "changed",
            Verdict::New => "new",
        }
    }
}

/// One metric of one scope.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    pub scope: String,
    pub metric: String,
    pub baseline: Option<f64>,
    pub candidate: Option<f64>,
    pub rule: Rule,
    pub verdict: Verdict,
}

impl Row {
    /// `candidate − baseline`, when both are numbers.
    pub fn change(&self) -> Option<f64> {
        Some(self.candidate? - self.baseline?)
    }
}

/// The whole comparison.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    pub baseline: String,
    pub candidate: String,
    pub rows: Vec<Row>,
}

impl Comparison {
    pub fn regressions(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.verdict == Verdict::Regression)
            .count()
    }

    pub fn count(&self, v: Verdict) -> usize {
        self.rows.iter().filter(|r| r.verdict == v).count()
    }
}

fn judge(rule: &Rule, b: Option<f64>, c: Option<f64>) -> Verdict {
    let (b, c) = match (b, c) {
        (None, None) => return Verdict::Same,
        (Some(b), Some(c)) => (b, c),
        // A value that appears or disappears (a non-finite result) cannot be judged
        // better: it is a regression of a judged metric.
        _ if rule.better == Direction::Ignore => return Verdict::Changed,
        _ => return Verdict::Regression,
    };
    if b == c {
        return Verdict::Same;
    }
    let worse_by = match rule.better {
        Direction::Ignore => return Verdict::Changed,
        Direction::Lower => c - b,
        Direction::Higher => b - c,
        Direction::Equal => (c - b).abs(),
    };
    if worse_by < 0.0 {
        Verdict::Better
    } else if worse_by <= rule.allowed(b) {
        Verdict::Within
    } else {
        Verdict::Regression
    }
}

/// Compares `candidate` with `baseline`; an error says why the inputs cannot be compared
/// (different kinds or points, a metric the baseline has and the candidate lacks, a
/// tolerance rule naming a metric neither has).
pub fn compare(
    baseline: &Table,
    candidate: &Table,
    tol: &Tolerances,
    names: (&str, &str),
) -> Result<Comparison, String> {
    if baseline.kind != candidate.kind {
        return Err(format!(
            "the baseline is a {} and the candidate a {}: compare like with like",
            baseline.kind, candidate.kind
        ));
    }
    if baseline.scopes.len() != candidate.scopes.len()
        || baseline
            .scopes
            .iter()
            .zip(&candidate.scopes)
            .any(|(a, b)| a.0 != b.0)
    {
        let first = baseline
            .scopes
            .iter()
            .zip(&candidate.scopes)
            .find(|(a, b)| a.0 != b.0)
            .map(|(a, b)| format!(": `{}` against `{}`", a.0, b.0))
            .unwrap_or_default();
        return Err(format!(
            "the two sweeps have different points ({} against {}{first})",
            baseline.scopes.len(),
            candidate.scopes.len()
        ));
    }
    for name in tol.exact_names() {
        let known = baseline
            .scopes
            .iter()
            .chain(&candidate.scopes)
            .any(|(_, m)| m.contains_key(name));
        if !known {
            let all = baseline
                .scopes
                .iter()
                .flat_map(|(_, m)| m.keys().map(String::as_str));
            let hint = crate::scenario::diagnostic::did_you_mean(name, all)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(format!(
                "the tolerance file names the metric `{name}`, which neither input has{hint}"
            ));
        }
    }
    let mut rows = Vec::new();
    for ((scope, b), (_, c)) in baseline.scopes.iter().zip(&candidate.scopes) {
        if let Some(missing) = b.keys().find(|k| !c.contains_key(*k)) {
            return Err(format!(
                "the candidate lacks the metric `{missing}`{}, which the baseline has",
                if scope.is_empty() {
                    String::new()
                } else {
                    format!(" at {scope}")
                }
            ));
        }
        for (metric, &cv) in c {
            let rule = tol.rule(metric);
            let (bv, verdict) = match b.get(metric) {
                Some(&bv) => (bv, judge(&rule, bv, cv)),
                None => (None, Verdict::New),
            };
            rows.push(Row {
                scope: scope.clone(),
                metric: metric.clone(),
                baseline: bv,
                candidate: cv,
                rule,
                verdict,
            });
        }
    }
    Ok(Comparison {
        baseline: names.0.to_string(),
        candidate: names.1.to_string(),
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(pairs: &[(&str, f64)]) -> Table {
        let m: serde_json::Map<String, Value> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::from(*v)))
            .collect();
        Table::from_summary_json(&serde_json::json!({ "metrics": m }).to_string()).unwrap()
    }

    #[test]
    fn directions_and_tolerances_decide() {
        let b = summary(&[
            ("pods_rejected", 10.0),
            ("pods_placed", 100.0),
            ("hosts", 8.0),
            ("cpu_util_mean", 0.5),
        ]);
        let c = summary(&[
            ("pods_rejected", 11.0),
            ("pods_placed", 101.0),
            ("hosts", 8.0),
            ("cpu_util_mean", 0.6),
            ("new_metric", 1.0),
        ]);
        let strict = compare(&b, &c, &Tolerances::default(), ("b", "c")).unwrap();
        let verdict =
            |cmp: &Comparison, m: &str| cmp.rows.iter().find(|r| r.metric == m).unwrap().verdict;
        assert_eq!(verdict(&strict, "pods_rejected"), Verdict::Regression);
        assert_eq!(verdict(&strict, "pods_placed"), Verdict::Better);
        assert_eq!(verdict(&strict, "hosts"), Verdict::Same);
        assert_eq!(verdict(&strict, "cpu_util_mean"), Verdict::Changed);
        assert_eq!(verdict(&strict, "new_metric"), Verdict::New);
        assert_eq!(strict.regressions(), 1);
        let loose =
            Tolerances::parse("t", "metrics: { pods_rejected: { relative: 10% } }").unwrap();
        let cmp = compare(&b, &c, &loose, ("b", "c")).unwrap();
        assert_eq!(verdict(&cmp, "pods_rejected"), Verdict::Within);
        assert_eq!(cmp.regressions(), 0);
    }

    #[test]
    fn unusable_inputs_are_refused() {
        let b = summary(&[("pods_rejected", 1.0), ("energy_kwh", 2.0)]);
        let c = summary(&[("pods_rejected", 1.0)]);
        let e = compare(&b, &c, &Tolerances::default(), ("b", "c")).unwrap_err();
        assert!(e.contains("lacks the metric `energy_kwh`"), "{e}");
        let t = Tolerances::parse("t", "metrics: { pods_rejectd: { relative: 1% } }").unwrap();
        let e = compare(&b, &b, &t, ("b", "b")).unwrap_err();
        assert!(e.contains("did you mean `pods_rejected`"), "{e}");
        assert!(Table::from_summary_json("{}").is_err());
        assert!(Table::from_summary_json("not json").is_err());
    }

    #[test]
    fn sweeps_compare_point_by_point() {
        let csv = "point,hosts,replications,energy_kwh.mean,energy_kwh.stdev,energy_kwh.ci95_low,energy_kwh.ci95_high\n0,4,2,10,1,8,12\n1,8,2,20,1,18,22\n";
        let worse = csv.replace("1,8,2,20", "1,8,2,21");
        let b = Table::from_sweep_summary_csv(csv).unwrap();
        let c = Table::from_sweep_summary_csv(&worse).unwrap();
        assert_eq!(b.scopes[1].0, "point 1: hosts=8");
        let cmp = compare(&b, &c, &Tolerances::default(), ("b", "c")).unwrap();
        assert_eq!(cmp.regressions(), 1);
        let other = csv.replace("1,8,2", "1,9,2");
        let e = compare(
            &b,
            &Table::from_sweep_summary_csv(&other).unwrap(),
            &Tolerances::default(),
            ("b", "c"),
        )
        .unwrap_err();
        assert!(e.contains("different points"), "{e}");
    }
}
