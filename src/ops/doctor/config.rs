//! The `config` section of `mlx doctor`: `mlx.toml` and `.mlx/config.local.toml`, each read on
//! its own so one broken file does not hide the other, the local file's permissions when it
//! holds credentials, and the stages declared.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::{ConfigFacts, ConfigFileFacts, DoctorReport, Status, count};
use crate::config::{self, Config};
use crate::pipeline;
use crate::project::MLX_DIR;
use crate::remote::url;
/// Read both config files, each on its own: the merged config holds what parsed.
pub(super) fn check(r: &mut DoctorReport, root: &Path) -> Config {
    let project_rel = PathBuf::from(config::PROJECT_FILE);
    let local_rel = Path::new(MLX_DIR).join(config::LOCAL_FILE);
    let mut files = Vec::new();
    let mut read = |r: &mut DoctorReport, rel: &Path, shared: bool| -> Option<Config> {
        let path = root.join(rel);
        let exists = path.is_file();
        let result =
            if shared { Config::read_shared(&path, rel) } else { Config::read(&path, rel) };
        let name = rel.display().to_string();
        let (config, error) = match result {
            Ok(config) => {
                let detail = if exists { "parses" } else { "absent (defaults apply)" };
                r.push("config", &name, Status::Ok, detail);
                (Some(config), None)
            }
            Err(e) => {
                let hint = match &e {
                    config::Error::SecretInProjectFile { remote, key, .. } => format!(
                        "move it under [remotes.{remote}] in .mlx/config.local.toml \
                         (mlx remote modify {remote} {key} VALUE --local), or use the \
                         environment; if it was ever committed, rotate the credential"
                    ),
                    config::Error::CacheDirInProjectFile { .. } => {
                        "move `dir = …` under [cache] in .mlx/config.local.toml".to_owned()
                    }
                    _ => format!("fix {name} at the line and column shown"),
                };
                r.push_hinted("config", &name, Status::Fail, e.to_string(), hint);
                (None, Some(e.to_string()))
            }
        };
        files.push(ConfigFileFacts { path: name, exists, ok: error.is_none(), error });
        config
    };
    let shared = read(r, &project_rel, true);
    let local = read(r, &local_rel, false);
    if let Ok(meta) = std::fs::metadata(root.join(&local_rel))
        && meta.permissions().mode() & 0o077 != 0
        && local.as_ref().is_some_and(has_secrets)
    {
        r.push_hinted(
            "config",
            "permissions",
            Status::Warn,
            format!(
                "{} holds credentials and other users can read it (mode {:o})",
                local_rel.display(),
                meta.permissions().mode() & 0o777
            ),
            format!("chmod 600 {}", local_rel.display()),
        );
    }
    let mut stages = None;
    if shared.is_some() {
        match pipeline::spec::load(root) {
            Ok(Some(p)) => {
                let n = p.stages.len();
                stages = Some(n);
                let detail = format!("{} declared, all parse", count(n as u64, "stage", "stages"));
                r.push("config", "stages", Status::Ok, detail);
            }
            Ok(None) => {
                stages = Some(0);
                r.push("config", "stages", Status::Ok, "no stages declared");
            }
            Err(e) => {
                let hint = e.hint().unwrap_or_else(|| {
                    "fix the stage at the line and column shown (mlx dag checks it again)".into()
                });
                r.push_hinted("config", "stages", Status::Fail, e.to_string(), hint);
            }
        }
    }
    let config = shared.unwrap_or_default().merged_with(local.unwrap_or_default());
    r.config = Some(ConfigFacts { files, stages, default_remote: config.core.remote.clone() });
    config
}

fn has_secrets(config: &Config) -> bool {
    config
        .remotes
        .values()
        .any(|rc| rc.has_secret_key() || rc.url.as_deref().is_some_and(url::has_password))
}
