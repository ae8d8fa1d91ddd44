//! The sweep report: the points of a sweep as a sortable table (mean ± 95 % CI per metric,
//! the points that break an SLO marked) and charts of chosen metrics against each axis.
//!
//! Drawn from a plain [`SweepReport`] that `pacsim sweep merge` fills from its merged
//! summaries, so this page knows nothing of how sweeps run or merge.

use crate::report::html::chart::{self, LineChart, Point, Series};
use crate::report::html::{format, Block, Cell, Column, Mark, Page, Row, Section, Table, Unit};
use crate::report::run_page::catalogue::describe_or_key;

/// One axis of the sweep: the field it varies and its values, as written in the sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    pub name: String,
    pub values: Vec<String>,
}

/// A metric's mean over a point's seeds and the half-width of its 95 % confidence
/// interval (`None` with a single seed).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stat {
    pub mean: f64,
    pub ci95: Option<f64>,
}

/// A service-level objective as the user wrote it (`pod_startup_p99_s<=5s`) and the
/// metric it bounds.
#[derive(Clone, Debug, PartialEq)]
pub struct Slo {
    pub text: String,
    pub metric: String,
}

/// One point of the sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepPoint {
    /// The point index (what `sweep run --index` takes).
    pub index: usize,
    /// For each axis, the index of this point's value in [`Axis::values`].
    pub coords: Vec<usize>,
    /// One entry per [`SweepReport::metrics`], in order (`None`: the metric is missing).
    pub stats: Vec<Option<Stat>>,
    /// Indices into [`SweepReport::slos`] of the objectives this point breaks.
    pub breaches: Vec<usize>,
}

/// A column of the points table, and whether it is also charted against each axis.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricColumn {
    pub key: String,
    pub chart: bool,
}

/// A chart already drawn into the sweep's output folder (`plots/<name>.svg`, e.g. by
/// `pacsim sweep merge`'s plotters charts), shown inline instead of the page's own.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepPlot {
    /// The file stem under `plots/` (linked beside the chart).
    pub name: String,
    pub caption: String,
    /// The SVG text; checked like a run's plots before it is inlined.
    pub svg: String,
}

/// Everything the sweep page shows.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepReport {
    pub name: String,
    pub pacsim_version: String,
    pub scenario_hash: Option<String>,
    pub seeds_per_point: usize,
    pub axes: Vec<Axis>,
    pub metrics: Vec<MetricColumn>,
    pub slos: Vec<Slo>,
    pub points: Vec<SweepPoint>,
    /// Charts drawn elsewhere; when empty, the page draws each charted metric against
    /// each axis itself (with the points that break an objective crossed).
    pub plots: Vec<SweepPlot>,
}

impl SweepReport {
    fn unit(&self, m: usize) -> Unit {
        describe_or_key(&self.metrics[m].key).unit
    }

    /// Checks that the points agree with the axes, metrics and SLOs they index.
    pub fn check(&self) -> Result<(), String> {
        for p in &self.points {
            if p.coords.len() != self.axes.len() {
                return Err(format!(
                    "point {} has {} coordinates for {} axes",
                    p.index,
                    p.coords.len(),
                    self.axes.len()
                ));
            }
            if let Some((a, &c)) = p
                .coords
                .iter()
                .enumerate()
                .find(|(a, &c)| c >= self.axes[*a].values.len())
            {
                return Err(format!(
                    "point {}: value {c} of axis `{}`, which has {}",
                    p.index,
                    self.axes[a].name,
                    self.axes[a].values.len()
                ));
            }
            if p.stats.len() != self.metrics.len() {
                return Err(format!(
                    "point {} has {} metrics, the report {}",
                    p.index,
                    p.stats.len(),
                    self.metrics.len()
                ));
            }
            if let Some(b) = p.breaches.iter().find(|&&b| b >= self.slos.len()) {
                return Err(format!(
                    "point {} breaks SLO {b}, which is not listed",
                    p.index
                ));
            }
        }
        Ok(())
    }
}

/// The page.
pub fn render(r: &SweepReport) -> Result<String, String> {
    r.check()?;
    let mut page = Page {
        title: r.name.clone(),
        subtitle: "pacsim sweep report".into(),
        identity: identity(r),
        sections: Vec::new(),
        footer: footer(),
    };
    page.sections.push(overview(r));
    page.sections.push(points_table(r));
    if let Some(s) = charts(r)? {
        page.sections.push(s);
    }
    Ok(page.render())
}

pub(crate) fn footer() -> String {
    format!("Drawn by pacsim {}.", env!("CARGO_PKG_VERSION"))
}

