//! Power models and consolidation: energy is the power model integrated exactly; power
//! states take their transition times; consolidation empties and wakes hosts; and the
//! PlanetLab study's qualitative findings hold (THR 1.0 migrates less and uses less energy
//! than THR 0.8; MMT beats RS on ESV over several days).

use super::golden::{run_example, run_summary};
use super::model::run;
use std::path::Path;

/// The HP ProLiant ML110 G4's SPECpower watts at 0 %, 10 %, ..., 100 %.
const G4: &str = "[86W, 89.4W, 92.6W, 96W, 99.5W, 102W, 106W, 108W, 112W, 114W, 117W]";

/// One G4 host (2 x 1860 MHz) running one VM of `vcpus` at a constant `demand` for an
/// hour.
fn one_host(vcpus: u32, demand: &str) -> String {
    format!(
        "name: e\nduration: 1h\nclusters:\n  - name: c\n    hosts: [ {{ name: g4, count: 1, cores: 2, mhz: 1860, memory: 4GiB, power: {{ spec: {G4} }} }} ]\nworkloads:\n  - {{ kind: vm-group, name: v, arrival: {{ at_start: 1 }}, size: {{ vcpus: {vcpus}, memory: 1GiB }}, demand: {{ constant: {demand} }} }}\n"
    )
}

#[test]
fn energy_at_constant_utilisation_is_the_table_value_for_an_hour() {
    // 2 vCPUs at 0.5 of 3720 MHz: 1860 MHz, u = 0.5 exactly: the table's 50 % point,
    // 102 W, for 3600 s.
    let (_, rec) = run(&one_host(2, "0.5"));
    assert_eq!(rec.cluster_energy_j[0], 102.0 * 3600.0);
    // 1 vCPU at 0.5 of 1860 MHz = 930 MHz, u = 0.25: halfway from 92.6 W to 96 W.
    let (_, rec) = run(&one_host(1, "0.5"));
    assert_eq!(
        rec.cluster_energy_j[0],
        (92.6 + (96.0 - 92.6) * 0.5) * 3600.0
    );
    // Full load: 117 W; no load: the idle 86 W.
    let (_, rec) = run(&one_host(2, "1.0"));
    assert_eq!(rec.cluster_energy_j[0], 117.0 * 3600.0);
    let (_, rec) = run(&one_host(2, "0.0"));
    assert_eq!(rec.cluster_energy_j[0], 86.0 * 3600.0);
}

/// Two hosts in a consolidation cluster that start asleep (standby 5 W), wake in 60 s
/// and go to standby in 30 s, drawing their idle 100 W meanwhile (linear 100-200 W,
/// 4 x 1000 MHz; a pass every 10 minutes). One VM of 2 vCPUs at 0.5 (1000 MHz, u = 0.25:
/// 125 W) arrives at 0 and lives 1000 s once running.
///
/// - h-0 (the first of two equal hosts) wakes from 0 to 60 s at 100 W; the VM runs from
///   60 s to 1060 s at 125 W; h-0 idles at 100 W until the pass at 1200 s sends it to
///   standby, 30 s more at 100 W, then 5 W until 3600 s.
/// - h-1 stays in standby: 5 W for 3600 s.
#[test]
fn power_states_take_their_transition_times() {
    let yaml = "name: p\nduration: 1h\nclusters:\n  - name: c\n    hosts: [ { name: h, count: 2, cores: 4, mhz: 1000, memory: 16GiB, power: { idle: 100W, max: 200W, standby: 5W, to_standby: 30s, from_standby: 60s } } ]\n    consolidation: { interval: 10m }\nworkloads:\n  - { kind: vm-group, name: v, arrival: { at_start: 1 }, lifetime: { fixed: 1000s }, size: { vcpus: 2, memory: 1GiB }, demand: { constant: 0.5 } }\n";
    let (m, rec) = run(yaml);
    let h0 = 60.0 * 100.0
        + 1000.0 * 125.0
        + (1200.0 - 1060.0) * 100.0
        + 30.0 * 100.0
        + (3600.0 - 1230.0) * 5.0;
    let h1 = 3600.0 * 5.0;
    assert!(
        (rec.cluster_energy_j[0] - (h0 + h1)).abs() < 1e-6,
        "{} vs {}",
        rec.cluster_energy_j[0],
        h0 + h1
    );
    assert_eq!(m["host_wakes"], 1);
    assert_eq!(m["host_sleeps"], 1);
    assert_eq!(m["migrations"], 0);
}

/// Three sleeping hosts (4 x 1000 MHz, linear 100-200 W, THR 0.8) and four VMs of 1 vCPU
/// at 0.5 (500 MHz). Arrivals go where power grows least at their full size (1000 MHz):
/// every step of 1000 MHz adds 25 W on any host, and ties go to the first, so all four
/// fit on h-0 (4000 of 4000 MHz at full size), which wakes; the others stay asleep. At
/// the passes h-0 runs 2000 MHz (0.5, not overloaded) and cannot be emptied.
#[test]
fn consolidation_packs_arrivals_and_keeps_the_others_asleep() {
    let yaml = "name: k\nduration: 30m\nclusters:\n  - name: c\n    hosts: [ { name: h, count: 3, cores: 4, mhz: 1000, memory: 16GiB, power: { idle: 100W, max: 200W, standby: 0W, from_standby: 0s, to_standby: 0s } } ]\n    consolidation: {}\nworkloads:\n  - { kind: vm-group, name: v, arrival: { at_start: 4 }, size: { vcpus: 1, memory: 1GiB }, demand: { constant: 0.5 } }\n";
    let (m, rec) = run(yaml);
    assert_eq!(m["vms_placed"], 4);
    assert_eq!(m["migrations"], 0);
    assert_eq!(m["host_wakes"], 1);
    let last = &rec.host_cpu[rec.host_cpu.len() - 3..];
    assert_eq!(last, &[0.5, 0.0, 0.0]);
    // 2000 of 4000 MHz: 150 W for 30 minutes, the others at 0 W.
    assert!((rec.cluster_energy_j[0] - 150.0 * 1800.0).abs() < 1e-6);
}

