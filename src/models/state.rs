//! The registry as git's tags describe it: per artifact, its events in order (registration,
//! deregistration, assignment, unassignment, deprecation, each with who and when), its
//! versions and which version holds each stage. The rules are GTO's: tags are taken in order of
//! their tagger date (ties by their `#N` counter); an assignment names the version registered at
//! its commit (or the bare commit when none is); a stage is held by the version assigned to it
//! last that was neither unassigned from it nor deregistered since.

use std::collections::BTreeMap;

use serde::Serialize;

use super::tag::{Action, SemVer, TagName};
use super::{Error, check_name};
use crate::git::Repo;
use crate::git::tags::AnnotatedTag;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Creation,
    Registration,
    Deprecation,
    Deregistration,
    Assignment,
    Unassignment,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Creation => "creation",
            EventKind::Registration => "registration",
            EventKind::Deprecation => "deprecation",
            EventKind::Deregistration => "deregistration",
            EventKind::Assignment => "assignment",
            EventKind::Unassignment => "unassignment",
        }
    }
}

/// One registry tag, read.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub event: EventKind,
    pub artifact: String,
    /// The version it concerns (for an assignment to an unregistered commit: the commit).
    pub version: Option<String>,
    pub stage: Option<String>,
    pub commit: String,
    /// The tagger.
    pub author: String,
    pub author_email: String,
    /// Seconds since the epoch (the tagger date).
    #[serde(skip)]
    pub time: i64,
    /// RFC 3339 UTC.
    pub timestamp: String,
    pub message: String,
    /// The tag.
    #[serde(rename = "ref")]
    pub tag: String,
    #[serde(skip)]
    pub counter: Option<u64>,
}

/// One version of an artifact.
#[derive(Debug, Clone, Serialize)]
pub struct VersionState {
    /// `v1.2.3`; a commit for a commit assigned a stage without a registered version.
    pub version: String,
    #[serde(skip)]
    pub semver: Option<SemVer>,
    pub commit: String,
    pub registered: bool,
    pub deregistered: bool,
    /// When it was registered (RFC 3339 UTC) and by whom.
    pub created_at: String,
    pub author: String,
    /// The registration tag.
    #[serde(rename = "ref")]
    pub tag: Option<String>,
    /// The registration tag's message.
    #[serde(skip)]
    pub message: String,
}

impl VersionState {
    pub fn is_active(&self) -> bool {
        self.registered && !self.deregistered
    }
}

/// One artifact: its events oldest first, versions, stages and whether it is deprecated.
#[derive(Debug, Clone, Default)]
pub struct ArtifactState {
    pub name: String,
    pub events: Vec<Event>,
    pub versions: Vec<VersionState>,
    /// Per stage, the versions assigned to it and not removed since, by their latest
    /// assignment, oldest first.
    pub stages: BTreeMap<String, Vec<String>>,
    pub deprecated: bool,
    /// The highest `#N` among its tags.
    pub max_counter: u64,
}

impl ArtifactState {
    pub fn version(&self, name: &str) -> Option<&VersionState> {
        self.versions.iter().find(|v| v.version == name)
    }

    fn version_at(&self, commit: &str) -> Option<&VersionState> {
        self.versions
            .iter()
            .filter(|v| v.commit == commit)
            .max_by_key(|v| (v.is_active(), v.registered))
    }

    /// The active version registered at `commit`.
    pub fn active_at(&self, commit: &str) -> Option<&VersionState> {
        self.versions.iter().find(|v| v.commit == commit && v.is_active())
    }

    /// The greatest active version by semantic-version order.
    pub fn greatest(&self) -> Option<&VersionState> {
        self.versions.iter().filter(|v| v.is_active()).max_by(|a, b| a.semver.cmp(&b.semver))
    }

    /// The latest version as GTO means it: the greatest active one (`NAME@latest` and
    /// `NAME@greatest` name the same version, as in GTO).
    pub fn latest(&self) -> Option<&VersionState> {
        self.greatest()
    }

