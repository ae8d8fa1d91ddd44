//! Quantities with units, as scenario files write them: `"64GiB"`, `"2.4GHz"`, `"30s"`,
//! `"10Gbit/s"`, `"500m"` (millicores), `"2/h"`, `"120W"`.
//!
//! Each parser returns a message that says what was expected, so validation can show it
//! with the location; a message may end in `; <what to do>`, which is shown as the hint.
//! Numbers are parsed with Rust's `f64` grammar (so `1e3` works) and NaN or infinities
//! (`.nan`, `.inf`, `1e999`) are refused.

use crate::engine::SimDuration;

/// Splits `"2.5GiB"` into `(2.5, "GiB")`. Whitespace between number and unit is allowed.
fn split_number(text: &str) -> Result<(f64, &str), String> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    let bare = lower.trim_start_matches(['+', '-']).trim_start_matches('.');
    if bare == "nan" {
        return Err(format!(
            "`{text}` is not a number (NaN); write a number such as `2` or `0.5`"
        ));
    }
    if bare == "inf" || bare == "infinity" {
        return Err(format!(
            "`{text}` is infinite (infinity, or a number too large to hold); write a finite number"
        ));
    }
    let end = t
        .char_indices()
        .find(|&(i, c)| {
            !(c.is_ascii_digit()
                || c == '.'
                || c == '_'
                || ((c == '-' || c == '+')
                    && (i == 0 || matches!(t.as_bytes()[i - 1], b'e' | b'E')))
                || ((c == 'e' || c == 'E')
                    && i > 0
                    && t[i + 1..]
                        .starts_with(|n: char| n.is_ascii_digit() || n == '-' || n == '+')))
        })
        .map(|(i, _)| i)
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(end);
    if num.is_empty() {
        return Err(format!("`{text}` does not start with a number"));
    }
    let value: f64 = num
        .replace('_', "")
        .parse()
        .map_err(|_| format!("`{num}` is not a number"))?;
    if !value.is_finite() {
        return Err(format!(
            "`{text}` is too large to be a finite number; write a number such as `2` or `0.5`"
        ));
    }
    Ok((value, unit.trim()))
}

fn finite_non_negative(value: f64, text: &str) -> Result<f64, String> {
    if value < 0.0 {
        Err(format!("`{text}` is negative"))
    } else {
        Ok(value)
    }
}

/// Appends `hint` to a message that has none.
fn or_hint(msg: String, hint: &str) -> String {
    if msg.contains("; ") {
        msg
    } else {
        format!("{msg}; {hint}")
    }
}

/// A number without unit (counts, fractions). Integers and floats are both accepted.
pub fn parse_number(text: &str) -> Result<f64, String> {
    parse_number_inner(text).map_err(|m| or_hint(m, "write a plain number such as `2` or `0.5`"))
}

fn parse_number_inner(text: &str) -> Result<f64, String> {
    let (v, unit) = split_number(text)?;
    if !unit.is_empty() {
        return Err(format!(
            "`{text}` should be a plain number, without `{unit}`"
        ));
    }
    Ok(v)
}

/// A whole, non-negative count such as a host count.
pub fn parse_count(text: &str) -> Result<u64, String> {
    parse_count_inner(text).map_err(|m| or_hint(m, "write a whole number such as `4`"))
}

fn parse_count_inner(text: &str) -> Result<u64, String> {
    let v = parse_number_inner(text)?;
    if v < 0.0 {
        return Err(format!("`{text}` is negative; a count must be 0 or more"));
    }
    if v.fract() != 0.0 {
        return Err(format!("`{text}` is not a whole number"));
    }
    if v > 9.0e15 {
        return Err(format!("`{text}` is too large for a count"));
    }
    Ok(v as u64)
}

/// Bytes: `B`, decimal `KB MB GB TB PB`, binary `KiB MiB GiB TiB PiB`.
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    parse_bytes_inner(text).map_err(|m| or_hint(m, "write a size such as `64GiB` or `200MB`"))
}

fn parse_bytes_inner(text: &str) -> Result<u64, String> {
    let (v, unit) = split_number(text)?;
    let v = finite_non_negative(v, text)?;
    let mult: f64 = match unit {
        "B" => 1.0,
        "KB" | "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        "PB" => 1e15,
        "KiB" => 1024.0,
        "MiB" => 1024.0f64.powi(2),
        "GiB" => 1024.0f64.powi(3),
        "TiB" => 1024.0f64.powi(4),
        "PiB" => 1024.0f64.powi(5),
        "" => {
            return Err(format!(
                "`{text}` has no unit; write e.g. `64GiB` or `200MB`"
            ))
        }
        other => {
            return Err(format!(
                "unknown size unit `{other}`; use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB"
            ))
        }
    };
    let bytes = (v * mult).round();
    if bytes > 9.0e18 {
        return Err(format!("`{text}` is too large"));
    }
    Ok(bytes as u64)
}

