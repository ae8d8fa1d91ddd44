//! Golden runs: every example scenario's `summary.json`, pinned by an insta snapshot.
//! A change in any metric of any example shows up here as a reviewable diff.

use pacsim::metrics::{summarize, Recorder};
use pacsim::model::World;
use pacsim::scenario::{load_file, Scenario};
use std::path::{Path, PathBuf};

/// Every `scenarios/examples/*.yaml`, sorted, so a new example is picked up at once.
pub fn examples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/examples");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("scenarios/examples exists")
        .map(|e| e.expect("readable").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    v.sort();
    v
}

/// Loads and runs a scenario through the library.
pub fn run_file(path: &Path, overrides: &[String]) -> (Scenario, World, Recorder) {
    let scenario = load_file(path, overrides).unwrap_or_else(|e| panic!("{}", e.render()));
    let mut world = pacsim::model::build(&scenario, 0);
    let mut rec = Recorder::new(&world);
    pacsim::model::run(&mut world, &mut rec, &mut |_| {});
    (scenario, world, rec)
}

/// An example scenario by file stem: its metrics, world and recorder after the run.
pub fn run_example(stem: &str, overrides: &[String]) -> (serde_json::Value, World, Recorder) {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/examples/{stem}.yaml"));
    let (scenario, world, rec) = run_file(&path, overrides);
    let metrics = summarize(&scenario, &world, &rec)["metrics"].clone();
    (metrics, world, rec)
}

/// Loads, runs and summarises a scenario through the library.
pub fn run_summary(path: &Path, overrides: &[String]) -> serde_json::Value {
    let (scenario, world, rec) = run_file(path, overrides);
    summarize(&scenario, &world, &rec)
}

#[test]
fn every_example_scenario_matches_its_golden_summary() {
    let all = examples();
    assert!(!all.is_empty(), "no example scenarios found");
    for path in all {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let summary = run_summary(&path, &[]);
        insta::assert_json_snapshot!(format!("golden-{name}"), summary);
    }
}

#[test]
fn the_quickstart_does_what_its_comment_says() {
    let s = run_summary(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/examples/quickstart.yaml"),
        &[],
    );
    let m = &s["metrics"];
    assert_eq!(m["hosts"], 8);
    assert!(
        m["pods_placed"].as_u64().unwrap() > 1000,
        "pods arrive all day"
    );
    assert!(m["vms_placed"].as_u64().unwrap() > 50);
    // Warm images, an idle-enough cluster: start-up is the 1.5 s delay plus pulls.
    let p50 = m["pod_startup_p50_s"].as_f64().unwrap();
    assert!((1.5..1.6).contains(&p50), "p50 {p50}");
    assert!(m["energy_kwh"].as_f64().unwrap() > 0.0);
}
