//! Usage errors (exit code 2) as distinct from runtime errors (exit code 1).

/// A mistake in what the user asked for: a bad flag, config key or value. The CLI exits with code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

impl UsageError {
    /// A usage error with this message.
    pub fn new(msg: impl Into<String>) -> Self {
        UsageError(msg.into())
    }
}

impl From<actscope_core::Error> for UsageError {
    fn from(e: actscope_core::Error) -> Self {
        UsageError(e.to_string())
    }
}

/// The exit code for an error chain: 2 if any cause is a [`UsageError`], else 1.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    if e.chain().any(|c| c.downcast_ref::<UsageError>().is_some()) { 2 } else { 1 }
}
