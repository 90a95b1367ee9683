//! Writing a capture: the safetensors bytes of a [`Capture`], checked by reading them back, so a file this
//! writer produced is always one the reader accepts.

use std::borrow::Cow;
use std::path::Path;

use crate::element::Element;
use crate::error::{Error, Problem};
use crate::read::from_bytes;
use crate::tensors::{Capture, Slot};

/// One tensor's bytes for safetensors.
struct Bytes {
    dtype: safetensors::Dtype,
    shape: Vec<usize>,
    data: Vec<u8>,
}

impl safetensors::View for &Bytes {
    fn dtype(&self) -> safetensors::Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.data)
    }
    fn data_len(&self) -> usize {
        self.data.len()
    }
}

fn st_dtype<F: Element>() -> safetensors::Dtype {
    match F::DTYPE {
        crate::Dtype::F32 => safetensors::Dtype::F32,
        crate::Dtype::F64 => safetensors::Dtype::F64,
    }
}

/// The file's bytes: every tensor of `capture` and its metadata, in the format of `docs/capture.md`.
/// `name` is the file name errors mention.
///
/// # Errors
/// A capture that breaks a rule of the format (a shape that does not fit, a value that may not be
/// there), named as the reader would name it.
pub fn to_bytes<F: Element>(capture: &Capture<F>) -> Result<Vec<u8>, Error> {
    encode(capture, Path::new("(capture being written)"))
}

fn encode<F: Element>(capture: &Capture<F>, path: &Path) -> Result<Vec<u8>, Error> {
    let tensors: Vec<(String, Bytes)> = capture
        .slots()
        .into_iter()
        .map(|(name, slot)| {
            let (shape, values): (Vec<usize>, Vec<F>) = match slot {
                Slot::Matrix(m) => (m.shape().to_vec(), m.iter().copied().collect()),
                Slot::Vector(v) => (vec![v.len()], v.iter().copied().collect()),
            };
            let mut data = Vec::new();
            F::encode(&values, &mut data);
            (name, Bytes { dtype: st_dtype::<F>(), shape, data })
        })
        .collect();
    let bytes =
        safetensors::serialize(tensors.iter().map(|(n, b)| (n.as_str(), b)), Some(capture.meta.to_map(F::DTYPE)))
            .map_err(|e| Error { path: path.to_path_buf(), problem: Problem::Container(e.to_string()) })?;
    from_bytes::<F>(&bytes, path)?;
    Ok(bytes)
}

/// Writes `capture` to `path` (see [`to_bytes`]).
///
/// # Errors
/// As [`to_bytes`], or the file cannot be written.
pub fn write<F: Element>(path: &Path, capture: &Capture<F>) -> Result<(), Error> {
    let bytes = encode(capture, path)?;
    std::fs::write(path, bytes)
        .map_err(|error| Error { path: path.to_path_buf(), problem: Problem::Io { action: "writing", error } })
}
