//! The `cache` section of `mlx doctor`: where the cache is, what it holds and what crashed
//! processes left in it, counted without changing anything. Which link types work there is
//! `link_types`.

use std::path::Path;

use super::{CacheFacts, DoctorReport, Status, count, link_types, shown};
use crate::config::Config;
use crate::fs_util::human_size;
use crate::project::MLX_DIR;
use crate::store::ObjectId;
use crate::store::link::{DEFAULT_TYPES, LinkType};

/// Check the cache `config` points to, then its link types.
pub(super) fn check(r: &mut DoctorReport, root: &Path, config: &Config) {
    let default_dir = root.join(MLX_DIR).join("cache");
    let dir = config.cache.dir.as_ref().map_or_else(|| default_dir.clone(), |d| root.join(d));
    let shared = config.cache.dir.is_some() && !same_path(&dir, &default_dir);
    let configured: Vec<LinkType> = match &config.cache.link_types {
        Some(types) if !types.is_empty() => types.clone(),
        _ => DEFAULT_TYPES.to_vec(),
    };
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
    let listing = list_cache(&dir);
    facts.objects = listing.objects;
    facts.bytes = listing.bytes;
    facts.stray_temp = listing.stray_temp;
    facts.quarantined = listing.quarantined;
    match &listing.error {
        Some(e) => r.push_hinted(
            "cache",
            "objects",
            Status::Fail,
            format!("cannot list the cache: {e}"),
            "check the folder's permissions",
        ),
        None => r.push(
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

#[derive(Default)]
struct CacheListing {
    objects: u64,
    bytes: u64,
    stray_temp: u64,
    quarantined: u64,
    error: Option<String>,
}

/// Count objects and leftovers without touching them (unlike `Cache::list`, which removes dead
/// processes' temp files as it goes).
fn list_cache(dir: &Path) -> CacheListing {
    let mut out = CacheListing::default();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return out,
        Err(e) => {
            out.error = Some(format!("{}: {e}", dir.display()));
            return out;
        }
    };
    for shard in entries.flatten() {
        let name = shard.file_name();
        let Some(name) = name.to_str() else { continue };
        if !shard.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        match name {
            "tmp" => {
                for entry in std::fs::read_dir(shard.path()).into_iter().flatten().flatten() {
                    let pid = entry.file_name().to_str().and_then(|n| n.parse::<i32>().ok());
                    if !pid.is_some_and(process_alive) {
                        out.stray_temp += 1;
                    }
                }
            }
            "quarantine" => {
                out.quarantined =
                    std::fs::read_dir(shard.path()).map_or(0, |d| d.flatten().count() as u64);
            }
            prefix if prefix.len() == 2 => {
                let objects = match std::fs::read_dir(shard.path()) {
                    Ok(d) => d,
                    Err(e) => {
                        out.error = Some(format!("{}: {e}", shard.path().display()));
                        continue;
                    }
                };
                for obj in objects.flatten() {
                    let Some(rest) = obj.file_name().to_str().map(str::to_owned) else { continue };
                    if ObjectId::from_hex(&format!("{prefix}{rest}")).is_ok() {
                        out.objects += 1;
                        out.bytes += obj.metadata().map_or(0, |m| m.len());
                    } else if let Some(pid) = rest
                        .strip_prefix(".tmp-")
                        .and_then(|r| r.split('-').next())
                        .and_then(|p| p.parse::<i32>().ok())
                        && !process_alive(pid)
                    {
                        out.stray_temp += 1;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn process_alive(pid: i32) -> bool {
    pid == i32::try_from(std::process::id()).unwrap_or(-1)
        || Path::new("/proc").join(pid.to_string()).exists()
}
