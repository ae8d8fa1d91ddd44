//! The file format of the network sections: `network`, `services` and `faults`. Like
//! `raw.rs`, these serde types *are* the format (`deny_unknown_fields`; their doc comments
//! are the schema's descriptions).

use super::raw::{RawDiurnal, RawLifetimeDist, Scalar};
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::fmt;

/// The datacenter network: a topology (generated leaf-spine, or explicit switches and
/// links), NSX edge nodes and load balancers, and segments.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawNetwork {
    /// Generated leaf-spine: number of racks (each a top-of-rack switch `tor-<r>`).
    #[serde(default)]
    pub racks: Option<Scalar>,
    /// Hosts per rack, in scenario order (default: hosts / racks, rounded up).
    #[serde(default)]
    pub hosts_per_rack: Option<Scalar>,
    /// Spine switches `spine-<s>`, each linked to every ToR (default 2).
    #[serde(default)]
    pub spines: Option<Scalar>,
    /// ToR-to-spine link bandwidth (default 100Gbit/s).
    #[serde(default)]
    pub uplink: Option<Scalar>,
    /// Latency of a host's link to its ToR (default 5us).
    #[serde(default)]
    pub host_link_latency: Option<Scalar>,
    /// Latency of a ToR-to-spine link (default 1us).
    #[serde(default)]
    pub uplink_latency: Option<Scalar>,
    /// Bandwidth of an edge node's link to the border leaf (default 25Gbit/s).
    #[serde(default)]
    pub edge_link: Option<Scalar>,
    /// Explicit topology: switch names (hosts and edges are nodes already).
    #[serde(default)]
    pub switches: Option<Vec<String>>,
    /// Explicit topology: links between hosts, switches and edges.
    #[serde(default)]
    pub links: Option<Vec<RawLink>>,
    /// NSX edge nodes (default one, `edge-0`).
    #[serde(default)]
    pub edges: Option<Vec<RawEdge>>,
    /// NSX load balancers (default one, `lb-0`, SMALL, on the first edge).
    #[serde(default)]
    pub load_balancers: Option<Vec<RawLoadBalancer>>,
    /// Network segments (a namespace's virtual switch each); pod groups not listed share
    /// one default segment.
    #[serde(default)]
    pub segments: Vec<RawSegment>,
    /// The edge that runs the tier-1 gateway (default: the first edge).
    #[serde(default)]
    pub gateway: Option<String>,
    /// A node image pulls come from (a switch or edge); left out, pulls do not use the
    /// topology.
    #[serde(default)]
    pub image_source: Option<String>,
}

/// `{ between: [esx-0, tor-0], bandwidth: 25Gbit/s, latency: 5us }`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLink {
    /// The two nodes (hosts, switches or edges) it joins.
    pub between: Vec<String>,
    /// Each direction (default: the host's NIC for a host link, else 100Gbit/s).
    #[serde(default)]
    pub bandwidth: Option<Scalar>,
    /// Default 5us for a host link, else 1us.
    #[serde(default)]
    pub latency: Option<Scalar>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawEdge {
    pub name: String,
    /// Forwarding capacity shared by all traffic through the edge (default 10Gbit/s).
    #[serde(default)]
    pub throughput: Option<Scalar>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLoadBalancer {
    pub name: String,
    /// Its edge node (default: the first).
    #[serde(default)]
    pub edge: Option<String>,
    /// `SMALL` (default), `MEDIUM` or `LARGE`.
    #[serde(default)]
    pub size: Option<String>,
    /// New connections per second it accepts (default by size: 10000 per LB process).
    #[serde(default)]
    pub cps: Option<Scalar>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSegment {
    pub name: String,
    /// The pod groups on this segment.
    pub pod_groups: Vec<String>,
}

/// One name, or a list of names.
#[derive(Clone, Debug, PartialEq)]
pub struct Names(pub Vec<String>);

impl<'de> Deserialize<'de> for Names {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Names;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a pod-group name or a list of them")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Names, E> {
                Ok(Names(vec![v.to_string()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Names, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                Ok(Names(out))
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for Names {
    fn schema_name() -> Cow<'static, str> {
        "Names".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "anyOf": [ { "type": "string" }, { "type": "array", "items": { "type": "string" } } ]
        })
    }
}

/// A Kubernetes Service: its endpoints (pods of pod groups), where it is balanced, how
/// its pods serve, and the clients that load it.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawService {
    pub name: String,
    /// `ClusterIP` (default) or `LoadBalancer`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// The virtual server's port (default 80).
    #[serde(default)]
    pub port: Option<Scalar>,
    /// The pod group(s) whose Running pods are the endpoints (pool members).
    pub endpoints: Names,
    /// The NSX load balancer: required for `LoadBalancer` unless there is one; for
    /// `ClusterIP`, balance centrally there instead of on each client's host.
    #[serde(default)]
    pub load_balancer: Option<String>,
    #[serde(default)]
    pub pool: Option<RawPool>,
    /// How each endpoint pod serves requests.
    pub server: RawServer,
    /// Request and response sizes (default 1KB and 10KB).
    #[serde(default)]
    pub request: Option<RawRequestSize>,
    /// Who sends requests.
    #[serde(default)]
    pub clients: Vec<RawClient>,
}

/// The pool's algorithm, weights, slow start and health monitor.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPool {
    /// `ROUND_ROBIN` (default), `WEIGHTED_ROUND_ROBIN`, `LEAST_CONNECTION`,
    /// `WEIGHTED_LEAST_CONNECTION` or `IP_HASH` (`pacsim policies`).
    #[serde(default)]
    pub algorithm: Option<String>,
    /// Member weights by the host group they run on (1 to 256; default 1).
    #[serde(default)]
    pub weights: Vec<RawWeight>,
    /// Ramp of a member that just came up, for the least-connection algorithms (default 30s).
    #[serde(default)]
    pub slow_start: Option<Scalar>,
    #[serde(default)]
    pub monitor: Option<RawMonitor>,
}

/// `{ hosts: esx-fast, weight: 2 }`: members on hosts of that group weigh 2.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawWeight {
    /// A host group name.
    pub hosts: String,
    pub weight: Scalar,
}

