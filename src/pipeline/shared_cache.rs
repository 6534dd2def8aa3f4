//! The stage cache shared through a remote: `mlx push` publishes the run cache's entries
//! (fingerprint → outputs, with the stage, the run and the machine that made them) as
//! `runcache/<fingerprint>/<BLAKE3 of the entry>.json`, and `mlx run --pull` restores a stale
//! stage from a matching entry instead of running it.
//!
//! Names are content-addressed and written once, so machines publishing at once never clobber
//! each other on any storage: the same entry has the same name (writing it twice writes the
//! same bytes), and two machines' results for one fingerprint are two entries. Of several, the
//! earliest (by its `created` time, then by name) is used, so every machine picks the same.
//! An entry is untrusted input: it is used only when its bytes hash to its name, it names the
//! fingerprint it is filed under, and its outputs are exactly the stage's (cached) outputs.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::Stage;
use super::lock::LockedOut;
use crate::remote::{self, Remote};
use crate::store::{ObjectId, hash_bytes};

/// Where entries live on a remote, beside the objects.
pub const PREFIX: &str = "runcache/";
/// The `format` every entry carries.
pub const FORMAT: &str = "mlx-stage-cache/1";

/// One published stage result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub format: String,
    /// The stage fingerprint (hex BLAKE3) the outputs belong to.
    pub fingerprint: String,
    /// The stage that made them (a stage elsewhere with the same fingerprint may use them).
    pub stage: String,
    pub outs: Vec<LockedOut>,
    /// The run that made them, and the machine it ran on.
    #[serde(default)]
    pub run: Option<String>,
    #[serde(default)]
    pub host: Option<String>,
    /// When the result was made (RFC 3339 UTC).
    pub created: String,
}

impl Entry {
    /// The entry's bytes (pretty JSON) and its name on the remote.
    pub fn encode(&self) -> (String, Vec<u8>) {
        let bytes = serde_json::to_vec_pretty(self).expect("serializable");
        (name_of(&self.fingerprint, &bytes), bytes)
    }

    /// The objects restoring it needs: each output's object (a directory's listing).
    pub fn objects(&self) -> impl Iterator<Item = ObjectId> + '_ {
        self.outs.iter().map(|o| o.hash)
    }
}

/// The name an entry with these bytes has on the remote.
pub fn name_of(fingerprint: &str, bytes: &[u8]) -> String {
    format!("{PREFIX}{fingerprint}/{}.json", hash_bytes(bytes).to_hex())
}

/// The run cache's entries that this machine's runs made, as they are published; entries
/// with an uncached output (nothing to restore it from) are left out.
pub fn local_entries(conn: &rusqlite::Connection) -> crate::error::Result<Vec<Entry>> {
    let mut out = Vec::new();
    for row in crate::tracking::run_cache::own_results(conn)? {
        let Ok(outs) = serde_json::from_str::<Vec<LockedOut>>(&row.outs) else { continue };
        if outs.is_empty() || outs.iter().any(|o| !o.cache) {
            continue;
        }
        out.push(Entry {
            format: FORMAT.to_owned(),
            fingerprint: row.fingerprint,
            stage: row.stage,
            outs,
            run: Some(row.run_id),
            host: Some(row.host),
            created: row.created,
        });
    }
    Ok(out)
}

/// What publishing did.
#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct Published {
    pub uploaded: u64,
    pub already_there: u64,
}

/// Publish `entries` the remote lacks: one listing of `runcache/`, then one write each.
/// Publishing more entries than this lists the whole stage cache once instead of one
/// fingerprint folder per entry.
const LIST_ALL_ABOVE: usize = 32;

pub fn publish(remote: &Remote, entries: &[Entry]) -> Result<Published, remote::Error> {
    let mut done = Published::default();
    if entries.is_empty() {
        return Ok(done);
    }
    let encoded: Vec<(String, Vec<u8>)> = entries.iter().map(Entry::encode).collect();
    // Each entry's own fingerprint folder is listed, not the whole stage cache (which grows
    // with every machine's results), unless there are so many that one listing costs less.
    let mut folders: Vec<&str> = encoded
        .iter()
        .map(|(name, _)| name.rsplit_once('/').map_or("runcache", |(f, _)| f))
        .collect();
    folders.sort_unstable();
    folders.dedup();
    let there: HashSet<String> = if folders.len() > LIST_ALL_ABOVE {
        remote.list_names(PREFIX)?.into_iter().collect()
    } else {
        let mut there = HashSet::new();
        for folder in folders {
            there.extend(remote.list_names(&format!("{folder}/"))?);
        }
        there
    };
    for (name, bytes) in encoded {
        if there.contains(&name) {
            done.already_there += 1;
        } else {
            remote.put_named(&name, bytes)?;
            done.uploaded += 1;
        }
    }
    Ok(done)
}

