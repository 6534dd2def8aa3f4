//! A data file's profile: one streaming pass over its record batches giving, per column, the
//! inferred type, counts, distinct values (HyperLogLog), min, max, mean and standard deviation
//! (merged per batch, Chan's update of Welford's sums), quantiles (a KLL sketch, kept in the
//! profile so drift can read whole distributions), most frequent values (exact counts up to
//! [`EXACT_TOP`] distinct values, then a frequent-items sketch) and a histogram. Columns are
//! worked on in parallel, and the next batch is read while one is profiled.

use std::collections::HashMap;
use std::sync::mpsc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::DataType;
use base64::Engine as _;
use datasketches::common::SearchCriteria;
use datasketches::frequencies::{ErrorType, FrequentItemsSketch};
use datasketches::hll::{HllSketch, HllType, HllUnion};
use datasketches::kll::{KllFloat, KllSketch};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::Error;
use super::read::{Kind, Skipped, Table};

/// The version of the profile's JSON encoding.
pub const PROFILE_VERSION: u32 = 1;
/// KLL's accuracy parameter: normalized rank error about 0.7% (single-sided, 99% confidence).
pub const KLL_K: u16 = 400;
/// HyperLogLog registers 2^12: relative standard error 1.6%.
pub const HLL_LG_K: u8 = 12;
/// Distinct values counted exactly before a column's top values come from a sketch.
pub const EXACT_TOP: usize = 10_000;
/// Map size of the frequent-items sketch used past [`EXACT_TOP`].
const SKETCH_MAP: usize = 4096;
/// Most frequent values kept in a profile.
pub const TOP_VALUES: usize = 50;
/// Equal-width bins of a numeric column's histogram.
pub const HISTOGRAM_BINS: usize = 20;
/// The quantiles a profile lists.
pub const QUANTILES: [f64; 9] = [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99];

/// A profile of one version of a data file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Profile {
    pub version: u32,
    /// The content hash of the data profiled.
    pub hash: String,
    pub format: super::read::Format,
    pub bytes: u64,
    pub rows: u64,
    pub columns: Vec<ColumnProfile>,
    /// Columns left out, and why.
    pub skipped: Vec<Skipped>,
    /// Things worth knowing about how the file was read (a column that changed type).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Profile {
    pub fn column(&self, name: &str) -> Option<&ColumnProfile> {
        self.columns.iter().find(|c| c.name == name)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ColumnProfile {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: Kind,
    /// Values present (not null, not NaN).
    pub count: u64,
    pub nulls: u64,
    /// Distinct values present (HyperLogLog estimate; exact below a few hundred).
    pub distinct: u64,
    /// Numbers as JSON numbers, text (dates, times) as strings; booleans as false/true.
    pub min: Option<serde_json::Value>,
    pub max: Option<serde_json::Value>,
    pub mean: Option<f64>,
    /// Sample standard deviation (n - 1 in the denominator, as pandas).
    pub std: Option<f64>,
    pub quantiles: Vec<Quantile>,
    /// Most frequent values, most frequent first (not for floats).
    pub top: Vec<TopValue>,
    /// Whether `top`'s counts are exact (else estimates from a frequent-items sketch).
    pub top_exact: bool,
    pub histogram: Option<Histogram>,
    /// The KLL sketch of a numeric column, base64: whole distributions for drift.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sketch: Option<String>,
}

impl ColumnProfile {
    pub fn null_rate(&self) -> f64 {
        let total = self.count + self.nulls;
        if total == 0 { 0.0 } else { self.nulls as f64 / total as f64 }
    }

    /// The KLL sketch of a numeric column.
    pub fn kll(&self) -> Option<KllSketch<KllFloat<f64>>> {
        let bytes = base64::engine::general_purpose::STANDARD.decode(self.sketch.as_ref()?).ok()?;
        KllSketch::deserialize(&bytes).ok()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Quantile {
    pub q: f64,
    pub value: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TopValue {
    pub value: String,
    pub count: u64,
}

/// Counts between `edges` (`edges.len() - 1` bins, the last one closed).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Histogram {
    pub edges: Vec<f64>,
    pub counts: Vec<u64>,
}

/// Profile every batch of `table`; `hash` and `bytes` describe the content read.
pub fn profile(table: Table, hash: String, bytes: u64) -> Result<Profile, Error> {
    let (format, schema, skipped) = (table.format, table.schema.clone(), table.skipped.clone());
    Ok(accumulate(table)?.finish(format, &schema, skipped, hash, bytes))
}

/// Profile the parts of one file (the same columns in each, read on a thread each), merging
/// their sketches and sums: the same profile as one pass over the whole file.
pub fn profile_parts(tables: Vec<Table>, hash: String, bytes: u64) -> Result<Profile, Error> {
    let Some(first) = tables.first() else {
        return Err(Error::Read { path: String::new(), message: "nothing to read".into() });
    };
    let (format, schema, skipped) = (first.format, first.schema.clone(), first.skipped.clone());
    let states: Vec<Result<State, Error>> = std::thread::scope(|scope| {
        let running: Vec<_> =
            tables.into_iter().map(|t| scope.spawn(move || accumulate(t))).collect();
        running
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(Error::Read { path: String::new(), message: "a reader failed".into() })
                })
            })
            .collect()
    });
    let mut merged: Option<State> = None;
    for state in states {
        let state = state?;
        match &mut merged {
            None => merged = Some(state),
            Some(m) => m.merge(state),
        }
    }
    let merged = merged.expect("at least one part");
    Ok(merged.finish(format, &schema, skipped, hash, bytes))
}