    /// The versions in `stage` (that are not deregistered), oldest assignment first.
    fn in_stage(&self, stage: &str) -> Vec<&VersionState> {
        self.stages
            .get(stage)
            .map(|vs| {
                vs.iter().filter_map(|v| self.version(v)).filter(|v| !v.deregistered).collect()
            })
            .unwrap_or_default()
    }

    /// The version holding `stage` now.
    pub fn holder(&self, stage: &str) -> Option<&VersionState> {
        self.in_stage(stage).pop()
    }

    /// Every stage with the version holding it.
    pub fn stage_holders(&self) -> BTreeMap<String, String> {
        self.stages
            .keys()
            .filter_map(|s| self.holder(s).map(|v| (s.clone(), v.version.clone())))
            .collect()
    }

    /// The stages `version` holds.
    pub fn stages_of(&self, version: &str) -> Vec<String> {
        self.stage_holders().into_iter().filter(|(_, v)| v == version).map(|(s, _)| s).collect()
    }

    /// The version that held `stage` before the one holding it now: `(current, previous)`.
    pub fn rollback_target(&self, stage: &str) -> Result<(&VersionState, &VersionState), Error> {
        let mut held = self.in_stage(stage);
        held.retain(|v| v.registered);
        let current = self.holder(stage).ok_or_else(|| Error::EmptyStage {
            artifact: self.name.clone(),
            stage: stage.to_owned(),
        })?;
        let previous = held.iter().rev().find(|v| v.version != current.version).copied();
        match previous {
            Some(p) => Ok((current, p)),
            None => Err(Error::NothingToRollBack {
                artifact: self.name.clone(),
                stage: stage.to_owned(),
                version: current.version.clone(),
            }),
        }
    }

    fn apply(&mut self, parsed: &TagName, tag: &AnnotatedTag) {
        let (kind, version, stage) = match &parsed.action {
            Action::Register { version } => {
                let name = version.to_string();
                match self.versions.iter_mut().find(|v| v.version == name) {
                    Some(v) => {
                        v.registered = true;
                        v.deregistered = false;
                        v.commit.clone_from(&tag.commit);
                    }
                    None => self.versions.push(VersionState {
                        version: name.clone(),
                        semver: Some(version.clone()),
                        commit: tag.commit.clone(),
                        registered: true,
                        deregistered: false,
                        created_at: rfc3339(tag.time),
                        author: tag.tagger_name.clone(),
                        tag: Some(tag.name.clone()),
                        message: tag.message.trim().to_owned(),
                    }),
                }
                (EventKind::Registration, Some(name), None)
            }
            Action::Deregister { version } => {
                let name = version.to_string();
                if let Some(v) = self.versions.iter_mut().find(|v| v.version == name) {
                    v.deregistered = true;
                }
                (EventKind::Deregistration, Some(name), None)
            }
            Action::Assign { stage } | Action::Unassign { stage } => {
                let version = match self.version_at(&tag.commit) {
                    Some(v) => v.version.clone(),
                    None => {
                        self.versions.push(VersionState {
                            version: tag.commit.clone(),
                            semver: None,
                            commit: tag.commit.clone(),
                            registered: false,
                            deregistered: false,
                            created_at: rfc3339(tag.time),
                            author: tag.tagger_name.clone(),
                            tag: None,
                            message: String::new(),
                        });
                        tag.commit.clone()
                    }
                };
                let list = self.stages.entry(stage.clone()).or_default();
                list.retain(|v| *v != version);
                let kind = if matches!(parsed.action, Action::Assign { .. }) {
                    list.push(version.clone());
                    EventKind::Assignment
                } else {
                    EventKind::Unassignment
                };
                (kind, Some(version), Some(stage.clone()))
            }
            Action::Deprecate => {
                self.deprecated = true;
                (EventKind::Deprecation, None, None)
            }
            Action::Create => (EventKind::Creation, None, None),
        };
        self.max_counter = self.max_counter.max(parsed.counter.unwrap_or(0));
        self.events.push(Event {
            event: kind,
            artifact: self.name.clone(),
            version,
            stage,
            commit: tag.commit.clone(),
            author: tag.tagger_name.clone(),
            author_email: tag.tagger_email.clone(),
            time: tag.time,
            timestamp: rfc3339(tag.time),
            message: tag.message.trim().to_owned(),
            tag: tag.name.clone(),
            counter: parsed.counter,
        });
    }
}

