//! svcc's runtime: a mio + nix pre-fork master and its workers, modelled on
//! Dovecot's master process.
//!
//! It runs services described as plain, const-constructible data ([`spec`])
//! and never parses config text. The code generator emits one `static`
//! [`spec::AppSpec`] and a `main` that calls [`main`]:
//!
//! ```no_run
//! use std::time::Duration;
//! use svcc_runtime::handlers::Echo;
//! use svcc_runtime::spec::{
//!     AppSpec, HandlerSpec, ListenerSpec, ServiceSpec, SettingsSpec, Timeouts, TlsSpec,
//! };
//!
//! static SERVICES: [ServiceSpec; 1] = [ServiceSpec {
//!     name: "echo",
//!     listeners: &[ListenerSpec::Inet { name: "echo", addresses: &["127.0.0.1"], port: 7, ssl: false, haproxy: false }],
//!     process_limit: 2,
//!     client_limit: 1000,
//!     service_count: 0,
//!     process_min_avail: 0,
//!     idle_kill: Some(Duration::from_secs(60)),
//!     vsz_limit: 256 << 20,
//!     user: None,
//!     group: None,
//!     chroot: None,
//!     handler: HandlerSpec::event::<Echo>("echo"),
//!     timeouts: Timeouts::DEFAULT,
//!     settings: SettingsSpec::NONE,
//! }];
//! static APP: AppSpec = AppSpec {
//!     services: &SERVICES,
//!     base_dir: "/run/svcc",
//!     config_text: "service echo { ... }\n",
//!     config_hash: "0123abcd",
//!     svcc_version: "0.1.0",
//!     warnings: &[],
//!     tls: TlsSpec::NONE,
//!     internal_user: None,
//!     haproxy_trusted_networks: &[],
//! };
//!
//! fn main() -> std::process::ExitCode {
//!     svcc_runtime::main(&APP)
//! }
//! ```
//!
//! Layout: [`spec`] (the data), [`handler`] (the two handler traits),
//! [`handlers`] (built-ins), `master/` (the master's loop, binding,
//! spawning, throttling), `worker/` (accept loops, lingering close, the
//! drainer, the status pipe), `sys/` (every syscall wrapper and `unsafe`).
#![deny(missing_docs)]

mod cli;
pub mod handler;
pub mod handlers;
mod log;
mod master;
mod proxy;
pub mod settings;
pub mod spec;
mod sys;
mod tls;
mod worker;

use std::path::PathBuf;
use std::time::Duration;

pub use cli::{main, main_with_args};
/// The facts the checker and the runtime share (descriptor overhead, the
/// listen backlog, the blocking-handler rule).
pub use svcc_facts as facts;

/// Settings of one run that do not come from the config: command-line
/// overrides and test switches.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Overrides [`spec::AppSpec::base_dir`] (`--base-dir`).
    pub base_dir: Option<PathBuf>,
    /// **Tests only** (feature `test-switches`): close connections with a
    /// plain `close()` instead of a lingering close, so a test can show the
    /// data loss lingering prevents. Set from `SVCC_TEST_PLAIN_CLOSE=1` by
    /// [`RunOptions::from_env`].
    #[cfg(feature = "test-switches")]
    pub plain_close: bool,
    /// After SIGTERM/SIGINT (and for old workers after SIGHUP), how long
    /// open connections may take before their processes are killed.
    pub shutdown_timeout: Duration,
    /// How long a service must sit at `process_limit` before queued
    /// connections are accepted and closed (Dovecot: 10 s).
    pub drop_queued_after: Duration,
    /// **Tests only** (feature `test-switches`): listen backlog to use
    /// instead of `client_limit × process_limit`.
    #[cfg(feature = "test-switches")]
    pub backlog_override: Option<u32>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            base_dir: None,
            #[cfg(feature = "test-switches")]
            plain_close: false,
            shutdown_timeout: Duration::from_secs(10),
            drop_queued_after: Duration::from_secs(10),
            #[cfg(feature = "test-switches")]
            backlog_override: None,
        }
    }
}

impl RunOptions {
    /// The defaults; with the `test-switches` feature (tests and
    /// `svcc-testd` only), also the test switch `SVCC_TEST_PLAIN_CLOSE=1`
    /// from the environment. A tailored binary ignores that variable.
    pub fn from_env() -> Self {
        RunOptions {
            #[cfg(feature = "test-switches")]
            plain_close: std::env::var_os("SVCC_TEST_PLAIN_CLOSE").is_some_and(|v| v == "1"),
            ..RunOptions::default()
        }
    }

    /// The plain-close test switch (always off without `test-switches`).
    pub(crate) fn plain_close(&self) -> bool {
        #[cfg(feature = "test-switches")]
        return self.plain_close;
        #[cfg(not(feature = "test-switches"))]
        false
    }

    /// The backlog test override (always `None` without `test-switches`).
    pub(crate) fn backlog_override(&self) -> Option<u32> {
        #[cfg(feature = "test-switches")]
        return self.backlog_override;
        #[cfg(not(feature = "test-switches"))]
        None
    }
}

/// A failure that stops the master (at start-up, or its event loop).
#[derive(Debug, Clone)]
pub struct Error {
    message: String,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Runs the master in the foreground until SIGTERM/SIGINT and every worker
/// has finished. Binds all listeners first; returns an error when start-up
/// fails (nothing is forked then).
///
/// Must be called from a single-threaded process: the master forks without
/// `exec`, and a child forked from a process with other threads can
/// deadlock on a lock one of them held (the allocator's, stdio's). It
/// refuses to start, with an error saying so, when the process has more
/// than one thread (a `#[tokio::main]`, a logging thread).
pub fn run(app: &'static spec::AppSpec, opts: &RunOptions) -> Result<(), Error> {
    match sys::proc::thread_count() {
        Ok(1) => {}
        Ok(n) => {
            return Err(Error {
                message: format!(
                    "refusing to start: this process has {n} threads, but svcc's master \
                     forks its workers without exec, which is only sound in a \
                     single-threaded process (a forked worker could deadlock on a lock \
                     another thread held, such as the allocator's); call \
                     svcc_runtime::main/run from a plain fn main before any thread is \
                     started (no #[tokio::main], no logging or metrics thread)"
                ),
            })
        }
        Err(e) => {
            return Err(Error {
                message: format!("cannot count this process's threads: {e}"),
            })
        }
    }
    // `ps` shows `NAME: master` (workers and the drainer set their own).
    let name = cli::binary_name();
    cli::start_command();
    sys::title::init();
    sys::title::set(&[name, ": master"]);
    let m = master::Master::start(app, opts).map_err(|message| Error { message })?;
    m.run().map_err(|message| Error { message })
}
