//! The scenario file format, as serde types. These types *are* the format: every field
//! here is a key users may write, `deny_unknown_fields` makes every other key an error,
//! and `pacsim schema` prints their JSON schema (schemars) for editors.
//!
//! Values with units are kept as text ([`Scalar`]) and parsed in `validate.rs`, so a bad
//! unit is reported together with every other problem instead of stopping the parse.
//! Alternatives ("one of these forms") are structs of optional fields, checked there too.

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::fmt;

/// Any scalar (string or number) kept as text: `64GiB`, `8`, `2.4GHz`, `500m`.
#[derive(Clone, Debug, PartialEq)]
pub struct Scalar(pub String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number or a string such as `64GiB`")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        // `1e12` reads back as `1000000000000`, not `1000000000000.0`.
        if v.fract() == 0.0 && v.abs() < 1e15 {
            Ok(Scalar(format!("{}", v as i64)))
        } else {
            Ok(Scalar(format!("{v:?}")))
        }
    }
}

impl JsonSchema for Scalar {
    fn schema_name() -> Cow<'static, str> {
        "Scalar".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A number, or a quantity with its unit such as \"64GiB\", \"2.4GHz\", \"30s\", \"10Gbit/s\", \"500m\", \"2/h\", \"120W\".",
            "type": ["string", "number"]
        })
    }
}

/// `true` or `false` (YAML scalars reach the format as text or as booleans).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flag(pub bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct FlagVisitor;
        impl<'de> Visitor<'de> for FlagVisitor {
            type Value = Flag;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`true` or `false`")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Flag, E> {
                Ok(Flag(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Flag, E> {
                match v {
                    "true" | "True" | "TRUE" => Ok(Flag(true)),
                    "false" | "False" | "FALSE" => Ok(Flag(false)),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
        }
        d.deserialize_any(FlagVisitor)
    }
}

impl JsonSchema for Flag {
    fn schema_name() -> Cow<'static, str> {
        "Flag".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "boolean" })
    }
}

/// A value, or `{ choice: [a, b, ...] }` to draw one uniformly per instance.
#[derive(Clone, Debug, PartialEq)]
pub enum ScalarOrChoice {
    One(Scalar),
    Choice(Vec<Scalar>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChoiceMap {
    choice: Vec<Scalar>,
}

impl<'de> Deserialize<'de> for ScalarOrChoice {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ScalarOrChoice;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a value, or `{ choice: [...] }`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                ScalarVisitor.visit_str(v).map(ScalarOrChoice::One)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                ScalarVisitor.visit_u64(v).map(ScalarOrChoice::One)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                ScalarVisitor.visit_i64(v).map(ScalarOrChoice::One)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                ScalarVisitor.visit_f64(v).map(ScalarOrChoice::One)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let m = ChoiceMap::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(ScalarOrChoice::Choice(m.choice))
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for ScalarOrChoice {
    fn schema_name() -> Cow<'static, str> {
        "ScalarOrChoice".into()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let scalar = g.subschema_for::<Scalar>();
        json_schema!({
            "anyOf": [
                scalar,
                { "type": "object", "additionalProperties": false, "required": ["choice"],
                  "properties": { "choice": { "type": "array", "items": scalar } } }
            ]
        })
    }
}

/// A whole scenario file.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    /// Names the run; the default output folder is `results/<name>/`.
    pub name: String,
    /// Seed of every random stream of the run (default 1).
    #[serde(default)]
    pub seed: Option<Scalar>,
    /// Simulated time to run, e.g. `24h`.
    pub duration: Scalar,
    #[serde(default)]
    pub metrics: Option<RawMetrics>,
    /// The vSphere clusters of the datacenter.
    pub clusters: Vec<RawCluster>,
    /// Container images that pods use.
    #[serde(default)]
    pub images: Vec<RawImage>,
    /// VM groups and pod groups that arrive, run and leave.
    #[serde(default)]
    pub workloads: Vec<RawWorkload>,
    /// Hosts put into maintenance mode at a time, and back at another.
    #[serde(default)]
    pub maintenance: Vec<RawMaintenance>,
    /// The network: topology, NSX edge nodes and load balancers, segments.
    #[serde(default)]
    pub network: Option<super::raw_net::RawNetwork>,
    /// Kubernetes Services, their endpoint pods and the clients that load them.
    #[serde(default)]
    pub services: Vec<super::raw_net::RawService>,
    /// Fault windows (a pod's process fails, and is repaired).
    #[serde(default)]
    pub faults: Vec<super::raw_net::RawFault>,
    /// vSphere Namespaces of supervisor clusters: quotas and storage policies.
    #[serde(default)]
    pub namespaces: Vec<RawNamespace>,
    /// The container registry (Harbor) that images are pulled from.
    #[serde(default)]
    pub registry: Option<RawRegistry>,
    /// VM classes for guest-cluster nodes, beside the built-in ones.
    #[serde(default)]
    pub vm_classes: Vec<RawVmClass>,
}

/// A vSphere Namespace: where a team's pods, volumes and guest clusters live.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawNamespace {
    pub name: String,
    /// Its supervisor cluster (may be left out when there is one cluster).
    #[serde(default)]
    pub cluster: Option<String>,
    /// Limits on what the namespace's pods request and its volumes hold.
    #[serde(default)]
    pub quota: Option<RawQuota>,
    /// Storage policies (= storage classes) its volumes may use; default: all.
    #[serde(default)]
    pub storage_policies: Option<Vec<String>>,
}

