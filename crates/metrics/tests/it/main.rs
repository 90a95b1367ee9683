//! Integration tests of actscope-metrics.

mod known;
mod probe;
mod properties;
mod sampling;
mod sequential;
mod stats;
