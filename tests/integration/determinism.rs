//! The determinism contract: the same scenario and seed give byte-identical outputs
//! (every file except `run.json`, which holds wall-clock figures).

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pacsim-det-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Every file under `dir` (relative path -> bytes).
fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().to_string();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn run(scenario: &str, out: &Path, extra: &[&str]) {
    Command::cargo_bin("pacsim")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", scenario, "--quiet", "--out"])
        .arg(out)
        .args(extra)
        .assert()
        .success();
}

#[test]
fn same_scenario_and_seed_give_identical_bytes() {
    let (a, b) = (temp_dir("a"), temp_dir("b"));
    run("scenarios/examples/quickstart.yaml", &a, &[]);
    run("scenarios/examples/quickstart.yaml", &b, &[]);
    let (ta, tb) = (read_tree(&a), read_tree(&b));
    let names: Vec<&String> = ta.keys().collect();
    for expected in [
        "summary.json",
        "timeseries.csv",
        "host_cpu.csv",
        "plots/host_cpu_heatmap.png",
        "plots/pod_startup_cdf.svg",
        "run.json",
    ] {
        assert!(ta.contains_key(expected), "missing {expected} in {names:?}");
    }
    assert_eq!(ta.keys().collect::<Vec<_>>(), tb.keys().collect::<Vec<_>>());
    for (name, bytes) in &ta {
        if name == "run.json" {
            continue;
        }
        assert!(
            bytes == &tb[name],
            "{name} differs between two identical runs"
        );
    }
    assert!(
        !ta.keys().any(|k| k.ends_with(".tmp")),
        "temporary files left behind"
    );
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}

#[test]
fn another_seed_gives_another_run() {
    let (a, b) = (temp_dir("s1"), temp_dir("s2"));
    run("scenarios/examples/quickstart.yaml", &a, &["--no-plots"]);
    run(
        "scenarios/examples/quickstart.yaml",
        &b,
        &["--no-plots", "--seed", "7"],
    );
    let (ta, tb) = (read_tree(&a), read_tree(&b));
    assert_ne!(ta["timeseries.csv"], tb["timeseries.csv"]);
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}

#[test]
fn library_runs_repeat_exactly() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/examples/quickstart.yaml");
    let a = super::golden::run_summary(&path, &[]);
    let b = super::golden::run_summary(&path, &[]);
    assert_eq!(a, b);
}

#[test]
fn service_traffic_repeats_to_the_byte() {
    // Requests, load balancers, the edge's queue and link bytes (issue 6), plots included.
    let (a, b) = (temp_dir("t1"), temp_dir("t2"));
    run("scenarios/examples/dlb-vs-central.yaml", &a, &[]);
    run("scenarios/examples/dlb-vs-central.yaml", &b, &[]);
    let (ta, tb) = (read_tree(&a), read_tree(&b));
    for expected in [
        "services.csv",
        "members.csv",
        "links.csv",
        "lb.jsonl",
        "plots/service_latency.png",
        "plots/link_utilisation_heatmap.svg",
    ] {
        assert!(ta.contains_key(expected), "missing {expected}");
    }
    for (name, bytes) in &ta {
        if name != "run.json" {
            assert!(
                bytes == &tb[name],
                "{name} differs between two identical runs"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}

#[test]
fn a_supervisor_cluster_repeats_to_the_byte() {
    // The API queues, the scheduler, the CRX stages, image fetches through the shared
    // registry, controllers and guest clusters (issue 4), with every decision explained.
    let (a, b) = (temp_dir("sup1"), temp_dir("sup2"));
    for dir in [&a, &b] {
        run(
            "scenarios/examples/pacific-quickstart.yaml",
            dir,
            &["--no-plots", "--explain"],
        );
    }
    let (ta, tb) = (read_tree(&a), read_tree(&b));
    for expected in ["pod_startup.csv", "explain.jsonl", "drs.jsonl"] {
        assert!(ta.contains_key(expected), "missing {expected}");
    }
    for (name, bytes) in &ta {
        if name != "run.json" {
            assert!(
                bytes == &tb[name],
                "{name} differs between two identical runs"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}
