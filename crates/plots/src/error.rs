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
    /// Writing a figure or the CSV beside it failed.
    #[error("writing {}: {}", path.display(), os_words(source))]
    Io {
        /// The file being written.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// The figure's data do not fit together (e.g. a heatmap row of 3 cells with 2 category labels), so it
    /// cannot be drawn; nothing is written.
    #[error("invalid figure {title:?}: {message}")]
    Invalid {
        /// The figure's title.
        title: String,
        /// What does not fit, and what was expected.
        message: String,
    },
}

/// The OS's words for an IO error, without Rust's "(os error N)" suffix (as the other crates write them).
fn os_words(e: &std::io::Error) -> String {
    let s = e.to_string();
    s.split(" (os error").next().unwrap_or(&s).to_string()
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
