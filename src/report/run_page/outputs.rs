//! Reading a run's output files back, for its report: from memory right after a run, or
//! from a folder for `pacsim report DIR`. Both go through the same checks, so the page is
//! the same bytes either way.
//!
//! A report is only drawn from outputs that are whole: each file must parse completely
//! (a truncated or hand-edited file fails here with its name and what is wrong), and the
//! files must agree with each other (as many time-series rows as host rows, every plot
//! with both its PNG and its SVG).

use crate::report::html::svg::{inline, InlineSvg};
use crate::report::OutputFile;
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The files every run writes.
pub const SUMMARY: &str = "summary.json";
pub const TIMESERIES: &str = "timeseries.csv";
pub const HOST_CPU: &str = "host_cpu.csv";
pub const DRS_LOG: &str = "drs.jsonl";
/// Wall-clock figures: linked, never read (they differ between identical runs).
pub const RUN_JSON: &str = "run.json";

/// Why a report cannot be drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputError {
    /// The file, relative to the output folder ("" for the folder itself).
    pub file: String,
    pub problem: String,
    pub hint: String,
    /// Reading failed (permissions, a device error) rather than the content being wrong.
    pub io: bool,
}

impl OutputError {
    fn broken(file: &str, problem: impl Into<String>) -> Self {
        OutputError {
            file: file.into(),
            problem: problem.into(),
            hint: "the file was truncated or edited; run the scenario again to write it anew"
                .into(),
            io: false,
        }
    }

    /// The message, naming the file under `dir`.
    pub fn render(&self, dir: &Path) -> String {
        let path = if self.file.is_empty() {
            dir.display().to_string()
        } else {
            dir.join(&self.file).display().to_string()
        };
        format!("error: {path}: {}\n  = hint: {}\n", self.problem, self.hint)
    }
}

/// Where a run's files come from.
pub trait Source {
    /// The bytes of `rel` (relative to the output folder), `None` if there is no such file.
    fn read(&self, rel: &str) -> Result<Option<Cow<'_, [u8]>>, OutputError>;
    /// Every file name under `plots/`, sorted.
    fn plot_files(&self) -> Result<Vec<String>, OutputError>;
}

impl Source for [OutputFile] {
    fn read(&self, rel: &str) -> Result<Option<Cow<'_, [u8]>>, OutputError> {
        Ok(self
            .iter()
            .find(|f| f.path == Path::new(rel))
            .map(|f| Cow::Borrowed(f.bytes.as_slice())))
    }
    fn plot_files(&self) -> Result<Vec<String>, OutputError> {
        let mut v: Vec<String> = self
            .iter()
            .filter_map(|f| f.path.strip_prefix("plots").ok())
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        v.sort();
        Ok(v)
    }
}

/// A run's output folder on disk.
pub struct Dir(pub PathBuf);

impl Source for Dir {
    fn read(&self, rel: &str) -> Result<Option<Cow<'_, [u8]>>, OutputError> {
        match std::fs::read(self.0.join(rel)) {
            Ok(b) => Ok(Some(Cow::Owned(b))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(OutputError {
                file: rel.into(),
                problem: format!("cannot be read: {e}"),
                hint: "check the file's permissions".into(),
                io: true,
            }),
        }
    }
    fn plot_files(&self) -> Result<Vec<String>, OutputError> {
        let dir = self.0.join("plots");
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(OutputError {
                    file: "plots".into(),
                    problem: format!("cannot be listed: {e}"),
                    hint: "check the folder's permissions".into(),
                    io: true,
                })
            }
        };
        let mut v = Vec::new();
        for e in entries {
            let e = e.map_err(|e| OutputError {
                file: "plots".into(),
                problem: format!("cannot be listed: {e}"),
                hint: "check the folder's permissions".into(),
                io: true,
            })?;
            let name = e.file_name().to_string_lossy().into_owned();
            // Left-overs of an interrupted write are not plots.
            if !name.ends_with(".tmp") {
                v.push(name);
            }
        }
        v.sort();
        Ok(v)
    }
}

/// The scenario's identity, as `summary.json` records it.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub pacsim_version: String,
    pub name: String,
    pub seed: u64,
    pub duration_s: f64,
    pub hash: String,
}

