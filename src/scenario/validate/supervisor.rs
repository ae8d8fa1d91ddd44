//! Checks of what Workload Management adds: a cluster's `supervisor` section, the
//! namespaces, the registry and the VM classes. The defaults are here, each with its
//! source; most CRX and control-plane timings are **not published by VMware** and are
//! assumptions, said so one by one.

use super::V;
use crate::engine::SimDuration;
use crate::scenario::diagnostic::did_you_mean;
use crate::scenario::raw::*;
use crate::scenario::spec::*;
use crate::scenario::units;

/// Defaults of a supervisor cluster.
pub mod defaults {
    /// Spherelet installation on one host: 120 s, all hosts in parallel. **Assumption**:
    /// VMware publishes no figure; enabling Workload Management is reported to take tens
    /// of minutes in all, most of it the control plane.
    pub const SPHERELET_INSTALL_S: u64 = 120;
    /// Deploying and booting the three control-plane VMs: 600 s. **Assumption** (not
    /// published).
    pub const CONTROL_PLANE_DEPLOY_S: u64 = 600;
    /// Requests an API server works on at once: 200, kube-apiserver's default
    /// `--max-mutating-requests-inflight` (kube-apiserver command-line reference; pod
    /// creations, bindings, status updates and lease renewals are all mutating).
    pub const API_INFLIGHT: u32 = 200;
    /// Time an API server spends on one request: 10 ms. **Assumption** (an etcd write
    /// and admission; the Kubernetes API-call SLO only bounds p99 at 1 s).
    pub const API_SERVICE_MS: u64 = 10;
    /// Token Exchange Service (SAML to JWT) per user request: 50 ms. **Assumption**.
    pub const TES_LATENCY_MS: u64 = 50;
    /// Spherelet heartbeat: the node Lease is renewed every 10 s (Kubernetes docs,
    /// "Node heartbeats").
    pub const HEARTBEAT_S: u64 = 10;
    /// One scheduling cycle: 5 ms, pods one at a time. **Assumption**: kube-scheduler's
    /// filtering and scoring of a pod over tens of nodes takes milliseconds (the
    /// Kubernetes scalability tests ask 100 pods/s of it at 5,000 nodes).
    pub const SCHEDULING_MS: u64 = 5;
    /// The scheduler extension's call to DRS for a pod's host: 20 ms, calls overlapping.
    /// **Assumption** (a vCenter round trip; not published).
    pub const DRS_CALL_MS: u64 = 20;
    /// CRX start-up stages, in ms. **Assumptions: no public CRX timings exist** (the
    /// PARAMETERS table records the search). The kernel boot is of the order of other
    /// direct-boot micro-VMs (Firecracker boots a guest kernel in about 125 ms, Agache
    /// et al., NSDI 2020); the rest are guesses of vCenter/hostd operations of a small
    /// VM. Readiness 0: a pod without a readiness probe is Ready when its containers
    /// start (Kubernetes pod lifecycle).
    pub const CRX_CREATE_VM_MS: u64 = 200;
    pub const CRX_POWER_ON_MS: u64 = 300;
    pub const CRX_IMAGE_ATTACH_MS: u64 = 100;
    pub const CRX_DISK_AND_NIC_MS: u64 = 200;
    pub const CRX_KERNEL_BOOT_MS: u64 = 300;
    pub const CRX_AGENT_START_MS: u64 = 100;
    pub const CRX_CONTAINER_START_MS: u64 = 200;
    pub const CRX_READINESS_MS: u64 = 0;
    /// Image-fetcher system pod start-up before its pull: 1.5 s. **Assumption** (a
    /// native pod's own start-up, by the CRX defaults above rounded up).
    pub const FETCHER_STARTUP_MS: u64 = 1500;
    /// CNS volume provisioning: 5 s. **Assumption** (not published).
    pub const VOLUME_PROVISION_S: u64 = 5;
    /// Terminating: 1 s, KWOK's pod delete stage (`kustomize/stage/pod/general`).
    pub const TERMINATION_S: u64 = 1;
    /// Guest-cluster node VM: clone 60 s, boot and join 120 s. **Assumptions**.
    pub const GUEST_NODE_CLONE_S: u64 = 60;
    pub const GUEST_NODE_BOOT_S: u64 = 120;
    /// Registry (Harbor) bandwidth 1 GB/s and 16 pulls at once. **Assumptions** (a 10
    /// GbE front end; Harbor publishes no limit).
    pub const REGISTRY_BYTES_PER_S: f64 = 1e9;
    pub const REGISTRY_PULLS: u32 = 16;
    /// Image space per datastore when not given: 100 GiB. **Assumption**.
    pub const IMAGE_CACHE_BYTES: u64 = 100 << 30;
}

