//! # actscope-core
//!
//! Exact, instrumentable building blocks for studying activations and batch normalisation in MLPs:
//! [`Linear`], [`BatchNorm1d`] (PyTorch's semantics exactly), [`Activation`]s with stable derivatives,
//! losses, optimizers with PyTorch's update rules, an [`Mlp`] with BN placed none/before/after, and a
//! training loop ([`train`]) that shows [`Probe`]s the inside of the network without copying it.
//!
//! Layers are generic over [`Float`] (`f32` for speed, `f64` for gradient checks). All matrix products go
//! through [`linalg::gemm`]. This crate does no file or terminal IO beyond the data parsers' thin
//! path helpers, and knows nothing of metrics or plots.
//!
//! ```
//! use actscope_core::{data::synthetic, train, Activation, Budget, Mlp, MlpConfig, Optimizer,
//!                     OptimizerConfig, Placement, TrainConfig, TrainData};
//!
//! let train_set = synthetic::teacher(2000, 20, 4, 7, 1);
//! let test_set = synthetic::teacher(500, 20, 4, 7, 2);
//! let cfg = MlpConfig::new(20, &[32, 32], 4, Activation::Sigmoid, Placement::Before);
//! let mut net = Mlp::<f32>::new(&cfg, 0)?;
//! let mut opt = Optimizer::new(OptimizerConfig::sgd_momentum(0.1, 0.9))?;
//! let evals = [("test", &test_set)];
//! let data = TrainData { train: &train_set, evals: &evals, probe_set: None };
//! let outcome = train(&mut net, &mut opt, &TrainConfig::new(50, Budget::Epochs(5), 0), data, ())?;
//! assert!(outcome.last("test").unwrap().accuracy > 0.85);
//! # Ok::<(), actscope_core::Error>(())
//! ```

mod activation;
mod batch_norm;
pub mod data;
mod error;
mod float;
mod init;
pub mod linalg;
mod linear;
pub mod loss;
mod network;
mod optim;
mod probe;
pub mod rng;
pub mod serde_nan;
mod spec;
mod train;
pub mod vmath;
mod workspace;

pub use activation::{Activation, MAIN_ACTIVATIONS};
pub use batch_norm::{BatchNorm1d, BatchNormConfig, BnCache};
pub use data::Dataset;
pub use error::{Error, Result};
pub use float::{Float, Kernel};
pub use init::Init;
pub use linear::Linear;
pub use network::{HiddenLayer, Mlp, MlpConfig, PLACEMENTS, Placement};
pub use optim::{Optimizer, OptimizerConfig};
pub use probe::{LayerView, Observation, OutputView, Probe, ProbeSource};
pub use train::{Budget, EvalPoint, Status, TrainConfig, TrainData, TrainOutcome, evaluate, train};
pub use workspace::Workspace;