/// A ResourceQuota: `cpu` (cores or MHz), `memory`, `storage` (sum of volume sizes).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawQuota {
    #[serde(default)]
    pub cpu: Option<Scalar>,
    #[serde(default)]
    pub memory: Option<Scalar>,
    #[serde(default)]
    pub storage: Option<Scalar>,
}

/// Harbor: the registry's bandwidth, shared by the pulls under way, and how many pulls
/// it serves at once (the rest queue).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRegistry {
    #[serde(default)]
    pub bandwidth: Option<Scalar>,
    #[serde(default)]
    pub concurrent_pulls: Option<Scalar>,
}

/// A VM class: `{ name, vcpus, memory, guaranteed }` (guaranteed: reserves all of it).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawVmClass {
    pub name: String,
    pub vcpus: Scalar,
    pub memory: Scalar,
    #[serde(default)]
    pub guaranteed: Option<Flag>,
}

/// `{ host: esx-3, at: 2h, until: 4h }`: the host is evacuated by vMotion from `at` (its
/// pods are evicted), is in maintenance once empty, and takes work again at `until`
/// (never, if left out).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMaintenance {
    pub host: String,
    pub at: Scalar,
    #[serde(default)]
    pub until: Option<Scalar>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMetrics {
    /// Interval of `timeseries.csv` rows and plot points (default 5m, OpenDC's export interval).
    #[serde(default)]
    pub sample_every: Option<Scalar>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCluster {
    pub name: String,
    /// Groups of identical ESXi hosts.
    pub hosts: Vec<RawHostGroup>,
    #[serde(default)]
    pub datastores: Vec<RawDatastore>,
    /// Initial placement policy (see `pacsim policies`).
    #[serde(default)]
    pub placement: Option<RawPlacement>,
    /// How native pods start on this cluster's hosts.
    #[serde(default)]
    pub pods: Option<RawPodRuntime>,
    /// DRS load balancing by vMotion; left out, the cluster never migrates.
    #[serde(default)]
    pub drs: Option<RawDrs>,
    /// Distributed Power Management (needs `drs`): hosts to standby when load is low.
    #[serde(default)]
    pub dpm: Option<RawDpm>,
    /// Workload Management: the cluster becomes a supervisor cluster running native pods.
    #[serde(default)]
    pub supervisor: Option<RawSupervisor>,
    /// Dynamic VM consolidation (Beloglazov & Buyya 2012), the alternative to `drs`.
    #[serde(default)]
    pub consolidation: Option<RawConsolidation>,
}

/// A supervisor cluster's control plane and pod start-up. Every field is optional.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSupervisor {
    /// `true` to enable Workload Management on the cluster.
    pub enabled: Flag,
    /// Time to install the Spherelet on a host (all hosts in parallel).
    #[serde(default)]
    pub spherelet_install: Option<Scalar>,
    /// Control-plane VM size: `tiny`, `small` (default), `medium` or `large`.
    #[serde(default)]
    pub control_plane_size: Option<String>,
    /// Time to deploy and boot the three control-plane VMs.
    #[serde(default)]
    pub control_plane_deploy: Option<Scalar>,
    /// Kubernetes API: `{ inflight, service_time, tes_latency }`.
    #[serde(default)]
    pub api: Option<RawApi>,
    /// Spherelet node heartbeat (Lease renewal) interval.
    #[serde(default)]
    pub heartbeat: Option<Scalar>,
    /// One kube-scheduler cycle for a pod (pods are scheduled one at a time).
    #[serde(default)]
    pub scheduling: Option<Scalar>,
    /// The scheduler extension's call to DRS for the pod's host (calls overlap).
    #[serde(default)]
    pub drs_call: Option<Scalar>,
    /// The CRX start-up stages of a native pod.
    #[serde(default)]
    pub crx: Option<RawCrx>,
    /// Start-up of an image-fetcher system pod, before its pull begins.
    #[serde(default)]
    pub fetcher_startup: Option<Scalar>,
    /// Time for CNS to provision a persistent volume.
    #[serde(default)]
    pub volume_provision: Option<Scalar>,
    /// Time a deleted pod spends Terminating.
    #[serde(default)]
    pub termination: Option<Scalar>,
    /// Guest-cluster node VMs: time to clone one from its template.
    #[serde(default)]
    pub guest_node_clone: Option<Scalar>,
    /// Guest-cluster node VMs: time to boot and join the cluster.
    #[serde(default)]
    pub guest_node_boot: Option<Scalar>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawApi {
    /// Requests one API server works on at once (kube-apiserver's in-flight limit).
    #[serde(default)]
    pub inflight: Option<Scalar>,
    /// Time an API server spends on one request.
    #[serde(default)]
    pub service_time: Option<Scalar>,
    /// Token Exchange Service (SAML to JWT) latency of a user request.
    #[serde(default)]
    pub tes_latency: Option<Scalar>,
}

/// Durations of the CRX start-up stages (see `pacsim` README for the defaults).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCrx {
    #[serde(default)]
    pub create_vm: Option<Scalar>,
    #[serde(default)]
    pub power_on: Option<Scalar>,
    #[serde(default)]
    pub image_attach: Option<Scalar>,
    #[serde(default)]
    pub disk_and_nic: Option<Scalar>,
    #[serde(default)]
    pub kernel_boot: Option<Scalar>,
    #[serde(default)]
    pub agent_start: Option<Scalar>,
    #[serde(default)]
    pub container_start: Option<Scalar>,
    #[serde(default)]
    pub readiness: Option<Scalar>,
}

