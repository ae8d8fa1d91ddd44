//! Sweeps: the fixed order of runs, merged results that are the same bytes however the
//! runs were spread, resuming after SIGKILL, refusing another sweep's folder, re-running
//! corrupted records, scheduler indices from the environment, and one diagnostic snapshot
//! per kind of invalid sweep file (`scenarios/invalid/sweeps/`).

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

const SMALL: &str = "scenarios/sweeps/small.yaml";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// pacsim, run from the crate root, with no scheduler variables inherited, on one
/// thread unless a test asks for more, and at the lowest CPU priority: tests run side by
/// side, and some of the others are timed.
pub fn pacsim() -> Command {
    let mut c = Command::new("nice");
    c.args(["-n", "19"])
        .arg(assert_cmd::cargo::cargo_bin("pacsim"));
    c.current_dir(root());
    c.env("RAYON_NUM_THREADS", "1");
    for v in [
        "SLURM_ARRAY_TASK_ID",
        "JOB_COMPLETION_INDEX",
        "SLURM_CPUS_PER_TASK",
        "RUST_BACKTRACE",
    ] {
        c.env_remove(v);
    }
    c.timeout(Duration::from_secs(300));
    c
}

/// Runs pacsim, checks the exit code, returns (stdout, stderr).
pub fn output(args: &[&str], code: i32) -> (String, String) {
    let out = pacsim().args(args).assert().code(code).get_output().clone();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Starts pacsim in the background, as [`pacsim`] does.
fn spawn(args: &[&str]) -> std::process::Child {
    std::process::Command::new("nice")
        .args(["-n", "19"])
        .arg(assert_cmd::cargo::cargo_bin("pacsim"))
        .current_dir(root())
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("JOB_COMPLETION_INDEX")
        .env("RAYON_NUM_THREADS", "1")
        .args(args)
        .spawn()
        .unwrap()
}

/// A fresh temporary folder, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let d = std::env::temp_dir().join(format!("pacsim-sweep-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        TempDir(d)
    }

    pub fn path(&self, rel: &str) -> String {
        self.0.join(rel).display().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The files of a folder, by name.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

fn merged(dir: &str) -> (Vec<u8>, Vec<u8>) {
    output(&["sweep", "merge", dir, "--no-plots", "--quiet"], 0);
    let d = Path::new(dir);
    (
        std::fs::read(d.join("sweep.csv")).unwrap(),
        std::fs::read(d.join("sweep-summary.csv")).unwrap(),
    )
}

#[test]
fn the_plan_order_and_index_mapping_are_fixed() {
    let (plan, _) = output(&["sweep", "plan", SMALL], 0);
    insta::assert_snapshot!("sweep-plan-small", plan);
    let (count, _) = output(
        &[
            "sweep",
            "plan",
            "scenarios/sweeps/hosts-vs-startup.yaml",
            "--count",
        ],
        0,
    );
    assert_eq!(
        count.trim(),
        "105",
        "7 host counts x 3 thresholds x 5 replications"
    );
    let (plan, _) = output(
        &["sweep", "plan", "scenarios/sweeps/hosts-vs-startup.yaml"],
        0,
    );
    let rows: Vec<&str> = plan.lines().skip(2).collect();
    assert_eq!(rows.len(), 105);
    // index 37 = point 7 (hosts 6, threshold 3: (2·3 + 1)), replication 2, seed 42 + 2.
    let cells: Vec<&str> = rows[37].split_whitespace().collect();
    assert_eq!(cells, ["37", "7", "2", "44", "6", "3"], "{}", rows[37]);
}

#[test]
fn merged_results_are_the_same_bytes_on_one_thread_two_threads_and_two_shards() {
    let t = TempDir::new("det");
    let (one, two, shards) = (t.path("one"), t.path("two"), t.path("shards"));
    for (threads, out) in [("1", &one), ("2", &two)] {
        let args = [
            "sweep",
            "run",
            SMALL,
            "--all",
            "--threads",
            threads,
            "--quiet",
            "--out",
            out,
        ];
        output(&args, 0);
    }
    // Two shards as separate processes at once, into one folder.
    let shard = |which: &str| {
        spawn(&[
            "sweep", "run", SMALL, "--shard", which, "--quiet", "--out", &shards,
        ])
    };
    let (mut a, mut b) = (shard("0/2"), shard("1/2"));
    assert!(a.wait().unwrap().success() && b.wait().unwrap().success());
    let runs = files(&t.0.join("one/runs"));
    assert_eq!(runs.len(), 8);
    assert_eq!(
        runs,
        files(&t.0.join("two/runs")),
        "run records differ by thread count"
    );
    assert_eq!(
        runs,
        files(&t.0.join("shards/runs")),
        "run records differ when sharded"
    );
    let m1 = merged(&one);
    assert_eq!(m1, merged(&two));
    assert_eq!(m1, merged(&shards));
    // Each record is the run the plan says: index -> (values, seed) is fixed.
    let rec: serde_json::Value = serde_json::from_slice(&runs["5.json"]).unwrap();
    assert_eq!(
        (
            rec["index"].as_u64(),
            rec["point"].as_u64(),
            rec["replication"].as_u64(),
            rec["seed"].as_u64()
        ),
        (Some(5), Some(2), Some(1), Some(8))
    );
    assert_eq!(
        rec["values"],
        serde_json::json!([5, { "policy": "least-loaded" }])
    );
}

#[test]
fn a_sweep_run_reproduces_pacsim_run_with_its_seed_and_sets() {
    let sweep =
        pacsim::sweep::load_sweep(&root().join("scenarios/sweeps/hosts-vs-startup.yaml")).unwrap();
    let rec = sweep.run_one(37).unwrap();
    let path = root().join("scenarios/examples/quickstart.yaml");
    let mut scenario = pacsim::scenario::load_file(&path, &rec.set).unwrap();
    scenario.seed = rec.seed;
    assert_eq!(
        rec.set,
        [
            "clusters[0].hosts[0].count=6",
            "clusters[0].drs.threshold=3"
        ]
    );
    assert_eq!(rec.summary, pacsim::sweep::simulate(&scenario));
}

#[test]
fn a_sweep_killed_by_sigkill_resumes_without_rerunning_finished_runs() {
    let t = TempDir::new("kill");
    let (killed, whole) = (t.path("killed"), t.path("whole"));
    // The small sweep with 15 replications: 60 runs on one thread, long enough to be
    // killed midway.
    let text = std::fs::read_to_string(root().join(SMALL))
        .unwrap()
        .replace("replications: 2", "replications: 15");
    let file = t.path("sixty.yaml");
    std::fs::write(&file, text).unwrap();
    let sweep = file.as_str();
    let mut child = spawn(&[
        "sweep",
        "run",
        sweep,
        "--all",
        "--threads",
        "1",
        "--quiet",
        "--out",
        &killed,
    ]);
    let runs_dir = t.0.join("killed/runs");
    let count = || {
        std::fs::read_dir(&runs_dir)
            .map(|d| {
                d.filter(|e| {
                    e.as_ref()
                        .unwrap()
                        .path()
                        .extension()
                        .is_some_and(|x| x == "json")
                })
                .count()
            })
            .unwrap_or(0)
    };
    let started = Instant::now();
    while count() < 10 {
        assert!(started.elapsed() < Duration::from_secs(120), "no progress");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the sweep ended before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let before: BTreeMap<String, (Vec<u8>, SystemTime)> = std::fs::read_dir(&runs_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let m = std::fs::metadata(&p).unwrap().modified().unwrap();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                (std::fs::read(&p).unwrap(), m),
            )
        })
        .collect();
    let done = before.len();
    assert!(
        (10..60).contains(&done),
        "{done} runs finished before the kill"
    );

    // The re-run runs only what is missing, and leaves finished records alone.
    let (_, err) = output(&["sweep", "run", sweep, "--all", "--out", &killed], 0);
    assert!(
        err.contains(&format!("ran {} run(s)", 60 - done))
            && err.contains(&format!("{done} already done")),
        "{err}"
    );
    for (name, (bytes, mtime)) in &before {
        let p = runs_dir.join(name);
        assert_eq!(&std::fs::read(&p).unwrap(), bytes, "{name} changed");
        assert_eq!(
            std::fs::metadata(&p).unwrap().modified().unwrap(),
            *mtime,
            "{name} was rewritten"
        );
    }
    output(
        &["sweep", "run", sweep, "--all", "--quiet", "--out", &whole],
        0,
    );
    assert_eq!(merged(&killed), merged(&whole));
}

