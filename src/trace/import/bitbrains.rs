//! Bitbrains GWA-T-12 (fastStorage / Rnd) per-VM files (Shen, van Beek, Iosup, CCGrid
//! 2015): a header, then `;`-separated rows (tab-padded) of timestamp, CPU cores, CPU
//! capacity provisioned (MHz), CPU usage (MHz), CPU usage (%), memory provisioned (KB),
//! memory usage (KB), disk and network throughputs. The header says the timestamps are
//! in ms, but they are Unix seconds (read as ms only when they are that large).
//!
//! Each file is one VM, named after the file (without its extension). Samples go to the interval
//! `round((t - t_first) / interval)`: two in one interval keep the last, a missing
//! interval holds the previous value, a timestamp that goes back is skipped. Utilisation
//! = usage MHz / capacity MHz, clamped to 1. Arrival is the VM's first timestamp
//! relative to the earliest first timestamp of all the files imported together.

use super::{at, for_each_line, hold_gaps, number, Input, Options, Report, Sink};
use crate::trace::canonical::TraceRow;

pub fn bitbrains(
    inputs: Vec<Input>,
    opts: &Options,
    report: &mut Report,
    sink: &mut Sink,
) -> std::io::Result<()> {
    let interval = opts.interval_s;
    // (first timestamp, row) per VM; arrivals are fixed once every file is read.
    let mut rows: Vec<(f64, TraceRow)> = Vec::new();
    for mut input in inputs {
        let name = input.name.clone();
        let mut t0: Option<f64> = None;
        let mut series: Vec<f32> = Vec::new();
        let mut size: Option<(f64, f64, f64)> = None;
        let mut header = true;
        for_each_line(&mut input, report, |n, text, report| {
            if text.trim().is_empty() {
                return Ok(());
            }
            let cells: Vec<&str> = text.split(';').map(str::trim).collect();
            if std::mem::take(&mut header) && number(cells[0]).is_err() {
                return Ok(());
            }
            report.rows_read += 1;
            let here = at(&name, n);
            if cells.len() < 7 {
                report.skip("row with fewer than 7 fields (truncated?)", here);
                return Ok(());
            }
            let parsed = (|| {
                let mut ts = number(cells[0]).map_err(|_| "non-numeric timestamp")?;
                if ts > 1e11 {
                    ts /= 1000.0;
                }
                let cores = number(cells[1]).map_err(|_| "non-numeric sample")?;
                let cap = number(cells[2]).map_err(|_| "non-numeric sample")?;
                let used = number(cells[3]).map_err(|_| "non-numeric sample")?;
                let mem = number(cells[5]).map_err(|_| "non-numeric sample")?;
                if used < 0.0 || cap < 0.0 {
                    return Err("negative utilisation");
                }
                Ok((ts, cores, cap, used, mem))
            })();
            let (ts, cores, cap, used, mem) = match parsed {
                Ok(p) => p,
                Err(why) => {
                    report.skip(why, here);
                    return Ok(());
                }
            };
            let start = *t0.get_or_insert(ts);
            let slot = ((ts - start) / interval).round();
            if slot < 0.0 || (slot as usize) + 1 < series.len() {
                report.skip("timestamp earlier than the previous row's", here);
                return Ok(());
            }
            let slot = slot as usize;
            if slot > 10_000_000 {
                report.skip("timestamp more than 10^7 intervals after the first", here);
                return Ok(());
            }
            let u = if cap > 0.0 { used / cap } else { 0.0 };
            if u > 1.0 {
                report.warn("usage above the provisioned capacity clamped", here.clone());
            }
            if slot + 1 == series.len() {
                report.warn("two rows in one interval (the last is kept)", here);
                series[slot] = u.min(1.0) as f32;
            } else {
                series.resize(slot, f32::NAN);
                series.push(u.min(1.0) as f32);
            }
            size.get_or_insert((cores, cap, mem));
            Ok(())
        })?;
        let Some(t0) = t0 else {
            report.rows_read += 1;
            report.skip("file without samples", name);
            continue;
        };
        if hold_gaps(&mut series) > 0 {
            report.warn(
                "missing intervals filled with the previous sample",
                name.clone(),
            );
        }
        let (cores, cap, mem_kb) = size.expect("set with t0");
        let id = std::path::Path::new(&name)
            .file_stem()
            .map_or(name.clone(), |f| f.to_string_lossy().into_owned());
        rows.push((
            t0,
            TraceRow {
                id,
                arrival_s: 0.0,
                departure_s: Some(series.len() as f64 * interval),
                cpu_cores: (cores > 0.0).then_some(cores),
                cpu_mhz: (cap > 0.0).then_some(cap),
                memory_mib: Some(mem_kb / 1024.0),
                count: 1,
                interval_s: Some(interval),
                utilisation: series,
            },
        ));
    }
    let origin = rows.iter().map(|(t, _)| *t).fold(f64::INFINITY, f64::min);
    for (t0, mut row) in rows {
        row.arrival_s = t0 - origin;
        row.departure_s = row.departure_s.map(|d| d + row.arrival_s);
        report.workloads += 1;
        sink(row)?;
    }
    Ok(())
}
