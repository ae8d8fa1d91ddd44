//! Tiny hand-built clusters whose exact outcome is worked out by hand in each test.

use super::golden::run_example;
use pacsim::metrics::{summarize, Recorder};
use pacsim::scenario::load_str;

/// Runs YAML text; returns the summary's metrics and the recorder.
pub fn run(yaml: &str) -> (serde_json::Value, Recorder) {
    let scenario = load_str("test.yaml", yaml, &[]).unwrap_or_else(|e| panic!("{}", e.render()));
    let mut world = pacsim::model::build(&scenario, 0);
    let mut rec = Recorder::new(&world);
    pacsim::model::run(&mut world, &mut rec, &mut |_| {});
    let s = summarize(&scenario, &world, &rec);
    (s["metrics"].clone(), rec)
}

const TWO_HOSTS: &str = r#"
name: t
duration: 1h
clusters:
  - name: c
    hosts: [ { name: h, count: 2, cores: 4, mhz: 1000, memory: 16GiB, power: { idle: 100W, max: 200W } } ]
    placement: { policy: POLICY }
    pods: { startup_delay: 1.5s, image_pull_bandwidth: 1GB/s }
images: [ { name: img, size: 1GB } ]
"#;

fn cluster(policy: &str) -> String {
    TWO_HOSTS.replace("POLICY", policy)
}

#[test]
fn image_pulls_happen_once_per_host_and_later_pods_wait_for_them() {
    // Three 1-core pods at t=0 on two empty hosts, least-loaded: pod 1 -> h-0, pod 2 ->
    // h-1 (h-0 now carries load), pod 3 -> h-0 again (tie on load, lowest index).
    // h-0 and h-1 each pull the 1 GB image at 1 GB/s: ready at 1 s; pod 3 waits for
    // h-0's pull. Every pod runs at 1 s + 1.5 s = 2.5 s.
    let yaml = cluster("least-loaded")
        + r#"
workloads:
  - { kind: pod-group, name: p, image: img, arrival: { at_start: 3 }, requests: { cpu: 1, memory: 1GiB } }
"#;
    let (m, rec) = run(&yaml);
    assert_eq!(m["pods_placed"], 3);
    assert_eq!(m["image_pulls"], 2);
    assert_eq!(m["image_pull_bytes"], 2_000_000_000u64);
    // (The histogram keeps three significant digits: compare within its resolution.)
    assert!(rec.startup_us.equivalent(rec.startup_us.min(), 2_500_000));
    assert!(rec.startup_us.equivalent(rec.startup_us.max(), 2_500_000));
    // At the end: 2 pods on h-0 (2 of 4 cores), 1 on h-1.
    let last = rec.samples.last().unwrap();
    assert_eq!(last.clusters[0].pods_running, 3);
    assert_eq!(&rec.host_cpu[rec.host_cpu.len() - 2..], &[0.5, 0.25]);
}

#[test]
fn first_fit_fills_the_first_host_before_the_second() {
    let yaml = cluster("first-fit")
        + r#"
workloads:
  - { kind: pod-group, name: p, image: img, arrival: { at_start: 5 }, requests: { cpu: 1, memory: 1GiB } }
"#;
    let (m, rec) = run(&yaml);
    assert_eq!(m["image_pulls"], 2, "the fifth pod is the first on h-1");
    assert_eq!(&rec.host_cpu[rec.host_cpu.len() - 2..], &[1.0, 0.25]);
}

#[test]
fn a_pending_pod_starts_when_capacity_frees() {
    // One host of 4 cores (the other is full with a forever VM reserving all 4000 MHz).
    // Pod A (4 cores, lives 10 s) arrives at 0: pull 1 s + 1.5 s -> Running at 2.5 s,
    // leaves at 12.5 s. Pod B (2 cores) arrives at 1 s, waits; placed at 12.5 s, the
    // image is already there -> Running at 14 s: start-up 13 s.
    let yaml = cluster("first-fit")
        + r#"
workloads:
  - kind: vm-group
    name: blocker
    arrival: { at_start: 1 }
    size: { vcpus: 4, memory: 4GiB, reservation: { cpu: 4000MHz } }
  - { kind: pod-group, name: a, image: img, arrival: { times: [0s] }, lifetime: { fixed: 10s }, requests: { cpu: 4, memory: 1GiB } }
  - { kind: pod-group, name: b, image: img, arrival: { times: [1s] }, requests: { cpu: 2, memory: 1GiB } }
"#;
    let (m, rec) = run(&yaml);
    assert_eq!(m["pods_waited"], 1);
    assert_eq!(m["pods_placed"], 2);
    assert_eq!(m["pods_pending_at_end"], 0);
    assert_eq!(m["pods_departed"], 1);
    assert!(rec.startup_us.equivalent(rec.startup_us.min(), 2_500_000));
    assert!(rec.startup_us.equivalent(rec.startup_us.max(), 13_000_000));
}