pub(crate) fn identity(r: &SweepReport) -> Vec<(String, String)> {
    let mut v = vec![
        ("scenario".into(), r.name.clone()),
        ("points".into(), r.points.len().to_string()),
        ("seeds per point".into(), r.seeds_per_point.to_string()),
    ];
    for a in &r.axes {
        v.push((format!("axis {}", a.name), a.values.join(", ")));
    }
    if let Some(h) = &r.scenario_hash {
        v.push(("scenario hash".into(), h.clone()));
    }
    v.push(("pacsim".into(), r.pacsim_version.clone()));
    v
}

/// How many points break each SLO.
pub(crate) fn overview(r: &SweepReport) -> Section {
    let mut s = Section::new("overview", "Objectives");
    if r.slos.is_empty() {
        s.text("No service-level objective was given.");
        return s;
    }
    let breaking = r.points.iter().filter(|p| !p.breaches.is_empty()).count();
    s.text(format!(
        "{breaking} of {} point(s) break at least one objective; they are marked in the table and crossed in the charts.",
        r.points.len()
    ));
    let mut t = Table::new(vec![
        Column::text("objective"),
        Column::number("points breaking it"),
    ]);
    for (i, slo) in r.slos.iter().enumerate() {
        let n = r.points.iter().filter(|p| p.breaches.contains(&i)).count();
        t.push(Row::new(vec![
            Cell::text(slo.text.clone()),
            Cell::number(n.to_string(), n as f64).marked((n > 0).then_some(Mark::Bad)),
        ]));
    }
    s.push(Block::Table(t));
    s
}

/// Every point: its axis values, each metric's mean ± CI, the objectives it breaks.
pub(crate) fn points_table(r: &SweepReport) -> Section {
    let mut s = Section::new("points", "Points");
    s.text(if r.seeds_per_point > 1 {
        format!(
            "Each value is the mean over {} seeds ± the half-width of its 95 % confidence interval (Student's t); click a heading to sort (by the mean).",
            r.seeds_per_point
        )
    } else {
        "One seed per point, so no confidence interval; click a heading to sort.".into()
    });
    let mut cols = vec![Column::number("point")];
    // An axis of numbers is a numeric column (right-aligned, sorted as numbers).
    cols.extend(r.axes.iter().map(|a| {
        if a.values.iter().all(|v| v.parse::<f64>().is_ok()) {
            Column::number(&a.name)
        } else {
            Column::text(&a.name)
        }
    }));
    for m in &r.metrics {
        let info = describe_or_key(&m.key);
        let mut c = Column::number(&m.key);
        c.title = Some(format!("{}: {}", info.label, info.meaning));
        cols.push(c);
    }
    cols.push(Column::text("breaks"));
    let mut t = Table::new(cols).sortable();
    for p in &r.points {
        let mut cells = vec![Cell::number(p.index.to_string(), p.index as f64)];
        for (a, &c) in p.coords.iter().enumerate() {
            let v = &r.axes[a].values[c];
            cells.push(match v.parse::<f64>() {
                Ok(x) => Cell::number(v.clone(), x),
                Err(_) => Cell::text(v.clone()),
            });
        }
        for (m, st) in p.stats.iter().enumerate() {
            let broken = p
                .breaches
                .iter()
                .any(|&b| r.slos[b].metric == r.metrics[m].key);
            cells.push(match st {
                Some(st) => Cell::number(format::mean_ci(st.mean, st.ci95, r.unit(m)), st.mean)
                    .marked(broken.then_some(Mark::Bad)),
                None => Cell::text("–"),
            });
        }
        let breaks: Vec<&str> = p
            .breaches
            .iter()
            .map(|&b| r.slos[b].text.as_str())
            .collect();
        cells.push(Cell::text(breaks.join("; ")));
        let mut row = Row::keyed(&p.index.to_string(), cells);
        if !p.breaches.is_empty() {
            row.mark = Some(Mark::Bad);
        }
        t.push(row);
    }
    s.push(Block::Table(t));
    s
}

