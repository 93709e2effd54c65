//! The master: binds every listener, forks workers on demand, reaps them.
//!
//! It follows Dovecot's master process model:
//!
//! * Workers report their free slots over one shared status pipe. The
//!   master watches a service's listeners only while none of its workers
//!   has a free slot; a connection arriving then forks one worker (up to
//!   `process_limit`). `process_min_avail` workers are kept ready, at most
//!   10 forks per loop turn.
//! * At `process_limit` it warns at most once a second and, after 10 s of
//!   saturation, accepts and closes what is queued so clients see a close
//!   rather than a hang.
//! * A worker that dies before its first status record throttles the
//!   service (2 s doubling to 60 s), and so do more than 10 failed exits
//!   (non-zero code or a signal) within one second while the service has
//!   not yet had a clean exit (a failure storm).
//! * Signals arrive through a signalfd in the same mio loop: SIGCHLD reaps,
//!   SIGTERM/SIGINT shut down gracefully, SIGHUP replaces every worker on
//!   the same listening sockets.
//!
//! Its one event loop (this file) handles a closed set of events: a signal,
//! status records, a listener becoming readable, and timers. Along its
//! seams: `listen.rs` binds, `spawn.rs` forks (a worker or the drainer, the
//! child's set-up, identities), `lifecycle.rs` keeps the process count
//! right (prefork, idle kill, reap, throttle, shutdown, reload).

mod activation;
pub(crate) mod control;
mod lifecycle;
pub(crate) mod listen;
mod notify;
mod spawn;
mod upgrade;

use std::collections::HashMap;
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use nix::sys::signal::Signal;
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::unistd::Pid;

use crate::log::{log_master, log_svc, RateLimit};
use crate::spec::{AppSpec, ServiceSpec};
use crate::sys;
use crate::sys::proc::Identity;
use crate::worker::status;
use crate::RunOptions;
use lifecycle::s_needs_prefork;
use listen::Bound;
use spawn::{has_inet, internal_identity, resolve_identity};

const SIGNAL: Token = Token(usize::MAX);
const STATUS: Token = Token(usize::MAX - 1);
const CONTROL: Token = Token(usize::MAX - 2);
const UPGRADE: Token = Token(usize::MAX - 3);
/// A worker's status channel: this plus its pid.
const CHANNEL_BASE: usize = usize::MAX / 2;
const MAX_FORKS_PER_TICK: u32 = 10;
const INITIAL_STATUS_TIMEOUT: Duration = Duration::from_secs(30);
const THROTTLE_FIRST: Duration = Duration::from_secs(2);
const THROTTLE_MAX: Duration = Duration::from_secs(60);
/// Dovecot's `SERVICE_MAX_EXIT_FAILURES_IN_SEC`: more failed exits than
/// this within one second, before any clean exit, throttle the service.
const MAX_EXIT_FAILURES_IN_SEC: u32 = 10;
const EXIT_FAILURE_WINDOW: Duration = Duration::from_secs(1);
/// How often, at most, the master tells a full service's workers to make
/// room while clients keep waiting.
const FULL_NOTICE_EVERY: Duration = Duration::from_millis(100);

fn listener_token(svc: usize, l: usize) -> Token {
    Token((svc << 16) | l)
}

struct Svc {
    spec: &'static ServiceSpec,
    listeners: Vec<Bound>,
    watching: bool,
    /// Live workers of the current generation.
    count: u32,
    /// Workers of the current generation with at least one free slot.
    avail_procs: u32,
    throttle_until: Option<Instant>,
    throttle_next: Duration,
    /// Start of the current one-second window of failed exits and how many
    /// fell into it (Dovecot's `exit_failure_last`/`exit_failures_in_sec`).
    exit_failure_window: Option<Instant>,
    exit_failures_in_window: u32,
    /// A worker of this generation exited cleanly: the failure-storm
    /// trigger is off from then on (so a client crashing its own session
    /// on purpose cannot throttle the service).
    had_clean_exit: bool,
    drop_warn: RateLimit,
    saturated_since: Option<Instant>,
    drop_pause_until: Option<Instant>,
    identity: Option<Identity>,
    chroot: Option<PathBuf>,
    /// What `status` and the metrics report.
    counters: Counters,
}

