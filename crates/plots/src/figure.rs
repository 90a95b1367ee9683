//! Figure specifications: plain data that says what to draw. Each figure also writes the CSV of the
//! numbers behind it.

use serde::Serialize;

/// Height in pixels of the title strip across the top of every figure.
pub(crate) const TITLE_HEIGHT: u32 = 50;

/// One entry of a figure's legend: a series' label, palette index and line style.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LegendEntry {
    /// The label.
    pub label: String,
    /// Palette index.
    pub color: usize,
    /// Dashed line.
    pub dashed: bool,
    /// Thin dotted line (a reference beside dashed data).
    pub dotted: bool,
    /// A marker rather than a line (a series of unjoined points).
    pub dot: bool,
}

/// A figure: a title, panels and a size.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Figure {
    /// Title across the top.
    pub title: String,
    /// What a reader should take from it (alt text of the image in reports).
    pub caption: String,
    /// The panels, laid out row by row.
    pub panels: Vec<Panel>,
    /// Panels per row.
    pub columns: usize,
    /// Pixel width of the PNG (and SVG): at least 1 and at most [`crate::MAX_SIDE`] ([`Figure::check`]).
    pub width: u32,
    /// Pixel height of one row of panels: at least 1, the whole figure at most [`crate::MAX_SIDE`] high and
    /// [`crate::MAX_PIXELS`] in all ([`Figure::check`]).
    pub row_height: u32,
}

impl Figure {
    /// A figure with the default size (1200 px wide, 420 px per row) and as many columns as panels (≤ 3).
    pub fn new(title: impl Into<String>, caption: impl Into<String>, panels: Vec<Panel>) -> Self {
        let columns = panels.len().clamp(1, 3);
        Figure { title: title.into(), caption: caption.into(), panels, columns, width: 1200, row_height: 420 }
    }

    /// Sets panels per row.
    pub fn with_columns(mut self, columns: usize) -> Self {
        self.columns = columns.max(1);
        self
    }

    /// Total pixel height (saturating at `u32::MAX`; [`Figure::check`] refuses heights over
    /// [`crate::MAX_SIDE`]).
    pub fn height(&self) -> u32 {
        let rows = u32::try_from(self.panels.len().div_ceil(self.columns.max(1)).max(1)).unwrap_or(u32::MAX);
        TITLE_HEIGHT.saturating_add(rows.saturating_mul(self.row_height)).saturating_add(self.legend_height())
    }

    /// The legend: every labelled line and bar group, first occurrence first, each label once.
    pub(crate) fn legend_entries(&self) -> Vec<LegendEntry> {
        let mut out: Vec<LegendEntry> = Vec::new();
        for p in &self.panels {
            if let Panel::Lines(l) = p {
                for s in &l.series {
                    // Unjoined points beside a line (a layer's probe-set dots) are explained by one legend entry
                    // of their own kind, a no_line series without points; each is not listed.
                    let explained = s.no_line && !s.points.is_empty();
                    if !s.label.is_empty() && !explained && !out.iter().any(|e| e.label == s.label) {
                        out.push(LegendEntry {
                            label: s.label.clone(),
                            color: s.color,
                            dashed: s.dashed,
                            dotted: s.dotted,
                            dot: s.no_line,
                        });
                    }
                }
            }
            if let Panel::Bars(b) = p {
                for g in &b.groups {
                    if !out.iter().any(|e| e.label == g.label) {
                        out.push(LegendEntry {
                            label: g.label.clone(),
                            color: g.color,
                            dashed: false,
                            dotted: false,
                            dot: false,
                        });
                    }
                }
            }
        }
        out
    }

    /// Height in pixels of the legend band (0 without entries; as many rows as [`crate::legend::pack`] fills).
    pub(crate) fn legend_height(&self) -> u32 {
        let entries = self.legend_entries();
        let labels: Vec<&str> = entries.iter().map(|e| e.label.as_str()).collect();
        crate::legend::height(&labels, self.width)
    }

    /// Whether any panel has something finite to draw (otherwise every panel would read "no data").
    pub fn has_data(&self) -> bool {
        self.panels.iter().any(|p| match p {
            Panel::Lines(l) => l.series.iter().any(|s| s.points.iter().any(|q| q.0.is_finite() && q.1.is_finite())),
            Panel::Heatmap(h) => h.cells.iter().flatten().any(|v| v.is_finite()),
            Panel::Bars(b) => b.groups.iter().any(|g| g.values.iter().any(|v| v.0.is_finite())),
            Panel::Histogram(h) => h.density.iter().any(|d| d.is_finite() && *d > 0.0),
        })
    }