const GIB: u64 = 1 << 30;

/// The control-plane sizes of the Workload Management wizard (vSphere with Tanzu
/// documentation, "Enable Workload Management"): tiny 2 vCPU / 8 GiB, small 4 / 16,
/// medium 8 / 16, large 16 / 32.
pub const CONTROL_PLANE_SIZES: [(&str, u32, u64); 4] = [
    ("tiny", 2, 8 * GIB),
    ("small", 4, 16 * GIB),
    ("medium", 8, 16 * GIB),
    ("large", 16, 32 * GIB),
];

/// vSphere with Tanzu's default VM classes for Tanzu Kubernetes cluster nodes
/// (documentation, "Virtual Machine Classes for TKG Clusters"): each size comes as
/// `best-effort-*` (no reservation) and `guaranteed-*` (all of it reserved).
pub const VM_CLASS_SIZES: [(&str, u32, u64); 8] = [
    ("xsmall", 2, 2 * GIB),
    ("small", 2, 4 * GIB),
    ("medium", 2, 8 * GIB),
    ("large", 4, 16 * GIB),
    ("xlarge", 4, 32 * GIB),
    ("2xlarge", 8, 64 * GIB),
    ("4xlarge", 16, 128 * GIB),
    ("8xlarge", 32, 128 * GIB),
];

fn duration_or(
    v: &mut V,
    path: &str,
    s: Option<&Scalar>,
    default: SimDuration,
) -> Option<SimDuration> {
    match s {
        Some(s) => v.duration(path, s, true),
        None => Some(default),
    }
}

fn ms(n: u64) -> SimDuration {
    SimDuration::from_millis(n)
}

fn secs(n: u64) -> SimDuration {
    SimDuration::from_secs(n)
}

