//! A vm-group driven by a canonical trace (`trace:`): reads the file as a stream, keeps
//! the rows alive in the window (and a seeded sample of them), and turns them into the
//! group's arrivals, per-instance sizes and lifetimes, and per-instance demand series.

use super::V;
use crate::engine::{SimDuration, StreamFactory};
use crate::scenario::raw::*;
use crate::scenario::spec::*;
use crate::scenario::units::{self, CpuAmount};
use crate::trace::canonical::{Reader, TraceRow};
use std::sync::Arc;

/// Most instances a trace may create (the sum of the kept rows' counts).
pub const MAX_TRACE_INSTANCES: u64 = 10_000_000;
/// Most utilisation samples kept in memory from traces (4 bytes each).
pub const MAX_TRACE_SAMPLES: u64 = 100_000_000;

/// What a trace gives a vm-group.
pub(super) struct Traced {
    pub kind: WorkloadKind,
    pub arrival: Arrival,
    pub demand: DemandModel,
    pub demand_every: SimDuration,
    pub instances: Arc<TraceInstances>,
}

/// A size from `trace.sizes` or the group's `size`.
#[derive(Clone, Copy)]
struct Size {
    vcpus: u32,
    cpu: CpuAmount,
    memory: u64,
}

fn sizes(v: &mut V, tp: &str, list: &[RawTraceSize]) -> Option<Vec<Size>> {
    if list.is_empty() {
        v.err(
            &format!("{tp}.sizes"),
            "`sizes` is empty",
            "give at least one size, e.g. `sizes: [ { cpu: 2500MHz, memory: 870MB } ]`",
        );
        return None;
    }
    let mut out = Vec::new();
    for (i, s) in list.iter().enumerate() {
        let sp = format!("{tp}.sizes[{i}]");
        let vcpus = match &s.vcpus {
            Some(c) => v.positive_count(&format!("{sp}.vcpus"), c, 768, "vcpus"),
            None => Some(1),
        };
        let cpu = v
            .parse(&format!("{sp}.cpu"), &s.cpu, units::parse_cpu)
            .and_then(|c| {
                if matches!(c, CpuAmount::Mhz(0) | CpuAmount::Millicores(0)) {
                    v.err(
                        &format!("{sp}.cpu"),
                        "the CPU size is 0",
                        "the CPU size is what a utilisation of 1.0 means, e.g. `2500MHz`",
                    );
                    None
                } else {
                    Some(c)
                }
            });
        let memory = v.positive_bytes(&format!("{sp}.memory"), &s.memory);
        if let (Some(vcpus), Some(cpu), Some(memory)) = (vcpus, cpu, memory) {
            out.push(Size {
                vcpus: vcpus as u32,
                cpu,
                memory,
            });
        }
    }
    (out.len() == list.len()).then_some(out)
}

