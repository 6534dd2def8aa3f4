//! Thinning long series for drawing without losing what the eye looks for: the x range is cut
//! into buckets (about one per pixel column) and each bucket keeps its first, lowest, highest
//! and last point, in x order. A spike survives however long the series; a line drawn through
//! the kept points covers the same pixels as one drawn through all of them.
//!
//! Used by the SVG renderer and by anything else that sends curves to be drawn (the web UI).

/// At most about `4 * buckets` points of `points` (sorted by x or not: buckets follow x; the
/// points of one bucket keep their order). Series no longer than `4 * buckets` come back as
/// they are; non-finite points are dropped.
pub fn min_max(points: &[(f64, f64)], buckets: usize) -> Vec<(f64, f64)> {
    let buckets = buckets.max(1);
    let finite = |p: &&(f64, f64)| p.0.is_finite() && p.1.is_finite();
    if points.len() <= buckets * 4 {
        return points.iter().filter(finite).copied().collect();
    }
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for p in points.iter().filter(finite) {
        lo = lo.min(p.0);
        hi = hi.max(p.0);
    }
    if lo > hi {
        return Vec::new();
    }
    let width = (hi - lo) / buckets as f64;
    let bucket_of = |x: f64| {
        if width > 0.0 { (((x - lo) / width) as usize).min(buckets - 1) } else { 0 }
    };
    // Per bucket: indexes of the first, min, max and last points.
    let mut kept: Vec<Option<[usize; 4]>> = vec![None; buckets];
    for (i, p) in points.iter().enumerate() {
        if !finite(&p) {
            continue;
        }
        let b = bucket_of(p.0);
        match &mut kept[b] {
            None => kept[b] = Some([i, i, i, i]),
            Some([_, min, max, last]) => {
                if p.1 < points[*min].1 {
                    *min = i;
                }
                if p.1 > points[*max].1 {
                    *max = i;
                }
                *last = i;
            }
        }
    }
    let mut out = Vec::with_capacity(buckets * 4);
    for mut idx in kept.into_iter().flatten() {
        idx.sort_unstable();
        let mut prev = usize::MAX;
        for i in idx {
            if i != prev {
                out.push(points[i]);
                prev = i;
            }
        }
    }
    out
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
    fn spikes_survive_thinning() {
        let mut points: Vec<(f64, f64)> =
            (0..1_000_000).map(|i| (i as f64, (i % 7) as f64)).collect();
        points[123_457].1 = 1000.0;
        points[876_543].1 = -1000.0;
        let thin = min_max(&points, 500);
        assert!(thin.len() <= 2000, "{}", thin.len());
        assert!(thin.contains(&(123_457.0, 1000.0)));
        assert!(thin.contains(&(876_543.0, -1000.0)));
        assert_eq!(thin.first(), points.first());
        assert_eq!(thin.last(), points.last());
        assert!(thin.windows(2).all(|w| w[0].0 < w[1].0), "x order is kept");
    }

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