/// A cluster's `supervisor` section; `None` when it is not enabled (or broken).
pub(super) fn supervisor(v: &mut V, sp: &str, s: &RawSupervisor) -> Option<SupervisorSpec> {
    use defaults as d;
    if !s.enabled.0 {
        return None;
    }
    let size = s.control_plane_size.as_deref().unwrap_or("small");
    let control_plane = match CONTROL_PLANE_SIZES.iter().find(|c| c.0 == size) {
        Some(&(name, vcpus, memory)) => Some(VmClassSpec {
            name: name.to_string(),
            vcpus,
            memory,
            guaranteed: false,
        }),
        None => {
            let names = CONTROL_PLANE_SIZES.map(|c| c.0);
            let hint = did_you_mean(size, names).map_or(
                "use `tiny`, `small`, `medium` or `large`".to_string(),
                |n| format!("did you mean `{n}`?"),
            );
            v.err(
                &format!("{sp}.control_plane_size"),
                format!("unknown control-plane size `{size}`"),
                hint,
            );
            None
        }
    };
    let api = s.api.as_ref();
    let inflight = match api.and_then(|a| a.inflight.as_ref()) {
        Some(n) => v
            .positive_count(&format!("{sp}.api.inflight"), n, 100_000, "inflight")
            .map(|n| n as u32),
        None => Some(d::API_INFLIGHT),
    };
    let f = |v: &mut V, field: &str, x: Option<&Scalar>, def: SimDuration| {
        duration_or(v, &format!("{sp}.{field}"), x, def)
    };
    let crx = s.crx.as_ref();
    let c = |v: &mut V, field: &str, get: fn(&RawCrx) -> Option<&Scalar>, def: u64| {
        duration_or(v, &format!("{sp}.crx.{field}"), crx.and_then(get), ms(def))
    };
    let stages = (
        c(
            v,
            "create_vm",
            |c| c.create_vm.as_ref(),
            d::CRX_CREATE_VM_MS,
        ),
        c(v, "power_on", |c| c.power_on.as_ref(), d::CRX_POWER_ON_MS),
        c(
            v,
            "image_attach",
            |c| c.image_attach.as_ref(),
            d::CRX_IMAGE_ATTACH_MS,
        ),
        c(
            v,
            "disk_and_nic",
            |c| c.disk_and_nic.as_ref(),
            d::CRX_DISK_AND_NIC_MS,
        ),
        c(
            v,
            "kernel_boot",
            |c| c.kernel_boot.as_ref(),
            d::CRX_KERNEL_BOOT_MS,
        ),
        c(
            v,
            "agent_start",
            |c| c.agent_start.as_ref(),
            d::CRX_AGENT_START_MS,
        ),
        c(
            v,
            "container_start",
            |c| c.container_start.as_ref(),
            d::CRX_CONTAINER_START_MS,
        ),
        c(
            v,
            "readiness",
            |c| c.readiness.as_ref(),
            d::CRX_READINESS_MS,
        ),
    );
    let heartbeat = match &s.heartbeat {
        Some(h) => v.duration(&format!("{sp}.heartbeat"), h, false),
        None => Some(secs(d::HEARTBEAT_S)),
    };
    let spec = SupervisorSpec {
        spherelet_install: f(
            v,
            "spherelet_install",
            s.spherelet_install.as_ref(),
            secs(d::SPHERELET_INSTALL_S),
        )?,
        control_plane: control_plane?,
        control_plane_deploy: f(
            v,
            "control_plane_deploy",
            s.control_plane_deploy.as_ref(),
            secs(d::CONTROL_PLANE_DEPLOY_S),
        )?,
        api_inflight: inflight?,
        api_service_time: f(
            v,
            "api.service_time",
            api.and_then(|a| a.service_time.as_ref()),
            ms(d::API_SERVICE_MS),
        )?,
        tes_latency: f(
            v,
            "api.tes_latency",
            api.and_then(|a| a.tes_latency.as_ref()),
            ms(d::TES_LATENCY_MS),
        )?,
        heartbeat: heartbeat?,
        scheduling: f(v, "scheduling", s.scheduling.as_ref(), ms(d::SCHEDULING_MS))?,
        drs_call: f(v, "drs_call", s.drs_call.as_ref(), ms(d::DRS_CALL_MS))?,
        crx: CrxStages {
            create_vm: stages.0?,
            power_on: stages.1?,
            image_attach: stages.2?,
            disk_and_nic: stages.3?,
            kernel_boot: stages.4?,
            agent_start: stages.5?,
            container_start: stages.6?,
            readiness: stages.7?,
        },
        fetcher_startup: f(
            v,
            "fetcher_startup",
            s.fetcher_startup.as_ref(),
            ms(d::FETCHER_STARTUP_MS),
        )?,
        volume_provision: f(
            v,
            "volume_provision",
            s.volume_provision.as_ref(),
            secs(d::VOLUME_PROVISION_S),
        )?,
        termination: f(
            v,
            "termination",
            s.termination.as_ref(),
            secs(d::TERMINATION_S),
        )?,
        guest_node_clone: f(
            v,
            "guest_node_clone",
            s.guest_node_clone.as_ref(),
            secs(d::GUEST_NODE_CLONE_S),
        )?,
        guest_node_boot: f(
            v,
            "guest_node_boot",
            s.guest_node_boot.as_ref(),
            secs(d::GUEST_NODE_BOOT_S),
        )?,
    };
    Some(spec)
}

/// The registry, with its defaults.
pub(super) fn registry(v: &mut V, r: Option<&RawRegistry>) -> RegistrySpec {
    let bandwidth = r
        .and_then(|r| r.bandwidth.as_ref())
        .and_then(|b| {
            let x = v.parse("registry.bandwidth", b, units::parse_bandwidth)?;
            if x > 0.0 {
                Some(x)
            } else {
                v.err(
                    "registry.bandwidth",
                    "the registry's bandwidth is 0: no image could ever be pulled",
                    "give a bandwidth such as `1GB/s`",
                );
                None
            }
        })
        .unwrap_or(defaults::REGISTRY_BYTES_PER_S);
    let concurrent_pulls = r
        .and_then(|r| r.concurrent_pulls.as_ref())
        .and_then(|n| v.positive_count("registry.concurrent_pulls", n, 100_000, "concurrent_pulls"))
        .map_or(defaults::REGISTRY_PULLS, |n| n as u32);
    RegistrySpec {
        bandwidth,
        concurrent_pulls,
    }
}

