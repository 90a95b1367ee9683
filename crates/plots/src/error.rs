//! The error type of actscope-plots.

use std::path::PathBuf;

/// A figure could not be drawn or written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The drawing backend failed (includes IO errors while writing the file).
    #[error("drawing {}: {message}", path.display())]
    Draw {
        /// The file being written.
        path: PathBuf,
        /// What the backend said.
        message: String,
    },
    /// Writing the CSV beside a figure failed.
    #[error("writing {}: {source}", path.display())]
    Io {
        /// The file being written.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