/// One DRS balancing pass, a line of `drs.jsonl` (`"kind": "balance"`, or no `kind` in
/// the first format). Fields this page does not use are ignored, so later additions to
/// the log do not break it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DrsPass {
    pub time_s: f64,
    pub cluster: String,
    pub level: u32,
    pub hosts: u64,
    pub imbalance_before: f64,
    pub target: Option<f64>,
    pub imbalance_after: f64,
    /// `imbalance` or `drs-score` (absent in the first format: imbalance).
    #[serde(default)]
    pub policy: Option<String>,
    pub recommendations: Vec<Recommendation>,
}

/// One host emptied by mandatory moves (`"kind": "evacuation"`): maintenance or standby.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Evacuation {
    pub time_s: f64,
    pub cluster: String,
    pub host: String,
    pub recommendations: Vec<Recommendation>,
}

/// One move DRS recommended; mandatory moves (priority 1) of an evacuation carry no gain.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Recommendation {
    pub vm: String,
    pub from: String,
    pub to: String,
    pub reason: String,
    pub priority: u32,
    #[serde(default)]
    pub gain: Option<f64>,
}

/// The lines of `drs.jsonl`, by kind.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DrsLog {
    pub passes: Vec<DrsPass>,
    pub evacuations: Vec<Evacuation>,
}

impl DrsLog {
    pub fn is_empty(&self) -> bool {
        self.passes.is_empty() && self.evacuations.is_empty()
    }
}

/// A CSV of numbers with a header: the column names and the columns.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Columns {
    pub names: Vec<String>,
    /// `values[c][row]`.
    pub values: Vec<Vec<f64>>,
}

impl Columns {
    pub fn rows(&self) -> usize {
        self.values.first().map_or(0, Vec::len)
    }
    pub fn column(&self, name: &str) -> Option<&[f64]> {
        let i = self.names.iter().position(|n| n == name)?;
        Some(&self.values[i])
    }
}

/// Everything a run report is drawn from.
#[derive(Debug, Clone)]
pub struct RunOutputs {
    pub identity: Identity,
    /// `summary.json`'s metrics; `null` (a value that was not finite) reads as NaN.
    pub metrics: BTreeMap<String, f64>,
    /// Cluster names, in the order of the time-series columns.
    pub clusters: Vec<String>,
    pub timeseries: Columns,
    /// Columns of `host_cpu.csv` (hosts, or groups of neighbouring hosts).
    pub host_columns: usize,
    pub drs: DrsLog,
    /// Plot stem → its checked SVG.
    pub plots: BTreeMap<String, InlineSvg>,
    /// Known files present, for the links (plots not included).
    pub files: Vec<&'static str>,
}

impl RunOutputs {
    /// A metric's value, if the summary has it.
    pub fn metric(&self, key: &str) -> Option<f64> {
        self.metrics.get(key).copied()
    }
    /// A metric's value, 0 when absent.
    pub fn m(&self, key: &str) -> f64 {
        self.metric(key).unwrap_or(0.0)
    }
    /// A cluster's time series `field` (`cpu_util`, `power_w`, …).
    pub fn cluster_series(&self, cluster: &str, field: &str) -> Option<&[f64]> {
        self.timeseries.column(&format!("{cluster}.{field}"))
    }
}

