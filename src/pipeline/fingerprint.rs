//! A stage's fingerprint: BLAKE3 over an explicit, versioned encoding of everything that decides
//! its outputs — commands, working folder, environment, dep hashes, param values and the output
//! paths. Equal fingerprints mean a previous run's outputs can be reused (the run cache).
//! Never `std::hash::Hash`: the encoding is fixed and a unit test pins one value.

use crate::store::ObjectId;

/// Everything the fingerprint covers, already sorted by the caller where order is not meaningful.
pub struct Inputs<'a> {
    pub cmd: &'a [String],
    pub wdir: &'a str,
    pub env: &'a [(String, String)],
    /// (path, hash) sorted by path.
    pub deps: &'a [(String, ObjectId)],
    /// (name, canonical JSON of the value) sorted by name.
    pub params: &'a [(String, String)],
    /// Output paths, sorted.
    pub outs: &'a [String],
    /// (tool, version) sorted by tool; encoded only when there are some, so stages without
    /// tools keep their fingerprints.
    pub tools: &'a [(String, String)],
}

const VERSION: &[u8] = b"mlx-stage-fingerprint-v1";

fn field(h: &mut blake3::Hasher, bytes: &[u8]) {
    h.update(&(bytes.len() as u64).to_le_bytes());
    h.update(bytes);
}

pub fn fingerprint(inputs: &Inputs<'_>) -> ObjectId {
    let mut h = blake3::Hasher::new();
    field(&mut h, VERSION);
    h.update(&(inputs.cmd.len() as u64).to_le_bytes());
    for c in inputs.cmd {
        field(&mut h, c.as_bytes());
    }
    field(&mut h, inputs.wdir.as_bytes());
    h.update(&(inputs.env.len() as u64).to_le_bytes());
    for (k, v) in inputs.env {
        field(&mut h, k.as_bytes());
        field(&mut h, v.as_bytes());
    }
    h.update(&(inputs.deps.len() as u64).to_le_bytes());
    for (p, id) in inputs.deps {
        field(&mut h, p.as_bytes());
        h.update(id.as_bytes());
    }
    h.update(&(inputs.params.len() as u64).to_le_bytes());
    for (k, v) in inputs.params {
        field(&mut h, k.as_bytes());
        field(&mut h, v.as_bytes());
    }
    h.update(&(inputs.outs.len() as u64).to_le_bytes());
    for o in inputs.outs {
        field(&mut h, o.as_bytes());
    }
    if !inputs.tools.is_empty() {
        field(&mut h, b"tools");
        h.update(&(inputs.tools.len() as u64).to_le_bytes());
        for (t, v) in inputs.tools {
            field(&mut h, t.as_bytes());
            field(&mut h, v.as_bytes());
        }
    }
    ObjectId::from(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_value() {
        let dep = crate::store::hash_bytes(b"data");
        let fp = fingerprint(&Inputs {
            cmd: &["python train.py".into()],
            wdir: ".",
            env: &[],
            deps: &[("data.csv".into(), dep)],
            params: &[("train.lr".into(), "0.1".into())],
            outs: &["model.pkl".into()],
            tools: &[],
        });
        // A change to the encoding must be deliberate: it invalidates every run cache entry.
        assert_eq!(fp.to_hex(), "4137b02a27ce64ad40697174ade7a858887656dd5e55b92eeab92b4d7da90eab");
    }

    #[test]
    fn any_input_changes_it() {
        let dep = crate::store::hash_bytes(b"data");
        let base = |cmd: &str, lr: &str| {
            fingerprint(&Inputs {
                cmd: &[cmd.into()],
                wdir: ".",
                env: &[],
                deps: &[("d".into(), dep)],
                params: &[("lr".into(), lr.into())],
                outs: &[],
                tools: &[],
            })
        };
        assert_ne!(base("a", "1"), base("b", "1"));
        assert_ne!(base("a", "1"), base("a", "2"));
        assert_eq!(base("a", "1"), base("a", "1"));
        let tooled = |version: &str| {
            fingerprint(&Inputs {
                cmd: &["a".into()],
                wdir: ".",
                env: &[],
                deps: &[("d".into(), dep)],
                params: &[("lr".into(), "1".into())],
                outs: &[],
                tools: &[("python".into(), version.into())],
            })
        };
        assert_ne!(tooled("Python 3.11.7"), base("a", "1"));
        assert_ne!(tooled("Python 3.11.7"), tooled("Python 3.12.0"));
    }
}
