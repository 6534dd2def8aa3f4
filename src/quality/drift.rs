//! Drift between two profiles of one data file, column by column, read from the profiles alone.
//! Numbers: the population stability index (PSI) over ten bins cut at the deciles of the
//! `from` side, and the Kolmogorov–Smirnov statistic (the largest gap between the two
//! distribution functions), both from the profiles' KLL sketches. Categories (text, booleans):
//! the Jensen–Shannon divergence (base 2, so 0 to 1) and Pearson's chi-squared test of
//! homogeneity over the most frequent values (the rest pooled as one category). Thresholds come
//! from `[drift]` in `mlx.toml`.

use std::collections::BTreeMap;

use datasketches::common::SearchCriteria;
use datasketches::kll::{KllFloat, KllSketch};
use serde::{Deserialize, Serialize};

use super::profile::{ColumnProfile, Profile};

/// A bin's share below this counts as this in PSI (an empty bin would make it infinite).
pub const PSI_FLOOR: f64 = 1e-4;
/// Points on each side's distribution where the KS gap is measured (besides the deciles).
const KS_GRID: usize = 1000;

/// `[drift]`: thresholds, for every file and column unless `paths` says otherwise.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DriftConfig {
    pub psi: Option<f64>,
    pub ks: Option<f64>,
    pub js: Option<f64>,
    pub chi2_pvalue: Option<f64>,
    /// `[drift.paths."PATH"]`: thresholds for one file, and `columns.NAME` for one column.
    #[serde(default)]
    pub paths: BTreeMap<String, PathThresholds>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PathThresholds {
    pub psi: Option<f64>,
    pub ks: Option<f64>,
    pub js: Option<f64>,
    pub chi2_pvalue: Option<f64>,
    #[serde(default)]
    pub columns: BTreeMap<String, Thresholds>,
}

/// Limits above which a column has drifted; a key left out falls back to the wider table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// PSI (default 0.2).
    pub psi: Option<f64>,
    /// KS statistic (default 0.1).
    pub ks: Option<f64>,
    /// Jensen–Shannon divergence, base 2 (default 0.1).
    pub js: Option<f64>,
    /// Chi-squared p-value below which a column drifted (default: not judged).
    pub chi2_pvalue: Option<f64>,
}

impl Thresholds {
    fn or(self, wider: Thresholds) -> Thresholds {
        Thresholds {
            psi: self.psi.or(wider.psi),
            ks: self.ks.or(wider.ks),
            js: self.js.or(wider.js),
            chi2_pvalue: self.chi2_pvalue.or(wider.chi2_pvalue),
        }
    }
}