/// Reads and checks a run's outputs.
pub fn load(src: &(impl Source + ?Sized)) -> Result<RunOutputs, OutputError> {
    let summary = src.read(SUMMARY)?;
    let series = src.read(TIMESERIES)?;
    let Some(summary) = summary else {
        return Err(OutputError {
            file: if series.is_some() {
                SUMMARY.into()
            } else {
                String::new()
            },
            problem: if series.is_some() {
                "is missing, so the run did not finish (it is written last)".into()
            } else {
                "is not a pacsim run's output folder: it has no summary.json".into()
            },
            hint: "run the scenario with `pacsim run FILE --out DIR` first".into(),
            io: false,
        });
    };
    let (identity, metrics) = summary_json(&summary)?;
    let missing = |f: &str| OutputError {
        file: f.into(),
        problem: "is missing (every run writes it)".into(),
        hint: "run the scenario again to write its outputs anew".into(),
        io: false,
    };
    let series = series.ok_or_else(|| missing(TIMESERIES))?;
    let timeseries = csv(TIMESERIES, &series)?;
    drop(series);
    let host = src.read(HOST_CPU)?.ok_or_else(|| missing(HOST_CPU))?;
    let host_cpu = csv(HOST_CPU, &host)?;
    drop(host);
    if host_cpu.rows() != timeseries.rows() {
        return Err(OutputError::broken(
            HOST_CPU,
            format!(
                "has {} rows but timeseries.csv has {}: the two were not written by one run",
                host_cpu.rows(),
                timeseries.rows()
            ),
        ));
    }
    let mut clusters: Vec<String> = Vec::new();
    for n in &timeseries.names[1..] {
        let Some((c, _)) = n.rsplit_once('.') else {
            return Err(OutputError::broken(
                TIMESERIES,
                format!("column `{n}` is not `<cluster>.<series>`"),
            ));
        };
        if clusters.last().map(String::as_str) != Some(c) {
            clusters.push(c.to_string());
        }
    }
    for c in &clusters {
        if !metrics.contains_key(&format!("cluster.{c}.hosts")) {
            return Err(OutputError::broken(
                TIMESERIES,
                format!("has columns of cluster `{c}`, which summary.json does not know"),
            ));
        }
    }
    let drs_bytes = src.read(DRS_LOG)?.ok_or_else(|| missing(DRS_LOG))?;
    let drs = drs_log(&drs_bytes)?;
    let plots = plots(src)?;
    let mut files = vec![SUMMARY, TIMESERIES, HOST_CPU, DRS_LOG];
    if src.read(RUN_JSON)?.is_some() {
        files.push(RUN_JSON);
    }
    Ok(RunOutputs {
        identity,
        metrics,
        clusters,
        timeseries,
        host_columns: host_cpu.names.len() - 1,
        drs,
        plots,
        files,
    })
}

fn text<'a>(file: &str, bytes: &'a [u8]) -> Result<&'a str, OutputError> {
    std::str::from_utf8(bytes).map_err(|e| {
        OutputError::broken(
            file,
            format!("is not UTF-8 text (at byte {})", e.valid_up_to()),
        )
    })
}

fn summary_json(bytes: &[u8]) -> Result<(Identity, BTreeMap<String, f64>), OutputError> {
    let v: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| OutputError::broken(SUMMARY, format!("is not valid JSON: {e}")))?;
    let field = |path: &str| -> Result<&serde_json::Value, OutputError> {
        path.split('.')
            .try_fold(&v, |v, k| v.get(k))
            .ok_or_else(|| OutputError::broken(SUMMARY, format!("has no `{path}`")))
    };
    let string = |path: &str| -> Result<String, OutputError> {
        field(path)?
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| OutputError::broken(SUMMARY, format!("`{path}` is not a string")))
    };
    let number = |path: &str| -> Result<f64, OutputError> {
        field(path)?
            .as_f64()
            .ok_or_else(|| OutputError::broken(SUMMARY, format!("`{path}` is not a number")))
    };
    let identity = Identity {
        pacsim_version: string("pacsim_version")?,
        name: string("scenario.name")?,
        seed: field("scenario.seed")?
            .as_u64()
            .ok_or_else(|| OutputError::broken(SUMMARY, "`scenario.seed` is not a whole number"))?,
        duration_s: number("scenario.duration_s")?,
        hash: string("scenario.hash")?,
    };
    let Some(obj) = field("metrics")?.as_object() else {
        return Err(OutputError::broken(SUMMARY, "`metrics` is not an object"));
    };
    let mut metrics = BTreeMap::new();
    for (k, v) in obj {
        let x = if v.is_null() {
            f64::NAN
        } else {
            v.as_f64().ok_or_else(|| {
                OutputError::broken(SUMMARY, format!("metric `{k}` is not a number: {v}"))
            })?
        };
        metrics.insert(k.clone(), x);
    }
    Ok((identity, metrics))
}

/// One CSV record's fields (RFC 4180: quoted fields may hold commas, quotes and newlines),
/// and the rest of the text after it.
fn record(s: &str) -> Option<(Vec<String>, &str)> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut chars = s.char_indices().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some((i, c)) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek().map(|p| p.1) == Some('"') {
                    cur.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                cur.push(c);
            }
            continue;
        }
        match c {
            '"' if at_start => {
                quoted = true;
                at_start = false;
            }
            ',' => {
                fields.push(std::mem::take(&mut cur));
                at_start = true;
            }
            '\n' => {
                fields.push(cur);
                return Some((fields, &s[i + 1..]));
            }
            c => {
                cur.push(c);
                at_start = false;
            }
        }
    }
    None // no end of line: truncated
}

