//! `mlx.toml` and `.mlx/config.local.toml` as the remote operations see them: both parsed, or
//! one open for editing as a `toml_edit` document ([`ConfigFile`]), with the edits to
//! `[remotes.NAME]` and `[core] remote` and the checked, atomic save.

use std::path::PathBuf;

use toml_edit::{DocumentMut, Item, Table, TableLike};

use super::toml_layout::{
    adopt_trailing, comments_of_the_table_above, header_order, set_value, table_at,
};
use super::{RemoteConfigError, Scope};
use crate::config::{self, Config, LOCAL_TEMPLATE};
use crate::fs_util;
use crate::ops::Result;
use crate::project::Project;

/// `mlx.toml` and `.mlx/config.local.toml` as parsed, each on its own.
pub(super) fn read_both(project: &Project) -> Result<(Config, Config)> {
    let read = |scope: Scope| -> Result<Config> {
        Config::read(&project.root().join(scope.rel_path()), &scope.rel_path())
            .map_err(|e| crate::project::Error::Config(e).into())
    };
    Ok((read(Scope::Project)?, read(Scope::Local)?))
}

/// One config file open for editing.
pub(super) struct ConfigFile {
    pub(super) scope: Scope,
    path: PathBuf,
    doc: DocumentMut,
    changed: bool,
}

impl ConfigFile {
    pub(super) fn load(project: &Project, scope: Scope) -> Result<Self> {
        let path = project.root().join(scope.rel_path());
        let config_err = crate::project::Error::Config;
        let text =
            config::read_if_exists(&path).map_err(config_err)?.unwrap_or_else(|| match scope {
                Scope::Project => String::new(),
                Scope::Local => LOCAL_TEMPLATE.to_owned(),
            });
        let doc = text.parse::<DocumentMut>().map_err(|e| {
            config_err(config::Error::parse_at(&scope.rel_path(), &text, e.span(), e.message()))
        })?;
        Ok(ConfigFile { scope, path, doc, changed: false })
    }

    pub(super) fn remotes(&self) -> Option<&dyn TableLike> {
        self.doc.get("remotes").and_then(Item::as_table_like)
    }

    pub(super) fn names(&self) -> Vec<String> {
        self.remotes().map(|r| r.iter().map(|(k, _)| k.to_owned()).collect()).unwrap_or_default()
    }

    pub(super) fn remote(&self, name: &str) -> Option<&dyn TableLike> {
        self.remotes()?.get(name)?.as_table_like()
    }

    fn not_a_table(&self, key: &str) -> RemoteConfigError {
        RemoteConfigError::NotATable { file: self.scope.label().into(), key: key.into() }
    }

    /// `[remotes.NAME]`, created (as a `[remotes.NAME]` header) when missing.
    pub(super) fn remote_entry(
        &mut self,
        name: &str,
    ) -> std::result::Result<&mut dyn TableLike, RemoteConfigError> {
        self.changed = true;
        let mut created = false;
        if self.doc.get("remotes").is_none() {
            let mut remotes = Table::new();
            remotes.set_implicit(true);
            self.doc.insert("remotes", Item::Table(remotes));
        }
        let not_a_table = self.not_a_table("remotes");
        let remotes = self.doc.get_mut("remotes").and_then(Item::as_table_like_mut);
        let remotes = remotes.ok_or(not_a_table)?;
        if remotes.get(name).is_none() {
            remotes.insert(name, Item::Table(Table::new()));
            created = true;
        }
        if created {
            adopt_trailing(&mut self.doc, &["remotes", name]);
        }
        let not_a_table = self.not_a_table(&format!("remotes.{name}"));
        self.doc
            .get_mut("remotes")
            .and_then(|r| r.get_mut(name))
            .and_then(Item::as_table_like_mut)
            .ok_or(not_a_table)
    }

    /// Drop `[remotes.NAME]`; true if it was there. Comments above its header that a blank
    /// line separates from it belong to the table before, so they stay. A `[remotes]` left
    /// empty and implicit goes too.
    pub(super) fn remove_remote(&mut self, name: &str) -> bool {
        let path = vec!["remotes".to_owned(), name.to_owned()];
        let order = header_order(&self.doc);
        let kept = self
            .doc
            .get("remotes")
            .and_then(|r| r.get(name))
            .and_then(Item::as_table)
            .and_then(|t| t.decor().prefix())
            .and_then(|p| p.as_str())
            .map(comments_of_the_table_above)
            .unwrap_or_default();
        let Some(remotes) = self.doc.get_mut("remotes").and_then(Item::as_table_like_mut) else {
            return false;
        };
        if remotes.remove(name).is_none() {
            return false;
        }
        self.changed = true;
        let implicit =
            self.doc.get("remotes").and_then(Item::as_table).is_none_or(Table::is_implicit);
        if remotes_is_empty(&self.doc) && implicit {
            self.doc.remove("remotes");
        }
        if !kept.is_empty() {
            let next = order.iter().skip_while(|p| **p != path).nth(1);
            match next.and_then(|p| table_at(&mut self.doc, p)) {
                Some(next) => {
                    let below = next.decor().prefix().and_then(|p| p.as_str()).unwrap_or("\n");
                    let prefix = format!("{}\n{below}", kept.trim_end());
                    next.decor_mut().set_prefix(prefix);
                }
                None => {
                    let trailing = self.doc.trailing().as_str().unwrap_or("").to_owned();
                    self.doc.set_trailing(format!("{}\n{trailing}", kept.trim_end()));
                }
            }
        }
        true
    }

