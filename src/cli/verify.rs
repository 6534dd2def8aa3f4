//! `mlx verify`

use std::path::PathBuf;

use mlx::ops::verify::{self, SignatureStatus, VerifyOptions};
use mlx::provenance::check::{Checked, Status};

use super::context::Context;
use super::exit::ExitStatus;
use super::output::FormatArgs;

/// Check an attestation: its signature, then every subject and input re-hashed
///
/// Reads an in-toto statement (SLSA provenance v1), bare or in a DSSE envelope as `mlx attest`
/// writes it. With --key (a public key PEM, an OpenSSH public key, or a private key) the
/// envelope's signature is checked; without one a signed envelope's signature is reported as
/// not checked, which alone does not fail. Then each subject is re-hashed in the work tree and
/// the cache, and each input in the cache (else the work tree), after fetching from the remote
/// what the cache lacks; the code commit must be in the repository. Exit 0: everything found
/// matched; 1: something differs, or the signature is bad (or missing when --key asks for one);
/// 2: not a statement mlx can check.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx verify model.intoto.json\n  mlx verify churn.dsse.json --key key.pub.pem\n  mlx verify churn.dsse.json --key key.pub.pem --json"
)]
pub struct VerifyArgs {
    /// The statement or DSSE envelope to check
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Check the signature with this ed25519 key (public key PEM or OpenSSH, or a private key)
    #[arg(long, value_name = "PUBKEY")]
    key: Option<PathBuf>,
    /// The remote to fetch missing content from (default: `[core] remote`, or the only one)
    #[arg(short, long, value_name = "NAME")]
    remote: Option<String>,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &VerifyArgs) -> anyhow::Result<ExitStatus> {
    let opts = VerifyOptions {
        file: args.file.clone(),
        key: args.key.clone(),
        cwd: ctx.cwd().to_path_buf(),
        remote: args.remote.clone(),
    };
    let project = ctx.project()?;
    let report = verify::verify(project, &opts, ctx.reporter(args.format.json).as_ref())?;
    let out = ctx.output();
    let status = if report.ok { ExitStatus::Success } else { ExitStatus::CheckFailed };
    if args.format.json {
        out.json(&report)?;
        return Ok(status);
    }
    let s = &report.signature;
    let line = match s.status {
        SignatureStatus::Valid => format!(
            "signature: valid (key {})",
            s.keyid.as_deref().map_or("?", |k| &k[..k.len().min(16)])
        ),
        SignatureStatus::Invalid if s.signatures == 0 => {
            "signature: MISSING (--key asks for one; the file is not signed)".to_owned()
        }
        SignatureStatus::Invalid => "signature: BAD (no signature checks out with this key)".into(),
        SignatureStatus::Unchecked => {
            "signature: not checked (give --key PUBKEY to check it)".to_owned()
        }
        SignatureStatus::Unsigned => "signature: none (a bare statement)".to_owned(),
    };
    out.line(&line)?;
    if report.fetched > 0 {
        out.status(&format!("fetched {} objects from the remote", report.fetched));
    }
    if let Some(note) = &report.remote_note {
        out.status(note);
    }
    for (title, list) in [("subjects", &report.subjects), ("dependencies", &report.dependencies)] {
        out.line(&format!("{title}:"))?;
        for c in list {
            out.line(&format!("  {:<10} {}", word(c), detail(c)))?;
        }
    }
    let count = |st: Status| {
        report.subjects.iter().chain(&report.dependencies).filter(|c| c.status == st).count()
    };
    let summary = format!(
        "{} matched, {} differ, {} not found",
        count(Status::Matched),
        count(Status::Differs),
        count(Status::NotFound)
    );
    if report.ok {
        out.done_line(&format!("verified: {summary}"))?;
    } else {
        out.error(&format!("verification failed: {summary}"));
    }
    Ok(status)
}

fn word(c: &Checked) -> &'static str {
    match c.status {
        Status::Matched => "matched",
        Status::Differs => "DIFFERS",
        Status::NotFound => "not found",
        Status::Unchecked => "unchecked",
    }
}

fn detail(c: &Checked) -> String {
    let mut text = c.label();
    if !c.differs_in.is_empty() {
        text.push_str(&format!("  (differs in the {})", c.differs_in.join(" and the ")));
    } else if !c.matched_in.is_empty() {
        text.push_str(&format!("  ({})", c.matched_in.join(", ")));
    }
    text
}