/// A CSV whose first column is `time_s` and whose other fields are all numbers.
fn csv(file: &str, bytes: &[u8]) -> Result<Columns, OutputError> {
    let s = text(file, bytes)?;
    let Some((names, mut rest)) = record(s) else {
        return Err(OutputError::broken(file, "has no complete header line"));
    };
    if names.first().map(String::as_str) != Some("time_s") {
        return Err(OutputError::broken(
            file,
            "does not start with a `time_s` column",
        ));
    }
    let mut values = vec![Vec::new(); names.len()];
    let mut line = 1;
    let mut last_time = f64::NEG_INFINITY;
    while !rest.is_empty() {
        line += 1;
        let Some(end) = rest.find('\n') else {
            return Err(OutputError::broken(
                file,
                format!("line {line} has no end of line (truncated?)"),
            ));
        };
        let mut n = 0;
        for (c, f) in rest[..end].split(',').enumerate() {
            n += 1;
            let Some(col) = values.get_mut(c) else {
                continue;
            };
            let x: f64 = f.parse().map_err(|_| {
                OutputError::broken(
                    file,
                    format!("line {line}, column {}: `{f}` is not a number", c + 1),
                )
            })?;
            col.push(x);
        }
        if n != names.len() {
            return Err(OutputError::broken(
                file,
                format!("line {line} has {n} fields, the header {}", names.len()),
            ));
        }
        let t = values[0][values[0].len() - 1];
        if t < last_time {
            return Err(OutputError::broken(
                file,
                format!("line {line}: time {t} s goes back before {last_time} s"),
            ));
        }
        last_time = t;
        rest = &rest[end + 1..];
    }
    Ok(Columns { names, values })
}

fn drs_log(bytes: &[u8]) -> Result<DrsLog, OutputError> {
    let s = text(DRS_LOG, bytes)?;
    if !s.is_empty() && !s.ends_with('\n') {
        return Err(OutputError::broken(
            DRS_LOG,
            "its last line has no end of line (truncated?)",
        ));
    }
    let mut log = DrsLog::default();
    for (i, l) in s.lines().enumerate() {
        let bad =
            |e: serde_json::Error| OutputError::broken(DRS_LOG, format!("line {}: {e}", i + 1));
        let v: serde_json::Value = serde_json::from_str(l).map_err(bad)?;
        match v.get("kind").map(|k| k.as_str()) {
            None | Some(Some("balance")) => {
                log.passes.push(serde_json::from_value(v).map_err(bad)?)
            }
            Some(Some("evacuation")) => log
                .evacuations
                .push(serde_json::from_value(v).map_err(bad)?),
            // A kind of line this version does not know (written by a newer pacsim): not
            // shown, but it must still be a JSON object with a time.
            Some(Some(_)) if v.get("time_s").is_some_and(|t| t.is_number()) => {}
            _ => {
                return Err(OutputError::broken(
                    DRS_LOG,
                    format!("line {}: no known `kind` and no `time_s`", i + 1),
                ))
            }
        }
    }
    Ok(log)
}

/// Every plot: its SVG checked for inlining, its PNG checked to be whole.
fn plots(src: &(impl Source + ?Sized)) -> Result<BTreeMap<String, InlineSvg>, OutputError> {
    let names = src.plot_files()?;
    let stems = |ext: &str| -> BTreeSet<String> {
        names
            .iter()
            .filter_map(|n| n.strip_suffix(ext).map(str::to_string))
            .collect()
    };
    let (svgs, pngs) = (stems(".svg"), stems(".png"));
    if let Some(s) = pngs.symmetric_difference(&svgs).next() {
        let (has, lacks) = if svgs.contains(s) {
            ("svg", "png")
        } else {
            ("png", "svg")
        };
        return Err(OutputError {
            file: format!("plots/{s}.{lacks}"),
            problem: format!("is missing, though plots/{s}.{has} is there"),
            hint: "run the scenario again to draw its plots anew".into(),
            io: false,
        });
    }
    let mut out = BTreeMap::new();
    for stem in svgs {
        let png_name = format!("plots/{stem}.png");
        let png = src.read(&png_name)?.unwrap_or_default();
        if !png_is_whole(&png) {
            return Err(OutputError::broken(
                &png_name,
                "is not a whole PNG image (no PNG signature or no closing IEND chunk)",
            ));
        }
        let name = format!("plots/{stem}.svg");
        let bytes = src.read(&name)?.unwrap_or_default();
        let svg = inline(text(&name, &bytes)?, &stem)
            .map_err(|e| OutputError::broken(&name, format!("is not a plot pacsim drew: {e}")))?;
        out.insert(stem, svg);
    }
    Ok(out)
}

