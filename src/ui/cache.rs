//! Metric histories already thinned, kept while the database has no new point: reading a
//! million points costs a few hundred milliseconds, and a page asks for the same curve again
//! at every redraw. An entry is used only when the last metric point of the whole database is
//! the one it was read under (points are only added, or deleted with their run, which the
//! caller checks).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::tracking::RunId;
use crate::tracking::history::History;

/// How many thinned histories are kept at most (each a few thousand points).
const ENTRIES: usize = 256;

type Key = (RunId, String, usize);

#[derive(Default)]
pub struct Histories {
    entries: Mutex<HashMap<Key, (i64, Arc<History>)>>,
}

impl Histories {
    /// The history of (`run`, `key`) at `budget` points read when the last point was `version`.
    pub fn get(&self, run: &RunId, key: &str, budget: usize, version: i64) -> Option<Arc<History>> {
        let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries
            .get(&(run.clone(), key.to_owned(), budget))
            .filter(|(v, _)| *v == version)
            .map(|(_, h)| Arc::clone(h))
    }

    pub fn put(&self, budget: usize, version: i64, history: Arc<History>) {
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= ENTRIES {
            entries.retain(|_, (v, _)| *v == version);
            if entries.len() >= ENTRIES {
                entries.clear();
            }
        }
        entries.insert((history.run.clone(), history.key.clone(), budget), (version, history));
    }
}
