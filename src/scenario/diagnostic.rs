//! Problems found in a scenario, each with where it is and what to do about it, and
//! their rendering in the style of rustc:
//!
//! ```text
//! error: unknown field `mem_gb`
//!   --> scenarios/x.yaml:12:9 (clusters[0].hosts[0].mem_gb)
//!    |
//! 12 |         mem_gb: 64
//!    |         ^
//!    = hint: did you mean `memory`?
//! ```

use super::source::{Pos, SourceMap};
use std::fmt::Write;

/// One problem.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// Field path (`clusters[0].hosts[1].memory`), empty for the whole file.
    pub path: String,
    pub message: String,
    pub hint: Option<String>,
    /// Point at the key rather than the value (unknown fields).
    pub at_key: bool,
    /// A position known directly (YAML syntax errors), overriding the path lookup.
    pub pos: Option<Pos>,
}

impl Diagnostic {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            path: path.into(),
            message: message.into(),
            hint: None,
            at_key: false,
            pos: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn at_key(mut self) -> Self {
        self.at_key = true;
        self
    }

    pub fn at(mut self, pos: Pos) -> Self {
        self.pos = Some(pos);
        self
    }
}

/// Every problem of one scenario, with what is needed to show them.
#[derive(Debug)]
pub struct ScenarioError {
    /// How the file is named in messages.
    pub file: String,
    pub text: String,
    pub map: SourceMap,
    /// `--set` overrides: (path, the argument as given).
    pub overrides: Vec<(String, String)>,
    pub diagnostics: Vec<Diagnostic>,
}

impl ScenarioError {
    /// An error about the file as a whole (unreadable, too large, not UTF-8).
    pub fn whole_file(file: &str, d: Diagnostic) -> Self {
        ScenarioError {
            file: file.to_string(),
            text: String::new(),
            map: SourceMap::default(),
            overrides: Vec::new(),
            diagnostics: vec![d],
        }
    }

    fn override_for(&self, path: &str) -> Option<&str> {
        self.overrides
            .iter()
            .rev()
            .find(|(p, _)| {
                !p.is_empty()
                    && (path == p
                        || path.starts_with(&format!("{p}."))
                        || path.starts_with(&format!("{p}[")))
            })
            .map(|(_, arg)| arg.as_str())
    }

    /// The full, human-readable report.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for d in &self.diagnostics {
            let _ = writeln!(out, "error: {}", d.message);
            let path_note = if d.path.is_empty() {
                String::new()
            } else {
                format!(" ({})", d.path)
            };
            if let Some(arg) = self.override_for(&d.path) {
                let _ = writeln!(out, "  --> --set {arg}{path_note}");
            } else {
                let pos = d.pos.or_else(|| {
                    if d.at_key {
                        self.map.key_pos(&d.path)
                    } else {
                        self.map.value_pos(&d.path)
                    }
                });
                match pos {
                    Some(p) => {
                        let _ = writeln!(
                            out,
                            "  --> {}:{}:{}{path_note}",
                            self.file, p.line, p.column
                        );
                        if let Some(line) = self.text.lines().nth(p.line.saturating_sub(1)) {
                            let shown: String = line.chars().take(160).collect();
                            let num = p.line.to_string();
                            let pad = " ".repeat(num.len());
                            let caret = " ".repeat(p.column.saturating_sub(1).min(160));
                            let _ = writeln!(out, "{pad} |");
                            let _ = writeln!(out, "{num} | {shown}");
                            let _ = writeln!(out, "{pad} | {caret}^");
                        }
                    }
                    None => {
                        let _ = writeln!(out, "  --> {}{path_note}", self.file);
                    }
                }
            }
            if let Some(h) = &d.hint {
                let _ = writeln!(out, "   = hint: {h}");
            }
            out.push('\n');
        }
        let n = self.diagnostics.len();
        let _ = writeln!(
            out,
            "{} error{} in {}",
            n,
            if n == 1 { "" } else { "s" },
            self.file
        );
        out
    }
}

impl std::fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render())
    }
}

impl std::error::Error for ScenarioError {}

/// The closest of `candidates` to `word`, if close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    // Ranked by edit distance, then by Jaro-Winkler similarity; a candidate qualifies
    // when it is a few edits away (relative to its length), shares a prefix, or is very
    // similar.
    let w = word.to_lowercase();
    let mut best: Option<(&str, usize, f64)> = None;
    for c in candidates {
        let lc = c.to_lowercase();
        let dist = strsim::levenshtein(&w, &lc);
        let jw = strsim::jaro_winkler(&w, &lc);
        let longest = w.chars().count().max(lc.chars().count());
        let prefix = lc.starts_with(&w)
            || w.starts_with(&lc)
            || (w.chars().count() >= 3
                && lc.chars().count() >= 3
                && w.chars().take(3).eq(lc.chars().take(3)));
        let close =
            (dist <= 2 && dist * 2 < longest) || (dist * 3 <= longest) || prefix || jw >= 0.85;
        if close && best.is_none_or(|(_, d, j)| dist < d || (dist == d && jw > j)) {
            best = Some((c, dist, jw));
        }
    }
    best.map(|(c, _, _)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_get_a_suggestion_and_nonsense_does_not() {
        assert_eq!(
            did_you_mean("mem_gb", ["name", "count", "memory", "mhz"]),
            Some("memory")
        );
        assert_eq!(
            did_you_mean("leastloaded", ["first-fit", "best-fit", "least-loaded"]),
            Some("least-loaded")
        );
        assert_eq!(did_you_mean("zzzz", ["name", "count"]), None);
        assert_eq!(
            did_you_mean("cnt", ["name", "count", "cores", "mhz"]),
            Some("count")
        );
        assert_eq!(did_you_mean("polcy", ["policy", "by"]), Some("policy"));
    }
}
