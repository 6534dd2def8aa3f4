//! MLflow compatibility: the REST endpoint MLflow's client logs into (`api`), and reading the
//! tracking stores MLflow writes (`store`), for `mlx import mlflow`.

pub mod api;
pub mod store;
