//! The file watcher (`mlx watch`): whether one runs and whether it watches every tracked folder
//! it was asked about. Said only when one runs, when `[core] watch = true`, or when its folder
//! is unusable; a project that never used it gets no line.

use std::path::Path;

use super::{DoctorReport, Status, count};
use crate::config::Config;
use crate::project::MLX_DIR;
use crate::watch;

pub(super) fn check(r: &mut DoctorReport, root: &Path, config: &Config) {
    let mlx_dir = root.join(MLX_DIR);
    let wanted = config.core.watch == Some(true);
    let running = match watch::running_pid(&mlx_dir) {
        Ok(pid) => pid,
        Err(e @ watch::Error::Unsafe { .. }) => {
            let hint = e.hint().unwrap_or_default();
            r.push_hinted("watcher", "folder", Status::Fail, e.to_string(), hint);
            return;
        }
        Err(e) => {
            r.push("watcher", "folder", Status::Warn, e.to_string());
            return;
        }
    };
    let Some(pid) = running else {
        if wanted {
            r.push(
                "watcher",
                "running",
                Status::Ok,
                "none runs; the next mlx status starts one ([core] watch = true)",
            );
        }
        return;
    };
    let Some(info) = watch::connect(&mlx_dir).and_then(|mut c| c.info().ok()) else {
        r.push_hinted(
            "watcher",
            "running",
            Status::Warn,
            format!("pid {pid} holds the watcher's lock but does not answer"),
            "mlx status walks every tree meanwhile; restart it: mlx watch stop, then mlx watch start",
        );
        return;
    };
    r.push(
        "watcher",
        "running",
        Status::Ok,
        format!(
            "pid {}, {}; {}, {} saved",
            info.pid,
            count(info.watches, "watch", "watches"),
            count(info.queries, "question", "questions"),
            count(info.unchanged_answers, "walk", "walks")
        ),
    );
    for d in &info.dirs {
        if let Some(problem) = &d.problem {
            r.push_hinted(
                "watcher",
                super::shown(root, &d.path),
                Status::Warn,
                format!("not watched: {problem}"),
                "mlx status walks it every time; fix the cause, then: mlx watch stop && mlx watch start",
            );
        }
    }
}
