//! Fault injection for the crash-safety tests. Test-only: users never set these variables.
//!
//! `MLX_FAULT=STEP:N` makes the process kill itself with SIGKILL (no destructor, no flush, no
//! cleanup: exactly what `kill -9` does) the N-th time it reaches the named step `STEP`.
//! `MLX_FAULT_LOG=FILE` appends the name of every step reached to FILE, one per line, so a test
//! can learn which steps a command passes and how often. Both are read once, on the first step
//! reached; unset, a step costs one atomic load.
//!
//! Steps are named `AREA.STEP` and placed where a kill leaves something on disk worth checking:
//!
//! | step | reached |
//! |---|---|
//! | `cache.commit` | staged objects about to be published (each batch) |
//! | `cache.publish` | one object about to be renamed under its hash |
//! | `workspace.place` | a file made in the staging area, about to be renamed into place |
//! | `workspace.name` | a file copied whole as an unnamed file, about to be given its name |
//! | `file.write` | a small file (pointer, `mlx.lock`, `.gitignore`...) about to be renamed |
//! | `add.pointer` | a path's objects stored, its pointer about to be written |
//! | `checkout.remove` | a workspace file about to be deleted |
//! | `fetch.download` | one object downloaded and staged, not yet published |
//! | `push.upload` | one object about to be uploaded |
//! | `gc.remove` | one unreferenced object about to be deleted |
//! | `run.started` | a tracked command started and recorded as running |
//! | `run.log` | a tracked command ended, its log about to be stored |
//! | `run.outs` | a stage succeeded, its outputs about to be stored |

use std::io::Write;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

struct Plan {
    /// The step to die at, and at which time it is reached.
    kill_at: Option<(String, u64)>,
    reached: AtomicU64,
    log: Option<std::sync::Mutex<std::fs::File>>,
}

static PLAN: OnceLock<Option<Plan>> = OnceLock::new();

fn read_plan() -> Option<Plan> {
    let kill_at = std::env::var("MLX_FAULT").ok().and_then(|v| {
        let (step, n) = v.rsplit_once(':')?;
        Some((step.to_owned(), n.trim().parse::<u64>().ok().filter(|n| *n > 0)?))
    });
    let log = std::env::var_os("MLX_FAULT_LOG")
        .and_then(|path| std::fs::OpenOptions::new().create(true).append(true).open(path).ok());
    if kill_at.is_none() && log.is_none() {
        return None;
    }
    Some(Plan { kill_at, reached: AtomicU64::new(0), log: log.map(std::sync::Mutex::new) })
}

/// The named step `step` is reached: die here if `MLX_FAULT` says so (see the module doc).
pub fn point(step: &str) {
    let Some(plan) = PLAN.get_or_init(read_plan) else { return };
    if let Some(log) = &plan.log
        && let Ok(mut f) = log.lock()
    {
        let _ = writeln!(f, "{step}");
    }
    if let Some((want, n)) = &plan.kill_at
        && want == step
        && plan.reached.fetch_add(1, Ordering::SeqCst) + 1 == *n
    {
        let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
        // SIGKILL cannot be caught; this is never reached.
        std::process::abort();
    }
}
