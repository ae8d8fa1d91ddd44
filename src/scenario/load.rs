//! Reading a scenario: file -> YAML -> `--set` overrides -> serde types -> validated
//! [`Scenario`]. Every stage reports through [`ScenarioError`], and every limit on hostile
//! input is named in [`Limits`].

use super::diagnostic::{did_you_mean, Diagnostic, ScenarioError};
use super::raw::RawScenario;
use super::source::{child_index, child_key, Pos, SourceMap};
use super::spec::Scenario;
use super::validate::validate;
use serde_json::Value;
use std::io::Read;
use std::path::Path;

/// Limits that keep a hostile or mistaken scenario from exhausting the machine. Each is
/// named in the error that enforces it and listed in the README.
pub struct Limits;

impl Limits {
    /// Largest scenario file read.
    pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;
    /// Deepest YAML nesting accepted.
    pub const MAX_DEPTH: usize = 64;
    /// Most YAML nodes (scalars, maps, sequences) after alias expansion.
    pub const MAX_NODES: usize = 500_000;
    /// Most hosts in one scenario.
    pub const MAX_HOSTS: u64 = 100_000;
    /// Most instances one `at_start` group creates.
    pub const MAX_AT_START: u64 = 10_000_000;
    /// Most arrivals a whole run may expect (bounds the events of a run).
    pub const MAX_ARRIVALS: f64 = 1.0e9;
    /// Longest simulated duration.
    pub const MAX_DURATION_S: f64 = 10.0 * 365.0 * 86_400.0;
    /// Most time-series samples (duration / sample_every).
    pub const MAX_SAMPLES: u64 = 1_000_000;
}

/// Loads and validates a scenario file; `overrides` are `path=value` strings.
pub fn load_file(path: &Path, overrides: &[String]) -> Result<Scenario, Box<ScenarioError>> {
    let name = path.display().to_string();
    let whole = |msg: String, hint: &str| {
        let d = Diagnostic::new("", msg);
        let d = if hint.is_empty() { d } else { d.hint(hint) };
        Box::new(ScenarioError::whole_file(&name, d))
    };
    let file = std::fs::File::open(path)
        .map_err(|e| whole(format!("cannot open the scenario: {e}"), "check the path"))?;
    let mut bytes = Vec::new();
    file.take(Limits::MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| whole(format!("cannot read the scenario: {e}"), ""))?;
    if bytes.len() as u64 > Limits::MAX_FILE_BYTES {
        return Err(whole(
            format!(
                "the file is larger than the limit of {} MiB",
                Limits::MAX_FILE_BYTES >> 20
            ),
            "a scenario is a small YAML file; large inputs such as traces go in files it refers to",
        ));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        whole(
            format!(
                "the file is not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
            "scenarios are YAML text files",
        )
    })?;
    load_str(&name, &text, overrides)
}

/// Loads and validates scenario text. `file` is how the text is named in messages.
pub fn load_str(
    file: &str,
    text: &str,
    overrides: &[String],
) -> Result<Scenario, Box<ScenarioError>> {
    let mut err = Box::new(ScenarioError {
        file: file.to_string(),
        text: text.to_string(),
        map: SourceMap::default(),
        overrides: Vec::new(),
        diagnostics: Vec::new(),
    });
    if text.contains('\0') {
        err.diagnostics.push(
            Diagnostic::new("", "the file contains NUL bytes: it is binary, not YAML")
                .hint("scenarios are YAML text files"),
        );
        return Err(err);
    }
    if text.trim().is_empty()
        || text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        err.diagnostics.push(
            Diagnostic::new("", "the scenario is empty")
                .hint("a scenario needs at least `name`, `duration` and `clusters`; see scenarios/examples/quickstart.yaml"),
        );
        return Err(err);
    }
    let mut value = match parse_yaml(text) {
        Ok(v) => v,
        Err(d) => {
            err.diagnostics.push(d);
            return Err(err);
        }
    };
    err.map = SourceMap::build(text);
    if !value.is_object() {
        err.diagnostics.push(
            Diagnostic::new("", "the top level of a scenario must be a mapping of fields (`name: ...`, `clusters: ...`)")
                .hint("see scenarios/examples/quickstart.yaml"),
        );
        return Err(err);
    }
    for arg in overrides {
        match apply_override(&mut value, arg) {
            Ok(path) => err.overrides.push((path, arg.clone())),
            Err(d) => {
                err.overrides.push((d.path.clone(), arg.clone()));
                err.diagnostics.push(d);
            }
        }
    }
    if !err.diagnostics.is_empty() {
        return Err(err);
    }
    // Unknown fields are removed as they are reported, so the rest is still checked.
    let (raw, mut diags) = deserialize_all_errors(value);
    let Some(raw) = raw else {
        err.diagnostics = diags;
        return Err(err);
    };
    match validate(&raw) {
        Ok(s) if diags.is_empty() => Ok(s),
        Ok(_) => {
            err.diagnostics = diags;
            Err(err)
        }
        Err(more) => {
            diags.extend(more);
            err.diagnostics = diags;
            Err(err)
        }
    }
}