#[test]
fn a_corrupted_record_is_reported_run_again_and_never_merged() {
    let t = TempDir::new("corrupt");
    let dir = t.path("s");
    output(
        &["sweep", "run", SMALL, "--all", "--quiet", "--out", &dir],
        0,
    );
    let good = merged(&dir);
    let rec = t.0.join("s/runs/3.json");
    let text = std::fs::read_to_string(&rec).unwrap();
    std::fs::write(&rec, &text[..text.len() / 2]).unwrap();
    let (_, err) = output(&["sweep", "merge", &dir], 2);
    assert!(
        err.contains("runs/3.json is not a valid result") && err.contains("not merged"),
        "{err}"
    );
    let (_, err) = output(&["sweep", "run", SMALL, "--all", "--out", &dir], 0);
    assert!(err.contains("runs/3.json is not a valid result"), "{err}");
    assert!(
        err.contains("ran 1 run(s)") && err.contains("1 invalid re-run"),
        "{err}"
    );
    assert_eq!(merged(&dir), good);
    // A record of another run in its place is not taken either.
    std::fs::copy(t.0.join("s/runs/2.json"), &rec).unwrap();
    let (_, err) = output(&["sweep", "merge", &dir], 2);
    assert!(err.contains("it holds run 2 instead"), "{err}");
}

