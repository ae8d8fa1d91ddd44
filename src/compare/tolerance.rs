//! The tolerance file of `pacsim compare`: which way each metric should go and how much
//! worse it may get.
//!
//! ```yaml
//! default: { relative: 0 }                  # for metrics no rule names (optional)
//! metrics:
//!   pod_startup_p99_s: { better: lower, relative: 10% }
//!   imbalance_mean:    { better: lower, absolute: 0.005 }
//!   "vmotion_*":       { relative: 5% }     # `*` matches any run of characters
//!   events_processed:  { better: ignore }
//! ```
//!
//! A metric takes the rule of its exact name, else of the most specific (longest)
//! pattern that matches it, else `default`; a rule without `better` keeps the metric's
//! built-in direction ([`builtin_direction`]). The tolerance is the larger of
//! `relative` × |baseline| and `absolute` (0 when neither is given: any worsening fails).

use crate::scenario::companion::{file_error, parse_file, Kind};
use crate::scenario::diagnostic::{did_you_mean, Diagnostic, ScenarioError};
use crate::scenario::source::child_key;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Which way a metric should go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Lower,
    Higher,
    /// Any change is a regression (inputs such as the host count: a change means the
    /// two runs are not of the same thing).
    Equal,
    /// Shown when it changes, never a regression.
    Ignore,
}

impl Direction {
    pub const NAMES: [&'static str; 4] = ["lower", "higher", "equal", "ignore"];

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    fn parse(s: &str) -> Option<Direction> {
        match s {
            "lower" => Some(Direction::Lower),
            "higher" => Some(Direction::Higher),
            "equal" => Some(Direction::Equal),
            "ignore" => Some(Direction::Ignore),
            _ => None,
        }
    }
}

/// The direction of a `summary.json` metric when no rule says otherwise. Placement
/// quality is judged by what a user feels: refusals, waiting, start-up latency, balance,
/// energy, migrations and their cost; what the scenario fixes (arrivals, hosts) must not
/// change; the rest (utilisation, event counts, …) is shown but not judged.
pub fn builtin_direction(metric: &str) -> Direction {
    // Per-cluster keys (`cluster.<name>.energy_kwh`) judge like the datacenter's.
    let m = match metric.strip_prefix("cluster.") {
        Some(rest) => rest.split_once('.').map_or(rest, |(_, k)| k),
        None => metric,
    };
    let lower = m.ends_with("_rejected")
        || m.contains("_rejected_")
        || m.ends_with("_pending_at_end")
        || (m.starts_with("pod_startup_") && m != "pod_startup_count")
        || m.starts_with("vmotion_")
        || matches!(
            m,
            "imbalance_mean"
                | "energy_kwh"
                | "migrations"
                | "migrations_aborted"
                | "rule_should_broken"
                | "maintenance_evacuation_max_s"
                | "pods_evicted"
                | "image_pulls"
                | "image_pull_bytes"
        );
    if lower {
        Direction::Lower
    } else if matches!(m, "vms_placed" | "pods_placed" | "pod_startup_count") {
        Direction::Higher
    } else if matches!(m, "vms_arrived" | "pods_arrived" | "hosts") {
        Direction::Equal
    } else {
        Direction::Ignore
    }
}

/// A rule as resolved for one metric.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Rule {
    pub better: Direction,
    pub relative: f64,
    pub absolute: f64,
}

impl Rule {
    /// How much worse than `baseline` the candidate may be.
    pub fn allowed(&self, baseline: f64) -> f64 {
        (self.relative * baseline.abs()).max(self.absolute)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    better: Option<String>,
    relative: Option<Value>,
    absolute: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    default: Option<RawRule>,
    #[serde(default)]
    metrics: BTreeMap<String, RawRule>,
}

#[derive(Clone, Debug, Default, PartialEq)]
struct PartRule {
    better: Option<Direction>,
    relative: Option<f64>,
    absolute: Option<f64>,
}

/// A loaded tolerance file (or none: every metric by its built-in direction, no slack).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tolerances {
    default: PartRule,
    /// Exact names and patterns, with their rules.
    rules: Vec<(String, PartRule)>,
}

