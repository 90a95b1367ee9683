//! The Fashion-MNIST subset that ships inside the crate, and the function that builds it.
//!
//! The subset holds the first 1,000 training and the first 800 test images of each of the ten classes, in
//! the official files' order (10,000 train, 8,000 of the 10,000 test images; [`MAX_BYTES`] at most in all),
//! as gzipped IDX files (level 9, mtime 0) so that `cargo xtask embed-data --from DIR` rebuilds them byte
//! for byte. Fashion-MNIST is © Zalando SE, MIT
//! licence; the notice is kept beside the files in `crates/data/data/fashion-mnist-subset/LICENSE`.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::idx::{IdxArray, IdxData, encode_idx, gzip, parse_idx};
use crate::mnist::{Classes, MNIST_CLASSES, ROLES, Splits, hex, parse_idx_set};
use crate::{Error, Result};

/// Training images kept per class.
pub const TRAIN_PER_CLASS: usize = 1000;
/// Test images kept per class: as many as fit beside the training images within [`MAX_BYTES`] (the test
/// set's size sets how precisely a final accuracy is known; the whole official set would need 8.75 MB).
pub const TEST_PER_CLASS: usize = 800;

/// The most bytes the four embedded files may hold together (design: the subset committed to the
/// repository is at most 8 MB).
pub const MAX_BYTES: usize = 8_000_000;

const FILES: [&[u8]; 4] = [
    include_bytes!("../data/fashion-mnist-subset/train-images-idx3-ubyte.gz"),
    include_bytes!("../data/fashion-mnist-subset/train-labels-idx1-ubyte.gz"),
    include_bytes!("../data/fashion-mnist-subset/t10k-images-idx3-ubyte.gz"),
    include_bytes!("../data/fashion-mnist-subset/t10k-labels-idx1-ubyte.gz"),
];

/// `SHA256SUMS` beside the files: one `digest  name` line per file, written by `cargo xtask embed-data`.
pub const SHA256SUMS: &str = include_str!("../data/fashion-mnist-subset/SHA256SUMS");

/// The recorded digest of the embedded file `name`.
fn recorded(name: &str) -> Option<&'static str> {
    SHA256SUMS.lines().find_map(|l| {
        let (digest, file) = l.split_once(char::is_whitespace)?;
        (file.trim() == name).then_some(digest)
    })
}

/// File names of the embedded set, in [`ROLES`] order.
pub fn file_names() -> [String; 4] {
    ROLES.map(|r| format!("{r}.gz"))
}

/// The embedded subset, after verifying every file's checksum.
///
/// # Errors
/// If a checksum does not match (a corrupted build) or a file does not parse.
pub fn embedded() -> Result<Splits> {
    let names = file_names();
    for (bytes, name) in FILES.iter().zip(&names) {
        let got = hex(&Sha256::digest(bytes));
        let want = recorded(name).unwrap_or("(none recorded)");
        if got != want {
            return Err(Error::data(
                format!("embedded:{name}"),
                format!("checksum {got} differs from the recorded {want}; rebuild with `cargo xtask embed-data`"),
            ));
        }
    }
    let files: [(&Path, &[u8]); 4] = [0, 1, 2, 3].map(|i| (Path::new(names[i].as_str()), FILES[i]));
    let mut splits = parse_idx_set("fashion-mnist-subset", "embedded", files, Classes::Exactly(MNIST_CLASSES))?;
    splits.train.provenance = format!("embedded Fashion-MNIST subset ({TRAIN_PER_CLASS} per class from train)");
    splits.test.provenance = format!("embedded Fashion-MNIST subset ({TEST_PER_CLASS} per class from t10k)");
    Ok(splits)
}

/// Builds the subset from the bytes of the four official files (raw or gzip, [`ROLES`] order): returns the
/// four gzipped IDX files to embed. Pure and deterministic.
///
/// # Errors
/// If the inputs do not parse, are not u8 images and labels, or have fewer images of a class than needed.
pub fn build_subset(official: [(&Path, &[u8]); 4]) -> Result<[Vec<u8>; 4]> {
    let [ti, tl, si, sl] = official;
    let (a, b) = pick(ti, tl, TRAIN_PER_CLASS)?;
    let (c, d) = pick(si, sl, TEST_PER_CLASS)?;
    Ok([a, b, c, d].map(|arr| gzip(&encode_idx(&arr))))
}

fn pick(images: (&Path, &[u8]), labels: (&Path, &[u8]), per_class: usize) -> Result<(IdxArray, IdxArray)> {
    let img = parse_idx(images.0, images.1)?;
    let lab = parse_idx(labels.0, labels.1)?;
    let (IdxData::U8(pixels), IdxData::U8(ls)) = (&img.data, &lab.data) else {
        return Err(Error::data(images.0, "expected u8 images and u8 labels (the official Fashion-MNIST files)"));
    };
    if img.dims.len() < 2 || lab.dims.len() != 1 || img.dims[0] != lab.dims[0] {
        return Err(Error::data(images.0, format!("images {:?} and labels {:?} do not agree", img.dims, lab.dims)));
    }
    let d: usize = img.dims[1..].iter().product();
    let mut taken = [0usize; MNIST_CLASSES];
    let (mut out_px, mut out_l) = (Vec::new(), Vec::new());
    for (i, &l) in ls.iter().enumerate() {
        let c = l as usize;
        if c >= MNIST_CLASSES {
            return Err(Error::data(labels.0, format!("label {l} at index {i}; expected 0..{MNIST_CLASSES}")));
        }
        if taken[c] < per_class {
            taken[c] += 1;
            out_px.extend_from_slice(&pixels[i * d..(i + 1) * d]);
            out_l.push(l);
        }
    }
    if let Some(c) = taken.iter().position(|&t| t < per_class) {
        return Err(Error::data(
            labels.0,
            format!("only {} images of class {c}; the subset needs {per_class}", taken[c]),
        ));
    }
    let n = out_l.len();
    let mut dims = img.dims.clone();
    dims[0] = n;
    Ok((IdxArray { dims, data: IdxData::U8(out_px) }, IdxArray { dims: vec![n], data: IdxData::U8(out_l) }))
}

/// The `SHA256SUMS` text for freshly built `files` (in [`ROLES`] order).
pub fn sha256sums(files: &[Vec<u8>; 4]) -> String {
    file_names().iter().zip(files).map(|(name, bytes)| format!("{}  {name}\n", hex(&Sha256::digest(bytes)))).collect()
}
