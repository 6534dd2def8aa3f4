//! `mlx.toml` and `.mlx/config.local.toml`: serde types and loading. Parse errors keep the file,
//! line and column. The local file overrides the project file key by key.

use std::path::{Path, PathBuf};

use fs_err as fs;
use serde::Deserialize;

use crate::store::LinkType;
use crate::store::error::line_column;

pub const PROJECT_FILE: &str = "mlx.toml";
pub const LOCAL_FILE: &str = "config.local.toml";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{file}:{line}:{column}: {message}")]
    Parse { file: PathBuf, line: usize, column: usize, message: String },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub core: CoreConfig,
    #[serde(default)]
    pub cache: CacheConfig,
    /// `[stages.*]`: read and checked by `pipeline::spec`, with its own error positions.
    #[serde(default, rename = "stages")]
    _stages: serde::de::IgnoredAny,
    /// `[resources]`: limits for the pipeline executor, read by `pipeline::spec`.
    #[serde(default, rename = "resources")]
    _resources: serde::de::IgnoredAny,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoreConfig {
    /// Seconds a mutating command waits for another one's repository lock.
    pub lock_timeout: Option<u64>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheConfig {
    /// Link types to try, in order, when placing cache objects in the workspace.
    #[serde(rename = "type", default, deserialize_with = "one_or_many")]
    pub link_types: Option<Vec<LinkType>>,
    /// Where the cache lives (default `.mlx/cache`); relative paths start at the project root.
    pub dir: Option<PathBuf>,
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<LinkType>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(LinkType),
        Many(Vec<LinkType>),
    }
    match OneOrMany::deserialize(d) {
        Ok(OneOrMany::One(t)) => Ok(Some(vec![t])),
        Ok(OneOrMany::Many(v)) if !v.is_empty() => Ok(Some(v)),
        Ok(OneOrMany::Many(_)) => {
            Err(serde::de::Error::custom("`type` needs at least one link type"))
        }
        Err(_) => Err(serde::de::Error::custom(
            "`type` must be one of \"reflink\", \"hardlink\", \"symlink\", \"copy\", or a list of them",
        )),
    }
}

impl Config {
    /// Parse TOML text; `file` names it in errors.
    pub fn parse(file: &Path, text: &str) -> Result<Self, Error> {
        toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map_or((1, 1), |s| line_column(text, s.start));
            Error::Parse {
                file: file.to_path_buf(),
                line,
                column,
                message: e.message().trim().to_owned(),
            }
        })
    }

    /// Read a file if it exists; a missing file is an empty config.
    pub fn read(path: &Path, shown_as: &Path) -> Result<Self, Error> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(shown_as, &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(_) => Ok(Self::parse(shown_as, &fs::read_to_string(path)?)?),
        }
    }

    /// `other`'s settings win where it has them.
    pub fn merged_with(mut self, other: Config) -> Config {
        if other.core.lock_timeout.is_some() {
            self.core.lock_timeout = other.core.lock_timeout;
        }
        if other.cache.link_types.is_some() {
            self.cache.link_types = other.cache.link_types;
        }
        if other.cache.dir.is_some() {
            self.cache.dir = other.cache.dir;
        }
        self
    }
}

/// What `mlx init` writes as a fresh `mlx.toml`.
pub const PROJECT_TEMPLATE: &str = r#"# mlx project file: settings shared by everyone who clones this repository.
# Written by `mlx init`; edit freely. Per-clone settings go in .mlx/config.local.toml.

[cache]
# How cache objects are placed in the workspace, first that works wins:
# "reflink" (copy-on-write clone), "hardlink", "symlink" or "copy".
# type = ["reflink", "copy"]

[core]
# Seconds a command waits for another mlx command working on this project.
# lock_timeout = 120
"#;

pub const LOCAL_TEMPLATE: &str = r"# mlx settings for this clone only (never committed): same keys as mlx.toml.
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_link_types_one_or_many() {
        let c = Config::parse(Path::new("mlx.toml"), "[cache]\ntype = \"hardlink\"\n").unwrap();
        assert_eq!(c.cache.link_types, Some(vec![LinkType::Hardlink]));
        let c = Config::parse(Path::new("mlx.toml"), "[cache]\ntype = [\"symlink\", \"copy\"]\n")
            .unwrap();
        assert_eq!(c.cache.link_types, Some(vec![LinkType::Symlink, LinkType::Copy]));
        assert!(Config::parse(Path::new("m"), PROJECT_TEMPLATE).is_ok());
    }

    #[test]
    fn errors_name_line_and_column() {
        let err =
            Config::parse(Path::new("mlx.toml"), "[cache]\ntype = \"teleport\"\n").unwrap_err();
        let Error::Parse { line, column, .. } = err else { panic!() };
        assert_eq!((line, column), (2, 8));
        let err = Config::parse(Path::new("mlx.toml"), "[cache\n").unwrap_err();
        assert!(matches!(err, Error::Parse { line: 1, .. }));
    }

    #[test]
    fn pipeline_tables_are_left_to_the_pipeline_and_other_keys_refused() {
        let text = "[resources]\ngpu = 1\n[stages.a]\ncmd = 1\nanything = [\"x\"]\n[cache]\ntype = \"copy\"\n";
        let c = Config::parse(Path::new("mlx.toml"), text).unwrap();
        assert_eq!(c.cache.link_types, Some(vec![LinkType::Copy]));
        let err = Config::parse(Path::new("mlx.toml"), "[stages.a]\ncmd = \"x\"\n[stagez]\n")
            .unwrap_err();
        let Error::Parse { line, column, message, .. } = err else { panic!() };
        assert_eq!((line, column), (3, 2), "{message}");
        assert!(message.contains("unknown field `stagez`"), "{message}");
    }
}
