//! Raw file format -> checked [`Scenario`], collecting every problem in one pass.
//!
//! Each check names the field path; the loader turns it into a line and column.

use super::diagnostic::{did_you_mean, Diagnostic};
use super::load::Limits;
use super::raw::*;
use super::spec::*;
use super::units::{self, CpuAmount};
use crate::engine::SimDuration;
use std::collections::BTreeMap;

/// Model defaults that a scenario may override, with their sources.
pub mod defaults {
    /// Seed when the scenario gives none.
    pub const SEED: u64 = 1;
    /// Sampling interval: OpenDC's default export interval (5 min),
    /// `docs/reference/input/export.md`.
    pub const SAMPLE_EVERY_S: u64 = 300;
    /// Host NIC when none is given: 10 GbE, the link speed vCenter's vMotion limits are
    /// stated for ("Limits on Simultaneous Migrations", vSphere docs). Assumption.
    pub const NIC_BYTES_PER_S: f64 = 10e9 / 8.0;
    /// Power when none is given: idle 32 W, max 180 W, OpenDC's example topology
    /// (`topology` JSON of its docs).
    pub const POWER_IDLE_W: f64 = 32.0;
    pub const POWER_MAX_W: f64 = 180.0;
    /// Pod start-up once the image is present: 3 s, DSLab's Kubernetes simulator pod
    /// start time (`medjed02/K8s-simulator` config). The CRX pipeline of the supervisor
    /// issue replaces this single figure.
    pub const POD_STARTUP_DELAY_S: u64 = 3;
    /// Image pull bandwidth per host: 1 GB/s. Assumption (a share of a 10 GbE link; the
    /// benchmark workload of issue 2 fixes this figure).
    pub const IMAGE_PULL_BYTES_PER_S: f64 = 1e9;
    /// Datastore throughput when none is given: 1 GB/s. Assumption.
    pub const DATASTORE_BYTES_PER_S: f64 = 1e9;
    /// CPU demand of an instance as a fraction of its size: 1.0 (it uses what it asked
    /// for). Assumption, until the demand models of the DRS issue.
    pub const DEMAND: f64 = 1.0;
}

/// The placement policies a scenario may name.
pub const POLICY_NAMES: [&str; 3] = ["first-fit", "best-fit", "least-loaded"];

struct V {
    diags: Vec<Diagnostic>,
}

impl V {
    fn err(&mut self, path: &str, msg: impl Into<String>, hint: impl Into<String>) {
        let hint = hint.into();
        let d = Diagnostic::new(path, msg);
        self.diags
            .push(if hint.is_empty() { d } else { d.hint(hint) });
    }

    fn parse<T>(
        &mut self,
        path: &str,
        s: &Scalar,
        f: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        match f(&s.0) {
            Ok(v) => Some(v),
            Err(m) => {
                self.err(path, m, "");
                None
            }
        }
    }

    fn positive_count(&mut self, path: &str, s: &Scalar, max: u64, what: &str) -> Option<u64> {
        let v = self.parse(path, s, units::parse_count)?;
        if v == 0 {
            self.err(path, format!("{what} must be at least 1"), "");
            None
        } else if v > max {
            self.err(path, format!("{what} is {v}, above the limit of {max}"), "");
            None
        } else {
            Some(v)
        }
    }

    fn positive_bytes(&mut self, path: &str, s: &Scalar) -> Option<u64> {
        let v = self.parse(path, s, units::parse_bytes)?;
        if v == 0 {
            self.err(path, "must be more than 0 bytes", "");
            None
        } else {
            Some(v)
        }
    }

    fn duration(&mut self, path: &str, s: &Scalar, allow_zero: bool) -> Option<SimDuration> {
        let d = self.parse(path, s, units::parse_duration)?;
        if !allow_zero && d == SimDuration::ZERO {
            self.err(path, "must be longer than 0", "");
            return None;
        }
        Some(d)
    }

    fn unique_names<'a>(&mut self, base: &str, names: impl Iterator<Item = &'a str>, what: &str) {
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, n) in names.enumerate() {
            let path = format!("{base}[{i}].name");
            if n.trim().is_empty() {
                self.err(&path, format!("{what} name is empty"), "");
            } else if let Some(first) = seen.get(n) {
                self.err(
                    &path,
                    format!("{what} `{n}` is defined twice"),
                    format!("the first is {base}[{first}]"),
                );
            } else {
                seen.insert(n, i);
            }
        }
    }
}

