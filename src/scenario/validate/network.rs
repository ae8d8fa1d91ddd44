//! Checks of the network sections: topology (generated or explicit), NSX edges, load
//! balancers and segments, Services with their pools, servers and clients, fault windows,
//! and that the topology connects every pair of nodes that must talk.

use super::workload::lifetime;
use super::V;
use crate::engine::SimDuration;
use crate::policy::lb::{Algorithm, MonitorParams};
use crate::scenario::diagnostic::did_you_mean;
use crate::scenario::raw::*;
use crate::scenario::raw_net::*;
use crate::scenario::spec::*;
use crate::scenario::spec_net::*;
use crate::scenario::units;
use petgraph::unionfind::UnionFind;
use std::collections::BTreeMap;

/// Defaults of the network model, with their sources.
pub mod defaults {
    /// Latency of a host's link to its top-of-rack switch: 5 µs. Assumption (a
    /// cut-through switch hop is about a microsecond; the host's virtual switch and NIC
    /// add a few).
    pub const HOST_LINK_LATENCY_NS: u64 = 5_000;
    /// Latency of a switch-to-switch link: 1 µs. Assumption (one cut-through hop).
    pub const UPLINK_LATENCY_NS: u64 = 1_000;
    /// ToR-to-spine bandwidth: 100 Gbit/s. Assumption (a common leaf-spine uplink).
    pub const UPLINK_BYTES_PER_S: f64 = 100e9 / 8.0;
    /// Spines in a generated leaf-spine: 2. Assumption (the smallest redundant fabric).
    pub const SPINES: u64 = 2;
    /// An edge node's link: 25 Gbit/s. Assumption.
    pub const EDGE_LINK_BYTES_PER_S: f64 = 25e9 / 8.0;
    /// An edge node's forwarding capacity: 10 Gbit/s, the top of the 2-10 Gbps range
    /// recommended for a Large NSX Edge VM ("NSX Edge VM System Requirements", as
    /// tabulated at virten.net, "NSX-T 3.1 Edge Node Sizing").
    pub const EDGE_BYTES_PER_S: f64 = 10e9 / 8.0;
    /// Request and response sizes: 1 KB and 10 KB. Assumptions.
    pub const REQUEST_BYTES: u64 = 1_000;
    pub const RESPONSE_BYTES: u64 = 10_000;
    /// Requests that may wait at a pod beyond those in service: 511, NGINX's default
    /// `listen` backlog on Linux (nginx docs, `listen ... backlog=number`).
    pub const QUEUE_LIMIT: u64 = 511;
    /// Requests a pod serves at once: 1. Assumption (one worker; set `workers`).
    pub const WORKERS: u64 = 1;
    /// Slow start of a member that just came up: 30 s. Assumption: NSX does not publish
    /// its ramp; 30 s is the shortest slow start AWS's load balancers allow.
    pub const SLOW_START_S: u64 = 30;
    /// Distinct addresses of external clients: 1000. Assumption.
    pub const EXTERNAL_SOURCES: u64 = 1000;
    /// The virtual server's port.
    pub const PORT: u64 = 80;
}

/// Most requests a run may expect (it bounds the run's events like `Limits::MAX_ARRIVALS`).
pub const MAX_REQUESTS: f64 = 1.0e9;

/// What the checks look names up in.
struct Ctx<'a> {
    hosts: Vec<String>,
    host_nic: Vec<f64>,
    host_cluster: Vec<usize>,
    /// Host groups flattened over clusters: (name, cluster).
    host_groups: Vec<(&'a str, usize)>,
    workloads: &'a [RawWorkload],
    clusters: &'a [ClusterSpec],
    specs: &'a [WorkloadSpec],
}

impl Ctx<'_> {
    fn pod_groups(&self) -> impl Iterator<Item = &str> {
        self.workloads
            .iter()
            .filter(|w| w.kind == "pod-group")
            .map(|w| w.name.as_str())
    }

    /// The pod group named `name` (its workload index), or an error message and hint.
    fn pod_group(&self, name: &str, role: &str) -> Result<usize, (String, String)> {
        match self.workloads.iter().position(|w| w.name == name) {
            Some(i) if self.workloads[i].kind == "pod-group" => Ok(i),
            Some(i) => Err((
                format!(
                    "`{name}` is a {}, not a pod group: {role} are pods",
                    self.workloads[i].kind
                ),
                "name a pod-group workload".to_string(),
            )),
            None => Err((
                format!("no pod group is named `{name}`, so {role} select no pods"),
                match did_you_mean(name, self.pod_groups()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => {
                        let all: Vec<&str> = self.pod_groups().collect();
                        if all.is_empty() {
                            "the scenario has no pod-group workloads".to_string()
                        } else {
                            format!("the pod groups are {}", all.join(", "))
                        }
                    }
                },
            )),
        }
    }

    /// The cluster a workload runs on.
    fn cluster_of(&self, w: usize) -> Option<usize> {
        self.specs.get(w).map(|s| s.cluster)
    }
}

/// The network, Services and faults of a scenario.
pub(super) fn network_sections(
    v: &mut V,
    raw: &RawScenario,
    clusters: &[ClusterSpec],
    specs: &[WorkloadSpec],
    duration: Option<SimDuration>,
) -> (NetworkSpec, Vec<ServiceSpec>, Vec<FaultSpec>) {
    let mut ctx = Ctx {
        hosts: Vec::new(),
        host_nic: Vec::new(),
        host_cluster: Vec::new(),
        host_groups: Vec::new(),
        workloads: &raw.workloads,
        clusters,
        specs,
    };
    for (ci, c) in clusters.iter().enumerate() {
        for g in &c.host_groups {
            ctx.host_groups.push((g.name.as_str(), ci));
            for n in 0..g.count {
                ctx.hosts.push(format!("{}-{n}", g.name));
                ctx.host_nic.push(g.nic_bytes_per_s);
                ctx.host_cluster.push(ci);
            }
        }
    }
    let net = network(v, raw.network.as_ref(), &ctx);
    let services: Vec<ServiceSpec> = raw
        .services
        .iter()
        .enumerate()
        .filter_map(|(i, s)| service(v, &format!("services[{i}]"), s, &net, &ctx))
        .collect();
    v.unique_names(
        "services",
        raw.services.iter().map(|s| s.name.as_str()),
        "service",
    );
    if services.len() == raw.services.len() {
        virtual_servers(v, raw.network.as_ref(), &net, &services);
        expected_requests(v, &services, duration);
        connectivity(v, raw, &net, &services, &ctx);
    }
    let faults = raw
        .faults
        .iter()
        .enumerate()
        .filter_map(|(i, f)| fault(v, &format!("faults[{i}]"), f, &services, &ctx))
        .collect();
    (net, services, faults)
}

