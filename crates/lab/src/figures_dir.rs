//! Which command drew the figures in a directory, so that `plot`, `analyze` and `report` do not replace
//! each other's.
//!
//! Each removes the files of its figures that it did not draw this time, and overwrites those it draws: in
//! a folder another command drew, `plot` after `analyze` deleted six of its figures and overwrote three, and
//! `diagnosis.html` then showed figures of other runs. A folder of figures carries a mark ([`MARK`]) naming
//! the command that drew them; [`claim`] refuses a folder that holds figures another command drew.

use std::path::Path;

use crate::{Error, Result, fsio};

/// The file, inside a folder of figures, that names the command that drew them.
pub const MARK: &str = ".actscope-figures";

/// Claims `dir` for the figures of `command` (`plot`, `analyze` or `report`), creating it where needed:
/// refused where its mark names another command and it still holds figure files (PNG, SVG or CSV);
/// otherwise the mark is (re)written. A folder without a mark is taken as it is (figures drawn before marks
/// were kept, or a user's own files, which no command removes unless they carry a figure's name).
///
/// # Errors
/// The folder holds another command's figures (usage), or it cannot be read or written (runtime).
pub fn claim(dir: &Path, command: &str) -> Result<()> {
    let mark = dir.join(MARK);
    if let Ok(text) = std::fs::read_to_string(&mark) {
        let other = text.lines().next().unwrap_or("").trim().to_string();
        if !other.is_empty() && other != command && holds_figures(dir)? {
            return Err(Error::usage(format!(
                "{} holds figures `actscope {other}` drew (its {MARK} says so); `actscope {command}` would \
                 replace or remove them: choose another --out, or move those figures away first",
                dir.display()
            )));
        }
    }
    fsio::create_dir_all(dir)?;
    fsio::write(&mark, format!("{command}\n# the actscope command that drew the figures in this folder\n"))
}

/// Whether `dir` holds a PNG, SVG or CSV file.
fn holds_figures(dir: &Path) -> Result<bool> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io("reading", dir, e))?;
    for entry in entries {
        let path = entry.map_err(|e| Error::io("reading", dir, e))?.path();
        if path.is_file() && path.extension().is_some_and(|x| x == "png" || x == "svg" || x == "csv") {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_of_another_commands_figures_is_refused_until_they_are_gone() {
        let dir = std::env::temp_dir().join(format!("actscope-figures-dir-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        claim(&dir, "plot").unwrap();
        std::fs::write(dir.join("saturation.png"), "").unwrap();
        claim(&dir, "plot").unwrap();
        let e = claim(&dir, "analyze").unwrap_err();
        assert!(e.is_usage() && e.to_string().contains("holds figures `actscope plot` drew"), "{e}");
        assert_eq!(std::fs::read_to_string(dir.join(MARK)).unwrap().lines().next(), Some("plot"), "unchanged");
        std::fs::remove_file(dir.join("saturation.png")).unwrap();
        std::fs::write(dir.join("notes.txt"), "").unwrap();
        claim(&dir, "analyze").unwrap();
        assert_eq!(std::fs::read_to_string(dir.join(MARK)).unwrap().lines().next(), Some("analyze"));
        // A folder without a mark (figures from before marks were kept) is taken.
        std::fs::remove_file(dir.join(MARK)).unwrap();
        std::fs::write(dir.join("saturation.png"), "").unwrap();
        claim(&dir, "plot").unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
