//! A text specimen and the ink measurements that compare two rasterisations of it.
//!
//! The specimen is a few lines of text in the figures' font sizes and anchors ("BN none", a figure title,
//! kerning pairs, tick numbers), one per horizontal band, drawn through the same [`Typeset`] backends as
//! every figure. [`measure`] reduces a rasterisation (our PNG, or a browser's screenshot of our SVG at any
//! zoom) to where each line's ink lies: its extent and the quantiles of its ink along x and y.
//! [`differences`] says, line by line, how far two measurements disagree (a caller holds them to a
//! tolerance), so a glyph drawn off its advance (the "BN n one" glitch: every glyph shifted by its own side
//! bearing, 6% too wide) or a font the browser substitutes shows up as a number, not only to the eye.
//! `tests/browser/run.sh` runs it against Chromium.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::primitives::{DrawResult, text};
use crate::typeset::Typeset;
use crate::{Error, Result};

/// The specimen's width in pixels.
pub const WIDTH: u32 = 760;
/// The height of one line's band in pixels.
pub const BAND: u32 = 48;

/// One specimen line: its text, plotters text size and anchor.
#[derive(Clone, Copy)]
pub struct Line {
    /// The text.
    pub text: &'static str,
    /// The plotters text size (the figures use 24 for titles, 17 for panel titles, 13–14 for labels).
    pub size: f64,
    /// Horizontal anchor.
    pub h: HPos,
    /// Vertical anchor.
    pub v: VPos,
}

/// The specimen's lines, top to bottom.
pub const LINES: [Line; 6] = [
    Line { text: "BN none", size: 17.0, h: HPos::Left, v: VPos::Top },
    Line {
        text: "Learning curves: test accuracy (mean over seeds, 95% band)",
        size: 24.0,
        h: HPos::Left,
        v: VPos::Top,
    },
    Line { text: "AVAWAY Tolerance Ly, To Yo", size: 17.0, h: HPos::Center, v: VPos::Center },
    Line { text: "training step 0.25 1e-4 1000", size: 15.0, h: HPos::Right, v: VPos::Bottom },
    Line { text: "dead fraction σ ≥ 0.95 (ReLU, GELU)", size: 14.0, h: HPos::Left, v: VPos::Center },
    Line { text: "BN before  BN after  none", size: 13.0, h: HPos::Center, v: VPos::Top },
];

/// The specimen's height in pixels.
pub fn height() -> u32 {
    BAND * LINES.len() as u32
}

/// Where line `i` is anchored.
fn anchor_point(i: usize, l: &Line) -> (i32, i32) {
    let x = match l.h {
        HPos::Left => 20,
        HPos::Center => WIDTH as i32 / 2,
        HPos::Right => WIDTH as i32 - 20,
    };
    let top = (i as u32 * BAND) as i32;
    let y = match l.v {
        VPos::Top => top + 10,
        VPos::Center => top + BAND as i32 / 2,
        VPos::Bottom => top + BAND as i32 - 12,
    };
    (x, y)
}

/// Draws the specimen on `root` (white, black text).
pub fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    for (i, l) in LINES.iter().enumerate() {
        let style = text(l.size, BLACK).pos(Pos::new(l.h, l.v));
        root.draw(&Text::new(l.text.to_string(), anchor_point(i, l), style))?;
    }
    Ok(())
}

/// Writes `specimen.png` and `specimen.svg` into `dir` (which must exist); returns their paths.
///
/// # Errors
/// Drawing or IO failures, naming the file.
pub fn write(dir: &Path) -> Result<(PathBuf, PathBuf)> {
    crate::render::register_font();
    let size = (WIDTH, height());
    let png = dir.join("specimen.png");
    let svg = dir.join("specimen.svg");
    let err = |p: &Path, e: &dyn std::fmt::Display| Error::Draw { path: p.to_path_buf(), message: e.to_string() };
    {
        let root = Typeset::bitmap(BitMapBackend::new(&png, size)).into_drawing_area();
        draw(&root).map_err(|e| err(&png, &e))?;
        root.present().map_err(|e| err(&png, &e))?;
    }
    // A closure: it is general over the document's lifetime, which the function item `draw::<…>` is not.
    #[allow(clippy::redundant_closure)]
    let text = crate::render::outlined_svg(size, |root| draw(root)).map_err(|e| err(&svg, &e))?;
    std::fs::write(&svg, text).map_err(|error| Error::Io { path: svg.clone(), error })?;
    Ok((png, svg))
}

/// Where one line's ink lies, in specimen pixels (a 2× screenshot is divided by 2).
#[derive(Clone, Debug, PartialEq)]
pub struct Ink {
    /// Left and right edges of the ink (first and last column darker than a threshold).
    pub left: f64,
    /// See `left`.
    pub right: f64,
    /// The share of the line's ink left of each specimen pixel column's right edge (a cumulative
    /// distribution, one value per column of the specimen at 100%).
    pub x_cdf: Vec<f64>,
    /// The share of the line's ink above each pixel row's bottom edge, from the band's top.
    pub y_cdf: Vec<f64>,
}