    /// The numbers behind the figure as CSV (long format: one row per point, bar or cell). A heatmap cell's
    /// `x` and `series` are its column's and its row's category, or, on a numeric axis, the cell's lower
    /// edge (a checkpoint's step; a bin's lower bound); `low` and `high` are its interval, where it has one.
    ///
    /// # Errors
    /// [`crate::Error::Invalid`] for a figure that [`Figure::check`] refuses (e.g. a histogram with fewer
    /// edges than densities, a heatmap row longer than its labels): it is called first.
    pub fn to_csv(&self) -> crate::Result<String> {
        self.check()?;
        let mut out = String::from("panel,series,x,y,low,high\n");
        // RFC 4180 quoting: a field with a separator, a quote or a line break is quoted, quotes doubled. Kept
        // rather than the `csv` crate's writer (issue 16): this is the whole of what it would do here.
        let q = |s: &str| {
            if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
        };
        for p in &self.panels {
            match p {
                Panel::Lines(l) => {
                    for s in &l.series {
                        for &(x, y) in &s.points {
                            let band =
                                s.band.iter().find(|b| b.0 == x).or_else(|| s.error_bars.iter().find(|b| b.0 == x));
                            let (lo, hi) =
                                band.map_or((String::new(), String::new()), |b| (b.1.to_string(), b.2.to_string()));
                            out.push_str(&format!("{},{},{x},{y},{lo},{hi}\n", q(&l.title), q(&s.label)));
                        }
                    }
                }
                Panel::Heatmap(h) => {
                    for (j, row) in h.cells.iter().enumerate() {
                        for (i, v) in row.iter().enumerate() {
                            let (x, y) = (h.x.label(i), h.y.label(j));
                            let half = h.half_widths.as_ref().and_then(|w| w.get(j)?.get(i).copied());
                            let (lo, hi) = half.filter(|w| w.is_finite()).map_or((String::new(), String::new()), |w| {
                                let (lo, hi) = h.interval_bounds.unwrap_or((f64::NEG_INFINITY, f64::INFINITY));
                                ((v - w).max(lo).to_string(), (v + w).min(hi).to_string())
                            });
                            out.push_str(&format!("{},{},{},{v},{lo},{hi}\n", q(&h.title), q(&y), q(&x)));
                        }
                    }
                }
                Panel::Bars(b) => {
                    for g in &b.groups {
                        for (c, &(m, lo, hi)) in b.categories.iter().zip(&g.values) {
                            out.push_str(&format!("{},{},{},{m},{lo},{hi}\n", q(&b.title), q(&g.label), q(c)));
                        }
                    }
                }
                Panel::Histogram(h) => {
                    for (i, d) in h.density.iter().enumerate() {
                        out.push_str(&format!(
                            "{},density,{},{d},{},{}\n",
                            q(&h.title),
                            (h.edges[i] + h.edges[i + 1]) / 2.0,
                            h.edges[i],
                            h.edges[i + 1]
                        ));
                    }
                }
            }
        }
        Ok(out)
    }
}

/// One panel of a figure.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Panel {
    /// Lines with optional bands, error bars and a shaded x-interval.
    Lines(LinePanel),
    /// A grid of coloured cells with a colour bar.
    Heatmap(HeatmapPanel),
    /// Grouped bars with interval whiskers.
    Bars(BarPanel),
    /// A histogram (density) with an optional shaded interval.
    Histogram(HistogramPanel),
}

impl Panel {
    /// The panel's title.
    pub fn title(&self) -> &str {
        match self {
            Panel::Lines(p) => &p.title,
            Panel::Heatmap(p) => &p.title,
            Panel::Bars(p) => &p.title,
            Panel::Histogram(p) => &p.title,
        }
    }
}

/// A shaded x-interval with a label.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Shade {
    /// Left end.
    pub lo: f64,
    /// Right end.
    pub hi: f64,
    /// What it marks (drawn inside it).
    pub label: String,
}

