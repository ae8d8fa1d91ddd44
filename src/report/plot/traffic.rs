//! Charts of service traffic: latency percentiles over time per Service, the load each
//! endpoint pod took, and link utilisation over time.

use super::{
    colour_bar, encode_png, heat_color, legend, register_font, Chart, DrawResult, H, HEAT_COLS,
    HEAT_ROWS, W,
};
use crate::metrics::Recorder;
use crate::model::World;
use plotters::coord::Shift;
use plotters::prelude::*;

type Ctx<'a> = (&'a Recorder, &'a World);

/// Time axis: minutes for runs up to three hours, else hours.
fn time_axis(rec: &Recorder) -> (f64, &'static str) {
    let s = rec.end.as_secs_f64().max(1e-6);
    if s <= 3.0 * 3600.0 {
        (60.0, "simulated time (min)")
    } else {
        (3600.0, "simulated time (h)")
    }
}

/// Every traffic chart of a run (none without Services or a topology).
pub fn all(rec: &Recorder, world: &World) -> Result<Vec<Chart>, String> {
    let mut out = Vec::new();
    let ctx: Ctx = (rec, world);
    if !rec.traffic.services.is_empty() {
        let (p, s) = both!(service_latency, &ctx)?;
        out.push(("service_latency", p, s));
        let (p, s) = both!(member_load, &ctx)?;
        out.push(("member_load", p, s));
    }
    if world.topology.is_some() && rec.traffic.keep_bins {
        let (p, s) = both!(link_heatmap, &ctx)?;
        out.push(("link_utilisation_heatmap", p, s));
    }
    Ok(out)
}

/// p50, p95 and p99 of each sampling interval's answered requests, per Service (log scale).
fn service_latency<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, ctx: &Ctx) -> DrawResult<DB> {
    let (rec, _) = *ctx;
    let t = &rec.traffic;
    let (unit, x_desc) = time_axis(rec);
    let x_max = rec.end.as_secs_f64() / unit;
    let vals = t
        .rows
        .iter()
        .flat_map(|r| r.services.iter().flat_map(|s| [s.p50, s.p99]))
        .filter(|v| *v > 0.0);
    let (lo, hi) = vals.fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    let (lo, hi) = if hi > 0.0 {
        (lo / 1.5, hi * 1.5)
    } else {
        (1e-4, 1.0)
    };
    let mut chart = ChartBuilder::on(root)
        .caption(
            "Request latency per Service: p50 (thin), p95, p99 (thick) per interval",
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..x_max.max(1e-6), (lo..hi).log_scale())?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc("latency (s)")
        .y_label_formatter(&|y| format!("{y:.0e}"))
        .draw()?;
    for (si, s) in t.services.iter().enumerate() {
        let color = Palette99::pick(si).to_rgba();
        let pts = |f: fn(&crate::metrics::traffic::IntervalStats) -> f64| -> Vec<(f64, f64)> {
            t.rows
                .iter()
                .filter(|r| f(&r.services[si]) > 0.0)
                .map(|r| (r.time.as_secs_f64() / unit, f(&r.services[si])))
                .collect()
        };
        chart.draw_series(LineSeries::new(pts(|x| x.p50), color.stroke_width(1)))?;
        chart.draw_series(LineSeries::new(
            pts(|x| x.p95),
            color.mix(0.6).stroke_width(2),
        ))?;
        chart
            .draw_series(LineSeries::new(pts(|x| x.p99), color.stroke_width(3)))?
            .label(s.name.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3))
            });
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    Ok(())
}

