//! What service traffic measured: per Service request counts, failures by cause, latency
//! histograms (whole run and per sampling interval) and the time integral of requests in
//! the system (for Little's law); per endpoint pod the requests it served; per directed
//! link the bytes it carried in each sampling interval; and a log of pool membership,
//! health and fault events (`lb.jsonl`).

use crate::engine::{SimDuration, SimTime};
use crate::model::topology::PathId;
use crate::model::traffic::{Completion, RequestError, NONE};
use crate::model::World;
use hdrhistogram::Histogram;

/// Latencies are recorded in microseconds up to about 2.8 hours, three significant digits.
const LAT_MAX_US: u64 = 10_000_000_000;
/// Most cells of the per-link time series; beyond this only totals are kept.
const MAX_LINK_CELLS: usize = 20_000_000;

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, LAT_MAX_US, 3).expect("valid histogram bounds")
}

/// One Service's counters.
#[derive(Clone, Debug)]
pub struct ServiceTrack {
    pub name: String,
    pub sent: u64,
    pub completed: u64,
    pub failed: [u64; RequestError::ALL.len()],
    /// The whole run's latencies (complete once the run has finished).
    pub latency_us: Histogram<u64>,
    /// Exact sum of latencies, for the mean.
    pub latency_sum_ns: u128,
    interval_us: Histogram<u64>,
    interval_sent: u64,
    interval_completed: u64,
    interval_failed: u64,
    /// Requests sent and not yet answered or failed (answers on their way back count
    /// until they arrive, through `area_ns`).
    in_system: i64,
    /// Integral of requests in the system over time, in request-nanoseconds.
    pub area_ns: f64,
    last_t: SimTime,
    pub member_downs: u64,
    pub member_ups: u64,
}

impl ServiceTrack {
    fn close(&mut self, now: SimTime) {
        self.area_ns += self.in_system as f64 * now.since(self.last_t).0 as f64;
        self.last_t = now;
    }

    pub fn failed_total(&self) -> u64 {
        self.failed.iter().sum()
    }

    /// Mean requests in the system over `[0, end]`.
    pub fn mean_in_system(&self, end: SimTime) -> f64 {
        if end.0 == 0 {
            0.0
        } else {
            self.area_ns / end.0 as f64
        }
    }

    pub fn mean_latency_s(&self) -> f64 {
        if self.completed == 0 {
            0.0
        } else {
            self.latency_sum_ns as f64 / self.completed as f64 / 1e9
        }
    }
}

/// One endpoint pod of one Service over its life.
#[derive(Clone, Debug)]
pub struct MemberTrack {
    pub service: u32,
    pub name: String,
    pub host: String,
    pub served: u64,
    pub latency_sum_ns: u128,
    pub joined: SimTime,
    pub left: Option<SimTime>,
}

/// One Service in one sampling interval.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct IntervalStats {
    pub sent: u64,
    pub completed: u64,
    pub failed: u64,
    /// Latency percentiles of the requests answered in the interval (0 if none), seconds.
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub in_system: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct IntervalRow {
    pub time: SimTime,
    pub services: Vec<IntervalStats>,
}

/// Bytes spread evenly over a time span (a vMotion, an image pull).
#[derive(Clone, Copy, Debug)]
struct Flow {
    start: SimTime,
    end: SimTime,
    path: PathId,
    bytes: u64,
}

/// The traffic part of the recorder.
#[derive(Clone, Debug, Default)]
pub struct TrafficRecorder {
    pub services: Vec<ServiceTrack>,
    pub members: Vec<MemberTrack>,
    /// Member track of each endpoint slot (while it is live).
    member_of_endpoint: Vec<u32>,
    pub rows: Vec<IntervalRow>,
    /// Bytes put on each path since the last sample, and which paths have any.
    path_bytes: Vec<u64>,
    touched: Vec<PathId>,
    flows: Vec<Flow>,
    /// Directed links of the topology (0 without one).
    pub dir_links: usize,
    /// Bytes per directed link per sampling interval (`rows` x `dir_links`), when it fits.
    pub link_bins: Vec<u64>,
    pub keep_bins: bool,
    pub link_total: Vec<f64>,
    /// Bytes carried by pulls and vMotions (flows) and by requests.
    pub flow_bytes: u64,
    /// `lb.jsonl`: one JSON object per membership, health or fault event.
    pub log: Vec<String>,
    pub faults_started: u64,
    pub faults_repaired: u64,
    last_sample: SimTime,
    /// When each sample (and link row) was taken.
    pub sample_times: Vec<SimTime>,
}

