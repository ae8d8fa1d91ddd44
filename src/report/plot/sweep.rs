//! Charts of a merged sweep: a metric against one axis, one line per combination of the
//! other axes, with a shaded 95% confidence band over replications; and, with a `by`
//! axis, grouped bars with confidence whiskers, one chart per combination of the rest.
//!
//! The data of each chart is gathered first ([`LineChart`], [`BarChart`]: plain values
//! and labels), then drawn, so another renderer can use the same data.

use super::{encode_png, register_font, DrawResult, H, W};
use crate::sweep::merge::{MergedSweep, PlotInfo, PointSummary};
use plotters::coord::Shift;
use plotters::prelude::*;

/// One line of a [`LineChart`]: (x, mean, CI low, CI high) per point.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64, f64, f64)>,
}

/// A metric against one axis.
#[derive(Clone, Debug, PartialEq)]
pub struct LineChart {
    pub title: String,
    pub x_desc: String,
    pub y_desc: String,
    /// Labels of categorical x positions 0, 1, …; `None` when the axis is numeric.
    pub x_labels: Option<Vec<String>>,
    pub series: Vec<Series>,
}

/// Grouped bars: `groups` along x, one bar per entry of `bars` in each.
#[derive(Clone, Debug, PartialEq)]
pub struct BarChart {
    pub title: String,
    pub x_desc: String,
    pub y_desc: String,
    pub groups: Vec<String>,
    pub bars: Vec<String>,
    /// `values[g][b]` = (mean, CI low, CI high), `None` where there is no value.
    pub values: Vec<Vec<Option<(f64, f64, f64)>>>,
}

/// A file stem from free text: letters, digits, `-` and `_` only.
fn stem(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    while out.contains("__") {
        out = out.replace("__", "_");
    }
    out.trim_matches('_').to_string()
}

/// The points whose coordinates match `fixed` on the axes it names.
fn matching<'a>(
    m: &'a MergedSweep,
    fixed: &'a [(usize, usize)],
) -> impl Iterator<Item = &'a PointSummary> + 'a {
    m.points
        .iter()
        .filter(move |p| fixed.iter().all(|&(a, c)| p.coords[a] == c))
}

/// Every combination of positions on `axes`, in sweep order.
fn combinations(m: &MergedSweep, axes: &[usize]) -> Vec<Vec<(usize, usize)>> {
    let mut out = vec![Vec::new()];
    for &a in axes {
        let n = m.info.axes[a].values.len();
        out = out
            .into_iter()
            .flat_map(|combo| {
                (0..n).map(move |c| {
                    let mut next = combo.clone();
                    next.push((a, c));
                    next
                })
            })
            .collect();
    }
    out
}

