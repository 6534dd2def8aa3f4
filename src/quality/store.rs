//! Where profiles live: each one is a JSON object in the cache (so remotes carry it like data),
//! and the `profiles` table maps a data version's hash to it. Remotes keep the same JSON under
//! the name [`remote_name`] of the data's hash, so a clone finds a version's profile without
//! the data.

use crate::project::Project;
use crate::store::{ObjectId, StatCache};
use crate::tracking::profiles;

use super::Error;
use super::profile::{PROFILE_VERSION, Profile};

/// Profiles larger than this are refused when read (one from a remote is untrusted).
pub const MAX_PROFILE_BYTES: usize = 64 << 20;

/// The name a remote keeps the profile of `data_hash` under.
pub fn remote_name(data_hash: &str) -> String {
    format!("profiles/{data_hash}.json")
}

/// Store `profile` in the cache and record it for its data hash. Returns the object's id.
pub fn save(project: &Project, profile: &Profile) -> Result<ObjectId, crate::error::Error> {
    let bytes = serde_json::to_vec(profile).map_err(std::io::Error::other)?;
    let conn = project.open_db()?;
    let stat = StatCache::load(&conn, crate::store::stat_cache::Rows::FilesAndObjects)?;
    let id = project.cache().put_bytes(&bytes, &stat)?;
    profiles::record(&conn, &profile.hash, &id.to_hex())?;
    Ok(id)
}

/// Parse a profile's JSON, checking it is of `data_hash` (when given).
pub fn decode(bytes: &[u8], data_hash: Option<&str>) -> Result<Profile, Error> {
    let bad =
        |message: String| Error::BadProfile { hash: data_hash.unwrap_or("?").to_owned(), message };
    if bytes.len() > MAX_PROFILE_BYTES {
        return Err(bad(format!("larger than {MAX_PROFILE_BYTES} bytes")));
    }
    let p: Profile = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
    if p.version != PROFILE_VERSION {
        return Err(bad(format!("version {} (this mlx reads {PROFILE_VERSION})", p.version)));
    }
    if data_hash.is_some_and(|h| h != p.hash) {
        return Err(bad(format!("it is the profile of {}", p.hash)));
    }
    Ok(p)
}

/// The stored profile of `data_hash`, if this clone has one.
pub fn load(project: &Project, data_hash: &str) -> Result<Option<Profile>, crate::error::Error> {
    let conn = project.open_db()?;
    let Some(hex) = profiles::lookup(&conn, data_hash)? else { return Ok(None) };
    let Ok(id) = ObjectId::from_hex(&hex) else { return Ok(None) };
    match project.cache().read_verified(&id) {
        Ok(bytes) => Ok(Some(decode(&bytes, Some(data_hash))?)),
        // A profile object lost from the cache (gc, a damaged copy) is made again.
        Err(_) => Ok(None),
    }
}
