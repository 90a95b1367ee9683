//! Labelled image sets in the MNIST family's layout: four IDX files, train and test, images and labels.
//!
//! Works for MNIST, Fashion-MNIST, KMNIST and any set stored the same way. A directory is recognised by
//! the standard names, raw or gzipped: `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
//! `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte` (also `train-images.idx3-ubyte` and so on, and each with `.gz`).
//! `u8` pixels are scaled to [0, 1]; other image types are taken as they are.

use std::path::{Path, PathBuf};

use ndarray::Array2;
use sha2::{Digest, Sha256};

use crate::classes::{MAX_CLASSES, count_classes};
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
    /// SHA-256 (hex) over the four files' contents as uncompressed IDX, in the order train images, train
    /// labels, test images, test labels: a raw and a gzipped copy of one set (or two gzip encodings of it)
    /// have one checksum.
    pub checksum: String,
}

/// The roles of the four files, in checksum order.
pub const ROLES: [&str; 4] =
    ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

/// The number of classes of the MNIST family (MNIST, Fashion-MNIST, KMNIST): what the embedded subset
/// declares.
pub const MNIST_CLASSES: usize = 10;

/// How many classes an IDX set has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Classes {
    /// Exactly this many: every label must be below it.
    Exactly(usize),
    /// As many as the training and test labels make together ([`crate::classes`]: the largest label plus
    /// one, labels below [`MAX_CLASSES`], at most half of the classes empty). 10 for the MNIST family, 47
    /// for EMNIST Balanced, 27 for EMNIST Letters (numbered from 1).
    FromLabels,
}

/// The four files of an IDX set directory.
#[derive(Clone, Debug, PartialEq)]
pub struct IdxFiles {
    /// Paths in [`ROLES`] order.
    pub paths: [PathBuf; 4],
}

/// The file names tried for one of [`ROLES`], in order.
pub(crate) fn candidates(role: &str) -> Vec<String> {
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
        // A name that is there but no file (a directory, a device, a link to nothing, unreadable) is refused
        // by name: it had been reported as missing.
        let mut found: Vec<PathBuf> = Vec::new();
        for p in names.iter().map(|n| dir.join(n)) {
            if crate::files::is_regular_file(&p, &format!("the {role} file"))? {
                found.push(p);
            }
        }
        match &found[..] {
            [p] => paths.push(p.clone()),
            [] => {
                return Err(Error::data(dir, format!("no {role} file; expected one of: {}", names.join(", "))));
            }
            several => {
                let list: Vec<String> =
                    several.iter().map(|p| p.file_name().unwrap_or_default().to_string_lossy().into_owned()).collect();
                return Err(Error::data(
                    dir,
                    format!(
                        "{} files could be the {role} file: {}; expected one (remove or rename the others)",
                        several.len(),
                        list.join(", ")
                    ),
                ));
            }
        }
    }
    Ok(IdxFiles { paths: paths.try_into().expect("four roles") })
}

