//! Comparing two sides of a project: the workspace, a commit, or (for reports) each other. A
//! side's params, metrics and cached outputs are read through its own `mlx.toml`, `mlx.lock`
//! and the cache, never by touching the workspace. `mlx metrics`, `mlx params diff`, `mlx diff`
//! and `mlx report` share these pieces.

pub mod metrics;
pub mod params;
pub mod plots;
pub mod side;