impl DriftConfig {
    /// The thresholds for `column` of `path`.
    pub fn for_column(&self, path: &str, column: &str) -> Thresholds {
        let builtin =
            Thresholds { psi: Some(0.2), ks: Some(0.1), js: Some(0.1), chi2_pvalue: None };
        let own = |psi, ks, js, chi2_pvalue| Thresholds { psi, ks, js, chi2_pvalue };
        let mut t = own(self.psi, self.ks, self.js, self.chi2_pvalue).or(builtin);
        if let Some(p) = self.paths.get(path) {
            t = own(p.psi, p.ks, p.js, p.chi2_pvalue).or(t);
            if let Some(c) = p.columns.get(column) {
                t = c.or(t);
            }
        }
        t
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DriftReport {
    pub path: String,
    pub from: Side,
    pub to: Side,
    pub columns: Vec<ColumnDrift>,
    /// Columns in only one of the two versions.
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// Whether any column is over a threshold.
    pub drifted: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// The revision or experiment named, or `workspace`.
    pub source: String,
    pub hash: String,
    pub rows: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ColumnDrift {
    pub name: String,
    /// `numeric` or `categorical`; `type_changed` when one side is numeric and the other not.
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub psi: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ks: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub js: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chi2: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chi2_pvalue: Option<f64>,
    /// PSI's bin edges (the `from` side's deciles).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bins: Vec<f64>,
    pub null_rate_from: f64,
    pub null_rate_to: f64,
    pub thresholds: Thresholds,
    /// The measures over their thresholds (`psi`, `ks`, `js`, `chi2_pvalue`, `type`).
    pub over: Vec<String>,
}

/// Compare two profiles of `path`.
pub fn compare(
    path: &str,
    from: (Side, &Profile),
    to: (Side, &Profile),
    config: &DriftConfig,
) -> DriftReport {
    let mut columns = Vec::new();
    let mut removed = Vec::new();
    for a in &from.1.columns {
        let Some(b) = to.1.column(&a.name) else {
            removed.push(a.name.clone());
            continue;
        };
        columns.push(column(a, b, config.for_column(path, &a.name)));
    }
    let added =
        to.1.columns
            .iter()
            .filter(|c| from.1.column(&c.name).is_none())
            .map(|c| c.name.clone())
            .collect();
    let drifted = columns.iter().any(|c| !c.over.is_empty());
    DriftReport { path: path.to_owned(), from: from.0, to: to.0, columns, added, removed, drifted }
}

fn column(a: &ColumnProfile, b: &ColumnProfile, t: Thresholds) -> ColumnDrift {
    let mut d = ColumnDrift {
        name: a.name.clone(),
        kind: String::new(),
        psi: None,
        ks: None,
        js: None,
        chi2: None,
        chi2_pvalue: None,
        bins: Vec::new(),
        null_rate_from: a.null_rate(),
        null_rate_to: b.null_rate(),
        thresholds: t,
        over: Vec::new(),
    };
    match (a.kind.is_numeric(), b.kind.is_numeric()) {
        (true, true) => {
            d.kind = "numeric".into();
            if let (Some(ka), Some(kb)) = (a.kll(), b.kll()) {
                let (psi, bins) = psi(&ka, &kb);
                d.psi = Some(psi);
                d.bins = bins;
                d.ks = Some(ks(&ka, &kb));
            }
        }
        (false, false) => {
            d.kind = "categorical".into();
            let (p, q) = category_counts(a, b);
            d.js = Some(js_divergence(&p, &q));
            let (stat, pvalue) = chi_squared(&p, &q);
            d.chi2 = Some(stat);
            d.chi2_pvalue = Some(pvalue);
        }
        _ => {
            d.kind = "type_changed".into();
            d.over.push("type".into());
        }
    }
    let over =
        |v: Option<f64>, limit: Option<f64>| matches!((v, limit), (Some(v), Some(l)) if v > l);
    if over(d.psi, t.psi) {
        d.over.push("psi".into());
    }
    if over(d.ks, t.ks) {
        d.over.push("ks".into());
    }
    if over(d.js, t.js) {
        d.over.push("js".into());
    }
    if matches!((d.chi2_pvalue, t.chi2_pvalue), (Some(p), Some(l)) if p < l) {
        d.over.push("chi2_pvalue".into());
    }
    d
}

type Kll = KllSketch<KllFloat<f64>>;

fn item(v: f64) -> KllFloat<f64> {
    KllFloat::<f64>::new(v).expect("sketch values are never NaN")
}

/// The inclusive distribution function of `k` at sorted, distinct `points`.
fn cdf(k: &Kll, points: &[KllFloat<f64>]) -> Vec<f64> {
    k.cdf(points, SearchCriteria::Inclusive).ok().flatten().unwrap_or_default()
}

/// PSI over bins cut at the `from` side's deciles: (-inf, d1], (d1, d2], …, (d9, inf), with
/// repeated deciles merged. Returns the index and the cuts.
pub fn psi(from: &Kll, to: &Kll) -> (f64, Vec<f64>) {
    let ranks: Vec<f64> = (1..10).map(|i| f64::from(i) / 10.0).collect();
    let mut cuts: Vec<f64> = from
        .quantiles(&ranks, SearchCriteria::Inclusive)
        .ok()
        .flatten()
        .unwrap_or_default()
        .into_iter()
        .map(KllFloat::into_inner)
        .collect();
    cuts.dedup();
    let points: Vec<KllFloat<f64>> = cuts.iter().map(|c| item(*c)).collect();
    let shares = |k: &Kll| {
        let c = cdf(k, &points);
        let mut prev = 0.0;
        c.iter()
            .map(|x| {
                let s = x - prev;
                prev = *x;
                s
            })
            .collect::<Vec<f64>>()
    };
    let (p, q) = (shares(from), shares(to));
    let value = p
        .iter()
        .zip(&q)
        .map(|(p, q)| {
            let (p, q) = (p.max(PSI_FLOOR), q.max(PSI_FLOOR));
            (q - p) * (q / p).ln()
        })
        .sum();
    (value, cuts)
}

/// The largest gap between the two distribution functions, measured at a grid of each side's
/// quantiles: within the sum of both sketches' rank errors of the exact statistic.
pub fn ks(a: &Kll, b: &Kll) -> f64 {
    let ranks: Vec<f64> = (1..KS_GRID).map(|i| i as f64 / KS_GRID as f64).collect();
    let mut points: Vec<f64> = Vec::new();
    for k in [a, b] {
        if let (Some(lo), Some(hi)) = (k.min_item(), k.max_item()) {
            points.push(lo.into_inner());
            points.push(hi.into_inner());
        }
        if let Ok(Some(qs)) = k.quantiles(&ranks, SearchCriteria::Inclusive) {
            points.extend(qs.into_iter().map(KllFloat::into_inner));
        }
    }
    points.sort_by(f64::total_cmp);
    points.dedup();
    let points: Vec<KllFloat<f64>> = points.into_iter().map(item).collect();
    let (fa, fb) = (cdf(a, &points), cdf(b, &points));
    fa.iter().zip(&fb).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

/// Counts per category on both sides, over the union of both top lists, plus one category
/// for everything else. A value in one side's top list only counts 0 on the other side
/// (exact whenever both lists are exact and hold every value).
pub fn category_counts(a: &ColumnProfile, b: &ColumnProfile) -> (Vec<f64>, Vec<f64>) {
    let mut keys: Vec<&str> = a.top.iter().chain(&b.top).map(|t| t.value.as_str()).collect();
    keys.sort_unstable();
    keys.dedup();
    let counts = |c: &ColumnProfile| {
        let mut v: Vec<f64> = keys
            .iter()
            .map(|k| c.top.iter().find(|t| t.value == *k).map_or(0.0, |t| t.count as f64))
            .collect();
        let listed: f64 = v.iter().sum();
        v.push((c.count as f64 - listed).max(0.0));
        v
    };
    (counts(a), counts(b))
}

/// Jensen–Shannon divergence (base 2) of two count vectors.
pub fn js_divergence(p: &[f64], q: &[f64]) -> f64 {
    let (sp, sq): (f64, f64) = (p.iter().sum(), q.iter().sum());
    if sp == 0.0 || sq == 0.0 {
        return 0.0;
    }
    let mut js = 0.0;
    for (x, y) in p.iter().zip(q) {
        let (x, y) = (x / sp, y / sq);
        let m = (x + y) / 2.0;
        if x > 0.0 {
            js += 0.5 * x * (x / m).log2();
        }
        if y > 0.0 {
            js += 0.5 * y * (y / m).log2();
        }
    }
    js.max(0.0)
}

/// Pearson's chi-squared test of homogeneity on the 2×k table of counts (categories empty on
/// both sides dropped; no continuity correction): the statistic and its p-value.
pub fn chi_squared(p: &[f64], q: &[f64]) -> (f64, f64) {
    let (sp, sq): (f64, f64) = (p.iter().sum(), q.iter().sum());
    let n = sp + sq;
    if sp == 0.0 || sq == 0.0 {
        return (0.0, 1.0);
    }
    let mut stat = 0.0;
    let mut k = 0usize;
    for (x, y) in p.iter().zip(q) {
        let col = x + y;
        if col == 0.0 {
            continue;
        }
        k += 1;
        let (ex, ey) = (sp * col / n, sq * col / n);
        stat += (x - ex) * (x - ex) / ex + (y - ey) * (y - ey) / ey;
    }
    if k < 2 {
        return (0.0, 1.0);
    }
    (stat, super::stats::chi2_sf(stat, (k - 1) as f64))
}

/// Bins of the overlaid histograms a drift view draws.
pub const OVERLAY_BINS: usize = 20;
/// Categories an overlay shows by name (the most frequent of both sides); the rest are pooled.
pub const OVERLAY_CATEGORIES: usize = 20;

/// One column's two distributions on common bins, as shares of each side's values (so versions
/// of different sizes compare): equal-width bins over both sides' range for numbers (from the
/// KLL sketches), the most frequent categories for text and booleans.
#[derive(Debug, Clone, Serialize)]
pub struct Overlay {
    pub name: String,
    /// `numeric` or `categorical`.
    pub kind: &'static str,
    /// Numbers: `bins + 1` edges, the last bin closed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub edges: Vec<f64>,
    /// Categories: their values, then `(other)` when some were pooled.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    pub from: Vec<f64>,
    pub to: Vec<f64>,
}

/// The overlaid distributions of the columns both profiles have and can be drawn together
/// (both numeric with values, or both categories), in the `from` profile's order.
pub fn overlays(from: &Profile, to: &Profile) -> Vec<Overlay> {
    let mut out = Vec::new();
    for a in &from.columns {
        let Some(b) = to.column(&a.name) else { continue };
        let shown = match (a.kind.is_numeric(), b.kind.is_numeric()) {
            (true, true) => numeric_overlay(a, b),
            (false, false) => Some(category_overlay(a, b)),
            _ => None,
        };
        out.extend(shown);
    }
    out
}

fn numeric_overlay(a: &ColumnProfile, b: &ColumnProfile) -> Option<Overlay> {
    let (ka, kb) = (a.kll()?, b.kll()?);
    let range = |k: &Kll| Some((k.min_item()?.into_inner(), k.max_item()?.into_inner()));
    let ((lo_a, hi_a), (lo_b, hi_b)) = (range(&ka)?, range(&kb)?);
    let (lo, hi) = (lo_a.min(lo_b), hi_a.max(hi_b));
    let (edges, inner) = if lo == hi {
        (vec![lo, hi], Vec::new())
    } else {
        let width = (hi - lo) / OVERLAY_BINS as f64;
        let edges: Vec<f64> = (0..=OVERLAY_BINS).map(|i| lo + width * i as f64).collect();
        let inner: Vec<KllFloat<f64>> = edges[1..OVERLAY_BINS].iter().map(|e| item(*e)).collect();
        (edges, inner)
    };
    // Shares below each inner edge (a value on an edge goes to the bin it opens).
    let shares = |k: &Kll| {
        let below = k.cdf(&inner, SearchCriteria::Exclusive).ok().flatten().unwrap_or_default();
        let mut prev = 0.0;
        let mut out: Vec<f64> = below
            .iter()
            .take(inner.len())
            .map(|x| {
                let s = (x - prev).max(0.0);
                prev = prev.max(*x);
                s
            })
            .collect();
        out.push((1.0 - prev).max(0.0));
        out
    };
    Some(Overlay {
        name: a.name.clone(),
        kind: "numeric",
        from: shares(&ka),
        to: shares(&kb),
        edges,
        labels: Vec::new(),
    })
}

fn category_overlay(a: &ColumnProfile, b: &ColumnProfile) -> Overlay {
    let share = |c: &ColumnProfile, v: &str| {
        let n = c.top.iter().find(|t| t.value == v).map_or(0, |t| t.count);
        if c.count == 0 { 0.0 } else { n as f64 / c.count as f64 }
    };
    let mut labels: Vec<String> = a.top.iter().chain(&b.top).map(|t| t.value.clone()).collect();
    labels.sort_unstable();
    labels.dedup();
    // The most frequent of both sides first.
    labels.sort_by(|x, y| {
        let (sx, sy) = (share(a, x) + share(b, x), share(a, y) + share(b, y));
        sy.total_cmp(&sx).then_with(|| x.cmp(y))
    });
    labels.truncate(OVERLAY_CATEGORIES);
    let side = |c: &ColumnProfile| {
        let mut v: Vec<f64> = labels.iter().map(|l| share(c, l)).collect();
        let rest = 1.0 - v.iter().sum::<f64>();
        v.push(if c.count == 0 { 0.0 } else { rest.max(0.0) });
        v
    };
    let (mut from, mut to) = (side(a), side(b));
    if from.last() > Some(&1e-12) || to.last() > Some(&1e-12) {
        labels.push("(other)".into());
    } else {
        from.pop();
        to.pop();
    }
    Overlay { name: a.name.clone(), kind: "categorical", edges: Vec::new(), labels, from, to }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sketch(values: impl IntoIterator<Item = f64>) -> Kll {
        let mut k = Kll::new(super::super::profile::KLL_K).unwrap();
        for v in values {
            k.update(item(v));
        }
        k
    }

    #[test]
    fn identical_distributions_do_not_drift() {
        let a = sketch((0..1000).map(f64::from));
        let (psi, cuts) = psi(&a, &a);
        assert!(psi.abs() < 1e-12);
        assert_eq!(cuts.len(), 9);
        assert_eq!(ks(&a, &a), 0.0);
    }

    #[test]
    fn shifted_distribution_has_the_exact_ks_gap() {
        // Exact sketches (fewer values than k): 0..300 against 30..330 differ by 0.1.
        let a = sketch((0..300).map(f64::from));
        let b = sketch((30..330).map(f64::from));
        assert!((ks(&a, &b) - 0.1).abs() < 1e-9, "{}", ks(&a, &b));
    }

    #[test]
    fn jensen_shannon_and_chi_squared_by_hand() {
        assert_eq!(js_divergence(&[1.0, 0.0], &[0.0, 1.0]), 1.0);
        assert!(js_divergence(&[5.0, 5.0], &[1.0, 1.0]).abs() < 1e-15);
        // [[10, 20], [20, 10]]: expected 15 everywhere, stat = 4 * 25/15.
        let (stat, p) = chi_squared(&[10.0, 20.0], &[20.0, 10.0]);
        assert!((stat - 100.0 / 15.0).abs() < 1e-12);
        assert!((p - super::super::stats::chi2_sf(100.0 / 15.0, 1.0)).abs() < 1e-15);
    }

    #[test]
    fn thresholds_narrow_from_defaults_to_columns() {
        let c: DriftConfig = toml::from_str(
            "psi = 0.3\n[paths.\"a.csv\"]\nks = 0.5\n[paths.\"a.csv\".columns.x]\njs = 0.01\n",
        )
        .unwrap();
        let t = c.for_column("a.csv", "x");
        assert_eq!((t.psi, t.ks, t.js, t.chi2_pvalue), (Some(0.3), Some(0.5), Some(0.01), None));
        assert_eq!(c.for_column("b.csv", "x").ks, Some(0.1));
    }

    #[test]
    fn overlays_share_bins_and_sum_to_one() {
        use super::super::profile::{ColumnProfile, Profile, TopValue};
        use base64::Engine as _;
        let encode = |k: &Kll| base64::engine::general_purpose::STANDARD.encode(k.serialize());
        let numbers = |name: &str, k: &Kll| ColumnProfile {
            name: name.into(),
            kind: super::super::Kind::Float,
            count: k.n(),
            nulls: 0,
            distinct: 0,
            min: None,
            max: None,
            mean: None,
            std: None,
            quantiles: Vec::new(),
            top: Vec::new(),
            top_exact: true,
            histogram: None,
            sketch: Some(encode(k)),
        };
        let words = |counts: &[(&str, u64)]| ColumnProfile {
            kind: super::super::Kind::String,
            count: counts.iter().map(|c| c.1).sum(),
            top: counts.iter().map(|(v, c)| TopValue { value: (*v).into(), count: *c }).collect(),
            sketch: None,
            ..numbers("w", &sketch([0.0]))
        };
        let profile = |columns| Profile {
            version: 1,
            hash: String::new(),
            format: super::super::Format::Csv,
            bytes: 0,
            rows: 0,
            columns,
            skipped: Vec::new(),
            notes: Vec::new(),
        };
        let a = profile(vec![
            numbers("x", &sketch((0..100).map(f64::from))),
            words(&[("a", 3), ("b", 1)]),
        ]);
        let b = profile(vec![
            numbers("x", &sketch((100..200).map(f64::from))),
            words(&[("b", 2), ("c", 2)]),
        ]);
        let o = overlays(&a, &b);
        assert_eq!(o.len(), 2);
        let x = &o[0];
        assert_eq!(x.edges.len(), OVERLAY_BINS + 1);
        assert_eq!((x.edges[0], x.edges[OVERLAY_BINS]), (0.0, 199.0));
        assert!((x.from.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        assert!((x.to.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        // 0..99 fills the first half of the bins, 100..199 the second.
        assert!(x.from[..10].iter().sum::<f64>() > 0.99, "{:?}", x.from);
        assert!(x.to[10..].iter().sum::<f64>() > 0.99, "{:?}", x.to);
        let w = &o[1];
        // a and b tie on both sides' shares (0.75): by value.
        assert_eq!(w.labels, ["a", "b", "c"]);
        assert_eq!(w.from, [0.75, 0.25, 0.0]);
        assert_eq!(w.to, [0.0, 0.5, 0.5]);
    }
}
