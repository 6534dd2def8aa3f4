//! The link types of `mlx doctor`'s `cache` section: each one tried for real in a temp folder
//! inside the cache, and the one `[cache] type` picks on this filesystem.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::{CacheFacts, DoctorReport, LinkProbe, Status};
use crate::config::Config;
use crate::store::link::{self, LinkType};

/// Probe the link types in the cache at `dir` and check the configured list against them.
pub(super) fn check(
    r: &mut DoctorReport,
    root: &Path,
    dir: &Path,
    config: &Config,
    facts: &mut CacheFacts,
) {
    let configured = facts.configured_types.clone();
    let explicit = config.cache.link_types.is_some();
    // Placing objects in the workspace needs the same filesystem for reflinks and hardlinks.
    let same_fs = match (std::fs::metadata(dir), std::fs::metadata(root)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev(),
        _ => true,
    };
    facts.same_filesystem = same_fs;
    let mut probes = probe_link_types(dir);
    if !same_fs {
        for p in &mut probes {
            if matches!(p.link_type, LinkType::Reflink | LinkType::Hardlink) && p.works {
                p.works = false;
                p.error = Some("the cache is on another filesystem than the workspace".into());
            }
        }
        r.push_hinted(
            "cache",
            "filesystem",
            Status::Warn,
            "the cache is on another filesystem than the workspace: no hardlinks or reflinks",
            "objects are copied into the workspace; a cache on the same filesystem ([cache] dir) \
             can link them instead",
        );
    }
    for p in &probes {
        let name = p.link_type.as_str();
        if p.works {
            r.push("cache", name, Status::Ok, "works");
            continue;
        }
        let error = p.error.clone().unwrap_or_default();
        if p.link_type == LinkType::Copy {
            r.push_hinted(
                "cache",
                name,
                Status::Fail,
                format!("fails: {error}"),
                "mlx cannot write in the cache: check the folder's permissions and free space",
            );
        } else if explicit && configured.contains(&p.link_type) {
            r.push_hinted(
                "cache",
                name,
                Status::Warn,
                format!("fails: {error} (listed in [cache] type)"),
                "mlx falls back to the next type; list only types this filesystem supports",
            );
        } else {
            r.push("cache", name, Status::Ok, format!("fails: {error}"));
        }
    }
    let works = |t: LinkType| probes.iter().any(|p| p.link_type == t && p.works);
    // The linker falls back to a copy when no listed type works.
    let picked = configured.iter().copied().find(|t| works(*t)).unwrap_or(LinkType::Copy);
    facts.picked = works(picked).then_some(picked);
    let list = configured.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ");
    let source = if explicit { "[cache] type" } else { "the default" };
    if !works(picked) {
        r.push_hinted(
            "cache",
            "link type",
            Status::Fail,
            format!("none of {list} ({source}) works here"),
            "mlx cannot place data in the workspace: check the cache folder",
        );
    } else if picked == LinkType::Copy && works(LinkType::Hardlink) {
        r.push_hinted(
            "cache",
            "link type",
            Status::Warn,
            format!(
                "copy, from {list} ({source}): every file is stored twice, while hardlinks work here"
            ),
            "to save the space, set type = [\"hardlink\", \"copy\"] under [cache] in mlx.toml \
             (docs/cache.md explains how hardlinked data is protected)",
        );
    } else {
        r.push(
            "cache",
            "link type",
            Status::Ok,
            format!("{}, from {list} ({source})", picked.as_str()),
        );
    }
    facts.link_types = probes;
}

/// Try each link type in `<cache>/tmp/<pid>/doctor/` (the temp area of this process, which
/// other mlx processes leave alone), then remove everything made.
fn probe_link_types(cache: &Path) -> Vec<LinkProbe> {
    let tmp_root = cache.join("tmp");
    let had_tmp_root = tmp_root.exists();
    let own = tmp_root.join(std::process::id().to_string());
    let had_own = own.exists();
    let dir = own.join("doctor");
    let setup = (|| -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(&dir)?;
        let object = dir.join("object");
        let data = b"mlx doctor link probe\n";
        // Read-only, like a real object.
        std::fs::write(&object, data)?;
        std::fs::set_permissions(&object, std::fs::Permissions::from_mode(0o444))?;
        Ok(object)
    })();
    let probes = LinkType::ALL
        .iter()
        .map(|&t| match &setup {
            Err(e) => LinkProbe { link_type: t, works: false, error: Some(e.to_string()) },
            Ok(object) => {
                let dest = dir.join(t.as_str());
                let result = link::link_as(t, object, &dest, false);
                let _ = std::fs::remove_file(&dest);
                LinkProbe {
                    link_type: t,
                    works: result.is_ok(),
                    error: result.err().map(|e| e.to_string()),
                }
            }
        })
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    if !had_own {
        let _ = std::fs::remove_dir(&own);
    }
    if !had_tmp_root {
        let _ = std::fs::remove_dir(&tmp_root);
    }
    probes
}
