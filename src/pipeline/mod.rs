//! Pipelines: stages declared in `mlx.toml`, run as a DAG, skipped when nothing they depend on
//! changed, recorded in `mlx.lock` and as experiment runs.
//!
//! - `spec`: the parsed, expanded and validated pipeline (`Pipeline`, `Stage`).
//! - `dag`: the graph between stages: order, selection, cycles.
//! - `params`: reading parameter values from TOML/JSON/YAML files, and `--set` overrides.
//! - `vars`: the values `${…}` names: the default params file and `vars`, merged.
//! - `lock`: `mlx.lock`, what each stage last produced.
//! - `fingerprint`: the hash that identifies a stage's inputs (for the run cache).
//! - `tools`: the versions of the programs stages name in `tools`.
//! - `plan`: a stage's inputs now, and why it is stale.
//! - `outputs`: clearing, restoring and storing a stage's outputs.
//! - `execute`: running stages in parallel (`mlx run`).
//! - `resources`: `[resources]` limits held across processes.
//! - `experiment`: what a pipeline run records as its experiment.

pub mod dag;
pub mod error;
pub mod execute;
mod experiment;
pub mod fingerprint;
pub mod lock;
pub mod metrics_file;
pub mod outputs;
pub mod params;
pub mod plan;
pub mod resources;
pub mod shared_cache;
pub mod spec;
pub mod tools;
pub mod vars;

pub use dag::{Dag, Edge};
pub use error::{Error, Location};
pub use spec::{Out, OutKind, ParamRef, Pipeline, Stage, StageName, load};