fn positive_bandwidth(v: &mut V, path: &str, s: &Scalar) -> Option<f64> {
    let b = v.parse(path, s, units::parse_bandwidth)?;
    if b <= 0.0 {
        v.err(
            path,
            "the bandwidth is 0",
            "write a bandwidth above 0, such as `25Gbit/s`",
        );
        return None;
    }
    Some(b)
}

fn network(v: &mut V, raw: Option<&RawNetwork>, ctx: &Ctx) -> NetworkSpec {
    let default = RawNetwork::default();
    let rn = raw.unwrap_or(&default);
    let np = "network";
    // Edges.
    let edges: Vec<EdgeSpec> = match &rn.edges {
        None => vec![EdgeSpec {
            name: "edge-0".into(),
            bytes_per_s: defaults::EDGE_BYTES_PER_S,
        }],
        Some(list) => {
            if list.is_empty() {
                v.err(
                    &format!("{np}.edges"),
                    "the network has no edge nodes",
                    "leave `edges` out for one default edge, or list at least one: `edges: [ { name: edge-0 } ]`",
                );
            }
            v.unique_names(
                &format!("{np}.edges"),
                list.iter().map(|e| e.name.as_str()),
                "edge",
            );
            list.iter()
                .enumerate()
                .map(|(i, e)| EdgeSpec {
                    name: e.name.clone(),
                    bytes_per_s: e
                        .throughput
                        .as_ref()
                        .and_then(|t| {
                            positive_bandwidth(v, &format!("{np}.edges[{i}].throughput"), t)
                        })
                        .unwrap_or(defaults::EDGE_BYTES_PER_S),
                })
                .collect()
        }
    };
    let edge_names: Vec<String> = edges.iter().map(|e| e.name.clone()).collect();
    let edge_index = |v: &mut V, path: &str, name: &str| -> Option<usize> {
        let names: Vec<&str> = edge_names.iter().map(String::as_str).collect();
        lookup(v, path, name, &names, "edge node")
    };

    // Topology.
    let generated = rn.racks.is_some()
        || rn.hosts_per_rack.is_some()
        || rn.spines.is_some()
        || rn.uplink.is_some()
        || rn.edge_link.is_some();
    let explicit = rn.switches.is_some() || rn.links.is_some();
    let latency = |v: &mut V, field: &str, s: &Option<Scalar>, default: u64| match s {
        None => Some(SimDuration(default)),
        Some(s) => v.duration(&format!("{np}.{field}"), s, true),
    };
    let host_lat = latency(
        v,
        "host_link_latency",
        &rn.host_link_latency,
        defaults::HOST_LINK_LATENCY_NS,
    )
    .unwrap_or(SimDuration(defaults::HOST_LINK_LATENCY_NS));
    let up_lat = latency(
        v,
        "uplink_latency",
        &rn.uplink_latency,
        defaults::UPLINK_LATENCY_NS,
    )
    .unwrap_or(SimDuration(defaults::UPLINK_LATENCY_NS));
    let topology = if generated && explicit {
        v.err(
            np,
            "the network gives both a generated leaf-spine (`racks`, `spines`, ...) and explicit `switches`/`links`",
            "keep one: `racks: 2` (and optionally `hosts_per_rack`, `spines`, `uplink`), or `switches` with `links`",
        );
        None
    } else if generated {
        generate(v, rn, ctx, &edges, host_lat, up_lat)
    } else if explicit {
        explicit_topology(v, rn, ctx, &edges, host_lat, up_lat)
    } else {
        None
    };
    if !generated && (rn.host_link_latency.is_some() || rn.uplink_latency.is_some()) && !explicit {
        v.err(
            np,
            "link latencies are given but there is no topology",
            "add `racks: N` for a generated leaf-spine, or `links` for an explicit one",
        );
    }
    // Names of hosts, switches and edges must not collide.
    if let Some(t) = &topology {
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        for h in &ctx.hosts {
            seen.insert(h, "host");
        }
        for (what, names) in [
            (
                "switch",
                t.switches.iter().map(String::as_str).collect::<Vec<_>>(),
            ),
            ("edge", edges.iter().map(|e| e.name.as_str()).collect()),
        ] {
            for n in names {
                if let Some(first) = seen.get(n) {
                    v.err(
                        np,
                        format!("`{n}` names both a {first} and a {what}"),
                        "give every host, switch and edge node its own name",
                    );
                } else {
                    seen.insert(n, what);
                }
            }
        }
    }

    // Load balancers.
    let load_balancers: Vec<LbSpec> = match &rn.load_balancers {
        None => vec![LbSpec {
            name: "lb-0".into(),
            edge: 0,
            size: LbSize::Small,
            cps: LbSize::Small.processes() as f64 * crate::model::nsx::CPS_PER_LB_PROCESS,
        }],
        Some(list) => {
            v.unique_names(
                &format!("{np}.load_balancers"),
                list.iter().map(|l| l.name.as_str()),
                "load balancer",
            );
            list.iter()
                .enumerate()
                .filter_map(|(i, l)| {
                    let lp = format!("{np}.load_balancers[{i}]");
                    let edge = match &l.edge {
                        None => Some(0),
                        Some(e) => edge_index(v, &format!("{lp}.edge"), e),
                    };
                    let size = one_of(
                        v,
                        &format!("{lp}.size"),
                        l.size.as_deref(),
                        &[
                            ("SMALL", LbSize::Small),
                            ("MEDIUM", LbSize::Medium),
                            ("LARGE", LbSize::Large),
                        ],
                        LbSize::Small,
                        "load balancer size",
                    );
                    let cps = match &l.cps {
                        None => size
                            .map(|s| s.processes() as f64 * crate::model::nsx::CPS_PER_LB_PROCESS),
                        Some(c) => {
                            let p = format!("{lp}.cps");
                            let x = v.parse(&p, c, units::parse_number)?;
                            if x < 1.0 {
                                v.err(
                                    &p,
                                    format!("{x} connections per second"),
                                    "write at least 1",
                                );
                                None
                            } else {
                                Some(x)
                            }
                        }
                    };
                    Some(LbSpec {
                        name: l.name.clone(),
                        edge: edge?,
                        size: size?,
                        cps: cps?,
                    })
                })
                .collect()
        }
    };

    // Segments.
    v.unique_names(
        &format!("{np}.segments"),
        rn.segments.iter().map(|s| s.name.as_str()),
        "segment",
    );
    let mut segment_of: BTreeMap<usize, usize> = BTreeMap::new();
    let mut segments = Vec::new();
    for (si, s) in rn.segments.iter().enumerate() {
        let mut groups = Vec::new();
        for (gi, g) in s.pod_groups.iter().enumerate() {
            let p = format!("{np}.segments[{si}].pod_groups[{gi}]");
            match ctx.pod_group(g, "segment members") {
                Ok(w) => {
                    if let Some(first) = segment_of.get(&w) {
                        v.err(
                            &p,
                            format!("pod group `{g}` is on two segments"),
                            format!(
                                "it is already on `{}`; a namespace has one segment",
                                rn.segments[*first].name
                            ),
                        );
                    } else {
                        segment_of.insert(w, si);
                        groups.push(w);
                    }
                }
                Err((m, h)) => v.err(&p, m, h),
            }
        }
        segments.push(SegmentSpec {
            name: s.name.clone(),
            groups,
        });
    }
    let gateway = match &rn.gateway {
        None => 0,
        Some(g) => edge_index(v, &format!("{np}.gateway"), g).unwrap_or(0),
    };
    let image_source = rn.image_source.as_ref().and_then(|name| {
        let p = format!("{np}.image_source");
        let Some(t) = &topology else {
            v.err(
                &p,
                "`image_source` needs a topology",
                "add `racks: N` or explicit `links`",
            );
            return None;
        };
        node_ref(v, &p, name, ctx, &t.switches, &edges)
    });
    NetworkSpec {
        topology,
        edges,
        load_balancers,
        segments,
        gateway,
        image_source,
    }
}

