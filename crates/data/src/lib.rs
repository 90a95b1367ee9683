//! Datasets: an in-memory labelled set and the parsers and generators that produce one.
//!
//! Everything here is pure: parsers take readers or bytes, so this module does no file IO of its own
//! except in the thin `read_*`/`load_*` helpers that open a file and attach its name to any error.

pub mod csv;
mod dataset;
pub mod embedded;
pub mod idx;
pub mod mnist;
pub mod synthetic;
pub mod transform;

pub use dataset::Dataset;
pub use mnist::{Splits, load_idx_dir};
pub use transform::{Standardizer, split_train_val, split_train_val_owned};
