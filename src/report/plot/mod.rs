//! Charts of a run, drawn with plotters into memory as PNG (with the embedded DejaVu Sans
//! font, so no system font library is needed) and SVG.

use crate::metrics::Recorder;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::sync::Once;

const W: u32 = 1000;
const H: u32 = 560;
/// Heatmaps are aggregated to at most this many cells per axis, so a 1,000-host run
/// still gives a small SVG.
const HEAT_ROWS: usize = 100;
const HEAT_COLS: usize = 240;

static FONT: Once = Once::new();

/// Registers the embedded font (once): plotters measures text with it, for SVG too.
pub(crate) fn register_font() {
    FONT.call_once(|| {
        let bytes: &'static [u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
        // The font is compiled in; failing to parse it is a build defect.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, bytes);
    });
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Encodes an RGB buffer as PNG.
fn encode_png(rgb: &[u8]) -> Result<Vec<u8>, String> {
    let mut png = Vec::new();
    let mut enc = png::Encoder::new(&mut png, W, H);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header().map_err(|e| e.to_string())?;
    w.write_image_data(rgb).map_err(|e| e.to_string())?;
    w.finish().map_err(|e| e.to_string())?;
    Ok(png)
}

/// Renders chart function `$f` to PNG bytes and SVG text.
macro_rules! both {
    ($f:ident, $rec:expr) => {{
        register_font();
        let mut rgb = vec![0u8; (W * H * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut rgb, (W, H)).into_drawing_area();
            root.fill(&WHITE).map_err(|e| e.to_string())?;
            $f(&root, $rec).map_err(|e| e.to_string())?;
            root.present().map_err(|e| e.to_string())?;
        }
        let png = encode_png(&rgb)?;
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (W, H)).into_drawing_area();
            root.fill(&WHITE).map_err(|e| e.to_string())?;
            $f(&root, $rec).map_err(|e| e.to_string())?;
            root.present().map_err(|e| e.to_string())?;
        }
        Ok::<_, String>((png, svg))
    }};
}

/// A rendered chart: file stem, PNG bytes, SVG text.
pub type Chart = (&'static str, Vec<u8>, String);

/// Every chart of a run.
pub fn all(rec: &Recorder) -> Result<Vec<Chart>, String> {
    let mut out = Vec::new();
    let (p, s) = both!(utilisation, rec)?;
    out.push(("cluster_utilisation", p, s));
    let (p, s) = both!(counts, rec)?;
    out.push(("instances", p, s));
    let (p, s) = both!(heatmap, rec)?;
    out.push(("host_cpu_heatmap", p, s));
    let (p, s) = both!(startup_cdf, rec)?;
    out.push(("pod_startup_cdf", p, s));
    if !rec.drs_passes_log.is_empty() {
        let (p, s) = both!(drs_passes, rec)?;
        out.push(("drs_passes", p, s));
        let (p, s) = both!(vmotion_cdf, rec)?;
        out.push(("vmotion_duration_cdf", p, s));
    }
    Ok(out)
}

/// DRS: imbalance before each pass against the level's target (above), and the moves
/// each pass recommended (below), per cluster.
fn drs_passes<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, rec: &Recorder) -> DrawResult<DB> {
    let (top, bottom) = root.split_vertically(H * 62 / 100);
    let log = &rec.drs_passes_log;
    let y_max = log
        .iter()
        .map(|p| p.imbalance.max(p.target.unwrap_or(0.0)))
        .fold(0.01, f64::max)
        * 1.1;
    let mut chart = ChartBuilder::on(&top)
        .caption(
            "DRS: imbalance before each pass, and the threshold's target",
            ("sans-serif", 22),
        )
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..x_max(rec), 0.0..y_max)?;
    chart.configure_mesh().y_desc("imbalance").draw()?;
    for (ci, name) in rec.cluster_names.iter().enumerate() {
        let pts: Vec<&crate::metrics::recorder::DrsPassPoint> =
            log.iter().filter(|p| p.cluster == ci).collect();
        if pts.is_empty() {
            continue;
        }
        let color = Palette99::pick(ci).to_rgba();
        chart
            .draw_series(LineSeries::new(
                pts.iter()
                    .map(|p| (p.time.as_secs_f64() / 3600.0, p.imbalance)),
                color.stroke_width(2),
            ))?
            .label(format!("{name} imbalance"))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        let targets: Vec<(f64, f64)> = pts
            .iter()
            .filter_map(|p| p.target.map(|t| (p.time.as_secs_f64() / 3600.0, t)))
            .collect();
        chart
            .draw_series(LineSeries::new(targets, color.mix(0.5).stroke_width(1)))?
            .label(format!("{name} target"))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.mix(0.5).stroke_width(1))
            });
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    let moves_max = log.iter().map(|p| p.moves).max().unwrap_or(0).max(1) as f64 * 1.1;
    let mut bars = ChartBuilder::on(&bottom)
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..x_max(rec), 0.0..moves_max)?;
    bars.configure_mesh()
        .x_desc("simulated time (h)")
        .y_desc("moves per pass")
        .draw()?;
    let width = x_max(rec) / 400.0;
    bars.draw_series(log.iter().filter(|p| p.moves > 0).map(|p| {
        let x = p.time.as_secs_f64() / 3600.0;
        Rectangle::new(
            [(x - width, 0.0), (x + width, p.moves as f64)],
            Palette99::pick(p.cluster).filled(),
        )
    }))?;
    Ok(())
}

