//! Azure Public Dataset V1 (Cortez et al., "Resource Central", SOSP 2017): `vmtable.csv`
//! (one row per VM: ids, created and deleted times in seconds, CPU statistics, category,
//! core count, memory in GB) and `vm_cpu_readings-*.csv` (timestamp, VM id, min, max and
//! average CPU % over each 5-minute interval). No headers.
//!
//! A VM becomes a workload from `vmcreated` to `vmdeleted` with `vmcorecount` cores and
//! `vmmemory` GB (GiB, Azure's VM sizes) of memory; its series is the average CPU of each
//! interval since it was created. Missing intervals hold the previous value; a VM with no
//! readings at all (the public samples do not join) is kept at its `avgcpu`, as one
//! sample covering its whole life. The VM table is held in memory (one small record per
//! VM) and the readings are streamed; the series are kept until the end because the
//! readings interleave all VMs.

use super::{at, for_each_line, hold_gaps, number, percent, Input, Options, Report, Sink};
use crate::trace::canonical::TraceRow;
use crate::trace::csvline;
use std::collections::BTreeMap;

struct Vm {
    id: String,
    created: f64,
    deleted: f64,
    avg: f32,
    cores: f64,
    memory_gib: f64,
    /// One value per interval since `created`; NaN where no reading was seen.
    series: Vec<f32>,
    readings: usize,
}

pub fn azure(
    mut vmtable: Input,
    readings: Vec<Input>,
    opts: &Options,
    report: &mut Report,
    sink: &mut Sink,
) -> std::io::Result<()> {
    let interval = opts.interval_s;
    let mut vms: Vec<Vm> = Vec::new();
    let mut by_id: BTreeMap<String, usize> = BTreeMap::new();
    let table = vmtable.name.clone();
    for_each_line(&mut vmtable, report, |n, text, report| {
        if text.trim().is_empty() {
            return Ok(());
        }
        report.rows_read += 1;
        let here = at(&table, n);
        let cells = match csvline::split(text, ',') {
            Ok(c) if c.len() == 11 => c,
            Ok(c) => {
                report.skip(format!("vmtable row with {} fields, not 11", c.len()), here);
                return Ok(());
            }
            Err(_) => {
                report.skip("unclosed quote", here);
                return Ok(());
            }
        };
        let parsed = (|| {
            let created = number(&cells[3]).map_err(|e| format!("vmcreated: {e}"))?;
            let deleted = number(&cells[4]).map_err(|e| format!("vmdeleted: {e}"))?;
            let avg = percent(&cells[6]).map_err(|e| format!("avgcpu: {e}"))?;
            let cores = number(&cells[9]).map_err(|e| format!("vmcorecount: {e}"))?;
            let memory = number(&cells[10]).map_err(|e| format!("vmmemory: {e}"))?;
            if deleted <= created {
                return Err("VM deleted before it was created".to_string());
            }
            if cores <= 0.0 || memory < 0.0 {
                return Err("no cores or negative memory".to_string());
            }
            Ok((created, deleted, avg.min(1.0) as f32, cores, memory))
        })();
        let (created, deleted, avg, cores, memory_gib) = match parsed {
            Ok(p) => p,
            Err(why) => {
                // The reason without the cell's text, so equal problems count together.
                let reason = why.split(": `").next().unwrap_or(&why).to_string();
                report.skip(format!("vmtable {reason}"), here);
                return Ok(());
            }
        };
        let id = cells[0].trim().to_string();
        if by_id.contains_key(&id) {
            report.skip("vmtable duplicate VM id", here);
            return Ok(());
        }
        let slots = ((deleted - created) / interval).ceil() as usize;
        by_id.insert(id.clone(), vms.len());
        vms.push(Vm {
            id,
            created,
            deleted,
            avg,
            cores,
            memory_gib,
            series: vec![f32::NAN; slots],
            readings: 0,
        });
        Ok(())
    })?;

    for mut input in readings {
        let name = input.name.clone();
        for_each_line(&mut input, report, |n, text, report| {
            if text.trim().is_empty() {
                return Ok(());
            }
            report.rows_read += 1;
            let here = at(&name, n);
            let cells = match csvline::split(text, ',') {
                Ok(c) if c.len() == 5 => c,
                _ => {
                    report.skip("reading without 5 fields", here);
                    return Ok(());
                }
            };
            let Some(&vi) = by_id.get(cells[1].trim()) else {
                report.skip("reading of a VM not in vmtable", here);
                return Ok(());
            };
            let ts = match number(&cells[0]) {
                Ok(t) => t,
                Err(_) => {
                    report.skip("reading with a non-numeric timestamp", here);
                    return Ok(());
                }
            };
            let u = match percent(&cells[4]) {
                Ok(u) => u,
                Err(why) => {
                    report.skip(why, here);
                    return Ok(());
                }
            };
            let vm = &mut vms[vi];
            let slot = ((ts - vm.created) / interval).floor();
            if slot < 0.0 || slot as usize >= vm.series.len() {
                report.skip("reading outside the VM's lifetime", here);
                return Ok(());
            }
            if u > 1.0 {
                report.warn("average CPU above 100% clamped", here.clone());
            }
            let s = &mut vm.series[slot as usize];
            if !s.is_nan() {
                report.warn("two readings for one interval (the last is kept)", here);
            }
            *s = u.min(1.0) as f32;
            vm.readings += 1;
            Ok(())
        })?;
    }

    for mut vm in vms {
        let (interval_s, series) = if vm.readings == 0 {
            report.warn("VM without readings kept at its avgcpu", vm.id.clone());
            (vm.deleted - vm.created, vec![vm.avg])
        } else {
            if hold_gaps(&mut vm.series) > 0 {
                report.warn(
                    "missing intervals filled with the previous reading",
                    vm.id.clone(),
                );
            }
            (interval, vm.series)
        };
        report.workloads += 1;
        sink(TraceRow {
            id: vm.id,
            arrival_s: vm.created,
            departure_s: Some(vm.deleted),
            cpu_cores: Some(vm.cores),
            cpu_mhz: None,
            memory_mib: Some(vm.memory_gib * 1024.0),
            count: 1,
            interval_s: Some(interval_s),
            utilisation: series,
        })?;
    }
    Ok(())
}