#[test]
fn a_results_folder_of_another_sweep_is_refused() {
    let t = TempDir::new("foreign");
    let dir = t.path("s");
    output(
        &[
            "sweep", "run", SMALL, "--index", "0", "--quiet", "--out", &dir,
        ],
        0,
    );
    // The same sweep with three replications instead of two.
    let other = t.path("other.yaml");
    let text = std::fs::read_to_string(root().join(SMALL))
        .unwrap()
        .replace("replications: 2", "replications: 3");
    std::fs::write(&other, text).unwrap();
    let (_, err) = output(&["sweep", "run", &other, "--all", "--out", &dir], 2);
    assert!(err.contains("holds the results of another sweep"), "{err}");
    assert!(!t.0.join("s/runs/1.json").exists(), "nothing was run");
}

#[test]
fn the_scheduler_gives_the_index() {
    let t = TempDir::new("env");
    let dir = t.path("s");
    pacsim()
        .args(["sweep", "run", SMALL, "--quiet", "--out", &dir])
        .env("SLURM_ARRAY_TASK_ID", "3")
        .assert()
        .code(0);
    pacsim()
        .args(["sweep", "run", SMALL, "--quiet", "--out", &dir])
        .env("JOB_COMPLETION_INDEX", "6")
        .assert()
        .code(0);
    let names: Vec<String> = files(&t.0.join("s/runs")).into_keys().collect();
    assert_eq!(names, ["3.json", "6.json"]);
    let (_, err) = output(&["sweep", "merge", &dir], 2);
    assert!(
        err.contains("6 of 8 runs have no result yet (index 0, 1, 2, 4, 5, 7)"),
        "{err}"
    );
    let (_, err) = output(&["sweep", "run", SMALL, "--out", &dir], 2);
    assert!(err.contains("say which runs"), "{err}");
    let (_, err) = output(&["sweep", "run", SMALL, "--index", "8", "--out", &dir], 2);
    assert!(
        err.contains("index 8 is past the end: the sweep has 8 runs"),
        "{err}"
    );
    let (_, err) = output(&["sweep", "run", SMALL, "--shard", "2/2", "--out", &dir], 2);
    assert!(err.contains("is not a shard"), "{err}");
    pacsim()
        .args(["sweep", "run", SMALL, "--out", &dir])
        .env("SLURM_ARRAY_TASK_ID", "x")
        .assert()
        .code(2);
}

