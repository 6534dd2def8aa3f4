//! The integration tests: one binary driving the built `mlx` in real temporary git repositories.

mod reference;