impl TrafficRecorder {
    pub fn new(world: &World) -> Self {
        let dir_links = world.topology.as_ref().map_or(0, |t| 2 * t.links.len());
        let samples = (world.end.0 / world.sample_every.0.max(1)) as usize + 2;
        TrafficRecorder {
            services: world
                .traffic
                .services
                .iter()
                .map(|s| ServiceTrack {
                    name: s.name.clone(),
                    sent: 0,
                    completed: 0,
                    failed: [0; RequestError::ALL.len()],
                    latency_us: histogram(),
                    latency_sum_ns: 0,
                    interval_us: histogram(),
                    interval_sent: 0,
                    interval_completed: 0,
                    interval_failed: 0,
                    in_system: 0,
                    area_ns: 0.0,
                    last_t: SimTime::ZERO,
                    member_downs: 0,
                    member_ups: 0,
                })
                .collect(),
            dir_links,
            keep_bins: dir_links * samples <= MAX_LINK_CELLS,
            link_total: vec![0.0; dir_links],
            ..Default::default()
        }
    }

    /// Whether there is anything to report.
    pub fn active(&self) -> bool {
        !self.services.is_empty() || self.dir_links > 0
    }

    #[inline]
    fn add_path(&mut self, p: PathId, bytes: u64) {
        if p == NONE || bytes == 0 {
            return;
        }
        let i = p as usize;
        if i >= self.path_bytes.len() {
            self.path_bytes.resize(i + 1, 0);
        }
        if self.path_bytes[i] == 0 {
            self.touched.push(p);
        }
        self.path_bytes[i] += bytes;
    }

    #[inline]
    pub fn sent(&mut self, now: SimTime, service: u32) {
        let s = &mut self.services[service as usize];
        s.close(now);
        s.in_system += 1;
        s.sent += 1;
        s.interval_sent += 1;
    }

    #[inline]
    pub fn done(&mut self, now: SimTime, d: &Completion) {
        let s = &mut self.services[d.service as usize];
        s.close(now);
        s.in_system -= 1;
        // The answer is still on its way back for `back`.
        s.area_ns += d.back.0 as f64;
        s.completed += 1;
        s.interval_completed += 1;
        let us = d.latency.0 / 1000;
        // Into the interval's histogram only: it is added to the whole run's at every
        // sample (one record per request instead of two).
        s.interval_us.saturating_record(us);
        s.latency_sum_ns += d.latency.0 as u128;
        if let Some(&m) = self.member_of_endpoint.get(d.endpoint as usize) {
            if m != NONE {
                let t = &mut self.members[m as usize];
                t.served += 1;
                t.latency_sum_ns += d.latency.0 as u128;
            }
        }
        self.add_path(d.paths[0], d.request_bytes);
        self.add_path(d.paths[1], d.request_bytes);
        self.add_path(d.paths[2], d.response_bytes);
        self.add_path(d.paths[3], d.response_bytes);
    }

    #[inline]
    pub fn failed(&mut self, now: SimTime, service: u32, why: RequestError, was_sent: bool) {
        let s = &mut self.services[service as usize];
        if was_sent {
            s.close(now);
            s.in_system -= 1;
        }
        s.failed[why.index()] += 1;
        s.interval_failed += 1;
    }