    pub(super) fn core_remote(&self) -> Option<&str> {
        self.doc.get("core")?.as_table_like()?.get("remote")?.as_str()
    }

    pub(super) fn set_core_remote(
        &mut self,
        name: Option<&str>,
    ) -> std::result::Result<(), RemoteConfigError> {
        let not_a_table = self.not_a_table("core");
        match name {
            None => {
                if let Some(core) = self.doc.get_mut("core").and_then(Item::as_table_like_mut)
                    && core.remove("remote").is_some()
                {
                    self.changed = true;
                }
            }
            Some(name) => {
                if self.doc.get("core").is_none() {
                    self.doc.insert("core", Item::Table(Table::new()));
                    adopt_trailing(&mut self.doc, &["core"]);
                }
                let core = self.doc.get_mut("core").and_then(Item::as_table_like_mut);
                let core = core.ok_or(not_a_table)?;
                if set_value(core, "remote", name.into()) {
                    self.changed = true;
                }
            }
        }
        Ok(())
    }

    /// Write the file if it changed; the result must still load as a config.
    pub(super) fn save(&self) -> Result<()> {
        if !self.changed {
            return Ok(());
        }
        let text = self.doc.to_string();
        let rel = self.scope.rel_path();
        match self.scope {
            Scope::Project => {
                Config::parse_shared(&rel, &text).map_err(crate::project::Error::Config)?;
                fs_util::write_atomic(&self.path, text.as_bytes())?;
            }
            Scope::Local => {
                Config::parse(&rel, &text).map_err(crate::project::Error::Config)?;
                fs_util::write_atomic_with_mode(&self.path, text.as_bytes(), 0o600)?;
            }
        }
        Ok(())
    }
}

fn remotes_is_empty(doc: &DocumentMut) -> bool {
    doc.get("remotes").and_then(Item::as_table_like).is_none_or(TableLike::is_empty)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(text: &str, f: impl FnOnce(&mut ConfigFile)) -> String {
        let mut file = ConfigFile {
            scope: Scope::Project,
            path: PathBuf::new(),
            doc: text.parse().unwrap(),
            changed: false,
        };
        f(&mut file);
        file.doc.to_string()
    }

    #[test]
    fn edits_keep_comments_and_put_new_tables_after_trailing_comments() {
        let text = "# top\n\n[cache]\n# type = [\"copy\"]\n\n[core]\n# lock_timeout = 120\n";
        let out = edit(text, |f| {
            f.remote_entry("my.store").unwrap().insert("url", toml_edit::value("s3://b/p"));
        });
        assert_eq!(
            out,
            "# top\n\n[cache]\n# type = [\"copy\"]\n\n[core]\n# lock_timeout = 120\n\n\
             [remotes.\"my.store\"]\nurl = \"s3://b/p\"\n"
        );
        let out = edit(&out, |f| {
            f.set_core_remote(Some("my.store")).unwrap();
            f.remote_entry("b").unwrap().insert("url", toml_edit::value("/b"));
        });
        assert_eq!(
            out,
            "# top\n\n[cache]\n# type = [\"copy\"]\n\n[core]\nremote = \"my.store\"\n\
             # lock_timeout = 120\n\n[remotes.\"my.store\"]\nurl = \"s3://b/p\"\n\n\
             [remotes.b]\nurl = \"/b\"\n"
        );
        let out = edit(&out, |f| {
            assert!(f.remove_remote("my.store"));
            assert!(f.remove_remote("b"));
            assert!(!f.remove_remote("b"));
            f.set_core_remote(None).unwrap();
        });
        assert_eq!(out, "# top\n\n[cache]\n# type = [\"copy\"]\n\n[core]\n# lock_timeout = 120\n");
    }

    #[test]
    fn new_remotes_go_after_the_existing_ones_and_values_keep_their_comments() {
        let text = "[remotes.a]\nurl = \"/a\" # the NAS\n\n# pipeline\n[stages.t]\ncmd = \"x\"\n";
        let out = edit(text, |f| {
            let a = f.remote_entry("a").unwrap();
            assert!(set_value(a, "url", "/nas".into()));
            assert!(!set_value(a, "url", "/nas".into()));
            f.remote_entry("b").unwrap().insert("url", toml_edit::value("/b"));
        });
        assert_eq!(
            out,
            "[remotes.a]\nurl = \"/nas\" # the NAS\n\n[remotes.b]\nurl = \"/b\"\n\n# pipeline\n\
             [stages.t]\ncmd = \"x\"\n"
        );
        // No file yet: the tables alone.
        let out = edit("", |f| {
            f.set_core_remote(Some("a")).unwrap();
            f.remote_entry("a").unwrap().insert("url", toml_edit::value("/a"));
        });
        assert_eq!(out, "[core]\nremote = \"a\"\n\n[remotes.a]\nurl = \"/a\"\n");
    }
}
