//! Why a capture was refused: always the file, and the tensor or metadata field at fault.

use std::path::PathBuf;

/// A capture that could not be read or written, with the file it concerns.
#[derive(Debug, thiserror::Error)]
#[error("{}: {problem}", path.display())]
pub struct Error {
    /// The capture file.
    pub path: PathBuf,
    /// What is wrong with it.
    pub problem: Problem,
}

/// What is wrong with a capture file.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    /// The file could not be read or written.
    #[error("{action}: {error}")]
    Io {
        /// "reading" or "writing".
        action: &'static str,
        /// The OS error.
        error: std::io::Error,
    },
    /// Not a safetensors file, or a truncated one.
    #[error("not a valid safetensors file ({0}); truncated or not a capture (docs/capture.md)")]
    Container(String),
    /// The file is not an actscope capture at all.
    #[error("not an actscope capture: {0} (docs/capture.md)")]
    NotCapture(String),
    /// A capture of a format version this build does not read.
    #[error(
        "capture format version {found:?} is not supported (this actscope reads version {supported}; see docs/capture.md)"
    )]
    Version {
        /// The version the file declares.
        found: String,
        /// The version this build reads.
        supported: u32,
    },
    /// A metadata field is missing, malformed or inconsistent.
    #[error("metadata field `{field}`: {message}")]
    Field {
        /// The field (e.g. `step`, `layers[1].activation`).
        field: String,
        /// What is wrong and what was expected.
        message: String,
    },
    /// A tensor is missing, unexpected, of the wrong dtype or shape, or holds a value it may not.
    #[error("tensor `{tensor}`: {message}")]
    Tensor {
        /// The tensor's name (e.g. `layers.0.z`).
        tensor: String,
        /// What is wrong and what was expected.
        message: String,
    },
}

impl Problem {
    /// A metadata problem.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Problem::Field { field: field.into(), message: message.into() }
    }

    /// A tensor problem.
    pub fn tensor(tensor: impl Into<String>, message: impl Into<String>) -> Self {
        Problem::Tensor { tensor: tensor.into(), message: message.into() }
    }
}
