//! Reading a scenario: file -> YAML -> `--set` overrides -> serde types -> validated
//! [`Scenario`]. Every stage reports through [`ScenarioError`], and every limit on hostile
//! input is named in [`Limits`].
//!
//! Structural problems (unknown fields, missing fields, values of the wrong type) are all
//! collected in one pass: an unknown field is removed and a bad or missing value is
//! replaced by a placeholder, and deserialization is retried. Semantic checks
//! (`validate.rs`) run when the structure is sound apart from unknown fields, whose
//! removal leaves the rest trustworthy.

use super::diagnostic::{did_you_mean, Diagnostic, ScenarioError};
use super::raw::RawScenario;
use super::source::{child_index, child_key, parent_path, Pos, SourceMap};
use super::spec::Scenario;
use super::validate::validate;
use serde_json::Value;
use std::collections::BTreeSet;
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
    /// Most missing or mistyped fields collected before the loader stops looking; each
    /// costs one more pass over the parsed file. (Unknown fields cost nothing extra.)
    pub const MAX_STRUCTURAL_ERRORS: usize = 100;
    /// Most YAML nodes visited by those passes in all, so a large file gets fewer passes.
    pub const MAX_STRUCTURAL_WORK: usize = 5_000_000;
}

/// Loads and validates a scenario file; `overrides` are `path=value` strings.
pub fn load_file(path: &Path, overrides: &[String]) -> Result<Scenario, Box<ScenarioError>> {
    let name = path.display().to_string();
    let whole = |msg: String, hint: &str| {
        let d = Diagnostic::new("", msg);
        let d = if hint.is_empty() { d } else { d.hint(hint) };
        Box::new(ScenarioError::whole_file(&name, d))
    };
    let io_problem = |e: &std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => (
            "the file does not exist".to_string(),
            "check the path; a relative path starts from the current folder",
        ),
        std::io::ErrorKind::PermissionDenied => (
            "permission denied".to_string(),
            "check the file's permissions",
        ),
        _ => (e.to_string(), ""),
    };
    // Look before reading: a folder or a huge file is refused without touching its bytes.
    match std::fs::metadata(path) {
        Err(e) => {
            let (what, hint) = io_problem(&e);
            return Err(whole(format!("cannot open the scenario: {what}"), hint));
        }
        Ok(m) if m.is_dir() => {
            return Err(whole(
                "this is a folder, not a scenario file".into(),
                "give the path of a scenario's .yaml file",
            ))
        }
        Ok(m) if m.is_file() && m.len() > Limits::MAX_FILE_BYTES => {
            return Err(whole(too_large(Some(m.len())), TOO_LARGE_HINT));
        }
        Ok(_) => {}
    }
    let file = std::fs::File::open(path).map_err(|e| {
        let (what, hint) = io_problem(&e);
        whole(format!("cannot open the scenario: {what}"), hint)
    })?;
    // Read at most one byte past the limit, whatever the file claims to be (a device, a
    // pipe, a file growing under us).
    let mut bytes = Vec::new();
    file.take(Limits::MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            let (what, hint) = io_problem(&e);
            whole(format!("cannot read the scenario: {what}"), hint)
        })?;
    if bytes.len() as u64 > Limits::MAX_FILE_BYTES {
        return Err(whole(too_large(None), TOO_LARGE_HINT));
    }
    load_bytes(&name, &bytes, overrides)
}

const TOO_LARGE_HINT: &str =
    "a scenario is a small YAML file; large inputs such as traces go in files it refers to";

fn too_large(len: Option<u64>) -> String {
    let limit = Limits::MAX_FILE_BYTES >> 20;
    match len {
        Some(n) => format!(
            "the file is {:.1} MiB, larger than the limit of {limit} MiB",
            n as f64 / (1u64 << 20) as f64
        ),
        None => format!("the file is larger than the limit of {limit} MiB"),
    }
}

