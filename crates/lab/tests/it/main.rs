//! Integration tests of actscope-lab (one binary, one module per concern).

mod analyze;
mod limits;
mod report;
mod tuning;
