//! Worker processes: what runs in a child after `fork`.
//!
//! [`event`] is the mio accept loop for [`crate::handler::EventHandler`]s,
//! [`blocking`] the one-client-at-a-time loop for
//! [`crate::handler::BlockingHandler`]s, [`drainer`] the long-lived process
//! that finishes lingering closes for workers that exit, and [`status`] the
//! worker's side of the status pipe. The lingering drain step lives once,
//! in [`linger`], and the connection timer heap once, in [`timers`].

pub(crate) mod blocking;
pub(crate) mod drainer;
pub(crate) mod event;
pub(crate) mod linger;
pub(crate) mod status;
pub(crate) mod timers;

use std::os::fd::OwnedFd;
use std::time::Duration;

use crate::spec::ServiceSpec;

/// What a forked worker is given by the master.
#[derive(Debug)]
pub(crate) struct ChildEnv {
    /// The service it serves.
    pub service: &'static ServiceSpec,
    /// That service's listening sockets (non-blocking).
    pub listeners: Vec<OwnedFd>,
    /// The write end of the master's status pipe (shared by all workers).
    pub status: OwnedFd,
    /// The sending end of the drainer's channel, when there is a drainer.
    pub drain: Option<OwnedFd>,
    /// Test switch: close without lingering.
    pub plain_close: bool,
    /// How long open connections may take to finish after SIGTERM.
    pub shutdown_grace: Duration,
    /// The TLS contexts, when TLS is configured.
    pub tls: Option<crate::tls::Contexts>,
    /// Per listener (same order as `listeners`): `ssl = yes`.
    pub listener_ssl: Vec<bool>,
    /// Per listener (same order as `listeners`): its name.
    pub listener_names: Vec<&'static str>,
}

/// A worker's entry point: monomorphized per handler type and stored in
/// [`crate::spec::HandlerSpec`]. Returns the process exit code.
pub(crate) type Entry = fn(ChildEnv) -> i32;

/// Exit code of a worker that failed before it could serve (identity,
/// limits, event loop set-up).
pub(crate) const EXIT_STARTUP_FAILED: i32 = 89;
/// Exit code of a worker whose handler panicked.
pub(crate) const EXIT_PANIC: i32 = 70;

/// Bytes of a drainer hand-off message: remaining total ms, per-read ms,
/// remaining byte budget.
pub(crate) const DRAIN_MSG_LEN: usize = 16;

/// Encodes a drainer hand-off message.
pub(crate) fn drain_msg(total: Duration, read: Duration, bytes: u64) -> [u8; DRAIN_MSG_LEN] {
    let mut m = [0u8; DRAIN_MSG_LEN];
    m[0..4].copy_from_slice(&(total.as_millis().min(u32::MAX as u128) as u32).to_ne_bytes());
    m[4..8].copy_from_slice(&(read.as_millis().min(u32::MAX as u128) as u32).to_ne_bytes());
    m[8..16].copy_from_slice(&bytes.to_ne_bytes());
    m
}

/// Decodes [`drain_msg`].
pub(crate) fn parse_drain_msg(m: &[u8]) -> Option<(Duration, Duration, u64)> {
    if m.len() != DRAIN_MSG_LEN {
        return None;
    }
    let total = u32::from_ne_bytes(m[0..4].try_into().ok()?);
    let read = u32::from_ne_bytes(m[4..8].try_into().ok()?);
    let bytes = u64::from_ne_bytes(m[8..16].try_into().ok()?);
    Some((
        Duration::from_millis(total as u64),
        Duration::from_millis(read as u64),
        bytes,
    ))
}
