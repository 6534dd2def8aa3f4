//! The `cache` section of `mlx doctor`: where the cache is, what it holds and what crashed
//! processes left in it, counted without changing anything. Which link types work there is
//! `link_types`.

use std::path::Path;

use super::{CacheFacts, DoctorReport, Status, count, link_types, shown};
use crate::config::Config;
use crate::fs_util::human_size;
use crate::project::default_cache_dir;
use crate::store::Cache;
use crate::store::link::{LinkType, Linker};

/// Check the cache `config` points to, then its link types.
pub(super) fn check(r: &mut DoctorReport, root: &Path, config: &Config) {
    let dir = crate::project::cache_dir(root, config);
    let shared = config.cache.dir.is_some() && !same_path(&dir, &default_cache_dir(root));
    let configured: Vec<LinkType> =
        Linker::new(config.cache.link_types.as_deref().unwrap_or(&[])).types().to_vec();
    let mut facts = CacheFacts {
        dir: dir.display().to_string(),
        shared,
        exists: dir.is_dir(),
        same_filesystem: true,
        objects: 0,
        bytes: 0,
        stray_temp: 0,
        quarantined: 0,
        configured_types: configured,
        link_types: Vec::new(),
        picked: None,
    };
    let location = if shared {
        format!("{} (shared, set by [cache] dir)", dir.display())
    } else {
        shown(root, &dir)
    };
    if !facts.exists && (shared || dir.exists()) {
        let detail = if dir.exists() {
            format!("{} is not a folder", dir.display())
        } else {
            format!("{} does not exist", dir.display())
        };
        r.push_hinted(
            "cache",
            "location",
            Status::Fail,
            detail,
            "create it, or fix [cache] dir in .mlx/config.local.toml",
        );
        r.cache = Some(facts);
        return;
    }
    r.push("cache", "location", Status::Ok, location);

    // Objects and leftovers: one directory listing, one stat per object.
    let survey = Cache::new(dir.clone()).survey();
    let listing = survey.as_ref().copied().unwrap_or_default();
    facts.objects = listing.objects;
    facts.bytes = listing.bytes;
    facts.stray_temp = listing.stray_temp;
    facts.quarantined = listing.quarantined;
    match &survey {
        Err(e) => r.push_hinted(
            "cache",
            "objects",
            Status::Fail,
            format!("cannot list the cache: {e}"),
            "check the folder's permissions",
        ),
        Ok(_) => r.push(
            "cache",
            "objects",
            Status::Ok,
            format!(
                "{}, {}",
                count(listing.objects, "object", "objects"),
                human_size(listing.bytes)
            ),
        ),
    }
    if listing.stray_temp == 0 {
        r.push("cache", "temp files", Status::Ok, "none left behind");
    } else {
        r.push_hinted(
            "cache",
            "temp files",
            Status::Warn,
            format!(
                "{} left by processes that no longer run",
                count(listing.stray_temp, "temp file or folder", "temp files or folders")
            ),
            "they are removed by the next mlx gc or mlx cache verify",
        );
    }
    if listing.quarantined == 0 {
        r.push("cache", "quarantine", Status::Ok, "empty");
    } else {
        r.push_hinted(
            "cache",
            "quarantine",
            Status::Warn,
            format!(
                "{} found corrupt, kept in quarantine/ for inspection",
                count(listing.quarantined, "object", "objects")
            ),
            "mlx status lists the data they belonged to; delete quarantine/ once done",
        );
    }
    link_types::check(r, root, &dir, config, &mut facts);
    r.cache = Some(facts);
}

fn same_path(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}
