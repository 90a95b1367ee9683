//! # actscope-plots
//!
//! The figures of actscope, drawn with plotters as PNG and SVG from one drawing function each, with an
//! embedded font (no system fonts, no fontconfig: the PNG rasterises it, and the SVG draws its text as the
//! font's glyph outlines with the PNG's layout, see [`typeset`], keeping each text as a transparent text
//! element for search and screen readers), a colour-blind-safe palette (Okabe–Ito; viridis for
//! heatmaps), titled axes, legends in a band below the panels (never over the data), 95% bands, colour
//! bars, and a "no data" panel instead of a crash for empty or non-finite input.
//!
//! A figure is plain data ([`Figure`] of [`Panel`]s): this crate knows nothing of networks or records,
//! so it can draw anyone's numbers. [`render`] writes `stem.png`, `stem.svg` and `stem.csv` (the numbers
//! behind the figure).
//!
//! ```
//! use actscope_plots::{Figure, LinePanel, Panel, Series, svg_string};
//!
//! let curve = Series { label: "relu".into(), points: vec![(0.0, 0.1), (100.0, 0.8)], ..Default::default() };
//! let panel = LinePanel { title: "BN before".into(), x_label: "step".into(), y_label: "test accuracy".into(),
//!                         series: vec![curve], ..Default::default() };
//! let fig = Figure::new("Learning curves", "accuracy rises", vec![Panel::Lines(panel)]);
//! let svg = svg_string(&fig)?;
//! assert!(svg.contains("Learning curves") && svg.contains("test accuracy"));
//! # Ok::<(), actscope_plots::Error>(())
//! ```

// Module imports form a DAG: `sizes` (text and line sizes), `palette`, `typeset` (text layout and
// rasterisation) and `error` import nothing of the crate; `outline` (SVG text as glyph outlines) imports
// `typeset`; `primitives` (font, text, ticks, ranges, "no data") imports `sizes`; `legend` (the legend's rows)
// imports `sizes` and `typeset`; `figure` (the specs) imports `legend`; `check` (what a figure must satisfy
// to be drawn: `Figure::check` and its bounds) imports `figure`; the panel drawers (`lines`, `heatmap`,
// `bars`, `histogram`) import `figure`, `palette`, `primitives` and `sizes`; `layout` (the frame) imports
// those, `legend` and the drawers; `render` imports `figure`, `layout`, `outline`, `primitives`, `typeset` and
// `error`; `figures` (the report's figures) imports `figure`, `palette` and `primitives`; `gallery` imports
// `figure` and `figures`; `specimen` (the text specimen) imports `primitives`, `typeset`, `render` and `error`.
mod bars;
mod check;
mod error;
mod figure;
pub mod figures;
pub mod gallery;
mod heatmap;
mod histogram;
mod layout;
mod legend;
mod lines;
mod outline;
pub mod palette;
mod primitives;
mod render;
mod sizes;
pub mod specimen;
mod sqrt_scale;
pub mod typeset;

pub use check::{MAX_AXIS_VALUE, MAX_LOG_RATIO, MAX_PIXELS, MAX_SIDE};
pub use error::{Error, Result};
pub use figure::{
    BarGroup, BarPanel, Figure, HeatAxis, HeatmapPanel, HistogramPanel, LinePanel, Panel, Series, Shade, XScale, YScale,
};
pub use render::{Format, render, svg_string};
