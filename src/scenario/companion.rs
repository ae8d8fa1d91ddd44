//! Small YAML files read the way scenarios are — sweep files, tolerance files: the same
//! limits on hostile input, the same strict structure with every problem reported at
//! once, the same messages with line and column.

use super::diagnostic::{Diagnostic, ScenarioError};
use super::source::SourceMap;
use super::structure::deserialize_all_errors_as;
use super::yaml::{located_yaml_error, parse_yaml};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// What kind of file is read, for its messages.
pub struct Kind<'a> {
    /// "a sweep file is a mapping with ...": said when the top level is not a mapping.
    pub shape: &'a str,
    /// The hint that goes with it.
    pub example: &'a str,
    /// Where the format is described ("the README's \"Sweeps\" section").
    pub doc: &'a str,
}

/// A file's problems, shown against its text.
pub fn file_error(file: &str, text: &str, diagnostics: Vec<Diagnostic>) -> Box<ScenarioError> {
    let paths: Vec<&str> = diagnostics.iter().map(|d| d.path.as_str()).collect();
    Box::new(ScenarioError {
        file: file.to_string(),
        text: text.to_string(),
        map: SourceMap::build_for(text, &paths),
        overrides: Vec::new(),
        diagnostics,
    })
}

/// Parses `text` into `T`. `Ok(None)` for a file with nothing in it; otherwise the value
/// and the problems that still let it be read (unknown fields), for the caller to add its
/// own checks to. `yaml_hint` may improve a YAML syntax error's hint.
pub fn parse_file<T: DeserializeOwned>(
    file: &str,
    text: &str,
    kind: &Kind,
    yaml_hint: impl Fn(Diagnostic) -> Diagnostic,
) -> Result<Option<(T, Vec<Diagnostic>)>, Box<ScenarioError>> {
    let tree = match parse_yaml(text) {
        Ok(Value::Object(m)) => Value::Object(m),
        Ok(Value::Null) => return Ok(None),
        Ok(_) => {
            let d = Diagnostic::new("", kind.shape).hint(kind.example);
            return Err(file_error(file, text, vec![d]));
        }
        Err(d) => {
            let d = yaml_hint(located_yaml_error(text, d));
            return Err(file_error(file, text, vec![d]));
        }
    };
    let (raw, mut diags) = deserialize_all_errors_as::<T>(tree);
    for d in &mut diags {
        if let Some(h) = &mut d.hint {
            *h = h.replace(
                "`pacsim schema` describes the format",
                &format!("{} describes this file", kind.doc),
            );
        }
    }
    match raw {
        Some(raw) => Ok(Some((raw, diags))),
        None => Err(file_error(file, text, diags)),
    }
}
