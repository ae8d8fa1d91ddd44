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
    /// About no place in the file (a closing note such as "stopped looking").
    pub unlocated: bool,
}

impl Diagnostic {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            path: path.into(),
            message: message.into(),
            hint: None,
            at_key: false,
            pos: None,
            unlocated: false,
        }
    }

    /// A note about no place in the file; shown after the located problems.
    pub fn unlocated(mut self) -> Self {
        self.unlocated = true;
        self
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

    /// Where a diagnostic points: the `--set` argument it comes from, or a position.
    fn locate(&self, d: &Diagnostic) -> (Option<&str>, Option<Pos>) {
        if d.unlocated {
            return (None, None);
        }
        if d.pos.is_none() {
            if let Some(arg) = self.override_for(&d.path) {
                return (Some(arg), None);
            }
        }
        let pos = d.pos.or_else(|| {
            if d.at_key {
                self.map.key_pos(&d.path)
            } else {
                self.map.value_pos(&d.path)
            }
        });
        (None, pos)
    }

    /// The full, human-readable report: problems in file order (those about a `--set`
    /// argument or the whole file first, closing notes last), at most [`MAX_SHOWN`].
    pub fn render(&self) -> String {
        let lines = split_lines(&self.text);
        let file = clean(&self.file);
        let mut items: Vec<(Option<&str>, Option<Pos>, &Diagnostic)> = self
            .diagnostics
            .iter()
            .map(|d| {
                let (arg, pos) = self.locate(d);
                (arg, pos, d)
            })
            .collect();
        items.sort_by_key(|(arg, pos, d)| (arg.is_none(), d.unlocated, *pos));
        let mut out = String::new();
        for (arg, pos, d) in items.iter().take(MAX_SHOWN) {
            let _ = writeln!(out, "error: {}", clean(&d.message));
            let path_note = if d.path.is_empty() {
                String::new()
            } else {
                format!(" ({})", clean(&d.path))
            };
            match (arg, pos) {
                (Some(arg), _) => {
                    let _ = writeln!(out, "  --> --set {}{path_note}", clean(arg));
                }
                (None, Some(p)) => {
                    let _ = writeln!(out, "  --> {file}:{}:{}{path_note}", p.line, p.column);
                    if let Some(line) = lines.get(p.line.saturating_sub(1)) {
                        let (shown, caret) = snippet(line, p.column);
                        let num = p.line.to_string();
                        let pad = " ".repeat(num.len());
                        let _ = writeln!(out, "{pad} |");
                        let _ = writeln!(out, "{num} | {shown}");
                        let _ = writeln!(out, "{pad} | {caret}^");
                    }
                }
                (None, None) => {
                    let _ = writeln!(out, "  --> {file}{path_note}");
                }
            }
            if let Some(h) = &d.hint {
                let _ = writeln!(out, "   = hint: {}", clean(h));
            }
            out.push('\n');
        }
        let n = self.diagnostics.len();
        if n > MAX_SHOWN {
            let _ = writeln!(out, "... and {} more not shown\n", n - MAX_SHOWN);
        }
        let _ = writeln!(
            out,
            "{} error{} in {file}",
            n,
            if n == 1 { "" } else { "s" },
        );
        out
    }
}

/// Most problems shown in one report (the count says how many there are in all).
pub const MAX_SHOWN: usize = 50;

/// Widest part of a source line shown, in characters.
const SNIPPET_WIDTH: usize = 120;

/// Lines as YAML counts them: `\n`, `\r\n` and a lone `\r` each end one.
fn split_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(['\n', '\r']) {
        lines.push(&rest[..i]);
        let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
        rest = &rest[i + skip..];
    }
    lines.push(rest);
    lines
}

/// The part of `line` around 1-based `column`, made safe for a terminal, and the
/// whitespace that puts a caret under that column.
fn snippet(line: &str, column: usize) -> (String, String) {
    let len = line.chars().count();
    let col = column.saturating_sub(1).min(len);
    let start = if len <= SNIPPET_WIDTH {
        0
    } else {
        col.saturating_sub(SNIPPET_WIDTH / 2)
            .min(len - SNIPPET_WIDTH)
    };
    let end = (start + SNIPPET_WIDTH).min(len);
    let mut shown = String::new();
    let mut caret = String::new();
    if start > 0 {
        shown.push_str("...");
        caret.push_str("   ");
    }
    for (i, c) in line.chars().skip(start).take(end - start).enumerate() {
        shown.push(if c == '\t' || !c.is_control() {
            c
        } else {
            '\u{fffd}'
        });
        if start + i < col {
            caret.push(if c == '\t' { '\t' } else { ' ' });
        }
    }
    if end < len {
        shown.push_str("...");
    }
    (shown, caret)
}

/// Makes text from the file safe and short enough for one message line: control
/// characters are escaped, a long `quoted` value is cut, and so is a long message.
pub fn clean(text: &str) -> String {
    const LONGEST_QUOTE: usize = 100;
    const LONGEST: usize = 1000;
    let mut out = String::new();
    let mut written = 0;
    for (i, part) in text.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        let cut = i % 2 == 1 && part.chars().nth(LONGEST_QUOTE).is_some();
        let keep = if cut { 60 } else { usize::MAX };
        for c in part.chars().take(keep) {
            if written >= LONGEST {
                out.push_str("...");
                return out;
            }
            written += 1;
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
                out.extend(c.escape_debug());
            } else {
                out.push(c);
            }
        }
        if cut {
            out.push_str(&format!("... ({} characters)", part.chars().count()));
        }
    }
    out
}

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
    fn long_lines_are_windowed_around_the_column() {
        let line = format!("clusters: {}", "[".repeat(600));
        let (shown, caret) = snippet(&line, 266);
        assert!(
            shown.starts_with("...") && shown.ends_with("..."),
            "{shown}"
        );
        assert_eq!(shown.chars().count(), SNIPPET_WIDTH + 6);
        assert_eq!(caret.len(), 3 + SNIPPET_WIDTH / 2);
        let (shown, caret) = snippet("\tname: a\u{1b}", 3);
        assert_eq!(shown, "\tname: a\u{fffd}");
        assert_eq!(caret, "\t ");
    }

    #[test]
    fn messages_are_made_safe_and_short() {
        assert_eq!(clean("`a\u{1b}[31m`"), "`a\\u{1b}[31m`");
        let long = format!("`{}` is not a duration", "x".repeat(5000));
        let c = clean(&long);
        assert!(c.len() < 120 && c.contains("(5000 characters)"), "{c}");
        assert_eq!(split_lines("a\r\nb\rc\n"), ["a", "b", "c", ""]);
    }

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