/// Checks that the bytes are text before handing them to [`load_str`].
fn load_bytes(
    name: &str,
    bytes: &[u8],
    overrides: &[String],
) -> Result<Scenario, Box<ScenarioError>> {
    let whole = |msg: String, hint: &str| {
        Box::new(ScenarioError::whole_file(
            name,
            Diagnostic::new("", msg).hint(hint),
        ))
    };
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(whole(
            "the file is UTF-16 text; scenarios are UTF-8".into(),
            "save the file as UTF-8 (e.g. `iconv -f utf-16 -t utf-8`)",
        ));
    }
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Err(whole(
            format!("the file is binary, not YAML text (it has a NUL byte at offset {at})"),
            "give the path of a scenario's .yaml file",
        ));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => load_str(name, text, overrides),
        Err(e) => {
            let good = e.valid_up_to();
            let shown = String::from_utf8_lossy(bytes).into_owned();
            let before = String::from_utf8_lossy(&bytes[..good]);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            let d = Diagnostic::new(
                "",
                format!(
                    "the file is not UTF-8 text: byte 0x{:02X} is not valid UTF-8",
                    bytes[good]
                ),
            )
            .hint("save the file as UTF-8; a Latin-1 file converts with `iconv -f latin1 -t utf-8`")
            .at(Pos { line, column });
            let mut err = ScenarioError::whole_file(name, d);
            err.text = shown;
            Err(Box::new(err))
        }
    }
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
    let fail = |mut err: Box<ScenarioError>| {
        let wanted: Vec<&str> = err.diagnostics.iter().map(|d| d.path.as_str()).collect();
        err.map = SourceMap::build_for(&err.text, &wanted);
        Err(err)
    };
    if let Some(at) = text.find('\0') {
        err.diagnostics.push(
            Diagnostic::new(
                "",
                format!("the file is binary, not YAML text (it has a NUL byte at offset {at})"),
            )
            .hint("give the path of a scenario's .yaml file"),
        );
        return Err(err);
    }
    if is_blank(text) {
        err.diagnostics.push(empty_scenario());
        return Err(err);
    }
    let mut value = match parse_yaml(text) {
        Ok(v) => v,
        Err(d) => {
            err.diagnostics.push(located_yaml_error(text, d));
            return Err(err);
        }
    };
    match &value {
        Value::Object(_) => {}
        Value::Null => {
            err.diagnostics.push(empty_scenario());
            return Err(err);
        }
        other => {
            let what = match other {
                Value::Array(_) => "a list".to_string(),
                v => format!("a single value ({})", describe(v)),
            };
            err.diagnostics.push(
                Diagnostic::new(
                    "",
                    format!("the top level of a scenario is {what}, not a mapping of fields"),
                )
                .hint("a scenario starts with fields such as `name: ...`, `duration: ...` and `clusters: ...` at the left margin; see scenarios/examples/quickstart.yaml")
                .at(first_content_pos(text)),
            );
            return Err(err);
        }
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
        return fail(err);
    }
    let (raw, diags) = deserialize_all_errors(value);
    err.diagnostics = diags;
    let Some(raw) = raw else {
        return fail(err);
    };
    match validate(&raw) {
        Ok(s) if err.diagnostics.is_empty() => Ok(s),
        Ok(_) => fail(err),
        Err(more) => {
            err.diagnostics.extend(more);
            fail(err)
        }
    }
}

fn is_blank(text: &str) -> bool {
    text.lines().all(|l| {
        let l = l.trim_start_matches('\u{feff}').trim();
        l.is_empty() || l.starts_with('#') || l == "---" || l == "..."
    })
}

fn empty_scenario() -> Diagnostic {
    Diagnostic::new("", "the scenario is empty").hint(
        "a scenario needs at least `name`, `duration` and `clusters`; see scenarios/examples/quickstart.yaml",
    )
}

/// The first line that is not blank or a comment.
fn first_content_pos(text: &str) -> Pos {
    let line = text
        .lines()
        .position(|l| {
            let l = l.trim();
            !l.is_empty() && !l.starts_with('#') && l != "---"
        })
        .unwrap_or(0);
    Pos {
        line: line + 1,
        column: 1,
    }
}

/// How a value is named in messages.
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "an empty value".into(),
        Value::Bool(b) => format!("`{b}`"),
        Value::Number(n) => format!("the number `{n}`"),
        Value::String(s) => format!("the text `{s}`"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
    }
}

