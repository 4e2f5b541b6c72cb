//! Means with 95% confidence intervals (Student's t), and paired differences
//! for common-random-number comparisons.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// A sample mean and the half-width of its 95% confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub mean: f64,
    /// Half-width of the two-sided 95% interval (0 for fewer than 2 values).
    pub ci95: f64,
    pub n: usize,
}

/// The 0.975 quantile of Student's t with `df` degrees of freedom.
pub fn t975(df: usize) -> f64 {
    match StudentsT::new(0.0, 1.0, df.max(1) as f64) {
        Ok(t) => t.inverse_cdf(0.975),
        Err(_) => 1.959_963_984_540_054,
    }
}

impl Estimate {
    pub fn of(xs: &[f64]) -> Self {
        let n = xs.len();
        if n == 0 {
            return Estimate { mean: 0.0, ci95: 0.0, n };
        }
        let mean = xs.iter().sum::<f64>() / n as f64;
        if n < 2 {
            return Estimate { mean, ci95: 0.0, n };
        }
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        Estimate { mean, ci95: t975(n - 1) * (var / n as f64).sqrt(), n }
    }

    /// The paired difference `b - a`, replication by replication.
    pub fn paired(a: &[f64], b: &[f64]) -> Self {
        let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| y - x).collect();
        Estimate::of(&d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_sample() {
        // mean 5, s = sqrt(32/7) = 2.138, t(7) = 2.3646 -> half-width 1.7875
        let e = Estimate::of(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert!((e.mean - 5.0).abs() < 1e-12);
        assert!((e.ci95 - 1.7875).abs() < 1e-3, "{}", e.ci95);
        assert!((t975(1) - 12.706).abs() < 1e-3);
        assert!((t975(1000) - 1.962).abs() < 1e-3);
    }

    #[test]
    fn paired_differences_remove_the_shared_noise() {
        let a = [10.0, 20.0, 30.0, 40.0];
        let b = [11.0, 21.0, 31.0, 41.0];
        let d = Estimate::paired(&a, &b);
        assert_eq!((d.mean, d.ci95), (1.0, 0.0), "a constant shift is known exactly");
        assert!(Estimate::of(&b).ci95 > 10.0, "while each mean alone is uncertain");
        assert_eq!(Estimate::of(&[3.0]).ci95, 0.0);
    }
}
