//! The project database `.mlx/mlx.db`: opening it with the right pragmas and migrating its
//! schema. Later modules add runs, params and metrics; the stat cache lives here too.

pub mod db;

pub use db::Error;
