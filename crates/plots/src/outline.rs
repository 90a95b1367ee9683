//! Text in SVG drawn as the embedded font's glyph outlines, so that a figure looks the same in every
//! viewer, whether or not DejaVu Sans is installed there (no system font is needed, in SVG as in PNG).
//!
//! [`crate::typeset::Typeset`] records every text it hands to the SVG backend as a [`TextRun`], laid out
//! exactly as the PNG's ([`crate::typeset::pens`]: glyph advances plus pair kerning, the same anchor and
//! baseline). Once plotters has written the document, [`outline`] draws run i right after the document's
//! i-th `<text>` element (the backend writes one per text, in drawing order, so the stacking order is kept;
//! each element's text is checked against its run's):
//!
//! ```text
//! <defs>  <path id="agN" d="…"/>              one per distinct glyph N, in font units (y up, flipped)
//! <g fill=… transform="translate(anchor) rotate(θ) translate(x₀ baseline) scale(em/unitsPerEm)">
//!     <use xlink:href="#agN" x="pen"/> …      pen = Σ advance + Σ kern, in font units
//! </g>
//! ```
//!
//! The `<text>` element stays, made transparent (`fill-opacity="0"`): it draws nothing, and keeps the
//! labels searchable, copyable and readable by a screen reader; the glyph group is `aria-hidden` and lets
//! the pointer through to it (`pointer-events="none"`). `xlink:href`, not SVG 2's `href`, because
//! Illustrator, Inkscape 0.92 and older librsvg read only the former.

use ab_glyph::{Font, FontRef, GlyphId, OutlineCurve, Point};

use crate::typeset::{TextRun, keep_spaces, pens, units_per_em};

/// The prefix of the glyph definitions' ids ("ag": actscope glyph; a page that inlines several figures
/// shares them harmlessly: one id always names the same glyph of the same font).
const GLYPH_ID: &str = "ag";

/// `svg` (as plotters' SVG backend wrote it, with one `<text>` element per run, in order) with every run
/// drawn as glyph outlines after its `<text>` element, which becomes transparent, and the glyphs defined
/// once at the top of the document.
///
/// # Errors
/// A document whose `<text>` elements do not match `runs` one to one (a message saying how they differ).
pub(crate) fn outline(svg: &str, runs: &[TextRun], font: &FontRef<'_>) -> Result<String, String> {
    let mut glyphs: Vec<GlyphId> = Vec::new();
    let mut groups: Vec<String> = Vec::with_capacity(runs.len());
    for run in runs {
        groups.push(group(run, font, &mut glyphs));
    }
    let root_end = svg.find("<svg").and_then(|at| svg[at..].find('>').map(|end| at + end)).ok_or("no <svg> element")?;
    if svg[..root_end].contains("xmlns:xlink") {
        return Err("the <svg> element declares xmlns:xlink already".into());
    }
    let mut out = String::with_capacity(svg.len() + 64 * runs.len() + 600 * glyphs.len());
    out.push_str(&svg[..root_end]);
    out.push_str(" xmlns:xlink=\"http://www.w3.org/1999/xlink\">\n<defs>\n");
    for &id in &glyphs {
        if let Some(d) = path_data(font, id) {
            out.push_str(&format!("<path id=\"{GLYPH_ID}{}\" d=\"{d}\"/>\n", id.0));
        }
    }
    out.push_str("</defs>");
    let mut rest = &svg[root_end + 1..];
    let mut found = 0;
    while let Some(at) = rest.find("<text") {
        let group = groups
            .get(found)
            .ok_or_else(|| format!("the document has more <text> elements than the {} texts drawn", runs.len()))?;
        let open_end = at + rest[at..].find('>').ok_or("an unterminated <text> tag")?;
        let close = open_end + rest[open_end..].find("</text>").ok_or("a <text> element without its end")?;
        let after = close + "</text>".len();
        let written = unescape(rest[open_end + 1..close].trim_matches('\n'));
        let run = &runs[found];
        if written != keep_spaces(&run.text) {
            return Err(format!("<text> element {found} holds {written:?} where {:?} was drawn", run.text));
        }
        if rest[at..open_end].contains("fill-opacity") {
            return Err(format!("<text> element {found} sets fill-opacity already; it cannot be made transparent"));
        }
        out.push_str(&rest[..open_end]);
        out.push_str(" fill-opacity=\"0\"");
        out.push_str(&rest[open_end..after]);
        out.push('\n');
        out.push_str(group);
        rest = &rest[after..];
        found += 1;
    }
    if found != runs.len() {
        return Err(format!("the document has {found} <text> elements for {} texts drawn", runs.len()));
    }
    out.push_str(rest);
    Ok(out)
}