/// Reads the trace's rows alive in `[from, to)`, sampling `sample` of them (reservoir
/// sampling, so only the sample is ever held), returned in file order.
fn read_rows(
    v: &mut V,
    tp: &str,
    file: &str,
    (from, to): (f64, f64),
    sample: Option<u64>,
    rng: &mut crate::engine::RngStream,
) -> Option<Vec<TraceRow>> {
    let full = v.base_dir.join(file);
    let f = match std::fs::File::open(&full) {
        Ok(f) => f,
        Err(e) => {
            v.err(
                &format!("{tp}.file"),
                format!("cannot read the trace `{}`: {e}", full.display()),
                "a relative path is read from the scenario file's folder; `pacsim trace import` writes traces",
            );
            return None;
        }
    };
    let mut kept: Vec<(usize, TraceRow)> = Vec::new();
    let (mut seen, mut samples) = (0u64, 0u64);
    for item in Reader::new(std::io::BufReader::with_capacity(1 << 20, f)) {
        let (line, row) = match item {
            Ok(r) => r,
            Err(e) => {
                v.err(
                    &format!("{tp}.file"),
                    format!("the trace `{}` is malformed: {e}", full.display()),
                    "a canonical trace has one row per workload; `pacsim trace import` writes them",
                );
                return None;
            }
        };
        let alive = row.departure_s.unwrap_or(f64::INFINITY) > from && row.arrival_s < to;
        if !alive {
            continue;
        }
        let slot = match sample {
            None => Some(kept.len()),
            Some(n) if seen < n => Some(kept.len()),
            Some(n) => {
                let j = rng.below(seen + 1);
                (j < n).then_some(j as usize)
            }
        };
        seen += 1;
        let Some(slot) = slot else { continue };
        samples += row.utilisation.len() as u64;
        if slot == kept.len() {
            kept.push((line, row));
        } else {
            samples -= kept[slot].1.utilisation.len() as u64;
            kept[slot] = (line, row);
        }
        if samples > MAX_TRACE_SAMPLES || kept.len() as u64 > MAX_TRACE_INSTANCES {
            v.err(
                &format!("{tp}.file"),
                format!(
                    "the trace `{}` keeps more than {MAX_TRACE_SAMPLES} samples or {MAX_TRACE_INSTANCES} rows",
                    full.display()
                ),
                "keep fewer workloads with `sample: N` or a shorter `window`",
            );
            return None;
        }
    }
    if kept.is_empty() {
        v.err(
            &format!("{tp}.file"),
            format!(
                "no workload of the trace `{}` is alive in the window",
                full.display()
            ),
            "check `window` (its `from` and `to` are times in the trace)",
        );
        return None;
    }
    kept.sort_by_key(|(line, _)| *line);
    Some(kept.into_iter().map(|(_, r)| r).collect())
}

