//! Time to load an IDX set (gzip) from disk and parse it into datasets: `cargo bench -p actscope-data --bench data_load`.
//!
//! Uses `ACTSCOPE_DATA` or `actscope_data::SYSTEM_FASHION_MNIST`; also times the embedded subset.
//! Median of 5 runs after one warm-up (so the files are in the page cache).

use std::path::PathBuf;
use std::time::Instant;

use actscope_data::{embedded::embedded, load_idx_dir, mnist::Classes};

fn median_secs(mut f: impl FnMut()) -> f64 {
    f();
    let mut t: Vec<f64> = (0..5)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[2]
}

fn main() {
    let dir = std::env::var_os("ACTSCOPE_DATA")
        .map_or_else(|| PathBuf::from(actscope_data::SYSTEM_FASHION_MNIST), PathBuf::from);
    let subset = embedded().unwrap();
    let e = median_secs(|| drop(embedded().unwrap()));
    println!(
        "embedded subset ({} train + {} test, checksum verified): {:.1} ms",
        subset.train.len(),
        subset.test.len(),
        e * 1e3
    );
    if dir.is_dir() {
        let s = load_idx_dir(&dir, Classes::FromLabels).unwrap();
        let t = median_secs(|| drop(load_idx_dir(&dir, Classes::FromLabels).unwrap()));
        println!("{} ({} train + {} test, gzip): {:.1} ms", dir.display(), s.train.len(), s.test.len(), t * 1e3);
    } else {
        println!("{} not found: set ACTSCOPE_DATA to an IDX directory to time the full-size path", dir.display());
    }
}
