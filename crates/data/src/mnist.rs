//! Labelled image sets in the MNIST family's layout: four IDX files, train and test, images and labels.
//!
//! Works for MNIST, Fashion-MNIST, KMNIST and any set stored the same way. A directory is recognised by
//! the standard names, raw or gzipped: `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
//! `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte` (also `train-images.idx3-ubyte` and so on, and each with `.gz`).
//! `u8` pixels are scaled to [0, 1]; other image types are taken as they are.

use std::path::{Path, PathBuf};

use ndarray::Array2;
use sha2::{Digest, Sha256};

use crate::idx::{IdxArray, IdxData, parse_idx};
use actscope_core::Dataset;

use crate::{Error, Result};

/// A train/test pair as distributed, with where it came from and a checksum of its files.
#[derive(Clone, Debug, PartialEq)]
pub struct Splits {
    /// The training set.
    pub train: Dataset,
    /// The test set.
    pub test: Dataset,
    /// Where the data came from (a directory, or "embedded").
    pub source: String,
    /// SHA-256 (hex) over the four files' bytes as stored, in the order train images, train labels,
    /// test images, test labels.
    pub checksum: String,
}

/// The roles of the four files, in checksum order.
pub const ROLES: [&str; 4] =
    ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

/// The number of classes of the MNIST family, assumed for directories with the standard file names.
pub const MNIST_CLASSES: usize = 10;

/// The four files of an IDX set directory.
#[derive(Clone, Debug, PartialEq)]
pub struct IdxFiles {
    /// Paths in [`ROLES`] order.
    pub paths: [PathBuf; 4],
}

fn candidates(role: &str) -> Vec<String> {
    let dotted = role.replacen("-idx", ".idx", 1);
    vec![role.to_string(), format!("{role}.gz"), dotted.clone(), format!("{dotted}.gz")]
}

/// Finds the four files in `dir`.
///
/// # Errors
/// If `dir` is not a readable directory or a file is missing (the message lists the names tried).
pub fn find_idx_files(dir: &Path) -> Result<IdxFiles> {
    if !dir.is_dir() {
        return Err(Error::data(dir, "not a directory; expected a directory holding the four IDX files"));
    }
    let mut paths: Vec<PathBuf> = Vec::with_capacity(4);
    for role in ROLES {
        let names = candidates(role);
        match names.iter().map(|n| dir.join(n)).find(|p| p.is_file()) {
            Some(p) => paths.push(p),
            None => {
                return Err(Error::data(dir, format!("no {role} file; expected one of: {}", names.join(", "))));
            }
        }
    }
    Ok(IdxFiles { paths: paths.try_into().expect("four roles") })
}

/// Loads the IDX set in `dir` (see the module docs), expecting labels `< classes`.
///
/// # Errors
/// Missing or unreadable files, malformed IDX, disagreeing counts or shapes, labels out of range.
pub fn load_idx_dir(dir: &Path, classes: usize) -> Result<Splits> {
    let files = find_idx_files(dir)?;
    let mut bytes = Vec::with_capacity(4);
    for p in &files.paths {
        bytes.push(std::fs::read(p).map_err(|e| Error::io(p, e))?);
    }
    let name = dir.file_name().map_or_else(|| "idx".to_string(), |n| n.to_string_lossy().into_owned());
    let named: Vec<(&Path, &[u8])> =
        files.paths.iter().map(|p| p.as_path()).zip(bytes.iter().map(|b| b.as_slice())).collect();
    parse_idx_set(&name, &dir.display().to_string(), named.try_into().expect("four files"), classes)
}

/// Parses an IDX set from the bytes of its four files (in [`ROLES`] order, each with a name for errors).
///
/// # Errors
/// As [`load_idx_dir`], minus the file-system ones.
pub fn parse_idx_set(name: &str, source: &str, files: [(&Path, &[u8]); 4], classes: usize) -> Result<Splits> {
    let mut hasher = Sha256::new();
    for (_, b) in &files {
        hasher.update(b);
    }
    let checksum = hex(&hasher.finalize());
    let [ti, tl, si, sl] = files;
    let train = labelled(&format!("{name}/train"), source, ti, tl, classes)?;
    let test = labelled(&format!("{name}/test"), source, si, sl, classes)?;
    if train.shape != test.shape {
        return Err(Error::data(
            si.0,
            format!(
                "test images are {:?} but training images are {:?}; expected the same shape",
                test.shape, train.shape
            ),
        ));
    }
    Ok(Splits { train, test, source: source.to_string(), checksum })
}

