//! mlx: reproducible ML projects inside a git repository. This crate is the core: it does the
//! work and returns reports; it never prints. The `mlx` binary's `cli` module parses arguments
//! and renders what these functions return.

pub mod compare;
pub mod config;
pub mod downsample;
pub mod dvc;
pub mod error;
pub mod experiments;
pub mod fault;
pub mod fs_util;
#[doc(hidden)]
pub mod fuzzing;
pub mod git;
pub mod leftovers;
pub mod lineage;
pub mod lock;
pub mod mlflow;
pub mod models;
pub mod ops;
pub mod pipeline;
pub mod plots;
pub mod process;
pub mod progress;
pub mod project;
pub mod project_path;
pub mod provenance;
pub mod quality;
pub mod registry;
pub mod remote;
pub mod report;
pub mod secrets;
pub mod store;
pub mod text;
pub mod tracking;
pub mod ui;
pub mod watch;
pub mod work_tree;