/// Dynamic VM consolidation: every `interval`, overloaded hosts shed VMs, the least-used
/// hosts are emptied into the others, and empty hosts sleep.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawConsolidation {
    /// Time between control passes (default 5m).
    #[serde(default)]
    pub interval: Option<Scalar>,
    /// Host overload detection: `thr` (default), `iqr`, `mad`, `lr` or `lrr`.
    #[serde(default)]
    pub detector: Option<String>,
    /// The detector's parameter (default thr 0.8, iqr 1.5, mad 2.5, lr 1.2, lrr 1.2).
    #[serde(default)]
    pub safety: Option<Scalar>,
    /// Static threshold while a host's history is short (default 0.7).
    #[serde(default)]
    pub fallback_threshold: Option<Scalar>,
    /// VM selection: `mmt` (default), `rs` or `mc`.
    #[serde(default)]
    pub selection: Option<String>,
    /// When a VM's memory must fit its destination: `always` (default), `placement`
    /// (only when first placed, as CloudSim) or `never`.
    #[serde(default)]
    pub memory: Option<String>,
    /// Where emptied hosts go: `standby` (default) or `off`.
    #[serde(default)]
    pub sleep: Option<String>,
    /// How VMs move: `vmotion` (default: pre-copy within vCenter's slots) or `simple`
    /// (memory / bandwidth share, no concurrency limit: the study's model).
    #[serde(default)]
    pub migration: Option<String>,
    /// `simple` migrations: share of the narrower NIC they use (default 0.5).
    #[serde(default)]
    pub bandwidth_share: Option<Scalar>,
    /// `simple` migrations: share of its CPU a migrating VM loses (default 0.1).
    #[serde(default)]
    pub degradation: Option<Scalar>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawHostGroup {
    /// Hosts are named `<name>-0`, `<name>-1`, ...
    pub name: String,
    pub count: Scalar,
    /// Physical cores per host (or give `sockets` and `cores_per_socket`).
    #[serde(default)]
    pub cores: Option<Scalar>,
    #[serde(default)]
    pub sockets: Option<Scalar>,
    #[serde(default)]
    pub cores_per_socket: Option<Scalar>,
    /// Clock per core: a number in MHz or e.g. `2.6GHz`.
    pub mhz: Scalar,
    pub memory: Scalar,
    /// Network bandwidth per host, e.g. `25Gbit/s` (default 10Gbit/s).
    #[serde(default)]
    pub nic: Option<Scalar>,
    #[serde(default)]
    pub power: Option<RawPower>,
    /// Kubernetes node labels of the hosts (supervisor clusters).
    #[serde(default)]
    pub labels: Option<super::kube::raw::RawLabels>,
    /// Kubernetes node taints: `[{ key, value, effect }]`.
    #[serde(default)]
    pub taints: Option<Vec<super::kube::raw::RawTaint>>,
    /// Pods a node takes (default 110).
    #[serde(default)]
    pub max_pods: Option<Scalar>,
}

