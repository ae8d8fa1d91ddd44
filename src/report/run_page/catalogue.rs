//! What each `summary.json` metric is, for people: a label, a unit and one line of
//! meaning (the README's table of keys, in the words a report reader needs). A metric
//! without an entry still appears in a report, under its key; a test keeps every key the
//! examples write described here.

use crate::report::html::Unit;

/// A metric, described.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricInfo {
    pub label: String,
    pub unit: Unit,
    pub meaning: String,
}

use Unit::*;

/// Keys named in full: key, label, unit, meaning.
const EXACT: &[(&str, &str, Unit, &str)] = &[
    ("hosts", "hosts", Count, "ESXi hosts in the datacenter"),
    ("vms_arrived", "VMs arrived", Count, "VMs created by the workloads"),
    ("pods_arrived", "pods arrived", Count, "pods created by the workloads"),
    ("vms_placed", "VMs placed", Count, "VMs given a host, at once or after waiting"),
    ("pods_placed", "pods placed", Count, "pods given a host, at once or after waiting"),
    ("vms_rejected", "VMs rejected", Count, "VMs refused because nothing fitted (reasons below)"),
    ("pods_rejected", "pods rejected", Count, "pods refused because nothing fitted (reasons below)"),
    ("vms_waited", "VMs that waited", Count, "VMs that found no room at first and waited for capacity"),
    ("pods_waited", "pods that waited", Count, "pods that found no room at first and waited (Pending)"),
    ("vms_pending_at_end", "VMs pending at end", Count, "VMs still waiting for room when the run ended"),
    ("pods_pending_at_end", "pods pending at end", Count, "pods still Pending when the run ended"),
    ("pods_starting_at_end", "pods starting at end", Count, "pods placed but not yet Running when the run ended"),
    ("vms_running_at_end", "VMs running at end", Count, "VMs still running when the run ended"),
    ("pods_running_at_end", "pods running at end", Count, "pods still Running when the run ended"),
    ("vms_departed", "VMs departed", Count, "VMs that reached the end of their lifetime"),
    ("pods_departed", "pods departed", Count, "pods that reached the end of their lifetime or were evicted"),
    ("pod_startup_count", "pod start-ups", Count, "pods that reached Running"),
    ("pod_startup_p50_s", "pod start-up p50", Seconds, "half the pods were Running within this time of their creation"),
    ("pod_startup_p95_s", "pod start-up p95", Seconds, "95 % of the pods were Running within this time"),
    ("pod_startup_p99_s", "pod start-up p99", Seconds, "99 % of the pods were Running within this time (waits and image pulls included)"),
    ("pod_startup_max_s", "pod start-up max", Seconds, "the slowest pod's time from creation to Running"),
    ("pod_startup_mean_s", "pod start-up mean", Seconds, "the average time from creation to Running"),
    ("image_pulls", "image pulls", Count, "images pulled by hosts that did not have them yet"),
    ("image_pull_bytes", "image bytes pulled", Bytes, "bytes those pulls fetched from the registry"),
    ("cpu_util_mean", "CPU utilisation, mean", Fraction, "CPU demand (capped at capacity) over the datacenter's CPU, averaged over samples"),
    ("cpu_util_p95", "CPU utilisation, p95", Fraction, "95 % of the samples had a lower CPU utilisation"),
    ("mem_util_mean", "memory utilisation, mean", Fraction, "memory in use over the datacenter's memory, averaged over samples"),
    ("mem_util_p95", "memory utilisation, p95", Fraction, "95 % of the samples had a lower memory utilisation"),
    ("imbalance_mean", "imbalance, mean", Plain, "standard deviation of host CPU load over time (0 = perfectly even); DRS works to keep it low"),
    ("energy_kwh", "energy", KilowattHours, "energy drawn by all hosts over the run"),
    ("drs_passes", "DRS passes", Count, "load-balancing passes DRS ran"),
    ("drs_recommendations", "DRS recommendations", Count, "vMotions those passes recommended"),
    ("drs_mandatory_moves", "DRS mandatory moves", Count, "priority-1 moves: rule repairs, and evacuations for maintenance and standby"),
    ("drs_score_mean", "DRS score, mean", Plain, "the cluster DRS score (mean VM score, 0-100, higher is better) before each pass, averaged"),
    ("drs_score_min", "DRS score, lowest", Plain, "the lowest cluster DRS score before a pass"),
    ("rule_must_broken", "required rules broken", Count, "the most VMs seen breaking a required rule at a sample (always 0: a check)"),
    ("dpm_power_ons", "DPM power-ons", Count, "standby hosts DPM woke because the cluster was busy"),
    ("dpm_power_offs", "DPM power-offs", Count, "hosts DPM emptied and sent to standby because the cluster was idle"),
    ("hosts_on_mean", "hosts powered on, mean", Count, "hosts powered on, averaged over samples"),
    ("rule_should_broken", "should-rules broken", Count, "VMs placed against their `should` host rule because nothing else fitted"),
    ("pods_evicted", "pods evicted", Count, "pods evicted from hosts entering maintenance (counted as departed too)"),
    ("maintenance_entered", "hosts in maintenance", Count, "hosts that were emptied and reached maintenance mode"),
    ("maintenance_evacuation_max_s", "longest evacuation", Seconds, "the longest time from a maintenance request to the host being empty"),
    ("migrations", "vMotions", Count, "live migrations completed"),
    ("migrations_aborted", "vMotions abandoned", Count, "migrations given up because the VM's lifetime ended first"),
    ("vmotion_duration_p50_s", "vMotion duration p50", Seconds, "half the migrations finished within this time (pre-copy rounds and switch-over)"),
    ("vmotion_duration_p99_s", "vMotion duration p99", Seconds, "99 % of the migrations finished within this time"),
    ("vmotion_duration_max_s", "vMotion duration max", Seconds, "the longest migration"),
    ("vmotion_downtime_total_s", "vMotion downtime, total", Seconds, "time VMs were stunned for the switch-over, summed over migrations"),
    ("vmotion_bytes", "vMotion bytes", Bytes, "memory copied by migrations, all pre-copy rounds included"),
    ("events_processed", "events", Count, "simulation events handled (a measure of the run's work)"),
    ("supervisor_enable_s", "supervisor enablement", Seconds, "time from the start until Workload Management was enabled (Spherelets installed, control plane up)"),
    ("api_requests", "API requests", Count, "requests served by the Kubernetes API servers (pod creations, bindings, status updates, leases)"),
    ("api_latency_p50_s", "API latency p50", Seconds, "half the API requests were served within this time of their submission (token exchange and queue included)"),
    ("api_latency_p99_s", "API latency p99", Seconds, "99 % of the API requests were served within this time"),
    ("api_latency_max_s", "API latency max", Seconds, "the slowest API request"),
    ("quota_refusals", "quota refusals", Count, "pod creations a namespace's ResourceQuota refused (reasons below)"),
    ("pod_startup_slo_p50_s", "pod start-up (SLO) p50", Seconds, "start-up of stateless pods as the Kubernetes SLO counts it: without image fetches"),
    ("pod_startup_slo_p95_s", "pod start-up (SLO) p95", Seconds, "95 % of stateless pods started within this time, image fetches left out"),
    ("pod_startup_slo_p99_s", "pod start-up (SLO) p99", Seconds, "the Kubernetes SLO asks at most 5 s here (p99, stateless pods, image pulls excluded)"),
    ("image_fetches", "image fetches", Count, "images an image-fetcher pod pulled from the registry into a datastore's cache"),
    ("image_fetch_bytes", "image bytes fetched", Bytes, "bytes pulled from the registry"),
    ("image_fetch_p50_s", "image fetch p50", Seconds, "half the fetches took at most this (fetcher start-up, registry queue and pull)"),
    ("image_fetch_max_s", "image fetch max", Seconds, "the longest image fetch"),
    ("image_cache_hits", "image cache hits", Count, "pods that found their image already on their datastore"),
    ("image_evictions", "image evictions", Count, "unused cached images evicted (least recently used) to make room"),
    ("image_cache_overflows", "image cache overflows", Count, "fetched images kept although the image space was full of images in use"),
    ("pods_succeeded", "pods succeeded", Count, "supervised pods that ran to the end of their lifetime"),
    ("pods_deleted", "pods deleted", Count, "supervised pods deleted by a controller (scale-down, rolling update) or evicted"),
    ("rollouts", "rollouts", Count, "deployment rolling updates that completed"),
    ("rollout_duration_max_s", "rollout duration max", Seconds, "the longest rolling update, from its start to every pod of the new revision Running"),
    ("jobs_completed", "jobs completed", Count, "jobs whose completions all succeeded"),
    ("job_duration_max_s", "job duration max", Seconds, "the longest job, from its creation to its last success"),
    ("volume_waits", "volume waits", Count, "times a pod waited because no datastore had room for its volume"),
    ("guest_clusters_ready", "guest clusters ready", Count, "Tanzu Kubernetes clusters whose every node VM booted"),
    ("guest_cluster_ready_max_s", "guest cluster readiness max", Seconds, "the slowest guest cluster, from its creation to all nodes up"),
    ("requests_sent", "requests sent", Count, "requests the Services' clients sent"),
    ("requests_completed", "requests answered", Count, "requests an endpoint pod answered"),
    ("requests_failed", "requests failed", Count, "requests that failed (causes below)"),
    ("request_latency_mean_s", "request latency mean", Seconds, "mean latency of the answered requests (network, queue, service)"),
    ("request_latency_p50_s", "request latency p50", Seconds, "half the answered requests took at most this"),
    ("request_latency_p95_s", "request latency p95", Seconds, "95 % of the answered requests took at most this"),
    ("request_latency_p99_s", "request latency p99", Seconds, "99 % of the answered requests took at most this"),
    ("faults_started", "faults started", Count, "fault windows that began"),
    ("faults_repaired", "faults repaired", Count, "fault windows that ended"),
    ("network.links", "network links", Count, "links of the topology"),
    ("network.bytes", "network bytes", Bytes, "bytes carried by all links (requests, vMotions, image pulls)"),
    ("network.bytes_host_links", "bytes on host links", Bytes, "bytes carried by host-to-switch links"),
    ("network.bytes_fabric_links", "bytes on fabric links", Bytes, "bytes carried by switch-to-switch links"),
    ("network.bytes_edge_links", "bytes on edge links", Bytes, "bytes carried by links to NSX edges"),
    ("network.link_util_mean_max", "busiest link, mean utilisation", Fraction, "the busiest directed link's utilisation over the run"),
    ("network.link_util_peak", "link utilisation peak", Fraction, "the highest utilisation of any directed link in any sampling interval"),
    ("slatah", "SLATAH", Fraction, "share of active host time spent at 100 % CPU (Beloglazov & Buyya's SLA violation time per active host)"),
    ("slatah_cloudsim", "SLATAH (CloudSim's count)", Fraction, "SLATAH counting a host as violating while a VM migrates to it, as CloudSim does"),
    ("pdm", "PDM", Fraction, "performance degradation due to migrations: CPU lost while migrating over the CPU requested"),
    ("slav", "SLAV", Plain, "SLA violation: SLATAH x PDM"),
    ("esv", "ESV", Plain, "energy x SLAV (kWh): the study's combined figure, lower is better"),
    ("hosts_active_mean", "hosts active, mean", Count, "hosts powered on with some CPU demand, time-averaged"),
    ("host_sleeps", "host sleeps", Count, "hosts sent to standby or off by DPM or consolidation"),
    ("host_wakes", "host wakes", Count, "hosts woken by DPM or consolidation"),
    ("consolidation_passes", "consolidation passes", Count, "control passes of dynamic consolidation"),
    ("consolidation_overloaded", "hosts found overloaded", Count, "overloaded hosts the consolidation passes found, summed over passes"),
];

