//! `ObjectId`: the BLAKE3 hash that names every cache object, and its `ab/cdef…` path.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The BLAKE3 hash of an object's bytes. Displays as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId([u8; 32]);

/// A string that is not 64 hex digits.
#[derive(Debug, thiserror::Error)]
#[error("invalid object hash {0:?}: expected 64 lowercase hex digits")]
pub struct InvalidObjectId(pub String);

impl ObjectId {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        ObjectId(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn from_hex(s: &str) -> Result<Self, InvalidObjectId> {
        let invalid = || InvalidObjectId(s.to_owned());
        if s.len() != 64 || !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(invalid());
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|_| invalid())?;
        }
        Ok(ObjectId(out))
    }

    pub fn to_hex(&self) -> String {
        // Table-driven: this runs for every object of every command (paths, stat cache).
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = Vec::with_capacity(64);
        for b in self.0 {
            out.push(DIGITS[usize::from(b >> 4)]);
            out.push(DIGITS[usize::from(b & 0xf)]);
        }
        String::from_utf8(out).expect("hex digits are ASCII")
    }

    /// The first 8 hex digits, for tables.
    pub fn short(&self) -> String {
        self.to_hex()[..8].to_owned()
    }

    /// `ab/cdef…`: the path of this object below a cache or remote root.
    pub fn rel_path(&self) -> PathBuf {
        let hex = self.to_hex();
        PathBuf::from(&hex[..2]).join(&hex[2..])
    }
}

impl From<blake3::Hash> for ObjectId {
    fn from(h: blake3::Hash) -> Self {
        ObjectId(*h.as_bytes())
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectId({})", self.short())
    }
}

impl Serialize for ObjectId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for ObjectId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ObjectId::from_hex(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_path() {
        let id = ObjectId::from(blake3::hash(b"hello"));
        let hex = id.to_hex();
        assert_eq!(hex, "ea8f163db38682925e4491c5e58d4bb3506ef8c14eb78a86e908c5624a67200f");
        assert_eq!(ObjectId::from_hex(&hex).unwrap(), id);
        assert_eq!(id.rel_path(), PathBuf::from("ea").join(&hex[2..]));
        assert_eq!(id.short(), "ea8f163d");
    }

    #[test]
    fn rejects_bad_hex() {
        assert!(ObjectId::from_hex("abc").is_err());
        assert!(ObjectId::from_hex(&"G".repeat(64)).is_err());
        assert!(ObjectId::from_hex(&"A".repeat(64)).is_err());
    }
}