/// Durations: a sequence of `<number><unit>` with units `ns us ms s m min h d w`,
/// e.g. `30s`, `5m`, `1h30m`, `1.5d`. A bare `0` is zero. Saturation is refused: a
/// duration that does not fit the time type is an error.
pub fn parse_duration(text: &str) -> Result<SimDuration, String> {
    parse_duration_inner(text)
        .map_err(|m| or_hint(m, "write a duration such as `30s`, `5m`, `1h30m` or `2d`"))
}

fn parse_duration_inner(text: &str) -> Result<SimDuration, String> {
    let t = text.trim();
    if t == "0" {
        return Ok(SimDuration::ZERO);
    }
    if t.is_empty() {
        return Err("empty duration; write e.g. `30s`, `5m` or `24h`".into());
    }
    let mut rest = t;
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let (v, after) = split_number(rest).map_err(|_| {
            format!("`{text}` is not a duration; write e.g. `30s`, `5m`, `1h30m` or `2d`")
        })?;
        let v = finite_non_negative(v, text)?;
        let unit_len = after
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(after.len());
        let (unit, tail) = after.split_at(unit_len);
        let secs = match unit {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" | "min" => 60.0,
            "h" => 3600.0,
            "d" => 86_400.0,
            "w" => 7.0 * 86_400.0,
            "" => {
                return Err(format!(
                    "`{text}` has no unit; write e.g. `{v}s`, `{v}m` or `{v}h`"
                ))
            }
            other => {
                return Err(format!(
                    "unknown time unit `{other}` in `{text}`; use ns, us, ms, s, m, h, d or w"
                ))
            }
        };
        total += v * secs;
        rest = tail.trim_start();
    }
    let ns = (total * 1e9).round();
    if ns >= u64::MAX as f64 {
        return Err(format!(
            "`{text}` is too long for the simulator's clock, which counts nanoseconds up to about 584 years; write a shorter duration (a run lasts at most 10 years)"
        ));
    }
    Ok(SimDuration(ns as u64))
}

/// CPU clock: a plain number is MHz; units `MHz`, `GHz`.
pub fn parse_mhz(text: &str) -> Result<f64, String> {
    parse_mhz_inner(text).map_err(|m| or_hint(m, "write a clock such as `2600` (MHz) or `2.6GHz`"))
}

fn parse_mhz_inner(text: &str) -> Result<f64, String> {
    let (v, unit) = split_number(text)?;
    let v = finite_non_negative(v, text)?;
    match unit {
        "" | "MHz" => Ok(v),
        "GHz" => Ok(v * 1000.0),
        "kHz" => Ok(v / 1000.0),
        other => Err(format!("unknown frequency unit `{other}`; use MHz or GHz")),
    }
}

/// Bandwidth in bytes per second, from `Gbit/s`, `Gbps`, `GB/s` and friends.
pub fn parse_bandwidth(text: &str) -> Result<f64, String> {
    parse_bandwidth_inner(text)
        .map_err(|m| or_hint(m, "write a bandwidth such as `10Gbit/s` or `1GB/s`"))
}

fn parse_bandwidth_inner(text: &str) -> Result<f64, String> {
    let (v, unit) = split_number(text)?;
    let v = finite_non_negative(v, text)?;
    let u = unit.replace(' ', "");
    let (prefix, bits) = if let Some(p) = u.strip_suffix("bit/s").or_else(|| u.strip_suffix("bps"))
    {
        (p, true)
    } else if let Some(p) = u.strip_suffix("B/s") {
        (p, false)
    } else {
        return Err(format!(
            "`{text}` is not a bandwidth; write e.g. `10Gbit/s`, `25Gbps` or `1GB/s`"
        ));
    };
    let mult = match prefix {
        "" => 1.0,
        "k" | "K" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "Ki" => 1024.0,
        "Mi" => 1024.0f64.powi(2),
        "Gi" => 1024.0f64.powi(3),
        other => {
            return Err(format!(
                "unknown bandwidth prefix `{other}`; use k, M, G or T"
            ))
        }
    };
    let bytes = v * mult / if bits { 8.0 } else { 1.0 };
    Ok(bytes)
}

/// Power in watts: `120W`, `1.2kW`; a plain number is watts.
pub fn parse_watts(text: &str) -> Result<f64, String> {
    parse_watts_inner(text).map_err(|m| or_hint(m, "write a power such as `120W` or `1.2kW`"))
}

fn parse_watts_inner(text: &str) -> Result<f64, String> {
    let (v, unit) = split_number(text)?;
    let v = finite_non_negative(v, text)?;
    match unit {
        "" | "W" => Ok(v),
        "kW" => Ok(v * 1000.0),
        other => Err(format!("unknown power unit `{other}`; use W or kW")),
    }
}

/// A rate per second from `2/h`, `30/min`, `5/s`, `100/d`.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    parse_rate_inner(text).map_err(|m| or_hint(m, "write a rate such as `2/h` or `30/min`"))
}

