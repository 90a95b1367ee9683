//! `actscope-reference`: the Rust side of the bit-for-bit comparison in `python/tests/test_metrics.py`.
//! It computes actscope's metrics with the crates themselves (never through the Python extension) and prints
//! them as JSON, whose floats are written in their shortest round-trip form, so Python reads back exactly the
//! f64 computed here.
//!
//! ```text
//! actscope-reference matrix FILE f32|f64 ROWS COLS ACTIVATION TAU   metrics of a C-ordered little-endian matrix
//! actscope-reference stats                      seed statistics of {"x": [..], "y": [..], "p": [..]} on stdin
//! ```
//!
//! NaN is printed as `null`.

use std::io::Read;
use std::process::ExitCode;

use actscope_core::{Activation, Float};
use actscope_metrics::distribution::{Bins, Histogram, Summary, percentiles};
use actscope_metrics::{gradient, rank, stats, units};
use ndarray::{Array2, ArrayView2};
use serde_json::{Value, json};

/// The percentiles the comparison asks for, besides a summary's.
const PS: [f64; 7] = [0.0, 1.0, 10.0, 33.3, 50.0, 99.9, 100.0];

fn matrix_metrics<F: Float>(z: ArrayView2<'_, F>, act: Activation, tau: f64) -> Value {
    let s = units::saturation(z, act, tau);
    let d = units::dead_units(z, act, tau);
    let sum = Summary::of(z);
    let hist = |b: Bins| {
        let h = Histogram::of_matrix(z, b);
        json!({"counts": h.counts, "underflow": h.underflow, "overflow": h.overflow, "nan": h.nan})
    };
    let mut a = Array2::zeros(z.dim());
    act.forward_into(z, a.view_mut());
    let dphi = z.mapv(|v| act.derivative(v));
    json!({
        "saturation": {"rate": s.rate, "stuck": s.stuck},
        "dead": {"dead_units": d.dead_units, "dead_fraction": d.dead_fraction, "inactive_rate": d.inactive_rate},
        "near_linear": units::near_linear_share(z, act),
        "effective_rank": rank::effective_rank(z),
        "singular_values": rank::singular_values(z),
        "summary": {"mean": sum.mean, "std": sum.std, "percentiles": sum.percentiles},
        "percentiles": percentiles(z.iter().map(|v| v.f64()), &PS),
        "hist_z": hist(Bins::Z),
        "hist_a": hist(Bins::for_output(act)),
        "l2_norm": gradient::l2_norm(z),
        "mean_square": gradient::mean_square(z),
        "phi": a.iter().map(|v| v.f64()).collect::<Vec<_>>(),
        "phi_prime": dphi.iter().map(|v| v.f64()).collect::<Vec<_>>(),
    })
}

fn from_le<F: Float>(
    bytes: &[u8],
    width: usize,
    rows: usize,
    cols: usize,
    read: fn(&[u8]) -> F,
) -> Result<Array2<F>, String> {
    if bytes.len() != rows * cols * width {
        return Err(format!("{} bytes; expected {rows} × {cols} × {width}", bytes.len()));
    }
    let values: Vec<F> = bytes.chunks_exact(width).map(read).collect();
    Array2::from_shape_vec((rows, cols), values).map_err(|e| e.to_string())
}

fn matrix(args: &[String]) -> Result<Value, String> {
    let [file, dtype, rows, cols, act, tau] = args else {
        return Err("usage: actscope-reference matrix FILE f32|f64 ROWS COLS ACTIVATION TAU".into());
    };
    let bytes = std::fs::read(file).map_err(|e| format!("{file}: {e}"))?;
    let (rows, cols): (usize, usize) = (rows.parse().map_err(|_| "ROWS")?, cols.parse().map_err(|_| "COLS")?);
    let act: Activation = act.parse().map_err(|e: actscope_core::Error| e.to_string())?;
    let tau: f64 = tau.parse().map_err(|_| "TAU")?;
    match dtype.as_str() {
        "f32" => {
            let z = from_le(&bytes, 4, rows, cols, |c| f32::from_le_bytes(c.try_into().expect("4 bytes")))?;
            Ok(matrix_metrics(z.view(), act, tau))
        }
        "f64" => {
            let z = from_le(&bytes, 8, rows, cols, |c| f64::from_le_bytes(c.try_into().expect("8 bytes")))?;
            Ok(matrix_metrics(z.view(), act, tau))
        }
        other => Err(format!("dtype {other:?}; expected f32 or f64")),
    }
}

fn seed_stats() -> Result<Value, String> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).map_err(|e| e.to_string())?;
    let input: Value = serde_json::from_str(&text).map_err(|e| format!("stdin: {e}"))?;
    // JSON has no NaN: null stands for it.
    let list = |k: &str| -> Result<Vec<f64>, String> {
        let v: Vec<Option<f64>> = serde_json::from_value(input[k].clone()).map_err(|e| format!("stdin: {k}: {e}"))?;
        Ok(v.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect())
    };
    let (x, y, p) = (list("x")?, list("y")?, list("p")?);
    let d = stats::describe(&x);
    let t =
        |t: Option<stats::TTest>| t.map(|t| json!([t.t, t.df, t.p_two_sided, t.p_greater, t.p_less, t.effect, t.diff]));
    Ok(json!({
        "describe": [d.n, d.mean, d.sd, d.ci_low, d.ci_high],
        "welch": t(stats::welch(&x, &y)),
        "paired": t(stats::paired(&x, &y)),
        "holm": stats::holm(&p),
        "growth_factor": gradient::growth_factor(&x),
    }))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = match args.first().map(String::as_str) {
        Some("matrix") => matrix(&args[1..]),
        Some("stats") => seed_stats(),
        _ => Err("usage: actscope-reference matrix … | actscope-reference stats".into()),
    };
    match out {
        Ok(v) => {
            println!("{v}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("actscope-reference: {e}");
            ExitCode::FAILURE
        }
    }
}
