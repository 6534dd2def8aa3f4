//! MLflow: reading the tracking stores MLflow writes (`store`), for `mlx import mlflow`.

pub mod store;