/// Either `{ idle, max }` (linear in CPU utilisation) or `{ spec: [11 values] }`
/// (SPECpower-style table at 0%, 10%, ..., 100%).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPower {
    #[serde(default)]
    pub idle: Option<Scalar>,
    #[serde(default)]
    pub max: Option<Scalar>,
    #[serde(default)]
    pub spec: Option<Vec<Scalar>>,
    /// Draw in standby (DPM), default 10W.
    #[serde(default)]
    pub standby: Option<Scalar>,
    /// Draw when powered off, default 0W.
    #[serde(default)]
    pub off: Option<Scalar>,
    /// Time to enter standby (default 1m).
    #[serde(default)]
    pub to_standby: Option<Scalar>,
    /// Time to wake from standby (default 5m).
    #[serde(default)]
    pub from_standby: Option<Scalar>,
    /// Time to power off (default 1m).
    #[serde(default)]
    pub to_off: Option<Scalar>,
    /// Time to boot from off (default 5m).
    #[serde(default)]
    pub from_off: Option<Scalar>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDatastore {
    pub name: String,
    /// `vmfs`, `nfs` or `vsan`.
    #[serde(rename = "type")]
    pub kind: String,
    pub capacity: Scalar,
    #[serde(default)]
    pub throughput: Option<Scalar>,
    /// Storage policies it satisfies (default: one named after its type).
    #[serde(default)]
    pub policies: Option<Vec<String>>,
    /// Space for cached container images (supervisor clusters; default 100GiB).
    #[serde(default)]
    pub image_cache: Option<Scalar>,
    /// One local datastore per host (`<name>-<host>`), seen by that host only.
    #[serde(default)]
    pub per_host: Option<Flag>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPlacement {
    /// `first-fit`, `best-fit` or `least-loaded` (default).
    pub policy: String,
    /// For `least-loaded` and `best-fit`: `cpu` (default) or `memory`.
    #[serde(default)]
    pub by: Option<String>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPodRuntime {
    /// Fixed part of pod start-up once the image is on the host.
    #[serde(default)]
    pub startup_delay: Option<Scalar>,
    /// Rate at which a host pulls an image it does not have.
    #[serde(default)]
    pub image_pull_bandwidth: Option<Scalar>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawImage {
    pub name: String,
    pub size: Scalar,
    /// Already in every supervisor datastore's image cache at the start.
    #[serde(default)]
    pub cached: Option<Flag>,
}

/// A group of VMs (`kind: vm-group`) or native pods (`kind: pod-group`).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawWorkload {
    /// `vm-group`, `pod-group`, `deployment`, `job` or `guest-cluster`.
    pub kind: String,
    pub name: String,
    /// The cluster the group runs on (may be left out when there is one cluster).
    #[serde(default)]
    pub cluster: Option<String>,
    /// How instances arrive (vm-group, pod-group).
    #[serde(default)]
    pub arrival: Option<RawArrival>,
    /// The namespace of a supervisor cluster's pods, deployment, job or guest cluster.
    #[serde(default)]
    pub namespace: Option<String>,
    /// When the deployment, job or guest cluster is created (default 0s).
    #[serde(default)]
    pub at: Option<Scalar>,
    /// Deployment: pods kept running.
    #[serde(default)]
    pub replicas: Option<Scalar>,
    /// Deployment: `[{ at, replicas }]` changes of the replica count.
    #[serde(default)]
    pub scale: Option<Vec<RawScale>>,
    /// Deployment: a rolling update to a new revision.
    #[serde(default)]
    pub rollout: Option<RawRollout>,
    /// Job: successful pods needed.
    #[serde(default)]
    pub completions: Option<Scalar>,
    /// Job: pods running at once.
    #[serde(default)]
    pub parallelism: Option<Scalar>,
    /// A persistent volume for each pod: `{ size, storage_class }`.
    #[serde(default)]
    pub volume: Option<RawVolume>,
    /// Guest cluster: `{ count, class }` of control-plane nodes.
    #[serde(default)]
    pub control_plane: Option<RawNodePool>,
    /// Guest cluster: `{ count, class }` of worker nodes.
    #[serde(default)]
    pub workers: Option<RawNodePool>,
    /// Kubernetes pod labels (supervisor clusters).
    #[serde(default)]
    pub labels: Option<super::kube::raw::RawLabels>,
    /// Nodes the pods must run on, by label (`nodeSelector`).
    #[serde(default)]
    pub node_selector: Option<super::kube::raw::RawLabels>,
    /// Node affinity and pod (anti-)affinity.
    #[serde(default)]
    pub affinity: Option<super::kube::raw::RawAffinity>,
    /// Taints the pods tolerate.
    #[serde(default)]
    pub tolerations: Option<Vec<super::kube::raw::RawToleration>>,
    /// Topology spread constraints over hosts.
    #[serde(default)]
    pub topology_spread: Option<Vec<super::kube::raw::RawTopologySpread>>,
    /// `forever`, or one of `{ fixed }`, `{ exponential: { mean } }`,
    /// `{ lognormal: { median, sigma } }`, `{ uniform: { min, max } }`.
    #[serde(default)]
    pub lifetime: Option<RawLifetime>,
    /// VM size (vm-group only).
    #[serde(default)]
    pub size: Option<RawVmSize>,
    /// Pod resource requests (pod-group only).
    #[serde(default)]
    pub requests: Option<RawResources>,
    /// Pod resource limits (pod-group only).
    #[serde(default)]
    pub limits: Option<RawResources>,
    /// Image of the pod's containers (pod-group only): a name or `{ choice: [...] }`.
    #[serde(default)]
    pub image: Option<ScalarOrChoice>,
    /// CPU demand as a fraction of the VM's or pod's CPU size.
    #[serde(default)]
    pub demand: Option<RawDemand>,
    /// `reject` (the VM default) or `wait` (the pod default, Kubernetes' Pending).
    #[serde(default)]
    pub on_no_fit: Option<String>,
    /// Memory a running VM dirties per second, which vMotion must copy again (vm-group).
    #[serde(default)]
    pub dirty_rate: Option<Scalar>,
    /// DRS rules of the group's VMs (vm-group).
    #[serde(default)]
    pub rules: Option<RawRules>,
    /// Memory demand as a fraction of the VM's configured memory (the pod's memory
    /// request); the same models as `demand`. Default: all of it.
    #[serde(default)]
    pub memory_demand: Option<RawDemand>,
    /// A canonical workload trace that gives the group's arrivals, lifetimes, sizes and
    /// demand (vm-group).
    #[serde(default)]
    pub trace: Option<RawWorkloadTrace>,
}

/// `{ at, replicas }`: a deployment scaled at a time.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawScale {
    pub at: Scalar,
    pub replicas: Scalar,
}

/// A rolling update at `at` to a new revision (optionally a new image), with
/// Kubernetes' `max_surge` and `max_unavailable` (counts or percentages; default 25%).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRollout {
    pub at: Scalar,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub max_surge: Option<Scalar>,
    #[serde(default)]
    pub max_unavailable: Option<Scalar>,
}

