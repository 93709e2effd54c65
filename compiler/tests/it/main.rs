//! svcc-compiler's integration tests: fixture configs with snapshot
//! diagnostics, the command line, Debian's stock config, robustness.

mod build;
mod cli;
mod docs;
mod fixtures;
mod robustness;
mod stock;
#[path = "../../../runtime/tests/it/util.rs"]
#[allow(dead_code)]
mod util;

/// The runtime's test driver is not built here; `util`'s svcc-testd helpers
/// are unused in this crate.
pub const TESTD: &str = "svcc-testd";
/// Likewise.
pub const DEMO: &str = "svcc-demo";