/// Per-cluster keys `cluster.<name>.<field>`: field, label, unit, meaning.
const PER_CLUSTER: &[(&str, &str, Unit, &str)] = &[
    ("hosts", "hosts", Count, "hosts in the cluster"),
    (
        "cpu_util_mean",
        "CPU utilisation, mean",
        Fraction,
        "the cluster's CPU demand over its capacity, averaged over samples",
    ),
    (
        "cpu_util_p95",
        "CPU utilisation, p95",
        Fraction,
        "95 % of the samples had a lower CPU utilisation",
    ),
    (
        "mem_util_mean",
        "memory utilisation, mean",
        Fraction,
        "the cluster's memory in use over its capacity, averaged",
    ),
    (
        "mem_util_p95",
        "memory utilisation, p95",
        Fraction,
        "95 % of the samples had a lower memory utilisation",
    ),
    (
        "imbalance_mean",
        "imbalance, mean",
        Plain,
        "time-averaged standard deviation of the cluster's host CPU loads",
    ),
    (
        "energy_kwh",
        "energy",
        KilowattHours,
        "energy drawn by the cluster's hosts",
    ),
];

/// Why a placement was refused: the `<reason>` of `…_rejected_<reason>`.
pub const REJECT_REASONS: &[(&str, &str)] = &[
    (
        "no_host_accepting",
        "no host was powered on and accepting work",
    ),
    ("insufficient_cpu", "no host had enough unreserved CPU"),
    (
        "insufficient_memory",
        "no host had enough unreserved memory",
    ),
    (
        "insufficient_cores",
        "no host had as many cores as the VM has vCPUs",
    ),
    (
        "fragmented",
        "CPU and memory were free in total, but not on one host",
    ),
    (
        "rules",
        "some host had room, but none that the instance's rules allow",
    ),
];

