//! Comparing groups of runs: for each group (a policy, say) and each of the
//! consolidation study's metrics, the median, minimum and maximum over its runs (the
//! days of the study). `pacsim tabulate` reads the groups from folders and writes the
//! table (Markdown and CSV) and two charts (energy and SLAV per group).

use serde_json::Value;
use std::fmt::Write as _;

/// A metric of the table: its `summary.json` key, its column title, and the factor its
/// values are shown multiplied by.
pub struct Column {
    pub key: &'static str,
    pub title: &'static str,
    pub scale: f64,
}

/// The study's columns, in the paper's order (Beloglazov & Buyya 2012, table of
/// results): ESV, energy, SLAV, SLATAH, PDM, migrations; then the host sleep count and
/// the CloudSim-accounted SLATAH, SLAV and ESV.
pub const COLUMNS: [Column; 10] = [
    Column {
        key: "esv",
        title: "ESV (x10^-3)",
        scale: 1e3,
    },
    Column {
        key: "energy_kwh",
        title: "Energy (kWh)",
        scale: 1.0,
    },
    Column {
        key: "slav",
        title: "SLAV (x10^-5)",
        scale: 1e5,
    },
    Column {
        key: "slatah",
        title: "SLATAH (%)",
        scale: 100.0,
    },
    Column {
        key: "pdm",
        title: "PDM (%)",
        scale: 100.0,
    },
    Column {
        key: "migrations",
        title: "VM migrations (x10^3)",
        scale: 1e-3,
    },
    Column {
        key: "host_sleeps",
        title: "Host sleeps",
        scale: 1.0,
    },
    Column {
        key: "slatah_cloudsim",
        title: "SLATAH CloudSim (%)",
        scale: 100.0,
    },
    Column {
        key: "slav_cloudsim",
        title: "SLAV CloudSim (x10^-5)",
        scale: 1e5,
    },
    Column {
        key: "esv_cloudsim",
        title: "ESV CloudSim (x10^-3)",
        scale: 1e3,
    },
];

/// Median, minimum and maximum of one metric over a group's runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stat {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

/// One group's row.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub label: String,
    pub runs: usize,
    /// One per [`COLUMNS`] entry.
    pub stats: Vec<Stat>,
}

/// A metric of one run's summary (`metrics` object); the CloudSim-accounted SLAV and
/// ESV are derived from the keys they multiply.
fn metric(summary: &Value, key: &str) -> Option<f64> {
    let m = &summary["metrics"];
    let get = |k: &str| m[k].as_f64();
    match key {
        "slav_cloudsim" => Some(get("slatah_cloudsim")? * get("pdm")?),
        "esv_cloudsim" => Some(get("energy_kwh")? * get("slatah_cloudsim")? * get("pdm")?),
        k => get(k),
    }
}

fn stat(mut v: Vec<f64>) -> Stat {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    Stat {
        median,
        min: v.first().copied().unwrap_or(f64::NAN),
        max: v.last().copied().unwrap_or(f64::NAN),
    }
}

/// The table of `groups` (label, its runs' summaries), in the order given.
pub fn table(groups: &[(String, Vec<Value>)]) -> Vec<Row> {
    groups
        .iter()
        .map(|(label, runs)| Row {
            label: label.clone(),
            runs: runs.len(),
            stats: COLUMNS
                .iter()
                .map(|c| stat(runs.iter().filter_map(|r| metric(r, c.key)).collect()))
                .collect(),
        })
        .collect()
}

/// The table as Markdown: medians, with the range below each in brackets.
pub fn markdown(rows: &[Row]) -> String {
    let mut s = String::from("| Policy | runs |");
    for c in &COLUMNS {
        let _ = write!(s, " {} |", c.title);
    }
    s.push_str("\n|---|---|");
    for _ in &COLUMNS {
        s.push_str("---|");
    }
    s.push('\n');
    for r in rows {
        let _ = write!(s, "| {} | {} |", r.label, r.runs);
        for (c, st) in COLUMNS.iter().zip(&r.stats) {
            let _ = write!(
                s,
                " {} ({}–{}) |",
                fmt(st.median * c.scale),
                fmt(st.min * c.scale),
                fmt(st.max * c.scale)
            );
        }
        s.push('\n');
    }
    s.push_str("\nMedian over the runs of each policy (minimum–maximum in brackets).\n");
    s
}

/// The table as CSV: per metric its median, min and max, unscaled.
pub fn csv(rows: &[Row]) -> String {
    let mut s = String::from("policy,runs");
    for c in &COLUMNS {
        let _ = write!(s, ",{0}_median,{0}_min,{0}_max", c.key);
    }
    s.push('\n');
    for r in rows {
        let _ = write!(s, "{},{}", crate::trace::csvline::quote(&r.label), r.runs);
        for st in &r.stats {
            let _ = write!(s, ",{},{},{}", st.median, st.min, st.max);
        }
        s.push('\n');
    }
    s
}

/// Three significant digits, without exponent for the table's usual ranges.
fn fmt(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let a = x.abs();
    if a >= 100.0 {
        format!("{x:.1}")
    } else if a >= 10.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(e: f64, slatah: f64, pdm: f64) -> Value {
        json!({ "metrics": { "energy_kwh": e, "slatah": slatah, "slatah_cloudsim": 2.0 * slatah,
            "pdm": pdm, "slav": slatah * pdm, "esv": e * slatah * pdm,
            "migrations": 1000, "host_sleeps": 10 } })
    }

    #[test]
    fn medians_and_ranges_per_group() {
        let rows = table(&[(
            "THR-MMT-0.8".into(),
            vec![
                run(100.0, 0.05, 0.001),
                run(80.0, 0.04, 0.002),
                run(90.0, 0.06, 0.001),
            ],
        )]);
        let energy = rows[0].stats[1];
        assert_eq!((energy.median, energy.min, energy.max), (90.0, 80.0, 100.0));
        let slav_cs = rows[0].stats[8];
        // SLAV as CloudSim counts it per run: 1.0e-4, 1.6e-4, 1.2e-4; the median 1.2e-4.
        assert!((slav_cs.median - 2.0 * 0.06 * 0.001).abs() < 1e-15);
        let md = markdown(&rows);
        assert!(md.contains("| THR-MMT-0.8 | 3 |"), "{md}");
        assert!(md.contains(" 90.00 (80.00–100.0) |"), "{md}");
        assert!(csv(&rows).starts_with("policy,runs,esv_median"));
    }
}
