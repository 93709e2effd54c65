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
use std::time::{Duration, Instant};

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
    /// Per listener (same order as `listeners`): what a connection
    /// accepted on it needs to know.
    pub listener_facts: Vec<ListenerFacts>,
    /// `haproxy_trusted_networks`.
    pub haproxy_trusted: &'static [crate::spec::IpNet],
}

/// What a worker needs to know of one listener, found once by the master
/// when it binds (or inherits) the socket, so no worker asks the kernel.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ListenerFacts {
    /// The listener's name (an inet listener's name, a unix listener's
    /// path as written), for handlers ([`crate::handler::Conn::listener_name`]).
    pub name: &'static str,
    /// `ssl = yes`: TLS from the first byte.
    pub ssl: bool,
    /// `haproxy = yes`: a PROXY header first.
    pub haproxy: bool,
    /// The listener's address when it is bound to one IP (every
    /// connection's local address then; [`crate::handler::bound_address`]).
    pub bound: Option<std::net::SocketAddr>,
}

/// Sets a worker's process title: `NAME: SERVICE [N clients]`.
pub(crate) fn show_clients(service: &str, clients: u32) {
    let mut digits = itoa::Buffer::new();
    crate::sys::title::set(&[
        crate::cli::binary_name(),
        ": ",
        service,
        " [",
        digits.format(clients),
        " clients]",
    ]);
}

/// An event worker's process title ([`show_clients`]), changed at most
/// once a second.
#[derive(Debug)]
pub(crate) struct Title {
    service: &'static str,
    shown: Option<u32>,
    next: Option<Instant>,
}

impl Title {
    pub fn new(service: &'static str) -> Self {
        Title {
            service,
            shown: None,
            next: None,
        }
    }

    /// Shows `clients` unless the title changed less than a second ago;
    /// then returns when to call again.
    pub fn update(&mut self, clients: u32, now: Instant) -> Option<Instant> {
        if self.shown == Some(clients) {
            return None;
        }
        if let Some(t) = self.next.filter(|t| now < *t) {
            return Some(t);
        }
        show_clients(self.service, clients);
        self.shown = Some(clients);
        self.next = Some(now + Duration::from_secs(1));
        None
    }
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