/// A service's counters since the master started (`BIN status`).
#[derive(Debug, Default, Clone)]
pub(crate) struct Counters {
    /// Connections its workers accepted (as their status records say).
    pub accepted: u64,
    /// Queued connections the master closed at the limit.
    pub dropped: u64,
    /// Workers forked.
    pub forks: u64,
    /// Workers that died abnormally (a signal, a non-zero exit, or before
    /// their first status report) and so were replaced on demand.
    pub respawns: u64,
    /// The last such death: pid, what happened, when.
    pub last_crash: Option<(i32, String, std::time::SystemTime)>,
}

struct Proc {
    svc: usize,
    avail: u32,
    /// Full, but has clients it may close for a new one (status
    /// [`status::MAKE_ROOM`]).
    can_make_room: bool,
    got_status: bool,
    retiring: bool,
    idle_since: Option<Instant>,
    idle_kill_sent: bool,
    started: Instant,
    /// The master sent SIGKILL because a shutdown or reload deadline
    /// passed (so a SIGKILL death is not a memory limit).
    deadline_killed: bool,
    /// The worker's accepted count in its last status record.
    accepted: u32,
    /// The master's end of the worker's status channel
    /// ([`crate::handler::EventHandler::MASTER_STATUS`]).
    chan: Option<std::os::unix::net::UnixStream>,
    /// What the channel sent that is not a whole line yet.
    chan_buf: Vec<u8>,
}

pub(crate) struct Master {
    opts: RunOptions,
    poll: Poll,
    sigfd: SignalFd,
    status_rd: OwnedFd,
    status_wr: OwnedFd,
    status_buf: Vec<u8>,
    drain_tx: Option<OwnedFd>,
    drain_rx: Option<OwnedFd>,
    drainer: Option<Pid>,
    drainer_restarts: RateLimit,
    /// A refused drainer restart is retried at this time.
    drainer_retry_at: Option<Instant>,
    /// The drainer that was sent SIGTERM at shutdown.
    drainer_told: Option<Pid>,
    /// The drainer's unprivileged identity (when the master is root).
    drainer_identity: Option<Identity>,
    services: Vec<Svc>,
    procs: HashMap<i32, Proc>,
    stopping: Option<Instant>,
    killed_all: bool,
    retire_deadline: Option<Instant>,
    pid: Pid,
    tick_now: bool,
    /// The TLS settings and the contexts loaded from them.
    tls_spec: &'static crate::spec::TlsSpec,
    tls: Option<crate::tls::Contexts>,
    /// `haproxy_trusted_networks`.
    haproxy_trusted: &'static [crate::spec::IpNet],
    notifier: notify::Notifier,
    /// The control socket `BIN status` asks (none when it cannot be bound).
    control: Option<control::Control>,
    started: Instant,
    /// An upgrade (SIGUSR2) under way.
    upgrade: Option<upgrade::Upgrade>,
    /// New masters of failed upgrades not yet reaped.
    upgrade_children: std::collections::HashSet<Pid>,
    /// Started by an upgrade: the pipe to tell the old master we are ready.
    upgraded_from: Option<OwnedFd>,
}

