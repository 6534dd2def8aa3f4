//! Thinning a long metric history to a point budget while keeping what a plot must show: the
//! first and the last point, and in each bucket of consecutive points the lowest and the highest
//! value (min/max per bucket), so a single spike among a million points survives. Pure: the
//! history is read by `tracking::history`.

use serde::Serialize;

/// One point of a metric's history.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    pub step: i64,
    /// Milliseconds since the Unix epoch.
    pub time: i64,
    /// `None` for NaN (the database stores NaN as NULL).
    pub value: Option<f64>,
}

/// The fewest points a budget may ask for: the first, the last and one bucket's min and max.
pub const MIN_BUDGET: usize = 4;

/// At most `budget` points of `points` (in their order): all of them when they fit; otherwise
/// the first and the last, and for each of `(budget - 2) / 2` buckets of consecutive points its
/// lowest and highest value, in the order they came. A bucket of NaN only keeps its first point,
/// so gaps stay visible.
pub fn min_max(points: &[Point], budget: usize) -> Vec<Point> {
    let budget = budget.max(MIN_BUDGET);
    let n = points.len();
    if n <= budget {
        return points.to_vec();
    }
    let inner = &points[1..n - 1];
    let buckets = (budget - 2) / 2;
    let mut out = Vec::with_capacity(budget);
    out.push(points[0]);
    let len = inner.len();
    for b in 0..buckets {
        let start = b * len / buckets;
        let end = (b + 1) * len / buckets;
        let bucket = &inner[start..end];
        let mut lo: Option<usize> = None;
        let mut hi: Option<usize> = None;
        for (i, p) in bucket.iter().enumerate() {
            let Some(v) = p.value else { continue };
            if lo.is_none_or(|j| v < bucket[j].value.unwrap_or(f64::INFINITY)) {
                lo = Some(i);
            }
            if hi.is_none_or(|j| v > bucket[j].value.unwrap_or(f64::NEG_INFINITY)) {
                hi = Some(i);
            }
        }
        match (lo, hi) {
            (Some(a), Some(b)) if a == b => out.push(bucket[a]),
            (Some(a), Some(b)) => {
                out.push(bucket[a.min(b)]);
                out.push(bucket[a.max(b)]);
            }
            _ => {
                if let Some(first) = bucket.first() {
                    out.push(*first);
                }
            }
        }
    }
    out.push(points[n - 1]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(values: &[f64]) -> Vec<Point> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| Point {
                step: i as i64,
                time: 1_000 + i as i64,
                value: if v.is_nan() { None } else { Some(*v) },
            })
            .collect()
    }

    #[test]
    fn short_histories_come_back_whole() {
        let s = series(&[1.0, 2.0, 3.0]);
        assert_eq!(min_max(&s, 2000), s);
    }

    #[test]
    fn a_million_points_fit_the_budget_and_keep_their_spikes() {
        let mut values: Vec<f64> = (0..1_000_000).map(|i| (f64::from(i) * 0.001).sin()).collect();
        values[123_457] = 50.0;
        values[876_543] = -50.0;
        let s = series(&values);
        let out = min_max(&s, 2000);
        assert!(out.len() <= 2000, "{} points", out.len());
        assert!(out.len() > 1900, "{} points", out.len());
        assert_eq!(out.first(), s.first());
        assert_eq!(out.last(), s.last());
        assert!(out.iter().any(|p| p.step == 123_457 && p.value == Some(50.0)));
        assert!(out.iter().any(|p| p.step == 876_543 && p.value == Some(-50.0)));
        assert!(out.windows(2).all(|w| w[0].step < w[1].step), "in order");
    }

    #[test]
    fn nan_buckets_keep_one_point_and_tiny_budgets_are_raised() {
        let values: Vec<f64> = (0..100).map(|i| if i < 60 { f64::NAN } else { 1.0 }).collect();
        let out = min_max(&series(&values), 1);
        assert!(out.len() <= MIN_BUDGET);
        assert!(out.iter().any(|p| p.value.is_none()));
    }
}
