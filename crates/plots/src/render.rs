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

/// Writes `fig` as `stem.png` / `stem.svg` (per `formats`) and `stem.csv` (the extension appended to the
/// stem's name); returns the paths written. Each
/// file is drawn in memory, written under a temporary name beside it and renamed into place, so a failure
/// (a full disk) leaves no truncated figure, and an existing one stays as it was.
///
/// # Errors
/// A figure whose data do not fit together ([`Figure::check`]), drawing or IO failures, naming the file.
pub fn render(fig: &Figure, stem: &Path, formats: &[Format]) -> Result<Vec<PathBuf>> {
    fig.check()?;
    register_font();
    let mut written = Vec::new();
    // The extension is appended, never substituted: a stem `run.v1` gives `run.v1.png` (it gave `run.png`,
    // which `run.v2` overwrote).
    let with = |ext: &str| {
        let mut name = stem.file_name().map_or_else(Default::default, std::ffi::OsStr::to_os_string);
        name.push(format!(".{ext}"));
        stem.with_file_name(name)
    };
    for &f in formats {
        let path = with(f.extension());
        let bytes = match f {
            Format::Png => png_bytes(fig).map_err(|e| match e {
                Error::Draw { message, .. } => Error::Draw { path: path.clone(), message },
                other => other,
            })?,
            Format::Svg => svg_string(fig)
                .map_err(|e| match e {
                    Error::Draw { message, .. } => Error::Draw { path: path.clone(), message },
                    other => other,
                })?
                .into_bytes(),
        };
        write_atomically(&path, &bytes)?;
        written.push(path);
    }
    let csv = with("csv");
    write_atomically(&csv, fig.to_csv().as_bytes())?;
    written.push(csv);
    Ok(written)
}

/// The figure as PNG bytes: drawn into an RGB buffer, encoded with the `png` crate.
fn png_bytes(fig: &Figure) -> Result<Vec<u8>> {
    let (w, h) = (fig.width, fig.height());
    let mut rgb = vec![0u8; w as usize * h as usize * 3];
    {
        let root = Typeset::bitmap(BitMapBackend::with_buffer(&mut rgb, (w, h))).into_drawing_area();
        draw_figure(&root, fig).map_err(|e| draw_err(Path::new("<memory>"), e))?;
        root.present().map_err(|e| draw_err(Path::new("<memory>"), e))?;
    }
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let encoded = enc.write_header().and_then(|mut writer| writer.write_image_data(&rgb));
    encoded.map_err(|e| draw_err(Path::new("<memory>"), e))?;
    Ok(out)
}

/// Writes `bytes` to `path` through a temporary file beside it (`.NAME.tmp-PID`), renamed into place once
/// complete; the temporary file is removed if writing fails.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path.file_name().map_or_else(|| "figure".into(), |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let written = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    written.map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        Error::Io { path: path.to_path_buf(), source }
    })
}

/// The figure as an SVG document in memory.
///
/// # Errors
/// A figure whose data do not fit together ([`Figure::check`]), or drawing failures.
pub fn svg_string(fig: &Figure) -> Result<String> {
    fig.check()?;
    register_font();
    let mut s = String::new();
    {
        let root = Typeset::vector(SVGBackend::with_string(&mut s, (fig.width, fig.height()))).into_drawing_area();
        draw_figure(&root, fig).map_err(|e| draw_err(Path::new("<memory>"), e))?;
        root.present().map_err(|e| draw_err(Path::new("<memory>"), e))?;
    }
    Ok(s)
}
