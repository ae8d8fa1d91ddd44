//! Turning a finished run into files: `summary.json`, `timeseries.csv`, `host_cpu.csv`,
//! `plots/*.png|svg`, and writing them so that an interrupted run never leaves a
//! half-written file that looks whole.
//!
//! Everything is rendered in memory first; then each file is written to `<name>.tmp`
//! and renamed into place, `summary.json` last, so its presence means the run's outputs
//! are complete.

pub mod capacity;
pub mod capacity_page;
pub mod compare;
pub mod compare_page;
pub mod html;
pub mod plot;
pub mod run_page;
pub mod sweep;
pub mod sweep_page;
pub mod table;
pub mod tabulate;
pub mod traffic;

use crate::metrics::{summarize, Recorder};
use crate::model::World;
use crate::scenario::Scenario;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// One output file: its path relative to the output folder, and its bytes.
pub struct OutputFile {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

/// Which outputs to produce.
#[derive(Clone, Copy, Debug)]
pub struct OutputOptions {
    pub plots: bool,
}

/// Renders every output of a run, in the order they must be written.
pub fn render(
    scenario: &Scenario,
    world: &World,
    rec: &Recorder,
    opts: OutputOptions,
) -> Result<Vec<OutputFile>, String> {
    let mut files = vec![
        OutputFile {
            path: "timeseries.csv".into(),
            bytes: timeseries_csv(rec).into_bytes(),
        },
        OutputFile {
            path: "host_cpu.csv".into(),
            bytes: host_cpu_csv(rec).into_bytes(),
        },
        // One line per DRS pass: the "why" of every migration.
        OutputFile {
            path: "drs.jsonl".into(),
            bytes: rec
                .drs_log
                .iter()
                .flat_map(|l| [l.as_str(), "\n"])
                .collect::<String>()
                .into_bytes(),
        },
    ];
    if !rec.explain_log.is_empty() {
        files.push(OutputFile {
            path: "explain.jsonl".into(),
            bytes: rec
                .explain_log
                .iter()
                .flat_map(|l| [l.as_str(), "\n"])
                .collect::<String>()
                .into_bytes(),
        });
    }
    if !rec.consolidation_log.is_empty() {
        // One line per consolidation pass: what it found and every migration it started.
        files.push(OutputFile {
            path: "consolidation.jsonl".into(),
            bytes: rec
                .consolidation_log
                .iter()
                .flat_map(|l| [l.as_str(), "\n"])
                .collect::<String>()
                .into_bytes(),
        });
    }
    if let Some(sup) = &rec.sup {
        // Supervisor clusters: every started pod's stage-by-stage start-up.
        files.push(OutputFile {
            path: "pod_startup.csv".into(),
            bytes: sup.startup_csv(world).into_bytes(),
        });
    }
    files.extend(traffic::files(rec, world));
    if opts.plots {
        let mut charts = plot::all(rec)?;
        charts.extend(plot::traffic::all(rec, world)?);
        files.extend(chart_files(charts));
    }
    let summary = summarize(scenario, world, rec);
    let mut json = serde_json::to_string_pretty(&summary).map_err(|e| e.to_string())?;
    json.push('\n');
    files.push(OutputFile {
        path: "summary.json".into(),
        bytes: json.into_bytes(),
    });
    Ok(files)
}

/// The run report's file name.
pub const REPORT_HTML: &str = "report.html";

/// Adds `report.html`, drawn from `files` as they will be on disk, just before
/// `summary.json` (which stays last, so its presence still means the outputs are whole).
pub fn add_run_report(files: &mut Vec<OutputFile>) -> Result<(), run_page::OutputError> {
    let html = run_page::render_files(files)?;
    let at = files
        .iter()
        .position(|f| f.path == Path::new(run_page::outputs::SUMMARY))
        .unwrap_or(files.len());
    files.insert(
        at,
        OutputFile {
            path: REPORT_HTML.into(),
            bytes: html.into_bytes(),
        },
    );
    Ok(())
}

/// Charts as `plots/<name>.png` and `plots/<name>.svg`.
pub fn chart_files(charts: Vec<plot::Chart>) -> Vec<OutputFile> {
    let mut files = Vec::with_capacity(2 * charts.len());
    for (name, png, svg) in charts {
        files.push(OutputFile {
            path: format!("plots/{name}.png").into(),
            bytes: png,
        });
        files.push(OutputFile {
            path: format!("plots/{name}.svg").into(),
            bytes: svg.into_bytes(),
        });
    }
    files
}

/// Writes `files` under `dir`, each through a temporary name and a rename.
pub fn write_all(dir: &Path, files: &[OutputFile]) -> std::io::Result<()> {
    for f in files {
        let path = dir.join(&f.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut tmp = path.clone().into_os_string();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        {
            let mut out = std::fs::File::create(&tmp)?;
            out.write_all(&f.bytes)?;
            out.sync_all()?;
        }
        std::fs::rename(&tmp, &path)?;
    }
    Ok(())
}

/// Per-cluster series, one row per sample; `time_s` first.
pub fn timeseries_csv(rec: &Recorder) -> String {
    let mut out = String::from("time_s");
    const COLS: [&str; 11] = [
        "hosts_on",
        "cpu_util",
        "mem_util",
        "cpu_reserved",
        "mem_reserved",
        "imbalance",
        "vms_running",
        "pods_starting",
        "pods_running",
        "pending",
        "power_w",
    ];
    for c in &rec.cluster_names {
        for col in COLS {
            let _ = write!(out, ",{}", csv_field(&format!("{c}.{col}")));
        }
    }
    out.push('\n');
    for s in &rec.samples {
        let _ = write!(out, "{}", s.time.as_secs_f64());
        for c in &s.clusters {
            let _ = write!(
                out,
                ",{},{:.6},{:.6},{:.6},{:.6},{:.6},{},{},{},{},{:.3}",
                c.hosts_on,
                c.cpu_util,
                c.mem_util,
                c.cpu_reserved,
                c.mem_reserved,
                c.imbalance,
                c.vms_running,
                c.pods_starting,
                c.pods_running,
                c.pending,
                c.power_w
            );
        }
        out.push('\n');
    }
    out
}

/// Label of column `i` of the per-host series.
pub fn host_column_label(rec: &Recorder, i: usize) -> String {
    let per = rec.hosts_per_column;
    if per == 1 {
        rec.host_names[i].clone()
    } else {
        let last = ((i + 1) * per).min(rec.host_names.len()) - 1;
        format!("{}..{}", rec.host_names[i * per], rec.host_names[last])
    }
}

/// CPU utilisation of every host (or group of neighbouring hosts) at every sample.
pub fn host_cpu_csv(rec: &Recorder) -> String {
    let cols = rec.host_columns();
    let mut out = String::from("time_s");
    for i in 0..cols {
        let _ = write!(out, ",{}", csv_field(&host_column_label(rec, i)));
    }
    out.push('\n');
    for (row, s) in rec.samples.iter().enumerate() {
        let _ = write!(out, "{}", s.time.as_secs_f64());
        for v in &rec.host_cpu[row * cols..(row + 1) * cols] {
            let _ = write!(out, ",{v:.4}");
        }
        out.push('\n');
    }
    out
}

/// A CSV field as RFC 4180 writes it: quoted (with quotes doubled) when it holds a comma,
/// a quote or a line break, so a name with any of them does not shift the columns.
pub fn csv_field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s.into()
    }
}
