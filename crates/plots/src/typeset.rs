//! Text layout and rasterisation with the embedded font, the same in PNG and SVG.
//!
//! plotters 0.3.7 lays text out with `ab_glyph` itself, and its bitmap rasteriser drops each glyph's left
//! side bearing (the ink of every glyph moves left by its own bearing, so "none" reads "n one" where a
//! wide-bearing `n` meets a narrow-bearing `o`), scales glyphs by the font's line height instead of its em
//! (PNG text 6% larger than the same SVG text in a browser) and puts the baseline half a line below the
//! anchor where the SVG backend puts it 0.76 em below. [`Typeset`] wraps any plotters backend and takes
//! text over:
//!
//! ```text
//! em (px)      = style size / 1.24                    (what plotters' SVG backend writes as font-size)
//! advance      = Σ h_advance(glyph) + Σ kern(pair)    (text width, for anchoring and for layout)
//! baseline     = anchor y + 0.76 em (top) | + 0.5 ex (centre) | − 0.5 ex (bottom), as the SVG backend's dy
//! ```
//!
//! On a bitmap it rasterises each glyph at its sub-pixel pen position (bearing included) and blends the
//! coverage, pixel by pixel turned with the text. On SVG (`Typeset::outlined`) it records each text's
//! layout for the crate's `outline` module, which draws the glyphs' outlines, so the SVG shows what the PNG shows
//! in any viewer, with or without the font (`tests/browser/run.sh` measures that); the `<text>` element the
//! inner backend writes stays, transparent, for search and screen readers, anchored by its top
//! (`dy="0.76em"`; Chromium ignores the `ex` in the `0.5ex` plotters writes for centred and bottom anchors)
//! and with the spaces SVG would collapse (doubled, leading, trailing) written as no-break spaces, which
//! have the same advance, so that a viewer with the font selects the text where it is drawn.

use std::cell::RefCell;
use std::rc::Rc;

use ab_glyph::{Font, FontRef, GlyphId, PxScale, ScaleFont, point};
use plotters_backend::text_anchor::Pos;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind, FontFamily,
    FontStyle, FontTransform,
};

/// DejaVu Sans (Bitstream Vera licence, see `fonts/LICENSE`): every text is drawn with it, so no figure
/// depends on system fonts or fontconfig.
pub(crate) static FONT_BYTES: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

/// Pixels per em for a plotters text size (plotters' SVG backend writes `font-size = size / 1.24`).
pub fn em_px(size: f64) -> f64 {
    size / 1.24
}

pub(crate) fn font() -> FontRef<'static> {
    FontRef::try_from_slice(FONT_BYTES).expect("the embedded font parses (checked by a test)")
}

