//! MD5 as DVC uses it: the name of a file's content, and of a folder (`HASH.dir`: the MD5 of
//! the JSON listing of its files). Files are hashed with MD5 and BLAKE3 in one read, so content
//! coming from DVC is checked against the name DVC gave it while mlx names it.

use std::io::Read;
use std::path::Path;

use md5::Digest;

use crate::store::ObjectId;

/// Suffix of a folder's MD5 in DVC files.
pub const DIR_SUFFIX: &str = ".dir";

/// A file's MD5 (hex), BLAKE3 and size, from one read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BothHashes {
    pub md5: [u8; 16],
    pub blake3: ObjectId,
    pub size: u64,
}

impl BothHashes {
    pub fn md5_hex(&self) -> String {
        hex(&self.md5)
    }
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Whether `s` is an MD5 as DVC writes it (32 lowercase hex digits, `.dir` for a folder).
pub fn is_md5(s: &str) -> bool {
    let s = s.strip_suffix(DIR_SUFFIX).unwrap_or(s);
    s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

pub fn md5_bytes(data: &[u8]) -> [u8; 16] {
    md5::Md5::digest(data).into()
}

/// Hash bytes both ways.
pub fn hash_bytes(data: &[u8]) -> BothHashes {
    BothHashes {
        md5: md5_bytes(data),
        blake3: crate::store::hash_bytes(data),
        size: data.len() as u64,
    }
}

/// Hash a file both ways in one read.
pub fn hash_file(path: &Path) -> std::io::Result<BothHashes> {
    let mut file = fs_err::File::open(path)?;
    let mut md5 = md5::Md5::new();
    let mut blake = blake3::Hasher::new();
    let mut buf = vec![0u8; 256 << 10];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        md5.update(&buf[..n]);
        blake.update(&buf[..n]);
        size += n as u64;
    }
    Ok(BothHashes { md5: md5.finalize().into(), blake3: ObjectId::from(blake.finalize()), size })
}

/// DVC 2's MD5 of text files: line ends CRLF read as LF (files DVC 2 judged binary, those with a
/// NUL byte in their first 8 KiB, are hashed as they are).
pub fn dos2unix_md5(data: &[u8]) -> [u8; 16] {
    if data[..data.len().min(8192)].contains(&0) {
        return md5_bytes(data);
    }
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        if data[i] == b'\r' && data.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        out.push(data[i]);
        i += 1;
    }
    md5_bytes(&out)
}

/// One file of a DVC folder listing.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct DirEntry {
    pub md5: String,
    pub relpath: String,
}

/// The bytes of a folder listing as DVC writes them (`json.dumps(..., sort_keys=True)`:
/// `", "` and `": "` separators, non-ASCII escaped), entries sorted by path parts.
pub fn dir_listing_bytes(entries: &[DirEntry]) -> Vec<u8> {
    let mut sorted: Vec<&DirEntry> = entries.iter().collect();
    sorted.sort_by(|a, b| a.relpath.split('/').cmp(b.relpath.split('/')));
    let mut out = String::from("[");
    for (i, e) in sorted.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str("{\"md5\": ");
        python_json_string(&mut out, &e.md5);
        out.push_str(", \"relpath\": ");
        python_json_string(&mut out, &e.relpath);
        out.push('}');
    }
    out.push(']');
    out.into_bytes()
}

/// The folder MD5 DVC gives these entries (`HASH.dir`).
pub fn dir_md5(entries: &[DirEntry]) -> String {
    format!("{}{DIR_SUFFIX}", hex(&md5_bytes(&dir_listing_bytes(entries))))
}

fn python_json_string(out: &mut String, s: &str) {
    use std::fmt::Write;
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_md5_matches_dvc() {
        // A folder DVC 3.67 added: a.txt holding "a\n", b.txt holding "b\n".
        let entries = vec![
            DirEntry { md5: "3b5d5c3712955042212316173ccf37be".into(), relpath: "b.txt".into() },
            DirEntry { md5: "60b725f10c9c85c70d97880dfe8191b3".into(), relpath: "a.txt".into() },
        ];
        assert_eq!(dir_md5(&entries), "6ea46d53348e675e87743182f72de908.dir");
        assert_eq!(hex(&md5_bytes(b"a\n")), "60b725f10c9c85c70d97880dfe8191b3");
    }

    #[test]
    fn non_ascii_is_escaped_as_python_does() {
        let mut s = String::new();
        python_json_string(&mut s, "é\u{1F600}");
        assert_eq!(s, "\"\\u00e9\\ud83d\\ude00\"");
    }

    #[test]
    fn recognises_md5_names() {
        assert!(is_md5("6ea46d53348e675e87743182f72de908.dir"));
        assert!(is_md5("60b725f10c9c85c70d97880dfe8191b3"));
        assert!(!is_md5("../../etc/passwd"));
        assert_eq!(dos2unix_md5(b"a\r\n"), md5_bytes(b"a\n"));
    }
}
