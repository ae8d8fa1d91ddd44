//! PlanetLab CPU traces as CloudSim ships them (`workload/planetlab/<day>/`): one file
//! per VM, one integer percentage per line, each line a 300 s interval (288 lines for a
//! day). The shared copy also has one CSV per day with a row per VM
//! (`vm_trace_file,u000,...,u287`); both give the same canonical rows.
//!
//! Each VM becomes a workload arriving at 0 and leaving when its series ends; the trace
//! says nothing of VM sizes (CloudSim assigns them), so CPU and memory are left empty.
//! Utilisation = value / 100, as CloudSim's `UtilizationModelPlanetLabInMemory` reads it.

use super::{at, for_each_line, percent, Input, Options, Report, Sink};
use crate::trace::canonical::TraceRow;
use crate::trace::csvline;

fn row(id: &str, series: Vec<f32>, opts: &Options) -> TraceRow {
    TraceRow {
        id: id.to_string(),
        arrival_s: 0.0,
        departure_s: Some(series.len() as f64 * opts.interval_s),
        cpu_cores: None,
        cpu_mhz: None,
        memory_mib: None,
        count: 1,
        interval_s: Some(opts.interval_s),
        utilisation: series,
    }
}

/// One sample, or the reason it is refused (PlanetLab values are 0..100 %).
fn sample(cell: &str) -> Result<f32, &'static str> {
    let u = percent(cell)?;
    if u > 1.0 {
        return Err("utilisation above 100%");
    }
    Ok(u as f32)
}

/// The per-VM files of one day, each input one VM (named after its file), in the order
/// given (the command line sorts file names byte-wise).
pub fn planetlab_files(
    inputs: Vec<Input>,
    opts: &Options,
    report: &mut Report,
    sink: &mut Sink,
) -> std::io::Result<()> {
    for mut input in inputs {
        let mut series = Vec::new();
        let mut bad: Option<(&'static str, usize)> = None;
        let name = input.name.clone();
        for_each_line(&mut input, report, |n, text, _| {
            if bad.is_some() || text.trim().is_empty() {
                return Ok(());
            }
            match sample(text) {
                Ok(u) => series.push(u),
                Err(why) => bad = Some((why, n)),
            }
            Ok(())
        })?;
        report.rows_read += 1;
        if let Some((why, n)) = bad {
            report.skip(why, at(&name, n));
        } else if series.is_empty() {
            report.skip("no samples", name);
        } else {
            let id = std::path::Path::new(&name)
                .file_name()
                .map_or(name.clone(), |f| f.to_string_lossy().into_owned());
            report.workloads += 1;
            sink(row(&id, series, opts))?;
        }
    }
    Ok(())
}

/// The one-file form: a header `vm_trace_file,u000,...` and one row per VM.
pub fn planetlab_wide(
    mut input: Input,
    opts: &Options,
    report: &mut Report,
    sink: &mut Sink,
) -> std::io::Result<()> {
    let name = input.name.clone();
    let mut width: Option<usize> = None;
    for_each_line(&mut input, report, |n, text, report| {
        if text.trim().is_empty() {
            return Ok(());
        }
        let Ok(cells) = csvline::split(text, ',') else {
            report.rows_read += 1;
            report.skip("unclosed quote", at(&name, n));
            return Ok(());
        };
        if width.is_none() {
            width = Some(cells.len() - 1);
            if cells.len() > 1 && sample(&cells[1]).is_err() {
                return Ok(()); // the header line
            }
        }
        report.rows_read += 1;
        let id = cells[0].trim();
        if id.is_empty() {
            report.skip("row without a VM name", at(&name, n));
            return Ok(());
        }
        let mut series = Vec::with_capacity(cells.len() - 1);
        for (c, cell) in cells[1..].iter().enumerate() {
            match sample(cell) {
                Ok(u) => series.push(u),
                Err(why) => {
                    report.skip(why, format!("{}, column {}", at(&name, n), c + 2));
                    return Ok(());
                }
            }
        }
        if series.is_empty() {
            report.skip("no samples", at(&name, n));
            return Ok(());
        }
        if width.is_some_and(|w| series.len() < w) {
            report.warn(
                "short row (fewer samples than the header has columns)",
                at(&name, n),
            );
        }
        report.workloads += 1;
        sink(row(id, series, opts))
    })
}
