//! The `Reporter` trait the core calls to signal progress, and a no-op implementation.
//! The core never draws anything itself; the CLI implements this with progress bars.

pub trait Reporter: Sync {
    /// A new phase with `total` steps (files or bytes, as the label says).
    fn start(&self, label: &str, total: u64);
    fn advance(&self, n: u64);
    fn finish(&self);
    /// A status line worth showing a waiting user (e.g. waiting for another process's lock).
    fn note(&self, message: &str);
}

/// Reports nothing: for tests and quiet callers.
pub struct NoProgress;

impl Reporter for NoProgress {
    fn start(&self, _label: &str, _total: u64) {}
    fn advance(&self, _n: u64) {}
    fn finish(&self) {}
    fn note(&self, _message: &str) {}
}