#[test]
fn a_vm_that_fits_nowhere_is_rejected_with_the_reason() {
    // Each host has 4000 MHz; two VMs reserve 3000 MHz each, the third finds only
    // 1000 MHz free anywhere.
    let yaml = cluster("least-loaded")
        + r#"
workloads:
  - kind: vm-group
    name: v
    arrival: { at_start: 3 }
    size: { vcpus: 2, memory: 4GiB, reservation: { cpu: 3000MHz } }
"#;
    let (m, _) = run(&yaml);
    assert_eq!(m["vms_placed"], 2);
    assert_eq!(m["vms_rejected"], 1);
    assert_eq!(m["vms_rejected_insufficient_cpu"], 1);
}

#[test]
fn energy_is_the_power_model_integrated_over_time() {
    // One VM of 4 vCPUs at 50% demand on a 4-core host for the whole hour: that host
    // draws 100 + (200 - 100) * 0.5 = 150 W, the other idles at 100 W: 250 Wh.
    let yaml = cluster("first-fit")
        + r#"
workloads:
  - kind: vm-group
    name: v
    arrival: { at_start: 1 }
    size: { vcpus: 4, memory: 4GiB }
    demand: { constant: 0.5 }
"#;
    let (m, _) = run(&yaml);
    assert!(
        (m["energy_kwh"].as_f64().unwrap() - 0.25).abs() < 1e-9,
        "{}",
        m["energy_kwh"]
    );
    // Loads 0.5 and 0: imbalance (population standard deviation) 0.25, all hour long.
    assert!(
        (m["imbalance_mean"].as_f64().unwrap() - 0.25).abs() < 1e-6,
        "{}",
        m["imbalance_mean"]
    );
    assert!((m["cpu_util_mean"].as_f64().unwrap() - 0.25).abs() < 1e-9);
}

#[test]
fn poisson_arrivals_follow_their_rate() {
    // 3600/h for 1 h: about 3600 arrivals (Poisson: sd 60).
    let yaml = cluster("least-loaded")
        + r#"
workloads:
  - { kind: pod-group, name: p, image: img, arrival: { poisson: { rate: 3600/h } }, lifetime: { fixed: 1s }, requests: { cpu: 100m, memory: 1MiB } }
"#;
    let (m, _) = run(&yaml);
    let n = m["pods_arrived"].as_u64().unwrap() as f64;
    assert!((n - 3600.0).abs() < 240.0, "{n}");
}

#[test]
fn offered_load_sets_the_rate_from_the_cluster_size() {
    // 2 hosts x 4 cores = 8 cores; 1-core pods living 100 s; load 0.5 -> 4 busy cores
    // -> rate 0.04/s -> about 144 arrivals in the hour, about 4 running at a time.
    let yaml = cluster("least-loaded")
        + r#"
workloads:
  - { kind: pod-group, name: p, image: img, arrival: { poisson: { offered_load: 0.5 } }, lifetime: { fixed: 100s }, requests: { cpu: 1, memory: 1MiB } }
"#;
    let (m, _) = run(&yaml);
    let n = m["pods_arrived"].as_u64().unwrap() as f64;
    assert!((n - 144.0).abs() < 40.0, "{n}");
}

const ONE_HOST: &str = r#"
name: t
duration: 24h
metrics: { sample_every: 1h }
clusters:
  - name: c
    hosts: [ { name: h, count: 1, cores: 4, mhz: 1000, memory: 16GiB } ]
workloads:
  - kind: vm-group
    name: v
    arrival: { at_start: 1 }
    size: { vcpus: 4, memory: 4GiB }
    demand: DEMAND
"#;

