//! Writing figures: the embedded font, PNG and SVG backends from one drawing function, and the CSV.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::figure::Figure;
use crate::layout::draw_figure;
use crate::outline::outline;
use crate::primitives::{DrawResult, FONT};
use crate::typeset::{FONT_BYTES, Typeset, font};
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
/// stem's name); returns the paths written. The files are drawn in memory, written under temporary names
/// beside them and renamed into place once all are written, so a failure while writing (a full disk) leaves
/// no truncated figure, and the figure's earlier files stay as they were.
///
/// # Errors
/// A stem that names no file ([`Error::Stem`]: an empty path, `.`, `..`, or one ending in a separator), a
/// figure that cannot be drawn ([`Figure::check`]), drawing or IO failures, naming the file.
pub fn render(fig: &Figure, stem: &Path, formats: &[Format]) -> Result<Vec<PathBuf>> {
    check_stem(stem)?;
    fig.check()?;
    register_font();
    // The extension is appended, never substituted: a stem `run.v1` gives `run.v1.png` (it gave `run.png`,
    // which `run.v2` overwrote).
    let with = |ext: &str| {
        let mut name = stem.file_name().map_or_else(Default::default, std::ffi::OsStr::to_os_string);
        name.push(format!(".{ext}"));
        stem.with_file_name(name)
    };
    let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    for (i, &f) in formats.iter().enumerate() {
        // A format given twice is drawn once (the second write had found the first's file renamed away).
        if formats[..i].contains(&f) {
            continue;
        }
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
        files.push((path, bytes));
    }
    files.push((with("csv"), fig.to_csv()?.into_bytes()));
    write_set(&files)?;
    Ok(files.into_iter().map(|(p, _)| p).collect())
}

/// A stem names a file: its last component is a name (not empty, `.` or `..`); `figs/` names a folder, and
/// `""` had written `.png` and `.csv`, hidden files, into the current folder.
fn check_stem(stem: &Path) -> Result<()> {
    let bad = |message: &str| Err(Error::Stem { stem: stem.to_path_buf(), message: message.into() });
    let text = stem.as_os_str().to_string_lossy();
    let last = text.rsplit(['/', std::path::MAIN_SEPARATOR]).next().unwrap_or_default();
    match last {
        _ if text.is_empty() => {
            bad("empty; expected a file name (e.g. `figures/accuracy`) to append .png, .svg and .csv to")
        }
        "" => bad("ends in a separator, so it names a folder; expected a file name after it"),
        "." | ".." => bad("ends in `.` or `..`, a folder; expected a file name to append .png, .svg and .csv to"),
        _ if stem.file_name().is_none() => bad("names no file; expected a file name to append .png, .svg and .csv to"),
        _ => Ok(()),
    }
}

/// Writes every file of `files` under a temporary name beside it (`.NAME.tmp-PID`), and only when all are
/// written renames them into place: a failure while writing (a full disk) removes the temporary files and
/// leaves the figure's earlier files as they were.
fn write_set(files: &[(PathBuf, Vec<u8>)]) -> Result<()> {
    let tmp_of = |path: &Path| {
        let name = path.file_name().map_or_else(|| "figure".into(), |n| n.to_string_lossy().into_owned());
        path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
    };
    let remove_all = || files.iter().for_each(|(p, _)| drop(std::fs::remove_file(tmp_of(p))));
    for (path, bytes) in files {
        if let Err(error) = std::fs::write(tmp_of(path), bytes) {
            remove_all();
            return Err(Error::Io { path: path.clone(), error });
        }
    }
    for (path, _) in files {
        if let Err(error) = std::fs::rename(tmp_of(path), path) {
            remove_all();
            return Err(Error::Io { path: path.clone(), error });
        }
    }
    Ok(())
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

/// The figure as an SVG document in memory.
///
/// # Errors
/// A figure whose data do not fit together ([`Figure::check`]), or drawing failures.
pub fn svg_string(fig: &Figure) -> Result<String> {
    fig.check()?;
    register_font();
    outlined_svg((fig.width, fig.height()), |root| draw_figure(root, fig))
        .map_err(|e| draw_err(Path::new("<memory>"), e))
}

/// An SVG document of `size` drawn by `draw`, its text as the embedded font's glyph outlines
/// ([`crate::outline`]); a failure as text.
pub(crate) fn outlined_svg<F>(size: (u32, u32), draw: F) -> std::result::Result<String, String>
where
    F: for<'a> FnOnce(&DrawingArea<Typeset<SVGBackend<'a>>, Shift>) -> DrawResult<SVGBackend<'a>>,
{
    let mut s = String::new();
    let runs = Rc::new(RefCell::new(Vec::new()));
    {
        let root = Typeset::outlined(SVGBackend::with_string(&mut s, size), Rc::clone(&runs)).into_drawing_area();
        draw(&root).map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    outline(&s, &runs.borrow(), &font())
}
