//! Numbers as people read them: a unit per metric, a few significant digits, thousands
//! grouped. The same value always gives the same text, so pages are deterministic.

/// What a number measures, which decides how it is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A count of things: grouped digits (`12,345`); a mean count keeps two decimals.
    Count,
    /// A fraction of a capacity, shown as a percentage (`0.412` → `41.2 %`).
    Fraction,
    /// A duration in seconds, shown in the unit that reads best (`850 ms`, `1.52 s`,
    /// `12.5 min`, `3.40 h`).
    Seconds,
    /// A size in bytes, shown in binary units (`1.50 GiB`).
    Bytes,
    /// Energy in kilowatt-hours.
    KilowattHours,
    /// Power in watts (`1.23 kW` above 1,000 W).
    Watts,
    /// A dimensionless number such as an imbalance (standard deviation of loads).
    Plain,
}

impl Unit {
    /// The unit's symbol, for column headings ("" when the number has none).
    pub fn symbol(self) -> &'static str {
        match self {
            Unit::Count | Unit::Plain => "",
            Unit::Fraction => "%",
            Unit::Seconds => "s",
            Unit::Bytes => "B",
            Unit::KilowattHours => "kWh",
            Unit::Watts => "W",
        }
    }
}

/// `v` with `digits` significant digits, trailing zeros kept (`sig(0.04123, 3)` = `0.0412`).
pub fn sig(v: f64, digits: usize) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    if v == 0.0 {
        return "0".into();
    }
    let mag = v.abs().log10().floor() as i64;
    let decimals = (digits as i64 - 1 - mag).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if decimals == 0 {
        group(&s)
    } else {
        let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
        format!("{}.{frac}", group(int))
    }
}

/// Groups the digits of an integer string by thousands: `-1234567` → `-1,234,567`.
fn group(int: &str) -> String {
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |rest| ("-", rest));
    let mut out = String::with_capacity(int.len() + int.len() / 3);
    out.push_str(sign);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `v` in `unit`, with its unit written out.
pub fn value(v: f64, unit: Unit) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    match unit {
        Unit::Count => {
            if v.fract() == 0.0 && v.abs() < 1e15 {
                group(&format!("{v:.0}"))
            } else {
                let s = format!("{v:.2}");
                let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
                format!("{}.{frac}", group(int))
            }
        }
        Unit::Fraction => format!("{} %", sig(v * 100.0, 3)),
        Unit::Seconds => seconds(v),
        Unit::Bytes => bytes(v),
        Unit::KilowattHours => format!("{} kWh", sig(v, 3)),
        Unit::Watts if v.abs() >= 1000.0 => format!("{} kW", sig(v / 1000.0, 3)),
        Unit::Watts => format!("{} W", sig(v, 3)),
        Unit::Plain => sig(v, 3),
    }
}

fn seconds(s: f64) -> String {
    let a = s.abs();
    if a == 0.0 {
        "0 s".into()
    } else if a < 1e-3 {
        format!("{} µs", sig(s * 1e6, 3))
    } else if a < 1.0 {
        format!("{} ms", sig(s * 1e3, 3))
    } else if a < 120.0 {
        format!("{} s", sig(s, 3))
    } else if a < 7200.0 {
        format!("{} min", sig(s / 60.0, 3))
    } else {
        format!("{} h", sig(s / 3600.0, 3))
    }
}

fn bytes(b: f64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = b;
    let mut i = 0;
    while v.abs() >= 1024.0 && i + 1 < UNITS.len() {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{} B", group(&format!("{v:.0}")))
    } else {
        format!("{} {}", sig(v, 3), UNITS[i])
    }
}

/// A mean and the half-width of its confidence interval: `41.2 % ± 1.30 %`. The
/// half-width is left out when it is not known (a single seed).
pub fn mean_ci(mean: f64, half_width: Option<f64>, unit: Unit) -> String {
    match half_width {
        Some(h) if h.is_finite() => format!("{} ± {}", value(mean, unit), value(h, unit)),
        _ => value(mean, unit),
    }
}

/// A relative change as a signed percentage (`+12.5 %`, `−3.10 %`); `–` when the
/// baseline is zero and the candidate is not (no finite ratio).
pub fn change(baseline: f64, candidate: f64) -> String {
    if baseline == candidate {
        return "0 %".into();
    }
    if baseline == 0.0 || !baseline.is_finite() || !candidate.is_finite() {
        return "–".into();
    }
    let pct = (candidate - baseline) / baseline.abs() * 100.0;
    let s = sig(pct.abs(), 3);
    if pct >= 0.0 {
        format!("+{s} %")
    } else {
        format!("−{s} %")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(value(1_234_567.0, Unit::Count), "1,234,567");
        assert_eq!(value(0.0, Unit::Count), "0");
        assert_eq!(value(7.9306, Unit::Count), "7.93");
        assert_eq!(value(-1234.0, Unit::Count), "-1,234");
    }

    #[test]
    fn fractions_are_percentages() {
        assert_eq!(value(0.41234, Unit::Fraction), "41.2 %");
        assert_eq!(value(1.0, Unit::Fraction), "100 %");
        assert_eq!(value(0.0005, Unit::Fraction), "0.0500 %");
    }

    #[test]
    fn durations_pick_a_readable_unit() {
        assert_eq!(value(0.85, Unit::Seconds), "850 ms");
        assert_eq!(value(1.5234, Unit::Seconds), "1.52 s");
        assert_eq!(value(750.0, Unit::Seconds), "12.5 min");
        assert_eq!(value(12_240.0, Unit::Seconds), "3.40 h");
        assert_eq!(value(0.000_012, Unit::Seconds), "12.0 µs");
        assert_eq!(value(0.0, Unit::Seconds), "0 s");
    }

    #[test]
    fn sizes_use_binary_units() {
        assert_eq!(value(512.0, Unit::Bytes), "512 B");
        assert_eq!(
            value(1.5 * 1024.0 * 1024.0 * 1024.0, Unit::Bytes),
            "1.50 GiB"
        );
    }

    #[test]
    fn energy_power_and_plain_numbers() {
        assert_eq!(value(12.3456, Unit::KilowattHours), "12.3 kWh");
        assert_eq!(value(2150.0, Unit::Watts), "2.15 kW");
        assert_eq!(value(350.0, Unit::Watts), "350 W");
        assert_eq!(value(0.0625, Unit::Plain), "0.0625");
        assert_eq!(value(f64::NAN, Unit::Plain), "–");
    }

    #[test]
    fn confidence_intervals_and_changes() {
        assert_eq!(
            mean_ci(0.412, Some(0.013), Unit::Fraction),
            "41.2 % ± 1.30 %"
        );
        assert_eq!(mean_ci(3.0, None, Unit::Count), "3");
        assert_eq!(change(2.0, 2.5), "+25.0 %");
        assert_eq!(change(2.0, 1.938), "−3.10 %");
        assert_eq!(change(0.0, 1.0), "–");
        assert_eq!(change(0.0, 0.0), "0 %");
    }
}