/// The running state of a profile: rows and each column's sketches and sums.
struct State {
    rows: u64,
    columns: Vec<Column>,
}

impl State {
    fn merge(&mut self, other: State) {
        self.rows += other.rows;
        for (a, b) in self.columns.iter_mut().zip(other.columns) {
            a.merge(b);
        }
    }

    fn finish(
        self,
        format: super::read::Format,
        schema: &arrow_schema::SchemaRef,
        skipped: Vec<Skipped>,
        hash: String,
        bytes: u64,
    ) -> Profile {
        let columns = self
            .columns
            .into_iter()
            .zip(schema.fields())
            .map(|(c, f)| c.finish(f.name().clone()))
            .collect();
        Profile {
            version: PROFILE_VERSION,
            hash,
            format,
            bytes,
            rows: self.rows,
            columns,
            skipped,
            notes: Vec::new(),
        }
    }
}

/// Read every batch of `table` into a [`State`]: the reader runs one batch ahead on its own
/// thread, and a batch's columns are worked on in parallel.
fn accumulate(table: Table) -> Result<State, Error> {
    let Table { kinds, batches, .. } = table;
    let mut columns: Vec<Column> = kinds.iter().map(|k| Column::new(*k)).collect();
    let mut rows = 0u64;
    let (tx, rx) = mpsc::sync_channel::<Result<RecordBatch, Error>>(2);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            for b in batches {
                let stop = b.is_err();
                if tx.send(b).is_err() || stop {
                    break;
                }
            }
        });
        for batch in rx {
            let batch = batch?;
            rows += batch.num_rows() as u64;
            columns
                .par_iter_mut()
                .zip(batch.columns().par_iter())
                .try_for_each(|(c, a)| c.add(a))?;
        }
        Ok::<(), Error>(())
    })?;
    Ok(State { rows, columns })
}

/// Exact counts while few, then a frequent-items sketch.
enum Top<T: std::hash::Hash + Eq> {
    Exact(HashMap<T, u64, foldhash::fast::RandomState>),
    Sketch(FrequentItemsSketch<T>),
    /// Integers past [`EXACT_TOP`] distinct values: no top values.
    Dropped,
}

impl<T: std::hash::Hash + Eq + Clone> Top<T> {
    /// Count `v` `n` times (a merge adds whole counts).
    fn add_count(&mut self, v: T, n: u64, overflow_to_sketch: bool) {
        match self {
            Top::Exact(m) => {
                if let Some(c) = m.get_mut(&v) {
                    *c += n;
                    return;
                }
                if m.len() < EXACT_TOP {
                    m.insert(v, n);
                    return;
                }
                if !overflow_to_sketch {
                    *self = Top::Dropped;
                    return;
                }
                let mut s = FrequentItemsSketch::new(SKETCH_MAP).expect("a valid map size");
                for (k, c) in m.drain() {
                    s.update_with_count(k, c);
                }
                s.update_with_count(v, n);
                *self = Top::Sketch(s);
            }
            Top::Sketch(s) => s.update_with_count(v, n),
            Top::Dropped => {}
        }
    }

