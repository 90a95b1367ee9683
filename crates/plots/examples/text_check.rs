//! The browser check of the figures' text (run by `tests/browser/run.sh`):
//!
//! ```text
//! cargo run -p actscope-plots --example text_check -- write DIR     # DIR/specimen.png and .svg
//! cargo run -p actscope-plots --example text_check -- check DIR     # compares with DIR/browser-1x.png, -2x.png
//! cargo run -p actscope-plots --example text_check -- blank PNG     # fails if PNG has any dark pixel
//! ```
//!
//! `blank` is the control of the check without fonts: a browser given no font must draw a plain `<text>`
//! element as nothing, or that check would not show that the outlines drew the text.
//!
//! `check` measures where each specimen line's ink lies (extent, and the x and y of every 5% of its ink) in
//! our PNG and in a browser's screenshots of our SVG at 100% and 200% zoom, prints the differences in
//! pixels, and fails when the PNG and the browser disagree by more than [`AT_100`] or [`AT_200`] allow
//! (glyphs placed off their advances, another font, a different size or baseline).

use std::path::Path;
use std::process::ExitCode;

use actscope_plots::specimen::{self, Ink};

/// What two rasterisations may differ by, in pixels at 100%: at the ink's left and right edges, and in
/// [`specimen::ink_distance`] along x and along y.
#[derive(Clone, Copy)]
struct Tolerance {
    edges: f64,
    x: f64,
    y: f64,
}

/// Against the browser at 200%, where Chromium places glyphs at their exact advances: measured 0.5 / 0.4 /
/// 0.51 px at most (Chromium 143, DejaVu Sans 2.37); plotters 0.3.7's own rasteriser ("BN n one") was
/// 4.5–38 / 1.2–5.9 / 1.2–4.3 px off.
const AT_200: Tolerance = Tolerance { edges: 1.0, x: 0.6, y: 0.75 };
/// Against the browser at 100%, where Chromium rounds each glyph's advance to whole pixels (hinting), so
/// long lines drift by about a pixel: measured 1.0 / 1.31 / 0.56 px at most; plotters 0.3.7's rasteriser
/// was 4–38 px off at the edges.
const AT_100: Tolerance = Tolerance { edges: 1.5, x: 2.0, y: 1.0 };

fn decode(path: &Path) -> Result<(u32, u32, usize, Vec<u8>), String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut dec = png::Decoder::new(std::io::BufReader::new(file));
    dec.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = dec.read_info().map_err(|e| format!("{}: {e}", path.display()))?;
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).map_err(|e| format!("{}: {e}", path.display()))?;
    buf.truncate(info.buffer_size());
    let channels = info.color_type.samples();
    if channels < 3 {
        return Err(format!("{}: {:?} image; expected RGB or RGBA", path.display(), info.color_type));
    }
    Ok((info.width, info.height, channels, buf))
}

fn measure(path: &Path, scale: u32) -> Result<Vec<Option<Ink>>, String> {
    let (w, h, c, px) = decode(path)?;
    specimen::measure(w, h, c, &px, scale).map_err(|e| format!("{}: {e}", path.display()))
}

/// Compares two measurements, prints one row per line, and says whether all are within the tolerances.
fn report(what: &str, a: &[Option<Ink>], b: &[Option<Ink>], tol: Tolerance) -> Result<bool, String> {
    println!("{what} (px at 100%: ink edges ≤ {}, ink distance along x ≤ {} and y ≤ {})", tol.edges, tol.x, tol.y);
    let mut ok = true;
    for d in specimen::differences(a, b)? {
        let pass = d.edges <= tol.edges && d.x <= tol.x && d.y <= tol.y;
        ok &= pass;
        println!("  {:5.2} {:5.2} {:5.2}  {}  {:?}", d.edges, d.x, d.y, if pass { "ok  " } else { "FAIL" }, d.text);
    }
    Ok(ok)
}

fn check(dir: &Path) -> Result<bool, String> {
    let ours = measure(&dir.join("specimen.png"), 1)?;
    let one = measure(&dir.join("browser-1x.png"), 1)?;
    let two = measure(&dir.join("browser-2x.png"), 2)?;
    let a = report("our PNG vs the browser's SVG at 100%", &ours, &one, AT_100)?;
    let b = report("our PNG vs the browser's SVG at 200%", &ours, &two, AT_200)?;
    Ok(a && b)
}

/// Whether the image at `path` has no pixel darker than mid-grey in any channel.
fn blank(path: &Path) -> Result<bool, String> {
    let (w, h, c, px) = decode(path)?;
    let dark = px.chunks(c).filter(|p| p[..3].iter().any(|&v| v < 128)).count();
    println!("{}: {w}×{h}, {dark} dark pixels", path.display());
    Ok(dark == 0)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["write", dir] => specimen::write(Path::new(dir)).map(|_| true).map_err(|e| e.to_string()),
        ["check", dir] => check(Path::new(dir)),
        ["blank", png] => blank(Path::new(png)),
        _ => Err("usage: text_check write DIR | text_check check DIR | text_check blank PNG".into()),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!(
                "text_check: the PNG and the browser's rendering of the SVG disagree, or a blank image has ink (see above)"
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("text_check: {e}");
            ExitCode::from(2)
        }
    }
}
