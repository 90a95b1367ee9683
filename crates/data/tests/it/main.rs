//! Integration tests of actscope-data (one binary, one module per concern).

mod formats;