    /// Add the counts of `other`, a part of the same column.
    fn merge(&mut self, other: Top<T>, overflow_to_sketch: bool) {
        match other {
            Top::Dropped => *self = Top::Dropped,
            Top::Exact(m) => {
                for (k, c) in m {
                    self.add_count(k, c, overflow_to_sketch);
                }
            }
            Top::Sketch(s) => match self {
                Top::Dropped => {}
                Top::Sketch(mine) => mine.merge(&s),
                Top::Exact(m) => {
                    let mut mine = s;
                    for (k, c) in m.drain() {
                        mine.update_with_count(k, c);
                    }
                    *self = Top::Sketch(mine);
                }
            },
        }
    }

    fn add(&mut self, v: &T, overflow_to_sketch: bool) {
        match self {
            Top::Exact(m) => {
                if let Some(c) = m.get_mut(v) {
                    *c += 1;
                    return;
                }
                if m.len() < EXACT_TOP {
                    m.insert(v.clone(), 1);
                    return;
                }
                if !overflow_to_sketch {
                    *self = Top::Dropped;
                    return;
                }
                let mut s = FrequentItemsSketch::new(SKETCH_MAP).expect("a valid map size");
                for (k, c) in m.drain() {
                    s.update_with_count(k, c);
                }
                s.update(v.clone());
                *self = Top::Sketch(s);
            }
            Top::Sketch(s) => s.update(v.clone()),
            Top::Dropped => {}
        }
    }

    fn rows(&self, show: impl Fn(&T) -> String) -> (Vec<TopValue>, bool) {
        let mut out: Vec<TopValue> = match self {
            Top::Exact(m) => {
                m.iter().map(|(k, c)| TopValue { value: show(k), count: *c }).collect()
            }
            Top::Sketch(s) => s
                .frequent_items(ErrorType::NoFalseNegatives)
                .into_iter()
                .map(|r| TopValue { value: show(r.item()), count: r.estimate() })
                .collect(),
            Top::Dropped => Vec::new(),
        };
        out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        out.truncate(TOP_VALUES);
        (out, matches!(self, Top::Exact(_)))
    }
}

/// One column's running state.
struct Column {
    kind: Kind,
    nulls: u64,
    hll: HllSketch,
    num: Option<Numbers>,
    text: Option<Text>,
}

struct Numbers {
    kll: KllSketch<KllFloat<f64>>,
    n: u64,
    mean: f64,
    m2: f64,
    min: f64,
    max: f64,
    ints: Option<Top<i64>>,
}

struct Text {
    min: Option<String>,
    max: Option<String>,
    top: Top<String>,
}

impl Column {
    fn new(kind: Kind) -> Self {
        let num = kind.is_numeric().then(|| Numbers {
            kll: KllSketch::new(KLL_K).expect("a valid k"),
            n: 0,
            mean: 0.0,
            m2: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            ints: (kind == Kind::Integer).then(|| Top::Exact(HashMap::default())),
        });
        let text = (!kind.is_numeric()).then(|| Text {
            min: None,
            max: None,
            top: Top::Exact(HashMap::default()),
        });
        Column {
            kind,
            nulls: 0,
            hll: HllSketch::new(HLL_LG_K, HllType::Hll8).expect("a valid lg k"),
            num,
            text,
        }
    }

    /// Add the state of `other`, the same column read from another part of the file.
    fn merge(&mut self, other: Column) {
        self.nulls += other.nulls;
        let mut union = HllUnion::new(HLL_LG_K).expect("a valid lg k");
        union.update(&self.hll);
        union.update(&other.hll);
        self.hll = union.to_sketch(HllType::Hll8);
        if let (Some(a), Some(b)) = (&mut self.num, other.num) {
            let _ = a.kll.merge(&b.kll);
            if b.n > 0 {
                let total = a.n + b.n;
                let delta = b.mean - a.mean;
                a.m2 += b.m2 + delta * delta * (a.n as f64) * (b.n as f64) / total as f64;
                a.mean += delta * b.n as f64 / total as f64;
                a.n = total;
            }
            a.min = a.min.min(b.min);
            a.max = a.max.max(b.max);
            if let (Some(ta), Some(tb)) = (&mut a.ints, b.ints) {
                ta.merge(tb, false);
            }
        }
        if let (Some(a), Some(b)) = (&mut self.text, other.text) {
            if let Some(l) = b.min
                && a.min.as_deref().is_none_or(|m| l.as_str() < m)
            {
                a.min = Some(l);
            }
            if let Some(h) = b.max
                && a.max.as_deref().is_none_or(|m| h.as_str() > m)
            {
                a.max = Some(h);
            }
            a.top.merge(b.top, true);
        }
    }

