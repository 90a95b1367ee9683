//! Writing figures: the embedded font, PNG and SVG backends from one drawing function, and the CSV.

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::figure::Figure;
use crate::layout::draw_figure;
use crate::primitives::FONT;
use crate::typeset::{FONT_BYTES, Typeset};
use crate::{Error, Result};

static REGISTER: Once = Once::new();

/// Registers the embedded font with plotters under [`FONT`], for the text styles that name it (the layout
/// and pixels come from [`Typeset`]).
pub(crate) fn register_font() {
    REGISTER.call_once(|| {
        for style in [FontStyle::Normal, FontStyle::Bold, FontStyle::Italic, FontStyle::Oblique] {
            let ok = plotters::style::register_font(FONT, style, FONT_BYTES).is_ok();
            assert!(ok, "the embedded font must parse");
        }
    });
}

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Bitmap, for reports and quick looks.
    Png,
    /// Vector, for papers and zooming.
    Svg,
}

impl Format {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Svg => "svg",
        }
    }

    /// Parses `png` or `svg`.
    pub fn parse(s: &str) -> Option<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "png" => Some(Format::Png),
            "svg" => Some(Format::Svg),
            _ => None,
        }
    }
}

fn draw_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Draw { path: path.to_path_buf(), message: e.to_string() }
}

/// Writes `fig` as `stem.png` / `stem.svg` (per `formats`) and `stem.csv`; returns the paths written.
///
/// # Errors
/// Drawing or IO failures, naming the file.
pub fn render(fig: &Figure, stem: &Path, formats: &[Format]) -> Result<Vec<PathBuf>> {
    register_font();
    let size = (fig.width, fig.height());
    let mut written = Vec::new();
    for &f in formats {
        let path = stem.with_extension(f.extension());
        match f {
            Format::Png => {
                let root = Typeset::bitmap(BitMapBackend::new(&path, size)).into_drawing_area();
                draw_figure(&root, fig).map_err(|e| draw_err(&path, e))?;
                root.present().map_err(|e| draw_err(&path, e))?;
            }
            Format::Svg => {
                let root = Typeset::vector(SVGBackend::new(&path, size)).into_drawing_area();
                draw_figure(&root, fig).map_err(|e| draw_err(&path, e))?;
                root.present().map_err(|e| draw_err(&path, e))?;
            }
        }
        written.push(path);
    }
    let csv = stem.with_extension("csv");
    std::fs::write(&csv, fig.to_csv()).map_err(|source| Error::Io { path: csv.clone(), source })?;
    written.push(csv);
    Ok(written)
}

/// The figure as an SVG document in memory.
///
/// # Errors
/// Drawing failures.
pub fn svg_string(fig: &Figure) -> Result<String> {
    register_font();
    let mut s = String::new();
    {
        let root = Typeset::vector(SVGBackend::with_string(&mut s, (fig.width, fig.height()))).into_drawing_area();
        draw_figure(&root, fig).map_err(|e| draw_err(Path::new("<memory>"), e))?;
        root.present().map_err(|e| draw_err(Path::new("<memory>"), e))?;
    }
    Ok(s)
}
