//! File-system helpers that name the path in every error.

use std::fs;
use std::path::Path;

use serde::de::DeserializeOwned;

use crate::{Error, Result};

/// Reads a file as UTF-8 text.
pub(crate) fn read_to_string(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(|e| Error::io("reading", path, e))
}

/// Writes a whole file.
pub(crate) fn write(path: &Path, bytes: impl AsRef<[u8]>) -> Result<()> {
    fs::write(path, bytes).map_err(|e| Error::io("writing", path, e))
}

/// Creates a directory and its parents.
pub(crate) fn create_dir_all(path: &Path) -> Result<()> {
    fs::create_dir_all(path).map_err(|e| Error::io("creating", path, e))
}

/// Removes a directory tree.
pub(crate) fn remove_dir_all(path: &Path) -> Result<()> {
    fs::remove_dir_all(path).map_err(|e| Error::io("removing", path, e))
}

/// Renames `from` to `to`.
pub(crate) fn rename(from: &Path, to: &Path) -> Result<()> {
    fs::rename(from, to).map_err(|e| Error::io("moving into place", to, e).context(format!("from {}", from.display())))
}

/// Reads and parses a JSON file.
pub(crate) fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text = read_to_string(path)?;
    serde_json::from_str(&text).map_err(|e| Error::Malformed { path: path.to_path_buf(), message: e.to_string() })
}

/// Serialises a value as pretty JSON.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).expect("the record types serialise (no maps with non-string keys)")
}
