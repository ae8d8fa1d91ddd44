//! `pacsim run` and `pacsim validate`.

use super::{EXIT_INVALID_INPUT, EXIT_IO, EXIT_OK};
use crate::engine::SimTime;
use crate::metrics::Recorder;
use crate::report::{self, OutputOptions};
use crate::scenario::{load_file, Scenario};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub fn validate(files: &[PathBuf], sets: &[String]) -> i32 {
    let mut code = EXIT_OK;
    for f in files {
        match load_file(f, sets) {
            Ok(s) => println!(
                "ok: {} ({} hosts in {} cluster(s), {} workload(s))",
                f.display(),
                s.host_count(),
                s.clusters.len(),
                s.workloads.len()
            ),
            Err(e) => {
                eprint!("{}", e.render());
                code = EXIT_INVALID_INPUT;
            }
        }
    }
    code
}

/// A progress bar on stderr that appears only once a run has taken a second, and only on
/// a terminal.
struct Progress {
    started: Instant,
    end: SimTime,
    bar: Option<ProgressBar>,
    quiet: bool,
}

impl Progress {
    fn tick(&mut self, now: SimTime) {
        if self.quiet {
            return;
        }
        if self.bar.is_none() && self.started.elapsed() >= Duration::from_secs(1) {
            let bar = ProgressBar::with_draw_target(Some(1000), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} simulating [{bar:40}] {percent:>3}% of simulated time, eta {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            self.bar = Some(bar);
        }
        if let Some(b) = &self.bar {
            b.set_position((now.0 as f64 / self.end.0.max(1) as f64 * 1000.0) as u64);
        }
    }
}

/// Peak resident memory of this process, from /proc (Linux); None elsewhere.
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// How a run writes its results.
#[derive(Clone, Copy, Debug)]
pub struct RunOptions {
    pub plots: bool,
    pub quiet: bool,
    pub html_report: bool,
    /// Record every scheduling decision of supervised pods (`explain.jsonl`).
    pub explain: bool,
}

pub fn run(
    file: &Path,
    out: Option<PathBuf>,
    seed: Option<u64>,
    sets: &[String],
    opts: RunOptions,
) -> i32 {
    let RunOptions {
        plots,
        quiet,
        html_report,
        explain,
    } = opts;
    let mut scenario: Scenario = match load_file(file, sets) {
        Ok(s) => s,
        Err(e) => {
            eprint!("{}", e.render());
            return EXIT_INVALID_INPUT;
        }
    };
    if let Some(s) = seed {
        scenario.seed = s;
    }
    let out_dir = out.unwrap_or_else(|| Path::new("results").join(scenario.folder_name()));
    let started = Instant::now();
    let mut world = crate::model::build(&scenario, 0);
    world.explain = explain;
    let mut rec = Recorder::new(&world);
    let mut progress = Progress {
        started,
        end: world.end,
        bar: None,
        quiet,
    };
    crate::model::run(&mut world, &mut rec, &mut |t| progress.tick(t));
    if let Some(b) = progress.bar.take() {
        b.finish_and_clear();
    }
    let sim_secs = started.elapsed().as_secs_f64();
    let files = match report::render(&scenario, &world, &rec, OutputOptions { plots }) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("pacsim: cannot render the results: {e}");
            return super::EXIT_INTERNAL;
        }
    };
    let total_secs = started.elapsed().as_secs_f64();
    let run_json = serde_json::json!({
        "wall_seconds_simulation": sim_secs,
        "wall_seconds_total": total_secs,
        "events_processed": world.events_processed,
        "events_per_second": world.events_processed as f64 / sim_secs.max(1e-9),
        "peak_rss_bytes": peak_rss_bytes(),
        "peak_live_instances": rec.peak_live_instances,
        "pacsim_version": env!("CARGO_PKG_VERSION"),
    });
    let mut all = files;
    all.insert(
        0,
        report::OutputFile {
            path: "run.json".into(),
            bytes: format!("{run_json:#}\n").into_bytes(),
        },
    );
    let mut report_failed = false;
    if html_report {
        if let Err(e) = report::add_run_report(&mut all) {
            // The run's own outputs failed the report's checks: a bug, not bad input. The
            // other outputs are still written.
            eprint!(
                "pacsim: internal error drawing the report (this is a bug, please report it): {}",
                e.render(&out_dir)
            );
            report_failed = true;
        }
    }
    if let Err(e) = report::write_all(&out_dir, &all) {
        eprintln!("pacsim: cannot write results to {}: {e}", out_dir.display());
        return EXIT_IO;
    }
    if !quiet {
        let m = &rec;
        let pods = &m.kinds[1];
        let vms = &m.kinds[0];
        // Wall-clock figures go to stderr: stdout stays identical between identical runs.
        eprintln!(
            "{}: simulated {} in {:.2} s of wall time ({} events, {:.2e} events/s)",
            scenario.name,
            fmt_duration(scenario.duration.as_secs_f64()),
            sim_secs,
            world.events_processed,
            world.events_processed as f64 / sim_secs.max(1e-9)
        );
        println!("{}", scenario.name);
        println!(
            "  VMs  placed {} rejected {}   pods placed {} rejected {} pending at end {}",
            vms.placed,
            vms.rejected.iter().sum::<u64>(),
            pods.placed,
            pods.rejected.iter().sum::<u64>(),
            world.pending_count()
        );
        if !m.startup_us.is_empty() {
            println!(
                "  pod start-up p50 {:.3} s  p99 {:.3} s",
                m.startup_us.value_at_quantile(0.5) as f64 / 1e6,
                m.startup_us.value_at_quantile(0.99) as f64 / 1e6
            );
        }
        println!("  results in {}", out_dir.display());
    }
    if report_failed {
        super::EXIT_INTERNAL
    } else {
        EXIT_OK
    }
}

fn fmt_duration(s: f64) -> String {
    if s >= 86_400.0 {
        format!("{:.1} d", s / 86_400.0)
    } else if s >= 3600.0 {
        format!("{:.1} h", s / 3600.0)
    } else {
        format!("{s:.0} s")
    }
}
