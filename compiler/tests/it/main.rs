//! svcc-compiler's integration tests: fixture configs with snapshot
//! diagnostics, the command line, Debian's stock config, robustness.

mod cli;
mod docs;
mod fixtures;
mod robustness;
mod stock;