fn parse_rate_inner(text: &str) -> Result<f64, String> {
    let (v, unit) = split_number(text)?;
    let v = finite_non_negative(v, text)?;
    let per = match unit.trim_start_matches('/').trim() {
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        _ if unit.is_empty() => {
            return Err(format!(
                "`{text}` has no unit; write e.g. `{v}/s`, `{v}/min` or `{v}/h`"
            ))
        }
        other => {
            return Err(format!(
                "unknown rate unit `{other}`; use /s, /min, /h or /d"
            ))
        }
    };
    Ok(v / per)
}

/// A CPU amount as a scenario writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CpuAmount {
    /// Cores (Kubernetes CPU units): `2`, `0.5`, `500m`. One core is one physical core
    /// of whatever host the workload lands on.
    Millicores(u64),
    /// An absolute clock amount: `2000MHz`, `2.4GHz` (vSphere reservations are in MHz).
    Mhz(u64),
}

pub fn parse_cpu(text: &str) -> Result<CpuAmount, String> {
    parse_cpu_inner(text)
        .map_err(|m| or_hint(m, "write cores (`2`, `500m`) or a clock amount (`2000MHz`)"))
}

fn parse_cpu_inner(text: &str) -> Result<CpuAmount, String> {
    let (v, unit) = split_number(text)?;
    let v = finite_non_negative(v, text)?;
    match unit {
        "" => Ok(CpuAmount::Millicores((v * 1000.0).round() as u64)),
        "m" => {
            if v.fract() != 0.0 {
                return Err(format!("`{text}`: millicores must be whole"));
            }
            Ok(CpuAmount::Millicores(v as u64))
        }
        "MHz" => Ok(CpuAmount::Mhz(v.round() as u64)),
        "GHz" => Ok(CpuAmount::Mhz((v * 1000.0).round() as u64)),
        other => Err(format!(
            "unknown CPU unit `{other}`; write cores (`2`, `500m`) or a clock amount (`2000MHz`)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_bytes("64GiB"), Ok(64 << 30));
        assert_eq!(parse_bytes("200MB"), Ok(200_000_000));
        assert_eq!(parse_bytes("1.5 KiB"), Ok(1536));
        assert!(parse_bytes("64").unwrap_err().contains("no unit"));
        assert!(parse_bytes("-1GiB").unwrap_err().contains("negative"));
        assert!(parse_bytes("64GB/s").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(SimDuration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(SimDuration::from_secs(300)));
        assert_eq!(parse_duration("1h30m"), Ok(SimDuration::from_secs(5400)));
        assert_eq!(parse_duration("1.5d"), Ok(SimDuration::from_secs(129_600)));
        assert_eq!(parse_duration("250ms"), Ok(SimDuration::from_millis(250)));
        assert_eq!(parse_duration("0"), Ok(SimDuration::ZERO));
        assert!(parse_duration("forever and a day").is_err());
        assert!(parse_duration("10").unwrap_err().contains("no unit"));
        assert!(parse_duration("1000000w").unwrap_err().contains("too long"));
        assert!(parse_duration("3 fortnights").is_err());
    }

    #[test]
    fn clocks_bandwidths_power_rates() {
        assert_eq!(parse_mhz("2.4GHz"), Ok(2400.0));
        assert_eq!(parse_mhz("2600"), Ok(2600.0));
        assert_eq!(parse_bandwidth("10Gbit/s"), Ok(1.25e9));
        assert_eq!(parse_bandwidth("1GB/s"), Ok(1e9));
        assert_eq!(parse_bandwidth("25Gbps"), Ok(3.125e9));
        assert_eq!(parse_watts("1.2kW"), Ok(1200.0));
        assert_eq!(parse_rate("2/h"), Ok(2.0 / 3600.0));
        assert_eq!(parse_rate("30/min"), Ok(0.5));
        assert!(parse_rate("NaN/s").is_err());
    }

    #[test]
    fn cpu_amounts() {
        assert_eq!(parse_cpu("500m"), Ok(CpuAmount::Millicores(500)));
        assert_eq!(parse_cpu("2"), Ok(CpuAmount::Millicores(2000)));
        assert_eq!(parse_cpu("0.25"), Ok(CpuAmount::Millicores(250)));
        assert_eq!(parse_cpu("2000MHz"), Ok(CpuAmount::Mhz(2000)));
        assert_eq!(parse_cpu("2.4GHz"), Ok(CpuAmount::Mhz(2400)));
        assert!(parse_cpu("2 cores").is_err());
    }

    #[test]
    fn numbers_and_counts() {
        assert_eq!(parse_count("8"), Ok(8));
        assert_eq!(parse_count("1e3"), Ok(1000));
        assert!(parse_count("-5").is_err());
        assert!(parse_count("2.5").is_err());
        assert!(parse_number("nan").is_err());
        assert!(parse_number("inf").is_err());
        assert!(parse_number(".nan").unwrap_err().contains("NaN"));
        assert!(parse_number("-.inf").unwrap_err().contains("infinite"));
        assert!(parse_number("1e999").unwrap_err().contains("too large"));
        assert!(parse_duration("info")
            .unwrap_err()
            .contains("not a duration"));
    }
}
