//! Checks of workload groups: kind and sizes, lifetime, arrival process, and that every
//! instance fits at least one host.

use super::sampled;
use super::{defaults, V};
use crate::engine::SimDuration;
use crate::scenario::diagnostic::did_you_mean;
use crate::scenario::load::Limits;
use crate::scenario::raw::*;
use crate::scenario::spec::*;
use crate::scenario::units::{self, CpuAmount};

/// MHz of a CPU amount on a host with cores of `core_mhz`.
pub fn cpu_mhz(amount: CpuAmount, core_mhz: f64) -> f64 {
    match amount {
        CpuAmount::Millicores(m) => m as f64 / 1000.0 * core_mhz,
        CpuAmount::Mhz(m) => m as f64,
    }
}

fn mean_mhz(s: &Sampled<CpuAmount>, core_mhz: f64) -> f64 {
    let vals = s.values();
    vals.iter().map(|a| cpu_mhz(*a, core_mhz)).sum::<f64>() / vals.len() as f64
}

/// What a workload is checked against.
pub(super) struct Context<'a> {
    pub clusters: &'a [ClusterSpec],
    pub raw_clusters: &'a [RawCluster],
    pub images: &'a [ImageSpec],
    pub namespaces: &'a [NamespaceSpec],
    pub vm_classes: &'a [VmClassSpec],
    pub duration: Option<SimDuration>,
}

/// The workload kinds a scenario may name.
pub const WORKLOAD_KINDS: [&str; 5] = [
    "vm-group",
    "pod-group",
    "deployment",
    "job",
    "guest-cluster",
];

/// One workload of the file; a guest cluster becomes two groups (its control-plane and
/// worker nodes).
pub(super) fn workloads(v: &mut V, wp: &str, w: &RawWorkload, cx: &Context) -> Vec<WorkloadSpec> {
    if w.kind == "guest-cluster" {
        return guest_cluster(v, wp, w, cx);
    }
    workload(v, wp, w, cx).into_iter().collect()
}

fn workload(v: &mut V, wp: &str, w: &RawWorkload, cx: &Context) -> Option<WorkloadSpec> {
    let (clusters, raw_clusters, images, duration) =
        (cx.clusters, cx.raw_clusters, cx.images, cx.duration);
    let is_pod = match w.kind.as_str() {
        "vm-group" => false,
        "pod-group" | "deployment" | "job" => true,
        other => {
            let hint = did_you_mean(other, WORKLOAD_KINDS).map_or(
                "use `vm-group`, `pod-group`, `deployment`, `job` or `guest-cluster`".into(),
                |s| format!("did you mean `{s}`?"),
            );
            v.err(
                &format!("{wp}.kind"),
                format!("unknown workload kind `{other}`"),
                hint,
            );
            return None;
        }
    };
    let cluster = resolve_cluster(v, wp, w, raw_clusters);
    let cluster_spec = cluster
        .and_then(|c| clusters.get(c))
        .filter(|c| c.host_groups.len() == raw_clusters[cluster.unwrap_or(0)].hosts.len());
    let supervised = cluster.is_some_and(|c| {
        raw_clusters[c]
            .supervisor
            .as_ref()
            .is_some_and(|s| s.enabled.0)
    });
    let namespace = namespace_of(v, wp, w, cx, cluster, supervised, is_pod);
    let (controller, arrival_override) = controller(v, wp, w, images, supervised);
    let volume = match &w.volume {
        None => Some(None),
        Some(_) if !is_pod => {
            v.err(
                &format!("{wp}.volume"),
                "`volume` is for pods (a PersistentVolumeClaim per pod)",
                "remove it",
            );
            None
        }
        Some(vol) => volume(
            v,
            &format!("{wp}.volume"),
            vol,
            cluster_spec,
            namespace.flatten().map(|n| &cx.namespaces[n]),
            supervised,
        ),
    };

    // Fields that belong to the other kind.
    let wrong = |field: &str| {
        if is_pod {
            (
                format!("`{field}` is a vm-group field, but `{}` is a {}", w.name, w.kind),
                "pods give `requests`, `limits` and `image`, e.g. `requests: { cpu: 500m, memory: 1GiB }`",
            )
        } else {
            (
                format!("`{field}` is a pod field, but `{}` is a vm-group", w.name),
                "a vm-group gives `size`, e.g. `size: { vcpus: 4, memory: 16GiB }`",
            )
        }
    };
    if is_pod && w.size.is_some() {
        let (m, h) = wrong("size");
        v.err(&format!("{wp}.size"), m, h);
    }
    if !is_pod {
        for (f, present) in [
            ("requests", w.requests.is_some()),
            ("limits", w.limits.is_some()),
            ("image", w.image.is_some()),
        ] {
            if present {
                let (m, h) = wrong(f);
                v.err(&format!("{wp}.{f}"), m, h);
            }
        }
    }
    for (f, present) in [
        ("control_plane", w.control_plane.is_some()),
        ("workers", w.workers.is_some()),
    ] {
        if present {
            v.err(
                &format!("{wp}.{f}"),
                format!(
                    "`{f}` is a guest-cluster field, but `{}` is a {}",
                    w.name, w.kind
                ),
                "remove it, or make the workload `kind: guest-cluster`",
            );
        }
    }
    kind_and_rest(
        v,
        wp,
        w,
        is_pod,
        images,
        duration,
        cluster,
        cluster_spec,
        namespace,
        controller,
        arrival_override,
        volume,
    )
}

