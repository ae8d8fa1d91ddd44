//! Trace import and trace-driven workloads: each importer on a small real sample
//! (`tests/data/traces`, origins in `tests/data/README.md`) writes the expected canonical
//! rows (golden); malformed rows are skipped and reported, never fatal; a scenario reads
//! a canonical trace with its window, sample, scale and short-series options.

use assert_cmd::Command;
use pacsim::metrics::{summarize, Recorder};
use pacsim::scenario::load_str;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh temporary path (removed when dropped).
struct Temp(PathBuf);

impl Temp {
    fn new(name: &str) -> Temp {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("pacsim-traces-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Temp(dir.join(name))
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        if let Some(d) = self.0.parent() {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

/// Runs `pacsim trace import`; returns the exit code, the report (without the line
/// naming the temporary output) and the written trace (empty when none).
fn import(format: &str, src: &str) -> (i32, String, String) {
    let out = Temp::new("trace.csv");
    let o = Command::cargo_bin("pacsim")
        .unwrap()
        .current_dir(root())
        .args(["trace", "import", "--format", format, src, "-o"])
        .arg(&out.0)
        .output()
        .unwrap();
    let report: String = String::from_utf8_lossy(&o.stdout)
        .lines()
        .chain(String::from_utf8_lossy(&o.stderr).lines())
        .filter(|l| !l.contains("wrote "))
        .map(|l| format!("{l}\n"))
        .collect();
    let text = std::fs::read_to_string(&out.0).unwrap_or_default();
    assert!(
        !out.0.with_extension("csv.tmp").exists(),
        "no temporary file is left behind"
    );
    (o.status.code().unwrap_or(-1), report, text)
}

fn golden(name: &str, format: &str, src: &str) -> String {
    let (code, report, text) = import(format, src);
    assert_eq!(code, 0, "{report}");
    insta::assert_snapshot!(name, format!("{report}---\n{text}"));
    text
}

#[test]
fn planetlab_files_and_the_one_file_form_give_the_same_rows() {
    let a = golden(
        "import-planetlab",
        "planetlab",
        "tests/data/traces/planetlab/20110303",
    );
    let (code, _, b) = import(
        "planetlab",
        "tests/data/traces/planetlab/20110303-three-vms.csv",
    );
    assert_eq!(code, 0);
    assert_eq!(a, b);
    // 288 samples of 300 s from 0 to 86400 s, value / 100.
    let first = a.lines().nth(2).unwrap();
    assert!(first
        .starts_with("146-179_surfsnel_dsl_internl_net_colostate_557,0,86400,,,,1,300,0.24 0.34 "));
    assert_eq!(first.rsplit(',').next().unwrap().split(' ').count(), 288);
    assert!(
        a.contains("\n\"aladdin_planetlab_extranet_uni-passau_de_ rnp_dcc_ufjf\",")
            || a.contains("\naladdin_planetlab_extranet_uni-passau_de_ rnp_dcc_ufjf,")
    );
}

#[test]
fn azure_rows_are_vms_with_their_cores_memory_and_life() {
    let text = golden("import-azure", "azure", "tests/data/traces/azure");
    // vmtable row 1: created 0, deleted 2591700, 1 core, 1.75 GB, avgcpu 3.424...%.
    assert!(
        text.contains(",0,2591700,1,,1792,1,2591700,0.034240942\n"),
        "{text}"
    );
}

#[test]
fn alibaba_tasks_are_rows_of_identical_instances() {
    let text = golden(
        "import-alibaba2017",
        "alibaba2017",
        "tests/data/traces/alibaba2017/batch_task.csv",
    );
    // Task 4 of job 3: 15,740 instances of half a core from 6459 s to 6524 s.
    assert!(text.contains("job3-task4,6459,6524,0.5,,,15740,,\n"));
}

#[test]
fn bitbrains_and_opendc_series_are_resampled_to_the_interval() {
    golden(
        "import-bitbrains",
        "bitbrains",
        "tests/data/traces/bitbrains/bitbrains-head.csv",
    );
    let text = golden("import-opendc", "opendc", "tests/data/traces/opendc");
    // Task 1023 has no fragment in the sample: skipped, and said so.
    assert!(!text.contains("\n1023,"));
}

#[test]
fn malformed_planetlab_files_are_skipped_with_the_reason() {
    let (code, report, text) = import("planetlab", "tests/data/traces/bad/planetlab");
    assert_eq!(code, 0, "{report}");
    for reason in [
        "1 x non-numeric sample (first at tests/data/traces/bad/planetlab/non-numeric:5)",
        "1 x negative utilisation (first at tests/data/traces/bad/planetlab/negative:10)",
        "1 x utilisation above 100% (first at tests/data/traces/bad/planetlab/above-100:7)",
        "1 x no samples (first at tests/data/traces/bad/planetlab/empty)",
    ] {
        assert!(report.contains(reason), "`{reason}` not in:\n{report}");
    }
    // The good file and the truncated one (a shorter day) are kept.
    let rows: Vec<&str> = text.lines().skip(2).collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert!(rows[1].starts_with("truncated,0,30000,"), "{}", rows[1]);
}

#[test]
fn malformed_rows_of_one_file_forms_are_skipped_with_the_reason() {
    let (code, report, text) = import("planetlab", "tests/data/traces/bad/planetlab-wide.csv");
    assert_eq!(code, 0, "{report}");
    assert!(report.contains("1 x non-numeric sample"), "{report}");
    assert!(report.contains("1 x negative utilisation"), "{report}");
    assert!(report.contains("1 x short row"), "{report}");
    assert_eq!(text.lines().count(), 2 + 2);
    let (code, report, text) = import("bitbrains", "tests/data/traces/bad/bitbrains-bad.csv");
    assert_eq!(code, 0, "{report}");
    for reason in [
        "row with fewer than 7 fields (truncated?)",
        "non-numeric sample",
        "negative utilisation",
        "timestamp earlier than the previous row's",
        "missing intervals filled with the previous sample",
    ] {
        assert!(report.contains(reason), "`{reason}` not in:\n{report}");
    }
    assert_eq!(text.lines().count(), 3);
}

#[test]
fn unusable_sources_are_refused_without_an_output() {
    let (code, report, text) = import("planetlab", "tests/data/traces/no-such-folder");
    assert_eq!(code, 2);
    assert!(report.contains("does not exist"), "{report}");
    assert!(text.is_empty());
    let (code, report, _) = import("opendc", "tests/data/traces/azure");
    assert_eq!(code, 2);
    assert!(report.contains("has no `tasks.csv`"), "{report}");
    // Nothing importable: the PlanetLab folder read as Alibaba tasks.
    let (code, report, text) = import(
        "alibaba2017",
        "tests/data/traces/planetlab/20110303-three-vms.csv",
    );
    assert_eq!(code, 2, "{report}");
    assert!(report.contains("no workload"), "{report}");
    assert!(text.is_empty());
    let (code, report, _) = import("parquet", "tests/data/traces/azure");
    assert_eq!(code, 2);
    assert!(
        report.contains("the formats are planetlab, azure, alibaba2017, bitbrains, opendc"),
        "{report}"
    );
}

/// A small trace: three VMs.
/// - `a` from 0 to 1200 s at 0.5 then 0.25 (300 s samples: 0.5 0.25 0.5 0.25),
/// - `b` from 600 s, forever, at 1.0 (one sample, repeated or held),
/// - `c` from 0, forever, 2 samples 0.1 0.3.
const TRACE: &str = "# pacsim trace v1
id,arrival_s,departure_s,cpu_cores,cpu_mhz,memory_mib,count,interval_s,utilisation
a,0,1200,1,1000,1024,1,300,0.5 0.25 0.5 0.25
b,600,,2,,2048,1,300,1
c,0,,1,500,512,2,300,0.1 0.3
";

fn run_traced(options: &str, duration: &str) -> (serde_json::Value, Recorder) {
    let f = Temp::new("t.csv");
    std::fs::write(&f.0, TRACE).unwrap();
    let yaml = format!(
        "name: t\nduration: {duration}\nmetrics: {{ sample_every: 300s }}\nclusters:\n  - name: c\n    hosts: [ {{ name: h, count: 1, cores: 4, mhz: 1000, memory: 64GiB, power: {{ idle: 100W, max: 200W }} }} ]\nworkloads:\n  - kind: vm-group\n    name: v\n    trace: {{ file: {}, {options} }}\n",
        f.0.display()
    );
    let scenario = load_str("t.yaml", &yaml, &[]).unwrap_or_else(|e| panic!("{}", e.render()));
    let mut world = pacsim::model::build(&scenario, 0);
    let mut rec = Recorder::new(&world);
    pacsim::model::run(&mut world, &mut rec, &mut |_| {});
    (summarize(&scenario, &world, &rec)["metrics"].clone(), rec)
}

/// Demand of the one 4000 MHz host at each 300 s sample, from the host_cpu series.
fn demand_mhz(rec: &Recorder) -> Vec<f64> {
    rec.host_cpu
        .iter()
        .map(|u| (*u as f64 * 4000.0).round())
        .collect()
}

#[test]
fn trace_rows_give_arrivals_sizes_lifetimes_and_demand() {
    // Over 1800 s with `b` held at 1.0 and `c` (2 instances of 500 MHz) holding 0.3:
    // a: 1000 MHz x 0.5, 0.25, 0.5, 0.25 until 1200 s; b: 2 cores x 1000 MHz x 1.0
    // from 600 s; c: 2 x 500 x 0.1, then 0.3.
    let (m, rec) = run_traced("on_short: hold_last", "1800s");
    assert_eq!(m["vms_arrived"], 4);
    assert_eq!(m["vms_departed"], 1);
    assert_eq!(
        demand_mhz(&rec),
        vec![600.0, 550.0, 2800.0, 2550.0, 2300.0, 2300.0, 2300.0],
        "a 500 + c 100, a 250 + c 300, + b 2000 ..."
    );
    // Repeating instead: c's series starts again (0.1 at 600 s and 1200 s).
    let (_, rec) = run_traced("on_short: repeat", "1800s");
    assert_eq!(
        demand_mhz(&rec),
        vec![600.0, 550.0, 2600.0, 2550.0, 2100.0, 2300.0, 2100.0]
    );
}

#[test]
fn a_window_a_sample_and_a_scale_choose_and_shape_the_workloads() {
    // From 600 s: `a` is 600 s into its life (0.5, 0.25, then gone at 600 s of the
    // run), `b` arrives at once, `c` is 2 intervals in (held at 0.3); x 2 demand, capped at 1.
    let (m, rec) = run_traced(
        "on_short: hold_last, window: { from: 600s }, scale: 2",
        "900s",
    );
    assert_eq!(m["vms_arrived"], 4);
    assert_eq!(
        demand_mhz(&rec),
        vec![
            1000.0 + 2000.0 + 600.0,
            500.0 + 2000.0 + 600.0,
            2600.0,
            2600.0
        ]
    );
    // One row at random (the seed decides which, the same every time).
    let (m1, _) = run_traced("on_short: hold_last, sample: 1", "900s");
    let (m2, _) = run_traced("on_short: hold_last, sample: 1", "900s");
    assert_eq!(m1, m2);
    assert!([1, 2].contains(&m1["vms_arrived"].as_u64().unwrap()));
}

#[test]
fn a_short_series_is_an_error_unless_the_scenario_says_what_follows() {
    let f = Temp::new("t.csv");
    std::fs::write(&f.0, TRACE).unwrap();
    let yaml = format!(
        "name: t\nduration: 1h\nclusters:\n  - name: c\n    hosts: [ {{ name: h, count: 1, cores: 4, mhz: 1000, memory: 64GiB }} ]\nworkloads:\n  - kind: vm-group\n    name: v\n    trace: {{ file: {} }}\n",
        f.0.display()
    );
    let e = load_str("t.yaml", &yaml, &[]).unwrap_err().render();
    assert!(e.contains("2 workload(s) of the trace have fewer samples than the run needs: `b` has 300 s of samples but is in the run for 3000 s"), "{e}");
}