/// Whether `pattern` (with `*` wildcards) matches all of `name`.
pub fn glob(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || !name[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for p in &parts[1..parts.len() - 1] {
        match rest.find(p) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    true
}

impl Tolerances {
    /// The rule for `metric`.
    pub fn rule(&self, metric: &str) -> Rule {
        let exact = self.rules.iter().find(|(k, _)| k == metric);
        let pattern = || {
            self.rules
                .iter()
                .filter(|(k, _)| k.contains('*') && glob(k, metric))
                .max_by_key(|(k, _)| k.len())
        };
        let r = exact.or_else(pattern).map(|(_, r)| r);
        let pick = |f: fn(&PartRule) -> Option<f64>| {
            r.and_then(f).or_else(|| f(&self.default)).unwrap_or(0.0)
        };
        Rule {
            better: r
                .and_then(|r| r.better)
                .or(self.default.better)
                .unwrap_or_else(|| builtin_direction(metric)),
            relative: pick(|r| r.relative),
            absolute: pick(|r| r.absolute),
        }
    }

    /// The names the file gives without a wildcard: each must be a metric of the inputs.
    pub fn exact_names(&self) -> impl Iterator<Item = &str> {
        self.rules
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| !k.contains('*'))
    }

    /// Parses a tolerance file's text; `file` names it in messages.
    pub fn parse(file: &str, text: &str) -> Result<Tolerances, Box<ScenarioError>> {
        let kind = Kind {
            shape: "a tolerance file is a mapping with `metrics` (and optionally `default`)",
            example: "e.g. `metrics: { pod_startup_p99_s: { better: lower, relative: 10% } }`",
            doc: "the README's \"Regression gate\" section",
        };
        let Some((raw, mut diags)) = parse_file::<RawFile>(file, text, &kind, |d| d)? else {
            return Ok(Tolerances::default());
        };
        let mut t = Tolerances::default();
        if let Some(d) = &raw.default {
            t.default = part(d, "default", &mut diags);
        }
        for (k, r) in &raw.metrics {
            let at = child_key("metrics", k);
            if k.trim().is_empty() {
                diags.push(
                    Diagnostic::new(at.clone(), "an empty metric name")
                        .at_key()
                        .hint("name a summary.json metric, or a pattern such as `vmotion_*`"),
                );
            }
            t.rules.push((k.clone(), part(r, &at, &mut diags)));
        }
        if diags.is_empty() {
            Ok(t)
        } else {
            Err(file_error(file, text, diags))
        }
    }
}

fn part(r: &RawRule, at: &str, diags: &mut Vec<Diagnostic>) -> PartRule {
    let mut p = PartRule::default();
    if let Some(b) = &r.better {
        p.better = Direction::parse(b.trim());
        if p.better.is_none() {
            let d = Diagnostic::new(child_key(at, "better"), format!("`{b}` is not a direction"));
            diags.push(match did_you_mean(b, Direction::NAMES) {
                Some(s) => d.hint(format!("did you mean `{s}`?")),
                None => d.hint("write `lower`, `higher`, `equal` or `ignore`"),
            });
        }
    }
    if let Some(v) = &r.relative {
        let at = child_key(at, "relative");
        let parsed = match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s
                .trim()
                .strip_suffix('%')
                .and_then(|p| p.trim().parse::<f64>().ok())
                .map(|x| x / 100.0),
            _ => None,
        };
        match parsed {
            Some(x) if x.is_finite() && x >= 0.0 => p.relative = Some(x),
            _ => diags.push(
                Diagnostic::new(
                    at,
                    format!(
                        "`{}` is not a relative tolerance",
                        crate::sweep::spec::value_label(v)
                    ),
                )
                .hint("write a fraction such as `0.1` or a percentage such as `10%` (0 or more)"),
            ),
        }
    }
    if let Some(x) = r.absolute {
        if x.is_finite() && x >= 0.0 {
            p.absolute = Some(x);
        } else {
            diags.push(
                Diagnostic::new(
                    child_key(at, "absolute"),
                    format!("the absolute tolerance {x} is negative"),
                )
                .hint("a tolerance is how much worse a metric may get: 0 or more"),
            );
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_whole_names() {
        assert!(glob("vmotion_*", "vmotion_bytes"));
        assert!(glob("*_rejected", "pods_rejected"));
        assert!(!glob("*_rejected", "pods_rejected_rules"));
        assert!(glob("cluster.*.energy_kwh", "cluster.cl-a.energy_kwh"));
        assert!(glob("a*b*c", "aXbYc") && !glob("a*b*c", "aXcYb"));
        assert!(glob("hosts", "hosts") && !glob("hosts", "hosts_on_mean"));
    }

    #[test]
    fn the_most_specific_rule_wins_and_keeps_the_builtin_direction() {
        let t = Tolerances::parse(
            "t.yaml",
            "default: { relative: 1% }\nmetrics:\n  \"pod_startup_*\": { relative: 10% }\n  pod_startup_p99_s: { absolute: 0.5 }\n  cpu_util_mean: { better: higher }\n",
        )
        .unwrap();
        assert_eq!(
            t.rule("pod_startup_p99_s"),
            Rule {
                better: Direction::Lower,
                relative: 0.01,
                absolute: 0.5
            }
        );
        assert_eq!(t.rule("pod_startup_p50_s").relative, 0.1);
        assert_eq!(t.rule("cpu_util_mean").better, Direction::Higher);
        assert_eq!(t.rule("energy_kwh").relative, 0.01);
        assert_eq!(t.rule("hosts").better, Direction::Equal);
        assert_eq!(t.rule("events_processed").better, Direction::Ignore);
        assert_eq!(t.rule("cluster.cl-a.energy_kwh").better, Direction::Lower);
        assert!((t.rule("energy_kwh").allowed(200.0) - 2.0).abs() < 1e-12);
    }

    #[test]
    fn bad_rules_are_all_reported() {
        let e = Tolerances::parse(
            "t.yaml",
            "metrics:\n  a: { better: lowr, relative: lots }\n  b: { absolute: -1, tolerance: 3 }\n",
        )
        .unwrap_err();
        let r = e.render();
        assert!(r.contains("did you mean `lower`?"), "{r}");
        assert!(r.contains("unknown field `tolerance`"), "{r}");
        let e = Tolerances::parse(
            "t.yaml",
            "metrics:\n  a: { better: lowr, relative: lots }\n  b: { absolute: -1 }\n",
        )
        .unwrap_err();
        let r = e.render();
        assert!(
            r.contains("not a relative tolerance") && r.contains("negative"),
            "{r}"
        );
    }
}
