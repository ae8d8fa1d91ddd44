//! `plan-capacity`: the known answer of an Erlang loss system, the evidence around the
//! answer, no answer, and bad objectives.

use super::sweep::{output, TempDir};
use pacsim::capacity::slo::Slo;
use pacsim::capacity::{plan, Question};
use pacsim::sweep::spec::BaseScenario;
use std::path::Path;

/// Erlang's B(n, a): the fraction of arrivals refused by n servers under a Erlang of
/// offered load (the standard recursion B(0) = 1, B(k) = a·B(k−1) / (k + a·B(k−1))).
fn erlang_b(n: u32, a: f64) -> f64 {
    (1..=n).fold(1.0, |b, k| a * b / (k as f64 + a * b))
}

#[test]
fn the_answer_of_an_erlang_loss_system_is_erlangs() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/integration/erlang-loss.yaml");
    let base = BaseScenario::from_file(&path).unwrap();
    let keys = pacsim::sweep::run::metric_names(&base.scenario);
    let a = 10.0; // 10 arrivals per hour x 1 hour
    let target = 0.046;
    let expected = (1..100).find(|&n| erlang_b(n, a) <= target).unwrap();
    assert_eq!(
        expected,
        15,
        "B(14) = {:.4}, B(15) = {:.4}",
        erlang_b(14, a),
        erlang_b(15, a)
    );
    let q = Question {
        vary: "clusters[0].hosts[0].count".into(),
        slos: vec![Slo::parse(&format!("vms_rejected/vms_arrived<={target}"), &keys).unwrap()],
        replications: 3,
        min: 1,
        max: 200,
        start: 12,
    };
    // On one thread: tests run side by side, and some of the others are timed.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let p = pool.install(|| plan(&base, q)).unwrap();
    assert_eq!(p.answer, Some(expected as i64));
    // The evidence: the measured refusal fraction at the answer and one below is close
    // to the formula's in every replication.
    let at = p.at_answer().unwrap();
    let below = p.below_answer().unwrap();
    assert_eq!(below.value, 14);
    assert!(at.pass && !below.pass);
    for (e, n) in [(at, 15), (below, 14)] {
        for r in &e.replications {
            let got = r.values[0];
            assert!(
                (got - erlang_b(n, a)).abs() < 0.006,
                "{n} hosts, seed {}: refused {got:.4}, Erlang B {:.4}",
                r.seed,
                erlang_b(n, a)
            );
        }
    }
    assert_eq!(p.runs, 3 * p.evaluations.len() as u64);
}

#[test]
fn the_command_prints_the_answer_with_evidence_and_writes_a_report() {
    let t = TempDir::new("cap");
    let (out, _) = output(
        &[
            "plan-capacity",
            "scenarios/sweeps/capacity.yaml",
            "--vary",
            "clusters[0].hosts[0].count",
            "--slo",
            "pod_startup_p99<=5s",
            "--slo",
            "rejected==0",
            "--out",
            &t.path("r"),
        ],
        0,
    );
    assert!(
        out.contains("answer: clusters[0].hosts[0].count = "),
        "{out}"
    );
    assert!(
        out.contains("MISSED"),
        "the value below the answer misses: {out}"
    );
    assert!(
        out.contains("not yet: an answer with N host failures tolerated"),
        "{out}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(t.0.join("r/capacity.json")).unwrap())
            .unwrap();
    let answer = json["answer"].as_i64().unwrap();
    assert!(out.contains(&format!("= {answer}\n")));
    assert_eq!(json["question"]["replications"], 3, "from the sweep file");
    assert!(t.0.join("r/capacity.txt").is_file());
}

#[test]
fn no_answer_in_range_is_a_failed_check_and_bad_objectives_are_refused() {
    let t = TempDir::new("cap-none");
    let (out, _) = output(
        &[
            "plan-capacity",
            "scenarios/examples/quickstart.yaml",
            "--vary",
            "clusters[0].hosts[0].count",
            "--slo",
            "pod_startup_p99<=5s",
            "--slo",
            "pending_at_end==0",
            "--max",
            "3",
            "--out",
            &t.path("r"),
        ],
        1,
    );
    assert!(out.contains("no answer"), "{out}");
    let (_, err) = output(
        &[
            "plan-capacity",
            "scenarios/examples/quickstart.yaml",
            "--vary",
            "clusters[0].hosts[0].count",
            "--slo",
            "pod_startup_p99s<=5s",
        ],
        2,
    );
    assert!(
        err.contains("is not a metric") && err.contains("did you mean"),
        "{err}"
    );
    let (_, err) = output(
        &[
            "plan-capacity",
            "scenarios/examples/quickstart.yaml",
            "--vary",
            "clusters[0].hosts[0].cnt",
            "--slo",
            "rejected==0",
        ],
        2,
    );
    assert!(err.contains("did you mean `count`?"), "{err}");
    let (_, err) = output(
        &[
            "plan-capacity",
            "scenarios/sweeps/small.yaml",
            "--vary",
            "clusters[0].hosts[0].count",
            "--slo",
            "rejected==0",
        ],
        2,
    );
    assert!(err.contains("is a sweep with axes"), "{err}");
}