/// The font scaled so that one em is `em` pixels.
fn scaled(font: FontRef<'static>, em: f64) -> ab_glyph::PxScaleFont<FontRef<'static>> {
    let scale = PxScale::from(em as f32 * font.height_unscaled() / units_per_em(&font) as f32);
    ab_glyph::PxScaleFont { font, scale }
}

/// The one line layout of the embedded font that the PNG, the SVG and every size estimate use: each glyph of
/// `text` with its pen position in font units (glyph advances plus pair kerning, as a browser lays out one
/// line; no ligatures: DejaVu Sans has none in its default Latin features that change widths), and the
/// advance of the whole line. A control character (a newline or tab in a label) is laid out as a space, as
/// the SVG `<text>` shows it: it had drawn the font's missing-glyph box.
pub(crate) fn pens(font: &FontRef<'_>, text: &str) -> (Vec<(GlyphId, f64)>, f64) {
    let mut out = Vec::with_capacity(text.len());
    let mut pen = 0.0f64;
    let mut prev = None;
    for c in text.chars() {
        let id = font.glyph_id(shown(c));
        if let Some(p) = prev {
            pen += f64::from(font.kern_unscaled(p, id));
        }
        out.push((id, pen));
        pen += f64::from(font.h_advance_unscaled(id));
        prev = Some(id);
    }
    (out, pen)
}

/// Font units per em of the embedded font.
pub(crate) fn units_per_em(font: &FontRef<'_>) -> f64 {
    f64::from(font.units_per_em().unwrap_or(2048.0))
}

/// The advance width of `text` in pixels at `em` pixels per em: glyph advances plus pair kerning, the one
/// line layout the PNG, the SVG and every size estimate use.
pub fn advance(text: &str, em: f64) -> f64 {
    let font = font();
    pens(&font, text).1 * em / units_per_em(&font)
}

/// The x-height in pixels at `em` pixels per em (the height of `x`, which CSS calls 1ex).
fn ex_px(font: &FontRef<'static>, em: f64) -> f64 {
    let upm = units_per_em(font);
    let x_height = font.outline(font.glyph_id('x')).map_or(upm * 0.5, |o| o.bounds.max.y as f64);
    em * x_height / upm
}

/// The baseline's distance below the anchor point for a vertical anchor, in pixels, as plotters' SVG
/// backend means it (`dy` of 0.76em, 0.5ex, −0.5ex).
fn baseline_offset(font: &FontRef<'static>, em: f64, v: VPos) -> f64 {
    match v {
        VPos::Top => TOP_DY_EM * em,
        VPos::Center => 0.5 * ex_px(font, em),
        VPos::Bottom => -0.5 * ex_px(font, em),
    }
}

/// The `dy` of a top-anchored text in plotters' SVG backend, in em.
const TOP_DY_EM: f64 = 0.76;

/// The pixel that text-frame pixel `(x, y)` (the unit square from (x, y) to (x + 1, y + 1), the anchor at
/// the origin) lands on when the text is turned as SVG's `rotate(θ)` turns it about the anchor (y down):
/// rotating the square's corner instead put turned text one pixel off the SVG's.
fn rotate_pixel((x, y): (i32, i32), t: &FontTransform) -> (i32, i32) {
    match t {
        FontTransform::Rotate90 => (-y - 1, x),
        FontTransform::Rotate180 => (-x - 1, -y - 1),
        FontTransform::Rotate270 => (y, -x - 1),
        FontTransform::None => (x, y),
    }
}

/// `(dx, dy)` in the text's own frame turned as the text is (SVG's `rotate(θ)` about the anchor, y down).
fn rotate((dx, dy): (i32, i32), t: &FontTransform) -> (i32, i32) {
    match t {
        FontTransform::Rotate90 => (-dy, dx),
        FontTransform::Rotate180 => (-dx, -dy),
        FontTransform::Rotate270 => (dy, -dx),
        FontTransform::None => (dx, dy),
    }
}

/// `text` with the spaces SVG collapses or strips (all but the first of a run, leading, trailing) turned
/// into no-break spaces, which DejaVu Sans advances by the same 651 units.
pub(crate) fn keep_spaces(text: &str) -> std::borrow::Cow<'_, str> {
    if !(text.starts_with(' ') || text.ends_with(' ') || text.contains("  ")) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 4);
    let mut prev_space = true;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let collapsible = c == ' ' && (prev_space || chars.peek().is_none());
        out.push(if collapsible { '\u{a0}' } else { c });
        prev_space = c == ' ';
    }
    out.into()
}

/// A text style that is another with its vertical anchor replaced by `Top`.
struct TopAnchored<'a, S>(&'a S);

impl<S: BackendTextStyle> BackendTextStyle for TopAnchored<'_, S> {
    type FontError = S::FontError;
    fn color(&self) -> BackendColor {
        self.0.color()
    }
    fn size(&self) -> f64 {
        self.0.size()
    }
    fn transform(&self) -> FontTransform {
        self.0.transform()
    }
    fn style(&self) -> FontStyle {
        self.0.style()
    }
    fn anchor(&self) -> Pos {
        Pos::new(self.0.anchor().h_pos, VPos::Top)
    }
    fn family(&self) -> FontFamily<'_> {
        self.0.family()
    }
    fn layout_box(&self, text: &str) -> Result<((i32, i32), (i32, i32)), S::FontError> {
        self.0.layout_box(text)
    }
    fn draw<E, F: FnMut(i32, i32, BackendColor) -> Result<(), E>>(
        &self,
        text: &str,
        pos: BackendCoord,
        draw: F,
    ) -> Result<Result<(), E>, S::FontError> {
        self.0.draw(text, pos, draw)
    }
}

/// One text as the SVG document shows it: where its line starts and its baseline lies, in pixels in the
/// text's own frame (turned by `degrees` about `anchor`), and its glyphs' size and colour.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TextRun {
    /// The text as drawn (spaces as given: the outlines need no protection from SVG's collapsing).
    pub text: String,
    /// Pixels per em.
    pub em: f64,
    /// The anchor point, in document pixels.
    pub anchor: (i32, i32),
    /// Clockwise rotation about the anchor, in degrees (0, 90, 180 or 270).
    pub degrees: u32,
    /// Where the line starts along the text's direction, from the anchor (0, −width/2 or −width).
    pub start: f64,
    /// The baseline's distance below the anchor, across the text's direction.
    pub baseline: f64,
    /// The fill colour.
    pub rgb: (u8, u8, u8),
    /// The fill's opacity.
    pub alpha: f64,
}