/// Checks a raw scenario; returns every problem found.
pub fn validate(raw: &RawScenario) -> Result<Scenario, Vec<Diagnostic>> {
    let mut v = V { diags: Vec::new() };

    if raw.name.trim().is_empty() {
        v.err(
            "name",
            "the scenario name is empty",
            "the name is the output folder: results/<name>/",
        );
    } else if raw
        .name
        .chars()
        .any(|c| c == '/' || c == '\\' || c.is_control())
        || raw.name == "."
        || raw.name == ".."
    {
        v.err(
            "name",
            format!("`{}` cannot be a folder name", raw.name.escape_debug()),
            "use letters, digits, `-` and `_`",
        );
    }
    let seed = raw
        .seed
        .as_ref()
        .and_then(|s| v.parse("seed", s, units::parse_count))
        .unwrap_or(defaults::SEED);
    let duration = v.duration("duration", &raw.duration, false);
    if let Some(d) = duration {
        if d.as_secs_f64() > Limits::MAX_DURATION_S {
            v.err(
                "duration",
                format!("{} is longer than the limit of 10 years", raw.duration.0),
                "",
            );
        }
    }
    let sample_every = match raw.metrics.as_ref().and_then(|m| m.sample_every.as_ref()) {
        Some(s) => v.duration("metrics.sample_every", s, false),
        None => Some(SimDuration::from_secs(defaults::SAMPLE_EVERY_S)),
    };
    if let (Some(d), Some(s)) = (duration, sample_every) {
        if d.0 / s.0.max(1) > Limits::MAX_SAMPLES {
            v.err(
                "metrics.sample_every",
                format!(
                    "{} samples over the run, above the limit of {}",
                    d.0 / s.0,
                    Limits::MAX_SAMPLES
                ),
                "sample less often",
            );
        }
    }

    // Clusters and hosts.
    if raw.clusters.is_empty() {
        v.err("clusters", "a scenario needs at least one cluster", "");
    }
    v.unique_names(
        "clusters",
        raw.clusters.iter().map(|c| c.name.as_str()),
        "cluster",
    );
    let mut group_names: BTreeMap<&str, String> = BTreeMap::new();
    let mut total_hosts: u64 = 0;
    let mut clusters = Vec::new();
    for (ci, rc) in raw.clusters.iter().enumerate() {
        let cp = format!("clusters[{ci}]");
        if rc.hosts.is_empty() {
            v.err(
                &format!("{cp}.hosts"),
                format!("cluster `{}` has no hosts", rc.name),
                "add a host group",
            );
        }
        let mut groups = Vec::new();
        for (gi, g) in rc.hosts.iter().enumerate() {
            let gp = format!("{cp}.hosts[{gi}]");
            if g.name.trim().is_empty() {
                v.err(&format!("{gp}.name"), "host group name is empty", "");
            } else if let Some(first) = group_names.get(g.name.as_str()) {
                v.err(
                    &format!("{gp}.name"),
                    format!("host group `{}` is defined twice", g.name),
                    format!(
                        "the first is {first}; host names come from group names and must be unique"
                    ),
                );
            } else {
                group_names.insert(&g.name, gp.clone());
            }
            if let Some(g) = host_group(&mut v, &gp, g) {
                total_hosts += g.count as u64;
                groups.push(g);
            }
        }
        v.unique_names(
            &format!("{cp}.datastores"),
            rc.datastores.iter().map(|d| d.name.as_str()),
            "datastore",
        );
        let datastores = rc
            .datastores
            .iter()
            .enumerate()
            .filter_map(|(di, d)| datastore(&mut v, &format!("{cp}.datastores[{di}]"), d))
            .collect();
        let placement = placement(&mut v, &format!("{cp}.placement"), rc.placement.as_ref());
        let pods = pod_runtime(&mut v, &format!("{cp}.pods"), rc.pods.as_ref());
        clusters.push(ClusterSpec {
            name: rc.name.clone(),
            host_groups: groups,
            datastores,
            placement,
            pods,
        });
    }
    if total_hosts > Limits::MAX_HOSTS {
        v.err(
            "clusters",
            format!(
                "{total_hosts} hosts in all, above the limit of {}",
                Limits::MAX_HOSTS
            ),
            "",
        );
    }

    // Images.
    v.unique_names(
        "images",
        raw.images.iter().map(|i| i.name.as_str()),
        "image",
    );
    let images: Vec<ImageSpec> = raw
        .images
        .iter()
        .enumerate()
        .map(|(i, im)| ImageSpec {
            name: im.name.clone(),
            size: v
                .parse(&format!("images[{i}].size"), &im.size, units::parse_bytes)
                .unwrap_or(0),
        })
        .collect();

    // Workloads.
    v.unique_names(
        "workloads",
        raw.workloads.iter().map(|w| w.name.as_str()),
        "workload",
    );
    let mut workloads = Vec::new();
    let mut expected_arrivals = 0.0;
    for (wi, w) in raw.workloads.iter().enumerate() {
        if let Some(ws) = workload(
            &mut v,
            &format!("workloads[{wi}]"),
            w,
            &clusters,
            &raw.clusters,
            &images,
            duration,
        ) {
            expected_arrivals += match &ws.arrival {
                Arrival::AtStart(n) => *n as f64,
                Arrival::Times(t) => t.len() as f64,
                Arrival::Poisson { rate_per_s, limit } => {
                    let by_time = rate_per_s * duration.map_or(0.0, |d| d.as_secs_f64());
                    limit.map_or(by_time, |l| by_time.min(l as f64))
                }
            };
            workloads.push(ws);
        }
    }
    if expected_arrivals > Limits::MAX_ARRIVALS {
        v.err(
            "workloads",
            format!("the workloads would create about {expected_arrivals:.3e} instances, above the limit of {:.0e}", Limits::MAX_ARRIVALS),
            "lower the rates, add `limit`, or shorten the duration",
        );
    }

    if !v.diags.is_empty() {
        return Err(v.diags);
    }
    Ok(Scenario {
        name: raw.name.clone(),
        seed,
        duration: duration.expect("checked"),
        sample_every: sample_every.expect("checked"),
        clusters,
        images,
        workloads,
    })
}

