//! The actscope capture format (`docs/capture.md`, version 1): what a network looked like inside at one
//! checkpoint, measured on a fixed probe batch — per layer the pre-activations z, optionally the outputs
//! a (and φ′ for an activation actscope does not know), the BatchNorm batch statistics, the weights and
//! their gradients — in one safetensors file per checkpoint, with JSON metadata.
//!
//! [`read`] checks every rule of the format and refuses a file that breaks one, naming the file and the
//! tensor or metadata field ([`Error`]); [`write()`] writes a [`Capture`] (actscope's own tests, and any Rust
//! writer). The Python package writes the same files with the `safetensors` package.
//!
//! ```
//! use actscope_capture::{Capture, Element, Hidden, LayerMeta, Meta, Output, Role, from_bytes, to_bytes};
//! use actscope_core::{Activation, Placement};
//! use ndarray::Array2;
//!
//! let z = Array2::<f32>::from_shape_fn((5, 4), |(i, j)| i as f32 - j as f32);
//! let capture = Capture {
//!     meta: Meta::new("tiny", 7, 100, vec![
//!         LayerMeta::hidden("fc1", 4, Activation::Relu.into(), Placement::None),
//!         LayerMeta::output("fc2", 2),
//!     ]),
//!     hidden: vec![Hidden::new(z, Array2::zeros((4, 3)), Array2::zeros((4, 3)))],
//!     output: Output::new(Array2::zeros((2, 4)), Array2::zeros((2, 4))),
//! };
//! let bytes = to_bytes(&capture).unwrap();
//! let back = from_bytes::<f32>(&bytes, "tiny.safetensors".as_ref()).unwrap();
//! assert_eq!(back, capture);
//! ```

mod element;
mod error;
mod meta;
mod read;
mod tensors;
mod write;

pub use element::Element;
pub use error::{Error, Problem};
pub use meta::{ActivationSpec, Dtype, FORMAT, LayerMeta, Meta, Role, VERSION};
pub use read::{AnyCapture, from_bytes, read, read_any, read_meta};
pub use tensors::{BnTensors, Capture, Hidden, Output};
pub use write::{to_bytes, write};
