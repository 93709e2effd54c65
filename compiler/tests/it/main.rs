//! svcc-compiler's integration tests: fixture configs with snapshot
//! diagnostics, Debian's stock config, robustness (the command line's tests
//! live with the `svcc` binary, in the root package).

mod catalogue;
mod completion;
mod differential;
mod docs;
mod dovecot24;
mod fixes;
mod fixtures;
mod robustness;
mod stock;
mod suppressions;
mod tls;
