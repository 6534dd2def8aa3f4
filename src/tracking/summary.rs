//! Long metric histories kept thinned in the database (`metric_summaries`), so a chart of a
//! million points is read in milliseconds instead of handing a million rows over.
//!
//! A history longer than [`FROM`] points has a summary: its points thinned to at most
//! `4 * BUCKETS` (min and max per step bucket, `crate::downsample`), with how many points it
//! covers and the highest step among them. Logging keeps it current ([`refresh`], from
//! `runs::log_metrics`), rebuilding it only when the points logged since passed a share of it;
//! reading ([`read`]) takes the summary and the points logged after its last step (an index
//! range), and trusts them only when together they count every point the history holds
//! (`latest_metrics.points`). Anything else (points logged at older steps, runs merged from a
//! remote, a database written by an older mlx) falls back to reading the whole history, which
//! also writes a fresh summary when the database can be written.

use rusqlite::{Connection, OptionalExtension, params};

use super::RunId;
use super::db::Error;
use super::history::Point;

/// Histories of more points than this keep a summary.
pub const FROM: usize = 20_000;
/// How many step buckets a summary has (each keeps at most 4 points).
pub const BUCKETS: usize = 4_096;
/// Bytes of one point in a summary: step, timestamp and value (NaN for none), little-endian.
const POINT_BYTES: usize = 24;

/// At most `budget` points of `points` (sorted by step): per step bucket the first, lowest,
/// highest and last point.
pub fn thin(points: &[Point], budget: usize) -> Vec<Point> {
    crate::downsample::min_max(points, budget / 4, |p| p.step as f64, |p| p.value)
}

/// The history of `key` in run `id` thinned to at most `budget` points, and how many points it
/// holds. `total` is what `latest_metrics` counts for it.
pub fn read(
    conn: &Connection,
    id: &RunId,
    key: &str,
    total: usize,
    budget: usize,
) -> Result<(usize, Vec<Point>), Error> {
    // A budget finer than the summary's buckets reads every point.
    if total > FROM
        && budget / 4 <= BUCKETS / 2
        && let Some((covered, last_step, mut series)) = load(conn, id, key)?
    {
        let tail = after(conn, id, key, last_step)?;
        if covered + tail.len() == total {
            series.extend(tail);
            return Ok((total, thin(&series, budget)));
        }
    }
    let all = all(conn, id, key)?;
    if all.len() > FROM || total > FROM {
        // Best effort: a database opened read-only, or busy, still answers the read.
        let _ = store_whole(conn, id, key, &all);
    }
    Ok((all.len(), thin(&all, budget)))
}

/// Keep the summary of `key` in run `id` current after points were logged; `total` is how many
/// the history holds now. Nothing to do for short histories, or while the points logged since
/// the summary are few enough for a read to take them as they are.
pub fn refresh(conn: &Connection, id: &RunId, key: &str, total: usize) -> Result<(), Error> {
    if total <= FROM {
        return Ok(());
    }
    let covered: Option<(i64, i64)> = conn
        .query_row(
            "SELECT points, last_step FROM metric_summaries WHERE run_id = ?1 AND key = ?2",
            params![id.as_str(), key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((covered, _)) = covered {
        let covered = usize::try_from(covered).unwrap_or(0);
        if total >= covered && total - covered < (covered / 32).max(FROM / 2) {
            return Ok(());
        }
    }
    if let Some((covered, last_step, mut series)) = load(conn, id, key)? {
        let tail = after(conn, id, key, last_step)?;
        if covered + tail.len() == total {
            let last_step = tail.last().map_or(last_step, |p| p.step);
            series.extend(tail);
            return store(conn, id, key, total, last_step, &thin(&series, BUCKETS * 4));
        }
    }
    store_whole(conn, id, key, &all(conn, id, key)?)
}

/// Every point of `key` in run `id`, in step order, then in the order logged.
pub fn all(conn: &Connection, id: &RunId, key: &str) -> Result<Vec<Point>, Error> {
    points(
        conn,
        "SELECT step, timestamp, value FROM metrics WHERE run_id = ?1 AND key = ?2
         ORDER BY step, rowid",
        params![id.as_str(), key],
    )
}

/// The points of `key` in run `id` after step `step`, in step order, then in the order logged.
fn after(conn: &Connection, id: &RunId, key: &str, step: i64) -> Result<Vec<Point>, Error> {
    points(
        conn,
        "SELECT step, timestamp, value FROM metrics WHERE run_id = ?1 AND key = ?2 AND step > ?3
         ORDER BY step, rowid",
        params![id.as_str(), key, step],
    )
}

fn points(conn: &Connection, sql: &str, args: impl rusqlite::Params) -> Result<Vec<Point>, Error> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(args)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(Point { step: r.get(0)?, time: r.get(1)?, value: r.get(2)? });
    }
    Ok(out)
}

