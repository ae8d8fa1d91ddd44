//! Benchmarks of the run report (`cargo bench --bench report`): reading a run's outputs
//! back and drawing `report.html`, for the quickstart (target: under 100 ms) and for the
//! reference workload at 1,000 hosts (`scenarios/bench/pod-churn.yaml` with 100,000 pods).
//! The outputs are rendered in memory once; each iteration is what `pacsim run` adds to
//! a run and what `pacsim report DIR` does after reading the files.

use criterion::{criterion_group, criterion_main, Criterion};
use pacsim::metrics::Recorder;
use pacsim::report::{self, run_page, OutputFile, OutputOptions};
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

fn outputs(file: &str, sets: &[String]) -> Vec<OutputFile> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let scenario = pacsim::scenario::load_file(&path, sets).expect("a valid scenario");
    let mut world = pacsim::model::build(&scenario, 0);
    let mut rec = Recorder::new(&world);
    pacsim::model::run(&mut world, &mut rec, &mut |_| {});
    report::render(&scenario, &world, &rec, OutputOptions { plots: true }).expect("outputs")
}

fn run_report(c: &mut Criterion) {
    let mut g = c.benchmark_group("run_report");
    g.sample_size(10).measurement_time(Duration::from_secs(3));
    let quickstart = outputs("scenarios/examples/quickstart.yaml", &[]);
    g.bench_function("quickstart", |b| {
        b.iter(|| black_box(run_page::render_files(&quickstart).unwrap().len()))
    });
    let churn = outputs(
        "scenarios/bench/pod-churn.yaml",
        &["workloads[0].arrival.poisson.limit=100000".into()],
    );
    g.bench_function("pod_churn_1000_hosts", |b| {
        b.iter(|| black_box(run_page::render_files(&churn).unwrap().len()))
    });
    g.finish();
}

criterion_group!(benches, run_report);
criterion_main!(benches);