    fn add(&mut self, array: &ArrayRef) -> Result<(), Error> {
        self.nulls += array.null_count() as u64;
        if let Some(num) = &mut self.num {
            let floats = arrow_cast::cast(array, &DataType::Float64)
                .map_err(|e| Error::Read { path: String::new(), message: e.to_string() })?;
            let floats = floats.as_primitive::<Float64Type>();
            // This batch's sums first, then merged (Chan et al.): accurate and vectorisable.
            let mut n = 0u64;
            let mut sum = 0.0;
            let mut nan = 0u64;
            for v in floats.iter().flatten() {
                if v.is_nan() {
                    nan += 1;
                    continue;
                }
                n += 1;
                sum += v;
                num.min = num.min.min(v);
                num.max = num.max.max(v);
                num.kll.update(KllFloat::<f64>::new(v).expect("not NaN"));
                self.hll.update((v + 0.0).to_bits());
            }
            self.nulls += nan;
            if n > 0 {
                let mean = sum / n as f64;
                let m2: f64 = floats
                    .iter()
                    .flatten()
                    .filter(|v| !v.is_nan())
                    .map(|v| (v - mean) * (v - mean))
                    .sum();
                let total = num.n + n;
                let delta = mean - num.mean;
                num.m2 += m2 + delta * delta * (num.n as f64) * (n as f64) / total as f64;
                num.mean += delta * n as f64 / total as f64;
                num.n = total;
            }
            if let Some(top) = &mut num.ints {
                let ints = arrow_cast::cast(array, &DataType::Int64)
                    .map_err(|e| Error::Read { path: String::new(), message: e.to_string() })?;
                for v in ints.as_primitive::<Int64Type>().iter().flatten() {
                    top.add(&v, false);
                    if matches!(top, Top::Dropped) {
                        break;
                    }
                }
            }
            return Ok(());
        }
        let text = self.text.as_mut().expect("a text column");
        let strings = match array.data_type() {
            DataType::Utf8 => array.clone(),
            _ => arrow_cast::cast(array, &DataType::Utf8)
                .map_err(|e| Error::Read { path: String::new(), message: e.to_string() })?,
        };
        let mut lo: Option<&str> = None;
        let mut hi: Option<&str> = None;
        for v in strings.as_string::<i32>().iter().flatten() {
            self.hll.update(v);
            if lo.is_none_or(|l| v < l) {
                lo = Some(v);
            }
            if hi.is_none_or(|h| v > h) {
                hi = Some(v);
            }
            if let Top::Exact(m) = &mut text.top
                && let Some(c) = m.get_mut(v)
            {
                *c += 1;
                continue;
            }
            text.top.add(&v.to_owned(), true);
        }
        if let Some(l) = lo
            && text.min.as_deref().is_none_or(|m| l < m)
        {
            text.min = Some(l.to_owned());
        }
        if let Some(h) = hi
            && text.max.as_deref().is_none_or(|m| h > m)
        {
            text.max = Some(h.to_owned());
        }
        Ok(())
    }

