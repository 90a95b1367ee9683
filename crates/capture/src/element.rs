//! The element types a capture may hold (f32, f64) and their little-endian bytes.

use actscope_core::Float;

use crate::meta::Dtype;

/// An element type of a capture's tensors: `f32` or `f64` (safetensors `F32`, `F64`).
pub trait Element: Float + sealed::Sealed {
    /// The capture dtype of this type.
    const DTYPE: Dtype;
    /// Decodes little-endian bytes (a whole number of elements).
    fn decode(bytes: &[u8]) -> Vec<Self>;
    /// Appends the little-endian bytes of `values`.
    fn encode(values: &[Self], out: &mut Vec<u8>);
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

macro_rules! element {
    ($t:ty, $dtype:expr, $n:expr) => {
        impl Element for $t {
            const DTYPE: Dtype = $dtype;
            fn decode(bytes: &[u8]) -> Vec<Self> {
                bytes
                    .chunks_exact($n)
                    .map(|c| <$t>::from_le_bytes(c.try_into().expect("chunk of the type's size")))
                    .collect()
            }
            fn encode(values: &[Self], out: &mut Vec<u8>) {
                out.reserve(values.len() * $n);
                for v in values {
                    out.extend_from_slice(&v.to_le_bytes());
                }
            }
        }
    };
}

element!(f32, Dtype::F32, 4);
element!(f64, Dtype::F64, 8);