/// One line of a [`LinePanel`].
#[derive(Clone, Debug, PartialEq, Serialize, Default)]
pub struct Series {
    /// Legend label (empty: not in the legend).
    pub label: String,
    /// Palette index.
    pub color: usize,
    /// Dashed line (e.g. one of two placements that share a colour).
    pub dashed: bool,
    /// Thin dotted line, told apart from dashed data lines (e.g. a theory curve); over `dashed`.
    pub dotted: bool,
    /// Draw a marker at each point.
    pub markers: bool,
    /// Draw no line between the points (with `markers`: points measured otherwise than the line's, e.g. on
    /// another sample); the legend shows a marker.
    pub no_line: bool,
    /// (x, y) points.
    pub points: Vec<(f64, f64)>,
    /// (x, low, high): a shaded band, e.g. a 95% interval.
    pub band: Vec<(f64, f64, f64)>,
    /// (x, low, high): whiskers at points.
    pub error_bars: Vec<(f64, f64, f64)>,
}

/// Lines on shared axes.
#[derive(Clone, Debug, PartialEq, Serialize, Default)]
pub struct LinePanel {
    /// Panel title.
    pub title: String,
    /// x-axis description, with units.
    pub x_label: String,
    /// y-axis description, with units.
    pub y_label: String,
    /// The y-axis' scale.
    pub y_scale: YScale,
    /// Fixed y-range (otherwise fitted to the data).
    pub y_range: Option<(f64, f64)>,
    /// The x-axis' scale.
    pub x_scale: XScale,
    /// x values the axis covers besides the data's, `(low, high)`: panels side by side given one span
    /// ([`crate::figures::share_x`]) get one x-axis, padded as the data's would be.
    pub x_span: Option<(f64, f64)>,
    /// The lines.
    pub series: Vec<Series>,
    /// A shaded x-interval.
    pub shade: Option<Shade>,
    /// A note drawn in the top-left corner.
    pub note: Option<String>,
    /// Draw the series side by side: each (but reference lines) a few pixels left or right of its x values,
    /// in order, so that whiskers at a shared x do not cover each other. Only the drawing moves: the values,
    /// the CSV and the axis' ticks are the data's.
    pub dodge: bool,
}

/// How a line panel's x-axis maps values to positions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum XScale {
    /// Linear.
    #[default]
    Linear,
    /// Logarithmic, labelled at whole powers of `base` (10 for learning rates: 0.001, 0.01, …; 2 for depths:
    /// 2, 4, 8, 16), the values as they are (the CSV holds them too); non-positive values are dropped.
    Log {
        /// The base whose whole powers are labelled.
        base: u32,
    },
}

/// How a line panel's y-axis maps values to heights.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum YScale {
    /// Linear.
    #[default]
    Linear,
    /// Logarithmic: non-positive values are dropped.
    Log,
    /// Square root (signed, sign(v)·√|v|), for shares: 0.01 a tenth and 0.25 half of the way from 0 to 1, so
    /// that rates of a few percent are told apart on an axis that still reaches 1; ticks at 0, 0.01, 0.05,
    /// 0.1, 0.2, 0.4, 0.6, 0.8 and 1 (scaled by a power of ten to the axis).
    Sqrt,
}

impl LinePanel {
    /// Whether `y` can be drawn on the panel's y-axis: finite, and positive on a log axis.
    pub(crate) fn y_drawable(&self, y: f64) -> bool {
        y.is_finite() && (self.y_scale != YScale::Log || y > 0.0)
    }

    /// Whether `x` can be drawn on the panel's x-axis: finite, and positive on a log axis.
    pub(crate) fn x_drawable(&self, x: f64) -> bool {
        x.is_finite() && (self.x_scale == XScale::Linear || x > 0.0)
    }

    /// The points of `s` the panel's axes are fitted to: its points with a drawable x and y, and both ends of
    /// its band and whisker intervals where all three numbers are.
    pub(crate) fn extent(&self, s: &Series) -> Vec<(f64, f64)> {
        let ok = |y: f64| self.y_drawable(y);
        let mut pts: Vec<(f64, f64)> = s.points.iter().copied().filter(|q| self.x_drawable(q.0) && ok(q.1)).collect();
        for b in s.band.iter().chain(&s.error_bars).filter(|b| self.x_drawable(b.0) && ok(b.1) && ok(b.2)) {
            pts.extend([(b.0, b.1), (b.0, b.2)]);
        }
        pts
    }
}

/// How a heatmap axis is indexed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum HeatAxis {
    /// Named categories, one cell each.
    Categories(Vec<String>),
    /// Numeric cell edges (`cells + 1` of them).
    Edges(Vec<f64>),
    /// Numeric points, one cell centred on each (its edges halfway to the neighbours'; the first and last
    /// reach as far out as the gap next to them), e.g. checkpoints.
    Points(Vec<f64>),
}