    fn finish(self, name: String) -> ColumnProfile {
        let distinct = if self.hll.is_empty() { 0 } else { self.hll.estimate().round() as u64 };
        if let Some(num) = self.num {
            let n = num.n;
            let integer = self.kind == Kind::Integer;
            let number = |v: f64| {
                if integer && v.fract() == 0.0 && v.abs() < 9.0e15 {
                    serde_json::Value::from(v as i64)
                } else {
                    serde_json::Number::from_f64(v)
                        .map_or(serde_json::Value::Null, serde_json::Value::Number)
                }
            };
            let quantiles = if n == 0 {
                Vec::new()
            } else {
                QUANTILES
                    .iter()
                    .filter_map(|&q| {
                        let v = num.kll.quantile(q, SearchCriteria::Inclusive).ok()??;
                        Some(Quantile { q, value: v.into_inner() })
                    })
                    .collect()
            };
            let histogram = (n > 0).then(|| histogram(&num.kll, num.min, num.max, n));
            let (top, top_exact) = match &num.ints {
                Some(t) => t.rows(i64::to_string),
                None => (Vec::new(), false),
            };
            return ColumnProfile {
                name,
                kind: self.kind,
                count: n,
                nulls: self.nulls,
                // An estimate above the count is impossible.
                distinct: distinct.min(n),
                min: (n > 0).then(|| number(num.min)),
                max: (n > 0).then(|| number(num.max)),
                mean: (n > 0).then_some(num.mean),
                std: (n > 1).then(|| (num.m2 / (n - 1) as f64).sqrt()),
                quantiles,
                top,
                top_exact,
                histogram,
                sketch: (n > 0)
                    .then(|| base64::engine::general_purpose::STANDARD.encode(num.kll.serialize())),
            };
        }
        let text = self.text.expect("a text column");
        let (top, top_exact) = text.top.rows(String::clone);
        let count: u64 = match &text.top {
            Top::Exact(m) => m.values().sum(),
            Top::Sketch(s) => s.total_weight(),
            Top::Dropped => 0,
        };
        let value = |s: Option<String>| s.map(serde_json::Value::String);
        let (min, max) = if self.kind == Kind::Boolean {
            let b = |s: Option<String>| s.map(|s| serde_json::Value::Bool(s == "true"));
            (b(text.min), b(text.max))
        } else {
            (value(text.min), value(text.max))
        };
        ColumnProfile {
            name,
            kind: self.kind,
            count,
            nulls: self.nulls,
            distinct: distinct.min(count),
            min,
            max,
            mean: None,
            std: None,
            quantiles: Vec::new(),
            top,
            top_exact,
            histogram: None,
            sketch: None,
        }
    }
}