/// An underloaded host is emptied into another and sleeps. Two hosts of 3 x 1000 MHz and
/// two VMs of 2 vCPUs (2000 MHz at full size, so one per host on arrival) at 0.3: 600
/// MHz each. At the first pass (300 s) both hosts are at 0.2; the least utilised goes
/// first, ties to the first: h-0 is emptied into h-1 (1200 MHz = 0.4, not above THR
/// 0.8) by a simple migration, and sleeps when it is done.
#[test]
fn the_least_used_host_is_emptied_and_sleeps() {
    let yaml = "name: u\nduration: 20m\nclusters:\n  - name: c\n    hosts: [ { name: h, count: 2, cores: 3, mhz: 1000, memory: 16GiB, nic: 1Gbit/s, power: { idle: 100W, max: 200W, standby: 0W, from_standby: 0s, to_standby: 0s } } ]\n    consolidation: { migration: simple }\nworkloads:\n  - { kind: vm-group, name: v, arrival: { at_start: 2 }, size: { vcpus: 2, memory: 625MB }, demand: { constant: 0.3 } }\n";
    let (m, rec) = run(yaml);
    assert_eq!(m["migrations"], 1);
    assert_eq!(m["host_sleeps"], 1);
    // 625 MB at half of 1 Gbit/s (62.5 MB/s): a 10 s migration (the histogram keeps
    // three significant digits).
    let d = m["vmotion_duration_max_s"].as_f64().unwrap();
    assert!((d - 10.0).abs() < 0.01, "{d}");
    let last = &rec.host_cpu[rec.host_cpu.len() - 2..];
    assert_eq!(last, &[0.0, 0.4]);
    // PDM: 10 % of the moving VM's 600 MHz for 10 s, over all the CPU requested
    // (1200 MHz for the 20 minutes).
    let pdm = m["pdm"].as_f64().unwrap();
    assert!(
        (pdm - 0.1 * 600.0 * 10.0 / (1200.0 * 1200.0)).abs() < 1e-12,
        "{pdm}"
    );
}

fn planetlab(sets: &[&str]) -> serde_json::Value {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    run_example("planetlab-consolidation", &sets).0
}

/// The study's day-sized runs, on a quarter of a day's VMs (tests/data/README.md) and a
/// quarter of the hosts, to keep the test suite quick.
fn quarter_day(day: &str, sets: &[&str]) -> serde_json::Value {
    let trace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/data/planetlab-days/{day}-quarter.csv"));
    let file = format!("workloads[0].trace.file={}", trace.display());
    let mut all = vec![
        file.as_str(),
        "clusters[0].hosts[0].count=100",
        "clusters[0].hosts[1].count=100",
    ];
    all.extend_from_slice(sets);
    planetlab(&all)
}

#[test]
fn a_static_threshold_of_1_migrates_less_and_uses_less_energy_than_0_8() {
    let thr10 = quarter_day("20110309", &["clusters[0].consolidation.safety=1.0"]);
    let thr08 = quarter_day("20110309", &[]);
    let (m10, m08) = (&thr10["migrations"], &thr08["migrations"]);
    assert!(m10.as_u64() < m08.as_u64(), "migrations {m10} vs {m08}");
    let (e10, e08) = (&thr10["energy_kwh"], &thr08["energy_kwh"]);
    assert!(e10.as_f64() < e08.as_f64(), "energy {e10} vs {e08}");
    // The price: hosts run at 100 % far more often.
    assert!(thr10["slatah"].as_f64() > thr08["slatah"].as_f64());
}

#[test]
fn minimum_migration_time_beats_random_selection_on_esv_over_several_days() {
    // Three more days, every fourth VM of each on a quarter of the hosts.
    let mut esv = [0.0, 0.0];
    for day in ["20110306", "20110309", "20110322"] {
        for (i, sel) in ["mmt", "rs"].iter().enumerate() {
            let m = quarter_day(
                day,
                &[&format!("clusters[0].consolidation.selection={sel}")],
            );
            esv[i] += m["esv"].as_f64().unwrap();
        }
    }
    assert!(
        esv[0] < esv[1],
        "ESV summed over the days: MMT {} vs RS {}",
        esv[0],
        esv[1]
    );
}

#[test]
fn drs_and_dpm_on_the_same_traces_keep_hosts_below_full_but_save_little() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/studies/planetlab-drs-dpm.yaml");
    let s = run_summary(&path, &[]);
    let m = &s["metrics"];
    assert_eq!(
        m["slatah"], 0.0,
        "DRS spreads the VMs: no host reaches 100 %"
    );
    assert!(m["dpm_power_offs"].as_u64().unwrap() > 0);
    // Below every host at full power all day (800 x 126 W mean x 24 h), far above the
    // consolidation policies (about 140 kWh).
    let e = m["energy_kwh"].as_f64().unwrap();
    assert!(e < 2419.2 && e > 1000.0, "{e}");
}
