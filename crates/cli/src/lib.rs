//! # actscope (CLI library)
//!
//! The library behind the `actscope` binary and `cargo xtask report`: run configurations, data choice,
//! atomic run directories, parallel resumable shardable sweeps, and summaries over seeds. Only this crate
//! parses arguments and chooses paths.

pub mod config;
pub mod data;
pub mod error;
pub mod progress;
pub mod report;
pub mod run;
pub mod summarize;
pub mod sweep;

pub use config::RunConfig;
pub use error::UsageError;