/// The distribution of vMotion durations (pre-copy and switch-over).
fn vmotion_cdf<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    rec: &Recorder,
) -> DrawResult<DB> {
    let h = &rec.vmotion_us;
    let caption = format!("vMotion duration CDF ({} migrations started)", h.len());
    cdf_chart(
        root,
        h,
        &caption,
        "duration (s): pre-copy rounds and switch-over",
        "fraction of migrations",
    )
}

/// A step CDF of a histogram of microseconds, in seconds, with its p50 and p99 marked.
fn cdf_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    h: &hdrhistogram::Histogram<u64>,
    caption: &str,
    x_desc: &str,
    y_desc: &str,
) -> DrawResult<DB> {
    let max_s = if h.is_empty() {
        1.0
    } else {
        (h.max() as f64 / 1e6).max(1e-3) * 1.05
    };
    let mut chart = ChartBuilder::on(root)
        .caption(caption, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..max_s, 0.0..1.0)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .draw()?;
    if !h.is_empty() {
        chart.draw_series(LineSeries::new(cdf_steps(h), BLUE.stroke_width(2)))?;
        for (q, label) in [(0.5, "p50"), (0.99, "p99")] {
            let x = h.value_at_quantile(q) as f64 / 1e6;
            chart.draw_series(LineSeries::new(
                vec![(x, 0.0), (x, 1.0)],
                RED.mix(0.6).stroke_width(1),
            ))?;
            let y = if q < 0.9 { 0.15 } else { 0.05 };
            chart.draw_series(std::iter::once(Text::new(
                format!(" {label} {x:.2} s"),
                (x, y),
                ("sans-serif", 15),
            )))?;
        }
    }
    Ok(())
}

/// Points of a step CDF of a histogram of microseconds, in seconds.
fn cdf_steps(h: &hdrhistogram::Histogram<u64>) -> Vec<(f64, f64)> {
    let total = h.len().max(1) as f64;
    let mut acc = 0u64;
    let mut pts = Vec::new();
    for v in h.iter_recorded() {
        let x = h.highest_equivalent(v.value_iterated_to()) as f64 / 1e6;
        pts.push((x, acc as f64 / total));
        acc += v.count_at_value();
        pts.push((x, acc as f64 / total));
    }
    pts
}

fn hours(rec: &Recorder) -> Vec<f64> {
    rec.samples
        .iter()
        .map(|s| s.time.as_secs_f64() / 3600.0)
        .collect()
}

fn x_max(rec: &Recorder) -> f64 {
    (rec.end.as_secs_f64() / 3600.0).max(1e-6)
}

type SampleField = fn(&crate::metrics::ClusterSample) -> f64;

fn utilisation<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    rec: &Recorder,
) -> DrawResult<DB> {
    let mut chart = ChartBuilder::on(root)
        .caption(
            "Cluster utilisation (CPU demand, memory) and imbalance",
            ("sans-serif", 22),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..x_max(rec), 0.0..1.05)?;
    chart
        .configure_mesh()
        .x_desc("simulated time (h)")
        .y_desc("fraction of capacity")
        .draw()?;
    let xs = hours(rec);
    for (ci, name) in rec.cluster_names.iter().enumerate() {
        let series: [(&str, SampleField, usize); 3] = [
            ("cpu", |c| c.cpu_util, 0),
            ("memory", |c| c.mem_util, 1),
            ("imbalance", |c| c.imbalance, 2),
        ];
        for (label, f, k) in series {
            let color = Palette99::pick(ci * 3 + k).to_rgba();
            chart
                .draw_series(LineSeries::new(
                    xs.iter()
                        .zip(&rec.samples)
                        .map(|(x, s)| (*x, f(&s.clusters[ci]))),
                    color.stroke_width(2),
                ))?
                .label(format!("{name} {label}"))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
        }
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    Ok(())
}

fn counts<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, rec: &Recorder) -> DrawResult<DB> {
    let sum = |f: fn(&crate::metrics::ClusterSample) -> u64| -> Vec<f64> {
        rec.samples
            .iter()
            .map(|s| s.clusters.iter().map(f).sum::<u64>() as f64)
            .collect()
    };
    let series = [
        ("pods running", sum(|c| c.pods_running)),
        ("pods starting", sum(|c| c.pods_starting)),
        ("pending (pods and VMs)", sum(|c| c.pending)),
        ("VMs running", sum(|c| c.vms_running)),
        ("hosts powered on", sum(|c| c.hosts_on as u64)),
    ];
    let y_max = series
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .fold(1.0, f64::max)
        * 1.08;
    let mut chart = ChartBuilder::on(root)
        .caption("Instances over time", ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..x_max(rec), 0.0..y_max)?;
    chart
        .configure_mesh()
        .x_desc("simulated time (h)")
        .y_desc("count")
        .draw()?;
    let xs = hours(rec);
    for (i, (label, v)) in series.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(
                xs.iter().copied().zip(v.iter().copied()),
                color.stroke_width(2),
            ))?
            .label(*label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    Ok(())
}