fn host_group(v: &mut V, gp: &str, g: &RawHostGroup) -> Option<HostGroupSpec> {
    let count = v.positive_count(
        &format!("{gp}.count"),
        &g.count,
        Limits::MAX_HOSTS,
        "the host count",
    );
    let cores = match (&g.cores, &g.sockets, &g.cores_per_socket) {
        (Some(c), None, None) => {
            v.positive_count(&format!("{gp}.cores"), c, 4096, "cores per host")
        }
        (None, s, Some(cps)) => {
            let sockets = match s {
                Some(s) => v.positive_count(&format!("{gp}.sockets"), s, 16, "sockets"),
                None => Some(1),
            };
            let cps = v.positive_count(
                &format!("{gp}.cores_per_socket"),
                cps,
                1024,
                "cores per socket",
            );
            sockets.zip(cps).map(|(a, b)| a * b)
        }
        (Some(_), _, _) => {
            v.err(
                &format!("{gp}.cores"),
                "give either `cores` or `sockets` with `cores_per_socket`, not both",
                "",
            );
            None
        }
        (None, _, None) => {
            v.err(
                gp,
                "the host group has no core count",
                "add `cores: 32` (or `sockets: 2` and `cores_per_socket: 16`)",
            );
            None
        }
    };
    let mhz = v
        .parse(&format!("{gp}.mhz"), &g.mhz, units::parse_mhz)
        .and_then(|m| {
            if !(1.0..=100_000.0).contains(&m) {
                v.err(
                    &format!("{gp}.mhz"),
                    format!("{m} MHz per core is not a plausible clock"),
                    "write e.g. `2600` or `2.6GHz`",
                );
                None
            } else {
                Some(m.round() as u32)
            }
        });
    let memory = v.positive_bytes(&format!("{gp}.memory"), &g.memory);
    let nic = match &g.nic {
        Some(n) => v
            .parse(&format!("{gp}.nic"), n, units::parse_bandwidth)
            .and_then(|b| {
                if b <= 0.0 {
                    v.err(&format!("{gp}.nic"), "bandwidth must be more than 0", "");
                    None
                } else {
                    Some(b)
                }
            }),
        None => Some(defaults::NIC_BYTES_PER_S),
    };
    let power = power(v, &format!("{gp}.power"), g.power.as_ref());
    Some(HostGroupSpec {
        name: g.name.clone(),
        count: count? as u32,
        cores: cores? as u32,
        mhz_per_core: mhz?,
        memory: memory?,
        nic_bytes_per_s: nic?,
        power: power?,
    })
}

