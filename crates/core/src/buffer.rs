//! Views of the network's arrays: leading rows of capacity-sized batch buffers, and flat parameter slices.
//!
//! A [`crate::Workspace`] allocates its batch buffers for `capacity` rows once; a pass over `n ≤ capacity`
//! rows works on the leading `n` rows through [`Rows`]. Every array the network and the workspace own is
//! created in standard layout, so [`flat`] and [`flat_mut`] never fail.

use ndarray::{Array, Array2, ArrayView2, ArrayViewMut2, Dimension, s};

/// Row-slicing of the capacity-sized buffers of a workspace.
pub(crate) trait Rows<F> {
    /// The leading `n` rows.
    fn slice_rows(&self, n: usize) -> ArrayView2<'_, F>;
    /// The leading `n` rows, mutably.
    fn slice_rows_mut(&mut self, n: usize) -> ArrayViewMut2<'_, F>;
}

impl<F> Rows<F> for Array2<F> {
    fn slice_rows(&self, n: usize) -> ArrayView2<'_, F> {
        self.slice(s![..n, ..])
    }
    fn slice_rows_mut(&mut self, n: usize) -> ArrayViewMut2<'_, F> {
        self.slice_mut(s![..n, ..])
    }
}

/// A parameter or gradient array as one flat slice.
pub(crate) fn flat<F, D: Dimension>(a: &Array<F, D>) -> &[F] {
    a.as_slice().expect("network arrays are contiguous")
}

/// A parameter or gradient array as one flat mutable slice.
pub(crate) fn flat_mut<F, D: Dimension>(a: &mut Array<F, D>) -> &mut [F] {
    a.as_slice_mut().expect("network arrays are contiguous")
}
