//! Integration tests of actscope-metrics.

mod fused;
mod known;
mod probe;
mod properties;
mod quoted;
mod sampling;
mod sequential;
mod stats;