/// The workload's cluster: named, or the only one.
fn resolve_cluster(
    v: &mut V,
    wp: &str,
    w: &RawWorkload,
    raw_clusters: &[RawCluster],
) -> Option<usize> {
    match &w.cluster {
        Some(name) => match raw_clusters.iter().position(|c| &c.name == name) {
            Some(i) => Some(i),
            None => {
                let hint = did_you_mean(name, raw_clusters.iter().map(|c| c.name.as_str())).map_or(
                    format!(
                        "the clusters are: {}",
                        raw_clusters
                            .iter()
                            .map(|c| c.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    |s| format!("did you mean `{s}`?"),
                );
                v.err(
                    &format!("{wp}.cluster"),
                    format!("no cluster is named `{name}`"),
                    hint,
                );
                None
            }
        },
        None if raw_clusters.len() == 1 => Some(0),
        None => {
            v.err(
                wp,
                "the workload does not say which cluster it runs on",
                "add `cluster: <name>`; there are several clusters",
            );
            None
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn kind_and_rest(
    v: &mut V,
    wp: &str,
    w: &RawWorkload,
    is_pod: bool,
    images: &[ImageSpec],
    duration: Option<SimDuration>,
    cluster: Option<usize>,
    cluster_spec: Option<&ClusterSpec>,
    namespace: Option<Option<usize>>,
    controller: Option<Controller>,
    arrival_override: Option<Option<Arrival>>,
    volume: Option<Option<VolumeSpec>>,
) -> Option<WorkloadSpec> {
    // A trace gives the arrivals, lifetimes, sizes and demand (`trace_workload.rs`).
    let traced = match (&w.trace, is_pod) {
        (Some(_), true) => {
            v.err(
                &format!("{wp}.trace"),
                "`trace` is for vm-group: trace-driven pod groups are not supported",
                "make the group a `vm-group`",
            );
            None
        }
        (Some(t), false) => super::trace_workload::traced(v, wp, w, t, duration),
        (None, _) => None,
    };
    let has_trace = w.trace.is_some();
    if has_trace {
        for (f, present) in [
            ("arrival", w.arrival.is_some()),
            ("lifetime", w.lifetime.is_some()),
            ("demand", w.demand.is_some()),
        ] {
            if present {
                v.err(
                    &format!("{wp}.{f}"),
                    format!("`{f}` comes from the trace"),
                    "remove it: the trace gives each instance its arrival, lifetime and demand",
                );
            }
        }
    }
    let kind = if has_trace {
        traced.as_ref().map(|t| t.kind.clone())
    } else if is_pod {
        pod_kind(v, wp, w, images)
    } else {
        vm_kind(v, wp, w)
    };

    let lifetime = match &w.lifetime {
        _ if has_trace => Some(Lifetime::Forever),
        None => Some(Lifetime::Forever),
        Some(l) => lifetime(v, &format!("{wp}.lifetime"), l),
    };
    let (demand, every) = match &traced {
        Some(t) => (Some(t.demand.clone()), Some(t.demand_every)),
        None if has_trace => (None, None),
        None => demand_model(v, &format!("{wp}.demand"), w.demand.as_ref()),
    };
    let (memory_demand, memory_every) =
        demand_model(v, &format!("{wp}.memory_demand"), w.memory_demand.as_ref());
    // One update interval drives both: `every` of whichever gives it.
    let demand_every = match (
        w.demand.as_ref().and_then(|d| d.every.as_ref()),
        w.memory_demand.as_ref().and_then(|d| d.every.as_ref()),
    ) {
        (Some(_), Some(_)) if every.is_some() && every != memory_every => {
            v.err(
                &format!("{wp}.memory_demand.every"),
                "`demand.every` and `memory_demand.every` differ",
                "one update interval re-evaluates both: give `every` once, in `demand`",
            );
            None
        }
        (None, Some(_)) => memory_every,
        _ => every,
    };
    let rules = match &w.rules {
        None => Some(Rules::default()),
        Some(_) if is_pod => {
            v.err(
                &format!("{wp}.rules"),
                "`rules` are for vm-group (DRS rules of VMs)",
                "remove them",
            );
            None
        }
        Some(r) => rules(v, &format!("{wp}.rules"), r, cluster_spec, at_once(w)),
    };
    let dirty_rate = match &w.dirty_rate {
        Some(_) if is_pod => {
            v.err(
                &format!("{wp}.dirty_rate"),
                "`dirty_rate` is for vm-group: native pods are not migrated",
                "remove it",
            );
            None
        }
        Some(r) => v.parse(&format!("{wp}.dirty_rate"), r, units::parse_bandwidth),
        None => Some(defaults::DIRTY_RATE),
    };
    let on_no_fit = match w.on_no_fit.as_deref() {
        None => Some(if is_pod {
            OnNoFit::Wait
        } else {
            OnNoFit::Reject
        }),
        Some("reject") => Some(OnNoFit::Reject),
        Some("wait") => Some(OnNoFit::Wait),
        Some(other) => {
            v.err(
                &format!("{wp}.on_no_fit"),
                format!("unknown choice `{other}`"),
                "use `reject` or `wait`",
            );
            None
        }
    };

    // Fit on at least one host, and the arrival process (which may need sizes).
    if let (Some(k), Some(c)) = (&kind, cluster_spec) {
        check_fits(v, wp, &w.name, k, c);
    }
    let arrival = match (arrival_override, &traced, &w.arrival) {
        (Some(Some(a)), _, _) => Some(a),
        (_, Some(t), _) => Some(t.arrival.clone()),
        (_, None, _) if has_trace => None,
        (Some(None), None, Some(a)) => arrival(
            v,
            &format!("{wp}.arrival"),
            a,
            kind.as_ref(),
            lifetime.as_ref(),
            w.lifetime.is_some(),
            cluster_spec,
            duration,
        ),
        (Some(None), None, None) => {
            v.err(
                wp,
                format!("{} `{}` has no `arrival`", w.kind, w.name),
                "add e.g. `arrival: { at_start: 10 }` or `arrival: { poisson: { rate: 2/h } }`",
            );
            None
        }
        (None, _, _) => None,
    };

    Some(WorkloadSpec {
        name: w.name.clone(),
        cluster: cluster?,
        kind: kind?,
        arrival: arrival?,
        lifetime: lifetime?,
        demand: demand?,
        memory_demand: memory_demand?,
        demand_every: demand_every?,
        dirty_rate: dirty_rate?,
        rules: rules?,
        on_no_fit: on_no_fit?,
        scheduling: kube_scheduling(v, wp, w, is_pod, namespace)?,
        namespace: namespace?,
        controller: controller?,
        volume: volume?,
        vm_start: SimDuration::ZERO,
        trace: traced.map(|t| t.instances),
    })
}

/// The Kubernetes scheduling fields of a pod workload of a supervisor cluster.
fn kube_scheduling(
    v: &mut V,
    wp: &str,
    w: &RawWorkload,
    is_pod: bool,
    namespace: Option<Option<usize>>,
) -> Option<crate::scenario::kube::PodScheduling> {
    let given = [
        ("labels", w.labels.is_some()),
        ("node_selector", w.node_selector.is_some()),
        ("affinity", w.affinity.is_some()),
        ("tolerations", w.tolerations.is_some()),
        ("topology_spread", w.topology_spread.is_some()),
    ];
    let first = given.iter().find(|g| g.1).map(|g| g.0);
    match (first, is_pod, namespace) {
        (None, _, _) => return Some(Default::default()),
        (Some(f), false, _) => {
            v.err(
                &format!("{wp}.{f}"),
                format!(
                    "`{f}` is a Kubernetes field of pods, but `{}` is a vm-group",
                    w.name
                ),
                "VMs are placed by DRS and its `rules`",
            );
            return None;
        }
        (Some(f), true, Some(None)) => {
            v.err(
                &format!("{wp}.{f}"),
                format!("`{f}` needs a supervisor cluster: only there is kube-scheduler"),
                "enable `supervisor` on the cluster, or remove it",
            );
            return None;
        }
        _ => {}
    }
    let raw = crate::scenario::kube::raw::RawPodScheduling {
        labels: w.labels.clone(),
        node_selector: w.node_selector.clone(),
        affinity: w.affinity.clone(),
        tolerations: w.tolerations.clone(),
        topology_spread: w.topology_spread.clone(),
    };
    Some(crate::scenario::kube::validate::pod_scheduling(
        &raw,
        wp,
        &mut v.diags,
    ))
}

/// How many instances of the group exist at once at the start (for rule checks).
fn at_once(w: &RawWorkload) -> usize {
    match &w.arrival {
        Some(a) => match (&a.at_start, &a.times) {
            (Some(n), _) => units::parse_count(&n.0).unwrap_or(0) as usize,
            (_, Some(t)) => t.len(),
            _ => 0,
        },
        None => 0,
    }
}

/// The namespace of a workload: required for pods of a supervisor cluster, and in the
/// workload's cluster. `Some(None)`: none (a cluster without a supervisor).
fn namespace_of(
    v: &mut V,
    wp: &str,
    w: &RawWorkload,
    cx: &Context,
    cluster: Option<usize>,
    supervised: bool,
    is_pod: bool,
) -> Option<Option<usize>> {
    let np = format!("{wp}.namespace");
    match (&w.namespace, supervised && is_pod) {
        (None, false) => Some(None),
        (Some(_), false) => {
            let why = if is_pod {
                "its cluster is not a supervisor cluster"
            } else {
                "VMs of a vm-group are not in a namespace"
            };
            v.err(
                &np,
                format!("`namespace` given, but {why}"),
                "remove it, or enable the cluster's `supervisor`",
            );
            None
        }
        (None, true) => {
            v.err(
                wp,
                format!(
                    "`{}` runs pods on a supervisor cluster but names no namespace",
                    w.name
                ),
                "add `namespace: <name>`: a supervisor cluster's pods live in vSphere Namespaces",
            );
            None
        }
        (Some(name), true) => match cx.namespaces.iter().position(|n| &n.name == name) {
            Some(i) if Some(cx.namespaces[i].cluster) == cluster => Some(Some(i)),
            Some(_) => {
                v.err(
                    &np,
                    format!("namespace `{name}` is on another cluster"),
                    "a workload runs in a namespace of its own cluster",
                );
                None
            }
            None => {
                let hint = did_you_mean(name, cx.namespaces.iter().map(|n| n.name.as_str()))
                    .map_or("declare it under `namespaces:`".to_string(), |s| {
                        format!("did you mean `{s}`?")
                    });
                v.err(&np, format!("no namespace is named `{name}`"), hint);
                None
            }
        },
    }
}

/// A deployment's or job's controller and its one arrival (the object's creation at
/// `at`); a vm-group's or pod-group's arrivals. Fields of the other kinds are errors.
fn controller(
    v: &mut V,
    wp: &str,
    w: &RawWorkload,
    images: &[ImageSpec],
    supervised: bool,
) -> (Option<Controller>, Option<Option<Arrival>>) {
    let kind = w.kind.as_str();
    let controlled = matches!(kind, "deployment" | "job");
    let misplaced = |v: &mut V, field: &str, owner: &str| {
        v.err(
            &format!("{wp}.{field}"),
            format!("`{field}` is a {owner} field, but `{}` is a {kind}", w.name),
            "remove it",
        );
    };
    if kind != "deployment" {
        for (f, present) in [
            ("replicas", w.replicas.is_some()),
            ("scale", w.scale.is_some()),
            ("rollout", w.rollout.is_some()),
        ] {
            if present {
                misplaced(v, f, "deployment");
            }
        }
    }
    if kind != "job" {
        for (f, present) in [
            ("completions", w.completions.is_some()),
            ("parallelism", w.parallelism.is_some()),
        ] {
            if present {
                misplaced(v, f, "job");
            }
        }
    }
    if !controlled {
        if w.at.is_some() {
            misplaced(v, "at", "deployment, job or guest-cluster");
        }
        return (Some(Controller::Arrivals), Some(None));
    }
    if !supervised {
        v.err(
            &format!("{wp}.kind"),
            format!("a {kind} needs a supervisor cluster (Kubernetes controllers run in its control plane)"),
            "enable `supervisor` on the cluster, or use a `pod-group`",
        );
    }
    if w.arrival.is_some() {
        v.err(
            &format!("{wp}.arrival"),
            format!("a {kind} is created once, at `at`; its controller creates the pods"),
            "replace `arrival` with `at: 10m` (default 0s)",
        );
    }
    let at = match &w.at {
        Some(a) => v.duration(&format!("{wp}.at"), a, true),
        None => Some(SimDuration::ZERO),
    };
    let controller = if kind == "deployment" {
        deployment(v, wp, w, images)
    } else {
        let count = |v: &mut V, field: &str, s: &Option<Scalar>, max: u64| match s {
            Some(n) => v
                .positive_count(&format!("{wp}.{field}"), n, max, field)
                .map(|n| n as u32),
            None => Some(1),
        };
        let completions = count(v, "completions", &w.completions, 10_000_000);
        let parallelism = count(v, "parallelism", &w.parallelism, 1_000_000);
        if w.lifetime.is_none() {
            v.err(
                wp,
                format!("job `{}` does not say how long its pods run", w.name),
                "add `lifetime`, e.g. `lifetime: { exponential: { mean: 5m } }`",
            );
        }
        match (completions, parallelism) {
            (Some(completions), Some(parallelism)) => Some(Controller::Job {
                completions,
                parallelism: parallelism.min(completions),
            }),
            _ => None,
        }
    };
    (controller, at.map(|at| Some(Arrival::Times(vec![at]))))
}

/// A count of pods that may be 0 (`replicas`): a negative or fractional one is refused.
fn replica_count(v: &mut V, path: &str, s: &Scalar) -> Option<u32> {
    let n = v.parse(path, s, units::parse_number)?;
    if n < 0.0 || n.fract() != 0.0 || n > 1e7 {
        v.err(
            path,
            format!("replicas is {}, not a whole number from 0 to 10000000", s.0),
            "a deployment keeps this many pods running; 0 scales it to nothing",
        );
        return None;
    }
    Some(n as u32)
}

fn deployment(v: &mut V, wp: &str, w: &RawWorkload, images: &[ImageSpec]) -> Option<Controller> {
    let replicas = match &w.replicas {
        Some(r) => replica_count(v, &format!("{wp}.replicas"), r),
        None => Some(1),
    };
    let mut scale = Vec::new();
    for (i, s) in w.scale.iter().flatten().enumerate() {
        let p = format!("{wp}.scale[{i}]");
        let at = v.duration(&format!("{p}.at"), &s.at, true);
        let n = replica_count(v, &format!("{p}.replicas"), &s.replicas);
        if let (Some(at), Some(n)) = (at, n) {
            scale.push((at, n));
        }
    }
    scale.sort_by_key(|s| s.0);
    let rollout = match &w.rollout {
        None => Some(None),
        Some(r) => {
            let p = format!("{wp}.rollout");
            let at = v.duration(&format!("{p}.at"), &r.at, true);
            // Kubernetes resolves percentages against the replica count: surge rounds up,
            // unavailable down; both 0 is refused.
            let base = replicas.unwrap_or(1).max(
                scale
                    .iter()
                    .filter(|s| at.is_some_and(|a| s.0 <= a))
                    .map(|s| s.1)
                    .next_back()
                    .unwrap_or(0),
            );
            let surge = fence(
                v,
                &format!("{p}.max_surge"),
                r.max_surge.as_ref(),
                base,
                true,
            );
            let unavailable = fence(
                v,
                &format!("{p}.max_unavailable"),
                r.max_unavailable.as_ref(),
                base,
                false,
            );
            if surge == Some(0) && unavailable == Some(0) {
                v.err(
                    &p,
                    "`max_surge` and `max_unavailable` are both 0: the rollout could never make progress",
                    "Kubernetes refuses this too; allow at least one of them",
                );
            }
            let image = match &r.image {
                None => Some(None),
                Some(name) => match images.iter().position(|i| &i.name == name) {
                    Some(i) => Some(Some(i)),
                    None => {
                        let hint = did_you_mean(name, images.iter().map(|i| i.name.as_str()))
                            .map_or("declare it under `images:`".to_string(), |s| {
                                format!("did you mean `{s}`?")
                            });
                        v.err(
                            &format!("{p}.image"),
                            format!("no image is named `{name}`"),
                            hint,
                        );
                        None
                    }
                },
            };
            match (at, surge, unavailable, image) {
                (Some(at), Some(max_surge), Some(max_unavailable), Some(image)) => {
                    Some(Some(RolloutSpec {
                        at,
                        image,
                        max_surge,
                        max_unavailable,
                    }))
                }
                _ => None,
            }
        }
    };
    Some(Controller::Deployment(DeploymentSpec {
        replicas: replicas?,
        scale,
        rollout: rollout?,
    }))
}

/// `max_surge` / `max_unavailable`: a count, or a percentage of `base` (default 25%).
fn fence(v: &mut V, path: &str, s: Option<&Scalar>, base: u32, up: bool) -> Option<u32> {
    let text = s.map_or("25%".to_string(), |s| s.0.clone());
    let pct = text.strip_suffix('%');
    let value = match pct {
        Some(p) => p
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|x| (0.0..=100.0).contains(x))
            .map(|x| {
                let exact = x / 100.0 * base as f64;
                if up {
                    exact.ceil() as u32
                } else {
                    exact.floor() as u32
                }
            }),
        None => text.trim().parse::<u32>().ok(),
    };
    if value.is_none() {
        v.err(
            path,
            format!("`{text}` is neither a pod count nor a percentage from 0% to 100%"),
            "write e.g. `25%` or `2`",
        );
    }
    value
}

/// A pod's PersistentVolumeClaim: its storage class must be a policy that some datastore
/// of the cluster satisfies, and that the namespace allows.
fn volume(
    v: &mut V,
    vp: &str,
    vol: &RawVolume,
    cluster: Option<&ClusterSpec>,
    namespace: Option<&NamespaceSpec>,
    supervised: bool,
) -> Option<Option<VolumeSpec>> {
    if !supervised {
        v.err(
            vp,
            "persistent volumes need a supervisor cluster (CNS provisions them)",
            "enable `supervisor` on the cluster",
        );
        return None;
    }
    let size = v.positive_bytes(&format!("{vp}.size"), &vol.size);
    let cluster = cluster?;
    let policies = super::supervisor::cluster_policies(cluster);
    let class = &vol.storage_class;
    if !policies.contains(class) {
        let hint = did_you_mean(class, policies.iter().map(String::as_str)).map_or(
            format!(
                "no datastore has it in its `policies`; the cluster's datastores satisfy: {}",
                if policies.is_empty() {
                    "none".to_string()
                } else {
                    policies.join(", ")
                }
            ),
            |s| format!("did you mean `{s}`?"),
        );
        v.err(
            &format!("{vp}.storage_class"),
            format!("storage class `{class}` names a policy that no datastore of cluster `{}` satisfies", cluster.name),
            hint,
        );
        return None;
    }
    if let Some(allowed) = namespace.and_then(|n| n.storage_policies.as_ref()) {
        if !allowed.contains(class) {
            v.err(
                &format!("{vp}.storage_class"),
                format!(
                    "namespace `{}` does not allow storage policy `{class}`",
                    namespace.map_or("", |n| n.name.as_str())
                ),
                format!("the namespace allows: {}", allowed.join(", ")),
            );
            return None;
        }
    }
    if let Some(size) = size {
        let largest = cluster
            .datastores
            .iter()
            .filter(|d| d.policies.contains(class))
            .map(|d| d.capacity)
            .max()
            .unwrap_or(0);
        if size > largest {
            v.err(
                &format!("{vp}.size"),
                format!(
                    "the volume ({}) is larger than any datastore with policy `{class}` ({})",
                    fmt_bytes(size),
                    fmt_bytes(largest)
                ),
                "ask for less, or add a larger datastore",
            );
            return None;
        }
    }
    Some(Some(VolumeSpec {
        size: size?,
        policy: class.clone(),
    }))
}

/// A guest (Tanzu Kubernetes) cluster: its control-plane nodes (kept on distinct hosts)
/// and its workers, each a group of VMs of a VM class, created at `at` and booted
/// through vCenter (clone, then boot and join).
fn guest_cluster(v: &mut V, wp: &str, w: &RawWorkload, cx: &Context) -> Vec<WorkloadSpec> {
    let cluster = resolve_cluster(v, wp, w, cx.raw_clusters);
    let supervised = cluster
        .and_then(|c| cx.clusters.get(c))
        .and_then(|c| c.supervisor.clone());
    if cluster.is_some() && supervised.is_none() {
        v.err(
            &format!("{wp}.kind"),
            "a guest cluster needs a supervisor cluster",
            "enable `supervisor` on the cluster",
        );
    }
    let namespace = namespace_of(v, wp, w, cx, cluster, supervised.is_some(), true);
    for (f, present) in [
        ("arrival", w.arrival.is_some()),
        ("size", w.size.is_some()),
        ("requests", w.requests.is_some()),
        ("limits", w.limits.is_some()),
        ("image", w.image.is_some()),
        ("replicas", w.replicas.is_some()),
        ("completions", w.completions.is_some()),
        ("parallelism", w.parallelism.is_some()),
        ("volume", w.volume.is_some()),
        ("rules", w.rules.is_some()),
        ("lifetime", w.lifetime.is_some()),
    ] {
        if present {
            v.err(
                &format!("{wp}.{f}"),
                format!("`{f}` is not a guest-cluster field"),
                "a guest cluster gives `at`, `namespace`, `control_plane: { count, class }` and `workers: { count, class }`",
            );
        }
    }
    let at = match &w.at {
        Some(a) => v.duration(&format!("{wp}.at"), a, true),
        None => Some(SimDuration::ZERO),
    };
    let pool = |v: &mut V, field: &str, p: Option<&RawNodePool>, control_plane: bool| {
        let pp = format!("{wp}.{field}");
        let Some(p) = p else {
            if control_plane {
                v.err(
                    wp,
                    format!("guest cluster `{}` has no `control_plane`", w.name),
                    "add `control_plane: { count: 3, class: best-effort-small }`",
                );
            }
            return None;
        };
        let count = v.parse(&format!("{pp}.count"), &p.count, units::parse_count);
        if control_plane && count.is_some_and(|c| c != 1 && c != 3) {
            v.err(
                &format!("{pp}.count"),
                format!(
                    "a guest cluster has 1 or 3 control-plane nodes, not {}",
                    count.unwrap_or(0)
                ),
                "Tanzu Kubernetes clusters support 1 or 3 (an etcd quorum)",
            );
            return None;
        }
        let class = match cx.vm_classes.iter().find(|c| c.name == p.class) {
            Some(c) => Some(c.clone()),
            None => {
                let hint = did_you_mean(&p.class, cx.vm_classes.iter().map(|c| c.name.as_str())).map_or(
                    "the built-in classes are best-effort-* and guaranteed-* of xsmall, small, medium, large, xlarge, 2xlarge, 4xlarge, 8xlarge; or declare one under `vm_classes:`".to_string(),
                    |s| format!("did you mean `{s}`?"),
                );
                v.err(
                    &format!("{pp}.class"),
                    format!("unknown VM class `{}`", p.class),
                    hint,
                );
                None
            }
        };
        Some((count?, class?))
    };
    let cp = pool(v, "control_plane", w.control_plane.as_ref(), true);
    let workers = pool(v, "workers", w.workers.as_ref(), false);
    let (Some(cluster), Some(sup), Some(namespace), Some(at), Some(cp)) =
        (cluster, supervised, namespace, at, cp)
    else {
        return Vec::new();
    };
    let cluster_spec = &cx.clusters[cluster];
    let mut out = Vec::new();
    for (role, (count, class), control_plane) in [("control-plane", cp, true)]
        .into_iter()
        .chain(workers.map(|w| ("workers", w, false)))
    {
        if count == 0 {
            continue;
        }
        let reservation = |c: &VmClassSpec| {
            if c.guaranteed {
                (CpuAmount::Millicores(c.vcpus as u64 * 1000), c.memory)
            } else {
                (CpuAmount::Mhz(0), 0)
            }
        };
        let (rc, rm) = reservation(&class);
        let kind = WorkloadKind::Vm(VmSpec {
            vcpus: class.vcpus,
            memory: class.memory,
            reserve_cpu: Sampled::One(rc),
            reserve_memory: Sampled::One(rm),
        });
        check_fits(v, wp, &w.name, &kind, cluster_spec);
        if control_plane && count as usize > cluster_spec.host_count() {
            v.err(
                &format!("{wp}.control_plane.count"),
                format!("{count} control-plane nodes must be on distinct hosts, but the cluster has {} host(s)", cluster_spec.host_count()),
                "use 1 control-plane node, or add hosts",
            );
            continue;
        }
        out.push(WorkloadSpec {
            name: format!("{}/{role}", w.name),
            cluster,
            kind,
            arrival: Arrival::Times(vec![at; count as usize]),
            lifetime: Lifetime::Forever,
            demand: DemandModel::Constant(defaults::DEMAND),
            memory_demand: DemandModel::Constant(defaults::DEMAND),
            demand_every: SimDuration::from_secs(defaults::DEMAND_EVERY_S),
            on_no_fit: OnNoFit::Wait,
            dirty_rate: defaults::DIRTY_RATE,
            rules: Rules {
                vms: control_plane.then_some(VmRule::Separate),
                hosts: Vec::new(),
            },
            namespace,
            controller: Controller::GuestCluster {
                guest: w.name.clone(),
                control_plane,
                nodes: count as u32,
            },
            volume: None,
            vm_start: sup.guest_node_clone + sup.guest_node_boot,
            scheduling: Default::default(),
            trace: None,
        });
    }
    out
}

fn vm_kind(v: &mut V, wp: &str, w: &RawWorkload) -> Option<WorkloadKind> {
    let Some(size) = &w.size else {
        v.err(
            wp,
            format!("vm-group `{}` has no `size`", w.name),
            "add e.g. `size: { vcpus: 4, memory: 16GiB }`",
        );
        return None;
    };
    let sp = format!("{wp}.size");
    let vcpus = v.positive_count(&format!("{sp}.vcpus"), &size.vcpus, 768, "vcpus");
    let memory = v.positive_bytes(&format!("{sp}.memory"), &size.memory);
    let (rc, rm) = match &size.reservation {
        None => (Some(Sampled::One(CpuAmount::Mhz(0))), Some(Sampled::One(0))),
        Some(r) => (
            r.cpu
                .as_ref()
                .map_or(Some(Sampled::One(CpuAmount::Mhz(0))), |c| {
                    sampled(v, &format!("{sp}.reservation.cpu"), c, units::parse_cpu)
                }),
            r.memory.as_ref().map_or(Some(Sampled::One(0)), |m| {
                sampled(
                    v,
                    &format!("{sp}.reservation.memory"),
                    m,
                    units::parse_bytes,
                )
            }),
        ),
    };
    if let (Some(mem), Some(rm)) = (memory, &rm) {
        if rm.values().iter().any(|&r| r > mem) {
            v.err(
                &format!("{sp}.reservation.memory"),
                "the memory reservation is larger than the VM's memory",
                "reserve at most `size.memory` (a full reservation equals it)",
            );
        }
    }
    Some(WorkloadKind::Vm(VmSpec {
        vcpus: vcpus? as u32,
        memory: memory?,
        reserve_cpu: rc?,
        reserve_memory: rm?,
    }))
}

fn pod_kind(v: &mut V, wp: &str, w: &RawWorkload, images: &[ImageSpec]) -> Option<WorkloadKind> {
    let Some(req) = &w.requests else {
        v.err(
            wp,
            format!("pod-group `{}` has no `requests`", w.name),
            "add e.g. `requests: { cpu: 500m, memory: 1GiB }`",
        );
        return None;
    };
    let rp = format!("{wp}.requests");
    let zero_cpu = Sampled::One(CpuAmount::Millicores(0));
    let request_cpu = req.cpu.as_ref().map_or(Some(zero_cpu.clone()), |c| {
        sampled(v, &format!("{rp}.cpu"), c, units::parse_cpu)
    });
    let request_memory = req.memory.as_ref().map_or(Some(Sampled::One(0)), |m| {
        sampled(v, &format!("{rp}.memory"), m, units::parse_bytes)
    });
    let (limit_cpu, limit_memory) = match &w.limits {
        None => (Some(None), Some(None)),
        Some(l) => {
            let lp = format!("{wp}.limits");
            (
                l.cpu.as_ref().map_or(Some(None), |c| {
                    sampled(v, &format!("{lp}.cpu"), c, units::parse_cpu).map(Some)
                }),
                l.memory.as_ref().map_or(Some(None), |m| {
                    sampled(v, &format!("{lp}.memory"), m, units::parse_bytes).map(Some)
                }),
            )
        }
    };
    if let (Some(Some(Sampled::One(l))), Some(Sampled::One(r))) = (&limit_memory, &request_memory) {
        if l < r {
            v.err(
                &format!("{wp}.limits.memory"),
                "the memory limit is below the request",
                "Kubernetes requires limit >= request",
            );
        }
    }
    if let (
        Some(Some(Sampled::One(CpuAmount::Millicores(l)))),
        Some(Sampled::One(CpuAmount::Millicores(r))),
    ) = (&limit_cpu, &request_cpu)
    {
        if l < r {
            v.err(
                &format!("{wp}.limits.cpu"),
                "the CPU limit is below the request",
                "Kubernetes requires limit >= request",
            );
        }
    }
    let image_list = || {
        images
            .iter()
            .map(|i| format!("`{}`", i.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let image = match &w.image {
        None => {
            v.err(
                wp,
                format!("pod-group `{}` has no `image`", w.name),
                if images.is_empty() {
                    "add `image: <name>` and an `images` section that defines it".to_string()
                } else {
                    format!(
                        "add `image: <name>`; the scenario's images are {}",
                        image_list()
                    )
                },
            );
            None
        }
        Some(choice) => sampled(v, &format!("{wp}.image"), choice, |name| {
            images.iter().position(|i| i.name == name).ok_or_else(|| {
                match did_you_mean(name, images.iter().map(|i| i.name.as_str())) {
                    Some(s) => format!("no image is named `{name}`; did you mean `{s}`?"),
                    None if images.is_empty() => format!(
                        "no image is named `{name}`; the scenario has no `images` section: add `images: [ {{ name: {name}, size: 200MB }} ]`"
                    ),
                    None => format!(
                        "no image is named `{name}`; the scenario's images are {}",
                        image_list()
                    ),
                }
            })
        }),
    };
    Some(WorkloadKind::Pod(PodSpec {
        request_cpu: request_cpu?,
        request_memory: request_memory?,
        limit_cpu: limit_cpu?,
        limit_memory: limit_memory?,
        image: image?,
    }))
}

pub(super) fn lifetime(v: &mut V, lp: &str, l: &RawLifetime) -> Option<Lifetime> {
    let d = match l {
        RawLifetime::Word(w) if w == "forever" => return Some(Lifetime::Forever),
        RawLifetime::Word(w) => {
            v.err(
                lp,
                format!("`{w}` is not a lifetime"),
                "write `forever` or e.g. `{ exponential: { mean: 6h } }`",
            );
            return None;
        }
        RawLifetime::Dist(d) => d,
    };
    let given = [
        d.fixed.is_some(),
        d.exponential.is_some(),
        d.lognormal.is_some(),
        d.uniform.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if given != 1 {
        v.err(
            lp,
            "give exactly one of `fixed`, `exponential`, `lognormal`, `uniform`",
            "e.g. `lifetime: { exponential: { mean: 6h } }`, or `lifetime: forever`",
        );
        return None;
    }
    if let Some(f) = &d.fixed {
        return v
            .duration(&format!("{lp}.fixed"), f, false)
            .map(Lifetime::Fixed);
    }
    if let Some(e) = &d.exponential {
        return v
            .duration(&format!("{lp}.exponential.mean"), &e.mean, false)
            .map(|m| Lifetime::Exponential {
                mean_s: m.as_secs_f64(),
            });
    }
    if let Some(ln) = &d.lognormal {
        let median = v.duration(&format!("{lp}.lognormal.median"), &ln.median, false);
        let sp = format!("{lp}.lognormal.sigma");
        let sigma = v.parse(&sp, &ln.sigma, units::parse_number).and_then(|s| {
            if (0.0..=5.0).contains(&s) {
                Some(s)
            } else {
                v.err(
                    &sp,
                    format!("sigma {s} is outside 0..5"),
                    "sigma is the spread of the underlying normal; 0.5 to 1.5 is typical",
                );
                None
            }
        });
        return Some(Lifetime::Lognormal {
            mu: median?.as_secs_f64().ln(),
            sigma: sigma?,
        });
    }
    let u = d.uniform.as_ref().expect("one given");
    let min = v.duration(&format!("{lp}.uniform.min"), &u.min, true)?;
    let max = v.duration(&format!("{lp}.uniform.max"), &u.max, false)?;
    if min > max {
        v.err(
            &format!("{lp}.uniform.min"),
            "min is larger than max",
            "swap them, or raise `max`",
        );
        return None;
    }
    Some(Lifetime::Uniform {
        min_s: min.as_secs_f64(),
        max_s: max.as_secs_f64(),
    })
}

/// The CPU size (MHz) and memory (bytes) an instance reserves on a host of `core_mhz`.
fn largest_reservation(kind: &WorkloadKind, core_mhz: f64) -> (f64, u64) {
    match kind {
        WorkloadKind::Vm(vm) => (
            vm.reserve_cpu
                .values()
                .iter()
                .map(|a| cpu_mhz(*a, core_mhz))
                .fold(0.0, f64::max),
            vm.reserve_memory
                .values()
                .iter()
                .copied()
                .max()
                .unwrap_or(0),
        ),
        WorkloadKind::Pod(p) => (
            p.request_cpu
                .values()
                .iter()
                .map(|a| cpu_mhz(*a, core_mhz))
                .fold(0.0, f64::max),
            p.request_memory.values().iter().copied().max().unwrap_or(0),
        ),
    }
}

fn check_fits(v: &mut V, wp: &str, name: &str, kind: &WorkloadKind, c: &ClusterSpec) {
    let vcpus = match kind {
        WorkloadKind::Vm(vm) => vm.vcpus,
        WorkloadKind::Pod(_) => 0,
    };
    let cores_ok = |g: &HostGroupSpec| vcpus <= g.cores;
    let cpu_ok = |g: &HostGroupSpec| {
        largest_reservation(kind, g.mhz_per_core as f64).0 <= g.cpu_mhz() as f64
    };
    let mem_ok = |g: &HostGroupSpec| largest_reservation(kind, g.mhz_per_core as f64).1 <= g.memory;
    let groups = &c.host_groups;
    if groups.iter().any(|g| cores_ok(g) && cpu_ok(g) && mem_ok(g)) {
        return;
    }
    let (Some(most_cores), Some(most_cpu), Some(most_mem)) = (
        groups.iter().max_by_key(|g| g.cores),
        groups.iter().max_by_key(|g| g.cpu_mhz()),
        groups.iter().max_by_key(|g| g.memory),
    ) else {
        return;
    };
    let (each, verb, field) = match kind {
        WorkloadKind::Vm(_) => ("each VM", "reserves", "size"),
        WorkloadKind::Pod(_) => ("each pod", "requests", "requests"),
    };
    let mut needs = Vec::new();
    if !groups.iter().any(cores_ok) {
        needs.push(format!(
            "has {vcpus} vCPUs, but the largest host (`{}`) has {} cores",
            most_cores.name, most_cores.cores
        ));
    }
    if !groups.iter().any(cpu_ok) {
        let (mhz, _) = largest_reservation(kind, most_cpu.mhz_per_core as f64);
        needs.push(format!(
            "{verb} {mhz:.0} MHz of CPU, but the largest host (`{}`) has {} cores x {} MHz = {} MHz",
            most_cpu.name,
            most_cpu.cores,
            most_cpu.mhz_per_core,
            most_cpu.cpu_mhz()
        ));
    }
    if !groups.iter().any(mem_ok) {
        let (_, mem) = largest_reservation(kind, most_mem.mhz_per_core as f64);
        needs.push(format!(
            "{verb} {} of memory, but the largest host (`{}`) has {}",
            fmt_bytes(mem),
            most_mem.name,
            fmt_bytes(most_mem.memory)
        ));
    }
    let message = if needs.is_empty() {
        let (mhz, mem) = largest_reservation(kind, most_cpu.mhz_per_core as f64);
        format!(
            "`{name}` fits no host of cluster `{}`: {each} {verb} {mhz:.0} MHz of CPU and {} of memory{}, and no single host has all of that",
            c.name,
            fmt_bytes(mem),
            if vcpus > 0 { format!(" with {vcpus} vCPUs") } else { String::new() },
        )
    } else {
        format!(
            "`{name}` fits no host of cluster `{}`: {each} {}",
            c.name,
            needs.join(", and ")
        )
    };
    v.err(
        &format!("{wp}.{field}"),
        message,
        format!(
            "make the {} smaller, or add a larger host group to cluster `{}`",
            if vcpus > 0 || matches!(kind, WorkloadKind::Vm(_)) {
                "VM"
            } else {
                "pod"
            },
            c.name
        ),
    );
}

/// `512 GiB`, `1.5 TiB`, `200 MiB`: one decimal at most, none when whole.
pub fn fmt_bytes(b: u64) -> String {
    let units = [
        ("TiB", 1u64 << 40),
        ("GiB", 1 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
    ];
    for (unit, size) in units {
        if b >= size {
            let x = b as f64 / size as f64;
            let text = format!("{x:.1}");
            let text = text.strip_suffix(".0").unwrap_or(&text);
            return format!("{text} {unit}");
        }
    }
    format!("{b} B")
}

#[allow(clippy::too_many_arguments)]
fn arrival(
    v: &mut V,
    ap: &str,
    a: &RawArrival,
    kind: Option<&WorkloadKind>,
    lifetime: Option<&Lifetime>,
    lifetime_given: bool,
    cluster: Option<&ClusterSpec>,
    duration: Option<SimDuration>,
) -> Option<Arrival> {
    let given = [a.at_start.is_some(), a.poisson.is_some(), a.times.is_some()]
        .iter()
        .filter(|b| **b)
        .count();
    if given != 1 {
        v.err(
            ap,
            "give exactly one of `at_start`, `poisson`, `times`",
            "e.g. `arrival: { poisson: { rate: 2/h } }`",
        );
        return None;
    }
    if let Some(n) = &a.at_start {
        return v
            .positive_count(
                &format!("{ap}.at_start"),
                n,
                Limits::MAX_AT_START,
                "at_start",
            )
            .map(Arrival::AtStart);
    }
    if let Some(times) = &a.times {
        if times.len() > 1_000_000 {
            v.err(
                &format!("{ap}.times"),
                "more than 1,000,000 explicit times",
                "use a Poisson process",
            );
            return None;
        }
        let mut out = Vec::new();
        for (i, t) in times.iter().enumerate() {
            out.push(v.duration(&format!("{ap}.times[{i}]"), t, true));
        }
        let mut out: Vec<SimDuration> = out.into_iter().collect::<Option<_>>()?;
        out.sort();
        return Some(Arrival::Times(out));
    }
    let p = a.poisson.as_ref().expect("one given");
    let pp = format!("{ap}.poisson");
    let limit = match &p.limit {
        Some(l) => Some(v.positive_count(
            &format!("{pp}.limit"),
            l,
            Limits::MAX_ARRIVALS as u64,
            "limit",
        )?),
        None => None,
    };
    let rate = match (&p.rate, &p.offered_load) {
        (Some(r), None) => {
            let r = v.parse(&format!("{pp}.rate"), r, units::parse_rate)?;
            if r <= 0.0 {
                v.err(
                    &format!("{pp}.rate"),
                    "the rate is 0",
                    "write a rate above 0, such as `2/h`, or remove the workload",
                );
                return None;
            }
            r
        }
        (None, Some(l)) => {
            let lp = format!("{pp}.offered_load");
            let load = v.parse(&lp, l, units::parse_number)?;
            if !(load > 0.0 && load <= 100.0) {
                v.err(
                    &lp,
                    format!("offered load {load} is not in (0, 100]"),
                    "1.0 would keep the whole cluster's CPU busy",
                );
                return None;
            }
            let (kind, lifetime, cluster) = (kind?, lifetime?, cluster?);
            let mean_life = lifetime.mean_s();
            if !mean_life.is_finite() {
                v.err(
                    &lp,
                    format!(
                        "offered_load needs a finite mean lifetime, but the lifetime is `forever`{}",
                        if lifetime_given { "" } else { " (the default when `lifetime` is left out)" }
                    ),
                    "give a lifetime distribution such as `lifetime: { exponential: { mean: 6h } }`, or set `rate` instead of `offered_load`",
                );
                return None;
            }
            let core = cluster.mean_core_mhz();
            let mean_cpu = match kind {
                WorkloadKind::Pod(p) => mean_mhz(&p.request_cpu, core),
                WorkloadKind::Vm(vm) => vm.vcpus as f64 * core,
            };
            if mean_cpu <= 0.0 {
                v.err(
                    &lp,
                    "offered_load needs a CPU request above 0",
                    "give `requests: { cpu: ... }`, or set `rate` instead of `offered_load`",
                );
                return None;
            }
            load * cluster.cpu_mhz() / (mean_cpu * mean_life)
        }
        _ => {
            v.err(
                &pp,
                "give exactly one of `rate` and `offered_load`",
                "e.g. `poisson: { rate: 2/h }`",
            );
            return None;
        }
    };
    let _ = duration;
    Some(Arrival::Poisson {
        rate_per_s: rate,
        limit,
    })
}

/// A demand fraction in [0, 1] at `path`.
fn fraction(v: &mut V, path: &str, s: &Scalar) -> Option<f64> {
    let x = v.parse(path, s, units::parse_number)?;
    if (0.0..=1.0).contains(&x) {
        Some(x)
    } else {
        v.err(
            path,
            format!("demand {x} is not a fraction between 0 and 1"),
            "the demand is the share of the size in use, e.g. `0.5` for half",
        );
        None
    }
}

/// `min <= max`, reported at `path` (the `min` field) when not.
fn ordered(v: &mut V, path: &str, min: Option<f64>, max: Option<f64>) -> Option<(f64, f64)> {
    let (lo, hi) = (min?, max?);
    if lo > hi {
        v.err(path, format!("min {lo} is above max {hi}"), "swap them");
        return None;
    }
    Some((lo, hi))
}

/// The demand model and how often it is re-evaluated.
fn demand_model(
    v: &mut V,
    dp: &str,
    d: Option<&RawDemand>,
) -> (Option<DemandModel>, Option<SimDuration>) {
    let default_every = SimDuration::from_secs(defaults::DEMAND_EVERY_S);
    let Some(d) = d else {
        return (
            Some(DemandModel::Constant(defaults::DEMAND)),
            Some(default_every),
        );
    };
    let every = match &d.every {
        Some(e) => v.duration(&format!("{dp}.every"), e, false),
        None => Some(default_every),
    };
    let given = [
        d.constant.is_some(),
        d.diurnal.is_some(),
        d.random_walk.is_some(),
        d.bursts.is_some(),
        d.trace.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if given != 1 {
        v.err(
            dp,
            "give exactly one of `constant`, `diurnal`, `random_walk`, `bursts`, `trace`",
            "e.g. `demand: { constant: 0.5 }` or `demand: { diurnal: { min: 0.2, max: 0.8, peak_at: 14h } }`",
        );
        return (None, every);
    }
    let model = if let Some(c) = &d.constant {
        fraction(v, &format!("{dp}.constant"), c).map(DemandModel::Constant)
    } else if let Some(di) = &d.diurnal {
        let p = format!("{dp}.diurnal");
        let min = fraction(v, &format!("{p}.min"), &di.min);
        let max = fraction(v, &format!("{p}.max"), &di.max);
        let peak = v.duration(&format!("{p}.peak_at"), &di.peak_at, true);
        let period = match &di.period {
            Some(s) => v.duration(&format!("{p}.period"), s, false),
            None => Some(SimDuration::from_secs(86_400)),
        };
        let range = ordered(v, &format!("{p}.min"), min, max);
        range
            .zip(peak)
            .zip(period)
            .map(|(((min, max), peak), period)| DemandModel::Diurnal {
                min,
                max,
                peak_at_s: peak.as_secs_f64(),
                period_s: period.as_secs_f64(),
            })
    } else if let Some(rw) = &d.random_walk {
        let p = format!("{dp}.random_walk");
        let start = fraction(v, &format!("{p}.start"), &rw.start);
        let step = fraction(v, &format!("{p}.step"), &rw.step);
        let min = fraction(v, &format!("{p}.min"), &rw.min);
        let max = fraction(v, &format!("{p}.max"), &rw.max);
        let range = ordered(v, &format!("{p}.min"), min, max);
        match (start, step, range) {
            (Some(start), Some(step), Some((min, max))) if (min..=max).contains(&start) => {
                Some(DemandModel::RandomWalk {
                    start,
                    step,
                    min,
                    max,
                })
            }
            (Some(start), Some(_), Some((min, max))) => {
                v.err(
                    &format!("{p}.start"),
                    format!("start {start} is outside [{min}, {max}]"),
                    "start between min and max",
                );
                None
            }
            _ => None,
        }
    } else if let Some(t) = &d.trace {
        let p = format!("{dp}.trace");
        let interval = v.duration(&format!("{p}.interval"), &t.interval, false);
        let columns = read_trace(v, &format!("{p}.file"), &t.file);
        columns.zip(interval).map(|(columns, interval)| {
            DemandModel::Trace(std::sync::Arc::new(DemandTrace::repeating(
                columns,
                interval.as_secs_f64(),
            )))
        })
    } else {
        let b = d.bursts.as_ref().expect("one given");
        let p = format!("{dp}.bursts");
        let base = fraction(v, &format!("{p}.base"), &b.base);
        let peak = fraction(v, &format!("{p}.peak"), &b.peak);
        let on = v.duration(&format!("{p}.on"), &b.on, false);
        let off = v.duration(&format!("{p}.off"), &b.off, true);
        match (base, peak, on, off) {
            (Some(base), Some(peak), Some(on), Some(off)) => Some(DemandModel::Bursts {
                base,
                peak,
                on_s: on.as_secs_f64(),
                off_s: off.as_secs_f64(),
            }),
            _ => None,
        }
    };
    (model, every)
}

/// Reads and parses a demand trace named in the scenario (relative to its folder).
fn read_trace(v: &mut V, path: &str, file: &str) -> Option<Vec<Vec<f32>>> {
    use std::io::Read;
    let full = v.base_dir.join(file);
    let hint = "a CSV of fractions: one column per instance, one row per interval";
    let mut bytes = Vec::new();
    let read = std::fs::File::open(&full).and_then(|f| {
        f.take(crate::scenario::trace::MAX_TRACE_BYTES + 1)
            .read_to_end(&mut bytes)
    });
    if let Err(e) = read {
        v.err(
            path,
            format!("cannot read the trace `{}`: {e}", full.display()),
            "a relative path is read from the scenario file's folder",
        );
        return None;
    }
    if bytes.len() as u64 > crate::scenario::trace::MAX_TRACE_BYTES {
        v.err(
            path,
            format!("the trace `{}` is larger than 64 MiB", full.display()),
            "shorten or resample it",
        );
        return None;
    }
    let Ok(text) = String::from_utf8(bytes) else {
        v.err(
            path,
            format!("the trace `{}` is not UTF-8 text", full.display()),
            hint,
        );
        return None;
    };
    match crate::scenario::trace::parse_demand_csv(&text) {
        Ok(columns) => Some(columns),
        Err(e) => {
            v.err(
                path,
                format!("the trace `{}` is malformed: {e}", full.display()),
                hint,
            );
            None
        }
    }
}

/// DRS rules: VM-VM (separate or together) and VM-host (must, should, must not, should
/// not; hosts named one by one or by host group).
fn rules(
    v: &mut V,
    rp: &str,
    r: &RawRules,
    cluster: Option<&ClusterSpec>,
    at_once: usize,
) -> Option<Rules> {
    let vms = match r.vms.as_deref() {
        None => Some(None),
        Some("separate") => Some(Some(VmRule::Separate)),
        Some("together") => Some(Some(VmRule::Together)),
        Some(other) => {
            v.err(
                &format!("{rp}.vms"),
                format!("unknown VM rule `{other}`"),
                "use `separate` (anti-affinity) or `together` (affinity)",
            );
            None
        }
    };
    if r.host_rule.is_some() && r.hosts.is_none() {
        v.err(
            &format!("{rp}.host_rule"),
            "`host_rule` without `hosts`",
            "list the hosts: `hosts: [esx-0, esx-1]`",
        );
    }
    // The rules as written, each with the path of its host list: the shorthand first.
    let mut written: Vec<(String, &[String], String, Option<&str>)> = Vec::new();
    if let Some(hosts) = &r.hosts {
        written.push((
            format!("{rp}.hosts"),
            hosts,
            format!("{rp}.host_rule"),
            r.host_rule.as_deref(),
        ));
    }
    for (i, hr) in r.host_rules.iter().flatten().enumerate() {
        written.push((
            format!("{rp}.host_rules[{i}].hosts"),
            &hr.hosts,
            format!("{rp}.host_rules[{i}].rule"),
            Some(hr.rule.as_str()),
        ));
    }
    let mut kinds = Vec::new();
    for (_, _, kp, kind) in &written {
        kinds.push(match kind.unwrap_or("must") {
            "must" => Some(HostRuleKind::Must),
            "should" => Some(HostRuleKind::Should),
            "must_not" => Some(HostRuleKind::MustNot),
            "should_not" => Some(HostRuleKind::ShouldNot),
            other => {
                let known = ["must", "should", "must_not", "should_not"];
                let hint = match did_you_mean(other, known) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "use `must`, `should`, `must_not` or `should_not`".to_string(),
                };
                v.err(kp, format!("unknown host rule `{other}`"), hint);
                None
            }
        });
    }
    let cluster = cluster?;
    let names: Vec<String> = cluster
        .host_groups
        .iter()
        .flat_map(|g| (0..g.count).map(move |n| format!("{}-{n}", g.name)))
        .collect();
    let mut host_rules = Vec::new();
    let mut all_resolved = true;
    for ((hp, list, _, _), kind) in written.iter().zip(&kinds) {
        if list.is_empty() {
            v.err(
                hp,
                "the host list is empty: the rule names no host",
                "list at least one host or host group",
            );
            all_resolved = false;
            continue;
        }
        let mut idx = Vec::new();
        for (i, name) in list.iter().enumerate() {
            if let Some(h) = names.iter().position(|n| n == name) {
                idx.push(h);
            } else if let Some(g) = cluster.host_groups.iter().position(|g| &g.name == name) {
                let first: u32 = cluster.host_groups[..g].iter().map(|g| g.count).sum();
                idx.extend((first..first + cluster.host_groups[g].count).map(|h| h as usize));
            } else {
                all_resolved = false;
                v.err(
                    &format!("{hp}[{i}]"),
                    format!("cluster `{}` has no host or host group `{name}`", cluster.name),
                    "hosts are named `<host group>-<n>`, from 0; a host group's name means all its hosts",
                );
            }
        }
        idx.sort_unstable();
        idx.dedup();
        if let Some(kind) = kind {
            host_rules.push((
                hp.as_str(),
                HostRule {
                    hosts: idx,
                    kind: *kind,
                },
            ));
        }
    }
    let vms = vms?;
    if !all_resolved || host_rules.len() != written.len() {
        return None;
    }
    // The required rules must leave a host: a VM that must run on A and must not run on A
    // (or must run on A and on a disjoint B) could never be placed.
    let n = names.len();
    let mut allowed = vec![true; n];
    for (hp, rule) in &host_rules {
        if !rule.kind.required() {
            continue;
        }
        let before: Vec<usize> = (0..n).filter(|&h| allowed[h]).collect();
        let one = Rules {
            vms: None,
            hosts: vec![rule.clone()],
        };
        let mask = one.host_masks(n).expect("one rule").required;
        for (a, m) in allowed.iter_mut().zip(&mask) {
            *a &= *m;
        }
        if !allowed.iter().any(|a| *a) {
            let left: Vec<&str> = before.iter().map(|&h| names[h].as_str()).collect();
            v.err(
                hp,
                format!(
                    "the rules contradict each other: this `{}` rule leaves no host, the rules before it allowing only [{}]",
                    match rule.kind {
                        HostRuleKind::Must => "must",
                        _ => "must_not",
                    },
                    left.join(", ")
                ),
                "required VM-host rules must leave at least one host the VMs may run on",
            );
            return None;
        }
    }
    let rules = Rules {
        vms,
        hosts: host_rules.into_iter().map(|(_, r)| r).collect(),
    };
    // A separate group needs a host per VM that exists at once.
    if vms == Some(VmRule::Separate) {
        let room = rules
            .host_masks(n)
            .map_or(n, |m| m.required.iter().filter(|a| **a).count());
        if at_once > room {
            v.err(
                &format!("{rp}.vms"),
                format!(
                    "{at_once} VMs must be on distinct hosts, but only {room} host(s) may run them"
                ),
                "an anti-affinity group cannot be larger than the hosts it may use",
            );
            return None;
        }
    }
    Some(rules)
}
