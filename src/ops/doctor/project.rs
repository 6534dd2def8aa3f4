//! The `project` section of `mlx doctor`: whether the git root holds an mlx project, and what
//! killed mlx processes left in it (temp files in the work tree, staging folders in `.mlx/`).

use std::path::Path;

use super::{DoctorReport, Status, count};
use crate::config;
use crate::project::MLX_DIR;

/// Above this many files, the hint removes them by name pattern instead of one by one.
const LISTED_MAX: usize = 10;

/// Find temp files of dead mlx processes in the work tree and dead staging folders in
/// `.mlx/tmp/`; say how to remove them.
pub(super) fn check_leftovers(r: &mut DoctorReport, root: &Path) {
    let files = crate::leftovers::find_in_work_tree(root);
    let staging = crate::leftovers::dead_staging(&root.join(MLX_DIR));
    r.leftover_temp_files = files.iter().map(|p| p.display().to_string()).collect();
    if files.is_empty() && staging.is_empty() {
        r.push("project", "temp files", Status::Ok, "none left behind by killed mlx processes");
        return;
    }
    let mut what = Vec::new();
    let mut hints = Vec::new();
    if !files.is_empty() {
        what.push(count(files.len() as u64, "temp file", "temp files"));
    }
    if !staging.is_empty() {
        what.push(format!(
            "{} in {MLX_DIR}/tmp/",
            count(staging.len() as u64, "folder", "folders")
        ));
        hints.push("the next mlx command in this project removes the folders".to_owned());
    }
    let mut detail = format!("{} left by mlx processes that no longer run", what.join(" and "));
    if !files.is_empty() {
        let mut shown: Vec<String> = r.leftover_temp_files.iter().take(3).cloned().collect();
        if files.len() > 3 {
            shown.push(format!("and {} more", files.len() - 3));
        }
        detail = format!("{detail}: {}", shown.join(", "));
        let command = if files.len() <= LISTED_MAX && files.iter().all(|f| f.to_str().is_some()) {
            let quoted: Vec<String> =
                files.iter().map(|f| shell_quote(&root.join(f).display().to_string())).collect();
            format!("rm -f -- {}", quoted.join(" "))
        } else {
            format!(
                "find {} -name '.*.mlx-tmp-*' -not -path '*/.git/*' -delete",
                shell_quote(&root.display().to_string())
            )
        };
        hints.push(format!("remove the files while no mlx command runs: {command}"));
    }
    r.push_hinted("project", "temp files", Status::Warn, detail, hints.join("; "));
}

/// `'text'` for a POSIX shell.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

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
