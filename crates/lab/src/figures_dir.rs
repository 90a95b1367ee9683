//! A folder of figures: which command drew them, so that `plot`, `analyze` and `report` do not replace
//! each other's, and the removal of the files an earlier drawing left that this one did not write.
//!
//! Each command removes the files of its figures that it did not draw this time ([`remove_earlier`]), and
//! overwrites those it draws: in a folder another command drew, `plot` after `analyze` deleted six of its
//! figures and overwrote three, and `diagnosis.html` then showed figures of other runs. A folder of figures
//! carries a mark ([`MARK`]) naming the command that drew them; [`claim`] refuses a folder that holds
//! figures another command drew.

use std::path::{Path, PathBuf};

use crate::{Error, Result, fsio};

/// The file, inside a folder of figures, that names the command that drew them.
pub const MARK: &str = ".actscope-figures";

/// Claims `dir` for the figures of `command` (`plot`, `analyze` or `report`), creating it where needed:
/// refused where its mark names another command and it still holds figure files (PNG, SVG or CSV), and
/// where it has no mark but holds files named like a figure (a user's own `learning_curves.png`, which the
/// drawing would overwrite, or a `sigmoid_after_bn.svg` it would remove as an earlier drawing's: `plot`
/// had done both, saying an earlier plot had left them); otherwise the mark is (re)written. So
/// [`remove_earlier`] only ever removes what this command drew into this folder before.
///
/// # Errors
/// The folder holds another command's figures or unmarked files named like figures (usage), or it cannot
/// be read or written (runtime).
pub fn claim(dir: &Path, command: &str) -> Result<()> {
    let mark = dir.join(MARK);
    if let Ok(text) = std::fs::read_to_string(&mark) {
        let other = text.lines().next().unwrap_or("").trim().to_string();
        if !other.is_empty() && other != command && !figure_files(dir)?.is_empty() {
            return Err(Error::usage(format!(
                "{} holds figures `actscope {other}` drew (its {MARK} says so); `actscope {command}` would \
                 replace or remove them: choose another --out, or move those figures away first",
                dir.display()
            )));
        }
    } else if dir.is_dir() {
        let named: Vec<PathBuf> = figure_files(dir)?.into_iter().filter(|p| figure_named(p)).collect();
        if let Some(first) = named.first() {
            let name = first.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            let more = match named.len() {
                1 => String::new(),
                n => format!(" and {} more", n - 1),
            };
            return Err(Error::usage(format!(
                "{} holds {name}{more}, named like actscope's figures, but no {MARK} says an actscope command \
                 drew them; `actscope {command}` would replace or remove them: choose another --out, or move \
                 those files away first",
                dir.display()
            )));
        }
    }
    fsio::create_dir_all(dir)?;
    fsio::write(&mark, format!("{command}\n# the actscope command that drew the figures in this folder\n"))
}

/// Removes from `dir` the figure files an earlier drawing wrote that this one did not (`written`: another
/// format, or a figure these runs do not support), so that the folder's figures are this drawing's, and
/// returns how many. Only a figure's own files are touched — a name of
/// [`crate::report::figures::RUN_FIGURES`] in PNG, SVG or CSV — so a user's own files stay (a user's
/// `loss_curve.png` had been deleted). A folder that does not exist holds nothing to remove.
///
/// # Errors
/// The folder cannot be read, or a file cannot be removed (runtime).
pub fn remove_earlier(dir: &Path, written: &[PathBuf]) -> Result<usize> {
    if !dir.is_dir() {
        return Ok(0);
    }
    let mut removed = 0;
    for path in figure_files(dir)?.into_iter().filter(|p| figure_named(p) && !written.contains(p)) {
        std::fs::remove_file(&path).map_err(|e| Error::io("removing", &path, e))?;
        removed += 1;
    }
    Ok(removed)
}

/// Whether `path` carries a figure's name ([`crate::report::figures::RUN_FIGURES`]).
fn figure_named(path: &Path) -> bool {
    path.file_stem().and_then(|s| s.to_str()).is_some_and(|s| crate::report::figures::RUN_FIGURES.contains(&s))
}

/// The PNG, SVG and CSV files in `dir`.
fn figure_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io("reading", dir, e))? {
        let path = entry.map_err(|e| Error::io("reading", dir, e))?.path();
        if path.is_file() && path.extension().is_some_and(|x| x == "png" || x == "svg" || x == "csv") {
            files.push(path);
        }
    }
    Ok(files)
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
        // A folder without a mark is taken where nothing in it is named like a figure, and refused where
        // something is: a user's file that plot would overwrite or remove (it had done both).
        std::fs::remove_file(dir.join(MARK)).unwrap();
        claim(&dir, "plot").unwrap();
        std::fs::remove_file(dir.join(MARK)).unwrap();
        std::fs::write(dir.join("saturation.png"), "mine").unwrap();
        std::fs::write(dir.join("learning_curves.svg"), "mine").unwrap();
        let e = claim(&dir, "plot").unwrap_err();
        assert!(e.is_usage() && e.to_string().contains("and 1 more, named like actscope's figures, but no"), "{e}");
        assert!(!dir.join(MARK).exists(), "nothing written");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
