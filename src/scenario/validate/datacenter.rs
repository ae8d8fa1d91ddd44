//! Checks of clusters: host groups, power models, datastores, placement, pod runtime.

use super::{defaults, POLICY_NAMES, V};
use crate::engine::SimDuration;
use crate::scenario::diagnostic::did_you_mean;
use crate::scenario::load::Limits;
use crate::scenario::raw::*;
use crate::scenario::spec::*;
use crate::scenario::units;

pub(super) fn host_group(v: &mut V, gp: &str, g: &RawHostGroup) -> Option<HostGroupSpec> {
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
    let standby = match g.power.as_ref().and_then(|p| p.standby.as_ref()) {
        Some(w) => v.parse(&format!("{gp}.power.standby"), w, units::parse_watts),
        None => Some(defaults::STANDBY_W),
    };
    let node = crate::scenario::kube::validate::node_fields(
        &crate::scenario::kube::raw::RawNodeFields {
            labels: g.labels.clone(),
            taints: g.taints.clone(),
            max_pods: g.max_pods.clone(),
        },
        gp,
        &mut v.diags,
    );
    let off = match g.power.as_ref().and_then(|p| p.off.as_ref()) {
        Some(w) => v.parse(&format!("{gp}.power.off"), w, units::parse_watts),
        None => Some(defaults::OFF_W),
    };
    let transitions = power_transitions(v, &format!("{gp}.power"), g.power.as_ref());
    Some(HostGroupSpec {
        node,
        name: g.name.clone(),
        count: count? as u32,
        cores: cores? as u32,
        mhz_per_core: mhz?,
        memory: memory?,
        nic_bytes_per_s: nic?,
        power: power?,
        standby_w: standby?,
        off_w: off?,
        transitions: transitions?,
    })
}