/// Loads the IDX set in `dir` (see the module docs) with the given number of classes.
///
/// ```no_run
/// use actscope_data::mnist::{Classes, load_idx_dir};
///
/// let emnist = load_idx_dir("emnist-balanced".as_ref(), Classes::FromLabels)?;
/// assert_eq!(emnist.train.classes, 47);
/// # Ok::<(), actscope_data::Error>(())
/// ```
///
/// # Errors
/// A class count of 0, missing or unreadable files, malformed IDX, disagreeing counts or shapes, labels out
/// of range or too sparse to count classes by.
pub fn load_idx_dir(dir: &Path, classes: Classes) -> Result<Splits> {
    if let Classes::Exactly(n) = classes {
        check_class_count(n)?;
    }
    let files = find_idx_files(dir)?;
    let mut bytes = Vec::with_capacity(4);
    for p in &files.paths {
        bytes.push(crate::idx::read_idx_bytes(p)?);
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
pub fn parse_idx_set(name: &str, source: &str, files: [(&Path, &[u8]); 4], classes: Classes) -> Result<Splits> {
    if let Classes::Exactly(n) = classes {
        check_class_count(n)?;
    }
    let [ti, tl, si, sl] = files;
    let arrays = [parse_idx(ti.0, ti.1)?, parse_idx(tl.0, tl.1)?, parse_idx(si.0, si.1)?, parse_idx(sl.0, sl.1)?];
    let mut hasher = Sha256::new();
    for a in &arrays {
        crate::idx::encode_into(a, &mut |bytes| hasher.update(bytes));
    }
    let checksum = hex(&hasher.finalize());
    let [train_images, train_labels, test_images, test_labels] = &arrays;
    // Counted from the labels, the classes are set once every file has passed its own checks, so that a
    // labels file of the wrong length or dimensions, or a single training class, is named as such rather than
    // as labels too sparse to count classes by.
    let given = match classes {
        Classes::Exactly(n) => n,
        Classes::FromLabels => MAX_CLASSES,
    };
    let mut train =
        images_and_labels(&format!("{name}/train"), source, (ti.0, train_images), (tl.0, train_labels), given)?;
    let mut test = images_and_labels(&format!("{name}/test"), source, (si.0, test_images), (sl.0, test_labels), given)?;
    // u8 pixels are scaled to [0, 1] and other types taken as they are: two types would put the sets on two
    // scales.
    if train_images.data.type_name() != test_images.data.type_name() {
        return Err(Error::data(
            si.0,
            format!(
                "test images are {} but training images ({}) are {}; expected one type (u8 pixels are scaled to \
                 [0, 1], other types taken as they are, so the two sets would be on different scales)",
                test_images.data.type_name(),
                ti.0.display(),
                train_images.data.type_name()
            ),
        ));
    }
    check_classes(&train, &test, tl.0, sl.0)?;
    if train.shape != test.shape {
        return Err(Error::data(
            si.0,
            format!(
                "test images are {:?} but training images are {:?}; expected the same shape",
                test.shape, train.shape
            ),
        ));
    }
    if classes == Classes::FromLabels {
        let counted = count_classes(&[&train.labels, &test.labels]).map_err(|sparse| {
            let (path, i) = [(tl.0, &train.labels), (sl.0, &test.labels)]
                .into_iter()
                .find_map(|(p, labels)| labels.iter().position(|&l| l == sparse.max).map(|i| (p, i)))
                .expect("the largest label is in one of the sets");
            Error::data(path, format!("at index {i}, {}", sparse.describe()))
        })?;
        (train.classes, test.classes) = (counted, counted);
    }
    Ok(Splits { train, test, source: source.to_string(), checksum })
}

/// Lower-case hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An error when the training labels hold a single class (there is nothing to tell apart), or the test
/// labels a class the training labels never hold (no network trained on them could predict it, and the test
/// accuracy would say so only as a lower number).
fn check_classes(train: &Dataset, test: &Dataset, train_labels: &Path, test_labels: &Path) -> Result<()> {
    let (in_train, in_test) = (train.class_counts(), test.class_counts());
    let present: Vec<usize> = (0..in_train.len()).filter(|&c| in_train[c] > 0).collect();
    if let [only] = present[..] {
        return Err(Error::data(
            train_labels,
            format!("every training label is {only}; expected at least two classes to tell apart"),
        ));
    }
    if let Some(c) = (0..in_test.len()).find(|&c| in_test[c] > 0 && in_train.get(c).is_none_or(|&n| n == 0)) {
        return Err(Error::data(
            test_labels,
            format!(
                "class {c} occurs {} times in the test labels but never in the training labels ({}); expected every \
                 test class among the training classes",
                in_test[c],
                train_labels.display()
            ),
        ));
    }
    Ok(())
}

/// The labels of a 1-D integer IDX array, as `i64`s.
fn label_values(path: &Path, labels: &IdxArray) -> Result<Vec<i64>> {
    if labels.dims.len() != 1 {
        return Err(Error::data(
            path,
            format!("labels have dimensions {:?}; expected one dimension (count)", labels.dims),
        ));
    }
    Ok(match &labels.data {
        IdxData::U8(v) => v.iter().map(|&x| x as i64).collect(),
        IdxData::I8(v) => v.iter().map(|&x| x as i64).collect(),
        IdxData::I16(v) => v.iter().map(|&x| x as i64).collect(),
        IdxData::I32(v) => v.iter().map(|&x| x as i64).collect(),
        other => {
            return Err(Error::data(path, format!("labels are {}; expected an integer type", other.type_name())));
        }
    })
}

/// Refuses a class count of 0 (labels `0..0` would hold none), which would otherwise surface as every label
/// being "out of range; expected 0..0".
fn check_class_count(classes: usize) -> Result<()> {
    if classes == 0 {
        return Err(Error::config(
            "classes",
            "must be ≥ 1, got 0 (labels are numbered 0..classes, so 0 classes hold no label)",
        ));
    }
    Ok(())
}

/// Combines parsed image and label arrays into a dataset, checking that they agree.
///
/// # Errors
/// `classes` of 0, images with fewer than 2 dimensions or a zero-sized one (no images, or images of no values), labels that
/// are not 1-D integers, count mismatch, labels out of `0..classes`, image values that are not finite `f32`s.
pub fn images_and_labels(
    name: &str,
    source: &str,
    images: (&Path, &IdxArray),
    labels: (&Path, &IdxArray),
    classes: usize,
) -> Result<Dataset> {
    check_class_count(classes)?;
    let (ipath, img) = images;
    let (lpath, lab) = labels;
    if img.dims.len() < 2 {
        return Err(Error::data(
            ipath,
            format!("images have dimensions {:?}; expected (count, …) with ≥ 2 dimensions", img.dims),
        ));
    }
    let raw_labels = label_values(lpath, lab)?;
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
