//! GTO's tag grammar, as pure functions: artifact, stage and version names, and the tags that
//! register (`name@v1.2.3`), deregister (`name@v1.2.3!`), assign (`name#stage#N`), unassign
//! (`name#stage!#N`) and deprecate (`name@deprecated`) — each optionally ending in `#N`, a
//! counter over all of an artifact's tags. An artifact name may carry a folder
//! (`dir/sub:name`), written `dir/sub=name` in tags. The messages GTO writes on its tags are
//! made here too, so a registry written by either reads the same in both.

use std::cmp::Ordering;
use std::fmt;

/// What a tag records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Register {
        version: SemVer,
    },
    Deregister {
        version: SemVer,
    },
    Assign {
        stage: String,
    },
    Unassign {
        stage: String,
    },
    Deprecate,
    /// `name@created`, which GTO parses but does not write.
    Create,
}

/// A parsed registry tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagName {
    /// The artifact's name as users write it (`dir:name`, not `dir=name`).
    pub artifact: String,
    pub action: Action,
    pub counter: Option<u64>,
}

impl TagName {
    /// Parse a tag name; `None` when it is not a registry tag.
    pub fn parse(tag: &str) -> Option<TagName> {
        let split = tag.find(['@', '#'])?;
        let (artifact, rest) = tag.split_at(split);
        let artifact = artifact.replace('=', ":");
        if !is_valid_artifact(&artifact) {
            return None;
        }
        let sign = rest.as_bytes()[0];
        let mut parts = rest[1..].split('#');
        let body = parts.next()?;
        let counter = match parts.next() {
            None => None,
            Some(n) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
                Some(n.parse().ok()?)
            }
            Some(_) => return None,
        };
        if parts.next().is_some() {
            return None;
        }
        let (body, cancel) = match body.strip_suffix('!') {
            Some(b) => (b, true),
            None => (body, false),
        };
        let action = match sign {
            b'#' => {
                if !is_valid_name(body) {
                    return None;
                }
                let stage = body.to_owned();
                if cancel { Action::Unassign { stage } } else { Action::Assign { stage } }
            }
            _ => match body {
                "deprecated" if !cancel => Action::Deprecate,
                "created" if !cancel => Action::Create,
                _ => {
                    let version = SemVer::parse(body)?;
                    if cancel {
                        Action::Deregister { version }
                    } else {
                        Action::Register { version }
                    }
                }
            },
        };
        Some(TagName { artifact, action, counter })
    }

    /// The tag name, as GTO writes it.
    pub fn format(&self) -> String {
        let artifact = self.artifact.replace(':', "=");
        let mut out = match &self.action {
            Action::Register { version } => format!("{artifact}@{version}"),
            Action::Deregister { version } => format!("{artifact}@{version}!"),
            Action::Assign { stage } => format!("{artifact}#{stage}"),
            Action::Unassign { stage } => format!("{artifact}#{stage}!"),
            Action::Deprecate => format!("{artifact}@deprecated"),
            Action::Create => format!("{artifact}@created"),
        };
        if let Some(n) = self.counter {
            out.push_str(&format!("#{n}"));
        }
        out
    }

    /// The message GTO puts on such a tag when the user gives none.
    pub fn default_message(&self, version: Option<&str>) -> String {
        let name = &self.artifact;
        match &self.action {
            Action::Register { version } => {
                format!("Registering artifact {name} version {version}")
            }
            Action::Deregister { version } => {
                format!("Deregistering artifact {name} version {version}")
            }
            Action::Assign { stage } => match version {
                Some(v) => format!("Assigning stage {stage} to artifact {name} version {v}"),
                None => format!("Assigning stage {stage} to artifact {name}"),
            },
            Action::Unassign { stage } => format!(
                "Unassigning stage '{stage}' to artifact '{name}' version '{}'",
                version.unwrap_or_default()
            ),
            Action::Deprecate => format!("Deprecating artifact '{name}'"),
            Action::Create => format!("Creating artifact {name}"),
        }
    }
}

