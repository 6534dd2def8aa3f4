//! `mlx verify FILE [--key PUBKEY]`: check an attestation — its signature (with the key given),
//! then each subject and resolved dependency re-hashed from the copies found here, after
//! fetching from the remote the content the cache lacks (see [`crate::provenance::check`]).

use std::path::PathBuf;

use serde::Serialize;

use super::Result;
use super::transfer::{self, Needed};
use crate::project::Project;
use crate::provenance::check::{self, Checked, Role, Status};
use crate::provenance::{dsse, keys};

#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// The statement or envelope (relative to `cwd`).
    pub file: PathBuf,
    /// The ed25519 public key (or the private key, whose public half is used).
    pub key: Option<PathBuf>,
    pub cwd: PathBuf,
    /// The remote to fetch missing content from (default: the default remote).
    pub remote: Option<String>,
}

/// What came of the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureStatus {
    /// A signature of the envelope checks out with the key given.
    Valid,
    /// None does (or, with a key given, the file is not signed at all).
    Invalid,
    /// The envelope is signed but no key was given to check it with.
    Unchecked,
    /// A bare statement, and no key asked for a signature.
    Unsigned,
}

#[derive(Debug, Serialize)]
pub struct SignatureCheck {
    pub status: SignatureStatus,
    /// How many signatures the envelope holds.
    pub signatures: usize,
    /// The key id of the signature that checked out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keyid: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct VerifyReport {
    pub file: PathBuf,
    pub signature: SignatureCheck,
    pub subjects: Vec<Checked>,
    pub dependencies: Vec<Checked>,
    /// Objects downloaded from the remote to check them.
    pub fetched: u64,
    /// Why the remote could not be asked for what the cache lacks, if it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_note: Option<String>,
    /// No signature failed and nothing found differs.
    pub ok: bool,
}

pub fn verify(
    project: &Project,
    opts: &VerifyOptions,
    reporter: &dyn crate::progress::Reporter,
) -> Result<VerifyReport> {
    let key = match &opts.key {
        Some(k) => Some(keys::verifying_key(&opts.cwd.join(k))?),
        None => None,
    };
    let file = opts.cwd.join(&opts.file);
    let bytes = fs_err::read(&file)?;
    let parsed = check::parse(&opts.file.display().to_string(), &bytes)?;
    let signatures = parsed.envelope.as_ref().map_or(0, |e| e.signatures.len());
    let sig = |status| SignatureCheck { status, signatures, keyid: None };
    let signature = match (&parsed.envelope, &key) {
        (Some(env), Some(key)) => match env.signed_by(key) {
            Some(i) => SignatureCheck {
                status: SignatureStatus::Valid,
                signatures,
                keyid: Some(env.signatures[i].keyid.clone())
                    .filter(|k| !k.is_empty())
                    .or_else(|| Some(dsse::key_id(key))),
            },
            None => sig(SignatureStatus::Invalid),
        },
        (Some(_), None) if signatures > 0 => sig(SignatureStatus::Unchecked),
        // A key asks for a signature: a bare statement has none.
        (None, Some(_)) => sig(SignatureStatus::Invalid),
        _ => sig(SignatureStatus::Unsigned),
    };

    let subjects = check::subjects(&parsed.statement);
    let deps = check::dependencies(&parsed.statement);
    // Content the cache lacks, fetched from the remote first (when one is set up).
    let absent: Vec<Needed> = subjects
        .iter()
        .chain(&deps)
        .filter_map(check::object_of)
        .filter(|id| !project.cache().contains(id))
        .map(|id| Needed { id, size: None })
        .collect();
    let mut fetched = 0;
    let mut remote_note = None;
    if !absent.is_empty() && (opts.remote.is_some() || !project.config().remotes.is_empty()) {
        let what = format!("the content {} names", opts.file.display());
        match transfer::fetch_missing(project, opts.remote.as_deref(), &absent, &what, reporter) {
            Ok(n) => fetched = n,
            // What the remote lacks, or a remote that fails, leaves those not found.
            Err(
                e @ (crate::error::Error::Unavailable { .. }
                | crate::error::Error::Remote(_)
                | crate::error::Error::Transfers { .. }),
            ) => {
                let left = absent.iter().filter(|n| !project.cache().contains(&n.id)).count();
                fetched = (absent.len() - left) as u64;
                remote_note = Some(format!("could not fetch everything: {e}"));
            }
            Err(e) => return Err(e),
        }
    }
    let subjects = subjects
        .iter()
        .map(|r| check::check(project, r, Role::Subject))
        .collect::<Result<Vec<_>>>()?;
    let dependencies = deps
        .iter()
        .map(|r| check::check(project, r, Role::Dependency))
        .collect::<Result<Vec<_>>>()?;
    let ok = signature.status != SignatureStatus::Invalid
        && subjects.iter().chain(&dependencies).all(|c| c.status != Status::Differs);
    Ok(VerifyReport {
        file: opts.file.clone(),
        signature,
        subjects,
        dependencies,
        fetched,
        remote_note,
        ok,
    })
}