impl HeatAxis {
    /// Number of cells along the axis.
    pub fn len(&self) -> usize {
        match self {
            HeatAxis::Categories(c) => c.len(),
            HeatAxis::Edges(e) => e.len().saturating_sub(1),
            HeatAxis::Points(p) => p.len(),
        }
    }

    /// Whether there are no cells.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A label for cell `i`: the category, the cell's lower edge (a histogram bin holds lower ≤ v < upper),
    /// or its point (a checkpoint's step).
    ///
    /// # Panics
    /// When `i` is not below [`HeatAxis::len`] (a programmer error).
    pub fn label(&self, i: usize) -> String {
        match self {
            HeatAxis::Categories(c) => c[i].clone(),
            HeatAxis::Edges(e) => format!("{}", e[i]),
            HeatAxis::Points(p) => format!("{}", p[i]),
        }
    }

    /// The cells' numeric edges (`len() + 1`): categories as unit cells, points halfway to their neighbours.
    pub(crate) fn edges(&self) -> Vec<f64> {
        match self {
            HeatAxis::Categories(c) => (0..=c.len()).map(|i| i as f64).collect(),
            HeatAxis::Edges(e) => e.clone(),
            HeatAxis::Points(p) => match p.len() {
                0 => Vec::new(),
                1 => vec![p[0] - 0.5, p[0] + 0.5],
                n => std::iter::once(p[0] - (p[1] - p[0]) / 2.0)
                    .chain(p.windows(2).map(|w| (w[0] + w[1]) / 2.0))
                    .chain(std::iter::once(p[n - 1] + (p[n - 1] - p[n - 2]) / 2.0))
                    .collect(),
            },
        }
    }
}

/// A grid of values, coloured with viridis, with a colour bar.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HeatmapPanel {
    /// Panel title.
    pub title: String,
    /// x-axis description.
    pub x_label: String,
    /// y-axis description.
    pub y_label: String,
    /// Columns.
    pub x: HeatAxis,
    /// Rows (the first row is drawn at the bottom for numeric axes, at the top for categories).
    pub y: HeatAxis,
    /// `cells[row][column]`; NaN cells are grey.
    pub cells: Vec<Vec<f64>>,
    /// Colour by log10 of the value (zeros become the bottom colour).
    pub log_color: bool,
    /// Fixed colour range (otherwise the finite data range).
    pub value_range: Option<(f64, f64)>,
    /// Text in each cell (e.g. "0.85 ± 0.01").
    pub annotations: Option<Vec<Vec<String>>>,
    /// Half-width of each cell's interval, `[row][column]` like `cells` (the CSV's low and high are the value
    /// ∓ it); `None` for cells without one.
    pub half_widths: Option<Vec<Vec<f64>>>,
    /// Bounds the CSV's low and high are clipped to, e.g. `(0, 1)` for a share (a t-interval over few seeds
    /// can reach past what a share can be); `None`: as computed.
    pub interval_bounds: Option<(f64, f64)>,
    /// Colour-bar description.
    pub colorbar_label: String,
}

/// A group of bars (one per category) of one colour.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BarGroup {
    /// Legend label.
    pub label: String,
    /// Palette index.
    pub color: usize,
    /// (value, low, high) per category; NaN: no bar.
    pub values: Vec<(f64, f64, f64)>,
}

/// Grouped bars with interval whiskers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BarPanel {
    /// Panel title.
    pub title: String,
    /// x-axis description.
    pub x_label: String,
    /// y-axis description, with units.
    pub y_label: String,
    /// The categories along x.
    pub categories: Vec<String>,
    /// The groups (side by side within a category).
    pub groups: Vec<BarGroup>,
    /// Logarithmic y-axis.
    pub y_log: bool,
}

/// A histogram drawn as density bars.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HistogramPanel {
    /// Panel title.
    pub title: String,
    /// x-axis description.
    pub x_label: String,
    /// y-axis description.
    pub y_label: String,
    /// Bin edges (`density.len() + 1`).
    pub edges: Vec<f64>,
    /// Height of each bin.
    pub density: Vec<f64>,
    /// A shaded interval (e.g. a claimed range).
    pub shade: Option<Shade>,
    /// A note drawn in the top-left corner (e.g. the share inside the interval).
    pub note: Option<String>,
    /// Palette index of the bars.
    pub color: usize,
}