    pub fn endpoint(&mut self, now: SimTime, world: &World, ep: u32, added: bool) {
        let e = &world.traffic.endpoints[ep as usize];
        let name = world.traffic.endpoint_name(world, ep);
        let i = ep as usize;
        if self.member_of_endpoint.len() <= i {
            self.member_of_endpoint.resize(i + 1, NONE);
        }
        let service = &world.traffic.services[e.service as usize].name;
        if added {
            self.member_of_endpoint[i] = self.members.len() as u32;
            self.members.push(MemberTrack {
                service: e.service,
                name: name.clone(),
                host: world.hosts[e.host].name.clone(),
                served: 0,
                latency_sum_ns: 0,
                joined: now,
                left: None,
            });
        } else if self.member_of_endpoint[i] != NONE {
            self.members[self.member_of_endpoint[i] as usize].left = Some(now);
            self.member_of_endpoint[i] = NONE;
        }
        self.log.push(
            serde_json::json!({
                "time_s": now.as_secs_f64(),
                "event": if added { "endpoint_added" } else { "endpoint_removed" },
                "service": service,
                "member": name,
                "host": world.hosts[e.host].name,
            })
            .to_string(),
        );
    }

    pub fn health(&mut self, now: SimTime, world: &World, pool: u32, member: u32, up: bool) {
        let p = &world.nsx.pools[pool as usize];
        let name = world
            .traffic
            .service_of_pool(pool)
            .and_then(|s| {
                if up {
                    self.services[s].member_ups += 1;
                } else {
                    self.services[s].member_downs += 1;
                }
                world.traffic.member_endpoint(s, member)
            })
            .map_or_else(
                || format!("member-{member}"),
                |ep| world.traffic.endpoint_name(world, ep),
            );
        self.log.push(
            serde_json::json!({
                "time_s": now.as_secs_f64(),
                "event": if up { "member_up" } else { "member_down" },
                "pool": p.name,
                "member": name,
                "pool_up": p.up,
            })
            .to_string(),
        );
    }

    pub fn fault(&mut self, now: SimTime, world: &World, fault: u32, started: bool, hits: u32) {
        if started {
            self.faults_started += 1;
        } else {
            self.faults_repaired += 1;
        }
        let spec = world.traffic.fault(fault);
        let crate::scenario::FaultTarget::Pod { group, index } = spec.target;
        self.log.push(
            serde_json::json!({
                "time_s": now.as_secs_f64(),
                "event": if started { "fault_start" } else { "fault_end" },
                "fault": fault,
                "pod": format!("{}-{index}", world.groups[crate::model::GroupId(group as u32)].spec.name),
                "mode": format!("{:?}", spec.mode).to_lowercase(),
                "endpoints_hit": hits,
            })
            .to_string(),
        );
    }

    pub fn flow(&mut self, now: SimTime, path: PathId, bytes: u64, over: SimDuration) {
        self.flow_bytes += bytes;
        if over.0 == 0 {
            self.add_path(path, bytes);
        } else {
            self.flows.push(Flow {
                start: now,
                end: now + over,
                path,
                bytes,
            });
        }
    }

    /// Closes the sampling interval ending at `now`.
    pub fn sample(&mut self, now: SimTime, world: &World) {
        let mut row = IntervalRow {
            time: now,
            services: Vec::with_capacity(self.services.len()),
        };
        for s in &mut self.services {
            let q = |h: &Histogram<u64>, p: f64| {
                if h.is_empty() {
                    0.0
                } else {
                    h.value_at_quantile(p) as f64 / 1e6
                }
            };
            row.services.push(IntervalStats {
                sent: s.interval_sent,
                completed: s.interval_completed,
                failed: s.interval_failed,
                p50: q(&s.interval_us, 0.5),
                p95: q(&s.interval_us, 0.95),
                p99: q(&s.interval_us, 0.99),
                in_system: s.in_system,
            });
            s.latency_us.add(&s.interval_us).expect("same bounds");
            s.interval_us.reset();
            s.interval_sent = 0;
            s.interval_completed = 0;
            s.interval_failed = 0;
        }
        if !self.services.is_empty() {
            self.rows.push(row);
        }
        if let Some(bin) = self.flush(now, world) {
            if self.keep_bins {
                self.link_bins.extend(bin.iter().map(|b| b.round() as u64));
            }
        }
        self.sample_times.push(now);
        self.last_sample = now;
    }