/// The group drawing `run`'s glyphs (empty for a text without ink, such as spaces), adding the glyphs it
/// uses to `glyphs`.
fn group(run: &TextRun, font: &FontRef<'_>, glyphs: &mut Vec<GlyphId>) -> String {
    let mut uses = String::new();
    for (id, pen) in pens(font, &run.text).0 {
        if font.outline(id).is_some_and(|o| !o.curves.is_empty()) {
            if !glyphs.contains(&id) {
                glyphs.push(id);
            }
            uses.push_str(&format!("<use xlink:href=\"#{GLYPH_ID}{}\" x=\"{}\"/>", id.0, number(pen)));
        }
    }
    if uses.is_empty() {
        return String::new();
    }
    let (r, g, b) = run.rgb;
    let opacity = if run.alpha < 1.0 { format!(" fill-opacity=\"{}\"", number(run.alpha)) } else { String::new() };
    let rotate = if run.degrees == 0 { String::new() } else { format!(" rotate({})", run.degrees) };
    format!(
        "<g aria-hidden=\"true\" pointer-events=\"none\" fill=\"#{r:02X}{g:02X}{b:02X}\"{opacity} transform=\"translate({} {}){rotate} translate({} {}) scale({:.7})\">{uses}</g>\n",
        run.anchor.0,
        run.anchor.1,
        number(run.start),
        number(run.baseline),
        run.em / units_per_em(font)
    )
}

/// `text` as written inside an SVG element, with XML's five entities read back.
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// A glyph's outline as SVG path data in font units, y flipped to point down; `None` for a glyph without
/// ink. Each contour starts with `M` where a curve does not begin at the previous one's end, and closes
/// with `Z`; TrueType's opposite windings of outer contours and holes fill right under SVG's default
/// non-zero rule.
fn path_data(font: &FontRef<'_>, id: GlyphId) -> Option<String> {
    let outline = font.outline(id)?;
    // Contours: runs of curves each starting where the one before ended.
    let mut contours: Vec<Vec<OutlineCurve>> = Vec::new();
    let mut at: Option<Point> = None;
    for curve in &outline.curves {
        let (start, end) = ends(curve);
        if at != Some(start) {
            contours.push(Vec::new());
        }
        contours.last_mut().expect("pushed above").push(curve.clone());
        at = Some(end);
    }
    let p = |q: Point| format!("{} {}", number(f64::from(q.x)), number(-f64::from(q.y)));
    let mut d = String::new();
    for contour in &mut contours {
        let first = ends(&contour[0]).0;
        // `Z` draws the line back to the start: the lines that end there (the last edge, and the zero-length
        // closing line the outline may add after it) are left out.
        while contour.len() > 1 && matches!(contour.last(), Some(OutlineCurve::Line(_, b)) if *b == first) {
            contour.pop();
        }
        d.push_str(&format!("M{}", p(first)));
        for curve in contour.iter() {
            match *curve {
                OutlineCurve::Line(_, b) => d.push_str(&format!("L{}", p(b))),
                OutlineCurve::Quad(_, c, b) => d.push_str(&format!("Q{} {}", p(c), p(b))),
                OutlineCurve::Cubic(_, c1, c2, b) => d.push_str(&format!("C{} {} {}", p(c1), p(c2), p(b))),
            }
        }
        d.push('Z');
    }
    (!d.is_empty()).then_some(d)
}

/// Where a curve starts and ends.
fn ends(curve: &OutlineCurve) -> (Point, Point) {
    match *curve {
        OutlineCurve::Line(a, b) | OutlineCurve::Quad(a, _, b) | OutlineCurve::Cubic(a, _, _, b) => (a, b),
    }
}