fn host_cpu_by_hour(demand: &str) -> Vec<f64> {
    let (_, rec) = run(&ONE_HOST.replace("DEMAND", demand));
    rec.host_cpu.iter().map(|&x| x as f64).collect()
}

#[test]
fn a_diurnal_vm_loads_its_host_along_the_curve() {
    // One 4-vCPU VM alone on a 4-core host: the host's utilisation is the VM's demand
    // fraction, 0.2 + 0.6 (1 + cos(2 pi (t - 12h) / 24h)) / 2, re-evaluated every hour
    // (the samples come after the update at the same instant).
    let u = host_cpu_by_hour("{ diurnal: { min: 0.2, max: 0.8, peak_at: 12h }, every: 1h }");
    assert_eq!(u.len(), 25);
    for (h, got) in u.iter().enumerate() {
        let want =
            0.2 + 0.6 * (1.0 + (std::f64::consts::TAU * (h as f64 - 12.0) / 24.0).cos()) / 2.0;
        assert!((got - want).abs() < 1e-3, "hour {h}: {got} vs {want}");
    }
}

#[test]
fn bursts_and_random_walks_stay_within_their_levels() {
    // On 1 h, off 3 h: the host is at 0.9 a quarter of the time, at 0.1 otherwise.
    let u = host_cpu_by_hour("{ bursts: { base: 0.1, peak: 0.9, on: 1h, off: 3h }, every: 1h }");
    assert!(
        u.iter()
            .all(|x| (x - 0.1).abs() < 1e-3 || (x - 0.9).abs() < 1e-3),
        "{u:?}"
    );
    let peaks = u[..24].iter().filter(|x| (*x - 0.9).abs() < 1e-3).count();
    assert_eq!(peaks, 6, "{u:?}");

    let u = host_cpu_by_hour(
        "{ random_walk: { start: 0.5, step: 0.1, min: 0.3, max: 0.6 }, every: 1h }",
    );
    assert!(
        u.iter().all(|x| (0.3 - 1e-3..=0.6 + 1e-3).contains(x)),
        "{u:?}"
    );
    assert!(
        u.windows(2).all(|w| (w[1] - w[0]).abs() <= 0.1 + 1e-3),
        "steps of at most 0.1: {u:?}"
    );
    assert!(u.windows(2).any(|w| w[1] != w[0]), "it moves: {u:?}");
}