/// GTO's rule for artifact (after the folder part), stage and type names: letters, digits,
/// `_`, `-` and `/`, starting and ending with a letter or digit.
pub fn is_valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    let alnum = |c: &u8| c.is_ascii_alphanumeric();
    match b {
        [] => false,
        [one] => alnum(one),
        [first, middle @ .., last] => {
            alnum(first)
                && alnum(last)
                && middle.iter().all(|c| c.is_ascii_alphanumeric() || b"-/_".contains(c))
        }
    }
}

/// An artifact's full name: an optional folder (`[a-zA-Z0-9-_./]+`) and `:`, then a name.
pub fn is_valid_artifact(full: &str) -> bool {
    match full.split_once(':') {
        Some((dir, name)) => {
            !dir.is_empty()
                && dir.bytes().all(|c| c.is_ascii_alphanumeric() || b"-_./".contains(&c))
                && is_valid_name(name)
        }
        None => is_valid_name(full),
    }
}

/// Why a name is refused, in GTO's words.
pub fn name_rule() -> &'static str {
    "only letters, digits, '_', '-' and '/' are allowed, and it must start and end with a \
     letter or a digit"
}

/// A `v`-prefixed semantic version (`v1.2.3`, `v1.0.0-rc.1+build.5`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SemVer {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pub pre: String,
    pub build: String,
}

/// Which part of a version to bump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bump {
    Major,
    Minor,
    Patch,
}

impl SemVer {
    /// The first version GTO registers.
    pub fn minimal() -> SemVer {
        SemVer { major: 0, minor: 0, patch: 1, pre: String::new(), build: String::new() }
    }

    /// Parse `vX.Y.Z[-pre][+build]` (the `v` is required, as in GTO's tags).
    pub fn parse(text: &str) -> Option<SemVer> {
        let rest = text.strip_prefix('v')?;
        let (rest, build) = match rest.split_once('+') {
            Some((r, b)) => (r, Some(b)),
            None => (rest, None),
        };
        let (core, pre) = match rest.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (rest, None),
        };
        let number = |s: &str| -> Option<u64> {
            let ok = !s.is_empty()
                && s.bytes().all(|b| b.is_ascii_digit())
                && (s == "0" || !s.starts_with('0'));
            if ok { s.parse().ok() } else { None }
        };
        let mut parts = core.split('.');
        let major = number(parts.next()?)?;
        let minor = number(parts.next()?)?;
        let patch = number(parts.next()?)?;
        if parts.next().is_some() {
            return None;
        }
        let ident_ok = |id: &str, numeric_rule: bool| {
            !id.is_empty()
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !(numeric_rule
                    && id.len() > 1
                    && id.starts_with('0')
                    && id.bytes().all(|b| b.is_ascii_digit()))
        };
        if pre.is_some_and(|p| !p.split('.').all(|i| ident_ok(i, true))) {
            return None;
        }
        if build.is_some_and(|b| !b.split('.').all(|i| ident_ok(i, false))) {
            return None;
        }
        let pre = pre.unwrap_or_default().to_owned();
        Some(SemVer { major, minor, patch, pre, build: build.unwrap_or_default().to_owned() })
    }

    /// The next version: a bumped part, the parts below it zero, no pre-release or build.
    pub fn bump(&self, part: Bump) -> SemVer {
        let (major, minor, patch) = match part {
            Bump::Major => (self.major + 1, 0, 0),
            Bump::Minor => (self.major, self.minor + 1, 0),
            Bump::Patch => (self.major, self.minor, self.patch + 1),
        };
        SemVer { major, minor, patch, pre: String::new(), build: String::new() }
    }
}

impl fmt::Display for SemVer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        if !self.build.is_empty() {
            write!(f, "+{}", self.build)?;
        }
        Ok(())
    }
}

impl Ord for SemVer {
    /// Semantic-version precedence; the build part only breaks ties, to keep the order total.
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_pre(&self.pre, &other.pre),
            })
            .then_with(|| self.build.cmp(&other.build))
    }
}

