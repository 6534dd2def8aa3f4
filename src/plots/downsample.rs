//! Thinning long series for drawing: min and max per x bucket (`crate::downsample::min_max`,
//! the function every curve mlx draws goes through), and a stride for scatter plots.

/// At most about `4 * buckets` points of `points` (in x order): per bucket of the x range its
/// first, lowest, highest and last point. Series no longer than `4 * buckets` come back as they
/// are; non-finite points are dropped.
pub fn min_max(points: &[(f64, f64)], buckets: usize) -> Vec<(f64, f64)> {
    let finite: Vec<(f64, f64)>;
    let points = if points.iter().all(|p| p.0.is_finite() && p.1.is_finite()) {
        points
    } else {
        finite = points.iter().filter(|p| p.0.is_finite() && p.1.is_finite()).copied().collect();
        &finite
    };
    crate::downsample::min_max(points, buckets, |p| p.0, |p| Some(p.1))
}

/// Every `n`th point of a long series, for scatter plots (where bucket extremes would misstate
/// the density): at most `max` points, always the first and the last.
pub fn stride(points: &[(f64, f64)], max: usize) -> Vec<(f64, f64)> {
    let max = max.max(2);
    if points.len() <= max {
        return points.to_vec();
    }
    let step = points.len().div_ceil(max - 1);
    let mut out: Vec<_> = points.iter().step_by(step).copied().collect();
    if out.last() != points.last() {
        out.push(points[points.len() - 1]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_series_come_back_whole() {
        let points = vec![(0.0, 1.0), (1.0, f64::NAN), (2.0, 3.0)];
        assert_eq!(min_max(&points, 10), vec![(0.0, 1.0), (2.0, 3.0)]);
        assert_eq!(min_max(&[], 10), Vec::new());
        let same_x = vec![(1.0, 1.0); 100];
        assert!(min_max(&same_x, 2).len() <= 2);
    }

    #[test]
    fn stride_keeps_both_ends() {
        let points: Vec<(f64, f64)> = (0..10_001).map(|i| (i as f64, 0.0)).collect();
        let thin = stride(&points, 1000);
        assert!(thin.len() <= 1001);
        assert_eq!(thin.first(), points.first());
        assert_eq!(thin.last(), points.last());
    }
}
