//! `mlx attest`

use std::path::PathBuf;

use mlx::ops::attest::{self, AttestOptions};

use super::context::Context;
use super::exit::ExitStatus;
use super::output::FormatArgs;

/// Write signed provenance for a file or model version: an in-toto statement (SLSA v1)
///
/// Builds an in-toto Statement v1 with a SLSA Provenance v1 predicate from the file's lineage:
/// its subjects (sha256 and blake3 of the bytes in the cache; a folder's files one by one), the
/// stage's command and params, the code commit and every input's digest, and the run that
/// produced it (its id, times, metrics and environment). With --key, the statement is signed
/// with an ed25519 key into a DSSE envelope (make one with `openssl genpkey -algorithm ed25519
/// -out key.pem`). Printed on stdout, or written to -o FILE.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  mlx attest models/model.pkl -o model.intoto.json\n  mlx attest churn@v1.2.0 --key key.pem -o churn.dsse.json\n  mlx attest eval/metrics.json --rev v1.0"
)]
pub struct AttestArgs {
    /// A stage output or tracked data (path), or a model version (NAME@v1.2.3, NAME#STAGE,
    /// NAME@latest)
    #[arg(value_name = "PATH|MODEL@VERSION")]
    target: String,
    /// Write it to this file (default: stdout)
    #[arg(short, long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Sign it with this ed25519 private key (PKCS#8 PEM or OpenSSH) into a DSSE envelope
    #[arg(long, value_name = "KEY")]
    key: Option<PathBuf>,
    /// Read mlx.toml, mlx.lock and pointers at this revision (branch, tag or commit)
    #[arg(long, value_name = "REV")]
    rev: Option<String>,
    /// The remote to fetch missing content from (default: `[core] remote`, or the only one)
    #[arg(short, long, value_name = "NAME")]
    remote: Option<String>,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(ctx: &Context, args: &AttestArgs) -> anyhow::Result<ExitStatus> {
    let opts = AttestOptions {
        target: args.target.clone(),
        rev: args.rev.clone(),
        cwd: ctx.cwd().to_path_buf(),
        out: args.out.clone(),
        key: args.key.clone(),
        remote: args.remote.clone(),
    };
    let project = ctx.project()?;
    let report = attest::attest(project, &opts, ctx.reporter(args.format.json).as_ref())?;
    let out = ctx.output();
    match &report.written {
        None => out.raw(&report.document)?,
        Some(_) if args.format.json => out.json(&report)?,
        Some(file) => {
            if report.fetched > 0 {
                out.status(&format!("fetched {} objects from the remote", report.fetched));
            }
            let signed = match &report.keyid {
                Some(k) => format!("signed (key {})", &k[..k.len().min(16)]),
                None => "unsigned".to_owned(),
            };
            out.done_line(&format!(
                "wrote {} ({signed}): {} of {}, {} dependencies{}",
                file.display(),
                mlx::text::counted(report.subjects.len(), "subject"),
                report.model.as_deref().unwrap_or(&report.path),
                report.dependencies,
                report.run.as_deref().map(|r| format!(", run {r}")).unwrap_or_default(),
            ))?;
        }
    }
    Ok(ExitStatus::Success)
}