impl TextRun {
    /// How `text` in `style` anchored at `pos` is laid out: the one layout the PNG rasterises and the SVG
    /// outlines.
    fn of<S: BackendTextStyle>(text: &str, style: &S, pos: BackendCoord) -> TextRun {
        let font = font();
        let em = em_px(style.size());
        let width = pens(&font, text).1 * em / units_per_em(&font);
        let color = style.color();
        TextRun {
            text: text.to_string(),
            em,
            anchor: pos,
            degrees: match style.transform() {
                FontTransform::Rotate90 => 90,
                FontTransform::Rotate180 => 180,
                FontTransform::Rotate270 => 270,
                FontTransform::None => 0,
            },
            start: match style.anchor().h_pos {
                HPos::Left => 0.0,
                HPos::Center => -width / 2.0,
                HPos::Right => -width,
            },
            baseline: baseline_offset(&font, em, style.anchor().v_pos),
            rgb: color.rgb,
            alpha: color.alpha,
        }
    }
}

/// The character laid out for `c`: a space for a control character (a newline or tab in a label), else `c`.
fn shown(c: char) -> char {
    if c.is_control() { ' ' } else { c }
}

/// `text` with every control character written as a space, as [`pens`] lays it out.
fn one_line(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(char::is_control) { text.chars().map(shown).collect::<String>().into() } else { text.into() }
}

/// A plotters backend whose text is laid out (and, on a bitmap, rasterised) by this module; every other
/// drawing call goes to the inner backend unchanged.
pub struct Typeset<B> {
    inner: B,
    /// `None` on a bitmap (text rasterised here); on SVG, where each text's layout is recorded for
    /// [`crate::outline`].
    runs: Option<Rc<RefCell<Vec<TextRun>>>>,
}

impl<B: DrawingBackend> Typeset<B> {
    /// For a bitmap backend: text is rasterised here, pixel by pixel through the inner backend.
    pub fn bitmap(inner: B) -> Self {
        Typeset { inner, runs: None }
    }

    /// For plotters' SVG backend: each text is written as a text element by it (transparent in the end) and
    /// its layout recorded into `runs`, for [`crate::outline::outline`] to draw as glyph outlines.
    pub(crate) fn outlined(inner: B, runs: Rc<RefCell<Vec<TextRun>>>) -> Self {
        Typeset { inner, runs: Some(runs) }
    }

    /// Draws `text` with its anchor at `pos`, glyph by glyph.
    fn rasterise_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        let run = TextRun::of(text, style, pos);
        let font = font();
        let sf = scaled(font.clone(), run.em);
        let transform = style.transform();
        let px_per_unit = run.em / units_per_em(&font);
        for (id, pen) in pens(&font, text).0 {
            let at = point((run.start + pen * px_per_unit) as f32, run.baseline as f32);
            let Some(outline) = sf.outline_glyph(id.with_scale_and_position(sf.scale(), at)) else { continue };
            let bounds = outline.px_bounds();
            let mut pixels = Vec::new();
            outline.draw(|x, y, coverage| pixels.push((x, y, coverage)));
            for (x, y, coverage) in pixels {
                if coverage <= 0.0 {
                    continue;
                }
                let (dx, dy) =
                    rotate_pixel((bounds.min.x as i32 + x as i32, bounds.min.y as i32 + y as i32), &transform);
                let c = BackendColor { alpha: run.alpha * coverage.min(1.0) as f64, rgb: run.rgb };
                self.inner.draw_pixel((pos.0 + dx, pos.1 + dy), c)?;
            }
        }
        Ok(())
    }

    /// Hands `text` to the inner (vector) backend anchored by its top, at the point that puts its baseline
    /// where [`baseline_offset`] says, with collapsible spaces kept.
    fn vector_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        // [`pens`] lays a control character out as a space; the `<text>` written holds the same (a leading or
        // trailing newline had failed the outline check, and a control character XML forbids made the SVG
        // unreadable).
        let one_line = one_line(text);
        let text = one_line.as_ref();
        if let Some(runs) = &self.runs {
            runs.borrow_mut().push(TextRun::of(text, style, pos));
        }
        let text = keep_spaces(text);
        let v = style.anchor().v_pos;
        if matches!(v, VPos::Top) {
            return self.inner.draw_text(&text, style, pos);
        }
        let em = em_px(style.size());
        let shift = (baseline_offset(&font(), em, v) - TOP_DY_EM * em).round() as i32;
        let (dx, dy) = rotate((0, shift), &style.transform());
        self.inner.draw_text(&text, &TopAnchored(style), (pos.0 + dx, pos.1 + dy))
    }
}