/// `STATUS=` for systemd: per service, processes and clients.
fn status_line(services: &[Svc], procs: &HashMap<i32, Proc>) -> String {
    services
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mine = procs.values().filter(|p| p.svc == i && !p.retiring);
            let (n, clients) = mine.fold((0u32, 0u64), |(n, c), p| {
                let busy = s.spec.client_limit.saturating_sub(p.avail) as u64;
                (n + 1, c + if p.got_status { busy } else { 0 })
            });
            format!("{}: {n} processes, {clients} clients", s.spec.name)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A fatal start-up error.
pub(crate) type StartError = String;

impl Master {
    pub(crate) fn start(app: &'static AppSpec, opts: &RunOptions) -> Result<Self, StartError> {
        for w in app.warnings {
            log_master!("warning: {w}");
        }
        // Validate before binding anything.
        for s in app.services {
            if !svcc_facts::client_limit_fits(s.handler.is_blocking(), s.client_limit) {
                return Err(format!(
                    "service({}): handler {} is blocking and needs client_limit = 1, \
                     but client_limit is {}",
                    s.name, s.handler.name, s.client_limit
                ));
            }
            if s.client_limit == 0 || s.process_limit == 0 {
                return Err(format!(
                    "service({}): client_limit and process_limit must be at least 1",
                    s.name
                ));
            }
            // The handler's settings, typed: a wrong one stops the start
            // here, before anything is bound or forked.
            s.handler
                .check_settings(&s.settings)
                .map_err(|e| format!("service({}): handler {}: {e}", s.name, s.handler.name))?;
            if s.process_min_avail > s.process_limit {
                return Err(format!(
                    "service({}): process_min_avail is higher than process_limit",
                    s.name
                ));
            }
        }
        // Certificates and keys: read before any fork (they are usually
        // readable by root only); an `ssl = yes` listener never starts
        // without them.
        let any_ssl = app.services.iter().any(|s| {
            s.listeners
                .iter()
                .any(|l| matches!(l, crate::spec::ListenerSpec::Inet { ssl: true, .. }))
        });
        if any_ssl && app.tls.mode == crate::spec::SslMode::No {
            return Err("a listener has ssl = yes, but ssl = no".into());
        }
        let tls = if crate::tls::Contexts::wanted(&app.tls, any_ssl) {
            let t = crate::tls::Contexts::load(&app.tls).map_err(|e| format!("TLS: {e}"))?;
            log_master!("TLS: certificates loaded");
            Some(t)
        } else {
            None
        };
        let root = sys::proc::is_root();
        raise_nofile(app);
        let base_dir = opts
            .base_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(app.base_dir));
        let drainer_identity = if root {
            Some(internal_identity(app.internal_user)?)
        } else {
            None
        };
        let somax = svcc_facts::read_somaxconn();
        let upgraded_from = upgrade::ready_pipe_from_env();
        let mut from_systemd = activation::Inherited::from_env(upgraded_from.is_some())?;
        if upgraded_from.is_some() {
            log_master!("upgrade: taking the listening sockets of the old master");
        } else if from_systemd.any() {
            log_master!("socket activation: taking listeners from systemd");
        }
        let mut services = Vec::new();
        for s in app.services {
            let (identity, chroot) = resolve_identity(s, root, &base_dir)?;
            if root && s.user.is_none() && has_inet(s) {
                log_svc!(
                    s.name,
                    "warning: no user set and the master runs as root: its workers \
                     serve network clients as root (set user = ...)"
                );
            }
            let backlog = opts.backlog_override().unwrap_or_else(|| s.backlog());
            if let Some(max) = somax {
                if backlog > max {
                    log_svc!(
                        s.name,
                        "warning: listen backlog {backlog} (client_limit {} x process_limit {}) \
                         exceeds net.core.somaxconn ({max}); the kernel caps the queue at {max}. \
                         Raise it with: sysctl -w net.core.somaxconn={backlog}",
                        s.client_limit,
                        s.process_limit
                    );
                }
            }
            let bound = listen::bind_all(s.listeners, &base_dir, backlog, root, &mut from_systemd)
                .map_err(|e| format!("service({}): {e}", s.name))?;
            for b in &bound {
                match b.effective_backlog {
                    Some(q) => log_svc!(s.name, "listening on {} (backlog {q})", b.desc),
                    None => log_svc!(
                        s.name,
                        "listening on {} (backlog {backlog}, not read back)",
                        b.desc
                    ),
                }
            }
            services.push(Svc {
                spec: s,
                listeners: bound,
                watching: false,
                count: 0,
                avail_procs: 0,
                throttle_until: None,
                throttle_next: THROTTLE_FIRST,
                exit_failure_window: None,
                exit_failures_in_window: 0,
                had_clean_exit: false,
                drop_warn: RateLimit::default(),
                saturated_since: None,
                drop_pause_until: None,
                identity,
                chroot,
                counters: Counters::default(),
            });
        }
        from_systemd.leftovers()?;

        sys::proc::ignore_sigpipe();
        let mask = sys::proc::handled_signals();
        sys::proc::block_signals(&mask).map_err(|e| format!("sigprocmask: {e}"))?;
        let sigfd = SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
            .map_err(|e| format!("signalfd: {e}"))?;
        let poll = Poll::new().map_err(|e| format!("epoll: {e}"))?;
        poll.registry()
            .register(
                &mut SourceFd(&sigfd.as_fd().as_raw_fd()),
                SIGNAL,
                Interest::READABLE,
            )
            .map_err(|e| format!("epoll: {e}"))?;
        let (status_rd, status_wr) =
            nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| format!("pipe: {e}"))?;
        sys::io::set_nonblocking(status_rd.as_fd(), true).map_err(|e| e.to_string())?;
        sys::io::set_nonblocking(status_wr.as_fd(), true).map_err(|e| e.to_string())?;
        poll.registry()
            .register(
                &mut SourceFd(&status_rd.as_raw_fd()),
                STATUS,
                Interest::READABLE,
            )
            .map_err(|e| format!("epoll: {e}"))?;
        let control = match control::Control::bind(
            &control::path(&base_dir, crate::cli::binary_name()),
            upgraded_from.is_none(),
        ) {
            Ok(c) => {
                poll.registry()
                    .register(
                        &mut SourceFd(&c.fd().as_raw_fd()),
                        CONTROL,
                        Interest::READABLE,
                    )
                    .map_err(|e| format!("epoll: {e}"))?;
                Some(c)
            }
            Err(e) => {
                log_master!(
                    "warning: no control socket in {} ({e}): `status` cannot reach this master",
                    base_dir.display()
                );
                None
            }
        };
        let (drain_tx, drain_rx) = if opts.plain_close() {
            log_master!("SVCC_TEST_PLAIN_CLOSE is set: closing without lingering (tests only)");
            (None, None)
        } else {
            let (tx, rx) = sys::net::seqpacket_pair().map_err(|e| format!("socketpair: {e}"))?;
            (Some(tx), Some(rx))
        };
        let mut m = Master {
            opts: opts.clone(),
            poll,
            sigfd,
            status_rd,
            status_wr,
            status_buf: Vec::with_capacity(4096),
            drain_tx,
            drain_rx,
            drainer: None,
            drainer_restarts: RateLimit::default(),
            drainer_retry_at: None,
            drainer_told: None,
            drainer_identity,
            services,
            procs: HashMap::new(),
            stopping: None,
            killed_all: false,
            retire_deadline: None,
            pid: nix::unistd::getpid(),
            tick_now: true,
            tls_spec: &app.tls,
            haproxy_trusted: app.haproxy_trusted_networks,
            tls,
            notifier: notify::Notifier::from_env(),
            control,
            started: Instant::now(),
            upgrade: None,
            upgrade_children: Default::default(),
            upgraded_from,
        };
        m.spawn_drainer();
        log_master!("started: {} service(s)", m.services.len());
        Ok(m)
    }

    pub(crate) fn run(mut self) -> Result<(), StartError> {
        let mut events = Events::with_capacity(64);
        loop {
            let now = Instant::now();
            self.tick(now);
            if self.stopping.is_none() {
                let ready = self.services.iter().all(|s| {
                    s.avail_procs >= s.spec.process_min_avail.min(s.spec.process_limit)
                        || s.throttle_until.is_some()
                });
                if ready {
                    if let Some(pipe) = self.upgraded_from.take() {
                        log_master!("upgrade: ready; telling the old master to stop accepting");
                        self.adopt_upgrade();
                        self.notifier.main_pid();
                        upgrade::report_ready(pipe);
                    }
                }
                let services = &self.services;
                let procs = &self.procs;
                self.notifier
                    .tick(now, ready, || status_line(services, procs));
                self.upgrade_tick(now);
            }
            if let Some(deadline) = self.stopping {
                if self.procs.is_empty() && self.drainer.is_none() {
                    log_master!("all processes finished, exiting");
                    return Ok(());
                }
                if self.procs.is_empty() {
                    self.stop_drainer();
                }
                if now >= deadline && !self.killed_all {
                    self.killed_all = true;
                    log_master!(
                        "shutdown deadline reached: killing {} process(es)",
                        self.procs.len() + self.drainer.is_some() as usize
                    );
                    for (pid, p) in self.procs.iter_mut() {
                        p.deadline_killed = true;
                        let _ = sys::proc::kill(Pid::from_raw(*pid), Signal::SIGKILL);
                    }
                    if let Some(d) = self.drainer {
                        let _ = sys::proc::kill(d, Signal::SIGKILL);
                    }
                }
                if now >= deadline + Duration::from_secs(5) {
                    log_master!("processes did not exit after SIGKILL; exiting anyway");
                    return Ok(());
                }
            }
            let mut timeout = self.next_timeout(Instant::now());
            if let Some(at) = self.notifier.next_due() {
                let d = at.saturating_duration_since(Instant::now());
                timeout = Some(timeout.map_or(d, |t| t.min(d)));
            }
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(format!("epoll_wait: {e}"));
                }
            }
            for ev in events.iter() {
                match ev.token() {
                    SIGNAL => self.on_signals(),
                    STATUS => self.read_status(),
                    CONTROL => self.answer_control(),
                    UPGRADE => self.on_upgrade_pipe(),
                    Token(t) if t >= CHANNEL_BASE => self.answer_channel((t - CHANNEL_BASE) as i32),
                    Token(t) => self.on_listener(t >> 16, t & 0xffff),
                }
            }
        }
    }

    fn next_timeout(&self, now: Instant) -> Option<Duration> {
        if self.tick_now {
            return Some(Duration::ZERO);
        }
        let mut next: Option<Instant> = None;
        let mut at = |t: Instant| next = Some(next.map_or(t, |n: Instant| n.min(t)));
        if let Some(t) = self.drainer_retry_at {
            at(t);
        }
        for s in &self.services {
            if let Some(t) = s.throttle_until {
                at(t);
            }
            if let Some(t) = s.drop_pause_until {
                at(t);
            }
        }
        if let Some(t) = self.stopping {
            at(if self.killed_all {
                t + Duration::from_secs(5)
            } else {
                t
            });
        }
        if let Some(t) = self.retire_deadline {
            at(t);
        }
        if let Some(u) = &self.upgrade {
            at(u.deadline);
        }
        for p in self.procs.values() {
            if !p.got_status {
                at(p.started + INITIAL_STATUS_TIMEOUT);
            }
            if let (Some(since), Some(d)) = (p.idle_since, self.services[p.svc].spec.idle_kill) {
                if !p.idle_kill_sent && !p.retiring {
                    at(since + d);
                }
            }
        }
        // Poll at least once a second for housekeeping.
        let cap = now + Duration::from_secs(1);
        let t = next.map_or(cap, |n| n.min(cap));
        Some(t.saturating_duration_since(now) + Duration::from_micros(500))
    }

    // ---- per-turn housekeeping -------------------------------------------

    fn tick(&mut self, now: Instant) {
        self.tick_now = false;
        if self.drainer.is_none()
            && self.stopping.is_none()
            && self.drainer_retry_at.is_some_and(|t| now >= t)
        {
            self.spawn_drainer();
        }
        if let Some(t) = self.retire_deadline {
            if now >= t {
                self.retire_deadline = None;
                for (pid, p) in self.procs.iter_mut() {
                    if p.retiring {
                        p.deadline_killed = true;
                        log_svc!(
                            self.services[p.svc].spec.name,
                            "process {pid} still running after SIGHUP grace period: killing it"
                        );
                        let _ = sys::proc::kill(Pid::from_raw(*pid), Signal::SIGKILL);
                    }
                }
            }
        }
        // Initial status timeout.
        let late: Vec<i32> = self
            .procs
            .iter()
            .filter(|(_, p)| !p.got_status && now >= p.started + INITIAL_STATUS_TIMEOUT)
            .map(|(pid, _)| *pid)
            .collect();
        for pid in late {
            let p = self.procs.get_mut(&pid).unwrap();
            p.got_status = true; // report once
            log_svc!(
                self.services[p.svc].spec.name,
                "Initial status notification not received in 30 seconds, killing the process {pid}"
            );
            let _ = sys::proc::kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
        for i in 0..self.services.len() {
            let s = &mut self.services[i];
            if let Some(t) = s.throttle_until {
                if now >= t {
                    s.throttle_until = None;
                }
            }
            if let Some(t) = s.drop_pause_until {
                if now >= t {
                    s.drop_pause_until = None;
                }
            }
            if s.count < s.spec.process_limit || s.avail_procs > 0 {
                s.saturated_since = None;
            }
            if self.stopping.is_none() {
                self.prefork(i);
                self.idle_kill(i, now);
            }
            self.update_watch(i);
        }
    }

    fn update_watch(&mut self, i: usize) {
        let s = &mut self.services[i];
        let want = self.stopping.is_none()
            && s.throttle_until.is_none()
            && s.drop_pause_until.is_none()
            && s.avail_procs == 0
            && !s.listeners.is_empty();
        if want == s.watching {
            return;
        }
        for (j, l) in s.listeners.iter().enumerate() {
            let raw = l.fd.as_raw_fd();
            let r = if want {
                self.poll.registry().register(
                    &mut SourceFd(&raw),
                    listener_token(i, j),
                    Interest::READABLE,
                )
            } else {
                self.poll.registry().deregister(&mut SourceFd(&raw))
            };
            if let Err(e) = r {
                log_svc!(s.spec.name, "epoll on {}: {e}", l.desc);
            }
        }
        s.watching = want;
    }

    // ---- events ---------------------------------------------------------

    fn on_listener(&mut self, i: usize, j: usize) {
        if i >= self.services.len() || self.stopping.is_some() {
            return;
        }
        let now = Instant::now();
        let s = &mut self.services[i];
        if !s.watching || s.avail_procs > 0 || s.throttle_until.is_some() {
            return;
        }
        if s.count < s.spec.process_limit {
            self.fork_worker(i);
            self.update_watch(i);
            return;
        }
        // At process_limit with no free slot anywhere. Workers that can
        // close an idle or unfinished client make room, as Dovecot's login
        // processes do when the master says the service is full.
        let room: Vec<i32> = self
            .procs
            .iter()
            .filter(|(_, p)| p.svc == i && !p.retiring && p.can_make_room)
            .map(|(pid, _)| *pid)
            .collect();
        let s = &mut self.services[i];
        if !room.is_empty() {
            for pid in room {
                let _ = sys::proc::kill(Pid::from_raw(pid), Signal::SIGUSR2);
            }
            s.saturated_since = None;
            s.drop_pause_until = Some(now + FULL_NOTICE_EVERY);
            self.update_watch(i);
            return;
        }
        let spec = s.spec;
        if s.drop_warn.ready(now, Duration::from_secs(1)) {
            let (what, n) = if spec.process_limit > 1 {
                ("process_limit", spec.process_limit)
            } else if spec.service_count == 1 {
                ("client_limit/service_count", spec.client_limit)
            } else {
                ("client_limit", spec.client_limit)
            };
            log_svc!(
                spec.name,
                "{what} ({n}) reached, client connections are being dropped"
            );
        }
        let since = *s.saturated_since.get_or_insert(now);
        if now.duration_since(since) >= self.opts.drop_queued_after {
            let mut dropped = 0u32;
            if let Some(l) = s.listeners.get(j) {
                while let Ok((fd, _)) = sys::io::accept(l.fd.as_fd()) {
                    drop(fd);
                    dropped += 1;
                    if dropped >= 10_000 {
                        break;
                    }
                }
            }
            s.counters.dropped += u64::from(dropped);
            if dropped > 0 {
                log_svc!(
                    spec.name,
                    "closed {dropped} queued connection(s) after {} s at the limit",
                    now.duration_since(since).as_secs()
                );
            }
        }
        // Look again in a second (a fresh registration reports what is
        // still queued), so a full queue never spins the loop.
        s.drop_pause_until = Some(now + Duration::from_secs(1));
        self.update_watch(i);
    }

    /// Answers `status` clients on the control socket.
    fn answer_control(&mut self) {
        // Take the latest worker records first, so counts are current.
        self.read_status();
        let Some(c) = &self.control else { return };
        c.serve(|req| {
            let snap = self.snapshot();
            match req {
                control::Request::Json => snap.json(),
                control::Request::Text => snap.text(),
                control::Request::Metrics => snap.openmetrics(),
            }
        });
        // Re-arm (edge-triggered): clients still queued are reported again.
        let _ = self.poll.registry().reregister(
            &mut SourceFd(&c.fd().as_raw_fd()),
            CONTROL,
            Interest::READABLE,
        );
    }

    /// Answers a worker's requests on its status channel.
    fn answer_channel(&mut self, pid: i32) {
        use std::io::Read;
        // A worker asks one question at a time, a few bytes each; more
        // than this unanswered is not a worker speaking the protocol.
        const MAX_PENDING: usize = 256;
        const MAX_PER_TURN: usize = 4;
        self.read_status();
        let Some(p) = self.procs.get_mut(&pid) else {
            return;
        };
        let Some(mut chan) = p.chan.as_ref() else {
            return;
        };
        let mut buf = [0u8; 256];
        let mut bad = false;
        loop {
            match chan.read(&mut buf) {
                Ok(0) => {
                    bad = true;
                    break;
                }
                Ok(n) => {
                    p.chan_buf.extend_from_slice(&buf[..n]);
                    if p.chan_buf.len() > MAX_PENDING {
                        bad = true;
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    bad = true;
                    break;
                }
            }
        }
        // Whole lines only: a request split across reads waits for its end.
        let mut reqs = Vec::new();
        while let Some(end) = p.chan_buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = p.chan_buf.drain(..=end).collect();
            reqs.push(control::Request::parse(&String::from_utf8_lossy(&line)));
        }
        if reqs.len() > MAX_PER_TURN {
            bad = true;
        }
        if !bad {
            for req in reqs {
                let answer = match req {
                    Some(control::Request::Json) => self.snapshot().json(),
                    Some(control::Request::Text) => self.snapshot().text(),
                    Some(control::Request::Metrics) => self.snapshot().openmetrics(),
                    None => String::new(),
                };
                let Some(chan) = self.procs.get(&pid).and_then(|p| p.chan.as_ref()) else {
                    return;
                };
                // The worker waits in its read: a large answer streams
                // through, all of it within 200 ms; a worker that does not
                // read loses its channel, and the master nothing more.
                let deadline = Instant::now() + Duration::from_millis(200);
                let sent = control::write_within(chan, &control::frame(&answer), deadline);
                let _ = chan.set_nonblocking(true);
                if sent.is_err() {
                    bad = true;
                    break;
                }
            }
        }
        if bad {
            if let Some(p) = self.procs.get_mut(&pid) {
                if let Some(c) = p.chan.take() {
                    log_svc!(
                        self.services[p.svc].spec.name,
                        "process {pid}: its status channel closed, broke the protocol or \
                         stopped reading; the master closed it"
                    );
                    let _ = self
                        .poll
                        .registry()
                        .deregister(&mut SourceFd(&c.as_raw_fd()));
                }
            }
        }
    }

    /// What `status` reports.
    fn snapshot(&self) -> control::Snapshot {
        let now = Instant::now();
        let services = self
            .services
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mine = self.procs.values().filter(|p| p.svc == i && !p.retiring);
                let full = s.spec.client_limit.max(1);
                let (mut processes, mut idle, mut clients) = (0u32, 0u32, 0u64);
                for p in mine {
                    processes += 1;
                    if p.avail >= full && !p.can_make_room {
                        idle += 1;
                    }
                    if p.got_status {
                        clients += u64::from(full.saturating_sub(p.avail));
                    }
                }
                let listeners = s
                    .listeners
                    .iter()
                    .map(|l| {
                        let q = sys::net::tcp_listen_queue(l.fd.as_fd())
                            .or_else(|_| {
                                sys::net::unix_listen_backlog(l.fd.as_fd()).map(|(m, q)| (q, m))
                            })
                            .ok();
                        control::ListenerStatus {
                            name: l.facts.name.to_string(),
                            // Without "(from systemd)": labels stay the
                            // same across an upgrade.
                            address: l.desc.split(" (").next().unwrap_or("").to_string(),
                            queued: q.map(|q| q.0),
                            backlog: q.map(|q| q.1),
                        }
                    })
                    .collect();
                control::ServiceStatus {
                    name: s.spec.name,
                    handler: s.spec.handler.name,
                    processes,
                    idle,
                    process_limit: s.spec.process_limit,
                    client_limit: s.spec.client_limit,
                    clients,
                    client_slots: u64::from(processes) * u64::from(full),
                    throttled: s.throttle_until.is_some(),
                    throttle_secs: s
                        .throttle_until
                        .map_or(0.0, |t| t.saturating_duration_since(now).as_secs_f64()),
                    counters: s.counters.clone(),
                    listeners,
                }
            })
            .collect();
        control::Snapshot {
            binary: crate::cli::binary_name(),
            pid: self.pid.as_raw(),
            uptime_secs: now.duration_since(self.started).as_secs(),
            stopping: self.stopping.is_some(),
            services,
        }
    }

    fn read_status(&mut self) {
        let mut buf = [0u8; 4096];
        loop {
            match sys::io::read(self.status_rd.as_fd(), &mut buf) {
                Ok(0) => break,
                Ok(n) => self.status_buf.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let mut off = 0;
        let now = Instant::now();
        while self.status_buf.len() - off >= status::RECORD_LEN {
            let r = status::parse(&self.status_buf[off..off + status::RECORD_LEN]);
            off += status::RECORD_LEN;
            self.on_status(r, now);
        }
        self.status_buf.drain(..off);
    }

    fn on_status(&mut self, r: status::Record, now: Instant) {
        let Some(p) = self.procs.get_mut(&r.pid) else {
            return;
        };
        let avail = r.avail;
        p.got_status = true;
        let new = r.accepted.wrapping_sub(p.accepted);
        p.accepted = r.accepted;
        self.services[p.svc].counters.accepted += u64::from(new);
        let was = p.avail;
        p.can_make_room = avail == status::MAKE_ROOM;
        let avail = if p.can_make_room { 0 } else { avail };
        p.avail = avail;
        let s = &mut self.services[p.svc];
        let full = s.spec.client_limit.max(1);
        if avail >= full {
            if p.idle_since.is_none() {
                p.idle_since = Some(now);
            }
        } else {
            p.idle_since = None;
            // A worker that took a client ignores an idle kill sent before;
            // it may be told again once it is idle again.
            p.idle_kill_sent = false;
        }
        if p.retiring {
            return;
        }
        match (was > 0, avail > 0) {
            (false, true) => s.avail_procs += 1,
            (true, false) => s.avail_procs -= 1,
            _ => {}
        }
        let i = p.svc;
        // A worker that served and left again is a clean start-up: reset the
        // throttle back-off as Dovecot does on a clean exit.
        self.update_watch(i);
        if s_needs_prefork(&self.services[i]) {
            self.tick_now = true;
        }
    }

    fn on_signals(&mut self) {
        while let Ok(Some(info)) = self.sigfd.read_signal() {
            match info.ssi_signo as i32 {
                libc::SIGCHLD => self.reap(),
                libc::SIGTERM => self.begin_shutdown("SIGTERM"),
                libc::SIGINT => self.begin_shutdown("SIGINT"),
                libc::SIGHUP => self.reload(),
                libc::SIGUSR2 => self.start_upgrade(),
                _ => {}
            }
        }
        // SIGCHLD may coalesce with others; reap anyway.
        self.reap();
    }
}

/// Raises `RLIMIT_NOFILE` to its hard limit and warns when that is still
/// below what one worker of a service needs.
fn raise_nofile(app: &AppSpec) {
    let Ok((soft, hard)) = sys::proc::nofile() else {
        return;
    };
    let mut now = soft;
    if soft < hard {
        match sys::proc::set_nofile(hard, hard) {
            Ok(()) => now = hard,
            Err(e) => log_master!("cannot raise RLIMIT_NOFILE from {soft} to {hard}: {e}"),
        }
    }
    for s in app.services {
        let need = svcc_facts::fds_needed(s.client_limit, s.listeners.len());
        if now < need {
            log_svc!(
                s.name,
                "warning: fd limit (ulimit -n) {now} is below client_limit {} + {} descriptors \
                 a worker needs ({need}); raise the hard limit (LimitNOFILE= or \
                 /etc/security/limits.conf)",
                s.client_limit,
                need - s.client_limit as u64
            );
        }
    }
}
