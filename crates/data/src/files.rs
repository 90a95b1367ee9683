//! What is at a path a loader was given: a regular file, nothing, or something that cannot be read as
//! data (a directory, a device such as `/dev/zero`, a FIFO, a link to nothing), each refused by name rather
//! than reported as missing or read until memory runs out.

use std::io::ErrorKind;
use std::path::Path;

use crate::{Error, Result};

/// `Ok(true)` when `path` is a regular file (after links), `Ok(false)` when nothing is there; otherwise an
/// error naming `path`, what is there instead, and `what` was expected ("the train-images-idx3-ubyte file").
/// The loaders and the readers of run directories (`actscope-lab`) check every file they read with it: a
/// FIFO would block the reader for good, and a device such as `/dev/zero` be read until memory runs out.
///
/// # Errors
/// A directory, a device, FIFO or socket, or a link to nothing at `path`; or its metadata cannot be read.
pub fn is_regular_file(path: &Path, what: &str) -> Result<bool> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(true),
        Ok(m) if m.is_dir() => Err(Error::data(path, format!("a directory; expected {what}"))),
        Ok(_) => Err(Error::data(path, format!("not a regular file (a device, FIFO or socket); expected {what}"))),
        Err(e) if e.kind() == ErrorKind::NotFound => match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => {
                Err(Error::data(path, format!("a symbolic link to a file that does not exist; expected {what}")))
            }
            _ => Ok(false),
        },
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Opens `path` if it is a regular file ([`is_regular_file`]); nothing there is a "not found" error.
pub(crate) fn open_regular(path: &Path, what: &str) -> Result<std::fs::File> {
    if !is_regular_file(path, what)? {
        return Err(Error::io(path, std::io::Error::from(ErrorKind::NotFound)));
    }
    std::fs::File::open(path).map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_there_is_named() {
        let dir = std::env::temp_dir().join(format!("actscope-files-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("f"), b"x").unwrap();
        assert!(is_regular_file(&dir.join("f"), "a file").unwrap());
        assert!(!is_regular_file(&dir.join("none"), "a file").unwrap());
        let e = is_regular_file(&dir.join("sub"), "a CSV file").unwrap_err().to_string();
        assert!(e.ends_with("sub: a directory; expected a CSV file"), "{e}");
        #[cfg(unix)]
        {
            let e = is_regular_file(Path::new("/dev/zero"), "a CSV file").unwrap_err().to_string();
            assert_eq!(e, "/dev/zero: not a regular file (a device, FIFO or socket); expected a CSV file");
            std::os::unix::fs::symlink(dir.join("gone"), dir.join("link")).unwrap();
            let e = is_regular_file(&dir.join("link"), "a file").unwrap_err().to_string();
            assert!(e.ends_with("link: a symbolic link to a file that does not exist; expected a file"), "{e}");
        }
        let e = open_regular(&dir.join("none"), "a file").unwrap_err().to_string();
        assert!(e.ends_with("none: not found"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