/// The times a host takes to enter and leave standby and off.
fn power_transitions(v: &mut V, pp: &str, p: Option<&RawPower>) -> Option<PowerTransitions> {
    let time = |v: &mut V, field: &str, s: Option<&Scalar>, default: u64| match s {
        Some(s) => v.duration(&format!("{pp}.{field}"), s, true),
        None => Some(SimDuration::from_secs(default)),
    };
    let to_standby = time(
        v,
        "to_standby",
        p.and_then(|p| p.to_standby.as_ref()),
        defaults::DPM_POWER_OFF_TIME_S,
    );
    let from_standby = time(
        v,
        "from_standby",
        p.and_then(|p| p.from_standby.as_ref()),
        defaults::DPM_POWER_ON_TIME_S,
    );
    let to_off = time(
        v,
        "to_off",
        p.and_then(|p| p.to_off.as_ref()),
        defaults::POWER_TO_OFF_S,
    );
    let from_off = time(
        v,
        "from_off",
        p.and_then(|p| p.from_off.as_ref()),
        defaults::POWER_FROM_OFF_S,
    );
    Some(PowerTransitions {
        to_standby: to_standby?,
        from_standby: from_standby?,
        to_off: to_off?,
        from_off: from_off?,
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

pub(super) fn datastore(v: &mut V, dp: &str, d: &RawDatastore) -> Option<DatastoreSpec> {
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
    let image_cache = match &d.image_cache {
        Some(c) => v.parse(&format!("{dp}.image_cache"), c, units::parse_bytes),
        None => Some(super::supervisor::defaults::IMAGE_CACHE_BYTES),
    };
    if let (Some(c), Some(cap)) = (image_cache, capacity) {
        if c > cap {
            v.err(
                &format!("{dp}.image_cache"),
                "the image space is larger than the datastore",
                "give at most the datastore's capacity",
            );
        }
    }
    let policies = match &d.policies {
        Some(p) if p.is_empty() => {
            v.err(
                &format!("{dp}.policies"),
                "the policy list is empty",
                "list the storage policies the datastore satisfies, or leave `policies` out",
            );
            None
        }
        Some(p) => Some(p.clone()),
        None => Some(vec![d.kind.clone()]),
    };
    Some(DatastoreSpec {
        name: d.name.clone(),
        kind: kind?,
        capacity: capacity?,
        throughput: throughput?,
        policies: policies?,
        image_cache: image_cache?.min(capacity?),
        per_host: d.per_host.is_some_and(|f| f.0),
    })
}

pub(super) fn placement(v: &mut V, pp: &str, p: Option<&RawPlacement>) -> PlacementSpec {
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

pub(super) fn pod_runtime(v: &mut V, pp: &str, p: Option<&RawPodRuntime>) -> PodRuntimeSpec {
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

pub(super) fn dpm(v: &mut V, dp: &str, d: &RawDpm) -> Option<DpmSpec> {
    let frac = |v: &mut V, field: &str, s: &Option<Scalar>, default: f64| match s {
        None => Some(default),
        Some(s) => {
            let p = format!("{dp}.{field}");
            let x = v.parse(&p, s, units::parse_number)?;
            if (0.0..=1.0).contains(&x) {
                Some(x)
            } else {
                v.err(
                    &p,
                    format!("{x} is not a fraction between 0 and 1"),
                    "e.g. 0.63 for 63%",
                );
                None
            }
        }
    };
    let target = frac(v, "target", &d.target, defaults::DPM_TARGET);
    let tolerance = frac(v, "tolerance", &d.tolerance, defaults::DPM_TOLERANCE);
    let dur = |v: &mut V, field: &str, s: &Option<Scalar>, default: u64| match s {
        None => Some(SimDuration::from_secs(default)),
        Some(s) => v.duration(&format!("{dp}.{field}"), s, false),
    };
    let on_w = dur(
        v,
        "power_on_window",
        &d.power_on_window,
        defaults::DPM_POWER_ON_WINDOW_S,
    );
    let off_w = dur(
        v,
        "power_off_window",
        &d.power_off_window,
        defaults::DPM_POWER_OFF_WINDOW_S,
    );
    let on_t = dur(
        v,
        "power_on_time",
        &d.power_on_time,
        defaults::DPM_POWER_ON_TIME_S,
    );
    let off_t = dur(
        v,
        "power_off_time",
        &d.power_off_time,
        defaults::DPM_POWER_OFF_TIME_S,
    );
    let (target, tolerance) = (target?, tolerance?);
    if target - tolerance <= 0.0 || target + tolerance >= 1.0 {
        v.err(
            &format!("{dp}.tolerance"),
            format!("target {target} ± {tolerance} leaves [0, 1]"),
            "the default is 0.63 ± 0.18",
        );
        return None;
    }
    Some(DpmSpec {
        target,
        tolerance,
        power_on_window: on_w?,
        power_off_window: off_w?,
        power_on_time: on_t?,
        power_off_time: off_t?,
    })
}

pub(super) fn drs(v: &mut V, dp: &str, d: &RawDrs) -> Option<DrsSpec> {
    let policy = match d.policy.as_deref() {
        None | Some("imbalance") => Some(DrsPolicy::Imbalance),
        Some("drs-score") => Some(DrsPolicy::Score),
        Some(other) => {
            let hint = match did_you_mean(other, ["imbalance", "drs-score"]) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "use `imbalance` (classic DRS) or `drs-score` (vSphere 7)".to_string(),
            };
            v.err(
                &format!("{dp}.policy"),
                format!("unknown DRS policy `{other}`"),
                hint,
            );
            None
        }
    };
    let interval = match &d.interval {
        Some(i) => v.duration(&format!("{dp}.interval"), i, false),
        None => Some(SimDuration::from_secs(match policy {
            Some(DrsPolicy::Score) => defaults::DRS_SCORE_INTERVAL_S,
            _ => defaults::DRS_INTERVAL_S,
        })),
    };
    let level = match &d.threshold {
        Some(t) => {
            let p = format!("{dp}.threshold");
            let n = v.parse(&p, t, units::parse_count)?;
            if (1..=5).contains(&n) {
                Some(n as u8)
            } else {
                v.err(
                    &p,
                    format!("threshold {n} is not a level from 1 to 5"),
                    "1 applies only mandatory moves; 5 is the most aggressive; 3 is the default",
                );
                None
            }
        }
        None => Some(defaults::DRS_LEVEL),
    };
    let max_moves = match &d.max_moves {
        Some(m) => v
            .positive_count(&format!("{dp}.max_moves"), m, 10_000, "max_moves")
            .map(|n| n as usize),
        None => Some(defaults::DRS_MAX_MOVES),
    };
    Some(DrsSpec {
        policy: policy?,
        interval: interval?,
        level: level?,
        max_moves: max_moves?,
    })
}

/// Consolidation of a cluster: the detector and its parameter, VM selection, memory
/// checks, sleep state and migration model.
pub(super) fn consolidation(
    v: &mut V,
    cp: &str,
    c: &RawConsolidation,
) -> Option<ConsolidationSpec> {
    let pick = |v: &mut V,
                field: &str,
                value: Option<&str>,
                names: &[&str],
                what: &str|
     -> Option<usize> {
        let value = value?;
        match names.iter().position(|n| *n == value) {
            Some(i) => Some(i),
            None => {
                let hint = match did_you_mean(value, names.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("the {what}s are {}", names.join(", ")),
                };
                v.err(
                    &format!("{cp}.{field}"),
                    format!("unknown {what} `{value}`"),
                    hint,
                );
                Some(usize::MAX)
            }
        }
    };
    let interval = match &c.interval {
        Some(i) => v.duration(&format!("{cp}.interval"), i, false),
        None => Some(SimDuration::from_secs(defaults::CONSOLIDATION_INTERVAL_S)),
    };
    const DETECTORS: [&str; 5] = ["thr", "iqr", "mad", "lr", "lrr"];
    let detector = match pick(
        v,
        "detector",
        c.detector.as_deref(),
        &DETECTORS,
        "overload detector",
    ) {
        None => Some(OverloadDetector::Thr),
        Some(i) => [
            OverloadDetector::Thr,
            OverloadDetector::Iqr,
            OverloadDetector::Mad,
            OverloadDetector::Lr,
            OverloadDetector::Lrr,
        ]
        .get(i)
        .copied(),
    };
    let selection = match pick(
        v,
        "selection",
        c.selection.as_deref(),
        &["mmt", "rs", "mc"],
        "VM selection policy",
    ) {
        None => Some(VmSelection::Mmt),
        Some(i) => [VmSelection::Mmt, VmSelection::Rs, VmSelection::Mc]
            .get(i)
            .copied(),
    };
    let memory = match pick(
        v,
        "memory",
        c.memory.as_deref(),
        &["always", "placement", "never"],
        "memory check",
    ) {
        None => Some(MemoryCheck::Always),
        Some(i) => [
            MemoryCheck::Always,
            MemoryCheck::Placement,
            MemoryCheck::Never,
        ]
        .get(i)
        .copied(),
    };
    let sleep = match pick(
        v,
        "sleep",
        c.sleep.as_deref(),
        &["standby", "off"],
        "sleep state",
    ) {
        None => Some(SleepState::Standby),
        Some(i) => [SleepState::Standby, SleepState::Off].get(i).copied(),
    };
    let simple = match pick(
        v,
        "migration",
        c.migration.as_deref(),
        &["vmotion", "simple"],
        "migration model",
    ) {
        None | Some(0) => Some(false),
        Some(1) => Some(true),
        Some(_) => None,
    };
    let number = |v: &mut V,
                  field: &str,
                  s: &Option<Scalar>,
                  default: f64,
                  ok: &dyn Fn(f64) -> bool,
                  hint: &str| match s {
        None => Some(default),
        Some(s) => {
            let p = format!("{cp}.{field}");
            let x = v.parse(&p, s, units::parse_number)?;
            if ok(x) {
                Some(x)
            } else {
                v.err(&p, format!("{field} {x} is out of range"), hint);
                None
            }
        }
    };
    let default_safety = match detector {
        Some(OverloadDetector::Thr) => defaults::THR_THRESHOLD,
        Some(OverloadDetector::Iqr) => defaults::IQR_SAFETY,
        Some(OverloadDetector::Mad) => defaults::MAD_SAFETY,
        Some(OverloadDetector::Lr | OverloadDetector::Lrr) | None => defaults::LR_SAFETY,
    };
    let safety = if detector == Some(OverloadDetector::Thr) {
        number(
            v,
            "safety",
            &c.safety,
            default_safety,
            &|x| x > 0.0 && x <= 1.0,
            "THR's safety is its utilisation threshold, in (0, 1]; e.g. 0.8",
        )
    } else {
        number(
            v,
            "safety",
            &c.safety,
            default_safety,
            &|x| (0.0..=100.0).contains(&x),
            "a safety parameter from 0 to 100: IQR 1.5, MAD 2.5, LR and LRR 1.2 in the study",
        )
    };
    let fallback = number(
        v,
        "fallback_threshold",
        &c.fallback_threshold,
        defaults::CONSOLIDATION_FALLBACK,
        &|x| x > 0.0 && x <= 1.0,
        "a utilisation threshold in (0, 1]; the study's is 0.7",
    );
    let share = number(
        v,
        "bandwidth_share",
        &c.bandwidth_share,
        defaults::SIMPLE_MIGRATION_SHARE,
        &|x| x > 0.0 && x <= 1.0,
        "a share of the NIC in (0, 1]; CloudSim's is 0.5",
    );
    let degradation = number(
        v,
        "degradation",
        &c.degradation,
        defaults::SIMPLE_MIGRATION_DEGRADATION,
        &|x| (0.0..=1.0).contains(&x),
        "a share of the VM's CPU in [0, 1]; CloudSim's is 0.1",
    );
    let simple = simple?;
    if !simple {
        for (field, given) in [
            ("bandwidth_share", c.bandwidth_share.is_some()),
            ("degradation", c.degradation.is_some()),
        ] {
            if given {
                v.err(&format!("{cp}.{field}"), format!("`{field}` is for `migration: simple`"),
                    "vMotion takes its bandwidth and CPU cost from the vMotion model; remove it or set `migration: simple`");
            }
        }
    }
    Some(ConsolidationSpec {
        interval: interval?,
        detector: detector?,
        safety: safety?,
        fallback_threshold: fallback?,
        selection: selection?,
        memory: memory?,
        sleep: sleep?,
        migration: if simple {
            MigrationModel::Simple {
                bandwidth_share: share?,
                degradation: degradation?,
            }
        } else {
            MigrationModel::Vmotion
        },
    })
}