/// The charts: those given in [`SweepReport::plots`], or else each charted metric against
/// each axis, one line per combination of the other axes.
pub(crate) fn charts(r: &SweepReport) -> Result<Option<Section>, String> {
    if !r.plots.is_empty() {
        let mut s = Section::new("charts", "Charts");
        for p in &r.plots {
            let svg = crate::report::html::svg::inline(&p.svg, &p.caption)
                .map_err(|e| format!("plots/{}.svg: {e}", p.name))?;
            s.push(Block::Figure(crate::report::html::Figure {
                id: format!("plot-{}", p.name),
                svg,
                caption: p.caption.clone(),
                links: vec![
                    crate::report::html::Link::file(&format!("plots/{}.svg", p.name), ""),
                    crate::report::html::Link::file(&format!("plots/{}.png", p.name), ""),
                ],
            }));
        }
        return Ok(Some(s));
    }
    let charted: Vec<usize> = (0..r.metrics.len())
        .filter(|&m| r.metrics[m].chart)
        .collect();
    if charted.is_empty() || r.axes.is_empty() || r.points.is_empty() {
        return Ok(None);
    }
    let mut s = Section::new("charts", "Charts");
    s.text("Means with their 95 % confidence intervals; a red cross is a point that breaks an objective on that metric.");
    let mut n_chart = 0;
    for &m in &charted {
        for a in 0..r.axes.len() {
            let c = line_chart(r, m, a);
            if c.series.len() > chart::MAX_SERIES {
                s.note(format!(
                    "{} against {}: {} lines, the first {} drawn (the table has them all).",
                    r.metrics[m].key,
                    r.axes[a].name,
                    c.series.len(),
                    chart::MAX_SERIES
                ));
            }
            s.push(Block::Figure(crate::report::html::Figure {
                id: format!("chart-{n_chart}"),
                svg: chart::line_chart(&c)?,
                caption: c.title.clone(),
                links: Vec::new(),
            }));
            n_chart += 1;
        }
    }
    Ok(Some(s))
}

fn line_chart(r: &SweepReport, m: usize, a: usize) -> LineChart {
    let axis = &r.axes[a];
    let numeric: Option<Vec<f64>> = axis.values.iter().map(|v| v.parse().ok()).collect();
    // Series: points grouped by their other coordinates, in order of first appearance.
    let mut groups: Vec<(Vec<usize>, Vec<&SweepPoint>)> = Vec::new();
    for p in &r.points {
        let key: Vec<usize> = p
            .coords
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != a)
            .map(|(_, &c)| c)
            .collect();
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(p),
            None => groups.push((key, vec![p])),
        }
    }
    let series = groups
        .into_iter()
        .map(|(key, mut pts)| {
            pts.sort_by_key(|p| p.coords[a]);
            let others: Vec<usize> = (0..r.axes.len()).filter(|&i| i != a).collect();
            let label = others
                .iter()
                .zip(&key)
                .map(|(&i, &c)| format!("{}={}", short(&r.axes[i].name), r.axes[i].values[c]))
                .collect::<Vec<_>>()
                .join(", ");
            Series {
                label,
                points: pts
                    .iter()
                    .filter_map(|p| {
                        let st = p.stats[m]?;
                        let x = match &numeric {
                            Some(xs) => xs[p.coords[a]],
                            None => p.coords[a] as f64,
                        };
                        let bad = p
                            .breaches
                            .iter()
                            .any(|&b| r.slos[b].metric == r.metrics[m].key);
                        Some(Point {
                            x,
                            y: st.mean,
                            ci: st.ci95,
                            bad,
                        })
                    })
                    .collect(),
            }
        })
        .collect();
    let info = describe_or_key(&r.metrics[m].key);
    let sym = info.unit.symbol();
    LineChart {
        title: format!("{} against {}", r.metrics[m].key, axis.name),
        x_label: axis.name.clone(),
        y_label: if sym.is_empty() || info.unit == Unit::Fraction {
            info.label
        } else {
            format!("{} ({sym})", info.label)
        },
        categories: numeric.is_none().then(|| axis.values.clone()),
        series,
    }
}