/// A PersistentVolumeClaim per pod.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawVolume {
    pub size: Scalar,
    /// A storage class, i.e. a storage policy.
    pub storage_class: String,
}

/// Guest-cluster nodes of one VM class.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawNodePool {
    pub count: Scalar,
    pub class: String,
}

/// A canonical trace (see `pacsim trace import`): one instance per row (or `count`), from
/// its arrival to its departure, following its utilisation series.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawWorkloadTrace {
    /// The trace file; a relative path is read from the scenario file's folder.
    pub file: String,
    /// Only the workloads alive in `[from, to)` of the trace, `from` becoming the run's
    /// start.
    #[serde(default)]
    pub window: Option<RawWindow>,
    /// Keep this many workloads (rows), drawn at random with the scenario's seed.
    #[serde(default)]
    pub sample: Option<Scalar>,
    /// Multiply every utilisation sample (capped at 1), e.g. `1.2` for 20 % more load.
    #[serde(default)]
    pub scale: Option<Scalar>,
    /// A series shorter than its workload's time in the run: `error` (default),
    /// `repeat` or `hold_last`.
    #[serde(default)]
    pub on_short: Option<String>,
    /// Sizes by position: the rows (in file order) are cut into as many equal parts as
    /// sizes are given (part = row / ceil(rows / parts), CloudSim's VM types), each part
    /// taking its size. Overrides the trace's CPU and memory.
    #[serde(default)]
    pub sizes: Option<Vec<RawTraceSize>>,
    /// What a workload does at the first interval where it and the next read 0 %: `keep`
    /// running (default) or `end` (as CloudSim ends a VM whose CPU request reads 0).
    #[serde(default)]
    pub on_idle: Option<String>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawWindow {
    #[serde(default)]
    pub from: Option<Scalar>,
    #[serde(default)]
    pub to: Option<Scalar>,
}

