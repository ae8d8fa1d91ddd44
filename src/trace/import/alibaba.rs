//! Alibaba cluster-trace v2017 `batch_task.csv` (schema in `cluster-trace-v2017/schema.csv`
//! of github.com/alibaba/clusterdata): create and modify timestamps (s), job id, task id,
//! instance count, status, `plan_cpu` (100 = one core) and `plan_mem` (normalised to the
//! largest machine). The file may carry a header line (the public copy has one).
//!
//! A task becomes one row standing for `count` identical instances, from its creation to
//! its last state change when it ended (Terminated, Failed, Cancelled); a task still
//! Running, Waiting or Ready has no departure. Batch tasks carry no utilisation series:
//! the row's utilisation is empty (each instance uses its whole request). Memory is
//! `plan_mem` x `--normalised-memory`, or empty without that flag.

use super::{for_each_csv_row, number, Input, Options, Report, Sink};
use crate::trace::canonical::{TraceRow, MAX_COUNT};

pub fn alibaba2017(
    mut input: Input,
    opts: &Options,
    report: &mut Report,
    sink: &mut Sink,
) -> std::io::Result<()> {
    for_each_csv_row(&mut input, report, 0, |here, cells, report| {
        if cells.len() != 8 {
            report.skip(format!("row with {} fields, not 8", cells.len()), here);
            return Ok(());
        }
        let status = cells[5].trim();
        if cells[6].trim().is_empty() {
            report.skip("task without a CPU request (plan_cpu empty)", here);
            return Ok(());
        }
        let fields = (|| {
            let create = number(&cells[0]).map_err(|_| "non-numeric create time")?;
            let end = number(&cells[1]).map_err(|_| "non-numeric end time")?;
            let instances = number(&cells[4]).map_err(|_| "non-numeric instance count")?;
            let cpu = number(&cells[6]).map_err(|_| "non-numeric plan_cpu")?;
            let mem = match cells[7].trim() {
                "" => None,
                m => Some(number(m).map_err(|_| "non-numeric plan_mem")?),
            };
            if cpu <= 0.0 {
                return Err("task without a CPU request (plan_cpu <= 0)");
            }
            if mem.is_some_and(|m| m < 0.0) {
                return Err("negative plan_mem");
            }
            if instances < 1.0 || instances.fract() != 0.0 || instances > MAX_COUNT as f64 {
                return Err("instance count is not a whole number from 1 to 10^7");
            }
            Ok((create, end, instances as u32, cpu, mem))
        })();
        let (create, end, count, cpu, mem) = match fields {
            Ok(f) => f,
            Err(why) => {
                report.skip(why, here);
                return Ok(());
            }
        };
        let ended = matches!(status, "Terminated" | "Failed" | "Cancelled");
        if ended && end < create {
            report.skip("task ends before it was created", here);
            return Ok(());
        }
        report.workloads += 1;
        sink(TraceRow {
            id: format!("job{}-task{}", cells[2].trim(), cells[3].trim()),
            arrival_s: create,
            departure_s: ended.then_some(end),
            cpu_cores: Some(cpu / 100.0),
            cpu_mhz: None,
            memory_mib: mem
                .zip(opts.normalised_memory_mib)
                .map(|(m, size)| m * size),
            count,
            interval_s: None,
            utilisation: Vec::new(),
        })
    })
}