#[test]
fn a_merge_writes_the_tables_and_charts() {
    let t = TempDir::new("charts");
    let dir = t.path("s");
    output(
        &["sweep", "run", SMALL, "--all", "--quiet", "--out", &dir],
        0,
    );
    let (out, _) = output(&["sweep", "merge", &dir], 0);
    assert!(out.contains("merged 8 run(s) of 4 point(s)"), "{out}");
    for f in [
        "plots/pod_startup_p99_s-vs-hosts.png",
        "plots/pod_startup_p99_s-vs-hosts.svg",
        "plots/energy_kwh-by-hosts-and-placement.png",
        "plots/energy_kwh-by-hosts-and-placement.svg",
    ] {
        assert!(t.0.join("s").join(f).is_file(), "{f} missing");
    }
    let summary = std::fs::read_to_string(t.0.join("s/sweep-summary.csv")).unwrap();
    let head = summary.lines().next().unwrap();
    assert!(
        head.starts_with("point,clusters[0].hosts[0].count,clusters[0].placement,replications,"),
        "{head}"
    );
    assert!(head
        .contains(",energy_kwh.mean,energy_kwh.stdev,energy_kwh.ci95_low,energy_kwh.ci95_high,"));
    assert_eq!(summary.lines().count(), 5);
    let (_, err) = output(&["sweep", "merge", &t.path("nothing-here")], 2);
    assert!(err.contains("is not a sweep's results folder"), "{err}");
}

#[test]
fn every_invalid_sweep_file_is_refused_with_a_clear_message() {
    let dir = root().join("scenarios/invalid/sweeps");
    let mut all: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    all.sort();
    assert!(all.len() >= 10);
    for f in all {
        let rel = format!(
            "scenarios/invalid/sweeps/{}",
            f.file_name().unwrap().to_string_lossy()
        );
        assert!(
            std::fs::read_to_string(&f).unwrap().starts_with("# "),
            "{rel}: say what is broken"
        );
        let (out, err) = output(&["sweep", "plan", &rel], 2);
        assert!(out.is_empty());
        let errors = err.lines().filter(|l| l.starts_with("error: ")).count();
        let hints = err.lines().filter(|l| l.starts_with("   = hint: ")).count();
        assert!(
            errors > 0 && errors == hints,
            "{rel}: an error without a hint:\n{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
        let stem = f.file_stem().unwrap().to_string_lossy().into_owned();
        insta::assert_snapshot!(format!("sweep-invalid-{stem}"), err);
    }
}

/// The fields of one CSV line (for tests that edit a merged table).
pub fn split_csv_line(line: &str) -> Vec<String> {
    pacsim::report::sweep::parse_csv(line).unwrap().remove(0)
}

#[test]
fn every_committed_sweep_file_plans() {
    for dir in ["scenarios/sweeps", "scenarios/bench"] {
        let mut n = 0;
        for e in std::fs::read_dir(root().join(dir)).unwrap() {
            let p = e.unwrap().path();
            let text = std::fs::read_to_string(&p).unwrap();
            if !text.lines().any(|l| l.starts_with("scenario:")) {
                continue; // a scenario, not a sweep
            }
            let (count, _) = output(&["sweep", "plan", p.to_str().unwrap(), "--count"], 0);
            assert!(count.trim().parse::<u64>().unwrap() > 0, "{}", p.display());
            n += 1;
        }
        assert!(n > 0, "no sweep files in {dir}");
    }
}