/// A node by name: a host, a switch or an edge.
fn node_ref(
    v: &mut V,
    path: &str,
    name: &str,
    ctx: &Ctx,
    switches: &[String],
    edges: &[EdgeSpec],
) -> Option<NodeRef> {
    if let Some(h) = ctx.hosts.iter().position(|h| h == name) {
        return Some(NodeRef::Host(h));
    }
    if let Some(s) = switches.iter().position(|s| s == name) {
        return Some(NodeRef::Switch(s));
    }
    if let Some(e) = edges.iter().position(|e| e.name == name) {
        return Some(NodeRef::Edge(e));
    }
    let all = ctx
        .hosts
        .iter()
        .map(String::as_str)
        .chain(switches.iter().map(String::as_str))
        .chain(edges.iter().map(|e| e.name.as_str()));
    let hint = match did_you_mean(name, all) {
        Some(s) => format!("did you mean `{s}`?"),
        None => "nodes are hosts (`<host group>-<n>`), the `switches` listed, and the edges".into(),
    };
    v.err(
        path,
        format!("no host, switch or edge is named `{name}`"),
        hint,
    );
    None
}

/// A generated leaf-spine: `racks` ToRs (hosts in scenario order, `hosts_per_rack` each),
/// `spines` spines each linked to every ToR, and a border leaf for the edges.
fn generate(
    v: &mut V,
    rn: &RawNetwork,
    ctx: &Ctx,
    edges: &[EdgeSpec],
    host_lat: SimDuration,
    up_lat: SimDuration,
) -> Option<TopologySpec> {
    let np = "network";
    let hosts = ctx.hosts.len() as u64;
    let racks = match &rn.racks {
        Some(r) => v.positive_count(&format!("{np}.racks"), r, 100_000, "the rack count")?,
        None => {
            v.err(
                np,
                "a generated leaf-spine needs `racks`",
                "add e.g. `racks: 2`",
            );
            return None;
        }
    };
    let per_rack = match &rn.hosts_per_rack {
        Some(p) => v.positive_count(
            &format!("{np}.hosts_per_rack"),
            p,
            100_000,
            "hosts per rack",
        )?,
        None => hosts.div_ceil(racks).max(1),
    };
    if racks * per_rack < hosts {
        v.err(
            &format!("{np}.hosts_per_rack"),
            format!(
                "{racks} racks of {per_rack} hosts hold {}, but the scenario has {hosts} hosts",
                racks * per_rack
            ),
            format!(
                "raise `hosts_per_rack` to {} or add racks",
                hosts.div_ceil(racks)
            ),
        );
        return None;
    }
    let spines = match &rn.spines {
        Some(s) => v.positive_count(&format!("{np}.spines"), s, 1024, "the spine count")?,
        None => defaults::SPINES,
    };
    let uplink = match &rn.uplink {
        Some(u) => positive_bandwidth(v, &format!("{np}.uplink"), u)?,
        None => defaults::UPLINK_BYTES_PER_S,
    };
    let edge_link = match &rn.edge_link {
        Some(u) => positive_bandwidth(v, &format!("{np}.edge_link"), u)?,
        None => defaults::EDGE_LINK_BYTES_PER_S,
    };
    let mut switches: Vec<String> = (0..racks).map(|r| format!("tor-{r}")).collect();
    switches.extend((0..spines).map(|s| format!("spine-{s}")));
    let mut links = Vec::new();
    for h in 0..ctx.hosts.len() {
        links.push(LinkSpec {
            a: NodeRef::Host(h),
            b: NodeRef::Switch(h / per_rack as usize),
            bytes_per_s: ctx.host_nic[h],
            latency: host_lat,
        });
    }
    for r in 0..racks as usize {
        for s in 0..spines as usize {
            links.push(LinkSpec {
                a: NodeRef::Switch(r),
                b: NodeRef::Switch(racks as usize + s),
                bytes_per_s: uplink,
                latency: up_lat,
            });
        }
    }
    if !edges.is_empty() {
        let border = switches.len();
        switches.push("border-leaf".into());
        for s in 0..spines as usize {
            links.push(LinkSpec {
                a: NodeRef::Switch(border),
                b: NodeRef::Switch(racks as usize + s),
                bytes_per_s: uplink,
                latency: up_lat,
            });
        }
        for e in 0..edges.len() {
            links.push(LinkSpec {
                a: NodeRef::Edge(e),
                b: NodeRef::Switch(border),
                bytes_per_s: edge_link,
                latency: host_lat,
            });
        }
    }
    Some(TopologySpec { switches, links })
}

