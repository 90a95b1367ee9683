//! The sizes of every text and line of a figure, in one place, large enough to read on a projected slide.
//!
//! Text sizes are plotters' style sizes: one em is `size / 1.24` pixels ([`crate::typeset::em_px`]), so
//! tick labels of 18 are 14.5 px to the em.

/// The figure's title, across the top.
pub const FIGURE_TITLE: f64 = 24.0;
/// A panel's title.
pub const PANEL_TITLE: f64 = 21.0;
/// An axis' description ("training step").
pub const AXIS_DESC: f64 = 20.0;
/// Tick labels.
pub const TICK: f64 = 18.0;
/// Legend entries.
pub const LEGEND: f64 = 18.0;
/// Notes in a panel's corner, a shaded interval's label and a heatmap cell's text.
pub const NOTE: f64 = 17.0;
/// "no data" in an empty panel.
pub const NO_DATA: f64 = 20.0;

/// Width in pixels of a data line (and of a legend swatch, and of whiskers on lines).
pub const LINE: u32 = 3;
/// Width in pixels of a reference line drawn dotted (a theory curve beside dashed data).
pub const THIN_LINE: u32 = 2;
/// Radius in pixels of a marker on a line.
pub const MARKER: i32 = 6;
/// Width in pixels of a whisker's caps.
pub const WHISKER_CAP: u32 = 12;
/// Most pixels between neighbouring series of a dodged panel ([`crate::LinePanel::dodge`]): a whisker's cap
/// and its stroke, so that neighbouring caps do not overlap.
pub const DODGE: f64 = WHISKER_CAP as f64 + LINE as f64;

/// Height in pixels of the band under a panel for the x tick labels and the x-axis description.
pub const X_LABEL_AREA: u32 = 56;
/// Width in pixels of the band left of a panel for the y tick labels and the y-axis description.
pub const Y_LABEL_AREA: u32 = 96;
/// Margin in pixels around each panel.
pub const PANEL_MARGIN: u32 = 12;
