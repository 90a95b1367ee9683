//! Integration tests of actscope-metrics.

mod known;
mod probe;
mod properties;
mod sequential;
mod stats;
