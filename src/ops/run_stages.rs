//! `mlx run [STAGE...]`: run the pipeline's stale stages in dependency order (the engine is
//! `pipeline::execute`; planning and outputs are beside it).

pub use crate::pipeline::execute::{Outcome, RunStagesOptions, RunStagesReport, StageReport, run};
pub use crate::pipeline::plan::{Reason, StaleStage, stale_stages};
