//! Importers: public trace formats -> canonical rows ([`super::canonical`]).
//!
//! Every importer reads its inputs as streams (line by line) and hands each finished
//! workload to a sink, so the input is never held whole; what it keeps is at most the
//! output (per-workload series that the source interleaves, as Azure's readings do).
//! A malformed row never stops an import: it is skipped, and the [`Report`] says how
//! many rows were skipped for each reason and where the first one was.
//!
//! The importers know nothing of files: they read [`Input`]s that the command line
//! opens (`pacsim trace import`).

mod alibaba;
mod azure;
mod bitbrains;
mod opendc;
mod planetlab;

use super::canonical::TraceRow;
use std::collections::BTreeMap;
use std::io::BufRead;

pub use alibaba::alibaba2017;
pub use azure::azure;
pub use bitbrains::bitbrains;
pub use opendc::opendc;
pub use planetlab::{planetlab_files, planetlab_wide};

/// The formats `pacsim trace import --format` knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// CloudSim's PlanetLab CPU traces: a folder of per-VM files of 288 percentages, or
    /// the one-row-per-VM CSV (`vm_trace_file,u000,...`).
    PlanetLab,
    /// Azure Public Dataset V1: `vmtable.csv` and `vm_cpu_readings-*.csv`.
    Azure,
    /// Alibaba cluster-trace v2017 `batch_task.csv`.
    Alibaba2017,
    /// Bitbrains GWA-T-12 per-VM files (`;`-separated, 300 s samples).
    Bitbrains,
    /// OpenDC's workload trace as CSV: `tasks.csv` and `fragments.csv`.
    OpenDc,
}

impl Format {
    pub const NAMES: [&'static str; 5] =
        ["planetlab", "azure", "alibaba2017", "bitbrains", "opendc"];

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    pub fn parse(name: &str) -> Option<Format> {
        Some(match name {
            "planetlab" => Format::PlanetLab,
            "azure" => Format::Azure,
            "alibaba2017" => Format::Alibaba2017,
            "bitbrains" => Format::Bitbrains,
            "opendc" => Format::OpenDc,
            _ => return None,
        })
    }
}

/// Importer settings (the command line's flags).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Options {
    /// Interval of the canonical series, seconds. Default 300 s: the sampling interval of
    /// the PlanetLab, Azure V1 and Bitbrains traces.
    pub interval_s: f64,
    /// MiB that a normalised memory of 1.0 stands for (Alibaba 2017 normalises memory
    /// to the largest machine); without it such memory is left empty.
    pub normalised_memory_mib: Option<f64>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            interval_s: 300.0,
            normalised_memory_mib: None,
        }
    }
}

/// How often something happened, and where the first time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tally {
    pub count: u64,
    pub first: String,
}

/// What an import did: rows read, workloads written, and every row skipped or repaired,
/// by reason.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub rows_read: u64,
    pub workloads: u64,
    /// Rows (or whole workloads) left out.
    pub skipped: BTreeMap<String, Tally>,
    /// Rows kept but changed (clamped, gaps filled, short series).
    pub warnings: BTreeMap<String, Tally>,
}

impl Report {
    fn bump(map: &mut BTreeMap<String, Tally>, reason: String, at: String) {
        map.entry(reason)
            .and_modify(|t| t.count += 1)
            .or_insert(Tally {
                count: 1,
                first: at,
            });
    }

    pub fn skip(&mut self, reason: impl Into<String>, at: impl Into<String>) {
        Self::bump(&mut self.skipped, reason.into(), at.into());
    }

    pub fn warn(&mut self, reason: impl Into<String>, at: impl Into<String>) {
        Self::bump(&mut self.warnings, reason.into(), at.into());
    }

    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().map(|t| t.count).sum()
    }

    /// A human summary, one line per reason.
    pub fn render(&self) -> String {
        let mut s = format!(
            "{} row(s) read, {} workload(s) written, {} row(s) skipped\n",
            self.rows_read,
            self.workloads,
            self.skipped_total()
        );
        for (title, map) in [("skipped", &self.skipped), ("repaired", &self.warnings)] {
            for (reason, t) in map {
                s.push_str(&format!(
                    "  {title}: {} x {reason} (first at {})\n",
                    t.count, t.first
                ));
            }
        }
        s
    }
}

/// A named input stream (the name is used in messages: `file:line`).
pub struct Input<'a> {
    pub name: String,
    pub reader: Box<dyn BufRead + 'a>,
}

