//! The capacity plan page of `pacsim plan-capacity`: the answer on top (the smallest
//! setting of the searched knob that meets every SLO, with each SLO's value there), and
//! the evidence below, the same sections as a sweep report of every candidate tried.

use crate::report::html::{format, Block, Cell, Column, Mark, Page, Row, Section, Table};
use crate::report::run_page::catalogue::describe_or_key;
use crate::report::sweep_page::{self, SweepReport};

/// A capacity plan: the candidates tried (as a sweep whose first axis is the knob) and
/// which one is the answer.
#[derive(Clone, Debug, PartialEq)]
pub struct CapacityReport {
    /// The candidates, one point each; axis 0 is the knob searched.
    pub evidence: SweepReport,
    /// The index into `evidence.points` of the smallest candidate meeting every SLO;
    /// `None` when none did.
    pub answer: Option<usize>,
}

pub fn render(r: &CapacityReport) -> Result<String, String> {
    let e = &r.evidence;
    e.check()?;
    let Some(knob) = e.axes.first() else {
        return Err("a capacity plan needs the knob it searched as its first axis".into());
    };
    if let Some(a) = r.answer {
        if a >= e.points.len() {
            return Err(format!("the answer is point {a}, of {}", e.points.len()));
        }
    }
    let mut s = Section::new("answer", "Answer");
    match r.answer.map(|a| &e.points[a]) {
        Some(p) => {
            let value = &knob.values[p.coords[0]];
            s.push(Block::Answer {
                text: format!(
                    "{} = {value} is the smallest setting that meets every objective.",
                    knob.name
                ),
                good: true,
            });
            let mut t = Table::new(vec![
                Column::text("objective"),
                Column::number(&format!("at {value}")),
                Column::text("met"),
            ]);
            for slo in &e.slos {
                let m = e.metrics.iter().position(|m| m.key == slo.metric);
                let st = m.and_then(|m| p.stats[m]);
                let shown = st.map_or("–".to_string(), |st| {
                    format::mean_ci(st.mean, st.ci95, describe_or_key(&slo.metric).unit)
                });
                t.push(Row::new(vec![
                    Cell::text(slo.text.clone()),
                    Cell::number(shown, st.map_or(f64::NAN, |s| s.mean)),
                    Cell::text("yes").marked(Some(Mark::Good)),
                ]));
            }
            s.push(Block::Table(t));
        }
        None => {
            let largest = e
                .points
                .last()
                .map_or("–", |p| knob.values[p.coords[0]].as_str());
            s.push(Block::Answer {
                text: format!(
                    "No candidate met every objective; the last tried was {} = {largest}.",
                    knob.name
                ),
                good: false,
            });
        }
    }
    s.note(format!(
        "{} candidate(s) tried, {} seed(s) each; the evidence follows.",
        e.points.len(),
        e.seeds_per_point
    ));
    let mut page = Page {
        title: e.name.clone(),
        subtitle: "pacsim capacity plan".into(),
        identity: sweep_page::identity(e),
        sections: vec![s, sweep_page::overview(e), sweep_page::points_table(e)],
        footer: sweep_page::footer(),
    };
    if let Some(c) = sweep_page::charts(e)? {
        page.sections.push(c);
    }
    Ok(page.render())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sweep_page::tests::example;

    fn plan() -> CapacityReport {
        let mut e = example();
        // Search hosts only, with the least-loaded policy.
        e.points.truncate(3);
        e.axes.truncate(1);
        for p in &mut e.points {
            p.coords.truncate(1);
        }
        CapacityReport {
            evidence: e,
            answer: Some(1),
        }
    }

    #[test]
    fn the_answer_comes_first_with_each_objective_at_that_setting() {
        let html = render(&plan()).unwrap();
        let answer = html
            .find("<p class=\"answer\">clusters[0].hosts[0].count = 8 is the smallest")
            .unwrap();
        assert!(answer < html.find("<section id=\"points\">").unwrap());
        // 40 / 8 = 5 s ± 0.5 s meets `<= 5s`.
        assert!(html.contains("<td>pod_startup_p99_s&lt;=5s</td><td class=\"num\" data-sort=\"5\">5.00 s ± 500 ms</td><td class=\"good\">yes</td>"), "{html}");
        assert_eq!(html.matches("<svg").count(), 1);
    }

    #[test]
    fn no_answer_says_so() {
        let mut p = plan();
        p.answer = None;
        let html = render(&p).unwrap();
        assert!(html.contains("<p class=\"answer bad\">No candidate met every objective; the last tried was clusters[0].hosts[0].count = 16.</p>"));
    }

    #[test]
    fn an_answer_outside_the_candidates_is_refused() {
        let mut p = plan();
        p.answer = Some(9);
        assert!(render(&p).is_err());
    }
}
