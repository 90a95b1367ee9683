//! The in-memory dataset type every loader produces and the training loop consumes.

use ndarray::{Array2, ArrayView2, Axis};

use crate::{Error, Result};

/// A labelled dataset: `f32` features in row-major `(examples, features)` and integer class labels.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// A short name, e.g. `fashion-mnist/train`.
    pub name: String,
    /// Where it came from (a path, "embedded", or a generator with its parameters).
    pub provenance: String,
    /// Features, `(examples, features)`.
    pub features: Array2<f32>,
    /// The shape of one example before flattening (e.g. `[28, 28]`; `[features]` for tabular data).
    pub shape: Vec<usize>,
    /// One label per example, each `< classes`.
    pub labels: Vec<usize>,
    /// Number of classes.
    pub classes: usize,
}

impl Dataset {
    /// A dataset, after checking that shapes and labels agree.
    ///
    /// # Errors
    /// If `classes` is 0 (labels `0..0` would hold none, even for a set without rows), the label count
    /// differs from the row count, or a label is `≥ classes`.
    pub fn new(
        name: impl Into<String>,
        provenance: impl Into<String>,
        features: Array2<f32>,
        labels: Vec<usize>,
        classes: usize,
    ) -> Result<Self> {
        let name = name.into();
        if classes == 0 {
            return Err(Error::data(
                &name,
                "0 classes; expected at least 1 (labels are numbered 0..classes, so 0 classes hold no label)",
            ));
        }
        if features.nrows() != labels.len() {
            return Err(Error::data(
                &name,
                format!("{} feature rows but {} labels; expected one label per row", features.nrows(), labels.len()),
            ));
        }
        if let Some((i, &l)) = labels.iter().enumerate().find(|&(_, &l)| l >= classes) {
            return Err(Error::data(&name, format!("label {l} at index {i} is out of range 0..{classes}")));
        }
        let features =
            if features.is_standard_layout() { features } else { features.as_standard_layout().into_owned() };
        let shape = vec![features.ncols()];
        Ok(Dataset { name, provenance: provenance.into(), features, shape, labels, classes })
    }

    /// The same dataset with the per-example shape set (its product must equal the feature count).
    ///
    /// # Errors
    /// If the product of `shape` differs from the number of features.
    pub fn with_shape(mut self, shape: Vec<usize>) -> Result<Self> {
        if shape.iter().product::<usize>() != self.dim() {
            return Err(Error::data(&self.name, format!("shape {shape:?} does not hold {} features", self.dim())));
        }
        self.shape = shape;
        Ok(self)
    }

    /// Number of examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no examples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Number of features per example.
    pub fn dim(&self) -> usize {
        self.features.ncols()
    }

    /// The features as a view.
    pub fn x(&self) -> ArrayView2<'_, f32> {
        self.features.view()
    }

    /// The examples at `indices`, in that order, as a new dataset.
    pub fn select(&self, name: impl Into<String>, indices: &[usize]) -> Dataset {
        Dataset {
            name: name.into(),
            provenance: self.provenance.clone(),
            features: self.features.select(Axis(0), indices),
            shape: self.shape.clone(),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            classes: self.classes,
        }
    }

    /// The first `n` examples (or all, if fewer).
    pub fn head(&self, name: impl Into<String>, n: usize) -> Dataset {
        let idx: Vec<usize> = (0..n.min(self.len())).collect();
        self.select(name, &idx)
    }

    /// Number of examples per class.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut c = vec![0; self.classes];
        for &l in &self.labels {
            c[l] += 1;
        }
        c
    }
}
