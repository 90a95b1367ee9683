//! # actscope-metrics
//!
//! Measures what activations and gradients do inside a network, and compares runs across seeds:
//!
//! - [`units`]: saturation rate and stuck units (bounded φ), dead units and inactive rate (ReLU family),
//!   share in φ's near-linear region;
//! - [`gradient`]: gradient norms, update-to-weight ratio, vanishing index, fitted growth factor λ̂;
//! - [`distribution`]: percentiles, moments and fixed-edge histograms of z and a;
//!   [`fused`] computes a summary and a histogram together, twice as fast;
//! - [`rank`]: effective rank of a layer's representation;
//! - [`stats`]: mean, sd, 95% t-interval, Welch and paired t-tests, Holm–Bonferroni, Cohen's d;
//! - [`sequential`]: group-sequential tests over rounds of seeds (α-spending boundaries, graphical Holm, power);
//! - [`records`]: the serde record types written as JSON Lines, with a schema version;
//! - [`probe`]: [`MetricsProbe`], which computes all of the above on a fixed probe set during training.
//!
//! Every metric is a pure function over ndarray views, usable without the training loop. The formulas are
//! in each module's docs and in `docs/metrics.md`.
//!
//! ```
//! use actscope_core::Activation;
//! use actscope_metrics::units::{dead_units, saturation};
//! use ndarray::array;
//!
//! // Unit 0 is negative on every sample: dead. Unit 1 is alive on one sample.
//! let z = array![[-1.0f32, 2.0], [-0.5, -3.0]];
//! let d = dead_units(z.view(), Activation::Relu, 0.1);
//! assert_eq!((d.dead_units, d.dead_fraction, d.inactive_rate), (1, 0.5, 0.75));
//! // Sigmoid saturates (σ′ < 0.1·0.25) beyond |z| ≈ 3.64.
//! let s = saturation(array![[3.6f64, 3.7]].view(), Activation::Sigmoid, 0.1);
//! assert_eq!(s.rate, 0.5);
//! ```

pub mod distribution;
pub mod fused;
pub mod gradient;
pub mod probe;
pub mod rank;
pub mod records;
pub mod sequential;
pub mod stats;
pub mod units;

pub use probe::{Between, MetricsProbe, ProbeConfig};
pub use records::{Checkpoint, LayerRecord, Record, SCHEMA_VERSION};