/// Lower-case hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn labelled(
    name: &str,
    source: &str,
    images: (&Path, &[u8]),
    labels: (&Path, &[u8]),
    classes: usize,
) -> Result<Dataset> {
    let img = parse_idx(images.0, images.1)?;
    let lab = parse_idx(labels.0, labels.1)?;
    images_and_labels(name, source, (images.0, &img), (labels.0, &lab), classes)
}

/// Combines parsed image and label arrays into a dataset, checking that they agree.
///
/// # Errors
/// Images with fewer than 2 dimensions or a zero-sized one (no images, or images of no values), labels that
/// are not 1-D integers, count mismatch, labels out of `0..classes`, image values that are not finite `f32`s.
pub fn images_and_labels(
    name: &str,
    source: &str,
    images: (&Path, &IdxArray),
    labels: (&Path, &IdxArray),
    classes: usize,
) -> Result<Dataset> {
    let (ipath, img) = images;
    let (lpath, lab) = labels;
    if img.dims.len() < 2 {
        return Err(Error::data(
            ipath,
            format!("images have dimensions {:?}; expected (count, …) with ≥ 2 dimensions", img.dims),
        ));
    }
    if lab.dims.len() != 1 {
        return Err(Error::data(
            lpath,
            format!("labels have dimensions {:?}; expected one dimension (count)", lab.dims),
        ));
    }
    if let Some(k) = img.dims.iter().position(|&d| d == 0) {
        return Err(Error::data(
            ipath,
            format!(
                "images have dimensions {:?}: dimension {k} is 0; expected at least one image of at least one value",
                img.dims
            ),
        ));
    }
    let n = img.dims[0];
    if lab.dims[0] != n {
        return Err(Error::data(
            lpath,
            format!("{} labels for {n} images in {}; expected one label per image", lab.dims[0], ipath.display()),
        ));
    }
    let raw_labels: Vec<i64> = match &lab.data {
        IdxData::U8(v) => v.iter().map(|&x| x as i64).collect(),
        IdxData::I8(v) => v.iter().map(|&x| x as i64).collect(),
        IdxData::I16(v) => v.iter().map(|&x| x as i64).collect(),
        IdxData::I32(v) => v.iter().map(|&x| x as i64).collect(),
        other => {
            return Err(Error::data(lpath, format!("labels are {}; expected an integer type", other.type_name())));
        }
    };
    if let Some((i, &l)) = raw_labels.iter().enumerate().find(|&(_, &l)| l < 0 || l >= classes as i64) {
        return Err(Error::data(lpath, format!("label {l} at index {i} is out of range; expected 0..{classes}")));
    }
    let shape: Vec<usize> = img.dims[1..].to_vec();
    let d: usize = shape.iter().product();
    let values: Vec<f32> = match &img.data {
        IdxData::U8(v) => v.iter().map(|&x| x as f32 / 255.0).collect(),
        IdxData::F32(v) => v.clone(),
        other => other.to_f64().into_iter().map(|x| x as f32).collect(),
    };
    // An f64 beyond f32's range becomes infinite here, which training would only report as divergence.
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(Error::data(
            ipath,
            format!(
                "value {:e} at element {i} (index {:?}) is not a finite f32; expected finite numbers within ±3.4e38",
                img.data.to_f64().get(i).copied().unwrap_or(f64::NAN),
                img.index_of(i)
            ),
        ));
    }
    let features = Array2::from_shape_vec((n, d), values).map_err(|e| Error::data(ipath, e.to_string()))?;
    let ds = Dataset::new(name, source, features, raw_labels.into_iter().map(|l| l as usize).collect(), classes)?;
    Ok(ds.with_shape(shape)?)
}
