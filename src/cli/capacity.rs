//! `pacsim plan-capacity FILE --vary PATH --slo '...' ...`: the files and the terminal
//! around `crate::capacity`.

use super::{EXIT_GATE, EXIT_INVALID_INPUT, EXIT_IO, EXIT_OK};
use crate::capacity::slo::Slo;
use crate::capacity::{plan, Question};
use crate::report;
use crate::sweep::run::metric_names;
use crate::sweep::{load_input, Input};
use std::path::{Path, PathBuf};

/// What `pacsim plan-capacity` takes.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A scenario, or a sweep file without axes (its scenario and replications).
    pub file: PathBuf,
    /// The integer field to vary, by path.
    #[arg(long, default_value = "clusters[0].hosts[0].count")]
    pub vary: String,
    /// An objective: 'pod_startup_p99<=5s', 'rejected==0'. Repeatable.
    #[arg(long = "slo", value_name = "METRIC<=VALUE")]
    pub slos: Vec<String>,
    /// Seeds per value (default: the sweep file's, else 1).
    #[arg(long)]
    pub replications: Option<u64>,
    /// Smallest value searched.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
    pub min: i64,
    /// Largest value searched.
    #[arg(long, default_value_t = 4096, allow_negative_numbers = true)]
    pub max: i64,
    /// Where the search starts (default: the scenario's own value).
    #[arg(long, allow_negative_numbers = true)]
    pub start: Option<i64>,
    /// Report folder (default: results/<scenario name>-capacity/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Threads (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print nothing on success.
    #[arg(long, short)]
    pub quiet: bool,
}

fn refuse(msg: &str, hint: &str) -> i32 {
    eprintln!("error: {msg}\n   = hint: {hint}");
    EXIT_INVALID_INPUT
}

pub fn run(a: Args) -> i32 {
    let (base, file_reps) = match load_input(&a.file) {
        Ok(Input::Scenario(b)) => (*b, None),
        Ok(Input::Sweep(s)) => {
            if !s.axes.is_empty() {
                return refuse(
                    &format!(
                        "{} is a sweep with axes; plan-capacity varies one field of one scenario",
                        a.file.display()
                    ),
                    "give the scenario itself, or a sweep file without `axes` (it supplies the scenario and the replications)",
                );
            }
            let s = *s;
            (s.base, Some(s.replications))
        }
        Err(e) => {
            eprint!("{}", e.render());
            return EXIT_INVALID_INPUT;
        }
    };
    let replications = a.replications.or(file_reps).unwrap_or(1);
    if replications == 0 || replications > crate::sweep::MAX_RUNS {
        return refuse(
            &format!("--replications {replications} is out of range"),
            "use 1 or more (a few, e.g. 3 or 5, is usual)",
        );
    }
    if a.slos.is_empty() {
        return refuse(
            "plan-capacity needs at least one --slo",
            "e.g. --slo 'pod_startup_p99<=5s' --slo 'rejected==0'",
        );
    }
    let keys = metric_names(&base.scenario);
    let mut slos = Vec::new();
    for text in &a.slos {
        match Slo::parse(text, &keys) {
            Ok(s) => slos.push(s),
            Err((msg, hint)) => return refuse(&format!("--slo {msg}"), &hint),
        }
    }
    if a.min > a.max {
        return refuse(
            &format!("--min {} is above --max {}", a.min, a.max),
            "the search range is [--min, --max]",
        );
    }
    let current = base.current_value(&a.vary).and_then(|v| v.as_i64());
    let start = a
        .start
        .or(current)
        .filter(|s| (a.min..=a.max).contains(s))
        .unwrap_or(a.min);
    let q = Question {
        vary: a.vary.clone(),
        slos,
        replications,
        min: a.min,
        max: a.max,
        start,
    };
    let threads = a.threads.unwrap_or(0);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build();
    let result = match &pool {
        Ok(p) => p.install(|| plan(&base, q)),
        Err(_) => plan(&base, q),
    };
    let p = match result {
        Ok(p) => p,
        Err(bad) => {
            eprintln!(
                "error: the scenario is not valid with {} = {}",
                a.vary, bad.value
            );
            eprint!("{}", bad.error.render());
            return EXIT_INVALID_INPUT;
        }
    };
    let text = report::capacity::text(&p);
    let dir = a
        .out
        .unwrap_or_else(|| Path::new("results").join(format!("{}-capacity", p.scenario)));
    let json = serde_json::to_string_pretty(&p).unwrap_or_default() + "\n";
    let files = [
        report::OutputFile {
            path: "capacity.txt".into(),
            bytes: text.clone().into_bytes(),
        },
        report::OutputFile {
            path: "capacity.json".into(),
            bytes: json.into_bytes(),
        },
    ];
    if let Err(e) = report::write_all(&dir, &files) {
        eprintln!("pacsim: cannot write to {}: {e}", dir.display());
        return EXIT_IO;
    }
    if !a.quiet {
        print!("{text}");
        println!("report in {}", dir.display());
    }
    if p.answer.is_some() {
        EXIT_OK
    } else {
        EXIT_GATE
    }
}
