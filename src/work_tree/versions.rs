//! Which version of each tracked path the work tree holds, for a run's provenance: the hash its
//! pointer names, the hash of what is there (a manifest for a folder), and whether the two
//! differ (what `mlx status` calls modified). A run on modified data is recorded dirty.

use super::compare::{self, State, Workspace, file_hash};
use super::tracked;
use crate::error::Result;
use crate::progress::NoProgress;
use crate::project::Project;
use crate::project_path::ProjectPath;
use crate::store::manifest::{Manifest, totals_of};
use crate::store::pointer::Kind;
use crate::store::{ObjectId, StatCache};
use crate::tracking::inputs::{InputKind, RunInput};

/// One tracked path as found in the work tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataVersion {
    pub path: ProjectPath,
    /// The hash its pointer names.
    pub pointer: ObjectId,
    /// What the work tree holds: hash, size, and the file count of a folder. `None` when the
    /// path is missing or holds something that cannot be hashed as the pointer's kind.
    pub found: Option<Found>,
    pub state: State,
}

/// Content found at a tracked path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    pub hash: ObjectId,
    pub size: u64,
    pub files: Option<u64>,
}

impl DataVersion {
    /// Whether `mlx status` would show it modified or missing.
    pub fn differs(&self) -> bool {
        self.state != State::Unchanged
    }

    /// As an input of a run.
    pub fn as_input(&self) -> RunInput {
        RunInput {
            path: self.path.to_string(),
            kind: InputKind::Data,
            hash: self.found.map(|f| f.hash.to_hex()),
            size: self.found.map(|f| f.size),
            files: self.found.and_then(|f| f.files),
            pointer_hash: Some(self.pointer.to_hex()),
        }
    }
}

/// Every tracked path (every `PATH.mlx`), as the work tree holds it now. Unchanged files are
/// not read again (the stat cache). A path that cannot be compared (a pointer that does not
/// agree with its data, a folder the pointer calls a file) counts as modified.
pub fn data_versions(project: &Project, stat: &StatCache) -> Result<Vec<DataVersion>> {
    let mut out = Vec::new();
    for t in tracked::load(project, Vec::new())? {
        let version = match compare::compare(project, &t, stat, &NoProgress) {
            Ok(c) => {
                let found = match (&c.workspace, t.pointer.kind) {
                    (Workspace::Entries(e), Kind::File) => file_hash(e).map(|hash| {
                        let (_, size) = totals_of(e);
                        Found { hash, size, files: None }
                    }),
                    (Workspace::Entries(e), Kind::Directory) => {
                        let (files, size) = totals_of(e);
                        Some(Found { hash: Manifest::id_of_sorted(e), size, files: Some(files) })
                    }
                    _ => None,
                };
                DataVersion {
                    path: t.target,
                    pointer: t.pointer.hash,
                    found,
                    state: c.status.state,
                }
            }
            Err(_) => DataVersion {
                path: t.target,
                pointer: t.pointer.hash,
                found: None,
                state: State::Modified,
            },
        };
        out.push(version);
    }
    Ok(out)
}
