//! `pacsim sweep plan | run | merge`: the files, the environment and the terminal around
//! `crate::sweep`.
//!
//! A results folder holds `sweep.json` (the sweep's identity and shape), `runs/<i>.json`
//! (one record per run) and, after a merge, `sweep.csv`, `sweep-summary.csv` and
//! `plots/`. Each file is written to a temporary name unique to the writing process and
//! thread, then renamed: a run killed at any moment (even by SIGKILL) leaves either a
//! whole record or none, and several processes (Slurm array tasks, shards) can share a
//! folder. Records are not fsynced: a record torn by a power cut fails its check on the
//! next run and is run again.

use super::{EXIT_INVALID_INPUT, EXIT_IO, EXIT_OK};
use crate::report;
use crate::sweep::merge::{merge, SweepInfo};
use crate::sweep::run::{execute, PointError, RunRecord};
use crate::sweep::spec::group;
use crate::sweep::{load_sweep, Selection, Sweep};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

fn load(file: &Path) -> Result<Sweep, i32> {
    load_sweep(file).map_err(|e| {
        eprint!("{}", e.render());
        EXIT_INVALID_INPUT
    })
}

/// `pacsim sweep plan FILE [--count]`.
pub fn plan(file: &Path, count: bool) -> i32 {
    let sweep = match load(file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let result = if count {
        writeln!(out, "{}", sweep.runs())
    } else {
        (|| {
            writeln!(
                out,
                "# sweep {}: {} run(s) = {} point(s) x {} replication(s); the last axis varies fastest, replications fastest of all",
                sweep.name,
                sweep.runs(),
                sweep.points(),
                sweep.replications
            )?;
            let layout = report::sweep::PlanLayout::new(&sweep);
            writeln!(out, "{}", layout.header(&sweep))?;
            for i in 0..sweep.runs() {
                writeln!(out, "{}", layout.row(&sweep, &sweep.run_point(i)))?;
            }
            Ok(())
        })()
    };
    match result.and_then(|_| out.flush()) {
        Ok(()) => EXIT_OK,
        // A closed pipe (`| head`) is not an error worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(e) => {
            eprintln!("pacsim: cannot write the plan: {e}");
            EXIT_IO
        }
    }
}

/// Writes `bytes` to `path` through a temporary name unique to this process and thread.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}-{n}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let result = std::fs::write(&tmp, bytes).and_then(|_| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Threads for a sweep: `RAYON_NUM_THREADS` (rayon's own setting), else what Slurm gave
/// the task, else every core.
fn default_threads() -> usize {
    ["RAYON_NUM_THREADS", "SLURM_CPUS_PER_TASK"]
        .iter()
        .find_map(|var| {
            std::env::var(var)
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok())
                .filter(|&n| n > 0)
        })
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

fn run_file(dir: &Path, index: u64) -> PathBuf {
    dir.join("runs").join(format!("{index}.json"))
}

