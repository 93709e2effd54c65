//! The runtime's integration tests: real `svcc-testd`/`svcc-demo`
//! processes on loopback (ephemeral ports) and unix sockets in temp dirs.
//! Every wait is bounded; every started process is killed by pid on drop.

mod burst;
mod cli;
mod handlers;
mod haproxy;
mod hostile;
mod identity;
mod linger;
mod process;
mod settings;
mod signals;
mod status;
mod systemd;
mod titles;
mod tls;
mod upgrade;
mod util;

/// The test driver: specs from command-line arguments.
pub const TESTD: &str = env!("CARGO_BIN_EXE_svcc-testd");
/// The hand-written equivalent of generated code.
pub const DEMO: &str = env!("CARGO_BIN_EXE_svcc-demo");