fn power(v: &mut V, pp: &str, p: Option<&RawPower>) -> Option<PowerModel> {
    let Some(p) = p else {
        return Some(PowerModel::Linear {
            idle_w: defaults::POWER_IDLE_W,
            max_w: defaults::POWER_MAX_W,
        });
    };
    match (&p.idle, &p.max, &p.spec) {
        (Some(i), Some(m), None) => {
            let idle = v.parse(&format!("{pp}.idle"), i, units::parse_watts)?;
            let max = v.parse(&format!("{pp}.max"), m, units::parse_watts)?;
            if idle > max {
                v.err(
                    &format!("{pp}.idle"),
                    format!("idle power {idle} W is above max power {max} W"),
                    "",
                );
                return None;
            }
            Some(PowerModel::Linear {
                idle_w: idle,
                max_w: max,
            })
        }
        (None, None, Some(table)) => {
            if table.len() != 11 {
                v.err(
                    &format!("{pp}.spec"),
                    format!(
                        "the table has {} values; it needs 11 (0%, 10%, ..., 100% load)",
                        table.len()
                    ),
                    "",
                );
                return None;
            }
            let mut t = [0.0; 11];
            let mut ok = true;
            for (i, s) in table.iter().enumerate() {
                match v.parse(&format!("{pp}.spec[{i}]"), s, units::parse_watts) {
                    Some(w) => t[i] = w,
                    None => ok = false,
                }
            }
            ok.then_some(PowerModel::Table(t))
        }
        _ => {
            v.err(
                pp,
                "give either `idle` and `max` (linear) or `spec` (11 values)",
                "e.g. `power: { idle: 120W, max: 350W }`",
            );
            None
        }
    }
}

fn datastore(v: &mut V, dp: &str, d: &RawDatastore) -> Option<DatastoreSpec> {
    let kind = match d.kind.as_str() {
        "vmfs" => Some(DatastoreKind::Vmfs),
        "nfs" => Some(DatastoreKind::Nfs),
        "vsan" => Some(DatastoreKind::Vsan),
        other => {
            let hint = did_you_mean(other, ["vmfs", "nfs", "vsan"])
                .map_or("use vmfs, nfs or vsan".to_string(), |s| {
                    format!("did you mean `{s}`?")
                });
            v.err(
                &format!("{dp}.type"),
                format!("unknown datastore type `{other}`"),
                hint,
            );
            None
        }
    };
    let capacity = v.positive_bytes(&format!("{dp}.capacity"), &d.capacity);
    let throughput = match &d.throughput {
        Some(t) => v.parse(&format!("{dp}.throughput"), t, units::parse_bandwidth),
        None => Some(defaults::DATASTORE_BYTES_PER_S),
    };
    Some(DatastoreSpec {
        name: d.name.clone(),
        kind: kind?,
        capacity: capacity?,
        throughput: throughput?,
    })
}

fn placement(v: &mut V, pp: &str, p: Option<&RawPlacement>) -> PlacementSpec {
    let default = PlacementSpec {
        policy: PolicyKind::LeastLoaded,
        by: Resource::Cpu,
    };
    let Some(p) = p else { return default };
    let policy = match p.policy.as_str() {
        "first-fit" => PolicyKind::FirstFit,
        "best-fit" => PolicyKind::BestFit,
        "least-loaded" => PolicyKind::LeastLoaded,
        other => {
            let hint = match did_you_mean(other, POLICY_NAMES) {
                Some(s) => format!("did you mean `{s}`? (`pacsim policies` lists them)"),
                None => format!(
                    "the placement policies are {}; `pacsim policies` describes them",
                    POLICY_NAMES.join(", ")
                ),
            };
            v.err(
                &format!("{pp}.policy"),
                format!("unknown placement policy `{other}`"),
                hint,
            );
            return default;
        }
    };
    let by = match p.by.as_deref() {
        None | Some("cpu") => Resource::Cpu,
        Some("memory") => Resource::Memory,
        Some(other) => {
            v.err(
                &format!("{pp}.by"),
                format!("unknown resource `{other}`"),
                "use `cpu` or `memory`",
            );
            Resource::Cpu
        }
    };
    if policy == PolicyKind::FirstFit && p.by.is_some() {
        v.err(
            &format!("{pp}.by"),
            "first-fit takes hosts in order and has no `by`",
            "remove `by`, or use best-fit or least-loaded",
        );
    }
    PlacementSpec { policy, by }
}

