//! Charts of a comparison of run groups (`pacsim tabulate`): per group, a bar at the
//! median of a metric with a whisker from its minimum to its maximum.

use super::{encode_png, register_font, Chart, DrawResult, H, W};
use crate::report::tabulate::{Row, COLUMNS};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Energy and SLAV per group.
pub fn charts(rows: &[Row]) -> Result<Vec<Chart>, String> {
    let mut out = Vec::new();
    for (name, key) in [
        ("energy_by_policy", "energy_kwh"),
        ("slav_by_policy", "slav"),
    ] {
        let col = COLUMNS
            .iter()
            .position(|c| c.key == key)
            .expect("a table column");
        let (png, svg) = both!(bars, &(rows, col))?;
        out.push((name, png, svg));
    }
    Ok(out)
}

fn bars<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    &(rows, col): &(&[Row], usize),
) -> DrawResult<DB> {
    let c = &COLUMNS[col];
    let n = rows.len().max(1);
    let x_max = rows
        .iter()
        .map(|r| r.stats[col].max * c.scale)
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max)
        .max(1e-9)
        * 1.1;
    let labels: Vec<String> = rows.iter().map(|r| r.label.clone()).collect();
    // Policies top to bottom in the table's order.
    let y = |i: usize| (n - 1 - i) as f64;
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!("{}: median per policy, and range over its runs", c.title),
            ("sans-serif", 22),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(110)
        .build_cartesian_2d(0.0..x_max, -0.5..(n as f64 - 0.5))?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n)
        .y_label_formatter(&|v| {
            let i = v.round();
            if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < n {
                labels[n - 1 - i as usize].clone()
            } else {
                String::new()
            }
        })
        .x_desc(c.title)
        .draw()?;
    let color = Palette99::pick(4).to_rgba();
    chart.draw_series(rows.iter().enumerate().map(|(i, r)| {
        Rectangle::new(
            [
                (0.0, y(i) - 0.35),
                (r.stats[col].median * c.scale, y(i) + 0.35),
            ],
            color.mix(0.7).filled(),
        )
    }))?;
    chart.draw_series(rows.iter().enumerate().map(|(i, r)| {
        let s = r.stats[col];
        PathElement::new(
            vec![(s.min * c.scale, y(i)), (s.max * c.scale, y(i))],
            BLACK.stroke_width(2),
        )
    }))?;
    Ok(())
}
