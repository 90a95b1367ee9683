//! The error type of actscope-data: every message names the file, field or value and what was expected.

use std::path::PathBuf;

/// Everything that can go wrong while choosing, reading or parsing data.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A data file or stream is malformed.
    #[error("{}: {message}", source_name.display())]
    Data {
        /// The file (or stream name) being read.
        source_name: PathBuf,
        /// What is wrong and what was expected.
        message: String,
    },
    /// An IO error while reading a named file.
    ///
    /// The message says what the OS said, once ("x.csv: not found"); the underlying error is kept in
    /// `error` but deliberately not offered as [`std::error::Error::source`], so printing the chain
    /// (`{:#}`) does not repeat it.
    #[error("{}: {}", path.display(), io_message(error))]
    Io {
        /// The file being read.
        path: PathBuf,
        /// The underlying error.
        error: std::io::Error,
    },
    /// A setting (split fraction, data spec, …) is out of range or unknown: the caller's mistake.
    #[error("invalid {field}: {message}")]
    Config {
        /// The setting, e.g. `val_fraction` or `data`.
        field: String,
        /// What was wrong and what was expected.
        message: String,
    },
    /// Array shapes do not agree.
    #[error("shape mismatch in {context}: expected {expected}, got {got}")]
    Shape {
        /// Where the mismatch was found.
        context: String,
        /// The expected shape.
        expected: String,
        /// The shape given.
        got: String,
    },
    /// An error from actscope-core (e.g. a dataset whose labels and rows disagree).
    #[error(transparent)]
    Core(#[from] actscope_core::Error),
}

/// The OS error in short words: "not found" and "permission denied" for the common kinds, otherwise its own
/// message without the "(os error N)" suffix.
pub(crate) fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "not found".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => {
            let text = e.to_string();
            match text.rfind(" (os error ") {
                Some(k) if text.ends_with(')') => text[..k].to_string(),
                _ => text,
            }
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A [`Error::Data`] for the named source.
    pub fn data(source_name: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Data { source_name: source_name.into(), message: message.into() }
    }

    /// An [`Error::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Self {
        Error::Io { path: path.into(), error }
    }

    /// A [`Error::Config`] for `field`.
    pub fn config(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Config { field: field.into(), message: message.into() }
    }

    /// Whether the error is the caller's mistake (a bad setting or spec) rather than a bad file.
    pub fn is_usage(&self) -> bool {
        matches!(self, Error::Config { .. }) || matches!(self, Error::Core(actscope_core::Error::Config { .. }))
    }
}
