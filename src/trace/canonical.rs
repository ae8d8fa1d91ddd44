//! The canonical workload trace: the one format every importer writes and every scenario
//! reads (`trace:` of a workload group).
//!
//! ```text
//! # pacsim trace v1
//! id,arrival_s,departure_s,cpu_cores,cpu_mhz,memory_mib,count,interval_s,utilisation
//! vm-a,0,86400,1,2600,2048,1,300,0.12 0.15 0.08
//! job3-task4,6459,6524,0.5,,,15740,,
//! ```
//!
//! One row per workload, comma-separated, RFC 4180 quoting for ids that need it; lines
//! starting with `#` and blank lines are ignored; the header line is required and exact.
//!
//! | column | meaning |
//! |---|---|
//! | `id` | the workload's name in its source (non-empty) |
//! | `arrival_s` | when it starts, seconds from the trace's start (may be negative: it was already running) |
//! | `departure_s` | when it ends; empty: it runs past the end of the trace |
//! | `cpu_cores` | requested cores (fractional allowed); empty if the source does not say |
//! | `cpu_mhz` | requested CPU capacity in MHz (what utilisation 1.0 means); empty if unknown |
//! | `memory_mib` | requested memory in MiB; empty if unknown |
//! | `count` | identical instances the row stands for (default 1) |
//! | `interval_s` | length of one utilisation sample; empty only when `utilisation` is |
//! | `utilisation` | space-separated fractions in [0, 1] of the requested CPU, one per interval from `arrival_s`; empty: the workload uses all of its request all the time |
//!
//! Rows are independent, so the file is read and written as a stream: a 2 GB trace is
//! never held in memory, only the rows a scenario keeps.

use super::csvline;
use std::fmt::Write as _;
use std::io::BufRead;

/// The first line every canonical trace starts with.
pub const MAGIC: &str = "# pacsim trace v1";
/// The header line, column by column.
pub const COLUMNS: [&str; 9] = [
    "id",
    "arrival_s",
    "departure_s",
    "cpu_cores",
    "cpu_mhz",
    "memory_mib",
    "count",
    "interval_s",
    "utilisation",
];
/// Most instances one row may stand for.
pub const MAX_COUNT: u64 = 10_000_000;

/// One workload of a trace.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceRow {
    pub id: String,
    pub arrival_s: f64,
    pub departure_s: Option<f64>,
    pub cpu_cores: Option<f64>,
    pub cpu_mhz: Option<f64>,
    pub memory_mib: Option<f64>,
    pub count: u32,
    /// `None` exactly when `utilisation` is empty.
    pub interval_s: Option<f64>,
    pub utilisation: Vec<f32>,
}

impl TraceRow {
    /// The row as one line of the file (without the newline).
    pub fn to_line(&self) -> String {
        let opt = |v: Option<f64>| v.map_or(String::new(), |x| format!("{x}"));
        let mut s = String::new();
        let _ = write!(
            s,
            "{},{},{},{},{},{},{},{},",
            csvline::quote(&self.id),
            self.arrival_s,
            opt(self.departure_s),
            opt(self.cpu_cores),
            opt(self.cpu_mhz),
            opt(self.memory_mib),
            self.count,
            opt(self.interval_s),
        );
        for (i, u) in self.utilisation.iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            let _ = write!(s, "{u}");
        }
        s
    }

    /// How long the utilisation series lasts, in seconds (infinite when it is empty: the
    /// workload uses its whole request for as long as it runs).
    pub fn series_s(&self) -> f64 {
        match self.interval_s {
            Some(i) => i * self.utilisation.len() as f64,
            None => f64::INFINITY,
        }
    }
}

/// The header block a writer puts first.
pub fn header() -> String {
    format!("{MAGIC}\n{}\n", COLUMNS.join(","))
}

