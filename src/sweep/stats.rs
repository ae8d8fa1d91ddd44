//! Statistics over the replications of a sweep point: mean, sample standard deviation and
//! the 95% confidence interval of the mean by Student's t.
//!
//! Every sum runs in replication order, so the numbers are the same bits whatever the
//! thread count or the sharding that produced the runs.

/// Summary statistics of one metric over the replications of one point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stats {
    /// How many replications had a value.
    pub n: usize,
    pub mean: f64,
    /// Sample standard deviation (n − 1 in the denominator); `None` for one value.
    pub stdev: Option<f64>,
    /// 95% confidence interval of the mean, `mean ± t(0.975, n−1) · stdev / √n`;
    /// `None` for one value.
    pub ci95: Option<(f64, f64)>,
}

impl Stats {
    /// The statistics of `values` in the order given; `None` when there are none.
    pub fn of(values: &[f64]) -> Option<Stats> {
        let n = values.len();
        if n == 0 {
            return None;
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        if n == 1 {
            return Some(Stats {
                n,
                mean,
                stdev: None,
                ci95: None,
            });
        }
        let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64;
        let stdev = var.sqrt();
        let half = t975(n - 1) * stdev / (n as f64).sqrt();
        Some(Stats {
            n,
            mean,
            stdev: Some(stdev),
            ci95: Some((mean - half, mean + half)),
        })
    }

    /// Half the width of the confidence interval (0 with one value).
    pub fn ci95_half(&self) -> f64 {
        self.ci95.map_or(0.0, |(lo, hi)| (hi - lo) / 2.0)
    }
}

/// The 0.975 quantile of Student's t with `df` degrees of freedom (two-sided 95%).
///
/// Degrees of freedom 1–30 from the standard table (NIST/SEMATECH e-Handbook of
/// Statistical Methods, 1.3.6.7.2, "Critical values of the Student's t distribution");
/// above 30 the Cornish–Fisher expansion in 1/df (Abramowitz & Stegun 26.7.5), which is
/// within 1e-6 of the exact value there and tends to the normal quantile 1.959964.
pub fn t975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157,
        2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905, 2.109816, 2.100922,
        2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831,
        2.048407, 2.045230, 2.042272,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => TABLE[df - 1],
        _ => {
            let z: f64 = 1.959_963_985;
            let d = df as f64;
            let g1 = (z.powi(3) + z) / 4.0;
            let g2 = (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / 96.0;
            let g3 = (3.0 * z.powi(7) + 19.0 * z.powi(5) + 17.0 * z.powi(3) - 15.0 * z) / 384.0;
            let g4 = (79.0 * z.powi(9) + 776.0 * z.powi(7) + 1482.0 * z.powi(5)
                - 1920.0 * z.powi(3)
                - 945.0 * z)
                / 92160.0;
            z + g1 / d + g2 / (d * d) + g3 / d.powi(3) + g4 / d.powi(4)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expansion_continues_the_table() {
        // At 30 degrees of freedom the two agree to the table's precision.
        let z: f64 = 1.959_963_985;
        let d = 30.0;
        let t30 = z
            + (z * z * z + z) / 4.0 / d
            + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / 96.0 / (d * d);
        assert!((t30 - t975(30)).abs() < 1e-3, "{t30}");
        assert!((t975(31) - 2.039513).abs() < 1e-5, "{}", t975(31));
        assert!((t975(60) - 2.000298).abs() < 1e-5, "{}", t975(60));
        assert!((t975(1000) - 1.962339).abs() < 1e-5, "{}", t975(1000));
        for df in 1..200 {
            assert!(t975(df) > t975(df + 1), "t is decreasing in df at {df}");
        }
    }

    #[test]
    fn five_replications_by_hand() {
        // 2, 4, 4, 4, 5: mean 3.8, variance 1.2 (n−1), t(0.975, 4) = 2.776445.
        let s = Stats::of(&[2.0, 4.0, 4.0, 4.0, 5.0]).unwrap();
        assert_eq!(s.n, 5);
        assert!((s.mean - 3.8).abs() < 1e-12);
        let sd = 1.2f64.sqrt();
        assert!((s.stdev.unwrap() - sd).abs() < 1e-12);
        let half = 2.776445 * sd / 5f64.sqrt();
        let (lo, hi) = s.ci95.unwrap();
        assert!((lo - (3.8 - half)).abs() < 1e-9 && (hi - (3.8 + half)).abs() < 1e-9);
        let one = Stats::of(&[7.0]).unwrap();
        assert_eq!((one.mean, one.stdev, one.ci95), (7.0, None, None));
        assert!(Stats::of(&[]).is_none());
    }
}