/// Every artifact the registry's tags name.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    pub artifacts: BTreeMap<String, ArtifactState>,
}

impl Registry {
    /// Read the registry from the repository's tags.
    pub fn read(repo: &Repo) -> Result<Registry, Error> {
        let tags = repo.annotated_tags(&|name| TagName::parse(name).is_some())?;
        Ok(Registry::from_tags(tags))
    }

    /// The registry these tags describe (tags that are not registry tags are skipped).
    pub fn from_tags(tags: Vec<AnnotatedTag>) -> Registry {
        let mut parsed: Vec<(TagName, AnnotatedTag)> =
            tags.into_iter().filter_map(|t| TagName::parse(&t.name).map(|p| (p, t))).collect();
        parsed.sort_by(|(a, x), (b, y)| {
            (x.time, a.counter.unwrap_or(0), order(&a.action), &x.name).cmp(&(
                y.time,
                b.counter.unwrap_or(0),
                order(&b.action),
                &y.name,
            ))
        });
        let mut registry = Registry::default();
        for (p, t) in &parsed {
            let artifact = registry.artifacts.entry(p.artifact.clone()).or_insert_with(|| {
                ArtifactState { name: p.artifact.clone(), ..ArtifactState::default() }
            });
            artifact.apply(p, t);
        }
        registry
    }

    /// The artifact `name`, or an error listing those there are.
    pub fn artifact(&self, name: &str) -> Result<&ArtifactState, Error> {
        check_name("model name", name)?;
        self.artifacts.get(name).ok_or_else(|| Error::UnknownArtifact {
            name: name.to_owned(),
            known: self.artifacts.keys().cloned().collect(),
        })
    }

    /// The version a reference names.
    pub fn resolve(&self, reference: &Reference) -> Result<(&ArtifactState, &VersionState), Error> {
        let artifact = self.artifact(&reference.name)?;
        let version = match &reference.pick {
            Pick::Latest => artifact.latest(),
            Pick::Greatest => artifact.greatest(),
            Pick::Version(v) => {
                let found = artifact.version(v).ok_or_else(|| Error::UnknownVersion {
                    artifact: artifact.name.clone(),
                    version: v.clone(),
                })?;
                if found.deregistered {
                    return Err(Error::Deregistered {
                        artifact: artifact.name.clone(),
                        version: v.clone(),
                    });
                }
                Some(found)
            }
            Pick::Stage(s) => Some(artifact.holder(s).ok_or_else(|| Error::EmptyStage {
                artifact: artifact.name.clone(),
                stage: s.clone(),
            })?),
        };
        let version = version.ok_or_else(|| Error::UnknownVersion {
            artifact: artifact.name.clone(),
            version: "(none registered)".into(),
        })?;
        Ok((artifact, version))
    }
}

/// Registrations before other events of the same second and counter.
fn order(action: &Action) -> u8 {
    match action {
        Action::Create => 0,
        Action::Register { .. } => 1,
        Action::Deprecate => 2,
        Action::Deregister { .. } => 3,
        Action::Assign { .. } => 4,
        Action::Unassign { .. } => 5,
    }
}

/// `NAME`, `NAME@v1.2.3`, `NAME#stage`, `NAME@latest`, `NAME@greatest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub name: String,
    pub pick: Pick,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    Latest,
    Greatest,
    Version(String),
    Stage(String),
}

