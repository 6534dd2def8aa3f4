//! `[resources]` limits that hold across processes: each unit of a limited resource is a lock
//! file (`.mlx/locks/resources/NAME.K`), and a stage runs only once it holds as many units as it
//! asks for. Two `mlx run`s of one project, and the variants of `mlx exp queue start -j N` (whose
//! workspaces share the main project's `.mlx/locks/`), never use more than the limit together.
//! Locks go with the process, so a killed mlx holds nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fs_err as fs;

/// The limits, and where their unit locks are.
pub struct Resources {
    dir: PathBuf,
    limits: BTreeMap<String, u32>,
}

/// Units held for one running stage; released when dropped.
pub struct Held(#[allow(dead_code)] Vec<fs::File>);

impl Resources {
    /// `locks` is the shared locks folder (the main project's `.mlx/locks`).
    pub fn new(locks: &Path, limits: &BTreeMap<String, u32>) -> Self {
        Resources { dir: locks.join("resources"), limits: limits.clone() }
    }

    /// Take every unit `wants` asks for, or none: `None` when some are held (by this process or
    /// another). Resources without a limit are not counted.
    pub fn take(&self, wants: &BTreeMap<String, u32>) -> std::io::Result<Option<Held>> {
        let mut held = Vec::new();
        for (name, n) in wants {
            let Some(limit) = self.limits.get(name) else { continue };
            if *n == 0 {
                continue;
            }
            fs::create_dir_all(&self.dir)?;
            let mut got = 0;
            for k in 0..*limit {
                let file = fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(self.dir.join(format!("{name}.{k}")))?;
                match file.file().try_lock() {
                    Ok(()) => {
                        held.push(file);
                        got += 1;
                    }
                    Err(std::fs::TryLockError::WouldBlock) => {}
                    Err(std::fs::TryLockError::Error(e)) => return Err(e),
                }
                if got == *n {
                    break;
                }
            }
            if got < *n {
                return Ok(None);
            }
        }
        Ok(Some(Held(held)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_shared_by_every_holder_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let limits = BTreeMap::from([("gpu".to_owned(), 2)]);
        let one = BTreeMap::from([("gpu".to_owned(), 1)]);
        let two = BTreeMap::from([("gpu".to_owned(), 2)]);
        let unlimited = BTreeMap::from([("cpu".to_owned(), 8)]);
        // Two pools over one folder stand for two processes.
        let a = Resources::new(dir.path(), &limits);
        let b = Resources::new(dir.path(), &limits);
        let first = a.take(&one).unwrap().expect("one of two");
        assert!(b.take(&two).unwrap().is_none(), "only one unit is free");
        let second = b.take(&one).unwrap().expect("the other one");
        assert!(a.take(&one).unwrap().is_none());
        assert!(a.take(&unlimited).unwrap().is_some());
        drop(first);
        assert!(b.take(&one).unwrap().is_some());
        drop(second);
        assert!(a.take(&two).unwrap().is_some());
    }
}