/// Equal-width bins from `min` to `max`, counted from the sketch's distribution (each count
/// within the sketch's rank error times `n`).
fn histogram(kll: &KllSketch<KllFloat<f64>>, min: f64, max: f64, n: u64) -> Histogram {
    if min == max {
        return Histogram { edges: vec![min, max], counts: vec![n] };
    }
    let width = (max - min) / HISTOGRAM_BINS as f64;
    let edges: Vec<f64> = (0..=HISTOGRAM_BINS).map(|i| min + width * i as f64).collect();
    let inner: Vec<KllFloat<f64>> = edges[1..HISTOGRAM_BINS]
        .iter()
        .map(|e| KllFloat::<f64>::new(*e).expect("not NaN"))
        .collect();
    // Ranks below each inner edge (exclusive: a value on an edge goes to the bin it opens).
    let ranks = kll.cdf(&inner, SearchCriteria::Exclusive).ok().flatten().unwrap_or_default();
    let mut counts = Vec::with_capacity(HISTOGRAM_BINS);
    let mut prev = 0u64;
    for r in ranks.iter().take(HISTOGRAM_BINS - 1) {
        let upto = (r * n as f64).round() as u64;
        counts.push(upto.saturating_sub(prev));
        prev = upto.max(prev);
    }
    counts.truncate(HISTOGRAM_BINS);
    while counts.len() < HISTOGRAM_BINS {
        counts.push(0);
    }
    let last = counts.len() - 1;
    counts[last] = n.saturating_sub(prev);
    Histogram { edges, counts }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use arrow_array::{Float64Array, Int64Array, StringArray};
    use arrow_schema::{Field, Schema};

    fn table(batches: Vec<RecordBatch>, kinds: Vec<Kind>) -> Table {
        let schema = batches[0].schema();
        Table {
            format: super::super::read::Format::Csv,
            schema,
            kinds,
            skipped: Vec::new(),
            batches: Box::new(batches.into_iter().map(Ok)),
        }
    }

    #[test]
    fn moments_merge_across_batches() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("x", DataType::Float64, true),
            Field::new("i", DataType::Int64, true),
            Field::new("s", DataType::Utf8, true),
        ]));
        let batch = |xs: Vec<Option<f64>>, is: Vec<Option<i64>>, ss: Vec<Option<&str>>| {
            RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(Float64Array::from(xs)),
                    Arc::new(Int64Array::from(is)),
                    Arc::new(StringArray::from(ss)),
                ],
            )
            .unwrap()
        };
        let b1 = batch(
            vec![Some(1.0), Some(2.0), None],
            vec![Some(1), Some(1), None],
            vec![Some("a"), None, Some("b")],
        );
        let b2 = batch(
            vec![Some(3.0), Some(f64::NAN), Some(4.0)],
            vec![Some(2), Some(3), Some(1)],
            vec![Some("a"), Some("a"), Some("c")],
        );
        let p = profile(
            table(vec![b1.clone(), b2.clone()], vec![Kind::Float, Kind::Integer, Kind::String]),
            "h".into(),
            0,
        )
        .unwrap();
        assert_eq!(p.rows, 6);
        let x = &p.columns[0];
        assert_eq!((x.count, x.nulls), (4, 2));
        assert!((x.mean.unwrap() - 2.5).abs() < 1e-12);
        // var of 1,2,3,4 with n-1: 5/3
        assert!((x.std.unwrap() - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(x.min, Some(serde_json::json!(1.0)));
        assert_eq!(x.histogram.as_ref().unwrap().counts.iter().sum::<u64>(), 4);
        let i = &p.columns[1];
        assert_eq!(i.top[0].value, "1");
        assert_eq!(i.top[0].count, 3);
        assert_eq!(i.distinct, 3);
        assert_eq!(i.max, Some(serde_json::json!(3)));
        let s = &p.columns[2];
        assert_eq!((s.count, s.nulls, s.distinct), (5, 1, 3));
        assert_eq!(s.top[0].value, "a");
        assert_eq!(s.top[0].count, 3);
        assert_eq!(s.min, Some(serde_json::json!("a")));
        assert_eq!(s.max, Some(serde_json::json!("c")));
        assert!(s.top_exact);
        assert!(x.kll().is_some());

        // Read in two parts and merged: the same figures.
        let parts = profile_parts(
            vec![
                table(vec![b1.clone()], vec![Kind::Float, Kind::Integer, Kind::String]),
                table(vec![b2.clone()], vec![Kind::Float, Kind::Integer, Kind::String]),
            ],
            "h".into(),
            0,
        )
        .unwrap();
        assert_eq!(parts.rows, 6);
        for (a, b) in p.columns.iter().zip(&parts.columns) {
            assert_eq!(
                (a.count, a.nulls, a.distinct),
                (b.count, b.nulls, b.distinct),
                "{}",
                a.name
            );
            assert_eq!((&a.min, &a.max), (&b.min, &b.max), "{}", a.name);
            assert!((a.mean.unwrap_or(0.0) - b.mean.unwrap_or(0.0)).abs() < 1e-12);
            assert!((a.std.unwrap_or(0.0) - b.std.unwrap_or(0.0)).abs() < 1e-12);
            let top = |c: &ColumnProfile| {
                c.top.iter().map(|t| (t.value.clone(), t.count)).collect::<Vec<_>>()
            };
            assert_eq!(top(a), top(b), "{}", a.name);
            assert_eq!(
                a.histogram.as_ref().map(|h| h.counts.clone()),
                b.histogram.as_ref().map(|h| h.counts.clone())
            );
        }
    }

    #[test]
    fn merged_top_values_turn_to_a_sketch_past_the_exact_limit() {
        let mut a: Top<String> = Top::Exact(HashMap::default());
        let mut b: Top<String> = Top::Exact(HashMap::default());
        // Each part exact on its own, more distinct values than the limit together.
        for i in 0..EXACT_TOP * 3 / 5 {
            a.add(&format!("a{i}"), true);
            b.add(&format!("b{i}"), true);
        }
        a.add_count("common".to_owned(), 100, true);
        b.add_count("common".to_owned(), 100, true);
        assert!(matches!((&a, &b), (Top::Exact(_), Top::Exact(_))));
        a.merge(b, true);
        let (rows, exact) = a.rows(String::clone);
        assert!(!exact);
        assert_eq!(rows[0].value, "common");
        assert!(rows[0].count >= 200);
        let mut ints: Top<i64> = Top::Exact((0..EXACT_TOP as i64).map(|i| (i, 1)).collect());
        ints.merge(Top::Exact([(-1, 1)].into_iter().collect()), false);
        assert!(matches!(ints, Top::Dropped));
    }
}
