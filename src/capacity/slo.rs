//! Service-level objectives over a run's metrics: `pod_startup_p99<=5s`, `rejected==0`,
//! `vms_rejected/vms_arrived<=1%`.
//!
//! The left side names `summary.json` metrics: a key, a sum of keys (`a+b`), or a ratio
//! of sums (`a/b`, 0 when both are 0). Two shorthands: a name that is not a key but whose
//! `vms_` and `pods_` forms are (`rejected`, `pending_at_end`) means their sum; a name
//! compared with a duration whose `_s` form is a key (`pod_startup_p99`) means that key.
//! The right side is a number, a duration (`5s`, `200ms`: compared in seconds) or a
//! percentage (`1%` = 0.01).

use crate::scenario::diagnostic::did_you_mean;
use crate::scenario::units::parse_duration;
use serde::Serialize;
use serde_json::{Map, Value};

/// A comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Op {
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = "==")]
    Eq,
}

impl Op {
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Le => "<=",
            Op::Lt => "<",
            Op::Ge => ">=",
            Op::Gt => ">",
            Op::Eq => "==",
        }
    }

    pub fn holds(self, value: f64, bound: f64) -> bool {
        match self {
            Op::Le => value <= bound,
            Op::Lt => value < bound,
            Op::Ge => value >= bound,
            Op::Gt => value > bound,
            Op::Eq => value == bound,
        }
    }
}

/// One objective, resolved against the metric keys.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Slo {
    /// As written.
    pub text: String,
    /// The keys summed above the line.
    pub numerator: Vec<String>,
    /// The keys summed below the line (empty: no division).
    pub denominator: Vec<String>,
    pub op: Op,
    pub bound: f64,
}

impl Slo {
    /// Parses `text` against the metric keys a run reports.
    pub fn parse(text: &str, keys: &[String]) -> Result<Slo, (String, String)> {
        let ops = [
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("==", Op::Eq),
            ("<", Op::Lt),
            (">", Op::Gt),
        ];
        let Some((at, sym, op)) = ops
            .iter()
            .filter_map(|&(s, op)| text.find(s).map(|i| (i, s, op)))
            .min_by_key(|&(i, s, _)| (i, std::cmp::Reverse(s.len())))
        else {
            return Err((
                format!("`{text}` has no comparison"),
                "write METRIC<=VALUE (or <, >=, >, ==), e.g. 'pod_startup_p99<=5s'".into(),
            ));
        };
        let (lhs, rhs) = (text[..at].trim(), text[at + sym.len()..].trim());
        let (bound, is_time) = parse_bound(rhs).map_err(|m| {
            (
                format!("`{rhs}` in `{text}` is not a value: {m}"),
                "write a number, a duration such as `5s`, or a percentage such as `1%`".to_string(),
            )
        })?;
        let (num, den) = match lhs.split_once('/') {
            Some((n, d)) => (n, Some(d)),
            None => (lhs, None),
        };
        let resolve = |side: &str| -> Result<Vec<String>, (String, String)> {
            let mut out = Vec::new();
            for term in side.split('+').map(str::trim) {
                out.extend(resolve_term(term, is_time, keys).map_err(|hint| {
                    (
                        format!("`{term}` in `{text}` is not a metric of summary.json"),
                        hint,
                    )
                })?);
            }
            Ok(out)
        };
        Ok(Slo {
            text: text.to_string(),
            numerator: resolve(num)?,
            denominator: match den {
                Some(d) => resolve(d)?,
                None => Vec::new(),
            },
            op,
            bound,
        })
    }

    /// The value of the left side in a run's metrics. A statistic of a distribution with
    /// no samples (the p99 start-up of a run where no pod started, which `summary.json`
    /// writes as 0) has no value, so it never meets an objective.
    pub fn value(&self, metrics: &Map<String, Value>) -> f64 {
        let get = |k: &str| metrics.get(k).and_then(Value::as_f64).unwrap_or(f64::NAN);
        let one = |k: &String| {
            let empty = SAMPLED
                .iter()
                .any(|(prefix, count)| k.starts_with(prefix) && k != count && get(count) == 0.0);
            if empty {
                f64::NAN
            } else {
                get(k)
            }
        };
        let sum = |keys: &[String]| -> f64 { keys.iter().map(one).sum() };
        let n = sum(&self.numerator);
        if self.denominator.is_empty() {
            return n;
        }
        let d = sum(&self.denominator);
        if d == 0.0 && n == 0.0 {
            0.0
        } else {
            n / d
        }
    }

    /// Whether a run's value meets the objective (a missing value never does).
    pub fn holds(&self, value: f64) -> bool {
        value.is_finite() && self.op.holds(value, self.bound)
    }

