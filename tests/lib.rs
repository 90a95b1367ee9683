//! Workspace-level integration tests live in `it/`; this library is empty by design.