#[test]
fn a_trace_drives_each_vm_with_its_own_column() {
    // Two columns, one row per hour; two VMs alone on two identical hosts, first-fit
    // spreads nothing, so use least-loaded: VM 0 on h-0 follows column a, VM 1 on h-1
    // column b.
    let dir = std::env::temp_dir().join(format!("pacsim-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("t.csv");
    std::fs::write(&csv, "a,b\n0.25,1.0\n0.5,0.75\n0.75,0.5\n").unwrap();
    let yaml = cluster("least-loaded")
        + &format!(
            r#"
workloads:
  - kind: vm-group
    name: v
    arrival: {{ at_start: 2 }}
    size: {{ vcpus: 4, memory: 4GiB }}
    demand: {{ trace: {{ file: "{}", interval: 1h }}, every: 1h }}
"#,
            csv.display()
        );
    let yaml = yaml.replace(
        "duration: 1h",
        "duration: 4h\nmetrics: { sample_every: 1h }",
    );
    let (_, rec) = run(&yaml);
    let rows: Vec<Vec<f32>> = rec.host_cpu.chunks(2).map(|r| r.to_vec()).collect();
    // Hours 0..4: rows 0, 1, 2, then the trace repeats.
    assert_eq!(
        rows,
        vec![
            vec![0.25, 1.0],
            vec![0.5, 0.75],
            vec![0.75, 0.5],
            vec![0.25, 1.0],
            vec![0.5, 0.75]
        ]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The drs-imbalance example with overrides; returns the metrics and the DRS log.
fn drs_example(overrides: &[String]) -> (serde_json::Value, Vec<serde_json::Value>) {
    let (m, _, rec) = run_example("drs-imbalance", overrides);
    let log = rec
        .drs_log
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (m, log)
}

#[test]
fn drs_evens_out_a_skewed_start_within_a_few_passes() {
    let (m, log) = drs_example(&[]);
    let first = &log[0];
    let target = first["target"].as_f64().unwrap();
    assert!(
        first["imbalance_before"].as_f64().unwrap() > 4.0 * target,
        "the start is skewed: {first}"
    );
    let settled = log
        .iter()
        .position(|p| p["imbalance_before"].as_f64().unwrap() <= target);
    assert!(
        settled.is_some_and(|i| i <= 3),
        "below the level-3 target by the fourth pass: {log:?}"
    );
    assert!(m["migrations"].as_u64().unwrap() > 0);
    assert_eq!(m["migrations_aborted"], 0, "the VMs live forever");
}

#[test]
fn more_aggressive_thresholds_never_migrate_less_and_level_1_only_for_rules() {
    let counts: Vec<u64> = (1..=5)
        .map(|level| {
            let (m, _) = drs_example(&[format!("clusters[0].drs.threshold={level}")]);
            m["migrations"].as_u64().unwrap()
        })
        .collect();
    assert_eq!(
        counts[0], 0,
        "level 1 applies only mandatory moves: {counts:?}"
    );
    assert!(
        counts.windows(2).all(|w| w[0] <= w[1]),
        "non-decreasing in the level: {counts:?}"
    );
    assert!(counts[4] > 0);
}

#[test]
fn a_host_in_maintenance_is_empty_and_nothing_is_lost() {
    let (m, _, rec) = run_example("maintenance", &[]);
    assert_eq!(m["maintenance_entered"], 1);
    // esx-0 is evacuated from 1 h; while it is in maintenance (until 3 h) its samples are 0.
    let cols = rec.host_columns();
    let evacuated_by = 3600.0 + m["maintenance_evacuation_max_s"].as_f64().unwrap();
    for (row, s) in rec.samples.iter().enumerate() {
        let t = s.time.as_secs_f64();
        if t > evacuated_by && t < 3.0 * 3600.0 {
            assert_eq!(
                rec.host_cpu[row * cols],
                0.0,
                "esx-0 busy at {t} s while in maintenance"
            );
        }
    }
    // Every VM survives the evacuation; the evicted pods are gone and counted.
    assert_eq!(m["vms_running_at_end"], 24);
    assert_eq!(m["pods_evicted"], m["pods_departed"]);
    assert_eq!(
        m["pods_running_at_end"].as_u64().unwrap() + m["pods_evicted"].as_u64().unwrap(),
        40
    );
}

#[test]
fn rules_hold_in_the_affinity_example() {
    let (_, world, rec) = run_example("affinity", &[]);
    let mut db_hosts = Vec::new();
    for inst in world.instances.iter() {
        let group = &world.groups[inst.group].spec.name;
        let host = world.hosts[inst.host].name.as_str();
        match group.as_str() {
            "db" => db_hosts.push(host.to_string()),
            "licensed" => assert!(
                ["small-0", "small-1"].contains(&host),
                "licensed VM on {host}"
            ),
            _ => {}
        }
    }
    db_hosts.sort();
    db_hosts.dedup();
    assert_eq!(
        db_hosts.len(),
        3,
        "the database VMs are on three distinct hosts: {db_hosts:?}"
    );
    // First-fit would put all three on big-0; the `should` rule is broken only when the
    // big hosts are full, and each time is counted.
    assert!(rec.rule_should_broken > 0);
}

#[test]
fn dpm_saves_energy_at_night_without_losing_a_vm() {
    let (with, _, rec) = run_example("drs-diurnal", &[]);
    let (without, _, _) = run_example("drs-diurnal", &["clusters[0].dpm=null".to_string()]);
    let e = |m: &serde_json::Value| m["energy_kwh"].as_f64().unwrap();
    assert!(
        e(&with) < 0.95 * e(&without),
        "DPM {} kWh vs {} kWh",
        e(&with),
        e(&without)
    );
    assert!(
        with["dpm_power_offs"].as_u64().unwrap() > 0 && with["dpm_power_ons"].as_u64().unwrap() > 0
    );
    assert_eq!(with["vms_running_at_end"], 240);
    // Fewer hosts on at 3 h (night) than at 14 h (peak).
    let on_at = |hour: f64| {
        rec.samples
            .iter()
            .find(|s| s.time.as_secs_f64() >= hour * 3600.0)
            .unwrap()
            .clusters[0]
            .hosts_on
    };
    assert!(
        on_at(3.0) < on_at(14.0),
        "{} hosts on at night, {} at peak",
        on_at(3.0),
        on_at(14.0)
    );
}
