//! One module per user-visible operation: an options struct in, a serializable report out.
//! Operations never print; progress goes through a `Reporter`.

pub mod add;
pub mod add_from;
pub mod cache_verify;
pub mod checkout;
pub mod dag;
pub mod data_check;
pub mod data_drift;
pub mod data_profile;
pub mod data_versions;
pub mod diff;
pub mod doctor;
pub mod exp;
pub mod exp_apply;
pub mod exp_get;
pub mod exp_log;
pub mod exp_queue;
pub mod exp_run;
pub mod fetch;
pub mod gc;
pub mod get;
pub mod import_dvc;
pub mod init;
pub mod install_hooks;
pub mod lineage;
pub mod log;
pub mod ls;
pub mod merge;
pub mod metrics;
pub mod model;
pub mod model_get;
pub mod params_diff;
pub mod plots;
pub mod push;
pub mod remote_config;
pub mod remote_gc;
pub mod remote_status;
pub mod report;
pub mod rm;
pub mod run;
pub mod run_stages;
pub mod sql;
pub mod status;
pub mod transfer;
pub mod update;

pub use crate::error::{Error, Result};
