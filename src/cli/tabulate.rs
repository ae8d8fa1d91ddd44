//! `pacsim tabulate DIR`: the comparison table and charts of groups of runs. Each
//! folder directly under DIR is a group (its name labels it); every `summary.json` found
//! below it is one of its runs.

use super::{EXIT_INVALID_INPUT, EXIT_IO, EXIT_OK};
use crate::report::{self, OutputFile};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Every `summary.json` below `dir`, in sorted path order.
fn summaries(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            summaries(&p, out)?;
        } else if p.file_name().is_some_and(|n| n == "summary.json") {
            out.push(p);
        }
    }
    Ok(())
}

pub fn tabulate_command(dir: &Path, out: Option<PathBuf>, quiet: bool) -> i32 {
    let groups_dirs = match std::fs::read_dir(dir) {
        Ok(e) => {
            let mut v: Vec<PathBuf> = e
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect();
            v.sort();
            v
        }
        Err(e) => {
            eprintln!(
                "error: cannot read `{}`: {e}\n   = hint: give a folder with one folder of runs per policy",
                dir.display()
            );
            return EXIT_INVALID_INPUT;
        }
    };
    let mut groups: Vec<(String, Vec<Value>)> = Vec::new();
    for g in groups_dirs {
        let mut files = Vec::new();
        if let Err(e) = summaries(&g, &mut files) {
            eprintln!("error: cannot read `{}`: {e}", g.display());
            return EXIT_INVALID_INPUT;
        }
        let mut runs = Vec::new();
        for f in files {
            let parsed = std::fs::read_to_string(&f)
                .map_err(|e| e.to_string())
                .and_then(|t| serde_json::from_str::<Value>(&t).map_err(|e| e.to_string()));
            match parsed {
                Ok(v) => runs.push(v),
                Err(e) => {
                    eprintln!(
                        "error: `{}` is not a summary: {e}\n   = hint: an interrupted run leaves no summary.json; rerun it",
                        f.display()
                    );
                    return EXIT_INVALID_INPUT;
                }
            }
        }
        if !runs.is_empty() {
            let label = g
                .file_name()
                .map_or(String::new(), |n| n.to_string_lossy().into_owned());
            groups.push((label, runs));
        }
    }
    if groups.is_empty() {
        eprintln!(
            "error: no summary.json under `{}`\n   = hint: DIR holds one folder per policy, each with the runs' output folders",
            dir.display()
        );
        return EXIT_INVALID_INPUT;
    }
    let rows = report::tabulate::table(&groups);
    let md = report::tabulate::markdown(&rows);
    let mut files = vec![
        OutputFile {
            path: "comparison.csv".into(),
            bytes: report::tabulate::csv(&rows).into_bytes(),
        },
        OutputFile {
            path: "comparison.md".into(),
            bytes: md.clone().into_bytes(),
        },
    ];
    match report::plot::compare::charts(&rows) {
        Ok(charts) => files.extend(report::chart_files(charts)),
        Err(e) => {
            eprintln!("pacsim: cannot draw the charts: {e}");
            return super::EXIT_INTERNAL;
        }
    }
    let out = out.unwrap_or_else(|| dir.to_path_buf());
    if let Err(e) = report::write_all(&out, &files) {
        eprintln!("pacsim: cannot write to {}: {e}", out.display());
        return EXIT_IO;
    }
    if !quiet {
        print!("{md}");
        println!("  wrote {}", out.display());
    }
    EXIT_OK
}
