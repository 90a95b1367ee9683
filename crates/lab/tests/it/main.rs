//! Integration tests of actscope-lab (one binary, one module per concern).

mod analyze;
mod config_fuzz;
mod limits;
mod lockstep;
mod reading;
mod report;
mod tuning;