/// `{ vcpus: 1, cpu: 2500MHz, memory: 870MB }`: `cpu` is what a utilisation of 1.0 means.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTraceSize {
    #[serde(default)]
    pub vcpus: Option<Scalar>,
    pub cpu: Scalar,
    pub memory: Scalar,
}

/// `{ vms: separate }` (VM-VM anti-affinity: the group's VMs on distinct hosts),
/// `{ vms: together }` (VM-VM affinity: all on one host), and/or VM-host rules:
/// `{ hosts: [esx-0, esx-1], host_rule: must }` (one rule) or
/// `{ host_rules: [ { hosts: [big], rule: should }, { hosts: [esx-3], rule: must_not } ] }`.
/// A host list names hosts (`esx-3`) or whole host groups (`esx`). `must` and `must_not`
/// are never broken; `should` and `should_not` only when nothing else fits (counted).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRules {
    #[serde(default)]
    pub vms: Option<String>,
    #[serde(default)]
    pub hosts: Option<Vec<String>>,
    /// `must` (default), `should`, `must_not` or `should_not`, for `hosts`.
    #[serde(default)]
    pub host_rule: Option<String>,
    /// Several VM-host rules; all of them hold together.
    #[serde(default)]
    pub host_rules: Option<Vec<RawHostRule>>,
}

/// One VM-host rule: the hosts (or host groups) and `must`, `should`, `must_not` or
/// `should_not`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawHostRule {
    pub hosts: Vec<String>,
    pub rule: String,
}

/// DPM: keep the powered-on hosts' utilisation within `target` ± `tolerance`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDpm {
    /// Target utilisation (default 0.63, KB 310527).
    #[serde(default)]
    pub target: Option<Scalar>,
    /// Tolerance around the target (default 0.18, KB 310527).
    #[serde(default)]
    pub tolerance: Option<Scalar>,
    /// Window over which high utilisation powers a host on (default 5m).
    #[serde(default)]
    pub power_on_window: Option<Scalar>,
    /// Window over which low utilisation powers a host off (default 40m).
    #[serde(default)]
    pub power_off_window: Option<Scalar>,
    /// Time from the wake-up command to a host taking work (default 5m, an assumption).
    #[serde(default)]
    pub power_on_time: Option<Scalar>,
    /// Time from an empty host to standby (default 1m, an assumption).
    #[serde(default)]
    pub power_off_time: Option<Scalar>,
}

/// DRS load balancing.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDrs {
    /// `imbalance` (classic DRS, the default) or `drs-score` (vSphere 7's VM DRS score).
    #[serde(default)]
    pub policy: Option<String>,
    /// Time between balancing passes (default 5m; 1m for `drs-score`).
    #[serde(default)]
    pub interval: Option<Scalar>,
    /// Migration threshold, 1 (conservative) to 5 (aggressive); default 3.
    #[serde(default)]
    pub threshold: Option<Scalar>,
    /// Most migrations one pass recommends (default 32).
    #[serde(default)]
    pub max_moves: Option<Scalar>,
}

