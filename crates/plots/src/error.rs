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
    #[error("writing {}: {}", path.display(), os_words(error))]
    Io {
        /// The file being written.
        path: PathBuf,
        /// The IO error (its words are in this error's message, so it is not offered as a `source()` too: a
        /// chain printer wrote "permission denied: Permission denied (os error 13)").
        error: std::io::Error,
    },
    /// The stem given to [`crate::render`] names no file (an empty path, `.`, `..`, or one ending in a
    /// separator), so there is no name to append `.png`, `.svg` and `.csv` to; nothing is written.
    #[error("output stem {:?}: {message}", stem.display().to_string())]
    Stem {
        /// The stem given.
        stem: PathBuf,
        /// What is wrong with it, and what was expected.
        message: String,
    },
    /// The figure cannot be drawn ([`crate::Figure::check`]): its data do not fit together (e.g. a heatmap row
    /// of 3 cells with 2 category labels), a value is beyond what an axis can draw, or its size is zero or too
    /// large; nothing is written.
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The OS's words appear once: with the IO error also offered as `source()`, a chain printer (`{:#}`)
    /// wrote "writing f.png: permission denied: Permission denied (os error 13)".
    #[test]
    fn an_io_error_is_worded_once() {
        let e = Error::Io { path: "f.png".into(), error: std::io::Error::from_raw_os_error(13) };
        assert_eq!(e.to_string(), "writing f.png: Permission denied");
        assert!(std::error::Error::source(&e).is_none());
    }
}
