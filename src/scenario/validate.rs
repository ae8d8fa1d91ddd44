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
                // "what is wrong; what to do" -> message and hint.
                let (msg, hint) = m.split_once("; ").unwrap_or((&m, ""));
                self.err(path, msg, hint);
                None
            }
        }
    }

    fn positive_count(&mut self, path: &str, s: &Scalar, max: u64, what: &str) -> Option<u64> {
        // The limit is checked before wholeness, so `1e30` is "above the limit".
        let v = self.parse(path, s, units::parse_number)?;
        if v > max as f64 {
            self.err(
                path,
                format!("{what} is {}, above the limit of {max}", s.0),
                "the limits keep a run within one machine's memory and time",
            );
            None
        } else if v < 1.0 {
            self.err(
                path,
                format!("{what} is {}; it must be at least 1", s.0),
                format!("write a whole number from 1 to {max}"),
            );
            None
        } else if v.fract() != 0.0 {
            self.err(
                path,
                format!("{what} is {}, not a whole number", s.0),
                format!("write a whole number from 1 to {max}"),
            );
            None
        } else {
            Some(v as u64)
        }
    }

    fn positive_bytes(&mut self, path: &str, s: &Scalar) -> Option<u64> {
        let v = self.parse(path, s, units::parse_bytes)?;
        if v == 0 {
            self.err(
                path,
                "the size is 0 bytes",
                "write a size above 0, such as `64GiB` or `200MB`",
            );
            None
        } else {
            Some(v)
        }
    }

    fn duration(&mut self, path: &str, s: &Scalar, allow_zero: bool) -> Option<SimDuration> {
        let d = self.parse(path, s, units::parse_duration)?;
        if !allow_zero && d == SimDuration::ZERO {
            self.err(
                path,
                "the duration is 0",
                "write a duration above 0, such as `30s`, `5m` or `24h`",
            );
            return None;
        }
        Some(d)
    }

    fn unique_names<'a>(&mut self, base: &str, names: impl Iterator<Item = &'a str>, what: &str) {
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, n) in names.enumerate() {
            let path = format!("{base}[{i}].name");
            if n.trim().is_empty() {
                self.err(
                    &path,
                    format!("{what} name is empty"),
                    "names identify things in references and outputs; give a short one such as `cl-a`",
                );
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
                "write a shorter duration, e.g. `365d`",
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
        v.err(
            "clusters",
            "a scenario needs at least one cluster",
            "add e.g. `- { name: cl-a, hosts: [ { name: esx, count: 4, cores: 32, mhz: 2600, memory: 512GiB } ] }`",
        );
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
                v.err(
                    &format!("{gp}.name"),
                    "host group name is empty",
                    "hosts are named after their group (`esx-0`, `esx-1`, ...); give a name such as `esx`",
                );
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
            "the limits keep a run within one machine's memory and time",
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
                "the host group gives both `cores` and `sockets`/`cores_per_socket`",
                "keep one: `cores: 32`, or `sockets: 2` with `cores_per_socket: 16`",
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
                    v.err(
                        &format!("{gp}.nic"),
                        "the bandwidth is 0",
                        "write a bandwidth above 0, such as `10Gbit/s`",
                    );
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
                    "`idle` is the draw at 0% CPU and `max` at 100%, so idle <= max; were they swapped?",
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
                        "the SPECpower table has {} values; it needs 11",
                        table.len()
                    ),
                    "give the power at 0%, 10%, 20%, ..., 100% CPU load, as SPECpower_ssj2008 reports it",
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
    // `by` is allowed with first-fit (which ignores it) so that a sweep or `--set` can
    // switch the policy of a cluster that names a resource.
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
            Some(_) => v.err(
                &path,
                "the bandwidth is 0",
                "write a bandwidth above 0, such as `1GB/s`",
            ),
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
            (
                format!("`{field}` is a vm-group field, but `{}` is a pod-group", w.name),
                "a pod-group gives `requests`, `limits` and `image`, e.g. `requests: { cpu: 500m, memory: 1GiB }`",
            )
        } else {
            (
                format!(
                    "`{field}` is a pod-group field, but `{}` is a vm-group",
                    w.name
                ),
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
                            "the demand is the share of the CPU size in use, e.g. `0.5` for half",
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
        w.lifetime.is_some(),
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