/// Exactly one of `at_start`, `poisson`, `times`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawArrival {
    /// This many instances at t = 0.
    #[serde(default)]
    pub at_start: Option<Scalar>,
    #[serde(default)]
    pub poisson: Option<RawPoisson>,
    /// Explicit arrival times, one instance each.
    #[serde(default)]
    pub times: Option<Vec<Scalar>>,
}

/// A Poisson process, given by `rate` (e.g. `2/h`) or by `offered_load`: the share of
/// the cluster's CPU the arrivals would keep busy on average
/// (rate = load x capacity / (mean CPU request x mean lifetime)).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPoisson {
    #[serde(default)]
    pub rate: Option<Scalar>,
    #[serde(default)]
    pub offered_load: Option<Scalar>,
    /// Stop after this many arrivals.
    #[serde(default)]
    pub limit: Option<Scalar>,
}

/// `forever` or a distribution.
#[derive(Clone, Debug, PartialEq)]
pub enum RawLifetime {
    Word(String),
    Dist(RawLifetimeDist),
}

#[derive(Clone, Debug, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLifetimeDist {
    #[serde(default)]
    pub fixed: Option<Scalar>,
    #[serde(default)]
    pub exponential: Option<RawMean>,
    #[serde(default)]
    pub lognormal: Option<RawLognormal>,
    #[serde(default)]
    pub uniform: Option<RawUniform>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMean {
    pub mean: Scalar,
}

/// Lognormal by its median (e^mu) and the sigma of the underlying normal.
#[derive(Clone, Debug, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLognormal {
    pub median: Scalar,
    pub sigma: Scalar,
}

#[derive(Clone, Debug, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawUniform {
    pub min: Scalar,
    pub max: Scalar,
}

impl<'de> Deserialize<'de> for RawLifetime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawLifetime;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`forever` or a distribution such as `{ exponential: { mean: 6h } }`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RawLifetime::Word(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                RawLifetimeDist::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RawLifetime::Dist)
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for RawLifetime {
    fn schema_name() -> Cow<'static, str> {
        "Lifetime".into()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let dist = g.subschema_for::<RawLifetimeDist>();
        json_schema!({ "anyOf": [ { "const": "forever" }, dist ] })
    }
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawVmSize {
    pub vcpus: Scalar,
    pub memory: Scalar,
    /// Guaranteed CPU (MHz) and memory; what vCenter admission control counts.
    #[serde(default)]
    pub reservation: Option<RawResources>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawResources {
    #[serde(default)]
    pub cpu: Option<ScalarOrChoice>,
    #[serde(default)]
    pub memory: Option<ScalarOrChoice>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDemand {
    /// A constant fraction (0..1) of the CPU size.
    #[serde(default)]
    pub constant: Option<Scalar>,
    /// A day-shaped curve: `{ min, max, peak_at, period }` (period default 24h).
    #[serde(default)]
    pub diurnal: Option<RawDiurnal>,
    /// Each instance wanders by up to `step` per update, within `[min, max]`, from `start`.
    #[serde(default)]
    pub random_walk: Option<RawRandomWalk>,
    /// Each instance alternates `on` at `peak` and `off` at `base`, with its own phase.
    #[serde(default)]
    pub bursts: Option<RawBursts>,
    /// A measured series per instance: `{ file: trace.csv, interval: 5m }`.
    #[serde(default)]
    pub trace: Option<RawTrace>,
    /// How often a time-varying demand is re-evaluated (default 5m, DRS's interval).
    #[serde(default)]
    pub every: Option<Scalar>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDiurnal {
    pub min: Scalar,
    pub max: Scalar,
    /// Time of day (offset into the period) of the peak, e.g. `14h`.
    pub peak_at: Scalar,
    #[serde(default)]
    pub period: Option<Scalar>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRandomWalk {
    pub start: Scalar,
    pub step: Scalar,
    pub min: Scalar,
    pub max: Scalar,
}

/// A CSV file of demand fractions: one column per instance (instance k of the group uses
/// column k modulo the column count), one row per `interval`, an optional header line;
/// the series repeats when the run is longer. A relative path is read from the scenario
/// file's folder.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTrace {
    pub file: String,
    pub interval: Scalar,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawBursts {
    pub base: Scalar,
    pub peak: Scalar,
    pub on: Scalar,
    pub off: Scalar,
}

/// The JSON schema of scenario files, pretty-printed.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(RawScenario);
    serde_json::to_string_pretty(&schema).expect("schema serialises")
}