/// Adds the field path of a duplicate key (and where it first appeared) to a YAML error.
fn located_yaml_error(text: &str, d: Diagnostic) -> Diagnostic {
    if !d.message.starts_with("the key `") {
        return d;
    }
    let map = SourceMap::build_for(text, &[]);
    match map.duplicates().first() {
        Some((path, first, second)) => Diagnostic {
            path: path.clone(),
            pos: Some(*second),
            hint: Some(format!(
                "each key may appear once in a mapping; the first `{}` is on line {}",
                path.rsplit('.').next().unwrap_or(path),
                first.line
            )),
            ..d
        },
        None => d,
    }
}

/// Parses YAML into a generic tree with serde-saphyr, under explicit budgets.
fn parse_yaml(text: &str) -> Result<Value, Diagnostic> {
    use serde_saphyr::budget::BudgetBreach;
    use serde_saphyr::Error as E;
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: Limits::MAX_DEPTH,
            max_nodes: Limits::MAX_NODES,
            max_documents: 1,
            flow_nesting_limit: Limits::MAX_DEPTH,
        },
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
        // `.nan` and `.inf` arrive as text, so the field that holds them reports them.
        non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::AsString,
    };
    serde_saphyr::from_str_with_options::<Value>(text, options).map_err(|e| {
        let pos = e.location().filter(|l| l.line() > 0).map(|l| Pos {
            line: l.line() as usize,
            column: l.column() as usize,
        });
        let mut inner = &e;
        while let E::WithSnippet { error, .. } | E::AliasError { error, .. } = inner {
            inner = error;
        }
        let raw = inner.without_snippet().to_string();
        let raw = raw.lines().next().unwrap_or("invalid YAML");
        let raw = strip_location_suffix(raw);
        let depth = || {
            Diagnostic::new(
                "",
                format!(
                    "the YAML is nested more than {} levels deep",
                    Limits::MAX_DEPTH
                ),
            )
            .hint("scenarios are shallow; check for unbalanced `[` or `{`")
        };
        let mut d = match inner {
            E::Budget { breach, .. } => match breach {
                BudgetBreach::Depth { .. } => depth(),
                BudgetBreach::Documents { .. } => Diagnostic::new(
                    "",
                    "the file holds more than one YAML document (a second `---`)",
                )
                .hint("a scenario file is one document; put each scenario in its own file"),
                BudgetBreach::Nodes { .. } => Diagnostic::new(
                    "",
                    format!(
                        "the YAML has more than {} values (counting what aliases expand to)",
                        Limits::MAX_NODES
                    ),
                )
                .hint("a scenario has hundreds of values, not hundreds of thousands; each alias (`*name`) counts everything its anchor (`&name`) holds, so nested aliases multiply"),
                other => Diagnostic::new("", format!("the YAML is too large ({other:?})"))
                    .hint("a scenario is a small YAML file"),
            },
            E::DuplicateMappingKey { key, .. } => Diagnostic::new(
                "",
                match key {
                    Some(k) => format!("the key `{k}` appears twice in one mapping"),
                    None => "a key appears twice in one mapping".to_string(),
                },
            )
            .hint("each key may appear once in a mapping"),
            _ if raw.contains("recursion limit") => depth(),
            _ if raw.contains("found a tab") => Diagnostic::new(
                "",
                "invalid YAML: a tab character where YAML allows only spaces",
            )
            .hint(syntax_hint(raw)),
            _ if raw.contains("alias") || raw.contains("anchor") => {
                Diagnostic::new("", format!("invalid YAML: {raw}"))
                    .hint("an alias `*name` must refer to an anchor `&name` defined before it")
            }
            _ => Diagnostic::new("", format!("invalid YAML: {raw}")).hint(syntax_hint(raw)),
        };
        // The scanner reports a tab at the start of the scalar it was reading; point at
        // the tab itself.
        let pos = match pos {
            Some(p) if raw.contains("found a tab") => Some(first_tab_from(text, p).unwrap_or(p)),
            p => p,
        };
        if let Some(p) = pos {
            d = d.at(p);
        }
        d
    })
}

/// The first tab at or after `from`.
fn first_tab_from(text: &str, from: Pos) -> Option<Pos> {
    for (i, line) in text
        .split('\n')
        .enumerate()
        .skip(from.line.saturating_sub(1))
    {
        let skip = if i + 1 == from.line {
            from.column.saturating_sub(1)
        } else {
            0
        };
        if let Some(c) = line.chars().skip(skip).position(|c| c == '\t') {
            return Some(Pos {
                line: i + 1,
                column: skip + c + 1,
            });
        }
    }
    None
}