fn describe(m: &MergedSweep, fixed: &[(usize, usize)]) -> String {
    fixed
        .iter()
        .map(|&(a, c)| format!("{}={}", m.info.axes[a].name, m.value_label(a, c)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn mean_ci(p: &PointSummary, metric: usize) -> Option<(f64, f64, f64)> {
    let s = p.stats[metric]?;
    let (lo, hi) = s.ci95.unwrap_or((s.mean, s.mean));
    Some((s.mean, lo, hi))
}

/// The data of the line chart of `plot` (metric against `plot.x`).
pub fn line_chart(m: &MergedSweep, plot: &PlotInfo) -> Option<LineChart> {
    let k = m.metric(&plot.metric)?;
    let x = plot.x;
    let axis = &m.info.axes[x];
    let numeric: Option<Vec<f64>> = axis.values.iter().map(|v| v.as_f64()).collect();
    let others: Vec<usize> = (0..m.info.axes.len()).filter(|&a| a != x).collect();
    let series = combinations(m, &others)
        .into_iter()
        .map(|fixed| Series {
            label: if fixed.is_empty() {
                plot.metric.clone()
            } else {
                describe(m, &fixed)
            },
            points: matching(m, &fixed)
                .filter_map(|p| {
                    let c = p.coords[x];
                    let xv = numeric.as_ref().map_or(c as f64, |v| v[c]);
                    mean_ci(p, k).map(|(mean, lo, hi)| (xv, mean, lo, hi))
                })
                .collect(),
        })
        .collect();
    Some(LineChart {
        title: format!(
            "{} against {} (mean of {} replication(s), 95% CI)",
            plot.metric, axis.name, m.info.replications
        ),
        x_desc: axis.name.clone(),
        y_desc: plot.metric.clone(),
        x_labels: numeric.is_none().then(|| {
            (0..axis.values.len())
                .map(|c| m.value_label(x, c))
                .collect()
        }),
        series,
    })
}

/// The data of the grouped bar charts of `plot` (one per combination of the axes other
/// than `x` and `by`), with the text that tells them apart.
pub fn bar_charts(m: &MergedSweep, plot: &PlotInfo) -> Vec<(String, BarChart)> {
    let (Some(k), Some(by)) = (m.metric(&plot.metric), plot.by) else {
        return Vec::new();
    };
    let x = plot.x;
    let rest: Vec<usize> = (0..m.info.axes.len())
        .filter(|&a| a != x && a != by)
        .collect();
    let (nx, nb) = (m.info.axes[x].values.len(), m.info.axes[by].values.len());
    combinations(m, &rest)
        .into_iter()
        .map(|fixed| {
            let mut values = vec![vec![None; nb]; nx];
            for p in matching(m, &fixed) {
                values[p.coords[x]][p.coords[by]] = mean_ci(p, k);
            }
            let which = describe(m, &fixed);
            let chart = BarChart {
                title: format!(
                    "{} by {} and {}{} (mean, 95% CI)",
                    plot.metric,
                    m.info.axes[x].name,
                    m.info.axes[by].name,
                    if which.is_empty() {
                        String::new()
                    } else {
                        format!(", {which}")
                    }
                ),
                x_desc: m.info.axes[x].name.clone(),
                y_desc: plot.metric.clone(),
                groups: (0..nx).map(|c| m.value_label(x, c)).collect(),
                bars: (0..nb)
                    .map(|c| format!("{}={}", m.info.axes[by].name, m.value_label(by, c)))
                    .collect(),
                values,
            };
            (which, chart)
        })
        .collect()
}

/// The y range from 0 (or below, for negative values) to above the highest value, with
/// room at the top for the legend.
fn y_range(lo: f64, hi: f64) -> std::ops::Range<f64> {
    let lo = lo.min(0.0);
    let span = (hi - lo).max(1e-9);
    lo..hi + span * 0.25
}

/// Labels categorical positions 0, 1, … on an axis; other positions get none.
fn category(labels: Vec<String>) -> impl Fn(&f64) -> String {
    move |x: &f64| {
        let i = x.round();
        if (x - i).abs() > 1e-6 || i < 0.0 {
            String::new()
        } else {
            labels.get(i as usize).cloned().unwrap_or_default()
        }
    }
}

fn draw_line<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &LineChart) -> DrawResult<DB> {
    let pts = c.series.iter().flat_map(|s| s.points.iter());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, _, lo, hi) in pts {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(lo);
        y1 = y1.max(hi);
    }
    if x0 > x1 {
        (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
    }
    let pad = ((x1 - x0) * 0.04).max(0.5);
    let mut chart = ChartBuilder::on(root)
        .caption(&c.title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(72)
        .build_cartesian_2d(x0 - pad..x1 + pad, y_range(y0, y1))?;
    let n_labels = c.x_labels.as_ref().map_or(10, |l| l.len() * 2 + 1);
    let categories = c.x_labels.clone().map(category);
    let fmt = move |x: &f64| match &categories {
        None => format!("{x}"),
        Some(f) => f(x),
    };
    chart
        .configure_mesh()
        .x_desc(&c.x_desc)
        .y_desc(&c.y_desc)
        .x_labels(n_labels)
        .x_label_formatter(&fmt)
        .draw()?;
    for (i, s) in c.series.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        if s.points.iter().any(|p| p.3 > p.2) {
            let band: Vec<(f64, f64)> = s
                .points
                .iter()
                .map(|p| (p.0, p.3))
                .chain(s.points.iter().rev().map(|p| (p.0, p.2)))
                .collect();
            chart.draw_series(std::iter::once(Polygon::new(
                band,
                color.mix(0.18).filled(),
            )))?;
        }
        chart
            .draw_series(LineSeries::new(
                s.points.iter().map(|p| (p.0, p.1)),
                color.stroke_width(2),
            ))?
            .label(s.label.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        chart.draw_series(
            s.points
                .iter()
                .map(|p| Circle::new((p.0, p.1), 3, color.filled())),
        )?;
    }
    if c.series.len() > 1 || c.series.first().is_some_and(|s| s.label != c.y_desc) {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()?;
    }
    Ok(())
}

fn draw_bars<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &BarChart) -> DrawResult<DB> {
    let all = c.values.iter().flatten().flatten();
    let (y0, y1) = all.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v.1), b.max(v.2)));
    let (y0, y1) = if y0 > y1 { (0.0, 1.0) } else { (y0, y1) };
    let ng = c.groups.len().max(1);
    let nb = c.bars.len().max(1);
    let mut chart = ChartBuilder::on(root)
        .caption(&c.title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(72)
        .build_cartesian_2d(-0.5..ng as f64 - 0.5, y_range(y0, y1))?;
    let fmt = category(c.groups.clone());
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc(&c.x_desc)
        .y_desc(&c.y_desc)
        .x_labels(ng * 2 + 1)
        .x_label_formatter(&fmt)
        .draw()?;
    let width = 0.8 / nb as f64;
    for (b, label) in c.bars.iter().enumerate() {
        let color = Palette99::pick(b).to_rgba();
        let left = |g: usize| g as f64 - 0.4 + width * b as f64;
        chart
            .draw_series(c.values.iter().enumerate().filter_map(|(g, v)| {
                let (mean, _, _) = v[b]?;
                Some(Rectangle::new(
                    [
                        (left(g) + width * 0.08, 0.0),
                        (left(g) + width * 0.92, mean),
                    ],
                    color.filled(),
                ))
            }))?
            .label(label.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], color.filled()));
        // Whiskers: the interval, with a cap at each end.
        let cap = width * 0.2;
        chart.draw_series(c.values.iter().enumerate().flat_map(|(g, v)| {
            let mid = left(g) + width / 2.0;
            v[b].filter(|(_, lo, hi)| hi > lo)
                .map(|(_, lo, hi)| {
                    [
                        vec![(mid, lo), (mid, hi)],
                        vec![(mid - cap, lo), (mid + cap, lo)],
                        vec![(mid - cap, hi), (mid + cap, hi)],
                    ]
                })
                .into_iter()
                .flatten()
                .map(|p| PathElement::new(p, BLACK.stroke_width(1)))
        }))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()?;
    Ok(())
}

