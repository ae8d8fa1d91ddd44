//! `compare`: an identical run passes, a planted regression fails, unusable input is
//! exit 2; merged sweeps compare point by point; one snapshot per kind of malformed
//! tolerance file (`scenarios/invalid/tolerances/`).

use super::sweep::{output, TempDir};
use std::path::Path;

fn run(t: &TempDir, name: &str, extra: &[&str]) -> String {
    let dir = t.path(name);
    let mut args = vec![
        "run",
        "scenarios/ci/pod-churn.yaml",
        "--no-plots",
        "--quiet",
        "--out",
        &dir,
    ];
    args.extend_from_slice(extra);
    output(&args, 0);
    dir
}

#[test]
fn an_identical_run_passes_and_a_planted_regression_fails() {
    let t = TempDir::new("cmp");
    let same = run(&t, "same", &[]);
    let (out, _) = output(
        &[
            "compare",
            "results/baselines/pod-churn.json",
            &same,
            "--tolerance",
            "scenarios/ci/tolerance.yaml",
        ],
        0,
    );
    assert!(out.contains("verdict: no regression"), "{out}");
    // The planted regression: first-fit piles pods onto the first hosts.
    let worse = run(
        &t,
        "worse",
        &["--set", "clusters[0].placement={policy: first-fit}"],
    );
    let (out, _) = output(
        &[
            "compare",
            "results/baselines/pod-churn.json",
            &worse,
            "--tolerance",
            "scenarios/ci/tolerance.yaml",
        ],
        1,
    );
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with("imbalance_mean"))
        .unwrap();
    assert!(
        line.contains("REGRESSION (lower is better; tolerance 0.005)"),
        "{out}"
    );
    assert!(out.contains("regression(s)"), "{out}");
    // Without a tolerance file any worsening counts; --all lists what did not change.
    let (out, _) = output(&["compare", &same, &same, "--all"], 0);
    assert!(
        out.lines()
            .any(|l| l.trim_start().starts_with("hosts ") && l.ends_with("same")),
        "{out}"
    );
}

#[test]
fn unusable_input_is_exit_2() {
    let t = TempDir::new("cmp-bad");
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("results/baselines/pod-churn.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
    v["metrics"].as_object_mut().unwrap().remove("energy_kwh");
    let lacking = t.path("lacking.json");
    std::fs::write(&lacking, v.to_string()).unwrap();
    let b = base.display().to_string();
    let (_, err) = output(&["compare", &b, &lacking], 2);
    assert!(
        err.contains("the candidate lacks the metric `energy_kwh`"),
        "{err}"
    );
    let tol = t.path("tol.yaml");
    std::fs::write(&tol, "metrics:\n  energy_kwhh: { relative: 1% }\n").unwrap();
    let (_, err) = output(&["compare", &b, &b, "--tolerance", &tol], 2);
    assert!(
        err.contains("names the metric `energy_kwhh`") && err.contains("did you mean `energy_kwh`"),
        "{err}"
    );
    let (_, err) = output(&["compare", &b, "scenarios/examples/quickstart.yaml"], 2);
    assert!(err.contains("cannot be compared"), "{err}");
    let (_, err) = output(&["compare", &b, &t.path("nowhere.json")], 2);
    assert!(err.contains("cannot read"), "{err}");
}

#[test]
fn merged_sweeps_compare_point_by_point() {
    let t = TempDir::new("cmp-sweep");
    let dir = t.path("s");
    output(
        &[
            "sweep",
            "run",
            "scenarios/sweeps/small.yaml",
            "--all",
            "--quiet",
            "--out",
            &dir,
        ],
        0,
    );
    output(&["sweep", "merge", &dir, "--no-plots", "--quiet"], 0);
    let (out, _) = output(&["compare", &dir, &dir], 0);
    assert!(out.contains("verdict: no regression"), "{out}");
    // Plant a worse mean start-up at one point.
    let csv = std::fs::read_to_string(t.0.join("s/sweep-summary.csv")).unwrap();
    let head: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = head
        .iter()
        .position(|h| *h == "pods_rejected.mean")
        .unwrap();
    let mut lines: Vec<String> = csv.lines().map(String::from).collect();
    let mut cells: Vec<String> = super::sweep::split_csv_line(&lines[2]);
    cells[col] = "1000".into();
    lines[2] = cells
        .iter()
        .map(|c| {
            if c.contains(',') || c.contains('"') {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    let worse = t.path("worse.csv");
    std::fs::write(&worse, lines.join("\n") + "\n").unwrap();
    let (out, _) = output(&["compare", &t.path("s/sweep-summary.csv"), &worse], 1);
    assert!(
        out.contains("point 1: clusters[0].hosts[0].count=3"),
        "{out}"
    );
    assert!(
        out.contains("pods_rejected") && out.contains("REGRESSION"),
        "{out}"
    );
    let (_, err) = output(&["compare", &dir, "results/baselines/pod-churn.json"], 2);
    assert!(err.contains("compare like with like"), "{err}");
}

#[test]
fn every_malformed_tolerance_file_is_refused_with_a_clear_message() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/invalid/tolerances");
    let mut all: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    all.sort();
    assert!(all.len() >= 4);
    for f in all {
        let rel = format!(
            "scenarios/invalid/tolerances/{}",
            f.file_name().unwrap().to_string_lossy()
        );
        let b = "results/baselines/pod-churn.json";
        let (out, err) = output(&["compare", b, b, "--tolerance", &rel], 2);
        assert!(out.is_empty(), "{out}");
        let errors = err.lines().filter(|l| l.starts_with("error: ")).count();
        let hints = err.lines().filter(|l| l.starts_with("   = hint: ")).count();
        assert!(errors > 0 && errors == hints, "{rel}:\n{err}");
        let stem = f.file_stem().unwrap().to_string_lossy().into_owned();
        insta::assert_snapshot!(format!("tolerance-invalid-{stem}"), err);
    }
}
