//! # actscope-core
//!
//! Exact, instrumentable building blocks for studying activations and batch normalisation in MLPs:
//! [`Linear`], [`BatchNorm1d`] (PyTorch's semantics exactly), [`Activation`]s with stable derivatives,
//! losses, optimizers with PyTorch's update rules, an [`Mlp`] with BN placed none/before/after, and a
//! training loop ([`train`]) that shows [`Probe`]s the inside of the network without copying it.
//!
//! Layers are generic over [`Float`] (`f32` for speed, `f64` for gradient checks: [`gradcheck`] checks every
//! parameter gradient of an `f64` network against finite differences). All dense matrix products
//! go through [`linalg::gemm`]; evaluations of sets that are mostly exact zeros (images) run the first layer
//! through [`sparse::product`] instead, on x86-64 with FMA and AVX2 or AVX-512. This crate does no file or
//! terminal IO and knows nothing of data formats, metrics or plots: loaders live in `actscope-data`, which
//! produces the [`Dataset`]s trained on here.
//!
//! Arrays are `ndarray` 0.17's, re-exported as [`ndarray`] so a user's arrays are of the same version
//! (`use actscope_core::ndarray::Array2;`) without pinning it in their own manifest.
//!
//! ```
//! use actscope_core::{train, Activation, Budget, Mlp, MlpConfig, Optimizer,
//!                     OptimizerConfig, Placement, TrainConfig, TrainData};
//! use actscope_data::synthetic;
//!
//! let train_set = synthetic::teacher(2000, 20, 4, 7, 1);
//! let test_set = synthetic::teacher(500, 20, 4, 7, 2);
//! let cfg = MlpConfig::new(20, &[32, 32], 4, Activation::Sigmoid, Placement::Before);
//! let mut net = Mlp::<f32>::new(&cfg, 0)?;
//! let mut opt = Optimizer::new(OptimizerConfig::sgd_momentum(0.1, 0.9))?;
//! let evals = [("test", &test_set)];
//! let data = TrainData::new(&train_set, &evals, None);
//! let outcome = train(&mut net, &mut opt, &TrainConfig::new(50, Budget::Epochs(5), 0), data, ())?;
//! assert!(outcome.last("test").unwrap().accuracy > 0.85);
//! # Ok::<(), actscope_core::Error>(())
//! ```

mod activation;
mod batch_norm;
mod batches;
mod buffer;
mod cadence;
mod dataset;
mod digest;
mod error;
mod eval;
mod float;
pub mod gradcheck;
mod hidden;
mod init;
pub mod linalg;
mod linear;
pub mod lockstep;
pub mod loss;
mod member;
mod network;
mod optim;
mod placement;
mod prepared_probe;
mod probe;
pub mod rng;
pub mod serde_nan;
pub mod sparse;
mod spec;
mod start_memo;
mod train;
mod train_spec;
pub mod vmath;
mod workspace;

pub use ndarray;

pub use activation::{Activation, MAIN_ACTIVATIONS};
pub use batch_norm::{BatchNorm1d, BatchNormConfig, BnCache};
pub use cadence::Cadence;
pub use dataset::Dataset;
pub use error::{Error, Result};
pub use eval::{EvalPoint, PreparedSet, evaluate};
pub use float::{Float, Kernel, check_representable, short_number};
pub use hidden::{HiddenLayer, Norm};
pub use init::Init;
pub use linear::Linear;
pub use lockstep::{LockstepRun, train_lockstep};
pub use network::{Mlp, MlpConfig};
pub use optim::{Optimizer, OptimizerConfig};
pub use placement::{PLACEMENTS, Placement};
pub use prepared_probe::PreparedProbeSet;
pub use probe::{LayerView, Observation, OutputView, Probe, ProbeSource, StartSnapshot};
pub use train::train;
pub use train_spec::{Budget, Status, TrainConfig, TrainData, TrainOutcome};
pub use workspace::Workspace;