/// Viridis-like colour for a value in [0, 1].
fn heat_color(v: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 5] = [
        (68, 1, 84),
        (59, 82, 139),
        (33, 145, 140),
        (94, 201, 98),
        (253, 231, 37),
    ];
    let x = v.clamp(0.0, 1.0) * 4.0;
    let i = (x.floor() as usize).min(3);
    let t = x - i as f64;
    let lerp = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * t).round() as u8;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    RGBColor(lerp(a.0, b.0), lerp(a.1, b.1), lerp(a.2, b.2))
}

fn heatmap<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, rec: &Recorder) -> DrawResult<DB> {
    let cols = rec.host_columns();
    let samples = rec.samples.len();
    let rows = cols.clamp(1, HEAT_ROWS);
    let tcols = samples.clamp(1, HEAT_COLS);
    let (main, bar) = root.split_horizontally(W - 110);
    let mut chart = ChartBuilder::on(&main)
        .caption("CPU utilisation per host", ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..x_max(rec), -0.5..cols as f64 - 0.5)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("simulated time (h)")
        .y_desc(if rec.hosts_per_column > 1 || rows < cols {
            "host (neighbours averaged)"
        } else {
            "host"
        })
        .y_labels(cols.clamp(2, 20) + 1)
        .y_label_formatter(&|y: &f64| {
            // Host names when there are few, otherwise host numbers.
            let i = y.round() as usize;
            if (y - y.round()).abs() > 1e-9 || i >= cols {
                String::new()
            } else if cols <= 40 {
                crate::report::host_column_label(rec, i)
            } else {
                format!("{i}")
            }
        })
        .draw()?;
    if samples > 0 && cols > 0 {
        let end_h = x_max(rec);
        let mut cells = Vec::with_capacity(rows * tcols);
        for r in 0..rows {
            let (h0, h1) = (
                r * cols / rows,
                ((r + 1) * cols / rows).max(r * cols / rows + 1),
            );
            for t in 0..tcols {
                let (s0, s1) = (
                    t * samples / tcols,
                    ((t + 1) * samples / tcols).max(t * samples / tcols + 1),
                );
                let mut sum = 0.0;
                for s in s0..s1 {
                    for h in h0..h1 {
                        sum += rec.host_cpu[s * cols + h] as f64;
                    }
                }
                let v = sum / ((s1 - s0) * (h1 - h0)) as f64;
                let x0 = rec.samples[s0].time.as_secs_f64() / 3600.0;
                let x1 = rec
                    .samples
                    .get(s1)
                    .map_or(end_h, |s| s.time.as_secs_f64() / 3600.0)
                    .max(x0 + end_h / samples as f64 * 0.5);
                cells.push(Rectangle::new(
                    [(x0, h0 as f64 - 0.5), (x1.min(end_h), h1 as f64 - 0.5)],
                    heat_color(v).filled(),
                ));
            }
        }
        chart.draw_series(cells)?;
    }
    colour_bar(&bar)
}

/// The chart's series legend in corner `at`, on a light box.
fn legend<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    at: SeriesLabelPosition,
) -> DrawResult<DB> {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(at)
        .draw()
}

/// The colour scale of a heatmap, 0 to 1, in the strip `bar`.
fn colour_bar<DB: DrawingBackend>(bar: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
    let mut bar_chart = ChartBuilder::on(bar)
        .margin_top(48)
        .margin_bottom(52)
        .margin_right(12)
        .y_label_area_size(52)
        .build_cartesian_2d(0.0..1.0, 0.0..1.0)?;
    bar_chart
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(6)
        .y_label_style(("sans-serif", 13))
        .draw()?;
    bar_chart.draw_series((0..50).map(|i| {
        let v0 = i as f64 / 50.0;
        Rectangle::new(
            [(0.0, v0), (1.0, v0 + 0.02)],
            heat_color(v0 + 0.01).filled(),
        )
    }))?;
    Ok(())
}

fn startup_cdf<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    rec: &Recorder,
) -> DrawResult<DB> {
    let h = &rec.startup_us;
    let caption = format!("Pod start-up latency CDF ({} pods)", h.len());
    cdf_chart(
        root,
        h,
        &caption,
        "start-up latency (s): created to Running",
        "fraction of pods",
    )
}

// After `both!`, which it uses.
pub mod compare;
pub mod sweep;
pub mod traffic;
