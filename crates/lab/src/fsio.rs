//! File-system helpers that name the path in every error.

use std::fs;
use std::path::Path;

use serde::de::DeserializeOwned;

use crate::{Error, Result};

/// Refuses a path that holds something other than a regular file ([`actscope_data::is_regular_file`]): a
/// FIFO blocks its reader for good and a device such as `/dev/zero` is read until memory runs out (a
/// `records.jsonl` linked to it had the kernel kill the process). Nothing there is left to the read's own
/// "not found".
fn regular(path: &Path) -> Result<()> {
    actscope_data::is_regular_file(path, "a file")?;
    Ok(())
}

/// Reads a whole file, refusing a device, FIFO or socket ([`regular`]).
pub(crate) fn read(path: &Path) -> Result<Vec<u8>> {
    regular(path)?;
    fs::read(path).map_err(|e| Error::io("reading", path, e))
}

/// Reads a file as UTF-8 text, refusing a device, FIFO or socket ([`regular`]).
pub(crate) fn read_to_string(path: &Path) -> Result<String> {
    regular(path)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A FIFO or a device where a run's file belongs is refused by name, before any read (a FIFO had hung
    /// `summarize`, and `/dev/zero` had it killed for memory).
    #[cfg(unix)]
    #[test]
    fn a_device_or_fifo_is_refused_before_it_is_read() {
        let dir = std::env::temp_dir().join(format!("actscope-fsio-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("records.jsonl");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(made.success(), "mkfifo");
        let dev = dir.join("summary.json");
        std::os::unix::fs::symlink("/dev/zero", &dev).unwrap();
        for p in [&fifo, &dev] {
            let e = read(p).unwrap_err().to_string();
            assert!(e.ends_with("not a regular file (a device, FIFO or socket); expected a file"), "{e}");
            assert!(e.starts_with(&p.display().to_string()), "{e}");
            assert!(read_to_string(p).is_err() && read_json::<serde_json::Value>(p).is_err());
        }
        let file = dir.join("config.json");
        fs::write(&file, "{}").unwrap();
        assert_eq!(read(&file).unwrap(), b"{}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
