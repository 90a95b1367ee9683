//! Integration tests of actscope-core (one binary, one module per concern).

mod activation;
mod alloc;
mod check;
mod composition;
mod gradcheck;
mod lockstep;
mod misuse;
mod pytorch;
mod training;
