//! The `project` section of `mlx doctor`: whether the git root holds an mlx project.

use std::path::Path;

use super::{DoctorReport, Status};
use crate::config;
use crate::project::MLX_DIR;

/// True when `root` has the `.mlx/` folder the other sections need.
pub(super) fn check(r: &mut DoctorReport, root: &Path) -> bool {
    if root.join(MLX_DIR).is_dir() {
        r.push("project", "mlx folder", Status::Ok, format!("{MLX_DIR}/ found"));
        return true;
    }
    let (detail, hint) = if root.join(config::PROJECT_FILE).is_file() {
        (
            format!("{} has mlx.toml but no {MLX_DIR}/ folder (a fresh clone)", root.display()),
            "set up this clone: mlx init (any mlx command also does it)",
        )
    } else {
        (
            format!("{} is not an mlx project (no {MLX_DIR}/ folder at the root)", root.display()),
            "start one with: mlx init",
        )
    };
    r.push_hinted("project", "mlx folder", Status::Fail, detail, hint);
    false
}
