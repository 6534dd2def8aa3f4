//! Exit codes and error reporting: the one mapping from errors to codes.
//! 0 success · 1 a check failed · 2 usage or input error · 3 IO error.

use mlx::ops;

use super::output::Output;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Success,
    /// A check said no (`status --check`, a refused checkout): not an error, but not 0.
    CheckFailed,
    /// Part of the work failed on the remote's side (objects it holds damaged), reported with
    /// the rest of the outcome: exit 3, like a remote error.
    RemoteFailed,
    /// Pass on another program's exit code (`mlx run -- CMD` exits as CMD did).
    Code(u8),
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::CheckFailed => 1,
            ExitStatus::RemoteFailed => 3,
            ExitStatus::Code(code) => code,
        }
    }
}

/// A mistake in how mlx was called, found by the CLI layer itself.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Print an error with its causes and hints; return the exit code it maps to.
pub fn report(err: &anyhow::Error, output: &Output) -> u8 {
    // `mlx ls | head`: a closed stdout is not an error.
    let broken_pipe = err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    });
    if broken_pipe {
        return 0;
    }
    output.error(&err.to_string());
    let mut last = err.to_string();
    for cause in err.chain().skip(1) {
        let text = cause.to_string();
        if !last.contains(&text) {
            output.cause(&text);
        }
        last = text;
    }
    let mut code = 3;
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<ops::Error>() {
            for line in e.details() {
                output.detail(&line);
            }
            if let Some(hint) = e.hint() {
                output.hint(&hint);
            }
            code = if e.is_input_error() { 2 } else { 3 };
            break;
        }
        if cause.downcast_ref::<UsageError>().is_some() {
            code = 2;
            break;
        }
    }
    code
}
