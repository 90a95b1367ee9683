//! Datasets: an in-memory labelled set and the generators and parsers that produce one.
//!
//! Everything here is pure: parsers take readers or bytes, so this module does no file IO of its own
//! except in the thin `*_path` helpers that open a file and attach its name to any error.

mod dataset;
pub mod synthetic;

pub use dataset::Dataset;
