//! The error type of actscope-core.

use std::path::PathBuf;

/// Everything that can go wrong in actscope-core; each message names the value and what was expected.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration value is out of its valid range or malformed.
    #[error("invalid {field}: {message}")]
    Config {
        /// The configuration field, e.g. `hidden[2]` or `lr`.
        field: String,
        /// What was wrong and what was expected.
        message: String,
    },
    /// A name (activation, init, placement, optimizer, …) is not one of the known ones.
    #[error("unknown {what} {given:?}; expected one of: {expected}")]
    UnknownName {
        /// What kind of name, e.g. "activation".
        what: &'static str,
        /// The name given.
        given: String,
        /// The valid names, comma-separated.
        expected: String,
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
    /// A dataset is malformed (rows and labels disagree, a label out of range); names the dataset.
    #[error("{}: {message}", source_name.display())]
    Data {
        /// The file (or stream name) being read.
        source_name: PathBuf,
        /// What is wrong and what was expected.
        message: String,
    },
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A [`Error::Config`] for `field`.
    pub fn config(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Config { field: field.into(), message: message.into() }
    }

    /// A [`Error::Data`] for the named source.
    pub fn data(source_name: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Data { source_name: source_name.into(), message: message.into() }
    }
}
