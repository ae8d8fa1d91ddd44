//! Raw file format -> checked [`Scenario`], collecting every problem in one pass.
//!
//! Each check names the field path; the loader turns it into a line and column.

mod datacenter;
mod network;
mod supervisor;
mod trace_workload;
mod workload;

pub use network::{defaults as network_defaults, MAX_REQUESTS};

pub use workload::{cpu_mhz, fmt_bytes};

use super::diagnostic::Diagnostic;
use super::load::Limits;
use super::raw::*;
use super::spec::*;
use super::units;
use crate::engine::SimDuration;
use datacenter::{consolidation, datastore, dpm, drs, host_group, placement, pod_runtime};
use std::collections::BTreeMap;
use workload::Context;

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
    /// How often a time-varying demand is re-evaluated: DRS's invocation period of 300 s
    /// (vSphere <= 6.7), so every DRS pass sees fresh demand.
    pub const DEMAND_EVERY_S: u64 = 300;
    /// DRS invocation period: 300 s (vSphere <= 6.7; techramblers, "vSphere 7.0 DRS
    /// re-designed").
    pub const DRS_INTERVAL_S: u64 = 300;
    /// The `drs-score` policy's period: 60 s (vSphere 7 runs DRS every minute; same
    /// source).
    pub const DRS_SCORE_INTERVAL_S: u64 = 60;
    /// DRS migration threshold: level 3 (docs.vmware.com vSphere 6.x resource management,
    /// "DRS Migration Threshold").
    pub const DRS_LEVEL: u8 = 3;
    /// Most migrations per DRS pass: 32. Assumption (four rounds of vCenter's 8 concurrent
    /// vMotions per 10 GbE host; VMware does not publish a per-pass limit).
    pub const DRS_MAX_MOVES: usize = 32;
    /// Memory a running VM dirties per second when the scenario does not say: 50 MB/s.
    /// Assumption (a moderately active server; no public vSphere figure).
    pub const DIRTY_RATE: f64 = 50e6;
    /// DPM target utilisation 63 % and tolerance 18 % (45-81 %): Broadcom KB 310527.
    pub const DPM_TARGET: f64 = 0.63;
    pub const DPM_TOLERANCE: f64 = 0.18;
    /// DPM evaluation windows: power-on 5 min, power-off 40 min (Broadcom KB 310527).
    pub const DPM_POWER_ON_WINDOW_S: u64 = 300;
    pub const DPM_POWER_OFF_WINDOW_S: u64 = 2400;
    /// Host power-on (wake over IPMI/iLO and ESXi boot) 5 min, and standby entry 1 min:
    /// assumptions (not published).
    pub const DPM_POWER_ON_TIME_S: u64 = 300;
    pub const DPM_POWER_OFF_TIME_S: u64 = 60;
    /// Standby draw: 10 W. Assumption (a server's BMC and standby rail; no VMware figure).
    pub const STANDBY_W: f64 = 10.0;
    /// Draw when powered off: 0 W, as CloudSim's switched-off hosts (`PowerHost` counts no
    /// energy at zero utilisation). Assumption: a real server's BMC draws a few watts.
    pub const OFF_W: f64 = 0.0;
    /// Power-off and boot from off: 1 min and 5 min, the same assumptions as DPM's
    /// standby entry and exit (no published figure).
    pub const POWER_TO_OFF_S: u64 = 60;
    pub const POWER_FROM_OFF_S: u64 = 300;
    /// Consolidation's control loop: every 300 s, CloudSim's `SCHEDULING_INTERVAL` in the
    /// study (Beloglazov & Buyya 2012; `examples/power/Constants.java`).
    pub const CONSOLIDATION_INTERVAL_S: u64 = 300;
    /// The study's detector parameters: THR 0.8, IQR 1.5, MAD 2.5, LR and LRR 1.2
    /// (Beloglazov & Buyya 2012, the best of each; CloudSim's `RunAll` examples).
    pub const THR_THRESHOLD: f64 = 0.8;
    pub const IQR_SAFETY: f64 = 1.5;
    pub const MAD_SAFETY: f64 = 2.5;
    pub const LR_SAFETY: f64 = 1.2;
    /// Static threshold while a host's history is too short (IQR/MAD under 12 values,
    /// LR/LRR under 10): 0.7, the fallback `PowerVmAllocationPolicyMigrationStaticThreshold`
    /// of CloudSim's PlanetLab runner.
    pub const CONSOLIDATION_FALLBACK: f64 = 0.7;
    /// Simple migrations: half the NIC (CloudSim: RAM / (BW / 2)) and 10 % CPU
    /// degradation (CloudSim `VmSchedulerTimeShared`, `HostDynamicWorkload`).
    pub const SIMPLE_MIGRATION_SHARE: f64 = 0.5;
    pub const SIMPLE_MIGRATION_DEGRADATION: f64 = 0.1;
}