/// A hint for the YAML syntax errors people make most.
fn syntax_hint(msg: &str) -> String {
    let m = msg.to_lowercase();
    if m.contains("tab") {
        "indent with spaces; YAML does not allow tabs for indentation".into()
    } else if m.contains("unclosed") || m.contains("flow") {
        "a `[` or `{` is not closed; close it on the same item, e.g. `{ name: esx, count: 4 }`"
            .into()
    } else if m.contains("mapping values are not allowed") {
        "check the indentation of this line against the line above, and quote values that contain `: `".into()
    } else if m.contains("string scalar") || m.contains("key") {
        "keys are plain names such as `count`; quote values that contain `:`, `[` or `{`".into()
    } else {
        "check the indentation and quoting around this place".into()
    }
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

/// Deserializes the tree, collecting every structural problem. Unknown fields are
/// collected in one pass (the deserializer skips them); a missing or mistyped value stops
/// a pass, so it is reported, replaced by a placeholder, and the pass retried, within a
/// budget of work proportional to the file. Returns the parsed scenario only when nothing
/// but unknown fields was wrong, so that validation sees trustworthy values.
fn deserialize_all_errors(mut value: Value) -> (Option<RawScenario>, Vec<Diagnostic>) {
    let unknown = strict::Unknown::default();
    // Missing fields as (mapping path, field), and other problems.
    let mut missing: Vec<(String, String)> = Vec::new();
    let mut others: Vec<Diagnostic> = Vec::new();
    // Paths given a placeholder, and how many placeholders were tried there.
    let mut patched: Vec<(String, usize)> = Vec::new();
    let passes = (Limits::MAX_STRUCTURAL_WORK / count_nodes(&value).max(1))
        .clamp(1, Limits::MAX_STRUCTURAL_ERRORS);
    let mut result = None;
    // Set when a problem cannot be patched over; the passes end there.
    let mut stuck = false;
    let mut used = 0;
    while used < passes && result.is_none() && !stuck {
        used += 1;
        let e = match serde_path_to_error::deserialize(strict::Strict::root(&value, &unknown)) {
            Ok(raw) => {
                result = Some(raw);
                continue;
            }
            Err(e) => e,
        };
        let path = path_string(e.path());
        let msg = e.inner().to_string();
        if let Some((field, expected)) = parse_unknown(&msg, "unknown field") {
            // From a visitor that checks its own fields (`{ choice: [...] }`, lifetimes);
            // the error's path may already end in the unknown key.
            let (full, parent) = if path == field || path.ends_with(&format!(".{field}")) {
                (path.clone(), parent_path(&path).to_string())
            } else {
                (child_key(&path, &field), path.clone())
            };
            unknown.record(full.clone(), parent, field, expected);
            stuck = !remove_path(&mut value, &full);
            continue;
        }
        // The path of the value to patch: a missing field is named by the message.
        let (target, missing_field) = match parse_unknown(&msg, "missing field") {
            Some((field, _)) => (child_key(&path, &field), Some(field)),
            None => (path.clone(), None),
        };
        let stage = match patched.iter_mut().find(|(p, _)| *p == target) {
            Some((_, stage)) => {
                *stage += 1;
                *stage
            }
            None => {
                patched.push((target.clone(), 0));
                match missing_field {
                    Some(field) => missing.push((path.clone(), field)),
                    None => others.push(type_error(path.clone(), &msg)),
                }
                0
            }
        };
        let placeholder = match stage {
            0 => Value::String(String::new()),
            1 => Value::Array(Vec::new()),
            2 => Value::Object(Default::default()),
            _ => {
                stuck = true;
                continue;
            }
        };
        stuck = !set_path(&mut value, &target, placeholder);
    }

    // Unknown fields, with a suggestion or where the field belongs.
    let mut diags = Vec::new();
    let mut suggested: BTreeSet<(String, String)> = BTreeSet::new();
    for u in unknown.into_entries() {
        let mut d = Diagnostic::new(u.path, format!("unknown field `{}`", u.field)).at_key();
        let home = FIELD_HOMES
            .iter()
            .find(|(f, _)| *f == u.field)
            .map(|(_, h)| *h);
        d = match (
            did_you_mean(&u.field, u.expected.iter().map(String::as_str)),
            home,
        ) {
            (Some(s), _) => {
                suggested.insert((u.parent, s.to_string()));
                d.hint(format!("did you mean `{s}`?"))
            }
            (None, Some(h)) => d.hint(format!("`{}` belongs in {h}, not here", u.field)),
            (None, None) if u.expected.is_empty() => d.hint("this mapping takes no fields"),
            (None, None) => d.hint(format!("expected one of: {}", u.expected.join(", "))),
        };
        diags.push(d);
    }
    // A missing field that an unknown one was suggested for is already explained
    // ("unknown field `mem_gb`; did you mean `memory`?").
    let gave_up = result.is_none() && !stuck;
    let sound = missing.is_empty() && others.is_empty() && result.is_some();
    // Missing fields inside a value already reported as the wrong type come from its
    // placeholder, not from the file.
    let under_bad_value = |p: &str| {
        others.iter().any(|d| {
            p == d.path
                || d.path.is_empty()
                || p.starts_with(&format!("{}.", d.path))
                || p.starts_with(&format!("{}[", d.path))
        })
    };
    for (parent, field) in missing {
        if !suggested.contains(&(parent.clone(), field.clone())) && !under_bad_value(&parent) {
            diags.push(missing_field(&parent, &field));
        }
    }
    diags.extend(others);
    if gave_up {
        diags.push(
            Diagnostic::new("", "too many problems; stopped looking for more")
                .hint("fix these first, then validate again")
                .unlocated(),
        );
    }
    (if sound { result } else { None }, diags)
}

fn count_nodes(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(count_nodes).sum::<usize>(),
        Value::Object(m) => 1 + m.values().map(count_nodes).sum::<usize>(),
        _ => 1,
    }
}

