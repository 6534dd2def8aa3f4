//! Thinning long series for drawing without losing what the eye looks for: the x range is cut
//! into equal buckets (about one per pixel column) and each bucket keeps its first, lowest,
//! highest and last point, in x order. A spike survives however long the series, and a line
//! drawn through the kept points covers the same pixels as one drawn through all of them.
//!
//! One function for every curve mlx sends to be drawn: the SVG charts of `mlx plots` and
//! `mlx report` (`plots::svg`) and the metric histories `mlx ui` serves (`tracking::history`).

/// The points of `points` to keep so that at most `4 * buckets` remain, in their order: all of
/// them when they fit; otherwise, for each of `buckets` equal slices of the x range, the first,
/// the lowest, the highest and the last point whose value is known. A slice holding only points
/// without a value (`y` gives `None`, as for NaN) keeps its first, so a gap stays a gap.
/// Points whose x is not finite are left out. `x` and `y` read a point's coordinates; points
/// are expected in x order (a bucket keeps the order they came in).
pub fn min_max<T: Copy>(
    points: &[T],
    buckets: usize,
    x: impl Fn(&T) -> f64,
    y: impl Fn(&T) -> Option<f64>,
) -> Vec<T> {
    let buckets = buckets.max(1);
    if points.len() <= buckets * 4 {
        return points.iter().filter(|p| x(p).is_finite()).copied().collect();
    }
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for p in points {
        let px = x(p);
        if px.is_finite() {
            lo = lo.min(px);
            hi = hi.max(px);
        }
    }
    if lo > hi {
        return Vec::new();
    }
    let width = (hi - lo) / buckets as f64;
    let bucket_of = |px: f64| {
        if width > 0.0 { (((px - lo) / width) as usize).min(buckets - 1) } else { 0 }
    };
    let value = |p: &T| y(p).filter(|v| v.is_finite());
    /// Per bucket: indexes of its first, lowest, highest and last point with a value, or of
    /// its first point when none has one yet.
    #[derive(Clone, Copy)]
    enum Kept {
        Empty,
        Gap(usize),
        Values { first: usize, min: (usize, f64), max: (usize, f64), last: usize },
    }
    let mut kept = vec![Kept::Empty; buckets];
    for (i, p) in points.iter().enumerate() {
        let px = x(p);
        if !px.is_finite() {
            continue;
        }
        let slot = &mut kept[bucket_of(px)];
        match (value(p), *slot) {
            (None, Kept::Empty) => *slot = Kept::Gap(i),
            (None, _) => {}
            (Some(v), Kept::Empty | Kept::Gap(_)) => {
                *slot = Kept::Values { first: i, min: (i, v), max: (i, v), last: i };
            }
            (Some(v), Kept::Values { first, min, max, .. }) => {
                *slot = Kept::Values {
                    first,
                    min: if v < min.1 { (i, v) } else { min },
                    max: if v > max.1 { (i, v) } else { max },
                    last: i,
                };
            }
        }
    }
    let mut out = Vec::with_capacity(buckets * 4);
    for slot in kept {
        match slot {
            Kept::Empty => {}
            Kept::Gap(i) => out.push(points[i]),
            Kept::Values { first, min, max, last } => {
                let mut idx = [first, min.0, max.0, last];
                idx.sort_unstable();
                let mut prev = usize::MAX;
                for i in idx {
                    if i != prev {
                        out.push(points[i]);
                        prev = i;
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xy(p: &(f64, f64)) -> f64 {
        p.0
    }

    fn yv(p: &(f64, f64)) -> Option<f64> {
        Some(p.1)
    }

    #[test]
    fn spikes_survive_thinning_and_order_is_kept() {
        let mut points: Vec<(f64, f64)> =
            (0..1_000_000).map(|i| (i as f64, (i % 7) as f64)).collect();
        points[123_457].1 = 1000.0;
        points[876_543].1 = -1000.0;
        let thin = min_max(&points, 500, xy, yv);
        assert!(thin.len() <= 2000, "{}", thin.len());
        assert!(thin.len() > 1500, "{}", thin.len());
        assert!(thin.contains(&(123_457.0, 1000.0)));
        assert!(thin.contains(&(876_543.0, -1000.0)));
        assert_eq!(thin.first(), points.first());
        assert_eq!(thin.last(), points.last());
        assert!(thin.windows(2).all(|w| w[0].0 < w[1].0), "x order is kept");
    }

    #[test]
    fn short_series_come_back_whole_and_degenerate_ones_shrink() {
        let points = vec![(0.0, 1.0), (1.0, f64::NAN), (f64::INFINITY, 3.0)];
        assert_eq!(min_max(&points, 10, xy, yv).len(), 2);
        assert!(min_max(&[], 10, xy, yv).is_empty());
        let same_x = vec![(1.0, 1.0); 100];
        assert!(min_max(&same_x, 2, xy, yv).len() <= 2);
    }

    #[test]
    fn a_bucket_of_gaps_keeps_one_and_values_win_over_gaps() {
        // 100 points, 60 without a value, then 40 with: 2 buckets.
        let points: Vec<(f64, f64)> =
            (0..100).map(|i| (f64::from(i), if i < 60 { f64::NAN } else { 1.0 })).collect();
        let out = min_max(&points, 2, xy, |p| Some(p.1).filter(|v| !v.is_nan()));
        assert_eq!(out.iter().filter(|p| p.1.is_nan()).count(), 1, "{out:?}");
        assert!(out.iter().any(|p| p.1 == 1.0));
        assert!(out.len() <= 8);
    }
}
