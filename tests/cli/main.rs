//! The integration tests: one binary driving the built `mlx` in real temporary git repositories.

mod support;

mod add;
mod cache_verify;
mod checkout;
mod discovery;
mod doctor;
mod examples;
mod exp;
mod gc;
mod git_edge_cases;
mod help;
mod history;
mod hooks;
mod init;
mod link_types;
mod lock;
mod log;
mod ls;
mod metrics;
mod pipeline_run;
mod pipeline_spec;
mod pointers;
mod reference;
mod reliability;
mod remote_azure;
mod remote_config;
mod remote_gcs;
mod remote_servers;
mod remotes;
mod rm;
mod run;
mod status;
mod test_servers;
mod tour;
mod untrusted_inputs;
