//! The sweep file: a base scenario (by path or inline), axes over any of its fields, and
//! replications. Loading checks everything a run would trip over later — every axis
//! path and value through the same `--set` mechanism as `pacsim run`, the size of the
//! product, the plots' metrics — and reports all problems at once with the sweep file's
//! line and column.
//!
//! ```yaml
//! name: hosts-vs-startup
//! scenario: ../examples/quickstart.yaml       # or an inline mapping
//! axes:
//!   - { path: clusters[0].hosts[0].count, range: { from: 4, to: 12, step: 2 } }
//!   - { path: clusters[0].drs.threshold, values: [1, 3, 5] }
//! replications: 5
//! plots:
//!   - { metric: pod_startup_p99_s, x: clusters[0].hosts[0].count, by: clusters[0].drs.threshold }
//! ```

use crate::scenario::companion::{file_error, parse_file, Kind};
use crate::scenario::diagnostic::{did_you_mean, Diagnostic, ScenarioError};
use crate::scenario::load::{load_str, read_text};
use crate::scenario::overrides::value_at;
use crate::scenario::source::{child_index, child_key, SourceMap};
use crate::scenario::yaml::parse_yaml;
use crate::scenario::Scenario;
use rayon::prelude::*;
use serde::Deserialize;
use serde_json::{Number, Value};
use std::path::{Component, Path, PathBuf};