/// Parses YAML into a generic tree with serde-saphyr, under explicit budgets.
fn parse_yaml(text: &str) -> Result<Value, Diagnostic> {
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: Limits::MAX_DEPTH,
            max_nodes: Limits::MAX_NODES,
            max_documents: 1,
        },
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
    };
    serde_saphyr::from_str_with_options::<Value>(text, options).map_err(|e| {
        let pos = e.location().filter(|l| l.line() > 0).map(|l| Pos { line: l.line() as usize, column: l.column() as usize });
        let msg = e.without_snippet().to_string();
        let msg = msg.lines().next().unwrap_or("invalid YAML").to_string();
        let mut d = Diagnostic::new("", format!("invalid YAML: {}", strip_location_suffix(&msg)));
        if msg.contains("budget") || msg.contains("limit") || msg.contains("alias") {
            d = d.hint(format!(
                "scenarios are limited to {} levels of nesting and {} YAML nodes after alias expansion",
                Limits::MAX_DEPTH,
                Limits::MAX_NODES
            ));
        } else if msg.contains("duplicate") {
            d = d.hint("each key may appear once in a mapping");
        }
        if let Some(p) = pos {
            d = d.at(p);
        }
        d
    })
}

/// serde-saphyr appends " at line L column C"; the location is shown separately.
fn strip_location_suffix(msg: &str) -> &str {
    match msg.find(" at line ") {
        Some(i) => &msg[..i],
        None => msg,
    }
}

/// Splits `clusters[0].hosts[0].count` into segments.
enum Seg {
    Key(String),
    Index(usize),
}

fn parse_path(path: &str) -> Result<Vec<Seg>, String> {
    let mut segs = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if key.is_empty() && segs.is_empty() && rest.is_empty() {
            return Err("empty path".into());
        }
        if !key.is_empty() {
            match key.parse::<usize>() {
                Ok(i) => segs.push(Seg::Index(i)),
                Err(_) => segs.push(Seg::Key(key.to_string())),
            }
        } else if rest.is_empty() {
            return Err(format!("empty segment in `{path}`"));
        }
        while !rest.is_empty() {
            let close = rest
                .find(']')
                .ok_or_else(|| format!("missing `]` in `{path}`"))?;
            let idx = rest[1..close]
                .parse::<usize>()
                .map_err(|_| format!("`{}` is not an index", &rest[1..close]))?;
            segs.push(Seg::Index(idx));
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return Err(format!("unexpected `{rest}` in `{path}`"));
            }
        }
    }
    Ok(segs)
}

