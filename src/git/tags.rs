//! Annotated tags, for the model registry: listing every annotated tag with its tagger, date,
//! message and the commit it points to (through git2, one pass over `refs/tags/`), and making
//! one with the `git` program, as `git tag -a` does (so `GIT_COMMITTER_*` and the user's
//! identity apply exactly as they do for other tools writing the same tags).

use std::path::Path;

use super::{Error, Repo, program};

/// An annotated tag as git holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnotatedTag {
    /// The name under `refs/tags/`.
    pub name: String,
    /// The commit it points to (peeled), full SHA.
    pub commit: String,
    pub tagger_name: String,
    pub tagger_email: String,
    /// Seconds since the epoch.
    pub time: i64,
    pub message: String,
}

impl Repo {
    /// Every annotated tag whose name `keep` accepts; lightweight tags and tags of objects
    /// other than commits are left out.
    pub fn annotated_tags(&self, keep: &dyn Fn(&str) -> bool) -> Result<Vec<AnnotatedTag>, Error> {
        let mut out = Vec::new();
        for reference in self.inner.references_glob("refs/tags/*")? {
            let reference = reference?;
            let Some(name) = reference.name().ok().and_then(|n| n.strip_prefix("refs/tags/"))
            else {
                continue;
            };
            if !keep(name) {
                continue;
            }
            let Some(oid) = reference.target() else { continue };
            let Ok(tag) = self.inner.find_tag(oid) else { continue };
            let Ok(commit) = tag.target().and_then(|t| t.peel_to_commit()) else { continue };
            let (tagger_name, tagger_email, time) = match tag.tagger() {
                Some(s) => (
                    String::from_utf8_lossy(s.name_bytes()).into_owned(),
                    String::from_utf8_lossy(s.email_bytes()).into_owned(),
                    s.when().seconds(),
                ),
                None => (String::new(), String::new(), 0),
            };
            out.push(AnnotatedTag {
                name: name.to_owned(),
                commit: commit.id().to_string(),
                tagger_name,
                tagger_email,
                time,
                message: String::from_utf8_lossy(tag.message_bytes().unwrap_or_default())
                    .into_owned(),
            });
        }
        Ok(out)
    }
}

/// Make the annotated tag `name` on `commit` with `message` (`git tag -a`); it is an error when
/// the tag exists.
pub fn create_annotated(root: &Path, name: &str, commit: &str, message: &str) -> Result<(), Error> {
    program::run(root, &["tag", "-a", "-m", message, "--", name, commit], &[])?;
    Ok(())
}
