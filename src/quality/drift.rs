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
}