    /// Bytes put on the links since the last sample (up to `now`), added to the totals.
    fn flush(&mut self, now: SimTime, world: &World) -> Option<Vec<f64>> {
        let t = world.topology.as_ref()?;
        let mut bin = vec![0.0f64; self.dir_links];
        for p in self.touched.drain(..) {
            let bytes = std::mem::take(&mut self.path_bytes[p as usize]) as f64;
            for &(d, share) in t.hops(p) {
                bin[d as usize] += bytes * share as f64;
            }
        }
        let (from, to) = (self.last_sample, now);
        self.flows.retain(|f| {
            let overlap = f.end.min(to).0.saturating_sub(f.start.max(from).0);
            if overlap > 0 {
                let part = overlap as f64 / (f.end.0 - f.start.0) as f64;
                for &(d, share) in t.hops(f.path) {
                    bin[d as usize] += f.bytes as f64 * part * share as f64;
                }
            }
            f.end > to
        });
        for (d, b) in bin.iter().enumerate() {
            self.link_total[d] += b;
        }
        Some(bin)
    }

    pub fn finish(&mut self, end: SimTime, world: &World) {
        for s in &mut self.services {
            s.close(end);
            s.latency_us.add(&s.interval_us).expect("same bounds");
            s.interval_us.reset();
        }
        // What crossed the links after the last sample counts in the totals.
        self.flush(end, world);
        self.last_sample = end;
    }
}