fn pod_runtime(v: &mut V, pp: &str, p: Option<&RawPodRuntime>) -> PodRuntimeSpec {
    let mut spec = PodRuntimeSpec {
        startup_delay: SimDuration::from_secs(defaults::POD_STARTUP_DELAY_S),
        image_pull_bandwidth: defaults::IMAGE_PULL_BYTES_PER_S,
    };
    let Some(p) = p else { return spec };
    if let Some(d) = p
        .startup_delay
        .as_ref()
        .and_then(|s| v.duration(&format!("{pp}.startup_delay"), s, true))
    {
        spec.startup_delay = d;
    }
    if let Some(s) = &p.image_pull_bandwidth {
        let path = format!("{pp}.image_pull_bandwidth");
        match v.parse(&path, s, units::parse_bandwidth) {
            Some(b) if b > 0.0 => spec.image_pull_bandwidth = b,
            Some(_) => v.err(&path, "bandwidth must be more than 0", ""),
            None => {}
        }
    }
    spec
}

fn sampled<T>(
    v: &mut V,
    path: &str,
    s: &ScalarOrChoice,
    f: impl Fn(&str) -> Result<T, String>,
) -> Option<Sampled<T>> {
    match s {
        ScalarOrChoice::One(x) => v.parse(path, x, &f).map(Sampled::One),
        ScalarOrChoice::Choice(xs) => {
            if xs.is_empty() {
                v.err(path, "`choice` is empty", "list at least one value");
                return None;
            }
            let mut out = Vec::new();
            for (i, x) in xs.iter().enumerate() {
                out.push(v.parse(&format!("{path}.choice[{i}]"), x, &f));
            }
            out.into_iter()
                .collect::<Option<Vec<T>>>()
                .map(Sampled::Choice)
        }
    }
}

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

