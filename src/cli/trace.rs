//! `pacsim trace import`: a public trace -> the canonical trace format.
//!
//! The importers (`crate::trace::import`) read streams; this module finds and opens the
//! files each format needs, and writes the output to a temporary name that is renamed
//! into place only when the import succeeded.

use super::{EXIT_INVALID_INPUT, EXIT_IO, EXIT_OK};
use crate::trace::canonical::{header, TraceRow};
use crate::trace::import::{self, Format, Input, Options, Report};
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Why an import could not run.
enum Failure {
    /// The source is missing or not what the format needs (exit 2).
    Input(String, String),
    /// The output could not be written (exit 3).
    Io(String),
}

fn open(path: &Path) -> Result<Input<'static>, Failure> {
    let f = std::fs::File::open(path).map_err(|e| {
        Failure::Input(
            format!("cannot open `{}`: {e}", path.display()),
            "check the path".into(),
        )
    })?;
    // Large buffers: traces are read once, front to back.
    Ok(Input::new(
        path.display().to_string(),
        BufReader::with_capacity(1 << 20, f),
    ))
}

/// The regular files of a folder, sorted byte-wise by name (a fixed order: CloudSim's
/// `listFiles()` order depends on the file system).
fn files_in(dir: &Path, keep: impl Fn(&str) -> bool) -> Result<Vec<PathBuf>, Failure> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Failure::Input(
            format!("cannot list `{}`: {e}", dir.display()),
            "give a folder or a file the format reads".into(),
        )
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| p.file_name().is_some_and(|n| keep(&n.to_string_lossy())))
        .collect();
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(files)
}

/// `dir/name`, which must exist.
fn needed(dir: &Path, name: &str, format: &str) -> Result<PathBuf, Failure> {
    let p = dir.join(name);
    if p.is_file() {
        Ok(p)
    } else {
        Err(Failure::Input(
            format!("`{}` has no `{name}`", dir.display()),
            format!("the {format} format reads a folder with `{name}`"),
        ))
    }
}

fn run_import(
    format: Format,
    src: &Path,
    opts: &Options,
    report: &mut Report,
    sink: &mut import::Sink,
) -> Result<(), Failure> {
    if !src.exists() {
        return Err(Failure::Input(
            format!("`{}` does not exist", src.display()),
            "check the path; a relative path starts from the current folder".into(),
        ));
    }
    let io = |e: std::io::Error| Failure::Io(e.to_string());
    match format {
        Format::PlanetLab if src.is_dir() => {
            let files = files_in(src, |n| !n.starts_with('.'))?;
            let inputs = files.iter().map(|f| open(f)).collect::<Result<_, _>>()?;
            import::planetlab_files(inputs, opts, report, sink).map_err(io)
        }
        Format::PlanetLab => import::planetlab_wide(open(src)?, opts, report, sink).map_err(io),
        Format::Azure => {
            let (table, dir) = if src.is_dir() {
                (needed(src, "vmtable.csv", "azure")?, src.to_path_buf())
            } else {
                let dir = src.parent().unwrap_or(Path::new(".")).to_path_buf();
                (src.to_path_buf(), dir)
            };
            let readings = files_in(&dir, |n| n.starts_with("vm_cpu_readings"))?;
            let inputs = readings.iter().map(|f| open(f)).collect::<Result<_, _>>()?;
            import::azure(open(&table)?, inputs, opts, report, sink).map_err(io)
        }
        Format::Alibaba2017 => {
            let file = if src.is_dir() {
                needed(src, "batch_task.csv", "alibaba2017")?
            } else {
                src.to_path_buf()
            };
            import::alibaba2017(open(&file)?, opts, report, sink).map_err(io)
        }
        Format::Bitbrains => {
            let files = if src.is_dir() {
                files_in(src, |n| !n.starts_with('.'))?
            } else {
                vec![src.to_path_buf()]
            };
            let inputs = files.iter().map(|f| open(f)).collect::<Result<_, _>>()?;
            import::bitbrains(inputs, opts, report, sink).map_err(io)
        }
        Format::OpenDc => {
            if !src.is_dir() {
                return Err(Failure::Input(
                    format!("`{}` is a file", src.display()),
                    "the opendc format reads a folder with tasks.csv and fragments.csv".into(),
                ));
            }
            let tasks = open(&needed(src, "tasks.csv", "opendc")?)?;
            let fragments = open(&needed(src, "fragments.csv", "opendc")?)?;
            import::opendc(tasks, fragments, opts, report, sink).map_err(io)
        }
    }
}

/// Imports `src` in `format` into the canonical trace at `out`; prints what was read,
/// written and skipped.
pub fn import_command(format: &str, src: &Path, out: &Path, opts: Options, quiet: bool) -> i32 {
    let Some(format) = Format::parse(format) else {
        eprintln!(
            "error: unknown trace format `{format}`\n   = hint: the formats are {}",
            Format::NAMES.join(", ")
        );
        return EXIT_INVALID_INPUT;
    };
    let mut tmp = out.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        if let Err(e) = std::fs::create_dir_all(parent) {
            eprintln!("pacsim: cannot create {}: {e}", parent.display());
            return EXIT_IO;
        }
    }
    let file = match std::fs::File::create(&tmp) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("pacsim: cannot write {}: {e}", tmp.display());
            return EXIT_IO;
        }
    };
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let mut report = Report::default();
    let result = w
        .write_all(header().as_bytes())
        .map_err(|e| Failure::Io(e.to_string()));
    let result = result.and_then(|_| {
        let mut sink = |row: TraceRow| {
            w.write_all(row.to_line().as_bytes())?;
            w.write_all(b"\n")
        };
        run_import(format, src, &opts, &mut report, &mut sink)
    });
    let result = result.and_then(|_| {
        w.flush()
            .and_then(|_| w.get_ref().sync_all())
            .map_err(|e| Failure::Io(e.to_string()))
    });
    drop(w);
    let fail = |code: i32| {
        let _ = std::fs::remove_file(&tmp);
        code
    };
    match result {
        Err(Failure::Input(msg, hint)) => {
            eprintln!("error: {msg}\n   = hint: {hint}");
            return fail(EXIT_INVALID_INPUT);
        }
        Err(Failure::Io(msg)) => {
            eprintln!("pacsim: cannot write {}: {msg}", out.display());
            return fail(EXIT_IO);
        }
        Ok(()) => {}
    }
    if report.workloads == 0 {
        eprint!("{}", report.render());
        eprintln!(
            "error: no workload in `{}` could be imported as {}\n   = hint: check the format; the lines above say why rows were skipped",
            src.display(),
            format.name()
        );
        return fail(EXIT_INVALID_INPUT);
    }
    if let Err(e) = std::fs::rename(&tmp, out) {
        eprintln!("pacsim: cannot write {}: {e}", out.display());
        return fail(EXIT_IO);
    }
    if !quiet {
        print!("{}", report.render());
        println!("  wrote {}", out.display());
    }
    EXIT_OK
}