/// Most runs (points × replications) in one sweep: at a few milliseconds to minutes per
/// run this is already days of CPU, and each run is one small file.
pub const MAX_RUNS: u64 = 1_000_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSweep {
    name: Option<String>,
    scenario: Value,
    #[serde(default)]
    axes: Vec<RawAxis>,
    replications: Option<i64>,
    #[serde(default)]
    plots: Vec<RawPlot>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAxis {
    path: String,
    name: Option<String>,
    values: Option<Vec<Value>>,
    range: Option<RawRange>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRange {
    from: Number,
    to: Number,
    step: Number,
    unit: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlot {
    metric: String,
    x: String,
    by: Option<String>,
}

/// One axis: a scenario field and the values it takes, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// The field path, as `--set` takes it (`clusters[0].hosts[0].count`).
    pub path: String,
    /// A short name for charts (default: the path).
    pub name: String,
    pub values: Vec<Value>,
}

/// A chart of the merged sweep: `metric` against axis `x`, one line per combination of
/// the other axes; with `by`, grouped bars (one group per `x` value, one bar per `by`
/// value), one chart per combination of the remaining axes.
#[derive(Clone, Debug, PartialEq)]
pub struct PlotSpec {
    pub metric: String,
    pub x: usize,
    pub by: Option<usize>,
}

/// The scenario a sweep varies: its text, kept so that every point loads from the same
/// bytes, and the loaded base.
#[derive(Debug)]
pub struct BaseScenario {
    /// How the scenario is named in messages (its path, or the sweep file's).
    file: String,
    /// YAML text of the scenario (JSON for an inline scenario).
    text: String,
    /// For an inline scenario: the sweep file's name and text, to put errors there.
    inline: Option<(String, String)>,
    /// The parsed tree, to read a field's current value.
    tree: Value,
    /// The base scenario with no axis applied.
    pub scenario: Scenario,
}

impl BaseScenario {
    /// Reads and validates a scenario file.
    pub fn from_file(path: &Path) -> Result<BaseScenario, Box<ScenarioError>> {
        let text = read_text(path)?;
        let file = path.display().to_string();
        let scenario = load_str(&file, &text, &[])?;
        let tree = parse_yaml(&text).unwrap_or(Value::Null);
        Ok(BaseScenario {
            file,
            text,
            inline: None,
            tree,
            scenario,
        })
    }

    fn inline(
        sweep_file: &str,
        sweep_text: &str,
        tree: &Value,
    ) -> Result<BaseScenario, Box<ScenarioError>> {
        let text = serde_json::to_string(tree).unwrap_or_default();
        let inline = Some((sweep_file.to_string(), sweep_text.to_string()));
        let scenario = load_str(sweep_file, &text, &[]).map_err(|e| rebase(&inline, e))?;
        Ok(BaseScenario {
            file: sweep_file.to_string(),
            text,
            inline,
            tree: tree.clone(),
            scenario,
        })
    }

    /// The scenario with `sets` (`path=value`) applied, validated.
    pub fn load(&self, sets: &[String]) -> Result<Scenario, Box<ScenarioError>> {
        load_str(&self.file, &self.text, sets).map_err(|e| rebase(&self.inline, e))
    }

    /// The value a field has in the base scenario's file, if it is written there.
    pub fn current_value(&self, path: &str) -> Option<&Value> {
        value_at(&self.tree, path)
    }
}

/// An inline scenario's errors point into the sweep file, under `scenario`.
fn rebase(inline: &Option<(String, String)>, mut e: Box<ScenarioError>) -> Box<ScenarioError> {
    let Some((file, text)) = inline else {
        return e;
    };
    let under = |p: &str| child_key("scenario", p).trim_end_matches('.').to_string();
    for d in &mut e.diagnostics {
        d.path = under(&d.path);
        d.pos = None;
    }
    for (p, _) in &mut e.overrides {
        *p = under(p);
    }
    e.file = file.clone();
    e.text = text.clone();
    let paths: Vec<&str> = e.diagnostics.iter().map(|d| d.path.as_str()).collect();
    e.map = SourceMap::build_for(text, &paths);
    e
}

/// A validated sweep.
#[derive(Debug)]
pub struct Sweep {
    /// Names the sweep and its default results folder.
    pub name: String,
    /// How the sweep file is named in messages.
    pub file: String,
    pub base: BaseScenario,
    /// In order: the first axis varies slowest.
    pub axes: Vec<Axis>,
    pub replications: u64,
    pub plots: Vec<PlotSpec>,
    /// [`Sweep::hash`], computed once.
    pub(super) identity: u64,
}

/// What a path given to `plan-capacity` or a sweep command turned out to be.
pub enum Input {
    Scenario(Box<BaseScenario>),
    Sweep(Box<Sweep>),
}

/// Loads a file that may be a scenario or a sweep (a sweep has a top-level `scenario`).
pub fn load_input(path: &Path) -> Result<Input, Box<ScenarioError>> {
    let text = read_text(path)?;
    let is_sweep = matches!(parse_yaml(&text), Ok(Value::Object(m)) if m.contains_key("scenario") && !m.contains_key("clusters"));
    if is_sweep {
        load_sweep_text(path, &text).map(|s| Input::Sweep(Box::new(s)))
    } else {
        BaseScenario::from_file(path).map(|b| Input::Scenario(Box::new(b)))
    }
}

/// Loads and validates a sweep file.
pub fn load_sweep(path: &Path) -> Result<Sweep, Box<ScenarioError>> {
    let text = read_text(path).map_err(|mut e| {
        for d in &mut e.diagnostics {
            d.message = d.message.replace("the scenario", "the sweep file");
        }
        e
    })?;
    load_sweep_text(path, &text)
}

fn load_sweep_text(path: &Path, text: &str) -> Result<Sweep, Box<ScenarioError>> {
    let file = path.display().to_string();
    let fail = |d: Vec<Diagnostic>| file_error(&file, text, d);
    let kind = Kind {
        shape: "a sweep file is a mapping with `scenario`, `axes` and `replications`",
        example: "see scenarios/sweeps/hosts-vs-startup.yaml",
        doc: "the README's \"Sweeps\" section",
    };
    let Some((raw, mut diags)) =
        parse_file::<RawSweep>(&file, text, &kind, |d| flow_hint(text, d))?
    else {
        let d = Diagnostic::new("", "the sweep file is empty").hint(kind.example);
        return Err(fail(vec![d]));
    };

    // The base scenario: its own errors are its own file's (or the inline mapping's).
    let dir = path.parent().unwrap_or(Path::new(""));
    let base = match &raw.scenario {
        Value::String(rel) => {
            let p = normalize(&dir.join(rel));
            if !p.is_file() {
                diags.push(
                    Diagnostic::new(
                        "scenario",
                        format!("the scenario `{}` does not exist", p.display()),
                    )
                    .hint("a relative path starts from the sweep file's folder"),
                );
                return Err(fail(diags));
            }
            BaseScenario::from_file(&p)?
        }
        v @ Value::Object(_) => BaseScenario::inline(&file, text, v)?,
        _ => {
            diags.push(
                Diagnostic::new(
                    "scenario",
                    "`scenario` is the path of a scenario file or a scenario written inline",
                )
                .hint("e.g. `scenario: ../examples/quickstart.yaml`"),
            );
            return Err(fail(diags));
        }
    };

    let name = raw.name.clone().unwrap_or_else(|| {
        path.file_stem()
            .map_or("sweep".into(), |s| s.to_string_lossy().into_owned())
    });
    if name.trim().is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
        diags.push(
            Diagnostic::new("name", format!("`{name}` cannot name a results folder"))
                .hint("use a plain name such as `hosts-vs-startup`"),
        );
    }
    let replications = match raw.replications {
        None => 1,
        Some(r) if r < 1 => {
            diags.push(
                Diagnostic::new(
                    "replications",
                    format!("`replications` is {r}: a sweep needs at least one run per point"),
                )
                .hint("write `replications: 5` for five seeds per point, or leave it out for one"),
            );
            1
        }
        Some(r) => r as u64,
    };

    let mut axes = Vec::new();
    // The position in the file of each axis in `axes` (those with errors are left out).
    let mut at_index = Vec::new();
    for (k, a) in raw.axes.iter().enumerate() {
        let at = child_index("axes", k);
        match axis(&at, a) {
            Ok(values) => {
                at_index.push(k);
                axes.push(Axis {
                    path: a.path.trim().to_string(),
                    name: a.name.clone().unwrap_or_else(|| a.path.trim().to_string()),
                    values,
                });
            }
            Err(d) => diags.push(d),
        }
    }
    for (i, a) in axes.iter().enumerate() {
        if let Some(first) = axes[..i]
            .iter()
            .position(|b| b.path == a.path || b.name == a.name)
        {
            let same_path = axes[first].path == a.path;
            let (first, k) = (at_index[first], at_index[i]);
            diags.push(if same_path {
                Diagnostic::new(
                    format!("axes[{k}]"),
                    format!("axes {first} and {k} both vary `{}`", a.path),
                )
                .hint("each field is one axis; put all its values in one list")
            } else {
                Diagnostic::new(
                    format!("axes[{k}].name"),
                    format!("axes {first} and {k} are both named `{}`", a.name),
                )
                .hint("give each axis its own name")
            });
        }
    }

    let points: u128 = axes
        .iter()
        .fold(1u128, |acc, a| acc.saturating_mul(a.values.len() as u128));
    let runs = points.saturating_mul(replications as u128);
    if runs > MAX_RUNS as u128 && diags.is_empty() {
        let sizes: Vec<String> = axes.iter().map(|a| a.values.len().to_string()).collect();
        diags.push(
            Diagnostic::new(
                if axes.is_empty() { "replications" } else { "axes" },
                format!(
                    "the sweep has {} runs ({} point(s) from axes of {} value(s), × {replications} replication(s)), more than the limit of {}",
                    group(runs),
                    group(points),
                    if sizes.is_empty() { "no".to_string() } else { sizes.join(" × ") },
                    group(MAX_RUNS as u128),
                ),
            )
            .hint("sweep fewer values (a coarser step), or split the study into several sweeps"),
        );
    }

    if diags.is_empty() {
        diags.extend(check_axis_values(&base, &axes, &raw.axes));
    }

    let metrics = if raw.plots.is_empty() {
        Vec::new()
    } else {
        super::run::metric_names(&base.scenario)
    };
    let mut plots = Vec::new();
    for (i, p) in raw.plots.iter().enumerate() {
        let at = child_index("plots", i);
        let find = |what: &str, field: &str| -> Result<usize, Diagnostic> {
            axes.iter()
                .position(|a| a.path == what.trim() || a.name == what.trim())
                .ok_or_else(|| {
                    let names = axes.iter().flat_map(|a| [a.path.as_str(), a.name.as_str()]);
                    let d = Diagnostic::new(child_key(&at, field), format!("no axis is `{what}`"));
                    match did_you_mean(what, names) {
                        Some(s) => d.hint(format!("did you mean `{s}`?")),
                        None => d.hint("name an axis by its path or its `name`"),
                    }
                })
        };
        if !metrics.contains(&p.metric) {
            let d = Diagnostic::new(
                child_key(&at, "metric"),
                format!("`{}` is not a metric of summary.json", p.metric),
            );
            diags.push(
                match did_you_mean(&p.metric, metrics.iter().map(String::as_str)) {
                    Some(s) => d.hint(format!("did you mean `{s}`?")),
                    None => d.hint("the README lists summary.json's metric keys"),
                },
            );
        }
        let x = find(&p.x, "x");
        let by = p.by.as_deref().map(|b| find(b, "by")).transpose();
        match (x, by) {
            (Ok(x), Ok(by)) if by == Some(x) => diags.push(
                Diagnostic::new(child_key(&at, "by"), "`by` is the same axis as `x`")
                    .hint("group by another axis, or leave `by` out for a line chart"),
            ),
            (Ok(x), Ok(by)) => plots.push(PlotSpec {
                metric: p.metric.clone(),
                x,
                by,
            }),
            (Err(d), _) | (_, Err(d)) => diags.push(d),
        }
    }

    if !diags.is_empty() {
        return Err(fail(diags));
    }
    let identity = super::plan::identity(&base.scenario, &axes, replications);
    Ok(Sweep {
        name,
        file,
        base,
        axes,
        replications,
        plots,
        identity,
    })
}

/// Field paths have brackets, which YAML reads as a list inside `{ ... }`: say so when a
/// flow mapping breaks on a line that holds one.
fn flow_hint(text: &str, d: Diagnostic) -> Diagnostic {
    let line = d
        .pos
        .and_then(|p| text.lines().nth(p.line.saturating_sub(1)))
        .unwrap_or("");
    if d.message.contains("flow") && line.contains('{') && line.contains("].") {
        d.hint("inside `{ ... }` quote a field path: `path: \"clusters[0].hosts[0].count\"`, or write the axis as `key: value` lines")
    } else {
        d
    }
}

/// An axis's values: its list, or its range expanded.
fn axis(at: &str, a: &RawAxis) -> Result<Vec<Value>, Diagnostic> {
    if a.path.trim().is_empty() {
        return Err(
            Diagnostic::new(child_key(at, "path"), "the axis path is empty")
                .hint("name a scenario field, e.g. `path: clusters[0].hosts[0].count`"),
        );
    }
    match (&a.values, &a.range) {
        (Some(_), Some(_)) | (None, None) => Err(Diagnostic::new(
            at,
            "an axis has either `values` or `range`",
        )
        .hint("e.g. `values: [4, 8, 16]` or `range: { from: 4, to: 16, step: 4 }`")),
        (Some(v), None) if v.is_empty() => Err(Diagnostic::new(
            child_key(at, "values"),
            "the axis has no values",
        )
        .hint("list at least one value, e.g. `values: [4, 8]`")),
        (Some(v), None) if v.len() as u64 > MAX_RUNS => Err(Diagnostic::new(
            child_key(at, "values"),
            format!(
                "the axis has {} values, more than the limit of {}",
                v.len(),
                group(MAX_RUNS as u128)
            ),
        )
        .hint("sweep fewer values")),
        (Some(v), None) => Ok(v.clone()),
        (None, Some(r)) => expand_range(&child_key(at, "range"), r),
    }
}

/// `from`, `from + step`, … up to and including `to` (within rounding). Integers stay
/// integers when all three are; `unit` is appended to each value (`10/h`).
fn expand_range(at: &str, r: &RawRange) -> Result<Vec<Value>, Diagnostic> {
    let (from, to, step) = (
        r.from.as_f64().unwrap_or(f64::NAN),
        r.to.as_f64().unwrap_or(f64::NAN),
        r.step.as_f64().unwrap_or(f64::NAN),
    );
    let step_at = child_key(at, "step");
    if !(from.is_finite() && to.is_finite() && step.is_finite()) {
        return Err(Diagnostic::new(at, "the range's numbers must be finite")
            .hint("e.g. `range: { from: 4, to: 16, step: 4 }`"));
    }
    if step == 0.0 {
        return Err(
            Diagnostic::new(step_at, "the range's step is 0: it would never reach `to`").hint(
                format!(
                    "a step of {} goes from {} to {}",
                    if to >= from { "1" } else { "-1" },
                    r.from,
                    r.to
                ),
            ),
        );
    }
    if (to - from) * step < 0.0 {
        return Err(Diagnostic::new(
            step_at,
            format!(
                "the step {} goes away from `to`: {} is {} `from` ({})",
                r.step,
                r.to,
                if to < from { "below" } else { "above" },
                r.from
            ),
        )
        .hint(format!(
            "use step {} to count {}",
            -step,
            if to < from { "down" } else { "up" }
        )));
    }
    let steps = ((to - from) / step * (1.0 + 1e-12) + 1e-9).floor();
    if steps + 1.0 > MAX_RUNS as f64 {
        return Err(Diagnostic::new(
            at,
            format!(
                "the range has {} values, more than the limit of {}",
                group(steps as u128 + 1),
                group(MAX_RUNS as u128)
            ),
        )
        .hint("use a larger step"));
    }
    let count = steps as u64 + 1;
    let ints = match (r.from.as_i64(), r.step.as_i64()) {
        (Some(f), Some(s)) if r.to.as_i64().is_some() => Some((f, s)),
        _ => None,
    };
    let unit = r.unit.as_deref().unwrap_or("").trim();
    Ok((0..count)
        .map(|i| {
            let v = match ints {
                Some((f, s)) => Value::from(f + s * i as i64),
                None => Value::from(round12(from + step * i as f64)),
            };
            if unit.is_empty() {
                v
            } else {
                Value::String(format!("{v}{unit}"))
            }
        })
        .collect())
}

/// Rounds to 12 significant digits, so that `0.1 + 2 × 0.1` is written `0.3`.
fn round12(x: f64) -> f64 {
    format!("{x:.11e}").parse().unwrap_or(x)
}

/// `1000000` as `1,000,000`.
pub fn group(n: u128) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The `--set` argument that gives `path` the value `v`.
pub fn set_arg(path: &str, v: &Value) -> String {
    format!("{path}={}", serde_json::to_string(v).unwrap_or_default())
}

/// How a value is shown in tables and charts: text as itself, numbers as written, other
/// values as compact JSON.
pub fn value_label(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Loads the base with each axis value on its own; a problem is reported at the axis
/// (a bad path once, at `path`; a bad value at the value, or at the range).
fn check_axis_values(base: &BaseScenario, axes: &[Axis], raw: &[RawAxis]) -> Vec<Diagnostic> {
    let jobs: Vec<(usize, usize)> = axes
        .iter()
        .enumerate()
        .flat_map(|(k, a)| (0..a.values.len()).map(move |j| (k, j)))
        .collect();
    let failures: Vec<(usize, usize, Box<ScenarioError>)> = jobs
        .par_iter()
        .filter_map(|&(k, j)| {
            let arg = set_arg(&axes[k].path, &axes[k].values[j]);
            base.load(&[arg]).err().map(|e| (k, j, e))
        })
        .collect();
    let mut out: Vec<Diagnostic> = Vec::new();
    let mut bad_path = vec![false; axes.len()];
    for (k, j, e) in failures {
        if bad_path[k] {
            continue;
        }
        let a = &axes[k];
        let set_path = e
            .overrides
            .first()
            .map(|(p, _)| p.clone())
            .unwrap_or_default();
        let is_path_problem = |d: &Diagnostic| {
            d.message.starts_with("cannot set")
                || d.message.starts_with("bad path")
                || (d.message.starts_with("unknown field") && d.path == set_path)
        };
        if let Some(d) = e.diagnostics.iter().find(|d| is_path_problem(d)) {
            bad_path[k] = true;
            out.push(Diagnostic {
                path: format!("axes[{k}].path"),
                message: format!("`{}` is not a field of the scenario: {}", a.path, d.message),
                hint: d.hint.clone(),
                at_key: false,
                pos: None,
                unlocated: false,
            });
            continue;
        }
        let at = if raw[k].values.is_some() {
            format!("axes[{k}].values[{j}]")
        } else {
            format!("axes[{k}].range")
        };
        for d in &e.diagnostics {
            let place = if d.path.is_empty() || d.path == set_path || d.path == "scenario" {
                String::new()
            } else {
                format!(" (at `{}`)", d.path)
            };
            out.push(Diagnostic {
                path: at.clone(),
                message: format!(
                    "with `{}` = {}: {}{place}",
                    a.path,
                    value_label(&a.values[j]),
                    d.message
                ),
                hint: d.hint.clone(),
                at_key: false,
                pos: None,
                unlocated: false,
            });
        }
    }
    out
}

/// `a/b/../c` -> `a/c`, without touching the file system.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(from: &str, to: &str, step: &str) -> Result<Vec<Value>, Diagnostic> {
        let n = |s: &str| serde_json::from_str::<Number>(s).unwrap();
        expand_range(
            "r",
            &RawRange {
                from: n(from),
                to: n(to),
                step: n(step),
                unit: None,
            },
        )
    }

    #[test]
    fn ranges_include_their_end_and_keep_integers() {
        assert_eq!(range("4", "12", "4").unwrap(), [4, 8, 12].map(Value::from));
        assert_eq!(range("10", "1", "-4").unwrap(), [10, 6, 2].map(Value::from));
        assert_eq!(
            range("0.1", "0.3", "0.1").unwrap(),
            [0.1, 0.2, 0.3].map(Value::from)
        );
        assert_eq!(range("5", "5", "1").unwrap(), [Value::from(5)]);
        assert!(range("1", "5", "0")
            .unwrap_err()
            .message
            .contains("step is 0"));
        assert!(range("1", "5", "-1")
            .unwrap_err()
            .message
            .contains("away from"));
        assert!(range("0", "1e12", "1")
            .unwrap_err()
            .message
            .contains("limit"));
    }

    #[test]
    fn helpers() {
        assert_eq!(group(1_000_000_000), "1,000,000,000");
        assert_eq!(group(999), "999");
        assert_eq!(
            normalize(Path::new("scenarios/sweeps/../examples/q.yaml")),
            PathBuf::from("scenarios/examples/q.yaml")
        );
        assert_eq!(set_arg("a.b", &Value::from("x y")), "a.b=\"x y\"");
    }
}
