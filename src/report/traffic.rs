//! Output files of service traffic: `services.csv` (per Service per sampling interval),
//! `members.csv` (per endpoint pod), `links.csv` (per link) and `lb.jsonl` (membership,
//! health and fault events). Written only when the scenario has Services or a topology.

use super::OutputFile;
use crate::metrics::Recorder;
use crate::model::World;
use std::fmt::Write as _;

/// The traffic files of a run (none if it has neither Services nor a topology).
pub fn files(rec: &Recorder, world: &World) -> Vec<OutputFile> {
    let t = &rec.traffic;
    let mut out = Vec::new();
    if !t.services.is_empty() {
        out.push(OutputFile {
            path: "services.csv".into(),
            bytes: services_csv(rec).into_bytes(),
        });
        out.push(OutputFile {
            path: "members.csv".into(),
            bytes: members_csv(rec).into_bytes(),
        });
        out.push(OutputFile {
            path: "lb.jsonl".into(),
            bytes: t
                .log
                .iter()
                .flat_map(|l| [l.as_str(), "\n"])
                .collect::<String>()
                .into_bytes(),
        });
    }
    if world.topology.is_some() {
        out.push(OutputFile {
            path: "links.csv".into(),
            bytes: links_csv(rec, world).into_bytes(),
        });
    }
    out
}

/// One row per sample: per Service the requests sent, answered and failed in the interval,
/// latency percentiles of the answered ones (seconds) and requests in the system.
pub fn services_csv(rec: &Recorder) -> String {
    let t = &rec.traffic;
    let mut out = String::from("time_s");
    for s in &t.services {
        for col in [
            "sent",
            "completed",
            "failed",
            "p50_s",
            "p95_s",
            "p99_s",
            "in_system",
        ] {
            let _ = write!(out, ",{}.{col}", s.name);
        }
    }
    out.push('\n');
    for row in &t.rows {
        let _ = write!(out, "{}", row.time.as_secs_f64());
        for s in &row.services {
            let _ = write!(
                out,
                ",{},{},{},{:.6},{:.6},{:.6},{}",
                s.sent, s.completed, s.failed, s.p50, s.p95, s.p99, s.in_system
            );
        }
        out.push('\n');
    }
    out
}

/// One row per endpoint pod of each Service: its host, when it joined and left, the
/// requests it answered, its share of its Service's answers and their mean latency.
pub fn members_csv(rec: &Recorder) -> String {
    let t = &rec.traffic;
    let mut out =
        String::from("service,member,host,joined_s,left_s,requests,share,latency_mean_s\n");
    for m in &t.members {
        let s = &t.services[m.service as usize];
        let share = if s.completed == 0 {
            0.0
        } else {
            m.served as f64 / s.completed as f64
        };
        let mean = if m.served == 0 {
            0.0
        } else {
            m.latency_sum_ns as f64 / m.served as f64 / 1e9
        };
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{share:.6},{mean:.6}",
            s.name,
            m.name,
            m.host,
            m.joined.as_secs_f64(),
            m.left
                .map_or(String::new(), |l| l.as_secs_f64().to_string()),
            m.served
        );
    }
    out
}

/// One row per link: its ends, class, bandwidth, bytes each way, and its mean and peak
/// utilisation (the busier direction).
pub fn links_csv(rec: &Recorder, world: &World) -> String {
    let t = &rec.traffic;
    let Some(topo) = &world.topology else {
        return String::new();
    };
    let secs = rec.end.as_secs_f64().max(1e-9);
    let rows = t.link_rows();
    let mut out = String::from(
        "link,from,to,class,bandwidth_bytes_per_s,latency_s,bytes_forward,bytes_back,util_mean,util_peak\n",
    );
    for (i, l) in topo.links.iter().enumerate() {
        let (f, b) = (t.link_total[2 * i], t.link_total[2 * i + 1]);
        let mean = f.max(b) / (l.bytes_per_s * secs);
        let mut peak = 0.0f64;
        let mut prev = 0u64;
        for r in 0..rows {
            let now = t.row_time(world, r).0;
            let dt = now.saturating_sub(prev) as f64 / 1e9;
            prev = now;
            if dt > 0.0 {
                for d in [2 * i, 2 * i + 1] {
                    peak = peak.max(t.link_bins[r * t.dir_links + d] as f64 / (l.bytes_per_s * dt));
                }
            }
        }
        let (a, z) = (
            &topo.nodes[l.a as usize].name,
            &topo.nodes[l.b as usize].name,
        );
        let _ = writeln!(
            out,
            "{a}-{z},{a},{z},{},{},{},{},{},{mean:.6},{peak:.6}",
            l.class.key(),
            l.bytes_per_s,
            l.latency.as_secs_f64(),
            f.round() as u64,
            b.round() as u64,
        );
    }
    out
}