/// The built-in VM classes and the scenario's own.
pub(super) fn vm_classes(v: &mut V, raw: &[RawVmClass]) -> Vec<VmClassSpec> {
    let mut classes: Vec<VmClassSpec> = Vec::new();
    for (name, vcpus, memory) in VM_CLASS_SIZES {
        for (prefix, guaranteed) in [("best-effort", false), ("guaranteed", true)] {
            classes.push(VmClassSpec {
                name: format!("{prefix}-{name}"),
                vcpus,
                memory,
                guaranteed,
            });
        }
    }
    v.unique_names(
        "vm_classes",
        raw.iter().map(|c| c.name.as_str()),
        "VM class",
    );
    for (i, c) in raw.iter().enumerate() {
        let p = format!("vm_classes[{i}]");
        let vcpus = v.positive_count(&format!("{p}.vcpus"), &c.vcpus, 768, "vcpus");
        let memory = v.positive_bytes(&format!("{p}.memory"), &c.memory);
        if let (Some(vcpus), Some(memory)) = (vcpus, memory) {
            let spec = VmClassSpec {
                name: c.name.clone(),
                vcpus: vcpus as u32,
                memory,
                guaranteed: c.guaranteed.is_some_and(|g| g.0),
            };
            // A scenario's class replaces a built-in one of the same name.
            match classes.iter_mut().find(|k| k.name == c.name) {
                Some(k) => *k = spec,
                None => classes.push(spec),
            }
        }
    }
    classes
}

/// The namespaces, resolved against the clusters (which must be supervisor clusters).
pub(super) fn namespaces(
    v: &mut V,
    raw: &[RawNamespace],
    raw_clusters: &[RawCluster],
    clusters: &[ClusterSpec],
) -> Vec<NamespaceSpec> {
    v.unique_names(
        "namespaces",
        raw.iter().map(|n| n.name.as_str()),
        "namespace",
    );
    let mut out = Vec::new();
    for (i, n) in raw.iter().enumerate() {
        let np = format!("namespaces[{i}]");
        let cluster = match &n.cluster {
            Some(name) => match raw_clusters.iter().position(|c| &c.name == name) {
                Some(c) => Some(c),
                None => {
                    let hint = did_you_mean(name, raw_clusters.iter().map(|c| c.name.as_str()))
                        .map_or("name one of the scenario's clusters".to_string(), |s| {
                            format!("did you mean `{s}`?")
                        });
                    v.err(
                        &format!("{np}.cluster"),
                        format!("no cluster is named `{name}`"),
                        hint,
                    );
                    None
                }
            },
            None if raw_clusters.len() == 1 => Some(0),
            None => {
                v.err(
                    &np,
                    "the namespace does not say which cluster it is on",
                    "add `cluster: <name>`; there are several clusters",
                );
                None
            }
        };
        let Some(ci) = cluster else { continue };
        let supervisor = raw_clusters[ci]
            .supervisor
            .as_ref()
            .is_some_and(|s| s.enabled.0);
        if !supervisor {
            v.err(
                &format!("{np}.cluster"),
                format!(
                    "cluster `{}` is not a supervisor cluster: namespaces need Workload Management",
                    raw_clusters[ci].name
                ),
                "add `supervisor: { enabled: true }` to the cluster",
            );
            continue;
        }
        let Some(cluster) = clusters.get(ci) else {
            continue;
        };
        let core_mhz = cluster.mean_core_mhz();
        let q = n.quota.as_ref();
        let cpu_mhz = q.and_then(|q| q.cpu.as_ref()).and_then(|c| {
            v.parse(&format!("{np}.quota.cpu"), c, units::parse_cpu)
                .map(|a| super::cpu_mhz(a, core_mhz).round() as u64)
        });
        let memory = q
            .and_then(|q| q.memory.as_ref())
            .and_then(|m| v.parse(&format!("{np}.quota.memory"), m, units::parse_bytes));
        let storage = q
            .and_then(|q| q.storage.as_ref())
            .and_then(|m| v.parse(&format!("{np}.quota.storage"), m, units::parse_bytes));
        let policies = cluster_policies(cluster);
        if let Some(list) = &n.storage_policies {
            for (j, p) in list.iter().enumerate() {
                if !policies.contains(p) {
                    let hint = did_you_mean(p, policies.iter().map(String::as_str)).map_or(
                        format!("the cluster's datastores satisfy: {}", policies.join(", ")),
                        |s| format!("did you mean `{s}`?"),
                    );
                    v.err(
                        &format!("{np}.storage_policies[{j}]"),
                        format!(
                            "no datastore of cluster `{}` satisfies storage policy `{p}`",
                            cluster.name
                        ),
                        hint,
                    );
                }
            }
        }
        out.push(NamespaceSpec {
            name: n.name.clone(),
            cluster: ci,
            cpu_mhz,
            memory,
            storage,
            storage_policies: n.storage_policies.clone(),
        });
    }
    out
}

/// Every storage policy some datastore of the cluster satisfies, sorted.
pub(super) fn cluster_policies(cluster: &ClusterSpec) -> Vec<String> {
    let mut p: Vec<String> = cluster
        .datastores
        .iter()
        .flat_map(|d| d.policies.iter().cloned())
        .collect();
    p.sort();
    p.dedup();
    p
}
