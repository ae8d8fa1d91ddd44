//! The command-line contract: subcommands, `--set`, `--seed`, exit codes.

use assert_cmd::Command;

fn pacsim() -> Command {
    let mut c = Command::cargo_bin("pacsim").unwrap();
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

#[test]
fn schema_is_json_that_names_the_top_level_fields() {
    let out = pacsim()
        .arg("schema")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).expect("schema is JSON");
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
    let out = pacsim()
        .arg("policies")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    for p in ["first-fit", "best-fit", "least-loaded"] {
        assert!(text.contains(p), "{p} missing from:\n{text}");
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

    let out = pacsim()
        .args([
            "validate",
            "scenarios/examples/quickstart.yaml",
            "--set",
            "clusters[0].hosts[0].count=-1",
        ])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    assert!(
        err.contains("--> --set clusters[0].hosts[0].count=-1"),
        "{err}"
    );

    let out = pacsim()
        .args([
            "validate",
            "scenarios/examples/quickstart.yaml",
            "--set",
            "clusters[0].hosts[0].cnt=4",
        ])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    assert!(err.contains("did you mean `count`?"), "{err}");

    pacsim()
        .args([
            "validate",
            "scenarios/examples/quickstart.yaml",
            "--set",
            "clusters[5].name=x",
        ])
        .assert()
        .code(2);
    pacsim()
        .args([
            "validate",
            "scenarios/examples/quickstart.yaml",
            "--set",
            "no-equals-sign",
        ])
        .assert()
        .code(2);
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
