//! Charts for pages whose data is not a run's recorder (sweeps, capacity plans): a metric
//! against an axis, one line per series, each point with its 95 % confidence interval as
//! an error bar and points that break an objective marked with a red cross. Drawn with
//! plotters' SVG backend, like the run plots, then checked and inlined by [`super::svg`].

use super::svg::{inline, InlineSvg};
use plotters::prelude::*;

const W: u32 = 900;
const H: u32 = 440;
/// Lines drawn at most; more would be unreadable (the page's table has them all).
pub const MAX_SERIES: usize = 10;

/// One point: its x (a number, or a category's position), the mean, the half-width of
/// its 95 % confidence interval, and whether it breaks an objective.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
    pub ci: Option<f64>,
    pub bad: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub label: String,
    pub points: Vec<Point>,
}

/// A metric against one axis.
#[derive(Clone, Debug, PartialEq)]
pub struct LineChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// Category names when the axis is not numeric: point `x` is then the index.
    pub categories: Option<Vec<String>>,
    pub series: Vec<Series>,
}

/// Draws `c` as a checked inline SVG.
pub fn line_chart(c: &LineChart) -> Result<InlineSvg, String> {
    crate::report::plot::register_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (W, H)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        draw(&root, c).map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    inline(&svg, &c.title)
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    c: &LineChart,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let pts = || c.series.iter().take(MAX_SERIES).flat_map(|s| &s.points);
    let (mut x0, mut x1) = match &c.categories {
        Some(cats) => (-0.5, cats.len().max(1) as f64 - 0.5),
        None => pts().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.x), b.max(p.x))
        }),
    };
    if !(x0.is_finite() && x1.is_finite()) {
        (x0, x1) = (0.0, 1.0);
    }
    if x1 - x0 < 1e-12 {
        (x0, x1) = (x0 - 0.5, x1 + 0.5);
    } else if c.categories.is_none() {
        let pad = (x1 - x0) * 0.04;
        (x0, x1) = (x0 - pad, x1 + pad);
    }
    let (mut y0, mut y1) = pts().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
        let h = p.ci.filter(|h| h.is_finite()).unwrap_or(0.0);
        (a.min(p.y - h), b.max(p.y + h))
    });
    if !(y0.is_finite() && y1.is_finite()) {
        (y0, y1) = (0.0, 1.0);
    }
    // Start at zero for non-negative metrics, so differences are not exaggerated.
    if y0 >= 0.0 {
        y0 = 0.0;
    }
    if y1 - y0 < 1e-12 {
        y1 = y0 + 1.0;
    }
    y1 += (y1 - y0) * 0.08;
    let cats = c.categories.clone();
    let mut chart = ChartBuilder::on(root)
        .caption(&c.title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    let formatter = move |x: &f64| match &cats {
        Some(cats) => {
            let i = x.round();
            if (x - i).abs() > 1e-9 || i < 0.0 {
                String::new()
            } else {
                cats.get(i as usize).cloned().unwrap_or_default()
            }
        }
        None => super::format::sig(*x, 3),
    };
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(&c.x_label)
        .y_desc(&c.y_label)
        .x_label_formatter(&formatter);
    if let Some(cats) = &c.categories {
        mesh.x_labels(cats.len() * 2 + 1);
    }
    mesh.draw()?;
    let tick = (x1 - x0) / 150.0;
    for (i, s) in c.series.iter().take(MAX_SERIES).enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(
                s.points.iter().map(|p| (p.x, p.y)),
                color.stroke_width(2),
            ))?
            .label(s.label.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        for p in &s.points {
            if let Some(h) = p.ci.filter(|h| h.is_finite() && *h > 0.0) {
                for seg in [
                    vec![(p.x, p.y - h), (p.x, p.y + h)],
                    vec![(p.x - tick, p.y - h), (p.x + tick, p.y - h)],
                    vec![(p.x - tick, p.y + h), (p.x + tick, p.y + h)],
                ] {
                    chart.draw_series(std::iter::once(PathElement::new(seg, color)))?;
                }
            }
            if p.bad {
                chart.draw_series(std::iter::once(Cross::new(
                    (p.x, p.y),
                    7,
                    RED.stroke_width(3),
                )))?;
            } else {
                chart.draw_series(std::iter::once(Circle::new((p.x, p.y), 3, color.filled())))?;
            }
        }
    }
    if c.series.len() > 1 || c.series.iter().any(|s| !s.label.is_empty()) {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(categories: Option<Vec<String>>) -> LineChart {
        LineChart {
            title: "pod start-up p99 against hosts".into(),
            x_label: "hosts".into(),
            y_label: "seconds".into(),
            categories,
            series: vec![Series {
                label: "policy=<least-loaded>".into(),
                points: vec![
                    Point {
                        x: 0.0,
                        y: 9.0,
                        ci: Some(1.0),
                        bad: true,
                    },
                    Point {
                        x: 1.0,
                        y: 4.0,
                        ci: Some(0.5),
                        bad: false,
                    },
                    Point {
                        x: 2.0,
                        y: 3.5,
                        ci: None,
                        bad: false,
                    },
                ],
            }],
        }
    }

    #[test]
    fn a_chart_is_a_checked_svg_with_its_labels_escaped() {
        let svg = line_chart(&chart(None)).unwrap();
        let s = svg.as_str();
        assert!(s.starts_with("<svg "));
        assert!(s.contains("policy=&lt;least-loaded&gt;"), "legend escaped");
        assert!(!s.contains("<least"));
        // The breach is drawn as a red cross: two red lines.
        assert!(s.matches("stroke=\"#FF0000\"").count() >= 2);
    }

    #[test]
    fn categorical_axes_label_their_positions() {
        let cats = vec![
            "first-fit".to_string(),
            "best-fit".into(),
            "least-loaded".into(),
        ];
        let svg = line_chart(&chart(Some(cats))).unwrap();
        for c in ["first-fit", "best-fit", "least-loaded"] {
            assert!(svg.as_str().contains(c), "{c}");
        }
    }

    #[test]
    fn an_empty_chart_still_draws() {
        let mut c = chart(None);
        c.series.clear();
        assert!(line_chart(&c).is_ok());
    }
}
