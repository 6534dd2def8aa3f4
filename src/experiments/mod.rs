//! Experiments beyond the user's work tree: isolated workspaces where variants run (`workspace`).
//! An experiment is one `mlx run` of the pipeline (or one `mlx run -- CMD`); a *variant* is one
//! run with `--set` overrides in its own workspace, so that any number run side by side while the
//! user keeps editing. Each experiment's resulting state is kept as a git commit (`result`),
//! which `mlx exp apply` brings into the work tree (`apply`) and `mlx exp branch` names.

pub mod apply;
pub mod queue;
pub mod result;
pub mod workspace;