/// Adds the traffic, load-balancer, edge and link keys to `summary.json`'s metrics (only
/// when the scenario has Services or a topology, so other scenarios' summaries keep their
/// keys).
pub fn summarize_into(
    m: &mut std::collections::BTreeMap<String, serde_json::Value>,
    world: &World,
    t: &TrafficRecorder,
    end: SimTime,
) {
    use super::summary::r;
    use serde_json::json;
    let secs = end.as_secs_f64().max(1e-9);
    let q = |h: &Histogram<u64>, p: f64| {
        if h.is_empty() {
            0.0
        } else {
            h.value_at_quantile(p) as f64 / 1e6
        }
    };
    if !t.services.is_empty() {
        let mut all = histogram();
        let (mut sent, mut done, mut failed, mut sum) = (0u64, 0u64, [0u64; 7], 0u128);
        for (si, s) in t.services.iter().enumerate() {
            let p = format!("service.{}.", s.name);
            all.add(&s.latency_us).expect("same bounds");
            sent += s.sent;
            done += s.completed;
            sum += s.latency_sum_ns;
            for (i, f) in s.failed.iter().enumerate() {
                failed[i] += f;
            }
            m.insert(format!("{p}requests_sent"), json!(s.sent));
            m.insert(format!("{p}requests_completed"), json!(s.completed));
            m.insert(format!("{p}requests_failed"), json!(s.failed_total()));
            for why in RequestError::ALL {
                m.insert(
                    format!("{p}failed_{}", why.key()),
                    json!(s.failed[why.index()]),
                );
            }
            m.insert(format!("{p}throughput_rps"), r(s.completed as f64 / secs));
            m.insert(format!("{p}latency_p50_s"), r(q(&s.latency_us, 0.5)));
            m.insert(format!("{p}latency_p95_s"), r(q(&s.latency_us, 0.95)));
            m.insert(format!("{p}latency_p99_s"), r(q(&s.latency_us, 0.99)));
            m.insert(
                format!("{p}latency_max_s"),
                r(if s.latency_us.is_empty() {
                    0.0
                } else {
                    s.latency_us.max() as f64 / 1e6
                }),
            );
            m.insert(format!("{p}latency_mean_s"), r(s.mean_latency_s()));
            m.insert(format!("{p}mean_in_system"), r(s.mean_in_system(end)));
            m.insert(format!("{p}member_downs"), json!(s.member_downs));
            m.insert(format!("{p}member_ups"), json!(s.member_ups));
            let members: Vec<&MemberTrack> = t
                .members
                .iter()
                .filter(|x| x.service as usize == si)
                .collect();
            m.insert(format!("{p}members"), json!(members.len()));
            let top = members.iter().map(|x| x.served).max().unwrap_or(0);
            m.insert(
                format!("{p}busiest_member_share"),
                r(if s.completed == 0 {
                    0.0
                } else {
                    top as f64 / s.completed as f64
                }),
            );
        }
        m.insert("requests_sent".into(), json!(sent));
        m.insert("requests_completed".into(), json!(done));
        m.insert("requests_failed".into(), json!(failed.iter().sum::<u64>()));
        for why in RequestError::ALL {
            m.insert(
                format!("requests_failed_{}", why.key()),
                json!(failed[why.index()]),
            );
        }
        m.insert("request_latency_p50_s".into(), r(q(&all, 0.5)));
        m.insert("request_latency_p95_s".into(), r(q(&all, 0.95)));
        m.insert("request_latency_p99_s".into(), r(q(&all, 0.99)));
        m.insert(
            "request_latency_mean_s".into(),
            r(if done == 0 {
                0.0
            } else {
                sum as f64 / done as f64 / 1e9
            }),
        );
        for lb in &world.nsx.lbs {
            let p = format!("lb.{}.", lb.name);
            m.insert(format!("{p}connections"), json!(lb.accepted));
            m.insert(format!("{p}refused"), json!(lb.refused));
        }
        for e in &world.nsx.edges {
            let p = format!("edge.{}.", e.name);
            m.insert(format!("{p}traversals"), json!(e.traversals));
            m.insert(format!("{p}bytes"), json!(e.bytes));
            m.insert(format!("{p}utilisation"), r(e.busy.as_secs_f64() / secs));
            m.insert(
                format!("{p}wait_mean_s"),
                r(if e.traversals == 0 {
                    0.0
                } else {
                    e.wait.as_secs_f64() / e.traversals as f64
                }),
            );
        }
        if !world.traffic.faults_is_empty() {
            m.insert("faults_started".into(), json!(t.faults_started));
            m.insert("faults_repaired".into(), json!(t.faults_repaired));
        }
    }
    if let Some(topo) = &world.topology {
        m.insert("network.links".into(), json!(topo.links.len()));
        let mut by_class: std::collections::BTreeMap<&str, f64> = std::collections::BTreeMap::new();
        for c in ["host", "fabric", "edge"] {
            by_class.insert(c, 0.0);
        }
        let mut mean_max = 0.0f64;
        for (d, bytes) in t.link_total.iter().enumerate() {
            let l = &topo.links[d / 2];
            *by_class.entry(l.class.key()).or_insert(0.0) += bytes;
            mean_max = mean_max.max(bytes / (l.bytes_per_s * secs));
        }
        let total: f64 = by_class.values().sum();
        m.insert("network.bytes".into(), json!(total.round() as u64));
        for (c, b) in by_class {
            m.insert(format!("network.bytes_{c}_links"), json!(b.round() as u64));
        }
        m.insert("network.link_util_mean_max".into(), r(mean_max));
        m.insert("network.link_util_peak".into(), r(t.peak_link_util(world)));
    }
}

impl TrafficRecorder {
    /// The highest utilisation of any directed link in any sampling interval.
    pub fn peak_link_util(&self, world: &World) -> f64 {
        let Some(topo) = &world.topology else {
            return 0.0;
        };
        let rows = self.link_rows();
        let mut peak = 0.0f64;
        let mut prev = SimTime::ZERO;
        for row in 0..rows {
            let t = self.row_time(world, row);
            let dt = t.since(prev).as_secs_f64();
            prev = t;
            if dt <= 0.0 {
                continue;
            }
            for d in 0..self.dir_links {
                let cap = topo.links[d / 2].bytes_per_s * dt;
                peak = peak.max(self.link_bins[row * self.dir_links + d] as f64 / cap);
            }
        }
        peak
    }

    /// Rows of the per-link series (one per sample, when kept).
    pub fn link_rows(&self) -> usize {
        self.link_bins
            .len()
            .checked_div(self.dir_links)
            .unwrap_or(0)
    }

    /// The time at which link row `row` closed (its sample's time).
    pub fn row_time(&self, _world: &World, row: usize) -> SimTime {
        self.sample_times[row]
    }
}
