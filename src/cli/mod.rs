//! The command line: the only module that touches files, the terminal, the environment
//! and the wall clock.
//!
//! Exit codes (the `nextest` convention): 0 success; 1 a regression gate or check failed;
//! 2 invalid input (scenario or arguments); 3 an I/O error writing results; 101 an
//! internal bug (a panic).

mod capacity;
mod compare;
mod report;
mod run;
mod sweep;
mod tabulate;
mod trace;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

pub const EXIT_OK: i32 = 0;
pub const EXIT_GATE: i32 = 1;
pub const EXIT_INVALID_INPUT: i32 = 2;
pub const EXIT_IO: i32 = 3;
pub const EXIT_INTERNAL: i32 = 101;

#[derive(Parser, Debug)]
#[command(
    name = "pacsim",
    version,
    about = "Deterministic simulator of a vSphere datacenter running Kubernetes natively (Project Pacific)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run one scenario and write its results.
    Run {
        /// The scenario file (YAML).
        file: PathBuf,
        /// Output folder (default: results/<scenario name>/).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Override the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Override any scenario field: `--set clusters[0].hosts[0].count=16`. Repeatable;
        /// the value is read as YAML.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        sets: Vec<String>,
        /// Skip the PNG/SVG plots.
        #[arg(long)]
        no_plots: bool,
        /// Skip report.html.
        #[arg(long)]
        no_report: bool,
        /// Write explain.jsonl: every scheduling decision of a supervisor cluster's pods,
        /// each host's filter result and scores.
        #[arg(long)]
        explain: bool,
        /// Print nothing on success.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Check scenario files without running them.
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long = "set", value_name = "PATH=VALUE")]
        sets: Vec<String>,
    },
    /// Draw report.html again from a run's output folder, without running anything.
    Report {
        /// The run's output folder (where summary.json is).
        dir: PathBuf,
    },
    /// Print the JSON schema of scenario files.
    Schema,
    /// List the placement policies and load-balancing algorithms.
    Policies,
    /// Compare groups of runs: DIR holds one folder per group (a policy), each with
    /// runs' output folders; writes comparison.md, comparison.csv and plots.
    Tabulate {
        dir: PathBuf,
        /// Where to write (default: DIR).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print nothing on success.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Work with workload traces (`pacsim trace import`).
    Trace {
        #[command(subcommand)]
        command: TraceCommand,
    },
    /// What-if sweeps: list, run (here or as part of a job array) and merge.
    #[command(subcommand)]
    Sweep(SweepCommand),
    /// Compare two results metric by metric; exit 1 on a regression (a CI gate).
    Compare {
        /// summary.json or a run's folder; sweep-summary.csv or a merged sweep's folder.
        baseline: PathBuf,
        /// The same kind of result as the baseline.
        candidate: PathBuf,
        /// Directions and tolerances per metric (YAML).
        #[arg(long)]
        tolerance: Option<PathBuf>,
        /// Show every metric, also those that did not change.
        #[arg(long)]
        all: bool,
    },
    /// Find the smallest value of a field (e.g. a host count) meeting every SLO.
    PlanCapacity(capacity::Args),
}

