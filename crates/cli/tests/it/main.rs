//! Integration tests of the `actscope` CLI: the binary as a user runs it.

mod analyze;
mod cli;
mod limits;
mod sweep;
