//! The stat cache: (path, size, mtime, inode) → hash for workspace files, and the same stamp for
//! cache objects that were verified when written or read. Unchanged files are never re-hashed.
//!
//! Rows are loaded once per command; lookups are lock-free and safe from many threads, new rows
//! are buffered and written in one transaction by [`StatCache::save`].

use std::collections::HashMap;
use std::sync::Mutex;

use rusqlite::{Connection, params};

use super::ObjectId;
use crate::fs_util::FileStamp;
use crate::project_path::RelPath;
use crate::tracking;

type FileRow = (Vec<u8>, FileStamp, ObjectId);

#[derive(Default)]
pub struct StatCache {
    /// Prepended to every path in the database: empty for a project's own work tree; a scope
    /// starting with a NUL byte (which no path holds) for an experiment's isolated workspace, so
    /// that its rows never replace the user's work tree's rows of the same paths.
    scope: Vec<u8>,
    files: HashMap<Vec<u8>, (FileStamp, ObjectId)>,
    objects: HashMap<ObjectId, FileStamp>,
    new_files: Mutex<Vec<FileRow>>,
    new_objects: Mutex<Vec<(ObjectId, FileStamp)>>,
}

fn stamp_from_row(size: i64, mtime_ns: i64, inode: i64) -> FileStamp {
    #[allow(clippy::cast_sign_loss)]
    FileStamp { size: size as u64, mtime_ns, inode: inode as u64 }
}

#[allow(clippy::cast_possible_wrap)]
fn stamp_to_row(s: &FileStamp) -> (i64, i64, i64) {
    (s.size as i64, s.mtime_ns, s.inode as i64)
}

/// Which rows a command needs: reading the workspace needs only file rows; placing objects
/// also needs the stamps of verified objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    Files,
    FilesAndObjects,
}

/// The first path after every path that starts with `scope` (which ends with `/`).
fn scope_end(scope: &[u8]) -> Vec<u8> {
    let mut end = scope.to_vec();
    if let Some(last) = end.last_mut() {
        *last += 1;
    }
    end
}

impl StatCache {
    pub fn load(conn: &Connection, wanted: Rows) -> Result<Self, tracking::Error> {
        Self::load_scoped(conn, wanted, &[])
    }

    /// [`StatCache::load`] for the work tree whose rows carry `scope` (see the field).
    pub fn load_scoped(
        conn: &Connection,
        wanted: Rows,
        scope: &[u8],
    ) -> Result<Self, tracking::Error> {
        let mut cache = StatCache { scope: scope.to_vec(), ..StatCache::default() };
        let mut stmt = conn.prepare(
            "SELECT path, size, mtime_ns, inode, hash FROM stat_cache
             WHERE ?1 = x'' OR (path >= ?1 AND path < ?2)",
        )?;
        let rows = stmt.query_map(params![scope, scope_end(scope)], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, String>(4)?))
        })?;
        for row in rows {
            let (path, size, mtime, inode, hash) = row?;
            // The work tree's own rows, without its scope; other scopes' rows are not its.
            let Some(path) = path.strip_prefix(scope) else { continue };
            if scope.is_empty() && path.first() == Some(&0) {
                continue;
            }
            if let Ok(id) = ObjectId::from_hex(&hash) {
                cache.files.insert(path.to_vec(), (stamp_from_row(size, mtime, inode), id));
            }
        }
        if wanted == Rows::Files {
            return Ok(cache);
        }
        let mut stmt = conn.prepare("SELECT hash, size, mtime_ns, inode FROM object_stat")?;
        let rows =
            stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        for row in rows {
            let (hash, size, mtime, inode) = row?;
            if let Ok(id) = ObjectId::from_hex(&hash) {
                cache.objects.insert(id, stamp_from_row(size, mtime, inode));
            }
        }
        Ok(cache)
    }

    /// The hash of the workspace file at `path` if its stamp is unchanged since it was hashed.
    pub fn lookup(&self, path: &RelPath, stamp: &FileStamp) -> Option<ObjectId> {
        match self.files.get(path.as_bytes()) {
            Some((known, id)) if known == stamp => Some(*id),
            _ => None,
        }
    }

    /// Remember that the file at `path` with `stamp` has content `id`.
    pub fn record(&self, path: &RelPath, stamp: FileStamp, id: ObjectId) {
        if self.lookup(path, &stamp) != Some(id) {
            let mut new = self.new_files.lock().expect("stat cache lock poisoned");
            new.push((path.as_bytes().to_vec(), stamp, id));
        }
    }

    /// True when the object file still has the stamp it had when it was last verified.
    pub fn object_verified(&self, id: &ObjectId, stamp: &FileStamp) -> bool {
        self.objects.get(id) == Some(stamp)
    }

    pub fn record_object(&self, id: ObjectId, stamp: FileStamp) {
        if !self.object_verified(&id, &stamp) {
            self.new_objects.lock().expect("stat cache lock poisoned").push((id, stamp));
        }
    }

    /// Write buffered rows in one transaction.
    pub fn save(&self, conn: &mut Connection) -> Result<(), tracking::Error> {
        let files = std::mem::take(&mut *self.new_files.lock().expect("stat cache lock poisoned"));
        let objects =
            std::mem::take(&mut *self.new_objects.lock().expect("stat cache lock poisoned"));
        if files.is_empty() && objects.is_empty() {
            return Ok(());
        }
        let tx = conn.transaction()?;
        {
            let mut put = tx.prepare_cached(
                "INSERT OR REPLACE INTO stat_cache (path, size, mtime_ns, inode, hash)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let mut key = self.scope.clone();
            for (path, stamp, id) in &files {
                let (size, mtime, inode) = stamp_to_row(stamp);
                key.truncate(self.scope.len());
                key.extend_from_slice(path);
                put.execute(params![key, size, mtime, inode, id.to_hex()])?;
            }
            let mut put = tx.prepare_cached(
                "INSERT OR REPLACE INTO object_stat (hash, size, mtime_ns, inode)
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (id, stamp) in &objects {
                let (size, mtime, inode) = stamp_to_row(stamp);
                put.execute(params![id.to_hex(), size, mtime, inode])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Forget every row of the work tree with `scope` (an isolated workspace that is gone).
    pub fn forget_scope(conn: &Connection, scope: &[u8]) -> Result<usize, tracking::Error> {
        if scope.is_empty() {
            return Ok(0);
        }
        Ok(conn.execute(
            "DELETE FROM stat_cache WHERE path >= ?1 AND path < ?2",
            params![scope, scope_end(scope)],
        )?)
    }

    /// Forget objects that were deleted or quarantined.
    pub fn forget_objects(conn: &Connection, ids: &[ObjectId]) -> Result<(), tracking::Error> {
        let mut del = conn.prepare_cached("DELETE FROM object_stat WHERE hash = ?1")?;
        for id in ids {
            del.execute([id.to_hex()])?;
        }
        Ok(())
    }

    /// Drop rows for workspace paths for which `keep` says false (gc of the stat cache).
    pub fn prune_files(
        conn: &mut Connection,
        keep: impl Fn(&[u8]) -> bool,
    ) -> Result<usize, tracking::Error> {
        let paths: Vec<Vec<u8>> = {
            let mut stmt = conn.prepare("SELECT path FROM stat_cache")?;
            stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?
        };
        let tx = conn.transaction()?;
        let mut removed = 0;
        {
            let mut del = tx.prepare_cached("DELETE FROM stat_cache WHERE path = ?1")?;
            for p in paths.iter().filter(|p| !keep(p)) {
                removed += del.execute([p])?;
            }
        }
        tx.commit()?;
        Ok(removed)
    }
}