/// Requests each endpoint pod answered, grouped and coloured by Service.
fn member_load<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, ctx: &Ctx) -> DrawResult<DB> {
    let (rec, _) = *ctx;
    let members = &rec.traffic.members;
    let n = members.len().max(1);
    let top = members.iter().map(|m| m.served).max().unwrap_or(0).max(1) as f64 * 1.1;
    let mut chart = ChartBuilder::on(root)
        .caption("Requests answered per endpoint pod", ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(72)
        .build_cartesian_2d(-0.5..n as f64 - 0.5, 0.0..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc("endpoint pods, grouped by Service")
        .y_desc("requests answered")
        .x_labels(n.min(12))
        .x_label_style(("sans-serif", 11))
        .x_label_formatter(&|x| {
            let i = x.round() as usize;
            if (x - x.round()).abs() > 1e-9 || i >= members.len() || members.len() > 12 {
                String::new()
            } else {
                members[i].name.clone()
            }
        })
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()?;
    for (si, s) in rec.traffic.services.iter().enumerate() {
        let color = Palette99::pick(si).to_rgba();
        chart
            .draw_series(
                members
                    .iter()
                    .enumerate()
                    .filter(|(_, m)| m.service as usize == si)
                    .map(|(i, m)| {
                        Rectangle::new(
                            [(i as f64 - 0.4, 0.0), (i as f64 + 0.4, m.served as f64)],
                            color.filled(),
                        )
                    }),
            )?
            .label(s.name.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], color.filled()));
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    Ok(())
}

/// Utilisation of every link (the busier direction) in every sampling interval.
fn link_heatmap<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, ctx: &Ctx) -> DrawResult<DB> {
    let (rec, world) = *ctx;
    let t = &rec.traffic;
    let topo = world.topology.as_ref().expect("checked");
    let links = topo.links.len();
    let rows_t = t.link_rows();
    let (unit, x_desc) = time_axis(rec);
    let end = rec.end.as_secs_f64() / unit;
    let (main, bar) = root.split_horizontally(W - 110);
    let mut chart = ChartBuilder::on(&main)
        .caption("Link utilisation (busier direction)", ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(130)
        .build_cartesian_2d(0.0..end.max(1e-6), -0.5..links.max(1) as f64 - 0.5)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(x_desc)
        .y_labels(links.clamp(2, 30) + 1)
        .y_label_style(("sans-serif", 11))
        .y_label_formatter(&|y| {
            let i = y.round() as usize;
            if (y - y.round()).abs() > 1e-9 || i >= links {
                String::new()
            } else if links <= 30 {
                let l = &topo.links[i];
                format!(
                    "{}-{}",
                    topo.nodes[l.a as usize].name, topo.nodes[l.b as usize].name
                )
            } else {
                format!("{i}")
            }
        })
        .draw()?;
    // Utilisation of link l over sample rows [r0, r1).
    let util = |l: usize, r0: usize, r1: usize| -> f64 {
        let t0 = if r0 == 0 {
            0
        } else {
            t.row_time(world, r0 - 1).0
        };
        let t1 = t.row_time(world, r1 - 1).0;
        let dt = (t1.saturating_sub(t0)) as f64 / 1e9;
        if dt <= 0.0 {
            return 0.0;
        }
        let cap = topo.links[l].bytes_per_s * dt;
        (0..2)
            .map(|dir| {
                (r0..r1)
                    .map(|r| t.link_bins[r * t.dir_links + 2 * l + dir] as f64)
                    .sum::<f64>()
                    / cap
            })
            .fold(0.0, f64::max)
    };
    if rows_t > 1 && links > 0 {
        let rows = links.clamp(1, HEAT_ROWS);
        let cols = (rows_t - 1).clamp(1, HEAT_COLS);
        let mut cells = Vec::with_capacity(rows * cols);
        for r in 0..rows {
            let (l0, l1) = (
                r * links / rows,
                ((r + 1) * links / rows).max(r * links / rows + 1),
            );
            for c in 0..cols {
                // Rows 1.. close the intervals; row 0 is the sample at time 0.
                let s0 = 1 + c * (rows_t - 1) / cols;
                let s1 = (1 + (c + 1) * (rows_t - 1) / cols).max(s0 + 1);
                let v = (l0..l1).map(|l| util(l, s0, s1)).fold(0.0, f64::max);
                let x0 = t.row_time(world, s0 - 1).as_secs_f64() / unit;
                let x1 = t.row_time(world, s1 - 1).as_secs_f64() / unit;
                cells.push(Rectangle::new(
                    [(x0, l0 as f64 - 0.5), (x1, l1 as f64 - 0.5)],
                    heat_color(v).filled(),
                ));
            }
        }
        chart.draw_series(cells)?;
    }
    colour_bar(&bar)
}
