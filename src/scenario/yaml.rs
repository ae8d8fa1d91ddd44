//! YAML text -> a generic tree, under explicit budgets, with messages that say what
//! went wrong in the words of a scenario's author (duplicate keys, tabs, nesting and
//! alias limits) rather than the parser's.

use super::diagnostic::Diagnostic;
use super::load::Limits;
use super::source::{Pos, SourceMap};
use serde_json::Value;

/// Adds the field path of a duplicate key (and where it first appeared) to a YAML error.
pub(crate) fn located_yaml_error(text: &str, d: Diagnostic) -> Diagnostic {
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
pub(crate) fn parse_yaml(text: &str) -> Result<Value, Diagnostic> {
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