pub(super) fn traced(
    v: &mut V,
    wp: &str,
    w: &RawWorkload,
    t: &RawWorkloadTrace,
    duration: Option<SimDuration>,
) -> Option<Traced> {
    let tp = format!("{wp}.trace");
    let dur = |v: &mut V, field: &str, s: &Option<Scalar>| match s {
        Some(s) => v
            .duration(&format!("{tp}.window.{field}"), s, true)
            .map(Some),
        None => Some(None),
    };
    let (from, to) = match &t.window {
        None => (Some(None), Some(None)),
        Some(win) => (dur(v, "from", &win.from), dur(v, "to", &win.to)),
    };
    let (from, to) = (from?, to?);
    let from_s = from.map_or(0.0, |d| d.as_secs_f64());
    let to_s = to.map_or(f64::INFINITY, |d| d.as_secs_f64());
    if to_s <= from_s {
        v.err(
            &format!("{tp}.window.to"),
            "the window ends before it starts",
            "`to` must be later than `from`",
        );
        return None;
    }
    let sample = match &t.sample {
        Some(s) => {
            Some(v.positive_count(&format!("{tp}.sample"), s, MAX_TRACE_INSTANCES, "sample")?)
        }
        None => None,
    };
    let scale = match &t.scale {
        Some(s) => {
            let x = v.parse(&format!("{tp}.scale"), s, units::parse_number)?;
            if x <= 0.0 {
                v.err(
                    &format!("{tp}.scale"),
                    format!("scale {x} is not above 0"),
                    "1.0 keeps the trace's utilisation; 1.2 adds 20 %",
                );
                return None;
            }
            x
        }
        None => 1.0,
    };
    let on_short = match t.on_short.as_deref() {
        None | Some("error") => OnShort::Error,
        Some("repeat") => OnShort::Repeat,
        Some("hold_last") => OnShort::HoldLast,
        Some(other) => {
            v.err(
                &format!("{tp}.on_short"),
                format!("unknown choice `{other}`"),
                "use `error` (refuse short series), `repeat` or `hold_last`",
            );
            return None;
        }
    };
    let end_when_idle = match t.on_idle.as_deref() {
        None | Some("keep") => false,
        Some("end") => true,
        Some(other) => {
            v.err(
                &format!("{tp}.on_idle"),
                format!("unknown choice `{other}`"),
                "use `keep` (default) or `end` (end a workload when it reads 0 %, as CloudSim does)",
            );
            return None;
        }
    };
    let part_sizes = match &t.sizes {
        Some(list) => Some(sizes(v, &tp, list)?),
        None => None,
    };
    // The group's `size` (all instances) and reservation, if given.
    let group_size = match &w.size {
        Some(s) => {
            let sp = format!("{wp}.size");
            let vcpus = v.positive_count(&format!("{sp}.vcpus"), &s.vcpus, 768, "vcpus");
            let memory = v.positive_bytes(&format!("{sp}.memory"), &s.memory);
            Some((vcpus? as u32, memory?))
        }
        None => None,
    };
    let (reserve_cpu, reserve_memory) = match w.size.as_ref().and_then(|s| s.reservation.as_ref()) {
        None => (Sampled::One(CpuAmount::Mhz(0)), Sampled::One(0)),
        Some(r) => {
            let rp = format!("{wp}.size.reservation");
            let cpu = match &r.cpu {
                Some(c) => super::sampled(v, &format!("{rp}.cpu"), c, units::parse_cpu)?,
                None => Sampled::One(CpuAmount::Mhz(0)),
            };
            let mem = match &r.memory {
                Some(m) => super::sampled(v, &format!("{rp}.memory"), m, units::parse_bytes)?,
                None => Sampled::One(0),
            };
            (cpu, mem)
        }
    };

    let mut rng = StreamFactory::new(v.seed, 0).stream(&format!("workload/{}/trace", w.name));
    let rows = read_rows(v, &tp, &t.file, (from_s, to_s), sample, &mut rng)?;

    // Sizes and series, row by row (file order).
    let per_part = part_sizes
        .as_ref()
        .map(|p| rows.len().div_ceil(p.len()).max(1));
    let run_s = duration.map_or(f64::INFINITY, |d| d.as_secs_f64());
    let mut out_rows = Vec::with_capacity(rows.len());
    let mut columns = Vec::with_capacity(rows.len());
    let (mut starts, mut intervals) = (Vec::new(), Vec::new());
    let mut short: Option<(usize, String, f64, f64)> = None;
    let mut short_count = 0usize;
    let mut arrivals: Vec<(f64, usize)> = Vec::new();
    let mut instances = 0u64;
    let mut varies = false;
    for (i, row) in rows.iter().enumerate() {
        let size = if let (Some(p), Some(per)) = (&part_sizes, per_part) {
            p[(i / per).min(p.len() - 1)]
        } else if let Some((vcpus, memory)) = group_size {
            Size {
                vcpus,
                cpu: CpuAmount::Millicores(vcpus as u64 * 1000),
                memory,
            }
        } else {
            let cpu = match (row.cpu_mhz, row.cpu_cores) {
                (Some(mhz), _) => CpuAmount::Mhz(mhz.round().max(1.0) as u64),
                (None, Some(c)) => CpuAmount::Millicores((c * 1000.0).round().max(1.0) as u64),
                (None, None) => {
                    v.err(
                        &format!("{tp}.file"),
                        format!(
                            "trace row `{}` gives no CPU size (cpu_cores and cpu_mhz are empty)",
                            row.id
                        ),
                        "give the VMs a size: `size: { vcpus: 1, memory: 2GiB }` or `trace.sizes`",
                    );
                    return None;
                }
            };
            let Some(mib) = row.memory_mib else {
                v.err(
                    &format!("{tp}.file"),
                    format!(
                        "trace row `{}` gives no memory (memory_mib is empty)",
                        row.id
                    ),
                    "give the VMs a size: `size: { vcpus: 1, memory: 2GiB }` or `trace.sizes`",
                );
                return None;
            };
            Size {
                vcpus: row.cpu_cores.map_or(1, |c| c.ceil().max(1.0) as u32),
                cpu,
                memory: (mib * (1u64 << 20) as f64).round() as u64,
            }
        };
        let start = row.arrival_s - from_s;
        let arrive = start.max(0.0);
        let mut departure_s = row.departure_s;
        if end_when_idle {
            // CloudSim deallocates a VM whose CPU request reads 0 at an update
            // (`HostDynamicWorkload.getCompletedVms`); its updates fall just after the
            // trace's points, between two samples, so the request is 0 when both are.
            let u = &row.utilisation;
            if let Some(k) =
                (0..u.len()).find(|&k| u[k] == 0.0 && u.get(k + 1).is_none_or(|n| *n == 0.0))
            {
                let idle_at = row.arrival_s + k as f64 * row.interval_s.unwrap_or(0.0);
                departure_s = Some(departure_s.map_or(idle_at, |d| d.min(idle_at)));
            }
        }
        let lifetime = departure_s
            .map(|d| SimDuration::from_secs_f64((d - row.arrival_s.max(from_s)).max(0.0)));
        out_rows.push(TraceInstance {
            vcpus: size.vcpus,
            cpu: size.cpu,
            memory: size.memory,
            lifetime,
        });
        let (series, interval) = if row.utilisation.is_empty() {
            (vec![1.0f32], 86_400.0)
        } else {
            varies = true;
            let s: Vec<f32> = row
                .utilisation
                .iter()
                .map(|u| ((*u as f64) * scale).min(1.0) as f32)
                .collect();
            (s, row.interval_s.expect("checked with the series"))
        };
        // A series that ends before the workload leaves the run.
        if !row.utilisation.is_empty() {
            let needed = (departure_s.map_or(f64::INFINITY, |d| d - from_s)).min(run_s);
            let covered = start + interval * series.len() as f64;
            if covered + 1e-6 < needed && needed > arrive {
                short_count += 1;
                short.get_or_insert((i, row.id.clone(), covered - start, needed - start));
            }
        }
        columns.push(series);
        starts.push(start);
        intervals.push(interval);
        for _ in 0..row.count {
            arrivals.push((arrive, i));
        }
        instances += row.count as u64;
    }
    if instances > MAX_TRACE_INSTANCES {
        v.err(
            &format!("{tp}.file"),
            format!("the trace's rows stand for {instances} instances, above the limit of {MAX_TRACE_INSTANCES}"),
            "keep fewer workloads with `sample: N` or a shorter `window`",
        );
        return None;
    }
    if let (OnShort::Error, Some((_, id, has, needs))) = (on_short, &short) {
        v.err(
            &format!("{tp}.on_short"),
            format!(
                "{short_count} workload(s) of the trace have fewer samples than the run needs: `{id}` has {has} s of samples but is in the run for {needs} s"
            ),
            "choose what follows a series' end: `on_short: repeat` or `on_short: hold_last` (or shorten the run)",
        );
        return None;
    }
    // Instances in arrival order (ties in file order).
    arrivals.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let row_of: Vec<u32> = arrivals.iter().map(|(_, r)| *r as u32).collect();
    let times: Vec<SimDuration> = arrivals
        .iter()
        .map(|(t, _)| SimDuration::from_secs_f64(*t))
        .collect();
    let demand_every = if varies {
        let min = intervals
            .iter()
            .zip(&columns)
            .filter(|(_, c)| c.len() > 1)
            .map(|(i, _)| *i)
            .fold(f64::INFINITY, f64::min);
        SimDuration::from_secs_f64(if min.is_finite() { min.max(1.0) } else { 300.0 })
    } else {
        SimDuration::from_secs(super::defaults::DEMAND_EVERY_S)
    };
    let demand = if varies {
        DemandModel::Trace(Arc::new(DemandTrace {
            columns,
            interval_s: intervals.first().copied().unwrap_or(300.0),
            starts_s: starts,
            intervals_s: intervals,
            column_of: row_of.clone(),
            on_short,
        }))
    } else {
        DemandModel::Constant(1.0)
    };
    let vcpus = out_rows.iter().map(|r| r.vcpus).max().unwrap_or(1);
    let memory = out_rows.iter().map(|r| r.memory).max().unwrap_or(0);
    if let Sampled::One(rm) = reserve_memory {
        if rm > memory {
            v.err(
                &format!("{wp}.size.reservation.memory"),
                "the memory reservation is larger than the VMs' memory",
                "reserve at most the VM's memory",
            );
            return None;
        }
    }
    Some(Traced {
        kind: WorkloadKind::Vm(VmSpec {
            vcpus,
            memory,
            reserve_cpu,
            reserve_memory,
        }),
        arrival: Arrival::Times(times),
        demand,
        demand_every,
        instances: Arc::new(TraceInstances {
            file: t.file.clone(),
            rows: out_rows,
            row_of,
        }),
    })
}
