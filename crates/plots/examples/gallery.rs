//! Renders every figure of the report from synthetic numbers, as PNG, SVG and CSV:
//! `cargo run -p actscope-plots --example gallery [-- OUT_DIR]` (default `target/gallery`).

use std::path::PathBuf;

use actscope_plots::{Format, gallery::sample_figures, render};

fn main() -> Result<(), actscope_plots::Error> {
    let out = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/gallery"), PathBuf::from);
    std::fs::create_dir_all(&out).map_err(|source| actscope_plots::Error::Io { path: out.clone(), source })?;
    for (stem, fig) in sample_figures(7) {
        let files = render(&fig, &out.join(stem), &[Format::Png, Format::Svg])?;
        println!("{}", files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join("  "));
    }
    Ok(())
}

#[test]
fn example_runs() {
    main().unwrap();
}