/// `v` to two decimals at most, without trailing zeros ("12", "-3.5", "0.25").
fn number(v: f64) -> String {
    let s = format!("{:.2}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn font() -> FontRef<'static> {
        FontRef::try_from_slice(crate::typeset::FONT_BYTES).unwrap()
    }

    fn run(text: &str) -> TextRun {
        TextRun {
            text: text.into(),
            em: 16.0,
            anchor: (10, 20),
            degrees: 0,
            start: 0.0,
            baseline: 12.16,
            rgb: (0, 0, 0),
            alpha: 1.0,
        }
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(number(12.0), "12");
        assert_eq!(number(-3.5), "-3.5");
        assert_eq!(number(0.254), "0.25");
        assert_eq!(number(-0.001), "0");
    }

    /// An `o` has a hole: two contours, each closed.
    #[test]
    fn a_glyph_with_a_hole_has_two_closed_contours() {
        let f = font();
        let d = path_data(&f, f.glyph_id('o')).unwrap();
        assert_eq!(d.matches('M').count(), 2, "{d}");
        assert_eq!(d.matches('Z').count(), 2, "{d}");
        assert!(path_data(&f, f.glyph_id(' ')).is_none());
    }

    /// Pens advance by the font's advances and kerning, in font units; a space draws nothing but moves
    /// the pen; every glyph is defined once.
    #[test]
    fn glyphs_are_placed_by_advance_and_kerning() {
        let f = font();
        let mut glyphs = Vec::new();
        let g = group(&run("AV A"), &f, &mut glyphs);
        let a = f.glyph_id('A');
        let v = f.glyph_id('V');
        let second = f64::from(f.h_advance_unscaled(a) + f.kern_unscaled(a, v));
        assert!(f.kern_unscaled(a, v) < 0.0);
        assert!(g.contains(&format!("x=\"{}\"", number(second))), "{g}");
        assert_eq!(g.matches("<use ").count(), 3, "{g}");
        assert_eq!(glyphs, vec![a, v]);
        assert!(g.contains("scale(0.0078125)") && g.contains("translate(10 20) translate(0 12.16)"), "{g}");
        assert!(group(&run("  "), &f, &mut glyphs).is_empty());
    }

    #[test]
    fn every_text_element_gets_its_outlines_and_goes_transparent() {
        let f = font();
        let svg = "<svg width=\"10\" xmlns=\"http://www.w3.org/2000/svg\">\n<text x=\"10\" opacity=\"1\">\nBN\n</text>\n<rect/>\n<text x=\"1\">\nx\n</text>\n</svg>\n";
        let out = outline(svg, &[run("BN"), run("x")], &f).unwrap();
        assert!(out.starts_with("<svg width=\"10\" xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink="), "{out}");
        assert_eq!(out.matches(" fill-opacity=\"0\">").count(), 2, "{out}");
        // Each group follows its own text, before what was drawn after it.
        let (bn, rect, x) = (out.find("<g ").unwrap(), out.find("<rect/>").unwrap(), out.rfind("<g ").unwrap());
        assert!(bn < rect && rect < x, "{out}");
        assert_eq!(out.matches("<path id=").count(), 3);
        assert!(outline(svg, &[run("BN")], &f).unwrap_err().contains("more <text> elements than the 1"));
        assert!(outline(svg, &[run("BN"), run("x"), run("c")], &f).unwrap_err().contains("2 <text> elements for 3"));
        // Texts matched out of order are refused, naming what was found.
        let e = outline(svg, &[run("x"), run("BN")], &f).unwrap_err();
        assert!(e.contains("<text> element 0 holds \"BN\" where \"x\" was drawn"), "{e}");
        // Escaped characters are read back before the comparison.
        let escaped = "<svg>\n<text>\nC8&apos;s a &lt; b &amp; c\n</text>\n</svg>";
        assert!(outline(escaped, &[run("C8's a < b & c")], &f).is_ok());
    }

    /// A contour's closing line back to its start is left to `Z`.
    #[test]
    fn contours_close_with_z_alone() {
        let f = font();
        let d = path_data(&f, f.glyph_id('l')).unwrap();
        assert_eq!(d, "M193 -1556L377 -1556L377 0L193 0Z");
    }
}
