//! Reading a scenario: file -> YAML -> `--set` overrides -> serde types -> validated
//! [`Scenario`]. Every stage reports through [`ScenarioError`], and every limit on hostile
//! input is named in [`Limits`].
//!
//! Structural problems (unknown fields, missing fields, values of the wrong type) are all
//! collected in one pass: an unknown field is removed and a bad or missing value is
//! replaced by a placeholder, and deserialization is retried. Semantic checks
//! (`validate.rs`) run when the structure is sound apart from unknown fields, whose
//! removal leaves the rest trustworthy.

use super::diagnostic::{Diagnostic, ScenarioError};
use super::overrides::apply_override;
use super::source::{Pos, SourceMap};
use super::spec::Scenario;
use super::structure::{describe, deserialize_all_errors};
use super::validate::validate;
use super::yaml::{located_yaml_error, parse_yaml};
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
    /// Most VMs and pods alive at once (estimated from the arrival processes and mean
    /// lifetimes): at about 180 bytes each, this keeps a run within a few GiB.
    pub const MAX_LIVE: u64 = 20_000_000;
    /// Most host samples (hosts x time-series samples): each sample reads every host, so
    /// this bounds the time and memory that sampling takes.
    pub const MAX_HOST_SAMPLES: u64 = 500_000_000;
    /// Most missing or mistyped fields collected before the loader stops looking; each
    /// costs one more pass over the parsed file. (Unknown fields cost nothing extra.)
    pub const MAX_STRUCTURAL_ERRORS: usize = 100;
    /// Most YAML nodes visited by those passes in all, so a large file gets fewer passes.
    pub const MAX_STRUCTURAL_WORK: usize = 5_000_000;
}

/// Loads and validates a scenario file; `overrides` are `path=value` strings.
pub fn load_file(path: &Path, overrides: &[String]) -> Result<Scenario, Box<ScenarioError>> {
    let text = read_text(path)?;
    load_str(&path.display().to_string(), &text, overrides)
}

/// Reads a small YAML file (a scenario, a sweep, a tolerance file) as text, refusing
/// folders, files over [`Limits::MAX_FILE_BYTES`], binary and non-UTF-8 content with the
/// same messages as a scenario.
pub fn read_text(path: &Path) -> Result<String, Box<ScenarioError>> {
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
    text_of(&name, &bytes)
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

/// Checks that the bytes are text.
fn text_of(name: &str, bytes: &[u8]) -> Result<String, Box<ScenarioError>> {
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
        Ok(text) => Ok(text.to_string()),
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
    let hash = crate::engine::rng::fnv1a64(value.to_string().as_bytes());
    let (raw, diags) = deserialize_all_errors(value);
    err.diagnostics = diags;
    let Some(raw) = raw else {
        return fail(err);
    };
    let base_dir = match Path::new(file).parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match validate(&raw, base_dir) {
        Ok(s) if err.diagnostics.is_empty() => Ok(Scenario { hash, ..s }),
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
