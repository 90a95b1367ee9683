//! # actscope-lab
//!
//! Experiments as a library: everything between the layers (`actscope-core`) and a command line.
//!
//! - [`budget`]: what a run would need in memory, refused before allocating when it cannot fit;
//! - [`config`]: [`RunConfig`], every setting of one run, validated before anything runs; its canonical
//!   JSON identifies the run;
//! - [`run`]: training one configuration into a run directory (`config.json`, `records.jsonl`,
//!   `summary.json`);
//! - [`store`]: the runs directory: which runs are reused or stale, putting a run in place atomically,
//!   recovery after interrupted processes, reading finished runs back;
//! - [`sweep`]: sweep files (a base and axes), parallel, resumable and shardable execution, with progress
//!   reported through [`sweep::SweepObserver`];
//! - [`group`]: lockstep groups, the runs of a sweep that train together sharing their batches (the same
//!   data loaded the same way, seed, batch size and training length); grouping never changes a run's results;
//! - [`summarize`]: configurations summarised over seeds at the learning rate chosen on validation, and
//!   their activation metrics at the final checkpoint;
//! - [`columns`]: a summary's columns (settings and derived ones) as a text table, CSV or JSON;
//! - [`tuning`]: bracketing each configuration's selected learning rate and its tuning robustness;
//! - [`export`]: runs as a flat CSV table (pandas, polars) and as TensorBoard event files;
//! - [`analyze`]: `actscope analyze`, captures of any network (`docs/capture.md`) measured into the per-layer
//!   metrics of actscope's own runs: run directories per model and seed, figures, and a per-layer diagnosis
//!   in HTML and Markdown;
//! - [`report`]: the bundled experiments (E1–E8), the claims (C1–C9), their verdicts and the written report.
//!
//! This crate does no terminal IO and parses no arguments: a caller (the `actscope` binary, the Python
//! package, a notebook) chooses paths and shows progress. Errors are typed ([`Error`]) and tell usage mistakes from
//! runtime failures ([`Error::is_usage`]).
//!
//! ```
//! use actscope_lab::config::RunConfig;
//!
//! let cfg = RunConfig::from_toml("hidden = [32]\nactivation = \"tanh\"\nplacement = \"after\"", "example")?;
//! assert_eq!(cfg.widths(), vec![32]);
//! assert!(cfg.dir_name().starts_with("tanh-after-d1-sgd-lr0.1-s0-"));
//! assert!(RunConfig::from_toml("hidden = [0]", "example").unwrap_err().is_usage());
//! # Ok::<(), actscope_lab::Error>(())
//! ```

pub mod analyze;
pub mod budget;
pub mod columns;
pub mod config;
mod error;
pub mod export;
pub mod figures_dir;
mod fsio;
pub mod group;
pub mod report;
pub mod run;
pub mod store;
pub mod summarize;
pub mod sweep;
pub mod tuning;
pub mod words;

pub use config::{CheckpointSample, OptimizerKind, RunConfig};
pub use error::{Error, Result, ResultExt};
pub use run::{RunStatus, RunSummary};
