//! Pointer files (`PATH.mlx`): the small TOML file git tracks in place of the data at `PATH`.
//!
//! A pointer records the kind, the hash (of the file, or of the directory's manifest), the total
//! size and the file count; data imported from another repository (`mlx add --from`) also
//! records its origin. Reading one reports problems with file, line and column.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use fs_err as fs;
use serde::{Deserialize, Serialize};

use super::error::line_column;
use super::{Error, ObjectId};
use crate::fs_util;
use crate::project_path::{ProjectPath, RelPath};

pub const EXTENSION: &str = "mlx";
pub const FORMAT: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    File,
    Directory,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::File => "file",
            Kind::Directory => "directory",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pointer {
    /// Pointer format version.
    pub mlx: u32,
    pub kind: Kind,
    pub hash: ObjectId,
    pub size: u64,
    pub files: u64,
    /// The MD5 DVC named this content by (`HASH.dir` for a folder), kept by `mlx import dvc`
    /// so that fetching can read it from the DVC remote it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dvc_md5: Option<String>,
    /// Where imported data came from (`mlx add --from`); `None` for data added here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
}

/// The origin of imported data: a path tracked in another repository at a commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Origin {
    /// The repository as the user gave it: a git URL or a local path (never with a password).
    pub repo: String,
    /// The path in that repository.
    pub path: String,
    /// The revision as the user gave it (a branch, tag or commit); `None`: its default branch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rev: Option<String>,
    /// The commit `rev` resolved to when the data was imported or last updated.
    pub commit: String,
}

impl Origin {
    /// Why this origin cannot be used as written (a committed pointer is untrusted input).
    pub fn problem(&self) -> Option<String> {
        if self.repo.is_empty()
            || self.repo.starts_with('-')
            || self.repo.chars().any(char::is_control)
        {
            return Some(format!("origin repo {:?} is not a repository URL or path", self.repo));
        }
        if crate::remote::url::has_password(&self.repo) {
            return Some("origin repo holds a password".into());
        }
        if RelPath::new(&self.path).is_err() || self.path.starts_with('/') {
            return Some(format!(
                "origin path {:?} is not a relative path inside a repository",
                self.path
            ));
        }
        if self
            .rev
            .as_deref()
            .is_some_and(|r| r.is_empty() || r.starts_with('-') || r.chars().any(char::is_control))
        {
            return Some("origin rev is not a revision name".into());
        }
        if self.commit.len() != 40 || !self.commit.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Some(format!("origin commit {:?} is not a 40-digit commit id", self.commit));
        }
        None
    }
}

/// `s` as a TOML basic string.
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

impl Pointer {
    pub fn new(kind: Kind, hash: ObjectId, size: u64, files: u64) -> Self {
        Pointer { mlx: FORMAT, kind, hash, size, files, origin: None, dvc_md5: None }
    }

    /// The same pointer with an origin.
    #[must_use]
    pub fn with_origin(mut self, origin: Option<Origin>) -> Self {
        self.origin = origin;
        self
    }

    /// The TOML text, in a fixed key order with a comment saying what wrote it.
    pub fn encode(&self, target: &RelPath) -> String {
        let name = target.file_name().to_string_lossy();
        let mut text = format!(
            "# mlx pointer for {name:?}: written by `mlx add`; commit it with git, the data stays in mlx's cache\n\
             mlx = {}\nkind = \"{}\"\nhash = \"{}\"\nsize = {}\nfiles = {}\n{}",
            self.mlx,
            self.kind.as_str(),
            self.hash,
            self.size,
            self.files,
            self.dvc_md5
                .as_ref()
                .map(|m| format!("dvc_md5 = {}\n", toml::Value::String(m.clone())))
                .unwrap_or_default()
        );
        if let Some(o) = &self.origin {
            text.push_str(
                "\n# imported with `mlx add --from`; `mlx update` moves it to a newer revision\n",
            );
            text.push_str(&format!(
                "[origin]\nrepo = {}\npath = {}\n",
                quoted(&o.repo),
                quoted(&o.path)
            ));
            if let Some(rev) = &o.rev {
                text.push_str(&format!("rev = {}\n", quoted(rev)));
            }
            text.push_str(&format!("commit = {}\n", quoted(&o.commit)));
        }
        text
    }