/// Describes `key`, or `None` for a key this catalogue does not know.
pub fn describe(key: &str) -> Option<MetricInfo> {
    if let Some(&(_, label, unit, meaning)) = EXACT.iter().find(|e| e.0 == key) {
        return Some(info(label, unit, meaning));
    }
    for (kind, who) in [("vms", "VMs"), ("pods", "pods")] {
        if let Some(reason) = key
            .strip_prefix(kind)
            .and_then(|k| k.strip_prefix("_rejected_"))
        {
            let &(_, why) = REJECT_REASONS.iter().find(|r| r.0 == reason)?;
            return Some(MetricInfo {
                label: format!("{who} rejected: {}", reason.replace('_', " ")),
                unit: Count,
                meaning: format!("{who} refused because {why}"),
            });
        }
    }
    if let Some(why) = key.strip_prefix("requests_failed_") {
        return Some(MetricInfo {
            label: format!("requests failed: {}", why.replace('_', " ")),
            unit: Count,
            meaning: format!("requests that failed because of `{why}`"),
        });
    }
    for (prefix, what) in [
        ("service.", "Service"),
        ("lb.", "load balancer"),
        ("edge.", "NSX edge"),
    ] {
        let Some(rest) = key.strip_prefix(prefix) else {
            continue;
        };
        let (name, field) = rest.rsplit_once('.')?;
        let unit = if field.ends_with("_s") {
            Seconds
        } else if field == "bytes" {
            Bytes
        } else if field.ends_with("share") || field == "utilisation" {
            Fraction
        } else if field == "mean_in_system" || field == "throughput_rps" {
            Plain
        } else {
            Count
        };
        return Some(MetricInfo {
            label: format!("{} ({what} {name})", field.replace('_', " ")),
            unit,
            meaning: format!("{what} `{name}`: {}", field.replace('_', " ")),
        });
    }
    if let Some(why) = key.strip_prefix("quota_refusals_") {
        return Some(MetricInfo {
            label: format!("quota refusals: {why}"),
            unit: Count,
            meaning: format!("pod creations refused because the namespace's {why} quota was full"),
        });
    }
    if let Some(state) = key
        .strip_prefix("supervisor_pods_")
        .and_then(|k| k.strip_suffix("_at_end"))
    {
        return Some(MetricInfo {
            label: format!("supervised pods {state} at end"),
            unit: Count,
            meaning: format!("pods of supervisor clusters in state {state} when the run ended"),
        });
    }
    if let Some(rest) = key.strip_prefix("pod_stage_") {
        let (stage, q) = rest
            .rsplit_once('_')
            .and_then(|(a, _s)| a.rsplit_once('_'))?;
        return Some(MetricInfo {
            label: format!("stage {} {q}", stage.replace('_', " ")),
            unit: Seconds,
            meaning: format!("the {q} of the pods' `{stage}` start-up stage"),
        });
    }
    let rest = key.strip_prefix("cluster.")?;
    let (cluster, field) = rest.rsplit_once('.')?;
    let &(_, label, unit, meaning) = PER_CLUSTER.iter().find(|e| e.0 == field)?;
    Some(MetricInfo {
        label: format!("{label} ({cluster})"),
        unit,
        meaning: meaning.into(),
    })
}

