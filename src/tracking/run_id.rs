//! `RunId`: short, unique, sortable run identifiers. 12 characters of lowercase Crockford
//! base32: 42 bits of milliseconds since the Unix epoch, then 18 random bits, so ids sort by
//! start time and two runs in the same millisecond almost never collide (a collision is retried
//! by the insert).

use std::fmt;

const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
pub const LEN: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct RunId(String);

impl RunId {
    /// A new id for a run starting at `millis` since the Unix epoch.
    pub fn generate(millis: u64) -> Self {
        let value = ((millis & ((1 << 42) - 1)) << 18) | u64::from(fastrand::u32(..1 << 18));
        let mut out = String::with_capacity(LEN);
        for i in (0..LEN).rev() {
            out.push(ALPHABET[((value >> (i * 5)) & 31) as usize] as char);
        }
        RunId(out)
    }

    /// An id read back from the database (trusted).
    pub fn from_db(s: String) -> Self {
        RunId(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `s` could be (a prefix of) a run id.
    pub fn is_valid_prefix(s: &str) -> bool {
        !s.is_empty() && s.len() <= LEN && s.bytes().all(|b| ALPHABET.contains(&b))
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_time_and_have_fixed_length() {
        let a = RunId::generate(1_700_000_000_000);
        let b = RunId::generate(1_700_000_000_001);
        assert_eq!(a.as_str().len(), LEN);
        assert!(a < b);
        assert!(RunId::is_valid_prefix(&a.as_str()[..4]));
        assert!(!RunId::is_valid_prefix("ILOU"));
    }
}
