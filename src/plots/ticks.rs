//! Axis ticks people read easily: steps of 1, 2 or 5 times a power of ten, labelled with just
//! the digits the step needs.

/// A "nice" range and its ticks for data spanning `min..=max`, about `target` ticks.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticks {
    /// The axis runs from `lo` to `hi` (the first and last tick).
    pub lo: f64,
    pub hi: f64,
    pub step: f64,
    pub values: Vec<f64>,
}

/// Ticks covering `min..=max` (in any order; equal or non-finite bounds get a unit range).
pub fn nice(min: f64, max: f64, target: usize) -> Ticks {
    let (mut min, mut max) = if min <= max { (min, max) } else { (max, min) };
    if !min.is_finite() || !max.is_finite() {
        (min, max) = (0.0, 1.0);
    }
    if min == max {
        let pad = if min == 0.0 { 1.0 } else { min.abs() * 0.1 };
        (min, max) = (min - pad, max + pad);
    }
    if !(max - min).is_finite() {
        // A range wider than f64 holds: just the ends.
        return Ticks { lo: min, hi: max, step: max / 2.0 - min / 2.0, values: vec![min, max] };
    }
    let step = nice_step((max - min) / target.max(2) as f64);
    let lo = (min / step).floor() * step;
    let hi = (max / step).ceil() * step;
    let n = (((hi - lo) / step).round() as usize).min(4 * target.max(2));
    // Values like 0.30000000000000004 are snapped to the digits the step has.
    let scale = 10f64.powi((-step.log10().floor()).max(0.0) as i32);
    let values = (0..=n)
        .map(|i| {
            let v = ((lo / step).round() + i as f64) * step;
            let snapped = (v * scale).round() / scale;
            if snapped.abs() < step * 1e-9 { 0.0 } else { snapped }
        })
        .collect();
    Ticks { lo, hi, step, values }
}

/// The smallest of 1, 2, 5 × 10^k that is at least `raw`.
fn nice_step(raw: f64) -> f64 {
    if raw.is_nan() || raw <= 0.0 || !raw.is_finite() {
        return 1.0;
    }
    let power = 10f64.powf(raw.log10().floor());
    let fraction = raw / power;
    let nice = if fraction <= 1.0 {
        1.0
    } else if fraction <= 2.0 {
        2.0
    } else if fraction <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * power
}

/// A tick label: as many decimals as `step` needs; exponent notation for very large or very
/// small magnitudes.
pub fn label(value: f64, step: f64) -> String {
    if value == 0.0 {
        return "0".into();
    }
    let magnitude = value.abs().max(step.abs());
    if !(1e-4..1e7).contains(&magnitude) {
        let digits =
            ((magnitude.log10().floor() - step.abs().log10().floor()).max(0.0) as usize).min(6);
        return trim_exponent(&format!("{value:.digits$e}"));
    }
    let decimals = (-step.abs().log10().floor()).max(0.0) as usize;
    format!("{value:.decimals$}")
}

/// `1.50e3` → `1.5e3`.
fn trim_exponent(s: &str) -> String {
    match s.split_once('e') {
        Some((m, e)) if m.contains('.') => {
            format!("{}e{e}", m.trim_end_matches('0').trim_end_matches('.'))
        }
        _ => s.to_owned(),
    }
}

/// A number as a category or a value in a table: integers without decimals, others with up to
/// 6 significant digits.
pub fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return format!("{v:.0}");
    }
    if v.is_nan() {
        return "NaN".into();
    }
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "0" || s == "-0" { format!("{v:.3e}") } else { s.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_data() {
        let t = nice(0.03, 0.97, 5);
        assert_eq!(t.step, 0.2);
        assert_eq!(t.values, [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        let t = nice(-3.0, 1234.0, 6);
        assert_eq!(t.step, 500.0);
        assert_eq!((t.lo, t.hi), (-500.0, 1500.0));
        let t = nice(7.0, 7.0, 5);
        assert!(t.lo < 7.0 && t.hi > 7.0);
        let t = nice(0.1, 0.3, 2);
        assert_eq!(t.values, [0.1, 0.2, 0.3]);
        let t = nice(-f64::MAX, f64::MAX, 5);
        assert_eq!(t.values.len(), 2);
        let t = nice(f64::NAN, 1.0, 5);
        assert_eq!((t.lo, t.hi), (0.0, 1.0));
    }

    #[test]
    fn labels_show_the_digits_the_step_needs() {
        assert_eq!(label(0.4, 0.2), "0.4");
        assert_eq!(label(0.30000000000000004, 0.1), "0.3");
        assert_eq!(label(1500.0, 500.0), "1500");
        assert_eq!(label(0.0, 0.1), "0");
        assert_eq!(label(25_000_000.0, 5_000_000.0), "2.5e7");
        assert_eq!(label(0.00002, 0.00001), "2e-5");
        assert_eq!(label(0.05, 0.025), "0.05");
    }

    #[test]
    fn numbers_read_as_categories() {
        assert_eq!(format_number(3.0), "3");
        assert_eq!(format_number(0.125), "0.125");
        assert_eq!(format_number(1.0 / 3.0), "0.333333");
    }
}