/// The cumulative share of `profile`'s mass at the end of each of `profile.len() / scale` pixels.
fn cdf(profile: &[f64], scale: usize) -> Vec<f64> {
    let total: f64 = profile.iter().sum::<f64>().max(f64::MIN_POSITIVE);
    let mut cum = 0.0;
    profile
        .chunks(scale)
        .map(|c| {
            cum += c.iter().sum::<f64>();
            cum / total
        })
        .collect()
}

/// How far apart two ink distributions are, in pixels: the area between their cumulative distributions
/// (the earth mover's distance: the mean distance each bit of ink must move to turn one into the other).
/// A glyph drawn 2 px off its place in a 20-glyph line moves the line's distance by about 0.1 px, every
/// glyph 1 px off by 1 px.
pub fn ink_distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(p, q)| (p - q).abs()).sum()
}

/// Measures every specimen line in an image of the specimen at `scale` (1 for our PNG, 2 for a 2× screenshot).
/// `pixels` are rows of `channels` bytes (RGB or RGBA; alpha ignored) of a `width` × `height` image; the
/// image may be larger than the specimen (a browser window), and only the specimen's area is read.
/// A line without ink gives `None`.
///
/// # Errors
/// When the image is smaller than the specimen at that scale, or its buffer is shorter than its size says.
pub fn measure(width: u32, height_px: u32, channels: usize, pixels: &[u8], scale: u32) -> Result<Vec<Option<Ink>>> {
    let (w, h) = ((WIDTH * scale) as usize, (height() * scale) as usize);
    let bad = |m: String| Error::Draw { path: PathBuf::from("<specimen image>"), message: m };
    if (width as usize) < w || (height_px as usize) < h {
        return Err(bad(format!("{width}×{height_px} pixels; expected at least {w}×{h} (the specimen at {scale}×)")));
    }
    if channels < 3 || pixels.len() < width as usize * height_px as usize * channels {
        return Err(bad(format!("{} bytes for {width}×{height_px}×{channels}; expected RGB(A) rows", pixels.len())));
    }
    let darkness = |x: usize, y: usize| {
        let p = &pixels[(y * width as usize + x) * channels..][..3];
        255.0 - (p[0] as f64 + p[1] as f64 + p[2] as f64) / 3.0
    };
    let band = (BAND * scale) as usize;
    let s = scale as f64;
    Ok((0..LINES.len())
        .map(|i| {
            let rows = i * band..(i + 1) * band;
            let mut cols = vec![0.0; w];
            let mut row_profile = vec![0.0; band];
            for (r, y) in rows.enumerate() {
                for (x, c) in cols.iter_mut().enumerate() {
                    let d = darkness(x, y);
                    *c += d;
                    row_profile[r] += d;
                }
            }
            // A column is ink when it holds at least a quarter of a fully dark pixel.
            let inked = |c: &f64| *c >= 64.0;
            let left = cols.iter().position(inked)?;
            let right = cols.iter().rposition(inked)?;
            Some(Ink {
                left: left as f64 / s,
                right: (right + 1) as f64 / s,
                x_cdf: cdf(&cols, scale as usize),
                y_cdf: cdf(&row_profile, scale as usize),
            })
        })
        .collect())
}

/// How two rasterisations of one specimen line disagree, in specimen pixels.
#[derive(Clone, Debug, PartialEq)]
pub struct Difference {
    /// The line's text.
    pub text: &'static str,
    /// The larger difference of the ink's left edges and right edges.
    pub edges: f64,
    /// The [`ink_distance`] along x.
    pub x: f64,
    /// The [`ink_distance`] along y.
    pub y: f64,
}

/// How two measurements of the specimen disagree, per line, in specimen pixels: the line's text, the
/// larger difference of its ink's left and right edges, and the [`ink_distance`] along x and along y.
///
/// # Errors
/// When a line has ink in one measurement and none in the other, or the measurements differ in length.
pub fn differences(a: &[Option<Ink>], b: &[Option<Ink>]) -> std::result::Result<Vec<Difference>, String> {
    if a.len() != LINES.len() || b.len() != LINES.len() {
        return Err(format!("{} and {} lines measured; expected {}", a.len(), b.len(), LINES.len()));
    }
    LINES
        .iter()
        .zip(a.iter().zip(b))
        .map(|(l, pair)| match pair {
            (Some(p), Some(q)) => Ok(Difference {
                text: l.text,
                edges: (p.left - q.left).abs().max((p.right - q.right).abs()),
                x: ink_distance(&p.x_cdf, &q.x_cdf),
                y: ink_distance(&p.y_cdf, &q.y_cdf),
            }),
            _ => Err(format!("{:?}: ink in one image and none in the other", l.text)),
        })
        .collect()
}