    /// Parse pointer text; `file` is only used in error messages.
    pub fn decode(file: &Path, text: &str) -> Result<Self, Error> {
        let pointer: Pointer = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map_or((1, 1), |s| line_column(text, s.start));
            Error::BadPointer {
                file: file.to_path_buf(),
                line,
                column,
                message: e.message().trim().to_owned(),
            }
        })?;
        if pointer.mlx != FORMAT {
            return Err(Error::BadPointer {
                file: file.to_path_buf(),
                line: 1,
                column: 1,
                message: format!(
                    "pointer format {} is not supported by this mlx (it reads format {FORMAT})",
                    pointer.mlx
                ),
            });
        }
        if pointer.kind == Kind::File && pointer.files != 1 {
            return Err(Error::BadPointer {
                file: file.to_path_buf(),
                line: 1,
                column: 1,
                message: format!("a file pointer must have files = 1, not {}", pointer.files),
            });
        }
        if let Some(problem) = pointer.origin.as_ref().and_then(Origin::problem) {
            return Err(Error::BadPointer {
                file: file.to_path_buf(),
                line: 1,
                column: 1,
                message: problem,
            });
        }
        Ok(pointer)
    }

    pub fn read(root: &Path, target: &ProjectPath) -> Result<Self, Error> {
        let rel = pointer_path(target);
        let file = root.join(rel.as_path());
        let bytes = fs::read(&file)?;
        let text = String::from_utf8(bytes).map_err(|e| Error::BadPointer {
            file: rel.as_path().to_path_buf(),
            line: 1,
            column: 1,
            message: format!("not UTF-8 text ({e})"),
        })?;
        Self::decode(rel.as_path(), &text)
    }

    pub fn write(&self, root: &Path, target: &ProjectPath) -> Result<(), Error> {
        let file = root.join(pointer_path(target).as_path());
        fs_util::write_atomic(&file, self.encode(target).as_bytes())?;
        Ok(())
    }
}

/// `data/raw` → `data/raw.mlx`.
pub fn pointer_path(target: &RelPath) -> RelPath {
    let mut name = OsString::from(target.file_name());
    name.push(".");
    name.push(EXTENSION);
    let path: PathBuf = target.as_path().with_file_name(name);
    RelPath::new(path).expect("a sibling of a valid path is valid")
}

/// `data/raw.mlx` → `data/raw`; `None` when the name does not end in `.mlx`.
pub fn target_of(pointer: &RelPath) -> Option<RelPath> {
    use std::os::unix::ffi::OsStrExt;
    let name = pointer.file_name().as_bytes();
    let stem = name.strip_suffix(b".mlx")?;
    if stem.is_empty() {
        return None;
    }
    let stem = std::ffi::OsStr::from_bytes(stem);
    RelPath::new(pointer.as_path().with_file_name(stem)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode_round_trip() {
        let target = RelPath::new("data/raw").unwrap();
        let p = Pointer::new(Kind::Directory, super::super::hash_bytes(b"m"), 10, 2);
        let text = p.encode(&target);
        assert!(text.starts_with("# mlx pointer"));
        assert_eq!(Pointer::decode(Path::new("x.mlx"), &text).unwrap(), p);
        assert_eq!(pointer_path(&target).as_path(), Path::new("data/raw.mlx"));
        assert_eq!(target_of(&pointer_path(&target)).unwrap(), target);
    }

    #[test]
    fn origin_round_trips_and_is_checked() {
        let target = RelPath::new("data/raw").unwrap();
        let origin = Origin {
            repo: "https://example.com/reg \"x\".git".into(),
            path: "datasets/raw".into(),
            rev: Some("v1".into()),
            commit: "a".repeat(40),
        };
        let p = Pointer::new(Kind::File, super::super::hash_bytes(b"m"), 1, 1)
            .with_origin(Some(origin.clone()));
        let text = p.encode(&target);
        assert!(text.contains("[origin]"), "{text}");
        assert_eq!(Pointer::decode(Path::new("x.mlx"), &text).unwrap(), p);
        for bad in [
            Origin { path: "../etc".into(), ..origin.clone() },
            Origin { path: "/etc".into(), ..origin.clone() },
            Origin { repo: "--upload-pack=x".into(), ..origin.clone() },
            Origin { repo: "https://u:secret@example.com/r".into(), ..origin.clone() },
            Origin { commit: "zz".into(), ..origin.clone() },
        ] {
            let text = p.clone().with_origin(Some(bad)).encode(&target);
            assert!(Pointer::decode(Path::new("x.mlx"), &text).is_err(), "{text}");
        }
    }

    #[test]
    fn errors_carry_line_and_column() {
        let text = "mlx = 1\nkind = \"file\"\nhash = \"xyz\"\nsize = 1\nfiles = 1\n";
        let Err(Error::BadPointer { line, column, message, .. }) =
            Pointer::decode(Path::new("a.mlx"), text)
        else {
            panic!("expected a pointer error")
        };
        assert_eq!((line, column), (3, 8), "{message}");
        assert!(message.contains("invalid object hash"), "{message}");
    }
}