impl PartialOrd for SemVer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn compare_pre(a: &str, b: &str) -> Ordering {
    let mut x = a.split('.');
    let mut y = b.split('.');
    loop {
        match (x.next(), y.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(p), Some(q)) => {
                let o = match (p.parse::<u64>(), q.parse::<u64>()) {
                    (Ok(m), Ok(n)) => m.cmp(&n),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    (Err(_), Err(_)) => p.cmp(q),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> SemVer {
        SemVer::parse(text).unwrap()
    }

    #[test]
    fn parses_every_kind_of_gto_tag() {
        let t = TagName::parse("model@v1.2.3").unwrap();
        assert_eq!(t.artifact, "model");
        assert_eq!(t.action, Action::Register { version: v("v1.2.3") });
        assert_eq!(t.counter, None);
        assert_eq!(
            TagName::parse("model@v1.2.3!").unwrap().action,
            Action::Deregister { version: v("v1.2.3") }
        );
        let a = TagName::parse("model#prod#7").unwrap();
        assert_eq!(a.action, Action::Assign { stage: "prod".into() });
        assert_eq!(a.counter, Some(7));
        assert_eq!(TagName::parse("model#prod").unwrap().counter, None);
        let u = TagName::parse("model#prod!#8").unwrap();
        assert_eq!(u.action, Action::Unassign { stage: "prod".into() });
        assert_eq!(TagName::parse("model@deprecated").unwrap().action, Action::Deprecate);
        assert_eq!(TagName::parse("model@deprecated#3").unwrap().counter, Some(3));
        assert_eq!(TagName::parse("model@created").unwrap().action, Action::Create);
        let d = TagName::parse("models/cv=resnet@v0.1.0-rc.1+b7").unwrap();
        assert_eq!(d.artifact, "models/cv:resnet");
        assert_eq!(d.format(), "models/cv=resnet@v0.1.0-rc.1+b7");
    }

    #[test]
    fn refuses_what_gto_refuses() {
        for bad in [
            "v1.0.0",
            "model@1.2.3",
            "model@v1.2",
            "model@v01.2.3",
            "model#prod#x",
            "model#prod#",
            "model#pr od#1",
            "-model@v1.0.0",
            "model-@v1.0.0",
            "model@deprecated!",
            "model#prod#1#2",
            "mo del@v1.0.0",
        ] {
            assert_eq!(TagName::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_round_trip() {
        for tag in [
            "m@v0.0.1",
            "m@v0.0.1!",
            "m#prod#1",
            "m#prod!#2",
            "m@deprecated",
            "a/b_c-d#my-stage#12",
        ] {
            assert_eq!(TagName::parse(tag).unwrap().format(), tag);
        }
    }

    #[test]
    fn names_follow_gto_rules() {
        assert!(is_valid_name("prod"));
        assert!(is_valid_name("a"));
        assert!(is_valid_name("my_model/v2-x"));
        assert!(!is_valid_name("my stage"));
        assert!(!is_valid_name("_x"));
        assert!(!is_valid_name("x."));
        assert!(!is_valid_name(""));
        assert!(is_valid_artifact("dir/sub.d:name"));
        assert!(!is_valid_artifact("dir:"));
    }

    #[test]
    fn versions_order_and_bump() {
        assert!(v("v1.0.0") > v("v1.0.0-rc.2"));
        assert!(v("v1.0.0-rc.10") > v("v1.0.0-rc.2"));
        assert!(v("v1.0.0-alpha") < v("v1.0.0-alpha.1"));
        assert!(v("v0.10.0") > v("v0.9.9"));
        assert_eq!(v("v1.2.3-rc.1").bump(Bump::Patch).to_string(), "v1.2.4");
        assert_eq!(v("v1.2.3").bump(Bump::Minor).to_string(), "v1.3.0");
        assert_eq!(v("v1.2.3").bump(Bump::Major).to_string(), "v2.0.0");
        assert_eq!(SemVer::minimal().to_string(), "v0.0.1");
    }

    #[test]
    fn default_messages_match_gto() {
        let t = TagName::parse("mdl#prod#2").unwrap();
        assert_eq!(
            t.default_message(Some("v0.1.0")),
            "Assigning stage prod to artifact mdl version v0.1.0"
        );
        assert_eq!(
            TagName::parse("mdl@v0.0.1").unwrap().default_message(None),
            "Registering artifact mdl version v0.0.1"
        );
        assert_eq!(
            TagName::parse("mdl@deprecated").unwrap().default_message(None),
            "Deprecating artifact 'mdl'"
        );
    }
}