/// The last part of a field path (`clusters[0].hosts[0].count` → `count`), for legends.
fn short(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Two axes (hosts × policy), two metrics, one SLO broken by the smallest cluster.
    pub fn example() -> SweepReport {
        let hosts = ["4", "8", "16"];
        let policies = ["least-loaded", "<best-fit>"];
        let mut points = Vec::new();
        for (p, _) in policies.iter().enumerate() {
            for (h, n) in hosts.iter().enumerate() {
                let n: f64 = n.parse().unwrap();
                let p99 = 40.0 / n + p as f64;
                points.push(SweepPoint {
                    index: points.len(),
                    coords: vec![h, p],
                    stats: vec![
                        Some(Stat {
                            mean: p99,
                            ci95: Some(0.1 * p99),
                        }),
                        Some(Stat {
                            mean: 0.9 * 4.0 / n,
                            ci95: Some(0.01),
                        }),
                    ],
                    breaches: if p99 > 5.0 { vec![0] } else { vec![] },
                });
            }
        }
        SweepReport {
            name: "capacity <sweep>".into(),
            pacsim_version: "0.1.0".into(),
            scenario_hash: Some("00ff".into()),
            seeds_per_point: 5,
            axes: vec![
                Axis {
                    name: "clusters[0].hosts[0].count".into(),
                    values: hosts.iter().map(|s| s.to_string()).collect(),
                },
                Axis {
                    name: "clusters[0].placement.policy".into(),
                    values: policies.iter().map(|s| s.to_string()).collect(),
                },
            ],
            metrics: vec![
                MetricColumn {
                    key: "pod_startup_p99_s".into(),
                    chart: true,
                },
                MetricColumn {
                    key: "cpu_util_mean".into(),
                    chart: false,
                },
            ],
            slos: vec![Slo {
                text: "pod_startup_p99_s<=5s".into(),
                metric: "pod_startup_p99_s".into(),
            }],
            points,
            plots: Vec::new(),
        }
    }

    #[test]
    fn the_points_table_shows_means_with_their_intervals_and_marks_breaches() {
        let html = render(&example()).unwrap();
        // Point 0: 4 hosts, least-loaded, p99 = 10 s ± 1 s: breaks the SLO.
        assert!(html.contains(
            "<tr data-key=\"0\" class=\"bad\"><td class=\"num\" data-sort=\"0\">0</td><td class=\"num\" data-sort=\"4\">4</td><td>least-loaded</td><td class=\"num bad\" data-sort=\"10\">10.0 s ± 1.00 s</td><td class=\"num\" data-sort=\"0.9\">90.0 % ± 1.00 %</td><td>pod_startup_p99_s&lt;=5s</td></tr>"
        ), "{html}");
        // Point 2: 16 hosts, 2.5 s: no breach.
        assert!(html.contains("<tr data-key=\"2\"><td class=\"num\" data-sort=\"2\">2</td>"));
        assert!(html.contains("<table class=\"sortable\">"));
        // 3 of 6 points break it (4 hosts both policies, 8 hosts with best-fit: 6 s).
        assert!(html.contains("3 of 6 point(s) break at least one objective"));
    }

    #[test]
    fn one_chart_per_charted_metric_and_axis_with_names_escaped() {
        let html = render(&example()).unwrap();
        // pod_startup_p99_s against 2 axes; cpu_util_mean is not charted.
        assert_eq!(html.matches("<svg").count(), 2);
        assert!(html.contains("pod_startup_p99_s against clusters[0].placement.policy"));
        assert!(!html.contains("<best-fit>"));
        assert!(html.contains("&lt;best-fit&gt;"));
        assert!(html.contains("<h1>capacity &lt;sweep&gt;</h1>"));
    }

    #[test]
    fn charts_drawn_elsewhere_are_checked_and_inlined_instead() {
        let mut r = example();
        let svg = chart::line_chart(&line_chart(&r, 0, 0)).unwrap();
        // Any plotters SVG will do; this one is the page's own chart, drawn by hand.
        let mut plotted = String::new();
        {
            use plotters::prelude::*;
            crate::report::plot::register_font();
            let root = SVGBackend::with_string(&mut plotted, (200, 100)).into_drawing_area();
            root.fill(&WHITE).unwrap();
            root.draw_text(
                "p99 <by> hosts",
                &("sans-serif", 12).into_text_style(&root),
                (5, 5),
            )
            .unwrap();
            root.present().unwrap();
        }
        r.plots = vec![SweepPlot {
            name: "pod_startup_p99_s-vs-count".into(),
            caption: "from sweep merge".into(),
            svg: plotted,
        }];
        let html = render(&r).unwrap();
        assert_eq!(html.matches("<svg").count(), 1);
        assert!(html.contains("p99 &lt;by&gt; hosts"));
        assert!(html.contains("<a href=\"plots/pod_startup_p99_s-vs-count.svg\">"));
        assert!(
            !html.contains(svg.as_str()),
            "the page's own charts are not drawn"
        );
        r.plots[0].svg = "<svg><script>alert(1)</script></svg>".into();
        assert!(render(&r)
            .unwrap_err()
            .starts_with("plots/pod_startup_p99_s-vs-count.svg: "));
    }

    #[test]
    fn inconsistent_points_are_refused() {
        let mut r = example();
        r.points[3].coords = vec![7, 0];
        assert!(render(&r).unwrap_err().contains("value 7 of axis"));
        let mut r = example();
        r.points[1].breaches = vec![3];
        assert!(render(&r).is_err());
        let mut r = example();
        r.points[0].stats.pop();
        assert!(render(&r).is_err());
    }

    #[test]
    fn a_single_seed_sweep_without_objectives() {
        let mut r = example();
        r.seeds_per_point = 1;
        r.slos.clear();
        for p in &mut r.points {
            p.breaches.clear();
            for s in p.stats.iter_mut().flatten() {
                s.ci95 = None;
            }
        }
        let html = render(&r).unwrap();
        assert!(html.contains("No service-level objective was given."));
        assert!(html.contains(">10.0 s</td>"));
        assert!(!html.contains("class=\"bad\""));
    }
}
