//! The `svcc` command line end to end: `check` formats and exit codes,
//! `build` from a config to a running server, and an installed `svcc`
//! that outlives the clone it was built from.

mod build;
mod cli;
mod install;
mod lsp;
mod migrate;
mod nvim;
#[path = "../../runtime/tests/it/util.rs"]
#[allow(dead_code)]
mod util;

/// The runtime's test driver is not built here; `util`'s svcc-testd helpers
/// are unused in this crate.
pub const TESTD: &str = "svcc-testd";
/// Likewise.
pub const DEMO: &str = "svcc-demo";