/// The placement policies a scenario may name.
pub const POLICY_NAMES: [&str; 3] = ["first-fit", "best-fit", "least-loaded"];

struct V {
    diags: Vec<Diagnostic>,
    /// Folder that relative file names in the scenario (traces) are read from.
    base_dir: std::path::PathBuf,
    /// The scenario's seed (trace sampling draws from it).
    seed: u64,
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

/// Checks a raw scenario and returns every problem found; relative file names in it are read from `base_dir`.
pub fn validate(
    raw: &RawScenario,
    base_dir: &std::path::Path,
) -> Result<Scenario, Vec<Diagnostic>> {
    let mut v = V {
        diags: Vec::new(),
        base_dir: base_dir.to_path_buf(),
        seed: defaults::SEED,
    };

    if raw.name.trim().is_empty() {
        v.err(
            "name",
            "the scenario name is empty",
            "the name is the output folder: results/<name>/",
        );
    } else if raw.name.chars().any(char::is_control) {
        // Any other text is a fine label; the default output folder is made safe from
        // it by `Scenario::folder_name`.
        v.err(
            "name",
            format!("`{}` holds a control character", raw.name.escape_debug()),
            "names are shown in reports and terminals: use printable text",
        );
    }
    let seed = raw
        .seed
        .as_ref()
        .and_then(|s| v.parse("seed", s, units::parse_count))
        .unwrap_or(defaults::SEED);
    v.seed = seed;
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
        let datastores: Vec<DatastoreSpec> = rc
            .datastores
            .iter()
            .enumerate()
            .filter_map(|(di, d)| datastore(&mut v, &format!("{cp}.datastores[{di}]"), d))
            .collect();
        let placement = placement(&mut v, &format!("{cp}.placement"), rc.placement.as_ref());
        let pods = pod_runtime(&mut v, &format!("{cp}.pods"), rc.pods.as_ref());
        let drs = rc
            .drs
            .as_ref()
            .and_then(|d| drs(&mut v, &format!("{cp}.drs"), d));
        let dpm = rc
            .dpm
            .as_ref()
            .and_then(|d| dpm(&mut v, &format!("{cp}.dpm"), d));
        let consolidation = rc
            .consolidation
            .as_ref()
            .and_then(|c| consolidation(&mut v, &format!("{cp}.consolidation"), c));
        if rc.consolidation.is_some() && rc.drs.is_some() {
            v.err(
                &format!("{cp}.consolidation"),
                "a cluster balances with DRS or with consolidation, not both",
                "remove `drs` (and `dpm`) to consolidate, or remove `consolidation`",
            );
        }
        if rc.dpm.is_some() && rc.drs.is_none() {
            v.err(
                &format!("{cp}.dpm"),
                "DPM needs DRS: it runs at DRS passes and evacuates hosts by vMotion",
                "add `drs: {}` to the cluster",
            );
        }
        let supervisor = rc
            .supervisor
            .as_ref()
            .and_then(|s| supervisor::supervisor(&mut v, &format!("{cp}.supervisor"), s));
        if supervisor.is_some() && !datastores.iter().any(|d: &DatastoreSpec| d.image_cache > 0) {
            v.err(
                &format!("{cp}.supervisor"),
                format!(
                    "supervisor cluster `{}` has no datastore with image space: native pods' images are cached on datastores",
                    rc.name
                ),
                "add e.g. `datastores: [ { name: vsan, type: vsan, capacity: 20TiB } ]` (100GiB of image space by default)",
            );
        }
        clusters.push(ClusterSpec {
            name: rc.name.clone(),
            host_groups: groups,
            datastores,
            placement,
            pods,
            drs,
            dpm,
            supervisor,
            consolidation,
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
    } else if let (Some(d), Some(s)) = (duration, sample_every) {
        let host_samples = total_hosts.saturating_mul(d.0 / s.0.max(1));
        if host_samples > Limits::MAX_HOST_SAMPLES {
            v.err(
                "metrics.sample_every",
                format!(
                    "{total_hosts} hosts sampled {} times is {host_samples} host samples, above the limit of {}",
                    d.0 / s.0.max(1),
                    Limits::MAX_HOST_SAMPLES
                ),
                "sample less often (every sample reads every host)",
            );
        }
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
            cached: im.cached.is_some_and(|c| c.0),
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
    // Instances alive at once, roughly: a batch is alive together at its start; a
    // stream keeps about arrivals x (mean lifetime / duration) alive (Little's law).
    let mut expected_live = 0.0;
    let namespaces = supervisor::namespaces(&mut v, &raw.namespaces, &raw.clusters, &clusters);
    let registry = supervisor::registry(&mut v, raw.registry.as_ref());
    let vm_classes = supervisor::vm_classes(&mut v, &raw.vm_classes);
    let cx = Context {
        clusters: &clusters,
        raw_clusters: &raw.clusters,
        images: &images,
        namespaces: &namespaces,
        vm_classes: &vm_classes,
        duration,
    };
    let mut paths: Vec<String> = Vec::new();
    for (wi, w) in raw.workloads.iter().enumerate() {
        for ws in workload::workloads(&mut v, &format!("workloads[{wi}]"), w, &cx) {
            paths.push(format!("workloads[{wi}]"));
            let run_s = duration.map_or(0.0, |d| d.as_secs_f64());
            let (arrivals, live) = match (&ws.controller, &ws.arrival) {
                (Controller::Deployment(d), _) => {
                    let most = d
                        .scale
                        .iter()
                        .map(|s| s.1)
                        .max()
                        .unwrap_or(0)
                        .max(d.replicas) as f64;
                    let churn = match ws.lifetime.mean_s() {
                        m if m.is_finite() && m > 0.0 => most * run_s / m,
                        _ => 0.0,
                    };
                    (
                        2.0 * most + churn,
                        most + d.rollout.as_ref().map_or(0, |r| r.max_surge) as f64,
                    )
                }
                (
                    Controller::Job {
                        completions,
                        parallelism,
                    },
                    _,
                ) => (f64::from(*completions), f64::from(*parallelism)),
                (_, &Arrival::AtStart(n)) => (n as f64, n as f64),
                (_, Arrival::Times(t)) => (t.len() as f64, t.len() as f64),
                (_, Arrival::Poisson { rate_per_s, limit }) => {
                    let by_time = rate_per_s * run_s;
                    let n = limit.map_or(by_time, |l| by_time.min(l as f64));
                    let share = (ws.lifetime.mean_s() / run_s.max(1e-9)).min(1.0);
                    (n, n * share)
                }
            };
            expected_arrivals += arrivals;
            expected_live += live;
            workloads.push(ws);
        }
    }
    if expected_arrivals > Limits::MAX_ARRIVALS {
        v.err(
            "workloads",
            format!("the workloads would create about {expected_arrivals:.3e} instances, above the limit of {:.0e}", Limits::MAX_ARRIVALS),
            "lower the rates, add `limit`, or shorten the duration",
        );
    } else if expected_live > Limits::MAX_LIVE as f64 {
        v.err(
            "workloads",
            format!(
                "about {expected_live:.3e} VMs and pods would be alive at once, above the limit of {:.0e}",
                Limits::MAX_LIVE as f64
            ),
            "lower the counts or rates, or shorten the lifetimes",
        );
    }

    initial_quota(&mut v, &namespaces, &workloads, &clusters);
    kube_checks(&mut v, &namespaces, &workloads, &paths, &clusters);
    let maintenance = maintenance_windows(&mut v, &raw.maintenance, &clusters);
    let (network, services, faults) =
        network::network_sections(&mut v, raw, &clusters, &workloads, duration);
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
        maintenance,
        namespaces,
        registry,
        hash: 0,
        network,
        services,
        faults,
    })
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

/// Maintenance windows: the host exists, `at < until`, and one host's windows do not
/// overlap.
fn maintenance_windows(
    v: &mut V,
    raw: &[RawMaintenance],
    clusters: &[ClusterSpec],
) -> Vec<MaintenanceSpec> {
    let names: Vec<String> = clusters
        .iter()
        .flat_map(|c| c.host_groups.iter())
        .flat_map(|g| (0..g.count).map(move |n| format!("{}-{n}", g.name)))
        .collect();
    let mut out: Vec<MaintenanceSpec> = Vec::new();
    for (i, m) in raw.iter().enumerate() {
        let mp = format!("maintenance[{i}]");
        let host = names.iter().position(|n| *n == m.host);
        if host.is_none() {
            let hint =
                match super::diagnostic::did_you_mean(&m.host, names.iter().map(String::as_str)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "hosts are named `<host group>-<n>`, from 0".to_string(),
                };
            v.err(
                &format!("{mp}.host"),
                format!("no host is named `{}`", m.host),
                hint,
            );
        }
        let at = v.duration(&format!("{mp}.at"), &m.at, true);
        let until = match &m.until {
            Some(u) => v.duration(&format!("{mp}.until"), u, false).map(Some),
            None => Some(None),
        };
        let (Some(host), Some(at), Some(until)) = (host, at, until) else {
            continue;
        };
        if until.is_some_and(|u| u <= at) {
            v.err(
                &format!("{mp}.until"),
                "the window ends before it starts",
                "`until` must be later than `at`",
            );
            continue;
        }
        let end = |s: &MaintenanceSpec| s.until.unwrap_or(SimDuration(u64::MAX));
        let this = MaintenanceSpec { host, at, until };
        if let Some(j) = out
            .iter()
            .position(|o| o.host == host && o.at < end(&this) && this.at < end(o))
        {
            v.err(
                &mp,
                format!("this window overlaps another of `{}`", m.host),
                format!("see the window that starts at {}s", out[j].at.as_secs_f64()),
            );
            continue;
        }
        out.push(this);
    }
    out
}

/// A namespace whose workloads at t = 0 already ask for more than its quota (its
/// deployments' replicas, its jobs' parallel pods and its pod groups' `at_start` pods,
/// at their largest requests) is refused: it could never start as written.
fn initial_quota(
    v: &mut V,
    namespaces: &[NamespaceSpec],
    workloads: &[WorkloadSpec],
    clusters: &[ClusterSpec],
) {
    for (ni, ns) in namespaces.iter().enumerate() {
        let core_mhz = clusters[ns.cluster].mean_core_mhz();
        let (mut cpu, mut mem, mut storage) = (0.0, 0u64, 0u64);
        for w in workloads.iter().filter(|w| w.namespace == Some(ni)) {
            let at_zero = |a: &Arrival| match a {
                Arrival::AtStart(n) => *n,
                Arrival::Times(t) => t.iter().filter(|t| t.0 == 0).count() as u64,
                Arrival::Poisson { .. } => 0,
            };
            let pods = match &w.controller {
                Controller::Deployment(d) => u64::from(d.replicas) * at_zero(&w.arrival).min(1),
                Controller::Job { parallelism, .. } => {
                    u64::from(*parallelism) * at_zero(&w.arrival).min(1)
                }
                Controller::Arrivals => at_zero(&w.arrival),
                Controller::GuestCluster { .. } => at_zero(&w.arrival),
            };
            let (c, m) = match &w.kind {
                WorkloadKind::Pod(p) => (
                    p.request_cpu
                        .values()
                        .iter()
                        .map(|a| cpu_mhz(*a, core_mhz))
                        .fold(0.0, f64::max),
                    p.request_memory.values().iter().copied().max().unwrap_or(0),
                ),
                WorkloadKind::Vm(vm) => (f64::from(vm.vcpus) * core_mhz, vm.memory),
            };
            cpu += c * pods as f64;
            mem = mem.saturating_add(m.saturating_mul(pods));
            storage = storage.saturating_add(
                w.volume
                    .as_ref()
                    .map_or(0, |vol| vol.size)
                    .saturating_mul(pods),
            );
        }
        let np = format!("namespaces[{ni}].quota");
        if ns.cpu_mhz.is_some_and(|q| cpu > q as f64) {
            let q = ns.cpu_mhz.unwrap_or(0) as f64;
            v.err(
                &format!("{np}.cpu"),
                format!(
                    "namespace `{}` asks for {:.1} cores ({cpu:.0} MHz) of CPU at the start, above its quota of {:.1} cores ({q:.0} MHz)",
                    ns.name,
                    cpu / core_mhz,
                    q / core_mhz
                ),
                "raise the quota, or start fewer pods at t = 0",
            );
        }
        if ns.memory.is_some_and(|q| mem > q) {
            v.err(
                &format!("{np}.memory"),
                format!(
                    "namespace `{}` asks for {} of memory at the start, above its quota of {}",
                    ns.name,
                    fmt_bytes(mem),
                    fmt_bytes(ns.memory.unwrap_or(0))
                ),
                "raise the quota, or start fewer pods at t = 0",
            );
        }
        if ns.storage.is_some_and(|q| storage > q) {
            v.err(
                &format!("{np}.storage"),
                format!(
                    "namespace `{}` asks for {} of volumes at the start, above its quota of {}",
                    ns.name,
                    fmt_bytes(storage),
                    fmt_bytes(ns.storage.unwrap_or(0))
                ),
                "raise the quota, or start fewer pods at t = 0",
            );
        }
    }
}

/// Pods of supervisor clusters that no host could ever take (node selector, node affinity
/// and taints), and required pod affinity that no pod of the namespace could satisfy.
fn kube_checks(
    v: &mut V,
    namespaces: &[NamespaceSpec],
    workloads: &[WorkloadSpec],
    paths: &[String],
    clusters: &[ClusterSpec],
) {
    use crate::scenario::kube::validate as kv;
    let mut pods = Vec::new();
    for (w, path) in workloads.iter().zip(paths) {
        let Some(ns) = w.namespace else { continue };
        if !w.is_pod() {
            continue;
        }
        let groups: Vec<kv::HostGroupNodes> = clusters[w.cluster]
            .host_groups
            .iter()
            .map(|g| kv::HostGroupNodes {
                name: &g.name,
                count: g.count,
                node: &g.node,
            })
            .collect();
        kv::check_schedulable(&w.scheduling, &groups, path, &mut v.diags);
        pods.push(kv::PodWorkload {
            path,
            namespace: &namespaces[ns].name,
            spec: &w.scheduling,
        });
    }
    kv::check_affinity_targets(&pods, &mut v.diags);
}
