//! The command-line contract: subcommands, `--set`, `--seed`, exit codes.

use assert_cmd::Command;

fn pacsim() -> Command {
    let mut c = Command::cargo_bin("pacsim").unwrap();
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

/// Runs pacsim with `args`, checks the exit code, returns (stdout, stderr).
fn output(args: &[&str], code: i32) -> (String, String) {
    let out = pacsim().args(args).assert().code(code).get_output().clone();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn schema_is_json_that_names_the_top_level_fields() {
    let (out, _) = output(&["schema"], 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("schema is JSON");
    let props = &v["properties"];
    for field in [
        "name",
        "seed",
        "duration",
        "clusters",
        "images",
        "workloads",
        "metrics",
    ] {
        assert!(props.get(field).is_some(), "schema lacks `{field}`");
    }
    assert_eq!(
        v["additionalProperties"], false,
        "unknown top-level fields are errors"
    );
}

#[test]
fn policies_lists_every_placement_policy() {
    let (text, _) = output(&["policies"], 0);
    for p in [
        "first-fit",
        "best-fit",
        "least-loaded",
        "thr",
        "lrr",
        "mmt",
        "mc",
    ] {
        assert!(text.contains(p), "{p} missing from:\n{text}");
    }
    for (name, _) in pacsim::policy::lb::CATALOGUE {
        assert!(text.contains(name), "{name} missing from:\n{text}");
    }
}

#[test]
fn validate_accepts_every_example() {
    for path in super::golden::examples() {
        pacsim().arg("validate").arg(&path).assert().success();
    }
}

#[test]
fn set_overrides_a_field_and_its_errors_point_at_the_argument() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/examples/quickstart.yaml");
    let s = super::golden::run_summary(&path, &["clusters[0].hosts[0].count=3".into()]);
    assert_eq!(s["metrics"]["hosts"], 3);
    let s =
        super::golden::run_summary(&path, &["clusters[0].placement={policy: first-fit}".into()]);
    assert_eq!(s["metrics"]["hosts"], 8);

    let validate_with = |set: &str| {
        output(
            &[
                "validate",
                "scenarios/examples/quickstart.yaml",
                "--set",
                set,
            ],
            2,
        )
        .1
    };
    let err = validate_with("clusters[0].hosts[0].count=-1");
    assert!(
        err.contains("--> --set clusters[0].hosts[0].count=-1"),
        "{err}"
    );
    let err = validate_with("clusters[0].hosts[0].cnt=4");
    assert!(err.contains("did you mean `count`?"), "{err}");
    let err = validate_with("clusters[5].name=x");
    assert!(err.contains("the list has 1 item"), "{err}");
    let err = validate_with("no-equals-sign");
    assert!(err.contains("has no `=`"), "{err}");
}

#[test]
fn bad_arguments_exit_2() {
    pacsim().args(["run"]).assert().code(2);
    pacsim().args(["frobnicate"]).assert().code(2);
    pacsim()
        .args([
            "run",
            "scenarios/examples/quickstart.yaml",
            "--seed",
            "minus-one",
        ])
        .assert()
        .code(2);
}

#[test]
fn an_unwritable_output_folder_is_an_io_error() {
    // A regular file where the output folder should be.
    let f = std::env::temp_dir().join(format!("pacsim-not-a-dir-{}", std::process::id()));
    std::fs::write(&f, b"x").unwrap();
    pacsim()
        .args([
            "run",
            "scenarios/examples/quickstart.yaml",
            "--no-plots",
            "--quiet",
            "--out",
        ])
        .arg(&f)
        .assert()
        .code(3);
    let _ = std::fs::remove_file(&f);
}

#[test]
fn explain_writes_every_scheduling_decision_with_each_hosts_verdict() {
    let out = std::env::temp_dir().join(format!("pacsim-explain-{}", std::process::id()));
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_pacsim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "run",
            "scenarios/examples/kube-scheduling.yaml",
            "--no-plots",
            "--no-report",
            "--quiet",
            "--explain",
            "--out",
        ])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let text = std::fs::read_to_string(out.join("explain.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 17, "3 db, 2 train and 12 web pods");
    let db1 = lines.iter().find(|l| l["pod"] == "db-1").unwrap();
    let nodes = db1["kube"]["nodes"].as_object().unwrap();
    assert_eq!(nodes.len(), 6);
    assert_eq!(nodes["gpu-0"]["filtered"], "TaintToleration");
    let db0_host = lines.iter().find(|l| l["pod"] == "db-0").unwrap()["host"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(nodes[&db0_host]["filtered"], "InterPodAffinity");
    assert!(
        db1["drs_score"].as_object().unwrap().len()
            == db1["kube"]["feasible"].as_u64().unwrap() as usize
    );
    let _ = std::fs::remove_dir_all(&out);
}