/// Applies `path=value`; returns the canonical path.
fn apply_override(root: &mut Value, arg: &str) -> Result<String, Diagnostic> {
    let bad = |msg: String| {
        Diagnostic::new("", msg)
            .hint("write --set path=value, e.g. --set clusters[0].hosts[0].count=16")
    };
    let (path, raw_value) = arg
        .split_once('=')
        .ok_or_else(|| bad(format!("`{arg}` has no `=`")))?;
    let segs = parse_path(path.trim()).map_err(|m| bad(format!("bad path in `{arg}`: {m}")))?;
    let new_value = if raw_value.trim().is_empty() {
        Value::String(String::new())
    } else {
        parse_yaml(raw_value).map_err(|d| Diagnostic { hint: Some("the value is read as YAML: a number, a string, or a flow mapping such as {policy: best-fit}".into()), ..d })?
    };
    let mut canonical = String::new();
    let mut node = root;
    let n = segs.len();
    for (i, seg) in segs.into_iter().enumerate() {
        let last = i + 1 == n;
        match seg {
            Seg::Key(k) => {
                canonical = child_key(&canonical, &k);
                let Value::Object(map) = node else {
                    return Err(Diagnostic::new(
                        canonical.clone(),
                        format!("cannot set `{canonical}`: its parent is not a mapping"),
                    ));
                };
                if last {
                    map.insert(k, new_value);
                    return Ok(canonical);
                }
                node = map
                    .entry(k)
                    .or_insert_with(|| Value::Object(Default::default()));
            }
            Seg::Index(idx) => {
                canonical = child_index(&canonical, idx);
                let Value::Array(items) = node else {
                    return Err(Diagnostic::new(
                        canonical.clone(),
                        format!("cannot set `{canonical}`: its parent is not a list"),
                    ));
                };
                let len = items.len();
                let Some(slot) = items.get_mut(idx) else {
                    return Err(Diagnostic::new(
                        canonical.clone(),
                        format!("cannot set `{canonical}`: the list has {len} item(s)"),
                    ));
                };
                if last {
                    *slot = new_value;
                    return Ok(canonical);
                }
                node = slot;
            }
        }
    }
    Err(bad("empty path".into()))
}

/// Deserializes the tree, collecting every unknown field (each is removed and the parse
/// retried) and the first error of any other kind. Returns the parsed scenario when only
/// unknown fields were wrong, so that validation can report the rest.
fn deserialize_all_errors(mut value: Value) -> (Option<RawScenario>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    for _ in 0..200 {
        let result: Result<RawScenario, _> = serde_path_to_error::deserialize(&value);
        match result {
            Ok(raw) => return (Some(raw), diags),
            Err(e) => {
                let path = path_string(e.path());
                let msg = e.inner().to_string();
                if let Some((field, expected)) = parse_unknown(&msg, "unknown field") {
                    let mut d =
                        Diagnostic::new(path.clone(), format!("unknown field `{field}`")).at_key();
                    d = match did_you_mean(&field, expected.iter().map(String::as_str)) {
                        Some(s) => d.hint(format!("did you mean `{s}`?")),
                        None if expected.is_empty() => d.hint("this mapping takes no fields"),
                        None => d.hint(format!("expected one of: {}", expected.join(", "))),
                    };
                    diags.push(d);
                    if !remove_path(&mut value, &path) {
                        return (None, diags);
                    }
                } else {
                    let hint = if msg.starts_with("missing field") {
                        "add the field; see `pacsim schema` for the format"
                    } else {
                        "see `pacsim schema` for the expected format"
                    };
                    diags.push(Diagnostic::new(path, msg).hint(hint));
                    return (None, diags);
                }
            }
        }
    }
    (None, diags)
}

fn path_string(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut s = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => s = child_index(&s, *index),
            Segment::Map { key } => s = child_key(&s, key),
            Segment::Enum { variant } => s = child_key(&s, variant),
            Segment::Unknown => {}
        }
    }
    s
}

/// Reads serde's "unknown field `x`, expected one of `a`, `b`" message.
fn parse_unknown(msg: &str, prefix: &str) -> Option<(String, Vec<String>)> {
    let rest = msg.strip_prefix(prefix)?;
    let mut ticks = rest.split('`').skip(1).step_by(2).map(str::to_string);
    let field = ticks.next()?;
    Some((field, ticks.collect()))
}

fn remove_path(root: &mut Value, path: &str) -> bool {
    let Ok(segs) = parse_path(path) else {
        return false;
    };
    let Some((last, init)) = segs.split_last() else {
        return false;
    };
    let mut node = root;
    for seg in init {
        node = match (seg, node) {
            (Seg::Key(k), Value::Object(m)) => match m.get_mut(k) {
                Some(v) => v,
                None => return false,
            },
            (Seg::Index(i), Value::Array(a)) => match a.get_mut(*i) {
                Some(v) => v,
                None => return false,
            },
            _ => return false,
        };
    }
    match (last, node) {
        (Seg::Key(k), Value::Object(m)) => m.remove(k).is_some(),
        _ => false,
    }
}