/// Where a field that is unknown here belongs instead (fields with one home only).
const FIELD_HOMES: &[(&str, &str)] = &[
    ("seed", "the top level"),
    ("duration", "the top level"),
    ("metrics", "the top level"),
    ("clusters", "the top level"),
    ("images", "the top level"),
    ("workloads", "the top level"),
    ("sample_every", "`metrics`"),
    ("hosts", "a cluster (`clusters[].hosts`)"),
    ("datastores", "a cluster (`clusters[].datastores`)"),
    ("placement", "a cluster (`clusters[].placement`)"),
    ("pods", "a cluster (`clusters[].pods`)"),
    ("count", "a host group (`clusters[].hosts[]`)"),
    ("cores", "a host group (`clusters[].hosts[]`)"),
    ("sockets", "a host group (`clusters[].hosts[]`)"),
    ("cores_per_socket", "a host group (`clusters[].hosts[]`)"),
    ("mhz", "a host group (`clusters[].hosts[]`)"),
    ("nic", "a host group (`clusters[].hosts[]`)"),
    ("power", "a host group (`clusters[].hosts[]`)"),
    ("idle", "a host group's `power`"),
    ("spec", "a host group's `power`"),
    ("capacity", "a datastore (`clusters[].datastores[]`)"),
    ("throughput", "a datastore (`clusters[].datastores[]`)"),
    ("policy", "`placement`"),
    ("by", "`placement`"),
    ("startup_delay", "a cluster's `pods`"),
    ("image_pull_bandwidth", "a cluster's `pods`"),
    ("kind", "a workload (`workloads[]`)"),
    ("cluster", "a workload (`workloads[]`)"),
    ("arrival", "a workload (`workloads[]`)"),
    ("lifetime", "a workload (`workloads[]`)"),
    ("requests", "a pod-group workload"),
    ("limits", "a pod-group workload"),
    ("image", "a pod-group workload"),
    ("demand", "a workload (`workloads[]`)"),
    ("on_no_fit", "a workload (`workloads[]`)"),
    ("vcpus", "a vm-group's `size`"),
    ("reservation", "a vm-group's `size`"),
    ("at_start", "`arrival`"),
    ("poisson", "`arrival`"),
    ("times", "`arrival`"),
    ("rate", "`arrival.poisson`"),
    ("offered_load", "`arrival.poisson`"),
    ("fixed", "`lifetime`"),
    ("exponential", "`lifetime`"),
    ("lognormal", "`lifetime`"),
    ("uniform", "`lifetime`"),
    ("constant", "`demand`"),
];

