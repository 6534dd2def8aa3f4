//! Dates and times in filters: `2026-11-01`, `2026-11-01 10:30`, `2026-11-01T10:30:00.250Z`,
//! `2026-11-01T12:30:00+02:00`. A time stands for the span its precision names (a day, a
//! minute, a second, a millisecond), so `start = '2026-11-01'` is any time that day.

/// Milliseconds since the Unix epoch (UTC) where the span starts, and its length in ms.
pub(super) fn parse(s: &str) -> Option<(i64, i64)> {
    let s = s.trim();
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = s.get(from..from + len)?;
        part.bytes().all(|c| c.is_ascii_digit()).then(|| part.parse().ok())?
    };
    let year = num(0, 4)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let (month, day) = (num(5, 2)?, num(8, 2)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut millis = days_from_civil(year, month, day) * 86_400_000;
    let mut span = 86_400_000;
    let mut i = 10;
    if i < b.len() {
        if !matches!(b[i], b'T' | b't' | b' ') {
            return None;
        }
        let (h, m) = (num(i + 1, 2)?, num(i + 4, 2)?);
        if b.get(i + 3) != Some(&b':') || h > 23 || m > 59 {
            return None;
        }
        millis += (h * 60 + m) * 60_000;
        span = 60_000;
        i += 6;
        if b.get(i) == Some(&b':') {
            let sec = num(i + 1, 2)?;
            if sec > 60 {
                return None;
            }
            millis += sec * 1000;
            span = 1000;
            i += 3;
            if b.get(i) == Some(&b'.') {
                let digits = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
                if digits == 0 {
                    return None;
                }
                let frac = &s[i + 1..i + 1 + digits];
                let ms: i64 = format!("{:0<3}", &frac[..digits.min(3)]).parse().ok()?;
                millis += ms;
                span = 1;
                i += 1 + digits;
            }
        }
        match b.get(i) {
            None => {}
            Some(b'Z' | b'z') if i + 1 == b.len() => {}
            Some(sign @ (b'+' | b'-')) => {
                let (oh, om) = match b.len() - i {
                    6 if b[i + 3] == b':' => (num(i + 1, 2)?, num(i + 4, 2)?),
                    5 => (num(i + 1, 2)?, num(i + 3, 2)?),
                    3 => (num(i + 1, 2)?, 0),
                    _ => return None,
                };
                let offset = (oh * 60 + om) * 60_000;
                millis += if *sign == b'+' { -offset } else { offset };
            }
            _ => return None,
        }
    }
    Some((millis, span))
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_times_and_offsets() {
        assert_eq!(parse("1970-01-01"), Some((0, 86_400_000)));
        assert_eq!(parse("2026-11-01"), Some((1_793_491_200_000, 86_400_000)));
        assert_eq!(parse("2026-11-01 00:01"), Some((1_793_491_260_000, 60_000)));
        assert_eq!(parse("2026-11-01T00:00:01Z"), Some((1_793_491_201_000, 1000)));
        assert_eq!(parse("2026-11-01T00:00:00.25Z"), Some((1_793_491_200_250, 1)));
        assert_eq!(parse("2026-11-01T02:00:00+02:00"), Some((1_793_491_200_000, 1000)));
        assert_eq!(parse("2026-10-31T23:00:00-0100"), Some((1_793_491_200_000, 1000)));
        assert_eq!(parse("2024-02-29"), Some((1_709_164_800_000, 86_400_000)));
        for bad in [
            "2023-02-29",
            "2026-13-01",
            "2026-1-01",
            "yesterday",
            "2026-11-01T25:00",
            "2026-11-01Tx",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