/// Reads `sweep.json` of a results folder: `Ok(None)` when there is none.
fn read_info(dir: &Path) -> Result<Option<SweepInfo>, String> {
    let path = dir.join("sweep.json");
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| format!("{} is not a sweep's record ({e})", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// `pacsim sweep run FILE [--all | --index I | --shard i/n] [--out DIR] [--threads N]`.
pub fn run(
    file: &Path,
    selection: Option<Selection>,
    out: Option<PathBuf>,
    threads: Option<usize>,
    quiet: bool,
) -> i32 {
    let started = Instant::now();
    let sweep = match load(file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let selection = match selection {
        Some(s) => s,
        None => match Selection::from_env(|k| std::env::var(k).ok()) {
            Some(Ok((s, var))) => {
                if !quiet {
                    eprintln!("pacsim: {var} is set: running that index");
                }
                s
            }
            Some(Err(msg)) => {
                eprintln!(
                    "error: {msg}\n   = hint: a scheduler sets it to a run index 0, 1, 2, ..."
                );
                return EXIT_INVALID_INPUT;
            }
            None => {
                eprintln!(
                    "error: say which runs of the sweep to run\n   = hint: --all runs every run here; --index I or --shard i/n runs a part (SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX, when set, gives the index)"
                );
                return EXIT_INVALID_INPUT;
            }
        },
    };
    let runs = sweep.runs();
    let indices = match selection.indices(runs) {
        Ok(v) => v,
        Err(msg) => {
            eprintln!(
                "error: {msg}\n   = hint: `pacsim sweep plan {} --count` prints the count",
                file.display()
            );
            return EXIT_INVALID_INPUT;
        }
    };
    let dir = out.unwrap_or_else(|| Path::new("results").join(&sweep.name));
    let info = SweepInfo::of(&sweep);
    match read_info(&dir) {
        Ok(Some(old)) if old.hash != info.hash => {
            eprintln!(
                "error: {} holds the results of another sweep (`{}`, hash {}; this sweep `{}` is {})\n   = hint: give another --out folder, or delete that one to start over",
                dir.display(),
                old.sweep,
                old.hash,
                info.sweep,
                info.hash
            );
            return EXIT_INVALID_INPUT;
        }
        Ok(_) => {}
        // A torn sweep.json is rewritten: each record names its sweep's hash anyway.
        Err(msg) if !msg.starts_with("cannot read") => {
            eprintln!("pacsim: warning: {msg}; writing it again");
        }
        Err(msg) => {
            eprintln!("pacsim: {msg}");
            return EXIT_IO;
        }
    }
    let meta = serde_json::to_string_pretty(&info).unwrap_or_default() + "\n";
    if let Err(e) = std::fs::create_dir_all(dir.join("runs"))
        .and_then(|_| write_atomic(&dir.join("sweep.json"), meta.as_bytes()))
    {
        eprintln!("pacsim: cannot write to {}: {e}", dir.display());
        return EXIT_IO;
    }

    // Resume: a whole, valid record is kept; anything else is run (again).
    let checked: Vec<(u64, Option<String>, bool)> = indices
        .par_iter()
        .map(|&i| match std::fs::read_to_string(run_file(&dir, i)) {
            Ok(text) => match RunRecord::parse(&text, &info.hash, i) {
                Ok(_) => (i, None, true),
                Err(why) => (i, Some(why), false),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (i, None, false),
            Err(e) => (i, Some(format!("it cannot be read ({e})")), false),
        })
        .collect();
    let done_before = checked.iter().filter(|c| c.2).count();
    let mut corrupt = 0;
    for (i, why, _) in &checked {
        if let Some(why) = why {
            corrupt += 1;
            eprintln!(
                "pacsim: {} is not a valid result: {why}; running it again",
                run_file(&dir, *i).display()
            );
        }
    }
    let todo: Vec<u64> = checked.iter().filter(|c| !c.2).map(|c| c.0).collect();

    let invalid = sweep.invalid_points(&todo);
    if !invalid.is_empty() {
        report_invalid(&sweep, &invalid);
        return EXIT_INVALID_INPUT;
    }

    let threads = threads
        .unwrap_or_else(default_threads)
        .clamp(1, todo.len().max(1));
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        let b =
            ProgressBar::with_draw_target(Some(todo.len() as u64), ProgressDrawTarget::stderr());
        b.set_style(
            ProgressStyle::with_template(
                "{spinner} sweep [{bar:40}] {pos}/{len} runs, {elapsed} elapsed, eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        b
    };
    let result = execute(&sweep, &todo, threads, &|i,
                                                   rec|
     -> Result<(), (i32, String)> {
        let rec = rec.map_err(|e| {
            let msg = format!(
                "error: run {i} is not a valid scenario\n{}",
                e.error.render()
            );
            (EXIT_INVALID_INPUT, msg)
        })?;
        write_atomic(&run_file(&dir, i), rec.to_json().as_bytes()).map_err(|e| {
            let msg = format!("pacsim: cannot write {}: {e}", run_file(&dir, i).display());
            (EXIT_IO, msg)
        })?;
        bar.inc(1);
        Ok(())
    });
    bar.finish_and_clear();
    if let Err((code, msg)) = result {
        eprintln!("{msg}");
        return code;
    }
    if !quiet {
        eprintln!(
            "sweep {}: ran {} run(s) on {threads} thread(s) in {:.2} s ({done_before} already done{}); {} of {} runs in {}",
            sweep.name,
            todo.len(),
            started.elapsed().as_secs_f64(),
            if corrupt > 0 {
                format!(", {corrupt} invalid re-run")
            } else {
                String::new()
            },
            match selection {
                Selection::All => "all".to_string(),
                Selection::Index(i) => format!("index {i}"),
                Selection::Shard { i, n } => format!("shard {i}/{n}"),
            },
            group(runs as u128),
            dir.display()
        );
    }
    EXIT_OK
}

fn report_invalid(sweep: &Sweep, invalid: &[PointError]) {
    const SHOWN: usize = 5;
    for p in invalid.iter().take(SHOWN) {
        eprintln!(
            "error: point {} of sweep `{}` is not a valid scenario (its axes set: {})",
            p.point,
            sweep.name,
            p.values.join(" ")
        );
        eprint!("{}", p.error.render());
        eprintln!();
    }
    if invalid.len() > SHOWN {
        eprintln!("... and {} more invalid points", invalid.len() - SHOWN);
    }
    eprintln!(
        "   = hint: each axis value is valid alone, but not with the others at these points; narrow the axes so every combination is a valid scenario"
    );
}

/// `pacsim sweep merge DIR [--no-plots]`.
pub fn merge_dir(dir: &Path, plots: bool, quiet: bool) -> i32 {
    let started = Instant::now();
    let info = match read_info(dir) {
        Ok(Some(i)) => i,
        Ok(None) => {
            eprintln!(
                "error: {} is not a sweep's results folder (it has no sweep.json)\n   = hint: give the folder that `pacsim sweep run` wrote (--out, default results/<sweep name>/)",
                dir.display()
            );
            return EXIT_INVALID_INPUT;
        }
        Err(msg) => {
            eprintln!("error: {msg}\n   = hint: run `pacsim sweep run` on this folder again to rewrite it");
            return EXIT_INVALID_INPUT;
        }
    };
    if let Err(msg) = info.check() {
        eprintln!("error: {}/sweep.json: {msg}\n   = hint: run `pacsim sweep run` on this folder again to rewrite it", dir.display());
        return EXIT_INVALID_INPUT;
    }
    enum Got {
        Ok(Box<RunRecord>),
        Missing,
        Bad(String),
    }
    let got: Vec<Got> = (0..info.runs)
        .into_par_iter()
        .map(|i| match std::fs::read_to_string(run_file(dir, i)) {
            Ok(text) => match RunRecord::parse(&text, &info.hash, i) {
                Ok(r) => Got::Ok(Box::new(r)),
                Err(why) => Got::Bad(why),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Got::Missing,
            Err(e) => Got::Bad(format!("it cannot be read ({e})")),
        })
        .collect();
    let missing: Vec<u64> = (0..info.runs)
        .filter(|&i| matches!(got[i as usize], Got::Missing))
        .collect();
    let mut bad = 0;
    for (i, g) in got.iter().enumerate() {
        if let Got::Bad(why) = g {
            bad += 1;
            if bad <= 10 {
                eprintln!(
                    "error: {} is not a valid result: {why}; it is not merged",
                    run_file(dir, i as u64).display()
                );
            }
        }
    }
    if !missing.is_empty() || bad > 0 {
        if !missing.is_empty() {
            let shown: Vec<String> = missing.iter().take(10).map(u64::to_string).collect();
            eprintln!(
                "error: {} of {} runs have no result yet (index {}{})",
                missing.len(),
                info.runs,
                shown.join(", "),
                if missing.len() > 10 { ", ..." } else { "" }
            );
        }
        eprintln!(
            "   = hint: `pacsim sweep run FILE --all --out {}` runs just what is missing or invalid, then merge again",
            dir.display()
        );
        return EXIT_INVALID_INPUT;
    }
    let records: Vec<RunRecord> = got
        .into_iter()
        .filter_map(|g| match g {
            Got::Ok(r) => Some(*r),
            _ => None,
        })
        .collect();
    let merged = match merge(info, &records) {
        Ok(m) => m,
        Err(msg) => {
            eprintln!("pacsim: internal error merging: {msg}");
            return super::EXIT_INTERNAL;
        }
    };
    let mut files = vec![
        report::OutputFile {
            path: "sweep.csv".into(),
            bytes: report::sweep::runs_csv(&merged).into_bytes(),
        },
        report::OutputFile {
            path: "sweep-summary.csv".into(),
            bytes: report::sweep::summary_csv(&merged).into_bytes(),
        },
    ];
    let mut charts = 0;
    if plots {
        match report::plot::sweep::all(&merged) {
            Ok(all) => {
                for (name, png, svg) in all {
                    charts += 1;
                    files.push(report::OutputFile {
                        path: format!("plots/{name}.png").into(),
                        bytes: png,
                    });
                    files.push(report::OutputFile {
                        path: format!("plots/{name}.svg").into(),
                        bytes: svg.into_bytes(),
                    });
                }
            }
            Err(e) => {
                eprintln!("pacsim: cannot draw the sweep's charts: {e}");
                return super::EXIT_INTERNAL;
            }
        }
    }
    if let Err(e) = report::write_all(dir, &files) {
        eprintln!("pacsim: cannot write to {}: {e}", dir.display());
        return EXIT_IO;
    }
    if !quiet {
        println!(
            "merged {} run(s) of {} point(s) into {}/sweep.csv and sweep-summary.csv{}",
            merged.runs.len(),
            merged.points.len(),
            dir.display(),
            if charts > 0 {
                format!(", {charts} chart(s) in plots/")
            } else {
                String::new()
            }
        );
        eprintln!("merge took {:.3} s", started.elapsed().as_secs_f64());
    }
    EXIT_OK
}
