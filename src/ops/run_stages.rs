//! `mlx run [STAGE...]`: run the pipeline's stale stages in dependency order (the engine is
//! `pipeline::execute`; planning and outputs are beside it).

pub use crate::pipeline::execute::{Outcome, RunStagesOptions, RunStagesReport, StageReport, run};
pub use crate::pipeline::plan::{Reason, StaleStage, stale_stages};

/// The remote `mlx run --pull` restores stage results from: the default remote (a usage error
/// when there is none).
pub fn pull_remote(project: &crate::project::Project) -> super::Result<crate::remote::Remote> {
    super::transfer::open_remote(project, None)
}