/// Examples for fields that are left out.
const FIELD_EXAMPLES: &[(&str, &str)] = &[
    ("duration", "duration: 24h"),
    ("clusters", "clusters: [ { name: cl-a, hosts: [...] } ]"),
    (
        "hosts",
        "hosts: [ { name: esx, count: 4, cores: 32, mhz: 2600, memory: 512GiB } ]",
    ),
    ("count", "count: 4"),
    ("mhz", "mhz: 2600"),
    ("memory", "memory: 512GiB"),
    ("kind", "kind: vm-group"),
    ("arrival", "arrival: { poisson: { rate: 2/h } }"),
    ("type", "type: vsan"),
    ("capacity", "capacity: 40TiB"),
    ("policy", "policy: least-loaded"),
    ("vcpus", "vcpus: 4"),
    ("mean", "mean: 6h"),
    ("median", "median: 20m"),
    ("sigma", "sigma: 0.8"),
    ("choice", "choice: [1, 2, 4]"),
];

fn missing_field(parent: &str, field: &str) -> Diagnostic {
    let whose = if parent.is_empty() {
        "the scenario".to_string()
    } else {
        format!("`{parent}`")
    };
    let hint = match FIELD_EXAMPLES.iter().find(|(f, _)| *f == field) {
        Some((_, e)) => format!("add e.g. `{e}`"),
        None if field == "size" && parent.starts_with("images") => {
            "add e.g. `size: 200MB`".to_string()
        }
        None if field == "size" => "add e.g. `size: { vcpus: 4, memory: 16GiB }`".to_string(),
        None => format!("add `{field}: ...`; `pacsim schema` describes the format"),
    };
    Diagnostic::new(
        parent,
        format!("{whose} lacks the required field `{field}`"),
    )
    .hint(hint)
}

/// Rewrites serde's "invalid type: X, expected Y" as "expected Y, found X".
fn type_error(path: String, msg: &str) -> Diagnostic {
    let Some(rest) = msg.strip_prefix("invalid type: ") else {
        return Diagnostic::new(path, msg.to_string()).hint("`pacsim schema` describes the format");
    };
    let (found, expected) = rest
        .rsplit_once(", expected ")
        .unwrap_or((rest, "another type"));
    // serde's own names for what it found (from visitors that reject a type themselves).
    let found = if let Some(n) = found
        .strip_prefix("integer ")
        .or_else(|| found.strip_prefix("floating point "))
    {
        format!("the number {n}")
    } else if let Some(t) = found.strip_prefix("string ") {
        format!("the text `{}`", t.trim_matches('"'))
    } else {
        match found {
            "sequence" => "a list".to_string(),
            "map" => "a mapping".to_string(),
            "unit value" => "an empty value".to_string(),
            f => f.strip_prefix("boolean ").unwrap_or(f).to_string(),
        }
    };
    let found = found.as_str();
    let expected = match expected {
        "a sequence" => "a list",
        "a string" => "text",
        e if e.starts_with("struct ") => "a mapping of fields",
        e => e,
    };
    let hint = if expected == "a list" && found == "a mapping" {
        "write one item per line starting with `- ` (e.g. `- name: ...`), or `[a, b]`"
    } else if expected == "a list" {
        "write one item per line starting with `- `, or `[a, b]`"
    } else if expected == "a mapping of fields" {
        "write `key: value` lines indented below, or `{ key: value, ... }`"
    } else if found.starts_with("an empty value") {
        "give a value, or remove the line"
    } else if expected == "text" && found.starts_with("the number") {
        "quote it to make it text, e.g. `name: \"2024\"`"
    } else {
        "`pacsim schema` describes the format"
    };
    Diagnostic::new(path, format!("expected {expected}, found {found}")).hint(hint)
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

/// Reads serde's "unknown field `x`, expected one of `a`, `b`" and "missing field `x`".
fn parse_unknown(msg: &str, prefix: &str) -> Option<(String, Vec<String>)> {
    let rest = msg.strip_prefix(prefix)?;
    let mut ticks = rest.split('`').skip(1).step_by(2).map(str::to_string);
    let field = ticks.next()?;
    Some((field, ticks.collect()))
}

/// The node at `path`'s parent, and the last segment.
fn parent_node<'a>(root: &'a mut Value, path: &str) -> Option<(&'a mut Value, Seg)> {
    let mut segs = parse_path(path).ok()?;
    let last = segs.pop()?;
    let mut node = root;
    for seg in segs {
        node = match (seg, node) {
            (Seg::Key(k), Value::Object(m)) => m.get_mut(&k)?,
            (Seg::Index(i), Value::Array(a)) => a.get_mut(i)?,
            _ => return None,
        };
    }
    Some((node, last))
}

