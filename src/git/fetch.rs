//! Reading another repository without cloning it into the project: the one commit a data
//! registry command needs is fetched, shallow, into a private bare repository by the `git`
//! program (which knows every transport and the user's own credential helpers), then read
//! through git2 like any other commit. Nothing here writes outside that private folder.

use std::ffi::OsStr;
use std::path::Path;

use super::{Error, Repo, Revision, program};
use crate::project_path::RelPath;

/// The ref the wanted commit is fetched into.
const WANTED: &str = "refs/mlx/wanted";

/// Where a repository URL or path came from, which decides which git transports it may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// Typed by the user on the command line: any transport git allows by default.
    User,
    /// Read from a committed file (a pointer's origin): only the transports git considers safe
    /// (`GIT_PROTOCOL_FROM_USER=0`).
    Committed,
}

/// Fetch `rev` (a branch, a tag or a commit; the default branch when `None`) of the repository
/// at `url` into a new bare repository at `dir` (an empty folder), and resolve it there. A
/// branch, a tag or a full commit id is fetched alone and shallow; anything else (a short
/// commit id) fetches the branches and tags and is resolved among them.
pub fn fetch_commit(
    dir: &Path,
    url: &str,
    rev: Option<&str>,
    trust: Trust,
) -> Result<(Repo, Revision), Error> {
    let spec = rev.unwrap_or("HEAD");
    if url.starts_with('-') || spec.starts_with('-') || spec.contains([':', ' ', '\n']) {
        return Err(Error::UnknownRevision { spec: spec.to_owned() });
    }
    fs_err::create_dir_all(dir)
        .map_err(|e| Error::Program { args: "init".into(), message: e.to_string() })?;
    program::run(dir, &["init", "--bare", "-q", "."], &[])?;
    let mut env: Vec<(&str, &OsStr)> = vec![("GIT_TERMINAL_PROMPT", OsStr::new("0"))];
    if trust == Trust::Committed {
        env.push(("GIT_PROTOCOL_FROM_USER", OsStr::new("0")));
    }
    // A folder named by a committed file is still read (it is a folder on this machine, and
    // the objects read from it only ever reach this private repository).
    let mut fetch: Vec<&str> = Vec::new();
    if trust == Trust::Committed && !is_url(url) {
        fetch.extend(["-c", "protocol.file.allow=always"]);
    }
    fetch.extend(["fetch", "-q"]);
    let refspec = format!("+{spec}:{WANTED}");
    let shallow = program::run(
        dir,
        &[&fetch[..], &["--depth=1", "--no-tags", "--", url, &refspec]].concat(),
        &env,
    );
    let repo = match shallow {
        Ok(_) => Repo::open(dir)?,
        Err(Error::Program { message, args }) => {
            let is_hex =
                (4..=40).contains(&spec.len()) && spec.bytes().all(|b| b.is_ascii_hexdigit());
            if !is_hex {
                return Err(classify(spec, args, message));
            }
            program::run(
                dir,
                &[
                    &fetch[..],
                    &[
                        "--no-tags",
                        "--",
                        url,
                        "+refs/heads/*:refs/heads/*",
                        "+refs/tags/*:refs/tags/*",
                    ],
                ]
                .concat(),
                &env,
            )?;
            let repo = Repo::open(dir)?;
            let rev = repo.resolve(spec)?;
            repo.inner.reference(WANTED, git2::Oid::from_str(&rev.commit)?, true, "mlx")?;
            repo
        }
        Err(e) => return Err(e),
    };
    let mut rev = repo.resolve(WANTED)?;
    rev.spec = spec.to_owned();
    Ok((repo, rev))
}

/// A failed fetch: a revision the repository does not have is the user's mistake (exit 2);
/// anything else (unreachable, refused) is git's own message.
fn classify(spec: &str, args: String, message: String) -> Error {
    let lower = message.to_lowercase();
    if lower.contains("couldn't find remote ref") || lower.contains("not our ref") {
        return Error::UnknownRevision { spec: spec.to_owned() };
    }
    Error::Program { args, message }
}

/// A file as git stores it.
#[derive(Debug, Clone)]
pub struct GitFile {
    pub content: Vec<u8>,
    pub executable: bool,
    /// The content is a symlink's target.
    pub symlink: bool,
}

/// What a commit holds at a path.
#[derive(Debug, Clone)]
pub enum GitTree {
    File(GitFile),
    /// A folder: its files, relative to it (submodules left out).
    Dir(Vec<(RelPath, GitFile)>),
}

impl Repo {
    /// The file or folder at `path` in `rev`'s tree; `None` when there is none.
    pub fn tree_at(&self, rev: &Revision, path: &RelPath) -> Result<Option<GitTree>, Error> {
        let tree = self.inner.find_tree(rev.tree)?;
        let entry = match tree.get_path(path.as_path()) {
            Ok(e) => e,
            Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        match entry.kind() {
            Some(git2::ObjectType::Blob) => {
                Ok(Some(GitTree::File(self.git_file(entry.id(), entry.filemode())?)))
            }
            Some(git2::ObjectType::Tree) => {
                let sub = self.inner.find_tree(entry.id())?;
                let mut found = Vec::new();
                sub.walk(git2::TreeWalkMode::PreOrder, |dir, e| {
                    if e.kind() == Some(git2::ObjectType::Blob) {
                        let mut p = dir.as_bytes().to_vec();
                        p.extend_from_slice(e.name_bytes());
                        found.push((p, e.id(), e.filemode()));
                    }
                    git2::TreeWalkResult::Ok
                })?;
                let mut out = Vec::with_capacity(found.len());
                for (p, id, mode) in found {
                    let Ok(rel) = RelPath::from_bytes(&p) else { continue };
                    out.push((rel, self.git_file(id, mode)?));
                }
                Ok(Some(GitTree::Dir(out)))
            }
            _ => Ok(None),
        }
    }

    fn git_file(&self, id: git2::Oid, mode: i32) -> Result<GitFile, Error> {
        let blob = self.inner.find_blob(id)?;
        Ok(GitFile {
            content: blob.content().to_vec(),
            executable: mode == 0o100_755,
            symlink: mode == 0o120_000,
        })
    }
}

/// Whether `repo` reads as a URL git fetches over a network (`scheme://…` or `user@host:path`)
/// rather than a folder on this machine.
pub fn is_url(repo: &str) -> bool {
    if let Some((scheme, _)) = repo.split_once("://") {
        return !scheme.is_empty()
            && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+');
    }
    // scp-like `host:path` (git's rule: a colon before any slash).
    match (repo.find(':'), repo.find('/')) {
        (Some(colon), Some(slash)) => colon < slash && colon > 1,
        (Some(colon), None) => colon > 1,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::is_url;

    #[test]
    fn urls_and_scp_forms_are_urls_folders_are_not() {
        for url in [
            "https://github.com/acme/data.git",
            "ssh://git@host/acme/data",
            "git://127.0.0.1:9418/repo",
            "git+ssh://host/x",
            "git@github.com:acme/data.git",
            "host:repo",
        ] {
            assert!(is_url(url), "{url}");
        }
        for folder in ["../registry", "/srv/registry", "registry", "./a:b", "c:/x/y", "a/b:c"] {
            assert!(!is_url(folder), "{folder}");
        }
    }
}