fn workload(
    v: &mut V,
    wp: &str,
    w: &RawWorkload,
    clusters: &[ClusterSpec],
    raw_clusters: &[RawCluster],
    images: &[ImageSpec],
    duration: Option<SimDuration>,
) -> Option<WorkloadSpec> {
    let is_pod = match w.kind.as_str() {
        "vm-group" => false,
        "pod-group" => true,
        other => {
            let hint = did_you_mean(other, ["vm-group", "pod-group"])
                .map_or("use `vm-group` or `pod-group`".into(), |s| {
                    format!("did you mean `{s}`?")
                });
            v.err(
                &format!("{wp}.kind"),
                format!("unknown workload kind `{other}`"),
                hint,
            );
            return None;
        }
    };
    let cluster = match &w.cluster {
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
    };
    let cluster_spec = cluster
        .and_then(|c| clusters.get(c))
        .filter(|c| c.host_groups.len() == raw_clusters[cluster.unwrap_or(0)].hosts.len());

    // Fields that belong to the other kind.
    let wrong = |field: &str| {
        if is_pod {
            format!("`{field}` is for vm-group; a pod-group uses `requests`, `limits` and `image`")
        } else {
            format!("`{field}` is for pod-group; a vm-group uses `size`")
        }
    };
    if is_pod && w.size.is_some() {
        v.err(&format!("{wp}.size"), wrong("size"), "");
    }
    if !is_pod {
        for (f, present) in [
            ("requests", w.requests.is_some()),
            ("limits", w.limits.is_some()),
            ("image", w.image.is_some()),
        ] {
            if present {
                v.err(&format!("{wp}.{f}"), wrong(f), "");
            }
        }
    }

    let kind = if is_pod {
        pod_kind(v, wp, w, images)
    } else {
        vm_kind(v, wp, w)
    };

    let lifetime = match &w.lifetime {
        None => Some(Lifetime::Forever),
        Some(l) => lifetime(v, &format!("{wp}.lifetime"), l),
    };
    let demand = match w.demand.as_ref() {
        None => Some(defaults::DEMAND),
        Some(d) => match &d.constant {
            Some(c) => {
                let p = format!("{wp}.demand.constant");
                v.parse(&p, c, units::parse_number).and_then(|x| {
                    if (0.0..=1.0).contains(&x) {
                        Some(x)
                    } else {
                        v.err(
                            &p,
                            format!("demand {x} is not a fraction between 0 and 1"),
                            "",
                        );
                        None
                    }
                })
            }
            None => {
                v.err(
                    &format!("{wp}.demand"),
                    "no demand model given",
                    "write `demand: { constant: 0.5 }`",
                );
                None
            }
        },
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
    let arrival = arrival(
        v,
        &format!("{wp}.arrival"),
        &w.arrival,
        kind.as_ref(),
        lifetime.as_ref(),
        cluster_spec,
        duration,
    );

    Some(WorkloadSpec {
        name: w.name.clone(),
        cluster: cluster?,
        kind: kind?,
        arrival: arrival?,
        lifetime: lifetime?,
        demand: demand?,
        on_no_fit: on_no_fit?,
    })
}

fn vm_kind(v: &mut V, wp: &str, w: &RawWorkload) -> Option<WorkloadKind> {
    let Some(size) = &w.size else {
        v.err(
            wp,
            "a vm-group needs `size`",
            "e.g. `size: { vcpus: 4, memory: 16GiB }`",
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
                "",
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
            "a pod-group needs `requests`",
            "e.g. `requests: { cpu: 500m, memory: 1GiB }`",
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
    let image = match &w.image {
        None => {
            v.err(
                wp,
                "a pod-group needs `image`",
                "name one of the scenario's `images`",
            );
            None
        }
        Some(choice) => sampled(v, &format!("{wp}.image"), choice, |name| {
            images.iter().position(|i| i.name == name).ok_or_else(|| {
                match did_you_mean(name, images.iter().map(|i| i.name.as_str())) {
                    Some(s) => format!("no image is named `{name}` (did you mean `{s}`?)"),
                    None if images.is_empty() => {
                        format!("no image is named `{name}`: the scenario has no `images` section")
                    }
                    None => format!("no image is named `{name}`"),
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

fn lifetime(v: &mut V, lp: &str, l: &RawLifetime) -> Option<Lifetime> {
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
            "",
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
                v.err(&sp, format!("sigma {s} is outside 0..5"), "");
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
        v.err(&format!("{lp}.uniform.min"), "min is larger than max", "");
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
    let fits = |g: &HostGroupSpec| {
        let (cpu, mem) = largest_reservation(kind, g.mhz_per_core as f64);
        let vcpus_ok = match kind {
            WorkloadKind::Vm(vm) => vm.vcpus <= g.cores,
            WorkloadKind::Pod(_) => true,
        };
        vcpus_ok && cpu <= g.cpu_mhz() as f64 && mem <= g.memory
    };
    if c.host_groups.iter().any(fits) {
        return;
    }
    let Some(big) = c.host_groups.iter().max_by_key(|g| (g.cpu_mhz(), g.memory)) else {
        return;
    };
    let (cpu, mem) = largest_reservation(kind, big.mhz_per_core as f64);
    let what = match kind {
        WorkloadKind::Vm(vm) => format!(
            "{} vCPUs, {:.0} MHz and {} reserved",
            vm.vcpus,
            cpu,
            fmt_bytes(mem)
        ),
        WorkloadKind::Pod(_) => format!(
            "{:.0} MHz ({:.2} cores) and {} requested",
            cpu,
            cpu / big.mhz_per_core as f64,
            fmt_bytes(mem)
        ),
    };
    let field = if matches!(kind, WorkloadKind::Vm(_)) {
        "size"
    } else {
        "requests"
    };
    v.err(
        &format!("{wp}.{field}"),
        format!(
            "`{name}` fits no host of cluster `{}`: it needs {what}",
            c.name
        ),
        format!(
            "the largest host (`{}`) has {} cores x {} MHz = {} MHz and {}",
            big.name,
            big.cores,
            big.mhz_per_core,
            big.cpu_mhz(),
            fmt_bytes(big.memory)
        ),
    );
}

pub fn fmt_bytes(b: u64) -> String {
    const GIB: f64 = (1u64 << 30) as f64;
    if b as f64 >= GIB {
        format!("{:.1} GiB", b as f64 / GIB)
    } else {
        format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64)
    }
}

fn arrival(
    v: &mut V,
    ap: &str,
    a: &RawArrival,
    kind: Option<&WorkloadKind>,
    lifetime: Option<&Lifetime>,
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
                v.err(&format!("{pp}.rate"), "the rate must be more than 0", "");
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
                    "offered_load needs a finite lifetime",
                    "give a `lifetime` distribution, or use `rate`",
                );
                return None;
            }
            let core = cluster.mean_core_mhz();
            let mean_cpu = match kind {
                WorkloadKind::Pod(p) => mean_mhz(&p.request_cpu, core),
                WorkloadKind::Vm(vm) => vm.vcpus as f64 * core,
            };
            if mean_cpu <= 0.0 {
                v.err(&lp, "offered_load needs a CPU request above 0", "");
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