/// What is wrong with a trace file, and where (1-based line and column).
#[derive(Clone, Debug, PartialEq)]
pub struct TraceError {
    pub line: usize,
    pub column: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for TraceError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self.column {
            Some(c) => write!(f, "line {}, column {c}: {}", self.line, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

/// Reads canonical rows one at a time from any buffered reader.
pub struct Reader<R> {
    inner: R,
    line: usize,
    header_seen: bool,
    buf: String,
    done: bool,
}

impl<R: BufRead> Reader<R> {
    pub fn new(inner: R) -> Self {
        Reader {
            inner,
            line: 0,
            header_seen: false,
            buf: String::new(),
            done: false,
        }
    }

    /// The line number of the last line read.
    pub fn line(&self) -> usize {
        self.line
    }

    fn err(&self, column: Option<usize>, message: impl Into<String>) -> TraceError {
        TraceError {
            line: self.line,
            column,
            message: message.into(),
        }
    }
}

impl<R: BufRead> Iterator for Reader<R> {
    /// A row and the line it was on.
    type Item = Result<(usize, TraceRow), TraceError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            self.buf.clear();
            match self.inner.read_line(&mut self.buf) {
                Ok(0) => {
                    self.done = true;
                    if !self.header_seen {
                        return Some(Err(self.err(
                            None,
                            format!(
                                "the trace has no header line; it must start with `{}`",
                                COLUMNS.join(",")
                            ),
                        )));
                    }
                    return None;
                }
                Ok(_) => {}
                Err(e) => {
                    self.done = true;
                    self.line += 1;
                    let what = if e.kind() == std::io::ErrorKind::InvalidData {
                        "the line is not UTF-8 text".to_string()
                    } else {
                        format!("cannot read the trace: {e}")
                    };
                    return Some(Err(self.err(None, what)));
                }
            }
            self.line += 1;
            let text = self
                .buf
                .trim_end_matches(['\n', '\r'])
                .trim_start_matches('\u{feff}');
            if text.trim().is_empty() || text.starts_with('#') {
                continue;
            }
            if !self.header_seen {
                let cells: Vec<&str> = text.split(',').map(str::trim).collect();
                if cells != COLUMNS {
                    self.done = true;
                    return Some(Err(self.err(
                        None,
                        format!(
                            "the header is `{text}`; a canonical trace's header is `{}` (import other formats with `pacsim trace import`)",
                            COLUMNS.join(",")
                        ),
                    )));
                }
                self.header_seen = true;
                continue;
            }
            let line = self.line;
            return Some(
                parse_row(text)
                    .map(|r| (line, r))
                    .map_err(|(column, message)| TraceError {
                        line,
                        column,
                        message,
                    }),
            );
        }
        None
    }
}

/// Parses one data line, or says which column is wrong.
pub fn parse_row(text: &str) -> Result<TraceRow, (Option<usize>, String)> {
    let cells = csvline::split(text, ',')
        .map_err(|c| (Some(c), "a quoted field is not closed".to_string()))?;
    if cells.len() != COLUMNS.len() {
        return Err((
            None,
            format!(
                "{} fields, but a row has {} ({}); the row may be truncated",
                cells.len(),
                COLUMNS.len(),
                COLUMNS.join(",")
            ),
        ));
    }
    let at = |i: usize| (Some(i + 1), COLUMNS[i]);
    let num = |i: usize| -> Result<Option<f64>, (Option<usize>, String)> {
        let t = cells[i].trim();
        if t.is_empty() {
            return Ok(None);
        }
        match t.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Some(v)),
            _ => {
                let (c, name) = at(i);
                Err((c, format!("{name}: `{t}` is not a number")))
            }
        }
    };
    let positive = |i: usize| -> Result<Option<f64>, (Option<usize>, String)> {
        match num(i)? {
            Some(v) if v <= 0.0 => {
                let (c, name) = at(i);
                Err((c, format!("{name}: {v} must be above 0")))
            }
            v => Ok(v),
        }
    };
    let id = cells[0].trim().to_string();
    if id.is_empty() {
        return Err((Some(1), "id: the workload has no id".into()));
    }
    let arrival_s = num(1)?.ok_or((Some(2), "arrival_s: missing".to_string()))?;
    let departure_s = num(2)?;
    if let Some(d) = departure_s {
        if d < arrival_s {
            return Err((
                Some(3),
                format!("departure_s: {d} is before arrival_s {arrival_s}"),
            ));
        }
    }
    let cpu_cores = positive(3)?;
    let cpu_mhz = positive(4)?;
    let memory_mib = match num(5)? {
        Some(v) if v < 0.0 => return Err((Some(6), format!("memory_mib: {v} is negative"))),
        v => v,
    };
    let count = match num(6)? {
        None => 1,
        Some(v) if v >= 1.0 && v.fract() == 0.0 && v <= MAX_COUNT as f64 => v as u32,
        Some(v) => {
            return Err((
                Some(7),
                format!("count: {v} is not a whole number from 1 to {MAX_COUNT}"),
            ))
        }
    };
    let interval_s = positive(7)?;
    let mut utilisation = Vec::new();
    for (k, token) in cells[8].split_ascii_whitespace().enumerate() {
        match token.parse::<f32>() {
            Ok(u) if (0.0..=1.0).contains(&u) => utilisation.push(u),
            Ok(u) if u.is_finite() => {
                return Err((
                    Some(9),
                    format!(
                        "utilisation: sample {} is {u}, not a fraction between 0 and 1",
                        k + 1
                    ),
                ))
            }
            _ => {
                return Err((
                    Some(9),
                    format!("utilisation: sample {} `{token}` is not a number", k + 1),
                ))
            }
        }
    }
    match (interval_s, utilisation.is_empty()) {
        (None, false) => {
            return Err((
                Some(8),
                "interval_s: missing, but the row has utilisation samples".into(),
            ))
        }
        (Some(_), true) => {
            return Err((
                Some(9),
                "utilisation: empty, but interval_s is given (leave both empty for a workload that uses its whole request)".into(),
            ))
        }
        _ => {}
    }
    Ok(TraceRow {
        id,
        arrival_s,
        departure_s,
        cpu_cores,
        cpu_mhz,
        memory_mib,
        count,
        interval_s,
        utilisation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> TraceRow {
        TraceRow {
            id: "a b".into(),
            arrival_s: 0.0,
            departure_s: Some(600.0),
            cpu_cores: Some(1.0),
            cpu_mhz: None,
            memory_mib: Some(2048.0),
            count: 1,
            interval_s: Some(300.0),
            utilisation: vec![0.12, 0.5],
        }
    }

    #[test]
    fn rows_round_trip_through_the_text_format() {
        let r = row();
        assert_eq!(r.to_line(), "a b,0,600,1,,2048,1,300,0.12 0.5");
        let text = format!("{}{}\n# note\n\n", header(), r.to_line());
        let rows: Vec<_> = Reader::new(text.as_bytes()).collect();
        assert_eq!(rows, vec![Ok((3, r))]);
        let batch = TraceRow {
            id: "x,y".into(),
            departure_s: None,
            interval_s: None,
            utilisation: vec![],
            count: 7,
            ..row()
        };
        let line = batch.to_line();
        assert_eq!(line, "\"x,y\",0,,1,,2048,7,,");
        assert_eq!(parse_row(&line), Ok(batch));
    }

    #[test]
    fn malformed_rows_say_which_column() {
        let bad = |line: &str| parse_row(line).unwrap_err();
        assert_eq!(bad("a,0,,,,,1,300,0.1 x").0, Some(9));
        assert!(bad("a,0,,,,,1,300,0.1 x")
            .1
            .contains("sample 2 `x` is not a number"));
        assert!(bad("a,0,,,,,1,300,0.1 -0.5").1.contains("not a fraction"));
        assert!(bad("a,0,,,,,1,300").1.contains("truncated"));
        assert_eq!(bad("a,10,5,,,,1,,").0, Some(3));
        assert_eq!(bad(",0,,,,,1,,").0, Some(1));
        assert_eq!(bad("a,0,,,,,0,,").0, Some(7));
        assert_eq!(bad("a,0,,,,,1,,0.5").0, Some(8));
        assert_eq!(bad("a,0,,-1,,,1,,").0, Some(4));
    }

    #[test]
    fn a_file_without_the_header_is_refused() {
        let mut r = Reader::new("vm,0,,,,,1,,\n".as_bytes());
        let e = r.next().unwrap().unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.message.contains("header"));
        assert!(Reader::new("".as_bytes()).next().unwrap().is_err());
    }
}