/// An active health monitor (defaults as NSX-T: interval 5s, timeout 15s, fall 3, rise 3).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMonitor {
    #[serde(default)]
    pub interval: Option<Scalar>,
    #[serde(default)]
    pub timeout: Option<Scalar>,
    #[serde(default)]
    pub fall_count: Option<Scalar>,
    #[serde(default)]
    pub rise_count: Option<Scalar>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    /// Work per request: `{ exponential: { mean: 10ms } }`, `{ fixed }`, `{ lognormal }`,
    /// `{ uniform }`, at a core of `reference_clock`.
    pub service_time: RawLifetimeDist,
    /// Requests served at once per pod (default 1).
    #[serde(default)]
    pub workers: Option<Scalar>,
    /// `fifo` (default) or `processor-sharing`.
    #[serde(default)]
    pub discipline: Option<String>,
    /// Requests that may wait per pod beyond those in service (default 511).
    #[serde(default)]
    pub queue_limit: Option<Scalar>,
    /// Core clock at which `service_time` holds (default: the endpoints' cluster's mean).
    #[serde(default)]
    pub reference_clock: Option<Scalar>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRequestSize {
    #[serde(default)]
    pub size: Option<Scalar>,
    #[serde(default)]
    pub response: Option<Scalar>,
}

/// Clients of a service: open-loop (`poisson`) or closed-loop (`closed`), from outside
/// (`from: external`, the default) or from the pods of a pod group.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawClient {
    /// `external` (default) or a pod-group name.
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub poisson: Option<RawOpenLoop>,
    #[serde(default)]
    pub closed: Option<RawClosedLoop>,
    /// External clients: distinct client addresses (default 1000).
    #[serde(default)]
    pub sources: Option<Scalar>,
    /// When the clients start sending (default 0s), e.g. once the endpoints are up.
    #[serde(default)]
    pub start: Option<Scalar>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawOpenLoop {
    /// Requests per unit of time, e.g. `500/s`.
    pub rate: Scalar,
    /// Scale the rate by a day curve: `{ min: 0.3, max: 1.0, peak_at: 14h }`.
    #[serde(default)]
    pub diurnal: Option<RawDiurnal>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawClosedLoop {
    pub users: Scalar,
    /// Time between an answer and the user's next request.
    pub think_time: RawLifetimeDist,
}

/// A fault window: `{ at: 10m, pod_fails: web-2, repair_after: 5m, mode: crash }`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFault {
    pub at: Scalar,
    /// The pod `<pod group>-<n>` (n counts the group's pods from 0) whose process fails.
    #[serde(default)]
    pub pod_fails: Option<String>,
    /// Left out, the fault is permanent.
    #[serde(default)]
    pub repair_after: Option<Scalar>,
    /// `crash` (default: connections refused) or `hang` (nothing answers).
    #[serde(default)]
    pub mode: Option<String>,
}
