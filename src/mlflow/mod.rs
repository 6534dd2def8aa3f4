//! MLflow compatibility: the REST endpoint MLflow's client logs into (`api`).

pub mod api;
