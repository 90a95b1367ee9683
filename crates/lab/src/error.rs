//! The error type of actscope-lab. Usage errors (the caller asked for something invalid: a bad key,
//! value, spec or option) are told apart from runtime errors (a file that cannot be read or written, a
//! malformed run directory), so a command line can exit 2 for the first and 1 for the second.

use std::path::{Path, PathBuf};

/// Everything that can go wrong in actscope-lab; every message names the file, key or value.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A mistake in what the caller asked for: a bad setting, value, option or sweep file.
    #[error("{0}")]
    Usage(String),
    /// Data could not be chosen, read or parsed.
    #[error(transparent)]
    Data(#[from] actscope_data::Error),
    /// A network or optimizer could not be built or trained as configured.
    #[error(transparent)]
    Core(#[from] actscope_core::Error),
    /// A figure could not be drawn or written.
    #[error(transparent)]
    Plot(#[from] actscope_plots::Error),
    /// A file-system operation failed.
    #[error("{action} {}: {}", path.display(), io_message(error))]
    Io {
        /// What was being done, e.g. "reading" or "creating".
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The underlying error (its words are in this error's message, so it is not offered as a cause).
        error: std::io::Error,
    },
    /// A file's content is malformed (JSON, JSON Lines, TOML).
    #[error("{}: {message}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An error with what was being done when it happened (e.g. which run), then the error itself:
    /// "run relu-…: creating out: exists and is not a directory". The error's words are in this message,
    /// so it is not offered as a `source()` too (a chain printer would repeat them).
    #[error("{context}: {error}")]
    Context {
        /// What was being done.
        context: String,
        /// The error.
        error: Box<Error>,
    },
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The OS error's own words once, without the "(os error N)" repeated by its `Display`.
fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "not found".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::AlreadyExists => "already exists".into(),
        _ => {
            let s = e.to_string();
            s.split(" (os error").next().unwrap_or(&s).to_string()
        }
    }
}

impl Error {
    /// A usage error with this message.
    pub fn usage(msg: impl Into<String>) -> Self {
        Error::Usage(msg.into())
    }

    /// An [`Error::Io`] for `action` on `path`. "Already exists" where a directory was to be created over
    /// a file says so: "exists and is not a directory".
    pub fn io(action: &'static str, path: &Path, source: std::io::Error) -> Self {
        let error = if source.kind() == std::io::ErrorKind::AlreadyExists && path.exists() && !path.is_dir() {
            std::io::Error::new(std::io::ErrorKind::NotADirectory, "exists and is not a directory")
        } else {
            source
        };
        Error::Io { action, path: path.to_path_buf(), error }
    }

    /// Whether the error is the caller's mistake (exit code 2) rather than a runtime failure (exit code 1).
    pub fn is_usage(&self) -> bool {
        match self {
            Error::Usage(_) | Error::Core(_) => true,
            Error::Data(d) => d.is_usage(),
            Error::Context { error, .. } => error.is_usage(),
            Error::Plot(_) | Error::Io { .. } | Error::Malformed { .. } => false,
        }
    }

    /// The same error with `context` (what was being done) in front.
    pub fn context(self, context: impl Into<String>) -> Self {
        Error::Context { context: context.into(), error: Box::new(self) }
    }
}

/// Adds context to a fallible result, as `anyhow` does, but keeping the typed error.
pub trait ResultExt<T> {
    /// Wraps the error with what was being done.
    fn context_with(self, f: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: Into<Error>> ResultExt<T> for std::result::Result<T, E> {
    fn context_with(self, f: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| e.into().context(f()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A library user's `to_string()` of a run's error read only "run relu-…": the cause was reachable
    /// through `source()` alone.
    #[test]
    fn an_error_with_context_says_what_went_wrong() {
        let io = std::io::Error::new(std::io::ErrorKind::NotADirectory, "exists and is not a directory");
        let e = Error::io("creating", Path::new("/etc/hostname"), io).context("run relu-none-d1");
        assert_eq!(e.to_string(), "run relu-none-d1: creating /etc/hostname: exists and is not a directory");
        assert!(std::error::Error::source(&e).is_none(), "its words are in the message once");
        assert!(Error::usage("bad").context("sweep s.toml").is_usage());
    }
}