fn remove_path(root: &mut Value, path: &str) -> bool {
    match parent_node(root, path) {
        Some((Value::Object(m), Seg::Key(k))) => m.remove(&k).is_some(),
        _ => false,
    }
}

fn set_path(root: &mut Value, path: &str, v: Value) -> bool {
    if path.is_empty() {
        return false;
    }
    match parent_node(root, path) {
        Some((Value::Object(m), Seg::Key(k))) => {
            m.insert(k, v);
            true
        }
        Some((Value::Array(a), Seg::Index(i))) if i < a.len() => {
            a[i] = v;
            true
        }
        _ => false,
    }
}

/// A deserializer over the parsed tree that is stricter than `serde_json::Value`'s: a
/// struct must be written as a mapping (serde would also take a list of its fields in
/// order, which no scenario means), mismatched types are named the way a YAML user
/// thinks of them, and unknown fields of a struct are recorded and skipped, so that one
/// pass finds them all.
mod strict {
    use super::{child_index, child_key, describe};
    use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
    use serde_json::{Error, Value};
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    /// An unknown field: its path, the mapping's path, its name, the fields expected.
    pub struct UnknownField {
        pub path: String,
        pub parent: String,
        pub field: String,
        pub expected: Vec<String>,
    }

    /// Unknown fields found so far, by path (so later passes do not repeat them).
    #[derive(Default)]
    pub struct Unknown(RefCell<BTreeMap<String, UnknownField>>);

    impl Unknown {
        pub fn record(&self, path: String, parent: String, field: String, expected: Vec<String>) {
            self.0
                .borrow_mut()
                .entry(path.clone())
                .or_insert(UnknownField {
                    path,
                    parent,
                    field,
                    expected,
                });
        }

        pub fn into_entries(self) -> Vec<UnknownField> {
            self.0.into_inner().into_values().collect()
        }
    }