fn explicit_topology(
    v: &mut V,
    rn: &RawNetwork,
    ctx: &Ctx,
    edges: &[EdgeSpec],
    host_lat: SimDuration,
    up_lat: SimDuration,
) -> Option<TopologySpec> {
    let np = "network";
    let switches = rn.switches.clone().unwrap_or_default();
    v.unique_names(
        &format!("{np}.switches"),
        switches.iter().map(String::as_str),
        "switch",
    );
    let mut links = Vec::new();
    let mut ok = true;
    for (i, l) in rn.links.iter().flatten().enumerate() {
        let lp = format!("{np}.links[{i}]");
        if l.between.len() != 2 {
            v.err(
                &format!("{lp}.between"),
                format!("a link joins two nodes, not {}", l.between.len()),
                "write `between: [esx-0, tor-0]`",
            );
            ok = false;
            continue;
        }
        let a = node_ref(
            v,
            &format!("{lp}.between[0]"),
            &l.between[0],
            ctx,
            &switches,
            edges,
        );
        let b = node_ref(
            v,
            &format!("{lp}.between[1]"),
            &l.between[1],
            ctx,
            &switches,
            edges,
        );
        let (Some(a), Some(b)) = (a, b) else {
            ok = false;
            continue;
        };
        if a == b {
            v.err(
                &format!("{lp}.between"),
                format!("the link joins `{}` to itself", l.between[0]),
                "name two different nodes",
            );
            ok = false;
            continue;
        }
        let host_end = match (a, b) {
            (NodeRef::Host(h), _) | (_, NodeRef::Host(h)) => Some(h),
            _ => None,
        };
        let bytes_per_s = match &l.bandwidth {
            Some(bw) => match positive_bandwidth(v, &format!("{lp}.bandwidth"), bw) {
                Some(b) => b,
                None => {
                    ok = false;
                    continue;
                }
            },
            None => host_end.map_or(defaults::UPLINK_BYTES_PER_S, |h| ctx.host_nic[h]),
        };
        let latency = match &l.latency {
            Some(s) => match v.duration(&format!("{lp}.latency"), s, true) {
                Some(d) => d,
                None => {
                    ok = false;
                    continue;
                }
            },
            None if host_end.is_some() => host_lat,
            None => up_lat,
        };
        links.push(LinkSpec {
            a,
            b,
            bytes_per_s,
            latency,
        });
    }
    ok.then_some(TopologySpec { switches, links })
}

fn count_in(v: &mut V, path: &str, s: &Scalar, lo: u64, hi: u64, what: &str) -> Option<u64> {
    let x = v.parse(path, s, units::parse_number)?;
    if x.fract() != 0.0 || x < lo as f64 || x > hi as f64 {
        v.err(
            path,
            format!("{what} is {}, not a whole number from {lo} to {hi}", s.0),
            format!("write a whole number from {lo} to {hi}"),
        );
        return None;
    }
    Some(x as u64)
}

