//! A capacity plan as text: the answer, the evidence (each objective at the answer and
//! one below, in every replication), and the search that found it.

use super::sweep::fmt_num;
use crate::capacity::{CapacityPlan, Evaluation};
use std::fmt::Write as _;

fn num(x: f64) -> String {
    if x.is_nan() {
        "missing".into()
    } else {
        fmt_num(x)
    }
}

/// The report `pacsim plan-capacity` prints and writes as `capacity.txt`.
pub fn text(p: &CapacityPlan) -> String {
    let q = &p.question;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "capacity plan for `{}`: the smallest {} in [{}, {}] meeting every objective in each of {} replication(s)",
        p.scenario, q.vary, q.min, q.max, q.replications
    );
    for s in &q.slos {
        let _ = writeln!(
            out,
            "  objective {}   ({} {} {})",
            s.text,
            s.metric_label(),
            s.op.symbol(),
            fmt_num(s.bound)
        );
    }
    out.push('\n');
    match p.answer {
        Some(a) => {
            let _ = writeln!(out, "answer: {} = {a}", q.vary);
        }
        None => {
            let _ = writeln!(
                out,
                "no answer: the objectives are not all met even at {} = {}",
                q.vary, q.max
            );
        }
    }
    let mut shown: Vec<&Evaluation> = Vec::new();
    match (p.at_answer(), p.below_answer()) {
        (Some(a), b) => {
            shown.push(a);
            shown.extend(b);
        }
        (None, _) => shown.extend(p.evaluations.iter().max_by_key(|e| e.value)),
    }
    if !shown.is_empty() {
        out.push('\n');
        let rows: Vec<Vec<String>> = q
            .slos
            .iter()
            .enumerate()
            .flat_map(|(k, s)| {
                shown.iter().enumerate().map(move |(i, e)| {
                    let met = e.replications.iter().all(|r| r.met[k]);
                    vec![
                        if i == 0 {
                            s.text.clone()
                        } else {
                            String::new()
                        },
                        e.value.to_string(),
                        if met { "met" } else { "MISSED" }.to_string(),
                        num(e.worst(s, k)),
                        e.replications
                            .iter()
                            .map(|r| num(r.values[k]))
                            .collect::<Vec<_>>()
                            .join(", "),
                    ]
                })
            })
            .collect();
        let head = ["objective", "at", "verdict", "worst", "by replication"];
        for line in super::table::lines(&head, &rows, &[false, true, false, true]) {
            let _ = writeln!(out, "{line}");
        }
    }
    out.push('\n');
    let steps: Vec<String> = p
        .evaluations
        .iter()
        .map(|e| format!("{} {}", e.value, if e.pass { "pass" } else { "fail" }))
        .collect();
    let _ = writeln!(
        out,
        "search: {} ({} value(s), {} run(s))",
        steps.join(", "),
        p.evaluations.len(),
        p.runs
    );
    for n in &p.not_yet {
        let _ = writeln!(out, "not yet: {n}");
    }
    out
}
