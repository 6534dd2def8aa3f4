//! The project database `.mlx/mlx.db`: opening it with the right pragmas and migrating its
//! schema (`db`), run ids, and run records (`runs`), experiments grouping the runs of one `mlx
//! run` (`experiments`), what each run read (`inputs`), runs as portable records for remotes
//! (`records`), its health as `mlx doctor` reports it (`health`), and launching a command as a
//! tracked run (`launch`), DVCLive's output as run records (`dvclive`), metric histories and
//! what changed for the UI (`history`, long ones kept thinned by `summary`), runs brought
//! over from another tracker (`imported`), and which data versions have a profile (`profiles`).
//! SQL stays in this module.

pub mod artifacts;
pub mod db;
pub mod dvclive;
pub mod environment;
pub mod experiments;
pub mod filter;
pub mod health;
pub mod history;
pub mod imported;
pub mod inputs;
pub mod launch;
pub mod lookup;
pub mod mlflow;
pub mod profiles;
pub mod query;
pub mod records;
pub mod run_cache;
pub mod run_id;
pub mod runs;
pub mod sql;
pub mod summary;

pub use db::Error;
pub use run_id::RunId;