impl Reference {
    pub fn parse(text: &str) -> Result<Reference, Error> {
        let bad = || Error::BadReference { text: text.to_owned() };
        let (name, pick) = match text.find(['@', '#']) {
            None => (text, Pick::Latest),
            Some(i) => {
                let (name, rest) = text.split_at(i);
                let value = &rest[1..];
                let pick = if rest.starts_with('#') {
                    check_name("stage", value)?;
                    Pick::Stage(value.to_owned())
                } else {
                    match value {
                        "latest" => Pick::Latest,
                        "greatest" => Pick::Greatest,
                        v => {
                            let v = if v.starts_with('v') { v.to_owned() } else { format!("v{v}") };
                            SemVer::parse(&v).ok_or_else(bad)?;
                            Pick::Version(v)
                        }
                    }
                };
                (name, pick)
            }
        };
        check_name("model name", name)?;
        Ok(Reference { name: name.to_owned(), pick })
    }
}

/// Seconds since the epoch as RFC 3339 UTC.
pub fn rfc3339(seconds: i64) -> String {
    let t =
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(u64::try_from(seconds).unwrap_or(0));
    humantime::format_rfc3339_seconds(t).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(name: &str, commit: &str, time: i64) -> AnnotatedTag {
        AnnotatedTag {
            name: name.into(),
            commit: commit.into(),
            tagger_name: "T".into(),
            tagger_email: "t@x".into(),
            time,
            message: String::new(),
        }
    }

    #[test]
    fn stages_follow_the_latest_assignment_and_roll_back() {
        let r = Registry::from_tags(vec![
            tag("m@v0.0.1", "a", 1),
            tag("m@v0.1.0", "b", 2),
            tag("m#prod#1", "a", 3),
            tag("m#prod#2", "b", 3),
            tag("other", "b", 3),
        ]);
        let m = r.artifact("m").unwrap();
        assert_eq!(m.holder("prod").unwrap().version, "v0.1.0");
        let (cur, prev) = m.rollback_target("prod").unwrap();
        assert_eq!((cur.version.as_str(), prev.version.as_str()), ("v0.1.0", "v0.0.1"));
        assert_eq!(m.max_counter, 2);
        assert_eq!(m.latest().unwrap().version, "v0.1.0");
    }

    #[test]
    fn unassignment_and_deregistration_free_the_stage() {
        let r = Registry::from_tags(vec![
            tag("m@v0.0.1", "a", 1),
            tag("m@v0.1.0", "b", 2),
            tag("m#prod#1", "a", 3),
            tag("m#prod#2", "b", 4),
            tag("m#prod!#3", "b", 5),
        ]);
        let m = r.artifact("m").unwrap();
        assert_eq!(m.holder("prod").unwrap().version, "v0.0.1");
        assert!(matches!(m.rollback_target("prod"), Err(Error::NothingToRollBack { .. })));
        let r = Registry::from_tags(vec![
            tag("m@v0.0.1", "a", 1),
            tag("m#prod#1", "a", 3),
            tag("m@v0.0.1!", "a", 4),
            tag("m@deprecated", "a", 5),
        ]);
        let m = r.artifact("m").unwrap();
        assert!(m.holder("prod").is_none());
        assert!(m.deprecated);
        assert!(m.latest().is_none());
    }

    #[test]
    fn references_parse() {
        let r = Reference::parse("m@v1.0.0").unwrap();
        assert_eq!(r.pick, Pick::Version("v1.0.0".into()));
        assert_eq!(Reference::parse("m#prod").unwrap().pick, Pick::Stage("prod".into()));
        assert_eq!(Reference::parse("m").unwrap().pick, Pick::Latest);
        assert_eq!(Reference::parse("m@greatest").unwrap().pick, Pick::Greatest);
        assert!(Reference::parse("m@x").is_err());
        assert!(Reference::parse("m#pr od").is_err());
    }
}