impl<B: DrawingBackend> DrawingBackend for Typeset<B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.fill_polygon(vert, style)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        if style.color().alpha == 0.0 {
            return Ok(());
        }
        if self.runs.is_none() { self.rasterise_text(text, style, pos) } else { self.vector_text(text, style, pos) }
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<B::ErrorType>> {
        let em = em_px(style.size());
        Ok((advance(text, em).ceil() as u32, em.round() as u32))
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        (iw, ih): (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.blit_bitmap(pos, (iw, ih), src)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_control_character_is_laid_out_as_a_space() {
        let font = font();
        let (glyphs, width) = pens(&font, "a\nb\tc");
        let space = font.glyph_id(' ');
        assert_eq!((glyphs[1].0, glyphs[3].0), (space, space), "no missing-glyph box");
        assert!((width - pens(&font, "a b c").1).abs() < 1e-9);
    }

    #[test]
    fn advance_adds_glyph_advances_and_kerning() {
        // DejaVu Sans (2048 units per em): "n" advances 1298 units, "o" 1253, space 651.
        let em = 2048.0;
        assert!((advance("n", em) - 1298.0).abs() < 0.5, "{}", advance("n", em));
        assert!((advance("none", em) - (2.0 * 1298.0 + 1253.0 + advance("e", em))).abs() < 0.5);
        assert!((advance("BN none", em) - (advance("BN", em) + 651.0 + advance("none", em))).abs() < 0.5);
        // Kerning exists in this font: "AV" is narrower than "A" + "V".
        assert!(advance("AV", em) < advance("A", em) + advance("V", em));
        // A no-break space advances as a space does, so `keep_spaces` leaves the layout unchanged.
        assert_eq!(advance("a\u{a0}b", em), advance("a b", em));
    }

    /// Turned text is the same pixels turned: each text-frame pixel lands on the pixel its square turns
    /// onto (turning its corner had put such text one pixel off the SVG's, which turns the outlines).
    #[test]
    fn turned_text_is_the_same_pixels_turned() {
        use plotters::prelude::*;
        let ink = |t: FontTransform| {
            let mut rgb = vec![255u8; 101 * 101 * 3];
            {
                let mut b = Typeset::bitmap(BitMapBackend::with_buffer(&mut rgb, (101, 101)));
                let style = TextStyle::from(("sans-serif", 24.0).into_font()).transform(t);
                b.draw_text("Lg", &style, (50, 50)).unwrap();
            }
            let mut out: Vec<((i32, i32), u8)> = (0..101 * 101)
                .filter(|i| rgb[3 * i] < 255)
                .map(|i| (((i % 101) as i32 - 50, (i / 101) as i32 - 50), rgb[3 * i]))
                .collect();
            out.sort();
            out
        };
        // The pixel a square lands on, by the geometric definition: the smallest corner of the square's turned
        // corners (independent of `rotate_pixel`, which the rasteriser uses).
        let turn = |p: (i32, i32), t: &FontTransform| {
            let corners = [(0, 0), (1, 0), (0, 1), (1, 1)].map(|(dx, dy)| rotate((p.0 + dx, p.1 + dy), t));
            (corners.iter().map(|c| c.0).min().unwrap(), corners.iter().map(|c| c.1).min().unwrap())
        };
        for t in [FontTransform::Rotate90, FontTransform::Rotate180, FontTransform::Rotate270] {
            for p in [(0, 0), (3, -7), (-2, 5)] {
                assert_eq!(rotate_pixel(p, &t), turn(p, &t));
            }
        }
        let upright = ink(FontTransform::None);
        assert!(upright.len() > 20);
        for (t, degrees) in
            [(FontTransform::Rotate90, 90), (FontTransform::Rotate180, 180), (FontTransform::Rotate270, 270)]
        {
            let mut turned: Vec<((i32, i32), u8)> = upright.iter().map(|&(p, v)| (turn(p, &t), v)).collect();
            turned.sort();
            assert_eq!(ink(t), turned, "{degrees}°");
        }
    }

    #[test]
    fn spaces_svg_would_collapse_become_no_break_spaces() {
        assert_eq!(keep_spaces("BN none"), "BN none");
        assert_eq!(keep_spaces("a  b"), "a \u{a0}b");
        assert_eq!(keep_spaces(" a "), "\u{a0}a\u{a0}");
    }
}