/// A PNG starts with its signature and ends with an IEND chunk (RFC 2083 §3.1, §4.1.4).
fn png_is_whole(b: &[u8]) -> bool {
    const SIG: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    const IEND: [u8; 12] = [0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82];
    b.len() >= 20 && b.starts_with(&SIG) && b.ends_with(&IEND)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_records_follow_rfc_4180_quoting() {
        let (f, rest) = record("time_s,\"a,\"\"b\"\"\n.x\",c\n1,2,3\n").unwrap();
        assert_eq!(f, vec!["time_s", "a,\"b\"\n.x", "c"]);
        assert_eq!(rest, "1,2,3\n");
        assert!(record("time_s,a").is_none(), "no end of line");
    }

    #[test]
    fn a_truncated_or_edited_csv_names_its_line() {
        let ok = b"time_s,c.x\n0,1\n300,2\n";
        assert_eq!(csv("t.csv", ok).unwrap().rows(), 2);
        let e = csv("t.csv", b"time_s,c.x\n0,1\n300,").unwrap_err();
        assert!(e.problem.contains("line 3 has no end of line"), "{e:?}");
        let e = csv("t.csv", b"time_s,c.x\n0,1\n300\n").unwrap_err();
        assert!(e.problem.contains("line 3 has 1 fields"), "{e:?}");
        let e = csv("t.csv", b"time_s,c.x\n0,abc\n").unwrap_err();
        assert!(e.problem.contains("`abc` is not a number"), "{e:?}");
        let e = csv("t.csv", b"time_s,c.x\n300,1\n0,1\n").unwrap_err();
        assert!(e.problem.contains("goes back"), "{e:?}");
        let e = csv("t.csv", b"x,y\n").unwrap_err();
        assert!(e.problem.contains("time_s"), "{e:?}");
    }

    #[test]
    fn drs_log_lines_of_every_kind() {
        let log = concat!(
            // The first format: no kind.
            r#"{"cluster":"c","hosts":4,"imbalance_after":0.1,"imbalance_before":0.2,"level":3,"recommendations":[{"from":"h-0","gain":0.03,"priority":2,"reason":"balance_cpu","to":"h-1","vm":"v-0"}],"target":0.1,"time_s":300.0}"#,
            "\n",
            // A balance pass with fields this page does not use, and a drs-score move.
            r#"{"cluster":"c","kind":"balance","policy":"drs-score","hosts":4,"imbalance_after":0.1,"imbalance_before":0.2,"level":3,"score_before":90.5,"score_after":93.0,"recommendations":[{"from":"h-0","gain":2.5,"priority":3,"reason":"score","to":"h-1","vm":"v-1","score_from":70,"score_to":95}],"target":null,"time_s":360.0}"#,
            "\n",
            // An evacuation: mandatory moves without a gain.
            r#"{"cluster":"c","kind":"evacuation","host":"h-2","recommendations":[{"from":"h-2","priority":1,"reason":"maintenance","to":"h-3","vm":"v-2"}],"time_s":400.0}"#,
            "\n",
            // A kind from a later version.
            r#"{"cluster":"c","kind":"something-new","time_s":500.0}"#,
            "\n",
        );
        let l = drs_log(log.as_bytes()).unwrap();
        assert_eq!(l.passes.len(), 2);
        assert_eq!(l.passes[1].policy.as_deref(), Some("drs-score"));
        assert_eq!(l.passes[1].target, None);
        assert_eq!(l.evacuations.len(), 1);
        assert_eq!(l.evacuations[0].recommendations[0].gain, None);
        let e = drs_log(b"{\"kind\":\"evacuation\",\"time_s\":1}\n").unwrap_err();
        assert!(e.problem.contains("line 1: missing field"), "{e:?}");
        assert!(drs_log(b"[1,2]\n").is_err());
    }

    #[test]
    fn a_png_must_be_whole() {
        let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
        png.extend_from_slice(&[0; 8]);
        png.extend_from_slice(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]);
        assert!(png_is_whole(&png));
        assert!(!png_is_whole(&png[..png.len() - 1]));
    }
}