/// The entry the remote holds for `fingerprint` that fits `stage`, if any, with the entries
/// refused (each with why). One listing of the fingerprint's folder, then a read of each
/// entry in it (usually one).
pub fn lookup(
    remote: &Remote,
    fingerprint: &ObjectId,
    stage: &Stage,
) -> Result<(Option<Entry>, Vec<String>), remote::Error> {
    let hex = fingerprint.to_hex();
    let mut names: Vec<String> = remote
        .list_names(&format!("{PREFIX}{hex}/"))?
        .into_iter()
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    let mut refused = Vec::new();
    let mut best: Option<(String, String, Entry)> = None;
    for name in names {
        let bytes = remote.get_named(&name)?;
        match check(&name, &bytes, &hex, stage) {
            Ok(entry) => {
                let key = (entry.created.clone(), name.clone());
                if best.as_ref().is_none_or(|(c, n, _)| key < (c.clone(), n.clone())) {
                    best = Some((key.0, key.1, entry));
                }
            }
            Err(why) => refused.push(format!("{name}: {why}")),
        }
    }
    Ok((best.map(|(_, _, e)| e), refused))
}

/// An entry read from the remote, checked before any of it is used.
pub fn check(name: &str, bytes: &[u8], fingerprint: &str, stage: &Stage) -> Result<Entry, String> {
    if name_of(fingerprint, bytes) != name {
        return Err("its bytes do not hash to its name (damaged or altered)".into());
    }
    let entry: Entry =
        serde_json::from_slice(bytes).map_err(|e| format!("not a stage cache entry: {e}"))?;
    if entry.format != FORMAT {
        return Err(format!("unknown format {:?} (this mlx reads {FORMAT})", entry.format));
    }
    if entry.fingerprint != fingerprint {
        return Err(format!("it is for fingerprint {}, not {fingerprint}", entry.fingerprint));
    }
    if let Some(run) = &entry.run
        && !(run.len() == crate::tracking::run_id::LEN
            && crate::tracking::RunId::is_valid_prefix(run))
    {
        return Err(format!("{run:?} is not a run id"));
    }
    let texts = [Some(&entry.stage), entry.host.as_ref(), Some(&entry.created)];
    if texts.into_iter().flatten().any(|t| t.len() > 256 || t.chars().any(char::is_control)) {
        return Err("its stage, host or time holds control characters or is too long".into());
    }
    if let Some(o) = entry.outs.iter().find(|o| !o.cache) {
        return Err(format!("output {} is not stored, so it cannot be restored", o.path));
    }
    // The outputs must be the stage's own: nothing else is written, and no path of the
    // entry's choosing.
    let mut theirs: Vec<&str> = entry.outs.iter().map(|o| o.path.as_str()).collect();
    let mut ours: Vec<String> = stage.stored_outs().map(|o| o.path.to_string()).collect();
    theirs.sort_unstable();
    ours.sort_unstable();
    if theirs != ours.iter().map(String::as_str).collect::<Vec<_>>() {
        return Err(format!(
            "its outputs ({}) are not the stage's ({})",
            theirs.join(", "),
            ours.join(", ")
        ));
    }
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_hash_of_the_bytes_under_the_fingerprint() {
        let entry = Entry {
            format: FORMAT.into(),
            fingerprint: "ab".repeat(32),
            stage: "train".into(),
            outs: Vec::new(),
            run: Some("R".into()),
            host: Some("ci".into()),
            created: "2026-01-01T00:00:00Z".into(),
        };
        let (name, bytes) = entry.encode();
        assert_eq!(
            name,
            format!("runcache/{}/{}.json", "ab".repeat(32), hash_bytes(&bytes).to_hex())
        );
        let mut other = entry.clone();
        other.host = Some("laptop".into());
        assert_ne!(other.encode().0, name, "two machines' results get two names");
    }
}
