//! Normalisation and the train/validation split.
//!
//! ```text
//! standardise   x′_ij = (x_ij − μ_j) / s_j,  μ_j, s_j fitted on the training set only (s_j = 1 where the
//!               feature is constant there, so a constant feature maps to 0 instead of NaN)
//! split         per class, a seeded shuffle; the first round(n_c · fraction) go to validation
//! ```

use ndarray::{Array1, Axis};

use actscope_core::Dataset;
use actscope_core::rng::{derive_seed, seeded, shuffle};

use crate::{Error, Result};

/// Per-feature standardisation fitted on one set and applied to others.
#[derive(Clone, Debug, PartialEq)]
pub struct Standardizer {
    /// Per-feature mean of the fitting set.
    pub mean: Array1<f32>,
    /// Per-feature standard deviation (population) of the fitting set; 1 where it was 0.
    pub std: Array1<f32>,
}

impl Standardizer {
    /// Fits the mean and standard deviation of every feature of `train`.
    ///
    /// # Errors
    /// If `train` has no examples (no mean to fit), or a feature value is NaN or infinite (its feature's
    /// mean would be NaN or infinite, and so would every standardised value of it); the message names the
    /// first such value's example and feature.
    pub fn fit(train: &Dataset) -> Result<Self> {
        if train.is_empty() {
            return Err(Error::data(
                &train.name,
                "no examples to fit the standardisation on; expected at least 1 training example",
            ));
        }
        if let Some(((i, j), v)) = train.features.indexed_iter().find(|(_, v)| !v.is_finite()) {
            return Err(Error::data(
                &train.name,
                format!(
                    "feature {j} of example {i} is {v}; expected finite values to fit the standardisation on \
                     (a mean or standard deviation of {v} would make every standardised value of the feature {v})"
                ),
            ));
        }
        let n = train.len() as f64;
        let x = train.features.mapv(f64::from);
        let mean = x.sum_axis(Axis(0)) / n;
        let var = (&x - &mean).mapv(|d| d * d).sum_axis(Axis(0)) / n;
        let std = var.mapv(|v| if v > 0.0 { v.sqrt() as f32 } else { 1.0 });
        Ok(Standardizer { mean: mean.mapv(|m| m as f32), std })
    }

    /// Applies the fitted transform to `data` in place.
    ///
    /// # Errors
    /// If `data` has another number of features.
    pub fn apply(&self, data: &mut Dataset) -> Result<()> {
        if data.dim() != self.mean.len() {
            return Err(Error::Shape {
                context: format!("standardising {:?}", data.name),
                expected: format!("{} features", self.mean.len()),
                got: format!("{} features", data.dim()),
            });
        }
        for mut row in data.features.rows_mut() {
            row -= &self.mean;
            row /= &self.std;
        }
        Ok(())
    }
}

/// Splits `data` into (train, validation), stratified by class, with `fraction` of each class in validation.
///
/// # Errors
/// If `fraction` is not in (0, 1), or the split would leave either part empty.
pub fn split_train_val(data: &Dataset, fraction: f64, seed: u64) -> Result<(Dataset, Dataset)> {
    split_train_val_owned(data.clone(), fraction, seed)
}

/// [`split_train_val`] for a dataset the caller gives up: the training part reuses its buffer, so peak memory
/// is the dataset plus the validation part (not twice the dataset).
///
/// # Errors
/// As [`split_train_val`].
pub fn split_train_val_owned(mut data: Dataset, fraction: f64, seed: u64) -> Result<(Dataset, Dataset)> {
    if !data.features.is_standard_layout() {
        data.features = data.features.as_standard_layout().into_owned();
    }
    let (train_idx, val_idx) = split_indices(&data, fraction, seed)?;
    let base = data.name.rsplit_once('/').map_or(data.name.clone(), |(b, _)| b.to_string());
    let val = data.select(format!("{base}/val"), &val_idx);
    let d = data.dim();
    let (mut buf, offset) = std::mem::take(&mut data.features).into_raw_vec_and_offset();
    let off = offset.unwrap_or(0);
    // Row i starts at off + i·d. `train_idx` is ascending, so row train_idx[r] ≥ r moves down to r without
    // overwriting a row still to be moved.
    for (r, &i) in train_idx.iter().enumerate() {
        if off + i * d != r * d {
            buf.copy_within(off + i * d..off + (i + 1) * d, r * d);
        }
        data.labels[r] = data.labels[i];
    }
    buf.truncate(train_idx.len() * d);
    buf.shrink_to_fit();
    data.labels.truncate(train_idx.len());
    data.features = ndarray::Array2::from_shape_vec((train_idx.len(), d), buf).expect("rows × dim elements");
    data.name = format!("{base}/train");
    Ok((data, val))
}

/// Refuses a validation fraction outside (0, 1), whatever the data.
pub(crate) fn check_val_fraction(fraction: f64) -> Result<()> {
    if !(fraction > 0.0 && fraction < 1.0) {
        return Err(Error::config("val_fraction", format!("must lie in (0, 1), got {fraction}")));
    }
    Ok(())
}

/// The stratified split's row indices (train, validation), each ascending.
fn split_indices(data: &Dataset, fraction: f64, seed: u64) -> Result<(Vec<usize>, Vec<usize>)> {
    check_val_fraction(fraction)?;
    let mut rng = seeded(derive_seed(seed, "val-split"));
    let (mut train_idx, mut val_idx) = (Vec::new(), Vec::new());
    // Rows of each class, ascending, in one pass (a scan per class would cost classes × rows).
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); data.classes];
    for (i, &l) in data.labels.iter().enumerate() {
        if let Some(rows) = by_class.get_mut(l) {
            rows.push(i);
        }
    }
    for idx in by_class {
        let mut order: Vec<usize> = (0..idx.len()).collect();
        shuffle(&mut rng, &mut order);
        let k = (idx.len() as f64 * fraction).round() as usize;
        let shuffled: Vec<usize> = order.iter().map(|&o| idx[o]).collect();
        val_idx.extend_from_slice(&shuffled[..k]);
        train_idx.extend_from_slice(&shuffled[k..]);
    }
    if train_idx.is_empty() || val_idx.is_empty() {
        let sizes = data.class_counts();
        let largest = sizes.iter().copied().max().unwrap_or(0);
        let empty = if val_idx.is_empty() { "validation" } else { "training" };
        return Err(Error::config(
            "val_fraction",
            format!(
                "{fraction} of {} examples leaves the {empty} set empty: the split is stratified, so each class gives \
                 round({fraction} × its size) of its examples to validation, and the classes here have {} (largest \
                 {largest}); expected a val_fraction that takes at least one example but not all from a \
                 class, or more examples per class",
                data.len(),
                describe_sizes(&sizes)
            ),
        ));
    }
    // Keep the original order inside each part, so the split does not depend on class iteration order.
    train_idx.sort_unstable();
    val_idx.sort_unstable();
    Ok((train_idx, val_idx))
}

/// Class sizes in words: "3 examples each" when all are equal, else the list.
fn describe_sizes(sizes: &[usize]) -> String {
    match sizes {
        [first, rest @ ..] if rest.iter().all(|s| s == first) => format!("{first} examples each"),
        _ => format!("{sizes:?} examples"),
    }
}
