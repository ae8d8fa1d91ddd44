//! OpenDC's workload trace (github.com/atlarge-research/opendc, `TaskColumns.kt` and
//! `FragmentColumns.kt`), as CSV: `tasks.csv` (id, submission_time in ms since the
//! epoch, duration in ms, cpu_count, cpu_capacity in MHz, mem_capacity in KB) and
//! `fragments.csv` (id, duration in ms, cpu_usage in MHz), each task's fragments played
//! back in file order from its submission.
//!
//! Fragments are resampled to the canonical interval by time-weighted averaging (OpenDC
//! merges equal 300 s samples into longer fragments). Arrival is the submission relative
//! to the earliest one; departure is arrival + duration. When a task's fragments end
//! before its duration (they do, by a little, in OpenDC's Bitbrains trace), the series is
//! shorter than the life: the scenario's `on_short` decides what follows.

use super::{for_each_csv_row, number, Input, Options, Report, Sink};
use crate::trace::canonical::TraceRow;
use std::collections::BTreeMap;

struct Task {
    id: String,
    submit_ms: f64,
    duration_ms: f64,
    cores: f64,
    cap_mhz: f64,
    mem_kb: f64,
    /// MHz x ms used in each interval, and ms covered.
    used: Vec<(f64, f64)>,
    /// Where the next fragment starts, ms since submission.
    at_ms: f64,
}

pub fn opendc(
    mut tasks: Input,
    mut fragments: Input,
    opts: &Options,
    report: &mut Report,
    sink: &mut Sink,
) -> std::io::Result<()> {
    let interval_ms = opts.interval_s * 1000.0;
    let mut list: Vec<Task> = Vec::new();
    let mut by_id: BTreeMap<String, usize> = BTreeMap::new();
    for_each_csv_row(&mut tasks, report, 1, |here, cells, report| {
        if cells.len() != 6 {
            report.skip("task row without 6 fields", here);
            return Ok(());
        }
        let nums: Result<Vec<f64>, _> = cells[1..].iter().map(|c| number(c)).collect();
        let Ok(v) = nums else {
            report.skip("task row with a non-numeric field", here);
            return Ok(());
        };
        if v.iter().any(|x| *x < 0.0) {
            report.skip("task row with a negative field", here);
            return Ok(());
        }
        let id = cells[0].trim().to_string();
        if by_id.contains_key(&id) {
            report.skip("duplicate task id", here);
            return Ok(());
        }
        by_id.insert(id.clone(), list.len());
        list.push(Task {
            id,
            submit_ms: v[0],
            duration_ms: v[1],
            cores: v[2],
            cap_mhz: v[3],
            mem_kb: v[4],
            used: Vec::new(),
            at_ms: 0.0,
        });
        Ok(())
    })?;

    for_each_csv_row(&mut fragments, report, 1, |here, cells, report| {
        if cells.len() != 3 {
            report.skip("fragment row without 3 fields", here);
            return Ok(());
        }
        let Some(&ti) = by_id.get(cells[0].trim()) else {
            report.skip("fragment of a task not in tasks.csv", here);
            return Ok(());
        };
        let (Ok(d), Ok(u)) = (number(&cells[1]), number(&cells[2])) else {
            report.skip("non-numeric sample", here);
            return Ok(());
        };
        if u < 0.0 {
            report.skip("negative utilisation", here);
            return Ok(());
        }
        if d < 0.0 {
            report.skip("fragment with a negative duration", here);
            return Ok(());
        }
        let task = &mut list[ti];
        // Spread `u` MHz over [at, at + d) into the fixed intervals.
        let (mut t, end) = (task.at_ms, task.at_ms + d);
        while t < end {
            let slot = (t / interval_ms).floor() as usize;
            if slot > 10_000_000 {
                report.skip("fragment more than 10^7 intervals after submission", here);
                return Ok(());
            }
            let slot_end = (slot as f64 + 1.0) * interval_ms;
            let piece = end.min(slot_end) - t;
            if task.used.len() <= slot {
                task.used.resize(slot + 1, (0.0, 0.0));
            }
            task.used[slot].0 += u * piece;
            task.used[slot].1 += piece;
            t += piece;
        }
        task.at_ms = end;
        Ok(())
    })?;

    let origin = list
        .iter()
        .map(|t| t.submit_ms)
        .fold(f64::INFINITY, f64::min);
    for task in list {
        if task.used.is_empty() {
            report.skip("task without fragments", task.id);
            continue;
        }
        let mut clamped = false;
        let series: Vec<f32> = task
            .used
            .iter()
            .map(|(mhz_ms, ms)| {
                let mhz = if *ms > 0.0 { mhz_ms / ms } else { 0.0 };
                let u = if task.cap_mhz > 0.0 {
                    mhz / task.cap_mhz
                } else {
                    0.0
                };
                clamped |= u > 1.0;
                u.min(1.0) as f32
            })
            .collect();
        if clamped {
            report.warn("usage above the task's capacity clamped", task.id.clone());
        }
        if task.at_ms + 1.0 < task.duration_ms {
            report.warn("fragments end before the task's duration", task.id.clone());
        }
        let arrival_s = (task.submit_ms - origin) / 1000.0;
        report.workloads += 1;
        sink(TraceRow {
            id: task.id,
            arrival_s,
            departure_s: Some(arrival_s + task.duration_ms / 1000.0),
            cpu_cores: (task.cores > 0.0).then_some(task.cores),
            cpu_mhz: (task.cap_mhz > 0.0).then_some(task.cap_mhz),
            memory_mib: Some(task.mem_kb / 1024.0),
            count: 1,
            interval_s: Some(opts.interval_s),
            utilisation: series,
        })?;
    }
    Ok(())
}