    pub struct Strict<'a> {
        value: &'a Value,
        path: String,
        unknown: &'a Unknown,
    }

    impl<'a> Strict<'a> {
        pub fn root(value: &'a Value, unknown: &'a Unknown) -> Self {
            Strict {
                value,
                path: String::new(),
                unknown,
            }
        }

        fn wrong<T>(&self, exp: &dyn de::Expected) -> Result<T, Error> {
            Err(de::Error::invalid_type(
                de::Unexpected::Other(&describe(self.value)),
                exp,
            ))
        }

        fn map(
            &self,
            m: &'a serde_json::Map<String, Value>,
            fields: Option<&'static [&'static str]>,
        ) -> Map<'a> {
            Map {
                iter: m.iter(),
                value: None,
                path: self.path.clone(),
                fields,
                unknown: self.unknown,
            }
        }
    }

    impl<'de> Deserializer<'de> for Strict<'_> {
        type Error = Error;

        fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            match self.value {
                Value::Null | Value::Bool(_) => self.wrong(&v),
                Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                    (Some(u), _, _) => v.visit_u64(u),
                    (None, Some(i), _) => v.visit_i64(i),
                    (None, None, Some(f)) => v.visit_f64(f),
                    _ => self.wrong(&v),
                },
                Value::String(s) => v.visit_str(s),
                Value::Array(a) => v.visit_seq(Seq {
                    iter: a.iter().enumerate(),
                    path: self.path.clone(),
                    unknown: self.unknown,
                }),
                Value::Object(m) => v.visit_map(self.map(m, None)),
            }
        }

        fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            match self.value {
                Value::Null => v.visit_none(),
                _ => v.visit_some(self),
            }
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            fields: &'static [&'static str],
            v: V,
        ) -> Result<V::Value, Error> {
            match self.value {
                Value::Object(m) => v.visit_map(self.map(m, Some(fields))),
                _ => self.wrong(&v),
            }
        }

        fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            match self.value {
                Value::Array(_) => self.deserialize_any(v),
                _ => self.wrong(&v),
            }
        }

        fn deserialize_newtype_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            v: V,
        ) -> Result<V::Value, Error> {
            v.visit_newtype_struct(self)
        }

        fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            v.visit_unit()
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf unit unit_struct tuple tuple_struct map enum identifier
        }
    }

    struct Seq<'a> {
        iter: std::iter::Enumerate<std::slice::Iter<'a, Value>>,
        path: String,
        unknown: &'a Unknown,
    }

    impl<'de> SeqAccess<'de> for Seq<'_> {
        type Error = Error;
        fn next_element_seed<T: DeserializeSeed<'de>>(
            &mut self,
            seed: T,
        ) -> Result<Option<T::Value>, Error> {
            match self.iter.next() {
                Some((i, value)) => seed
                    .deserialize(Strict {
                        value,
                        path: child_index(&self.path, i),
                        unknown: self.unknown,
                    })
                    .map(Some),
                None => Ok(None),
            }
        }
        fn size_hint(&self) -> Option<usize> {
            Some(self.iter.len())
        }
    }

    struct Map<'a> {
        iter: serde_json::map::Iter<'a>,
        value: Option<(&'a String, &'a Value)>,
        path: String,
        /// The fields of the struct being read; other keys are recorded and skipped.
        fields: Option<&'static [&'static str]>,
        unknown: &'a Unknown,
    }

    impl<'de> MapAccess<'de> for Map<'_> {
        type Error = Error;
        fn next_key_seed<K: DeserializeSeed<'de>>(
            &mut self,
            seed: K,
        ) -> Result<Option<K::Value>, Error> {
            for (k, v) in self.iter.by_ref() {
                if let Some(fields) = self.fields {
                    if !fields.contains(&k.as_str()) {
                        self.unknown.record(
                            child_key(&self.path, k),
                            self.path.clone(),
                            k.clone(),
                            fields.iter().map(|f| f.to_string()).collect(),
                        );
                        continue;
                    }
                }
                self.value = Some((k, v));
                return seed
                    .deserialize(de::value::StrDeserializer::<Error>::new(k))
                    .map(Some);
            }
            Ok(None)
        }
        fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
            match self.value.take() {
                Some((k, value)) => seed.deserialize(Strict {
                    value,
                    path: child_key(&self.path, k),
                    unknown: self.unknown,
                }),
                None => Err(de::Error::custom("a value was asked for before its key")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_homes_name_real_fields() {
        let schema = crate::scenario::raw::schema_json();
        for (field, _) in FIELD_HOMES.iter().chain(FIELD_EXAMPLES) {
            assert!(
                schema.contains(&format!("\"{field}\"")),
                "`{field}` is not a scenario field"
            );
        }
    }

    #[test]
    fn a_struct_written_as_a_list_is_refused() {
        let text =
            "name: pos\nduration: 1h\nclusters: [[cl-a, [[esx, 4, 32, ~, ~, 2600, 512GiB]]]]\n";
        let e = load_str("t.yaml", text, &[]).unwrap_err();
        assert!(
            e.render()
                .contains("expected a mapping of fields, found a list"),
            "{}",
            e.render()
        );
    }

    #[test]
    fn structural_errors_are_all_collected() {
        let text = "name: x\nclusters:\n  - name: a\n    hosts: {}\n    colour: red\n";
        let e = load_str("t.yaml", text, &[]).unwrap_err();
        let msgs: Vec<&str> = e.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(msgs.len(), 3, "{msgs:?}");
        assert!(msgs.iter().any(|m| m.contains("`duration`")), "{msgs:?}");
        assert!(msgs.iter().any(|m| m.contains("`colour`")), "{msgs:?}");
        assert!(
            msgs.iter().any(|m| m.contains("expected a list")),
            "{msgs:?}"
        );
    }
}
