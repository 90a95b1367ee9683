//! Workspace-level integration tests.

mod embedded_data;
mod layering;