/// `names` listed for a hint: "`a`, `b` or `c`".
fn listing(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// The value of the word `given` among `options` (`default` when not given); an unknown
/// word is "unknown {what}" with a did-you-mean.
fn one_of<T: Copy>(
    v: &mut V,
    path: &str,
    given: Option<&str>,
    options: &[(&str, T)],
    default: T,
    what: &str,
) -> Option<T> {
    let Some(word) = given else {
        return Some(default);
    };
    if let Some((_, t)) = options.iter().find(|(w, _)| *w == word) {
        return Some(*t);
    }
    let words: Vec<&str> = options.iter().map(|(w, _)| *w).collect();
    let hint = match did_you_mean(word, words.iter().copied()) {
        Some(x) => format!("did you mean `{x}`?"),
        None => format!("use {}", listing(&words)),
    };
    v.err(path, format!("unknown {what} `{word}`"), hint);
    None
}

/// The index of `name` among `names`; otherwise "no {what} is named" with a did-you-mean
/// or the list.
fn lookup(v: &mut V, path: &str, name: &str, names: &[&str], what: &str) -> Option<usize> {
    if let Some(i) = names.iter().position(|n| *n == name) {
        return Some(i);
    }
    let hint = match did_you_mean(name, names.iter().copied()) {
        Some(x) => format!("did you mean `{x}`?"),
        None if names.is_empty() => format!("the scenario has no {what}"),
        None => format!("name one of {}", listing(names)),
    };
    v.err(path, format!("no {what} is named `{name}`"), hint);
    None
}

fn service(
    v: &mut V,
    sp: &str,
    s: &RawService,
    net: &NetworkSpec,
    ctx: &Ctx,
) -> Option<ServiceSpec> {
    let kind = one_of(
        v,
        &format!("{sp}.type"),
        s.kind.as_deref(),
        &[
            ("ClusterIP", ServiceKind::ClusterIp),
            ("LoadBalancer", ServiceKind::LoadBalancer),
        ],
        ServiceKind::ClusterIp,
        "Service type",
    );
    let port = match &s.port {
        None => Some(defaults::PORT as u16),
        Some(p) => count_in(v, &format!("{sp}.port"), p, 1, 65535, "the port").map(|p| p as u16),
    };
    // Endpoints.
    let mut endpoints = Vec::new();
    let mut endpoints_ok = true;
    if s.endpoints.0.is_empty() {
        v.err(
            &format!("{sp}.endpoints"),
            format!("the pool of Service `{}` has no members", s.name),
            "name the pod group whose pods serve it: `endpoints: web`",
        );
        endpoints_ok = false;
    }
    for (i, g) in s.endpoints.0.iter().enumerate() {
        let p = if s.endpoints.0.len() == 1 {
            format!("{sp}.endpoints")
        } else {
            format!("{sp}.endpoints[{i}]")
        };
        match ctx.pod_group(g, "endpoints") {
            Ok(w) => {
                if let Some(spec) = ctx.specs.get(w) {
                    if !creates_pods(spec) {
                        v.err(
                            &p,
                            format!("pod group `{g}` creates no pods during the run, so the endpoints select no pods"),
                            "give it an arrival within the run's duration",
                        );
                        endpoints_ok = false;
                    }
                }
                endpoints.push(w);
            }
            Err((m, h)) => {
                v.err(&p, m, h);
                endpoints_ok = false;
            }
        }
    }
    // Where it is balanced.
    let lb_names: Vec<&str> = net.load_balancers.iter().map(|l| l.name.as_str()).collect();
    let lb_index = |v: &mut V, name: &str| -> Option<usize> {
        lookup(
            v,
            &format!("{sp}.load_balancer"),
            name,
            &lb_names,
            "load balancer",
        )
    };
    let balancing = match (kind, &s.load_balancer) {
        (_, Some(name)) => lb_index(v, name).map(Balancing::Central),
        (Some(ServiceKind::LoadBalancer), None) if net.load_balancers.len() == 1 => {
            Some(Balancing::Central(0))
        }
        (Some(ServiceKind::LoadBalancer), None) => {
            v.err(
                sp,
                "a LoadBalancer Service needs `load_balancer`: there are several",
                format!(
                    "name one of {}",
                    net.load_balancers
                        .iter()
                        .map(|l| l.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            None
        }
        (_, None) => Some(Balancing::Distributed),
    };
    let pool = pool(v, &format!("{sp}.pool"), s.pool.as_ref(), ctx);
    let server = server(v, &format!("{sp}.server"), &s.server, &endpoints, ctx);
    let (req, resp) = match &s.request {
        None => (
            Some(defaults::REQUEST_BYTES),
            Some(defaults::RESPONSE_BYTES),
        ),
        Some(r) => (
            r.size.as_ref().map_or(Some(defaults::REQUEST_BYTES), |x| {
                v.parse(&format!("{sp}.request.size"), x, units::parse_bytes)
            }),
            r.response
                .as_ref()
                .map_or(Some(defaults::RESPONSE_BYTES), |x| {
                    v.parse(&format!("{sp}.request.response"), x, units::parse_bytes)
                }),
        ),
    };
    let clients: Vec<Option<ClientSpec>> = s
        .clients
        .iter()
        .enumerate()
        .map(|(i, c)| client(v, &format!("{sp}.clients[{i}]"), c, kind, ctx))
        .collect();
    let clients: Option<Vec<ClientSpec>> = clients.into_iter().collect();
    if !endpoints_ok {
        return None;
    }
    Some(ServiceSpec {
        name: s.name.clone(),
        kind: kind?,
        port: port?,
        balancing: balancing?,
        endpoints,
        pool: pool?,
        server: server?,
        request_bytes: req?,
        response_bytes: resp?,
        clients: clients?,
    })
}

/// Whether a validated pod group creates at least one pod during the run.
fn creates_pods(w: &WorkloadSpec) -> bool {
    match &w.arrival {
        Arrival::AtStart(n) => *n > 0,
        Arrival::Poisson { rate_per_s, limit } => *rate_per_s > 0.0 && limit.is_none_or(|l| l > 0),
        // Times beyond the duration are rejected elsewhere; an empty list creates none.
        Arrival::Times(t) => !t.is_empty(),
    }
}

fn pool(v: &mut V, pp: &str, p: Option<&RawPool>, ctx: &Ctx) -> Option<PoolSpec> {
    let mut spec = PoolSpec {
        algorithm: Algorithm::RoundRobin,
        weights: vec![1; ctx.host_groups.len()],
        slow_start: SimDuration::from_secs(defaults::SLOW_START_S),
        monitor: MonitorParams::default(),
    };
    let Some(p) = p else { return Some(spec) };
    let mut ok = true;
    if let Some(a) = &p.algorithm {
        match Algorithm::parse(a) {
            Some(alg) => spec.algorithm = alg,
            None => {
                let names = crate::policy::lb::CATALOGUE.iter().map(|(n, _)| *n);
                let hint = match did_you_mean(a, names.clone()) {
                    Some(x) => format!("did you mean `{x}`? (`pacsim policies` lists them)"),
                    None => format!(
                        "NSX's algorithms are {}; `pacsim policies` describes them",
                        names.collect::<Vec<_>>().join(", ")
                    ),
                };
                v.err(
                    &format!("{pp}.algorithm"),
                    format!("NSX has no load-balancing algorithm `{a}`"),
                    hint,
                );
                ok = false;
            }
        }
    }
    for (i, w) in p.weights.iter().enumerate() {
        let wp = format!("{pp}.weights[{i}]");
        let groups: Vec<&str> = ctx.host_groups.iter().map(|(n, _)| *n).collect();
        let group = lookup(v, &format!("{wp}.hosts"), &w.hosts, &groups, "host group");
        if group.is_none() {
            ok = false;
        }
        let weight = match v.parse(&format!("{wp}.weight"), &w.weight, units::parse_number) {
            Some(x) if x.fract() == 0.0 && (1.0..=256.0).contains(&x) => Some(x as u32),
            Some(x) => {
                v.err(
                    &format!("{wp}.weight"),
                    format!("weight {x} is not a whole number from 1 to 256"),
                    if x <= 0.0 {
                        "NSX pool member weights are 1 to 256; a member that should take nothing belongs out of the pool"
                    } else {
                        "NSX pool member weights are whole numbers from 1 to 256"
                    },
                );
                None
            }
            None => None,
        };
        match (group, weight) {
            (Some(g), Some(w)) => spec.weights[g] = w,
            _ => ok = false,
        }
    }
    if let Some(s) = &p.slow_start {
        match v.duration(&format!("{pp}.slow_start"), s, true) {
            Some(d) => spec.slow_start = d,
            None => ok = false,
        }
    }
    if let Some(m) = &p.monitor {
        let mp = format!("{pp}.monitor");
        let d = |v: &mut V, f: &str, s: &Option<Scalar>, default: SimDuration| match s {
            None => Some(default),
            Some(s) => v.duration(&format!("{mp}.{f}"), s, false),
        };
        let base = MonitorParams::default();
        let interval = d(v, "interval", &m.interval, base.interval);
        let timeout = d(v, "timeout", &m.timeout, base.timeout);
        let c = |v: &mut V, f: &str, s: &Option<Scalar>, default: u32| match s {
            None => Some(default),
            Some(s) => count_in(v, &format!("{mp}.{f}"), s, 1, 1000, f).map(|x| x as u32),
        };
        let fall = c(v, "fall_count", &m.fall_count, base.fall_count);
        let rise = c(v, "rise_count", &m.rise_count, base.rise_count);
        match (interval, timeout, fall, rise) {
            (Some(interval), Some(timeout), Some(fall_count), Some(rise_count)) => {
                spec.monitor = MonitorParams {
                    interval,
                    timeout,
                    fall_count,
                    rise_count,
                }
            }
            _ => ok = false,
        }
    }
    ok.then_some(spec)
}

fn server(
    v: &mut V,
    sp: &str,
    s: &RawServer,
    endpoints: &[usize],
    ctx: &Ctx,
) -> Option<ServerSpec> {
    let service_time = lifetime(
        v,
        &format!("{sp}.service_time"),
        &RawLifetime::Dist(s.service_time.clone()),
    );
    let workers = match &s.workers {
        None => Some(defaults::WORKERS as u32),
        Some(w) => {
            count_in(v, &format!("{sp}.workers"), w, 1, 100_000, "workers").map(|x| x as u32)
        }
    };
    let discipline = one_of(
        v,
        &format!("{sp}.discipline"),
        s.discipline.as_deref(),
        &[
            ("fifo", Discipline::Fifo),
            ("processor-sharing", Discipline::ProcessorSharing),
        ],
        Discipline::Fifo,
        "queueing discipline",
    );
    let queue_limit = match &s.queue_limit {
        None => Some(defaults::QUEUE_LIMIT as u32),
        Some(q) => count_in(
            v,
            &format!("{sp}.queue_limit"),
            q,
            0,
            10_000_000,
            "queue_limit",
        )
        .map(|x| x as u32),
    };
    let reference_mhz = match &s.reference_clock {
        Some(c) => v
            .parse(&format!("{sp}.reference_clock"), c, units::parse_mhz)
            .and_then(|m| {
                if m > 0.0 {
                    Some(m)
                } else {
                    v.err(
                        &format!("{sp}.reference_clock"),
                        "the clock is 0",
                        "write e.g. `2.6GHz`",
                    );
                    None
                }
            }),
        None => Some(
            endpoints
                .first()
                .and_then(|&w| ctx.cluster_of(w))
                .and_then(|c| ctx.clusters.get(c))
                .map_or(1.0, |c| c.mean_core_mhz()),
        ),
    };
    Some(ServerSpec {
        service_time: service_time?,
        workers: workers?,
        discipline: discipline?,
        queue_limit: queue_limit?,
        reference_mhz: reference_mhz?,
    })
}

fn client(
    v: &mut V,
    cp: &str,
    c: &RawClient,
    kind: Option<ServiceKind>,
    ctx: &Ctx,
) -> Option<ClientSpec> {
    let source = match c.from.as_deref() {
        None | Some("external") => {
            if kind == Some(ServiceKind::ClusterIp) {
                v.err(
                    &format!("{cp}.from"),
                    "a ClusterIP Service is not reachable from outside the cluster",
                    "make the Service `type: LoadBalancer`, or send from a pod group: `from: <pod group>`",
                );
                None
            } else {
                let sources = match &c.sources {
                    None => Some(defaults::EXTERNAL_SOURCES as u32),
                    Some(s) => {
                        count_in(v, &format!("{cp}.sources"), s, 1, 1_000_000_000, "sources")
                            .map(|x| x as u32)
                    }
                };
                sources.map(|sources| ClientSource::External { sources })
            }
        }
        Some(g) => {
            if c.sources.is_some() {
                v.err(
                    &format!("{cp}.sources"),
                    "`sources` is for external clients",
                    "pod clients send from their pods' addresses; remove `sources`",
                );
            }
            match ctx.pod_group(g, "client sources") {
                Ok(w) => Some(ClientSource::Pods(w)),
                Err((m, h)) => {
                    v.err(&format!("{cp}.from"), m, h);
                    None
                }
            }
        }
    };
    let load = match (&c.poisson, &c.closed) {
        (Some(o), None) => {
            let op = format!("{cp}.poisson");
            let rate = v
                .parse(&format!("{op}.rate"), &o.rate, units::parse_rate)
                .and_then(|r| {
                    if r > 0.0 {
                        Some(r)
                    } else {
                        v.err(
                            &format!("{op}.rate"),
                            "the rate is 0",
                            "write a rate above 0, such as `500/s`",
                        );
                        None
                    }
                });
            let diurnal = match &o.diurnal {
                None => Some(None),
                Some(d) => day_curve(v, &format!("{op}.diurnal"), d).map(Some),
            };
            rate.zip(diurnal)
                .map(|(rate_per_s, diurnal)| ClientLoad::Open {
                    rate_per_s,
                    diurnal,
                })
        }
        (None, Some(cl)) => {
            let clp = format!("{cp}.closed");
            let users = count_in(
                v,
                &format!("{clp}.users"),
                &cl.users,
                1,
                10_000_000,
                "users",
            );
            let think = lifetime(
                v,
                &format!("{clp}.think_time"),
                &RawLifetime::Dist(cl.think_time.clone()),
            );
            users.zip(think).map(|(users, think)| ClientLoad::Closed {
                users: users as u32,
                think,
            })
        }
        _ => {
            v.err(
                cp,
                "give exactly one of `poisson` (open loop) and `closed` (closed loop)",
                "e.g. `poisson: { rate: 500/s }` or `closed: { users: 50, think_time: { exponential: { mean: 1s } } }`",
            );
            None
        }
    };
    let start = match &c.start {
        None => Some(SimDuration::ZERO),
        Some(s) => v.duration(&format!("{cp}.start"), s, true),
    };
    Some(ClientSpec {
        source: source?,
        load: load?,
        start: start?,
    })
}

/// A day curve scaling a rate: fractions `min <= max` of it, `max > 0`.
fn day_curve(v: &mut V, p: &str, d: &RawDiurnal) -> Option<DemandModel> {
    let frac = |v: &mut V, f: &str, s: &Scalar| {
        let x = v.parse(&format!("{p}.{f}"), s, units::parse_number)?;
        if (0.0..=1.0).contains(&x) {
            Some(x)
        } else {
            v.err(
                &format!("{p}.{f}"),
                format!("{x} is not a fraction of the rate between 0 and 1"),
                "the curve scales `rate`, its peak: e.g. `min: 0.2, max: 1.0`",
            );
            None
        }
    };
    let min = frac(v, "min", &d.min);
    let max = frac(v, "max", &d.max);
    let peak = v.duration(&format!("{p}.peak_at"), &d.peak_at, true);
    let period = match &d.period {
        Some(s) => v.duration(&format!("{p}.period"), s, false),
        None => Some(SimDuration::from_secs(86_400)),
    };
    let (min, max, peak, period) = (min?, max?, peak?, period?);
    if min > max {
        v.err(
            &format!("{p}.min"),
            format!("min {min} is above max {max}"),
            "swap them",
        );
        return None;
    }
    if max == 0.0 {
        v.err(
            &format!("{p}.max"),
            "the curve is 0 all day",
            "give `max` above 0",
        );
        return None;
    }
    Some(DemandModel::Diurnal {
        min,
        max,
        peak_at_s: peak.as_secs_f64(),
        period_s: period.as_secs_f64(),
    })
}

/// A load balancer hosts at most its size's virtual servers.
fn virtual_servers(
    v: &mut V,
    raw: Option<&RawNetwork>,
    net: &NetworkSpec,
    services: &[ServiceSpec],
) {
    for (li, lb) in net.load_balancers.iter().enumerate() {
        let n = services
            .iter()
            .filter(|s| s.balancing == Balancing::Central(li))
            .count();
        let max = lb.size.max_virtual_servers();
        if n > max {
            let path = if raw.and_then(|r| r.load_balancers.as_ref()).is_some() {
                format!("network.load_balancers[{li}].size")
            } else {
                "services".to_string()
            };
            v.err(
                &path,
                format!(
                    "{n} Services use load balancer `{}`, but a {} load balancer hosts at most {max} virtual servers",
                    lb.name,
                    lb.size.name()
                ),
                "use a larger size (SMALL 20, MEDIUM 100, LARGE 1000) or another load balancer",
            );
        }
    }
}

/// The requests a run would send, roughly, stay within [`MAX_REQUESTS`].
fn expected_requests(v: &mut V, services: &[ServiceSpec], duration: Option<SimDuration>) {
    let Some(d) = duration else { return };
    let t = d.as_secs_f64();
    let mut total = 0.0;
    for s in services {
        for c in &s.clients {
            total += match &c.load {
                ClientLoad::Open { rate_per_s, .. } => rate_per_s * t,
                ClientLoad::Closed { users, think } => {
                    *users as f64 * t / (think.mean_s() + s.server.service_time.mean_s()).max(1e-9)
                }
            };
        }
    }
    if total > MAX_REQUESTS {
        v.err(
            "services",
            format!("the clients would send about {total:.3e} requests, above the limit of {MAX_REQUESTS:.0e}"),
            "lower the rates or users, or shorten the duration",
        );
    }
}

/// Every pair of nodes that must talk is connected by the topology: the hosts of a
/// cluster that migrates VMs or runs a Service's pods; a Service's client and endpoint
/// clusters; the edges their traffic crosses; the image source and the hosts that pull.
fn connectivity(
    v: &mut V,
    raw: &RawScenario,
    net: &NetworkSpec,
    services: &[ServiceSpec],
    ctx: &Ctx,
) {
    let Some(t) = &net.topology else { return };
    let hosts = ctx.hosts.len();
    let index = |r: NodeRef| match r {
        NodeRef::Host(h) => h,
        NodeRef::Switch(s) => hosts + s,
        NodeRef::Edge(e) => hosts + t.switches.len() + e,
    };
    let n = hosts + t.switches.len() + net.edges.len();
    let mut uf: UnionFind<usize> = UnionFind::new(n);
    for l in &t.links {
        uf.union(index(l.a), index(l.b));
    }
    let name = |i: usize| -> String {
        if i < hosts {
            ctx.hosts[i].clone()
        } else if i < hosts + t.switches.len() {
            t.switches[i - hosts].clone()
        } else {
            net.edges[i - hosts - t.switches.len()].name.clone()
        }
    };
    let mut reported = false;
    let mut must_talk = |v: &mut V, a: usize, b: usize, why: &str| {
        if reported || uf.equiv(a, b) {
            return;
        }
        reported = true;
        v.err(
            "network.links",
            format!("`{}` and `{}` must talk ({why}), but the topology does not connect them", name(a), name(b)),
            "add links that join their parts of the network (e.g. their switches to a common spine)",
        );
    };
    let cluster_hosts =
        |c: usize| -> Vec<usize> { (0..hosts).filter(|&h| ctx.host_cluster[h] == c).collect() };
    // Clusters whose hosts talk among themselves.
    let mut busy: Vec<(usize, &str)> = Vec::new();
    for (ci, c) in ctx.clusters.iter().enumerate() {
        if c.drs.is_some() {
            busy.push((ci, "vMotion within the cluster"));
        }
    }
    for m in &raw.maintenance {
        if let Some(h) = ctx.hosts.iter().position(|x| *x == m.host) {
            busy.push((ctx.host_cluster[h], "evacuation by vMotion for maintenance"));
        }
    }
    for s in services {
        for &g in &s.endpoints {
            if let Some(c) = ctx.cluster_of(g) {
                busy.push((c, "Service pods may run on any of its hosts"));
            }
        }
    }
    for (c, why) in &busy {
        let hs = cluster_hosts(*c);
        for &h in hs.iter().skip(1) {
            must_talk(v, hs[0], h, why);
        }
    }
    // Services: clients to endpoints, and both to the edges on the way.
    for s in services {
        let ep_clusters: Vec<usize> = s
            .endpoints
            .iter()
            .filter_map(|&g| ctx.cluster_of(g))
            .collect();
        let first_host = |c: usize| (0..hosts).find(|&h| ctx.host_cluster[h] == c);
        let mut edges_used: Vec<usize> = Vec::new();
        if let Balancing::Central(lb) = s.balancing {
            edges_used.push(net.load_balancers[lb].edge);
        }
        let segment = |g: usize| net.segments.iter().position(|seg| seg.groups.contains(&g));
        for c in &s.clients {
            if let ClientSource::Pods(g) = c.source {
                if s.balancing == Balancing::Distributed
                    && s.endpoints.iter().any(|&e| segment(e) != segment(g))
                {
                    edges_used.push(net.gateway);
                }
                if let (Some(cc), true) = (ctx.cluster_of(g), s.balancing == Balancing::Distributed)
                {
                    for &ec in &ep_clusters {
                        if let (Some(a), Some(b)) = (first_host(cc), first_host(ec)) {
                            must_talk(
                                v,
                                a,
                                b,
                                &format!("clients and endpoints of Service `{}`", s.name),
                            );
                        }
                    }
                }
                if let Some(cc) = ctx.cluster_of(g) {
                    for &e in &edges_used {
                        if let Some(a) = first_host(cc) {
                            must_talk(
                                v,
                                a,
                                index(NodeRef::Edge(e)),
                                &format!("clients of Service `{}` reach its edge", s.name),
                            );
                        }
                    }
                }
            }
        }
        for &ec in &ep_clusters {
            for &e in &edges_used {
                if let Some(a) = first_host(ec) {
                    must_talk(
                        v,
                        a,
                        index(NodeRef::Edge(e)),
                        &format!("endpoints of Service `{}` answer through its edge", s.name),
                    );
                }
            }
        }
    }
    if let Some(src) = net.image_source {
        for (w, spec) in ctx.specs.iter().enumerate() {
            if spec.is_pod() {
                if let Some(h) = (0..hosts).find(|&h| ctx.host_cluster[h] == spec.cluster) {
                    let _ = w;
                    must_talk(v, index(src), h, "image pulls");
                }
            }
        }
    }
}

fn fault(
    v: &mut V,
    fp: &str,
    f: &RawFault,
    services: &[ServiceSpec],
    ctx: &Ctx,
) -> Option<FaultSpec> {
    let at = v.duration(&format!("{fp}.at"), &f.at, true);
    let repair_after = match &f.repair_after {
        None => Some(None),
        Some(r) => v
            .duration(&format!("{fp}.repair_after"), r, false)
            .map(Some),
    };
    let mode = one_of(
        v,
        &format!("{fp}.mode"),
        f.mode.as_deref(),
        &[("crash", FaultMode::Crash), ("hang", FaultMode::Hang)],
        FaultMode::Crash,
        "fault mode",
    );
    let Some(pod) = &f.pod_fails else {
        v.err(
            fp,
            "the fault names no target",
            "add `pod_fails: <pod group>-<n>`",
        );
        return None;
    };
    let tp = format!("{fp}.pod_fails");
    let parsed = pod
        .rsplit_once('-')
        .and_then(|(g, n)| n.parse::<u32>().ok().map(|n| (g, n)));
    let target = match parsed {
        None => {
            v.err(
                &tp,
                format!("`{pod}` is not a pod name"),
                "pods are named `<pod group>-<n>`, from 0: e.g. `web-2`",
            );
            None
        }
        Some((g, n)) => match ctx.pod_group(g, "fault targets") {
            Err((m, h)) => {
                v.err(&tp, m, h);
                None
            }
            Ok(w) => {
                let count = ctx.specs.get(w).and_then(|s| match &s.arrival {
                    Arrival::AtStart(k) => Some(*k),
                    Arrival::Times(t) => Some(t.len() as u64),
                    Arrival::Poisson { .. } => None,
                });
                if count.is_some_and(|k| n as u64 >= k) {
                    v.err(
                        &tp,
                        format!(
                            "pod group `{g}` has {} pods, so there is no `{pod}`",
                            count.unwrap_or(0)
                        ),
                        format!(
                            "its pods are `{g}-0` to `{g}-{}`",
                            count.unwrap_or(1).saturating_sub(1)
                        ),
                    );
                    None
                } else if !services.iter().any(|s| s.endpoints.contains(&w)) {
                    v.err(
                        &tp,
                        format!("no Service selects pod group `{g}`, so failing `{pod}` would change nothing"),
                        "fault a pod that is a Service's endpoint",
                    );
                    None
                } else {
                    Some(FaultTarget::Pod { group: w, index: n })
                }
            }
        },
    };
    Some(FaultSpec {
        at: at?,
        repair_after: repair_after?,
        target: target?,
        mode: mode?,
    })
}