    /// `pods_rejected+vms_rejected`, `vms_rejected/vms_arrived`.
    pub fn metric_label(&self) -> String {
        let n = self.numerator.join("+");
        if self.denominator.is_empty() {
            n
        } else {
            format!("{n}/{}", self.denominator.join("+"))
        }
    }
}

/// Metrics that are statistics of a sample (by key prefix), and the key that counts the
/// sample.
const SAMPLED: [(&str, &str); 2] = [
    ("pod_startup_", "pod_startup_count"),
    ("vmotion_duration_", "migrations"),
];

/// A number, `5s` (seconds) or `1%`; whether it was a duration.
fn parse_bound(text: &str) -> Result<(f64, bool), String> {
    if let Some(p) = text.strip_suffix('%') {
        return p
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(|v| (v / 100.0, false))
            .ok_or_else(|| format!("`{p}` is not a number"));
    }
    if let Ok(v) = text.parse::<f64>() {
        return if v.is_finite() {
            Ok((v, false))
        } else {
            Err("it is not finite".into())
        };
    }
    parse_duration(text).map(|d| (d.as_secs_f64(), true))
}

fn resolve_term(term: &str, is_time: bool, keys: &[String]) -> Result<Vec<String>, String> {
    let has = |k: &str| keys.iter().any(|x| x == k);
    if has(term) {
        return Ok(vec![term.to_string()]);
    }
    if is_time && has(&format!("{term}_s")) {
        return Ok(vec![format!("{term}_s")]);
    }
    let (vms, pods) = (format!("vms_{term}"), format!("pods_{term}"));
    if has(&vms) && has(&pods) {
        return Ok(vec![vms, pods]);
    }
    Err(match did_you_mean(term, keys.iter().map(String::as_str)) {
        Some(s) => format!("did you mean `{s}`?"),
        None => "the README lists summary.json's metric keys".to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Vec<String> {
        [
            "pod_startup_p99_s",
            "vms_rejected",
            "pods_rejected",
            "vms_arrived",
            "pods_arrived",
            "hosts",
        ]
        .map(String::from)
        .to_vec()
    }

    #[test]
    fn shorthands_resolve_to_keys() {
        let s = Slo::parse("pod_startup_p99<=5s", &keys()).unwrap();
        assert_eq!(
            (s.numerator.clone(), s.op, s.bound),
            (vec!["pod_startup_p99_s".into()], Op::Le, 5.0)
        );
        let s = Slo::parse("rejected==0", &keys()).unwrap();
        assert_eq!(s.numerator, ["vms_rejected", "pods_rejected"]);
        let s = Slo::parse("vms_rejected / vms_arrived <= 2%", &keys()).unwrap();
        assert_eq!(s.denominator, ["vms_arrived"]);
        assert!((s.bound - 0.02).abs() < 1e-15);
        let s = Slo::parse("pod_startup_p99_s<=200ms", &keys()).unwrap();
        assert!((s.bound - 0.2).abs() < 1e-12);
    }

    #[test]
    fn values_and_verdicts() {
        let mut m = Map::new();
        m.insert("vms_rejected".into(), 3.into());
        m.insert("pods_rejected".into(), 1.into());
        m.insert("vms_arrived".into(), 100.into());
        let s = Slo::parse("rejected/vms_arrived<0.05", &keys()).unwrap();
        assert_eq!(s.value(&m), 0.04);
        assert!(s.holds(0.04));
        assert!(!s.holds(f64::NAN));
        let s = Slo::parse("hosts>=4", &keys()).unwrap();
        assert!(s.value(&m).is_nan(), "a missing metric is no value");
        let mut keys = keys();
        keys.push("pod_startup_count".into());
        let s = Slo::parse("pod_startup_p99<=5s", &keys).unwrap();
        m.insert("pod_startup_p99_s".into(), 0.into());
        m.insert("pod_startup_count".into(), 0.into());
        assert!(s.value(&m).is_nan(), "no pod started: no p99");
        m.insert("pod_startup_count".into(), 3.into());
        assert_eq!(s.value(&m), 0.0);
    }

    #[test]
    fn mistakes_are_explained() {
        let (msg, hint) = Slo::parse("pod_startup_p99", &keys()).unwrap_err();
        assert!(msg.contains("no comparison"), "{msg} {hint}");
        let (msg, hint) = Slo::parse("pod_startp_p99_s<=5s", &keys()).unwrap_err();
        assert!(
            msg.contains("not a metric") && hint.contains("pod_startup_p99_s"),
            "{msg} {hint}"
        );
        let (msg, _) = Slo::parse("hosts<=five", &keys()).unwrap_err();
        assert!(msg.contains("not a value"), "{msg}");
    }
}
