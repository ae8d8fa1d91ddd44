//! Demand trace files: CSV of fractions, one column per instance, one row per interval.
//!
//! ```text
//! vm-a,vm-b        <- optional header (a first line that is not all numbers)
//! 0.12,0.50
//! 0.15,0.48
//! ```
//! Blank lines and lines starting with `#` are skipped. Every row must have the same
//! number of values, each a number in [0, 1].

/// Largest trace file read (the file is parsed whole).
pub const MAX_TRACE_BYTES: u64 = 64 * 1024 * 1024;

/// Parses trace text into columns, or says what is wrong and on which line.
pub fn parse_demand_csv(text: &str) -> Result<Vec<Vec<f32>>, String> {
    let mut columns: Vec<Vec<f32>> = Vec::new();
    let mut width = 0;
    let mut first = true;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let numbers: Vec<Option<f64>> = cells.iter().map(|c| c.parse::<f64>().ok()).collect();
        if first {
            first = false;
            width = cells.len();
            columns = vec![Vec::new(); width];
            if numbers.iter().any(Option::is_none) {
                continue; // a header
            }
        }
        if cells.len() != width {
            return Err(format!(
                "line {}: {} values, but the first row has {width}",
                n + 1,
                cells.len()
            ));
        }
        for (c, (cell, value)) in cells.iter().zip(&numbers).enumerate() {
            match value {
                Some(x) if (0.0..=1.0).contains(x) => columns[c].push(*x as f32),
                Some(x) => {
                    return Err(format!(
                        "line {}, column {}: {x} is not a fraction between 0 and 1",
                        n + 1,
                        c + 1
                    ))
                }
                None => {
                    return Err(format!(
                        "line {}, column {}: `{cell}` is not a number",
                        n + 1,
                        c + 1
                    ))
                }
            }
        }
    }
    if columns.first().is_none_or(|c| c.is_empty()) {
        return Err("the trace has no rows of values".into());
    }
    Ok(columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_with_and_without_a_header() {
        assert_eq!(
            parse_demand_csv("a,b\n0.1,0.2\n# note\n\n0.3,0.4\n"),
            Ok(vec![vec![0.1, 0.3], vec![0.2, 0.4]])
        );
        assert_eq!(parse_demand_csv("0.5\n1\n"), Ok(vec![vec![0.5, 1.0]]));
    }

    #[test]
    fn malformed_traces_say_where() {
        assert_eq!(
            parse_demand_csv("a,b\n0.1,x\n").unwrap_err(),
            "line 2, column 2: `x` is not a number"
        );
        assert_eq!(
            parse_demand_csv("0.1,0.2\n0.3\n").unwrap_err(),
            "line 2: 1 values, but the first row has 2"
        );
        assert!(parse_demand_csv("0.1\n-0.5\n")
            .unwrap_err()
            .contains("not a fraction"));
        assert!(parse_demand_csv("a,b\n").unwrap_err().contains("no rows"));
        assert!(parse_demand_csv("").unwrap_err().contains("no rows"));
    }
}