/// The label, unit and meaning of `key`, falling back to the key itself.
pub fn describe_or_key(key: &str) -> MetricInfo {
    describe(key).unwrap_or_else(|| MetricInfo {
        label: key.into(),
        unit: Plain,
        meaning: String::new(),
    })
}

fn info(label: &str, unit: Unit, meaning: &str) -> MetricInfo {
    MetricInfo {
        label: label.into(),
        unit,
        meaning: meaning.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_patterned_and_unknown_keys() {
        assert_eq!(describe("pod_startup_p99_s").unwrap().unit, Seconds);
        let r = describe("vms_rejected_fragmented").unwrap();
        assert_eq!(r.label, "VMs rejected: fragmented");
        assert!(r.meaning.contains("not on one host"));
        let c = describe("cluster.cl.a.cpu_util_p95").unwrap();
        assert_eq!(c.label, "CPU utilisation, p95 (cl.a)");
        assert_eq!(c.unit, Fraction);
        assert!(describe("pods_rejected_gremlins").is_none());
        assert!(describe("something_new").is_none());
        assert_eq!(describe_or_key("something_new").label, "something_new");
    }

    #[test]
    fn every_reject_reason_of_placement_is_described() {
        for r in crate::policy::RejectReason::ALL {
            assert!(
                REJECT_REASONS.iter().any(|(k, _)| *k == r.key()),
                "{} has no meaning in the catalogue",
                r.key()
            );
        }
    }
}