/// `pacsim trace ...`
#[derive(Subcommand, Debug)]
pub enum TraceCommand {
    /// Convert a public trace into pacsim's canonical trace format (see the README).
    Import {
        /// The source format: planetlab, azure, alibaba2017, bitbrains or opendc.
        #[arg(long)]
        format: String,
        /// The source: a file or a folder, as the format needs.
        src: PathBuf,
        /// The canonical trace to write (CSV).
        #[arg(short = 'o', long = "out")]
        out: PathBuf,
        /// Interval of the written utilisation series.
        #[arg(long, default_value = "300s")]
        interval: String,
        /// Memory that a normalised memory of 1.0 stands for (alibaba2017), e.g. `96GiB`.
        #[arg(long)]
        normalised_memory: Option<String>,
        /// Print nothing on success.
        #[arg(long, short)]
        quiet: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum SweepCommand {
    /// List the runs of a sweep, in index order: point, replication, seed, axis values.
    Plan {
        /// The sweep file (YAML).
        file: PathBuf,
        /// Print only how many runs there are.
        #[arg(long)]
        count: bool,
    },
    /// Run all or part of a sweep; finished runs are kept and skipped.
    Run {
        /// The sweep file (YAML).
        file: PathBuf,
        /// Run every run (in parallel on this machine).
        #[arg(long, conflicts_with_all = ["index", "shard"])]
        all: bool,
        /// Run one run, by index (0-based; default from SLURM_ARRAY_TASK_ID or
        /// JOB_COMPLETION_INDEX).
        #[arg(long, conflicts_with = "shard")]
        index: Option<u64>,
        /// Run shard i of n (0-based): the runs i, i+n, i+2n, ...
        #[arg(long, value_name = "i/n")]
        shard: Option<String>,
        /// Results folder (default: results/<sweep name>/).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Threads (default: RAYON_NUM_THREADS, else SLURM_CPUS_PER_TASK, else every core).
        #[arg(long)]
        threads: Option<usize>,
        /// No progress bar, no closing line.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Merge a sweep's results folder into sweep.csv, sweep-summary.csv and charts.
    Merge {
        /// The results folder.
        dir: PathBuf,
        /// Skip the charts.
        #[arg(long)]
        no_plots: bool,
        #[arg(long, short)]
        quiet: bool,
    },
}

/// Runs the command line; returns the process exit code.
pub fn main() -> i32 {
    std::panic::set_hook(Box::new(|info| {
        eprintln!("pacsim: internal error (this is a bug, please report it): {info}");
    }));
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                EXIT_INVALID_INPUT
            } else {
                EXIT_OK
            };
        }
    };
    match cli.command {
        Command::Run {
            file,
            out,
            seed,
            sets,
            no_plots,
            no_report,
            explain,
            quiet,
        } => run::run(
            &file,
            out,
            seed,
            &sets,
            run::RunOptions {
                plots: !no_plots,
                quiet,
                html_report: !no_report,
                explain,
            },
        ),
        Command::Report { dir } => report::report(&dir),
        Command::Validate { files, sets } => run::validate(&files, &sets),
        Command::Sweep(SweepCommand::Plan { file, count }) => sweep::plan(&file, count),
        Command::Sweep(SweepCommand::Run {
            file,
            all,
            index,
            shard,
            out,
            threads,
            quiet,
        }) => {
            let selection = match (all, index, shard) {
                (true, _, _) => Some(crate::sweep::Selection::All),
                (_, Some(i), _) => Some(crate::sweep::Selection::Index(i)),
                (_, _, Some(s)) => match crate::sweep::Selection::parse_shard(&s) {
                    Ok(sel) => Some(sel),
                    Err(msg) => {
                        eprintln!("error: {msg}");
                        return EXIT_INVALID_INPUT;
                    }
                },
                _ => None,
            };
            sweep::run(&file, selection, out, threads, quiet)
        }
        Command::Sweep(SweepCommand::Merge {
            dir,
            no_plots,
            quiet,
        }) => sweep::merge_dir(&dir, !no_plots, quiet),
        Command::Compare {
            baseline,
            candidate,
            tolerance,
            all,
        } => compare::run(&baseline, &candidate, tolerance.as_deref(), all),
        Command::PlanCapacity(args) => capacity::run(args),
        Command::Schema => {
            println!("{}", crate::scenario::raw::schema_json());
            EXIT_OK
        }
        Command::Policies => {
            println!("placement policies (clusters[].placement.policy):");
            for (name, what) in crate::policy::placement::CATALOGUE {
                println!("  {name:<14} {what}");
            }
            println!();
            println!("load-balancing algorithms (services[].pool.algorithm, NSX PoolAlgorithm):");
            for (name, what) in crate::policy::lb::CATALOGUE {
                println!("  {name:<26} {what}");
            }
            println!();
            println!("consolidation (clusters[].consolidation: detector, selection):");
            for (name, what) in crate::policy::consolidation::CATALOGUE {
                println!("  {name:<14} {what}");
            }
            EXIT_OK
        }
        Command::Tabulate { dir, out, quiet } => tabulate::tabulate_command(&dir, out, quiet),
        Command::Trace {
            command:
                TraceCommand::Import {
                    format,
                    src,
                    out,
                    interval,
                    normalised_memory,
                    quiet,
                },
        } => {
            let interval_s = match crate::scenario::units::parse_duration(&interval) {
                Ok(d) if d.as_secs_f64() > 0.0 => d.as_secs_f64(),
                Ok(_) => {
                    eprintln!("error: --interval must be above 0");
                    return EXIT_INVALID_INPUT;
                }
                Err(e) => {
                    eprintln!("error: --interval: {e}");
                    return EXIT_INVALID_INPUT;
                }
            };
            let normalised_memory_mib = match normalised_memory.as_deref() {
                None => None,
                Some(m) => match crate::scenario::units::parse_bytes(m) {
                    Ok(b) => Some(b as f64 / (1u64 << 20) as f64),
                    Err(e) => {
                        eprintln!("error: --normalised-memory: {e}");
                        return EXIT_INVALID_INPUT;
                    }
                },
            };
            let opts = crate::trace::import::Options {
                interval_s,
                normalised_memory_mib,
            };
            trace::import_command(&format, &src, &out, opts, quiet)
        }
    }
}