/// Every chart the sweep asks for: (file stem, PNG, SVG).
pub fn all(m: &MergedSweep) -> Result<Vec<(String, Vec<u8>, String)>, String> {
    let mut out = Vec::new();
    for plot in &m.info.plots {
        let x_name = stem(&m.info.axes[plot.x].name);
        match plot.by {
            None => {
                if let Some(c) = line_chart(m, plot) {
                    let (png, svg) = both!(draw_line, &c)?;
                    out.push((format!("{}-vs-{x_name}", stem(&plot.metric)), png, svg));
                }
            }
            Some(by) => {
                let charts = bar_charts(m, plot);
                let many = charts.len() > 1;
                for (i, (_, c)) in charts.iter().enumerate() {
                    let (png, svg) = both!(draw_bars, c)?;
                    let mut name = format!(
                        "{}-by-{x_name}-and-{}",
                        stem(&plot.metric),
                        stem(&m.info.axes[by].name)
                    );
                    if many {
                        name.push_str(&format!("-{}", i + 1));
                    }
                    out.push((name, png, svg));
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_are_plain() {
        assert_eq!(
            stem("clusters[0].hosts[0].count"),
            "clusters_0_hosts_0_count"
        );
        assert_eq!(stem("pod_startup_p99_s"), "pod_startup_p99_s");
    }
}