/// The summary of `key` in run `id`: how many points it covers, its last step, its points.
/// A summary that does not decode counts as none.
fn load(
    conn: &Connection,
    id: &RunId,
    key: &str,
) -> Result<Option<(usize, i64, Vec<Point>)>, Error> {
    let row: Option<(i64, i64, Vec<u8>)> = conn
        .query_row(
            "SELECT points, last_step, data FROM metric_summaries WHERE run_id = ?1 AND key = ?2",
            params![id.as_str(), key],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    Ok(row.and_then(|(covered, last_step, data)| {
        Some((usize::try_from(covered).ok()?, last_step, decode(&data)?))
    }))
}

/// Summarise a whole history (sorted by step) and store it.
fn store_whole(conn: &Connection, id: &RunId, key: &str, all: &[Point]) -> Result<(), Error> {
    let Some(last) = all.last() else { return Ok(()) };
    store(conn, id, key, all.len(), last.step, &thin(all, BUCKETS * 4))?;
    // The count logging keeps, put right where it drifted (a database written by other means).
    conn.execute(
        "UPDATE latest_metrics SET points = ?3 WHERE run_id = ?1 AND key = ?2 AND points != ?3",
        params![id.as_str(), key, all.len() as i64],
    )?;
    Ok(())
}

fn store(
    conn: &Connection,
    id: &RunId,
    key: &str,
    covered: usize,
    last_step: i64,
    series: &[Point],
) -> Result<(), Error> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO metric_summaries (run_id, key, points, last_step, data)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![id.as_str(), key, covered as i64, last_step, encode(series)])?;
    Ok(())
}

fn encode(series: &[Point]) -> Vec<u8> {
    let mut out = Vec::with_capacity(series.len() * POINT_BYTES);
    for p in series {
        out.extend_from_slice(&p.step.to_le_bytes());
        out.extend_from_slice(&p.time.to_le_bytes());
        out.extend_from_slice(&p.value.unwrap_or(f64::NAN).to_le_bytes());
    }
    out
}

fn decode(data: &[u8]) -> Option<Vec<Point>> {
    if !data.len().is_multiple_of(POINT_BYTES) {
        return None;
    }
    let word = |b: &[u8]| <[u8; 8]>::try_from(b).ok();
    data.chunks_exact(POINT_BYTES)
        .map(|c| {
            let value = f64::from_le_bytes(word(&c[16..24])?);
            Some(Point {
                step: i64::from_le_bytes(word(&c[0..8])?),
                time: i64::from_le_bytes(word(&c[8..16])?),
                value: (!value.is_nan()).then_some(value),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracking::runs;

    fn db() -> (tempfile::TempDir, Connection, RunId) {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::tracking::db::open(&dir.path().join("mlx.db")).unwrap();
        let new = runs::NewRun {
            name: Some("r".into()),
            command: vec!["true".into()],
            cwd: ".".into(),
            git: Default::default(),
            host: "h".into(),
            user: "u".into(),
            pid: 1,
            params: vec![],
            tags: vec![],
            experiment: None,
        };
        let id = runs::start(&mut conn, &new, 1_000).unwrap();
        (dir, conn, id)
    }

    #[test]
    fn points_round_trip_through_the_blob() {
        let series = vec![
            Point { step: -3, time: 1_700_000_000_000, value: Some(0.25) },
            Point { step: 7, time: 1, value: None },
        ];
        assert_eq!(decode(&encode(&series)), Some(series));
        assert_eq!(decode(&[0; 23]), None);
    }

    #[test]
    fn summaries_follow_appends_and_fall_back_when_points_come_out_of_order() {
        let (_d, mut conn, id) = db();
        let log = |conn: &mut Connection, steps: std::ops::Range<i64>, spike: Option<i64>| {
            let pts: Vec<runs::Point<'_>> = steps
                .map(|s| runs::Point {
                    key: "loss",
                    step: s,
                    value: if Some(s) == spike { 99.0 } else { (s as f64 * 0.01).sin() },
                    timestamp: 1_000 + s,
                })
                .collect();
            runs::log_metrics(conn, &id, &pts).unwrap();
        };
        let total = |conn: &Connection| -> usize {
            conn.query_row(
                "SELECT points FROM latest_metrics WHERE run_id = ?1 AND key = 'loss'",
                [id.as_str()],
                |r| r.get::<_, i64>(0),
            )
            .unwrap() as usize
        };
        let whole = |conn: &Connection, budget| thin(&all(conn, &id, "loss").unwrap(), budget);

        log(&mut conn, 0..50_000, Some(12_345));
        assert_eq!(total(&conn), 50_000);
        let (covered, last, series) = load(&conn, &id, "loss").unwrap().expect("a summary");
        assert_eq!((covered, last), (50_000, 49_999));
        assert!(series.len() <= BUCKETS * 4);

        // A few points more: the summary stays, the read adds them.
        log(&mut conn, 50_000..50_100, Some(50_050));
        assert_eq!(load(&conn, &id, "loss").unwrap().unwrap().0, 50_000);
        let (n, got) = read(&conn, &id, "loss", total(&conn), 2_000).unwrap();
        assert_eq!(n, 50_100);
        assert!(got.len() <= 2_000);
        assert!(got.iter().any(|p| p.step == 12_345 && p.value == Some(99.0)));
        assert!(got.iter().any(|p| p.step == 50_050 && p.value == Some(99.0)));
        assert_eq!(got.first(), whole(&conn, 2_000).first());
        assert_eq!(got.last(), whole(&conn, 2_000).last());

        // Many more: logging moves the summary on.
        log(&mut conn, 50_100..70_000, None);
        assert_eq!(load(&conn, &id, "loss").unwrap().unwrap().0, 70_000);

        // A point at an old step: the read cannot trust summary + tail, reads all and fixes it.
        log(&mut conn, 10..11, None);
        let (n, got) = read(&conn, &id, "loss", total(&conn), 2_000).unwrap();
        assert_eq!(n, 70_001);
        assert_eq!(got, whole(&conn, 2_000));
        assert_eq!(load(&conn, &id, "loss").unwrap().unwrap().0, 70_001);
    }
}
