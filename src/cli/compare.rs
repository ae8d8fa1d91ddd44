//! `pacsim compare BASELINE CANDIDATE [--tolerance FILE]`: reads the two results and the
//! tolerance file, prints the table, exits 1 on a regression.

use super::{EXIT_GATE, EXIT_INVALID_INPUT, EXIT_OK};
use crate::compare::tolerance::Tolerances;
use crate::compare::{compare, Table};
use crate::report;
use std::path::{Path, PathBuf};

/// A results folder or file: `summary.json` (or a run's folder) or `sweep-summary.csv`
/// (or a merged sweep's folder).
fn read_table(path: &Path) -> Result<Table, String> {
    let file: PathBuf = if path.is_dir() {
        let summary = path.join("summary.json");
        let sweep = path.join("sweep-summary.csv");
        if summary.is_file() {
            summary
        } else if sweep.is_file() {
            sweep
        } else if path.join("sweep.json").is_file() {
            return Err(format!(
                "{} is a sweep that is not merged yet: run `pacsim sweep merge {}` first",
                path.display(),
                path.display()
            ));
        } else {
            return Err(format!(
                "{} has neither summary.json nor sweep-summary.csv",
                path.display()
            ));
        }
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(&file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let parsed = if file.extension().is_some_and(|e| e == "csv") {
        Table::from_sweep_summary_csv(&text)
    } else {
        Table::from_summary_json(&text)
    };
    parsed.map_err(|why| format!("{} cannot be compared: {why}", file.display()))
}

pub fn run(baseline: &Path, candidate: &Path, tolerance: Option<&Path>, all: bool) -> i32 {
    let refuse = |msg: String| {
        eprintln!(
            "error: {msg}\n   = hint: compare two summary.json files (or run folders), or two merged sweeps (sweep-summary.csv or their folders)"
        );
        EXIT_INVALID_INPUT
    };
    let tol = match tolerance {
        None => Tolerances::default(),
        Some(p) => {
            let text = match crate::scenario::load::read_text(p) {
                Ok(t) => t,
                Err(e) => {
                    eprint!(
                        "{}",
                        e.render().replace("the scenario", "the tolerance file")
                    );
                    return EXIT_INVALID_INPUT;
                }
            };
            match Tolerances::parse(&p.display().to_string(), &text) {
                Ok(t) => t,
                Err(e) => {
                    eprint!("{}", e.render());
                    return EXIT_INVALID_INPUT;
                }
            }
        }
    };
    let (b, c) = match (read_table(baseline), read_table(candidate)) {
        (Ok(b), Ok(c)) => (b, c),
        (Err(m), _) | (_, Err(m)) => return refuse(m),
    };
    let names = (
        baseline.display().to_string(),
        candidate.display().to_string(),
    );
    let cmp = match compare(&b, &c, &tol, (&names.0, &names.1)) {
        Ok(c) => c,
        Err(m) => return refuse(m),
    };
    print!("{}", report::compare::text(&cmp, all));
    if cmp.regressions() > 0 {
        EXIT_GATE
    } else {
        EXIT_OK
    }
}
