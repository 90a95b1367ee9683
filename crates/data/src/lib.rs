//! # actscope-data
//!
//! The data side of actscope: everything that turns files, bytes or a seed into
//! [`actscope_core::Dataset`]s for the training loop.
//!
//! - [`idx`]: the IDX format (raw or gzip), pure parsing over bytes;
//! - [`mnist`]: four-file IDX sets in the MNIST family's layout (MNIST, Fashion-MNIST, KMNIST, …);
//! - [`embedded`]: the Fashion-MNIST subset compiled into this crate, checksum-verified;
//! - [`classes`]: how many classes labels make where no count is declared (CSV, IDX directories);
//! - [`csv`]: numeric CSV with an integer label column, for a user's own tabular data;
//! - [`synthetic`]: seeded synthetic sets (Gaussian inputs, two spirals, a random teacher, clusters);
//! - [`transform`]: stratified train/validation splits and standardisation;
//! - [`spec`]: data specs (`default`, `embedded`, `synthetic:NAME`, a directory, `file.csv#label`),
//!   the one place default paths live ([`spec::SYSTEM_FASHION_MNIST`]).
//!
//! Parsers are pure (bytes or readers in, datasets out); only the thin `read_*`/`load_*` helpers and
//! [`spec::load`] open files, and every error names the file and what was expected.
//!
//! ```
//! use actscope_data::spec::load;
//!
//! let data = load("synthetic:spirals", 0.1, false)?;
//! assert_eq!(data.train.classes, 2);
//! assert_eq!(data.train.len() + data.val.len(), 4_000);
//! # Ok::<(), actscope_data::Error>(())
//! ```

pub mod classes;
pub mod csv;
pub mod embedded;
mod error;
mod files;
pub use files::is_regular_file;
pub mod idx;
pub mod mnist;
pub mod spec;
pub mod synthetic;
pub mod transform;

pub use actscope_core::Dataset;
pub use error::{Error, Result};
pub use mnist::{Splits, load_idx_dir};
pub use spec::{DataInfo, LoadedData, SYSTEM_FASHION_MNIST, check, load};
pub use transform::{Standardizer, split_train_val, split_train_val_owned};