impl<'a> Input<'a> {
    pub fn new(name: impl Into<String>, reader: impl BufRead + 'a) -> Self {
        Input {
            name: name.into(),
            reader: Box::new(reader),
        }
    }
}

/// Where a row sends finished workloads; an error (the output cannot be written) stops
/// the import.
pub type Sink<'s> = dyn FnMut(TraceRow) -> std::io::Result<()> + 's;

/// Calls `f(line_number, text)` for every line of `input`, as a stream. Lines that are
/// not UTF-8 are skipped and reported; a read error ends the input (reported) without
/// failing the import.
fn for_each_line(
    input: &mut Input,
    report: &mut Report,
    mut f: impl FnMut(usize, &str, &mut Report) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut n = 0usize;
    loop {
        buf.clear();
        match input.reader.read_until(b'\n', &mut buf) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) => {
                report.skip(
                    format!("unreadable input ({e})"),
                    format!("{}:{}", input.name, n + 1),
                );
                return Ok(());
            }
        }
        n += 1;
        match std::str::from_utf8(&buf) {
            Ok(text) => {
                let text = text.trim_end_matches(['\n', '\r']);
                let text = if n == 1 {
                    text.trim_start_matches('\u{feff}')
                } else {
                    text
                };
                f(n, text, report)?;
            }
            Err(_) => {
                report.rows_read += 1;
                report.skip("line is not UTF-8 text", format!("{}:{n}", input.name));
            }
        }
    }
}

/// Calls `f(location, cells, report)` for every comma-separated row of `input` (blank
/// lines skipped), counting it as read; a first row whose cell `header` is not a number
/// is a header and skipped. A row with an unclosed quote is skipped and reported.
fn for_each_csv_row(
    input: &mut Input,
    report: &mut Report,
    header: usize,
    mut f: impl FnMut(String, &[std::borrow::Cow<str>], &mut Report) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let name = input.name.clone();
    let mut first = true;
    for_each_line(input, report, |n, text, report| {
        if text.trim().is_empty() {
            return Ok(());
        }
        let here = at(&name, n);
        let Ok(cells) = super::csvline::split(text, ',') else {
            report.rows_read += 1;
            report.skip("unclosed quote", here);
            return Ok(());
        };
        if std::mem::take(&mut first) && cells.get(header).is_none_or(|c| number(c).is_err()) {
            return Ok(());
        }
        report.rows_read += 1;
        f(here, &cells, report)
    })
}

/// A number in a cell, or why not.
fn number(cell: &str) -> Result<f64, String> {
    let t = cell.trim();
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ if t.is_empty() => Err("empty field".into()),
        _ => Err(format!("`{t}` is not a number")),
    }
}

/// A percentage sample as a fraction, or the reason it is refused (values above 100 %
/// are the caller's to refuse or clamp).
fn percent(cell: &str) -> Result<f64, &'static str> {
    match number(cell) {
        Err(_) => Err("non-numeric sample"),
        Ok(v) if v < 0.0 => Err("negative utilisation"),
        Ok(v) => Ok(v / 100.0),
    }
}

/// Fills missing samples (NaN) by holding the previous value (the first ones take the
/// first known value); returns how many were filled.
fn hold_gaps(series: &mut [f32]) -> usize {
    let Some(first) = series.iter().copied().find(|v| !v.is_nan()) else {
        return 0;
    };
    let mut last = first;
    let mut filled = 0;
    for v in series.iter_mut() {
        if v.is_nan() {
            *v = last;
            filled += 1;
        } else {
            last = *v;
        }
    }
    filled
}

/// `file:line`.
fn at(input: &str, line: usize) -> String {
    format!("{input}:{line}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_hold_the_previous_value() {
        let mut s = vec![f32::NAN, 0.5, f32::NAN, f32::NAN, 0.2];
        assert_eq!(hold_gaps(&mut s), 3);
        assert_eq!(s, vec![0.5, 0.5, 0.5, 0.5, 0.2]);
    }

    #[test]
    fn the_report_counts_each_reason_once_with_its_first_place() {
        let mut r = Report::default();
        r.skip("negative utilisation", "a:3");
        r.skip("negative utilisation", "a:9");
        assert_eq!(
            r.skipped["negative utilisation"],
            Tally {
                count: 2,
                first: "a:3".into()
            }
        );
        assert!(r
            .render()
            .contains("2 x negative utilisation (first at a:3)"));
    }
}
