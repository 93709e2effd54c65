//! The event-driven worker: one mio loop, connections in a slab.
//!
//! * Accepts only while it has free slots (deregistering its listeners when
//!   full or when told to stop) and reports every change of its free-slot
//!   count over the status pipe.
//! * `EMFILE`/`ENFILE` from `accept` pause accepting for a moment (listeners
//!   deregistered, a timer, a rate-limited log line) instead of spinning.
//! * Idle clients are closed after `idle_client`; with a handler that sets
//!   `FIRST_REQUEST_DEADLINE`, a client whose first request is not complete
//!   `first_request` after the accept is closed too (however often it
//!   sends a byte).
//! * Making room (Dovecot's login processes): when the master says the
//!   service is full (SIGUSR2: at `process_limit`, no free slot, a client
//!   waiting), a full worker keeps accepting and, for each new client,
//!   closes the connection idle longest among those the handler has not
//!   marked established (idle at least 50 ms, so a client just accepted is
//!   never the one closed; without such a client it pauses accepting until
//!   one is). It reports over the status pipe whether it can
//!   make room, so the master neither warns nor drops the queue then.
//! * Lingering close: flush, `shutdown(SHUT_WR)`, read and discard until EOF,
//!   `linger_read` per read, `linger_total` and `linger_bytes` in all, then
//!   `close()`. A lingering connection no longer holds a client slot. When
//!   the worker exits (service_count reached, shutdown, idle kill) with
//!   connections still lingering, it passes them to the drainer over
//!   `SCM_RIGHTS`, so a `service_count = 1` worker never holds a process
//!   slot while a slow client says goodbye.

use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use slab::Slab;

use super::linger::{self, Drain};
use super::status::{self, StatusPipe};
use super::timers::Timers;
use super::{drain_msg, ChildEnv, EXIT_STARTUP_FAILED};
use crate::handler::{Conn, ConnInfo, ConnIo, EventHandler, Handshake};
use crate::log::{log_svc, RateLimit};
use crate::proxy;
use crate::spec::ServiceSpec;
use crate::sys;

const SIGNAL: Token = Token(usize::MAX);
const LISTENER_BASE: usize = usize::MAX - 1;
const EMFILE_PAUSE: Duration = Duration::from_millis(100);
/// A client is closed to make room only after it has been idle this long,
/// so a worker never closes a client it has just accepted (another worker
/// may still hold older idle ones).
const MIN_IDLE_TO_EVICT: Duration = Duration::from_millis(50);

fn listener_token(i: usize) -> Token {
    Token(LISTENER_BASE - i)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    Active,
    Linger { until: Instant, bytes_left: u64 },
}

struct Entry<S> {
    io: ConnIo,
    state: Option<S>,
    phase: Phase,
    deadline: Instant,
    /// The first request must be complete by then (when the handler asks
    /// for that deadline and has not said the request is done).
    first_deadline: Option<Instant>,
    /// Last time the client sent something or took some output: the
    /// eviction order.
    last_active: Instant,
    /// Counted in [`Worker::evictable`].
    evictable: bool,
    /// The client has sent something.
    got_data: bool,
    /// The worker is stopping, but this client had sent nothing yet: it
    /// is told to shut down after its first bytes (or at the stop
    /// deadline), so a client that connected just before a reload is
    /// served, not closed unanswered.
    shutdown_pending: bool,
    gen: u64,
    /// When this entry's timer sits in the heap (at most one live timer).
    heap_at: Option<Instant>,
    queued: bool,
    write_interest: bool,
    /// In the epoll set: only once the connection outlives the callbacks
    /// of its accept (a complete exchange then costs no `epoll_ctl`).
    registered: bool,
    /// From an `ssl = yes` listener (TLS starts after a PROXY header).
    ssl: bool,
}

/// Entry point stored in [`crate::spec::HandlerSpec::event`].
pub(crate) fn run<H: EventHandler, C: crate::settings::Construct<H>>(env: ChildEnv) -> i32 {
    let handler = match C::make(&env.service.settings) {
        Ok(h) => h,
        Err(e) => {
            // The master checked this before forking; a worker still says why.
            log_svc!(env.service.name, "worker start-up failed: {e}");
            return EXIT_STARTUP_FAILED;
        }
    };
    match Worker::<H>::new(env, handler) {
        Ok(mut w) => w.run(),
        Err((name, e)) => {
            log_svc!(name, "worker start-up failed: {e}");
            EXIT_STARTUP_FAILED
        }
    }
}

struct Worker<H: EventHandler> {
    spec: &'static ServiceSpec,
    handler: H,
    poll: Poll,
    sigfd: SignalFd,
    listeners: Vec<OwnedFd>,
    listener_ready: Vec<bool>,
    listening: bool,
    conns: Slab<Entry<H::State>>,
    timers: Timers,
    pending: Vec<usize>,
    next_gen: u64,
    active: u32,
    lingering: u32,
    accepted: u64,
    /// No more accepts: service_count reached or stopping.
    done_accepting: bool,
    stopping: bool,
    stop_deadline: Option<Instant>,
    emfile_until: Option<Instant>,
    /// When an idle worker gives its freed heap back (1 s into idleness).
    trim_at: Option<Instant>,
    /// Whether the heap was trimmed since the worker last had a client.
    trimmed: bool,
    emfile_log: RateLimit,
    /// The master said the service is full: make room for new clients.
    overflow: bool,
    /// Active connections the handler has not marked established.
    evictable: u32,
    /// Connections closed to make room since the last log line, and in all.
    evicted_unlogged: u64,
    evicted_total: u64,
    evict_log: RateLimit,
    /// Full, evictable clients, but none idle long enough yet: accepting
    /// waits until then.
    room_wait_until: Option<Instant>,
    status: StatusPipe,
    status_due: Option<Instant>,
    drain: Option<OwnedFd>,
    plain_close: bool,
    grace: Duration,
    /// The lingering drain's read buffer, made on first use: most workers
    /// never linger, and one forked with `service_count = 1` would pay
    /// copy-on-write faults for zeroing 16 KiB it never reads into.
    scratch: Vec<u8>,
    tls: Option<crate::tls::Contexts>,
    /// Per listener: what its connections need ([`super::ListenerFacts`]).
    listener_facts: Vec<super::ListenerFacts>,
    haproxy_trusted: &'static [crate::spec::IpNet],
    proxy_refusals: proxy::Refusals,
    /// TLS handshakes that failed since the last log line about them.
    tls_failures: u64,
    tls_log: RateLimit,
    title: super::Title,
    /// When the process title may show the current client count.
    title_due: Option<Instant>,
}

impl<H: EventHandler> Worker<H> {
    fn new(env: ChildEnv, handler: H) -> Result<Self, (&'static str, io::Error)> {
        let spec = env.service;
        let name = spec.name;
        let err = |e: io::Error| (name, e);
        let poll = Poll::new().map_err(err)?;
        let mask = sys::proc::handled_signals();
        let sigfd = SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
            .map_err(|e| err(e.into()))?;
        poll.registry()
            .register(
                &mut SourceFd(&sigfd.as_fd().as_raw_fd()),
                SIGNAL,
                Interest::READABLE,
            )
            .map_err(err)?;
        let n = env.listeners.len();
        let status = StatusPipe::new(env.status, spec.client_limit.max(1));
        Ok(Worker {
            spec,
            handler,
            poll,
            sigfd,
            listeners: env.listeners,
            listener_ready: vec![true; n],
            listening: false,
            conns: Slab::with_capacity((spec.client_limit as usize).min(1024)),
            timers: Timers::default(),
            pending: Vec::new(),
            next_gen: 0,
            active: 0,
            lingering: 0,
            accepted: 0,
            done_accepting: false,
            stopping: false,
            stop_deadline: None,
            emfile_until: None,
            trim_at: None,
            trimmed: true,
            emfile_log: RateLimit::default(),
            overflow: false,
            evictable: 0,
            evicted_unlogged: 0,
            evicted_total: 0,
            evict_log: RateLimit::default(),
            room_wait_until: None,
            status,
            status_due: None,
            drain: env.drain,
            plain_close: env.plain_close,
            grace: env.shutdown_grace,
            scratch: Vec::new(),
            tls: env.tls,
            listener_facts: env.listener_facts,
            haproxy_trusted: env.haproxy_trusted,
            proxy_refusals: proxy::Refusals::default(),
            tls_failures: 0,
            tls_log: RateLimit::default(),
            title: super::Title::new(spec.name),
            title_due: None,
        })
    }

    fn client_limit(&self) -> u32 {
        self.spec.client_limit.max(1)
    }

    fn avail(&self) -> u32 {
        if self.done_accepting || self.stopping {
            return 0;
        }
        let mut free = self.client_limit().saturating_sub(self.active);
        if self.spec.service_count > 0 {
            let left = (self.spec.service_count as u64).saturating_sub(self.accepted);
            free = free.min(left.min(u32::MAX as u64) as u32);
        }
        free
    }

    fn run(&mut self) -> i32 {
        // Initial status: the master counts the start-up as successful now.
        if let Err(e) = self.status.send(self.avail()) {
            log_svc!(self.spec.name, "status pipe write failed: {e}");
            return EXIT_STARTUP_FAILED;
        }
        self.set_listening(true);
        self.title.update(0, Instant::now());
        let mut events = Events::with_capacity(256);
        loop {
            let now = Instant::now();
            let timeout = self.next_timeout(now);
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() != io::ErrorKind::Interrupted {
                    log_svc!(self.spec.name, "poll failed: {e}");
                    return 1;
                }
            }
            for ev in events.iter() {
                let t = ev.token();
                if t == SIGNAL {
                    self.on_signals();
                } else if t.0 > LISTENER_BASE - self.listeners.len() && t.0 <= LISTENER_BASE {
                    self.listener_ready[LISTENER_BASE - t.0] = true;
                } else {
                    let readable = ev.is_readable() || ev.is_read_closed() || ev.is_error();
                    let writable = ev.is_writable() || ev.is_write_closed() || ev.is_error();
                    if ev.is_read_closed() || ev.is_error() {
                        if let Some(e) = self.conns.get_mut(t.0) {
                            e.io.hup = true;
                        }
                    }
                    self.conn_event(t.0, readable, writable);
                }
            }
            self.run_pending();
            let now = Instant::now();
            self.expire(now);
            if let Some(until) = self.emfile_until {
                if now >= until {
                    self.emfile_until = None;
                    // Re-registering reports connections still queued.
                    self.set_listening(false);
                }
            }
            if self.room_wait_until.is_some_and(|t| now >= t) {
                self.room_wait_until = None;
                self.set_listening(false);
            }
            self.accept_loop();
            self.report(Instant::now());
            self.title_due = self.title.update(self.active, Instant::now());
            self.compact_timers();
            self.trim_when_idle(Instant::now());
            if (self.stopping || self.done_accepting) && self.active == 0 {
                self.hand_off_lingering();
                if self.lingering == 0 {
                    // Make sure the master sees us leave with 0 free slots.
                    self.status.leaving();
                    return 0;
                }
            }
        }
    }

    fn next_timeout(&self, now: Instant) -> Option<Duration> {
        if !self.pending.is_empty() {
            return Some(Duration::ZERO);
        }
        let mut next: Option<Instant> = self.timers.next();
        for t in [
            self.emfile_until,
            self.status_due,
            self.trim_at,
            self.room_wait_until,
            self.title_due,
        ]
        .into_iter()
        .flatten()
        {
            next = Some(next.map_or(t, |n| n.min(t)));
        }
        next.map(|t| t.saturating_duration_since(now) + Duration::from_micros(500))
    }

    /// Drops the timer entries of connections that are gone (see
    /// [`Timers::compact`]): a closed connection's entry would otherwise
    /// stay until its deadline, up to the idle timeout.
    fn compact_timers(&mut self) {
        let conns = &self.conns;
        self.timers.compact(conns.len(), |at, key, gen| {
            conns
                .get(key)
                .is_some_and(|e| e.gen == gen && e.heap_at == Some(at))
        });
    }

    /// One second after the last client left, returns the heap the burst
    /// used to the kernel (once per idle period).
    fn trim_when_idle(&mut self, now: Instant) {
        if self.active > 0 {
            self.trimmed = false;
            self.trim_at = None;
        } else if !self.trimmed {
            match self.trim_at {
                None => self.trim_at = Some(now + Duration::from_secs(1)),
                Some(t) if now >= t => {
                    sys::proc::trim_heap();
                    self.trimmed = true;
                    self.trim_at = None;
                }
                Some(_) => {}
            }
        }
    }

    /// Whether a new client can get a slot by closing an evictable one.
    fn can_make_room(&self) -> bool {
        !self.done_accepting && !self.stopping && self.evictable > 0
    }

    fn report(&mut self, now: Instant) {
        let avail = self.avail();
        if avail > 0 {
            // Room again after the loop turn (not just the slot an eviction
            // freed for the client it accepted): the "full" notice is spent.
            self.overflow = false;
        }
        let v = if avail == 0 && self.can_make_room() {
            status::MAKE_ROOM
        } else {
            avail
        };
        self.status_due = self.status.update(v, now);
    }

    // ---- listeners ------------------------------------------------------

    /// Registers or deregisters the listeners to match what the worker can
    /// take. `force_off` re-arms them (a fresh registration reports
    /// connections that are already queued).
    fn set_listening(&mut self, force_off: bool) {
        let want = !self.done_accepting
            && !self.stopping
            && self.emfile_until.is_none()
            && (self.avail() > 0
                || (self.overflow && self.can_make_room() && self.room_wait_until.is_none()));
        if force_off && self.listening {
            self.deregister_listeners();
        }
        if want && !self.listening {
            for (i, l) in self.listeners.iter().enumerate() {
                let raw = l.as_raw_fd();
                if let Err(e) = self.poll.registry().register(
                    &mut SourceFd(&raw),
                    listener_token(i),
                    Interest::READABLE,
                ) {
                    log_svc!(self.spec.name, "cannot watch listener: {e}");
                }
                self.listener_ready[i] = true;
            }
            self.listening = true;
        } else if !want && self.listening {
            self.deregister_listeners();
        }
    }

    fn deregister_listeners(&mut self) {
        for l in &self.listeners {
            let raw = l.as_raw_fd();
            let _ = self.poll.registry().deregister(&mut SourceFd(&raw));
        }
        self.listening = false;
    }

    fn close_listeners(&mut self) {
        if self.listening {
            self.deregister_listeners();
        }
        self.listeners.clear();
        self.listener_ready.clear();
    }

    fn accept_loop(&mut self) {
        if !self.listening {
            return;
        }
        let mut i = 0;
        while self.listening
            && (self.avail() > 0 || (self.overflow && self.can_make_room()))
            && !self.listeners.is_empty()
        {
            if !self.listener_ready.iter().any(|r| *r) {
                break;
            }
            let idx = i % self.listeners.len();
            i += 1;
            if !self.listener_ready[idx] {
                continue;
            }
            // Full: choose whom to close before taking the new client.
            let victim = if self.active >= self.client_limit() {
                match self.victim(Instant::now()) {
                    Ok(v) => Some(v),
                    Err(wait) => {
                        self.room_wait_until = wait;
                        self.deregister_listeners();
                        break;
                    }
                }
            } else {
                None
            };
            match sys::io::accept(self.listeners[idx].as_fd()) {
                Ok((fd, peer)) => {
                    if let Some(v) = victim {
                        self.evict(v);
                    }
                    self.accepted += 1;
                    self.status.count_accept();
                    if self.spec.service_count > 0
                        && self.accepted >= self.spec.service_count as u64
                    {
                        self.done_accepting = true;
                        // Tell the master first, so it can fork the
                        // replacement while we serve.
                        self.report(Instant::now());
                        self.close_listeners();
                    }
                    self.new_conn(fd, peer, idx);
                }
                Err(e) => match e.raw_os_error() {
                    Some(libc::EAGAIN) => self.listener_ready[idx] = false,
                    Some(libc::EINTR)
                    | Some(libc::ECONNABORTED)
                    | Some(libc::EPROTO)
                    | Some(libc::EPERM)
                    | Some(libc::ENETDOWN)
                    | Some(libc::ENOPROTOOPT)
                    | Some(libc::EHOSTDOWN)
                    | Some(libc::ENONET)
                    | Some(libc::EHOSTUNREACH)
                    | Some(libc::EOPNOTSUPP)
                    | Some(libc::ENETUNREACH) => {}
                    Some(libc::EMFILE) | Some(libc::ENFILE) | Some(libc::ENOBUFS)
                    | Some(libc::ENOMEM) => {
                        let now = Instant::now();
                        if self.emfile_log.ready(now, Duration::from_secs(1)) {
                            log_svc!(
                                self.spec.name,
                                "accept() failed: {e}; not accepting for {} ms \
                                 ({} clients open, {} lingering)",
                                EMFILE_PAUSE.as_millis(),
                                self.active,
                                self.lingering
                            );
                        }
                        self.emfile_until = Some(now + EMFILE_PAUSE);
                        self.set_listening(false);
                        return;
                    }
                    _ => {
                        log_svc!(self.spec.name, "accept() failed: {e}");
                        self.listener_ready[idx] = false;
                    }
                },
            }
        }
        if self.listening && self.avail() == 0 {
            self.set_listening(false);
        }
    }

    /// The connection to close for a new client: the active one idle
    /// longest (at least [`MIN_IDLE_TO_EVICT`]) that the handler has not
    /// marked established. Without one: when one becomes eligible, if any.
    fn victim(&self, now: Instant) -> Result<usize, Option<Instant>> {
        let (key, e) = self
            .conns
            .iter()
            .filter(|(_, e)| e.phase == Phase::Active && e.evictable && !e.io.close_req)
            .min_by_key(|(_, e)| e.last_active)
            .ok_or(None)?;
        let eligible = e.last_active + MIN_IDLE_TO_EVICT;
        if now >= eligible {
            Ok(key)
        } else {
            Err(Some(eligible))
        }
    }

    /// Closes `key` to make room for a new client; logs at most once a
    /// second, with counts.
    fn evict(&mut self, key: usize) {
        self.remove(key);
        self.evicted_unlogged += 1;
        self.evicted_total += 1;
        let now = Instant::now();
        if self.evict_log.ready(now, Duration::from_secs(1)) {
            log_svc!(
                self.spec.name,
                "client_limit ({}) reached and the service is full: closed {} connection(s) \
                 idle longest or without a complete first request to make room for new \
                 clients ({} in all; {} open, {} of them protected)",
                self.client_limit(),
                self.evicted_unlogged,
                self.evicted_total,
                self.active,
                self.active - self.evictable
            );
            self.evicted_unlogged = 0;
        }
    }

    // ---- connections ----------------------------------------------------

    fn new_conn(&mut self, fd: OwnedFd, peer: Option<std::net::SocketAddr>, listener: usize) {
        let now = Instant::now();
        let facts = self
            .listener_facts
            .get(listener)
            .copied()
            .unwrap_or_default();
        let info = ConnInfo::of(fd.as_fd(), peer, facts.bound, facts.name, self.spec.name);
        let mut io = ConnIo::new(fd, info);
        if facts.haproxy {
            let peer = io.info.peer;
            if !proxy::trusted(self.haproxy_trusted, peer) {
                self.proxy_refusals
                    .refused(self.spec.name, peer, proxy::UNTRUSTED);
                return;
            }
            io.proxy = Some(Box::default());
        } else if !set_up_tls(self.tls.as_ref(), self.spec.name, &mut io, facts.ssl) {
            return;
        }
        let entry = self.conns.vacant_entry();
        let key = entry.key();
        self.next_gen += 1;
        entry.insert(Entry {
            io,
            state: None,
            phase: Phase::Active,
            deadline: now + self.spec.timeouts.idle_client,
            first_deadline: H::FIRST_REQUEST_DEADLINE
                .then(|| now + self.spec.timeouts.first_request),
            last_active: now,
            evictable: true,
            got_data: false,
            shutdown_pending: false,
            gen: self.next_gen,
            heap_at: None,
            queued: false,
            write_interest: false,
            registered: false,
            ssl: facts.ssl,
        });
        self.active += 1;
        self.evictable += 1;
        let gen = self.next_gen;
        if self.conns[key].io.proxy.is_some() {
            // The PROXY header first (then any handshake), within its own
            // deadline.
            self.set_deadline(key, now + proxy::HEADER_TIMEOUT);
            self.proxy_header(key, now);
        } else if self.conns[key].io.handshaking() {
            // The handler sees the connection once the handshake is done.
            self.set_deadline(key, now + self.spec.timeouts.idle_client);
            self.handshake(key, now);
        } else {
            self.open(key, now);
        }
        self.watch(key, gen);
    }

    /// Adds a connection that is still open after its accept's callbacks to
    /// the epoll set (edge-triggered: what arrived meanwhile is reported at
    /// once, as `epoll_ctl` checks readiness when it adds).
    fn watch(&mut self, key: usize, gen: u64) {
        let Some(e) = self.conns.get_mut(key).filter(|e| e.gen == gen) else {
            return;
        };
        if e.registered {
            return;
        }
        let interest = if e.write_interest {
            Interest::READABLE | Interest::WRITABLE
        } else {
            Interest::READABLE
        };
        let raw = e.io.fd.as_raw_fd();
        match self
            .poll
            .registry()
            .register(&mut SourceFd(&raw), Token(key), interest)
        {
            Ok(()) => e.registered = true,
            Err(err) => {
                log_svc!(self.spec.name, "cannot watch a connection: {err}");
                self.remove(key);
            }
        }
    }

    /// Runs the handler's `open` (after the TLS handshake, if any).
    fn open(&mut self, key: usize, now: Instant) {
        let e = &mut self.conns[key];
        let state = self.handler.open(&mut Conn { io: &mut e.io });
        e.state = Some(state);
        if self.stopping {
            // Nothing read yet: shut down after the first bytes.
            self.conns[key].shutdown_pending = true;
        }
        self.after_callback(key, now);
        // What the client sent before the accept is usually here already:
        // serve it now, within a long accept batch, so that a waiting
        // request never looks idle (and so evictable) before its first read.
        self.call_readable(key, now);
    }

    /// Reads what has arrived of a PROXY header; when it is complete, goes
    /// on to the TLS handshake or the handler.
    fn proxy_header(&mut self, key: usize, now: Instant) {
        let Some(e) = self.conns.get_mut(key) else {
            return;
        };
        let Some(reader) = e.io.proxy.as_mut() else {
            return;
        };
        let fd = e.io.fd.as_fd();
        match reader.feed(|buf| sys::io::recv(fd, buf)) {
            proxy::Step::Pending => e.io.read_ready = false,
            proxy::Step::Failed(why) => {
                let peer = e.io.info.peer;
                self.proxy_refusals.refused(self.spec.name, peer, &why);
                self.remove(key);
            }
            proxy::Step::Done(addrs) => {
                e.io.proxy = None;
                e.io.proxied = addrs;
                if !set_up_tls(self.tls.as_ref(), self.spec.name, &mut e.io, e.ssl) {
                    self.remove(key);
                    return;
                }
                self.set_deadline(key, now + self.spec.timeouts.idle_client);
                if self.conns[key].io.handshaking() {
                    self.handshake(key, now);
                } else {
                    self.open(key, now);
                }
            }
        }
    }

    /// Drives a TLS handshake (at accept, or after STARTTLS) on a readiness
    /// event; opens the connection for the handler when it is done.
    fn handshake(&mut self, key: usize, now: Instant) {
        let Some(e) = self.conns.get_mut(key) else {
            return;
        };
        match e.io.drive_handshake() {
            Handshake::Pending => {
                if e.io.broken {
                    self.remove(key);
                    return;
                }
                self.watch_writes(key);
            }
            Handshake::Failed(why) => {
                let peer = e.io.info.peer;
                self.tls_failed(peer, &why, now);
                // The alert, if any, is already sent (best effort).
                self.remove(key);
            }
            Handshake::Done => {
                if e.state.is_none() {
                    self.open(key, now);
                } else {
                    // After STARTTLS: the client may have sent its first
                    // command with the handshake's last flight.
                    e.io.read_ready = true;
                    self.call_readable(key, now);
                }
            }
        }
    }

    /// Counts a failed handshake; logs at most once a second.
    fn tls_failed(&mut self, peer: Option<std::net::SocketAddr>, why: &str, now: Instant) {
        self.tls_failures += 1;
        if self.tls_log.ready(now, Duration::from_secs(1)) {
            let peer = peer.map_or_else(|| "?".to_string(), |p| p.to_string());
            let more = match self.tls_failures {
                1 => String::new(),
                n => format!(" ({} more since the last message)", n - 1),
            };
            log_svc!(
                self.spec.name,
                "TLS handshake with {peer} failed: {why}{more}"
            );
            self.tls_failures = 0;
        }
    }

    fn watch_writes(&mut self, key: usize) {
        let e = &mut self.conns[key];
        if e.io.pending() > 0 && e.io.blocked_write && !e.write_interest {
            // Not yet in the epoll set: `watch` adds it with this interest.
            if e.registered {
                let raw = e.io.fd.as_raw_fd();
                let _ = self.poll.registry().reregister(
                    &mut SourceFd(&raw),
                    Token(key),
                    Interest::READABLE | Interest::WRITABLE,
                );
            }
            e.write_interest = true;
        }
    }

    /// The state machine after every handler callback.
    fn after_callback(&mut self, key: usize, now: Instant) {
        let Some(e) = self.conns.get_mut(key) else {
            return;
        };
        if e.io.broken {
            self.remove(key);
            return;
        }
        if e.io.did_read {
            e.last_active = now;
            e.got_data = true;
        }
        if e.shutdown_pending && (e.got_data || e.io.eof) && !e.io.close_req {
            e.shutdown_pending = false;
            e.io.told_shutdown = true;
            if let Some(st) = e.state.as_mut() {
                self.handler.shutdown(st, &mut Conn { io: &mut e.io });
            }
        }
        if e.io.request_done {
            e.first_deadline = None;
        }
        if e.io.established && e.evictable {
            e.evictable = false;
            self.evictable -= 1;
        }
        let e = &mut self.conns[key];
        if !e.io.close_req && e.io.tls.is_some() {
            // What the callback wrote (see `Conn::write`).
            e.io.send_queued();
            if e.io.broken {
                self.remove(key);
                return;
            }
        }
        self.watch_writes(key);
        let e = &mut self.conns[key];
        if e.io.close_req {
            e.io.queue_close_notify();
            if e.io.broken {
                self.remove(key);
                return;
            }
            self.watch_writes(key);
            let e = &mut self.conns[key];
            if e.io.pending() == 0 {
                self.begin_linger(key, now);
            } else {
                // Flushing before the close: bounded by the idle timeout.
                self.set_deadline(key, now + self.spec.timeouts.idle_client);
            }
            return;
        }
        let again =
            e.io.read_ready && e.io.did_read && !e.io.eof && e.io.below_low_water() && !e.queued;
        if again {
            e.queued = true;
            self.pending.push(key);
        }
        self.set_deadline(key, self.active_deadline(key, now));
    }

    /// When an active connection times out: idle for `idle_client`, or its
    /// first request's deadline, whichever comes first.
    fn active_deadline(&self, key: usize, now: Instant) -> Instant {
        let mut at = now + self.spec.timeouts.idle_client;
        if let Some(f) = self.conns[key].first_deadline {
            at = at.min(f);
        }
        if let Some(d) = self.stop_deadline {
            at = at.min(d);
        }
        at
    }

    fn set_deadline(&mut self, key: usize, at: Instant) {
        let e = &mut self.conns[key];
        e.deadline = at;
        if e.heap_at.is_none_or(|h| at < h) {
            e.heap_at = Some(at);
            self.timers.push(at, key, e.gen);
        }
    }

    fn call_readable(&mut self, key: usize, now: Instant) {
        let Some(e) = self.conns.get_mut(key) else {
            return;
        };
        if e.phase != Phase::Active || e.io.close_req {
            return;
        }
        if e.io.proxy.is_some() {
            self.proxy_header(key, now);
            return;
        }
        if e.io.handshaking() {
            self.handshake(key, now);
            return;
        }
        if !e.io.below_low_water() {
            // Resumed from the writable event once the client has read.
            return;
        }
        e.io.did_read = false;
        if let Some(st) = e.state.as_mut() {
            self.handler.readable(st, &mut Conn { io: &mut e.io });
        }
        self.after_callback(key, now);
    }

    fn conn_event(&mut self, key: usize, readable: bool, writable: bool) {
        let now = Instant::now();
        let Some(e) = self.conns.get_mut(key) else {
            return;
        };
        if let Phase::Linger { .. } = e.phase {
            self.drain(key, now);
            return;
        }
        if writable && e.io.pending() > 0 {
            let done = e.io.flush();
            if e.io.broken {
                self.remove(key);
                return;
            }
            if done && e.io.handshaking() {
                if readable {
                    self.handshake(key, now);
                }
                return;
            }
            if done && e.io.close_req {
                e.last_active = now;
                self.begin_linger(key, now);
                return;
            }
            // The low-water mark: room for the handler (and for reading).
            if e.io.below_low_water() && !e.io.close_req {
                e.last_active = now;
                if let Some(st) = e.state.as_mut() {
                    self.handler.writable(st, &mut Conn { io: &mut e.io });
                }
                self.after_callback(key, now);
                let Some(e) = self.conns.get_mut(key) else {
                    return;
                };
                if e.io.read_ready && !readable {
                    self.call_readable(key, now);
                    return;
                }
            } else {
                e.last_active = now;
                self.set_deadline(key, self.active_deadline(key, now));
            }
        }
        if readable {
            let Some(e) = self.conns.get_mut(key) else {
                return;
            };
            e.io.read_ready = true;
            if e.io.below_low_water() {
                self.call_readable(key, now);
            }
        }
    }

    fn run_pending(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let keys = std::mem::take(&mut self.pending);
        let now = Instant::now();
        for key in &keys {
            if let Some(e) = self.conns.get_mut(*key) {
                e.queued = false;
                if e.io.read_ready && e.io.below_low_water() {
                    self.call_readable(*key, now);
                }
            }
        }
        // Reuse the allocation.
        let mut keys = keys;
        keys.clear();
        if self.pending.is_empty() {
            self.pending = keys;
        }
    }

    fn expire(&mut self, now: Instant) {
        while let Some((at, key, gen)) = self.timers.pop_due(now) {
            let Some(e) = self.conns.get_mut(key) else {
                continue;
            };
            if e.gen != gen || e.heap_at != Some(at) {
                continue;
            }
            if e.deadline > now {
                e.heap_at = Some(e.deadline);
                self.timers.push(e.deadline, key, gen);
                continue;
            }
            e.heap_at = None;
            match e.phase {
                Phase::Linger { .. } => self.remove(key),
                Phase::Active if e.io.close_req => self.remove(key),
                // Past the stop deadline the handler has had its chance.
                Phase::Active if self.stop_deadline.is_some_and(|d| now >= d) => self.remove(key),
                Phase::Active if e.io.proxy.is_some() => {
                    let peer = e.io.info.peer;
                    self.proxy_refusals.refused(
                        self.spec.name,
                        peer,
                        "timed out waiting for the PROXY header",
                    );
                    self.remove(key);
                }
                Phase::Active if e.io.handshaking() => {
                    let peer = e.io.info.peer;
                    self.tls_failed(
                        peer,
                        "timed out (the client sent no complete handshake)",
                        now,
                    );
                    self.remove(key);
                }
                Phase::Active => {
                    // A missed first-request deadline fires once; after it
                    // only the idle timeout applies (the default `timeout`
                    // closes anyway).
                    if e.first_deadline.is_some_and(|f| f <= now) {
                        e.first_deadline = None;
                    }
                    if let Some(st) = e.state.as_mut() {
                        self.handler.timeout(st, &mut Conn { io: &mut e.io });
                    }
                    self.after_callback(key, now);
                }
            }
        }
    }

    fn begin_linger(&mut self, key: usize, now: Instant) {
        let t = self.spec.timeouts;
        let e = &mut self.conns[key];
        if let Some(st) = e.state.take() {
            self.handler.closed(st);
        }
        // The test switch: a plain close(), reading nothing.
        if self.plain_close {
            self.remove(key);
            return;
        }
        // A complete exchange (`Conn::close_complete`) with nothing unread:
        // nothing to wait for, so close now (FIN). Checked before the
        // shutdown, so the client sees its EOF only after this choice.
        let mut bytes_left = t.linger_bytes;
        // Whether anything is unread: one read into a stack buffer, since
        // the answer is nearly always "no". The client's EOF or reset ends
        // it too: nothing left to wait for. Bytes that did come are
        // discarded and the rest is drained after the shutdown, as for any
        // lingering close (through the drain's own buffer).
        if e.io.complete {
            match sys::io::recv(e.io.fd.as_fd(), &mut [0u8; 512]) {
                Ok(n) if n > 0 => bytes_left = bytes_left.saturating_sub(n as u64),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                _ => {
                    self.remove(key);
                    return;
                }
            }
        }
        if shutdown_failed(&e.io) {
            self.remove(key);
            return;
        }
        let mut until = now + t.linger_total;
        if let Some(d) = self.stop_deadline {
            until = until.min(d);
        }
        e.phase = Phase::Linger { until, bytes_left };
        if std::mem::take(&mut e.evictable) {
            self.evictable -= 1;
        }
        self.active -= 1;
        self.lingering += 1;
        self.drain(key, now);
        self.set_listening(false);
    }

    /// Reads and discards what a lingering client still sends.
    fn drain(&mut self, key: usize, now: Instant) {
        let read_timeout = self.spec.timeouts.linger_read;
        let e = &mut self.conns[key];
        let Phase::Linger { until, bytes_left } = &mut e.phase else {
            return;
        };
        if self.scratch.is_empty() {
            self.scratch.resize(16 << 10, 0);
        }
        if linger::discard(e.io.fd.as_fd(), &mut self.scratch, bytes_left) == Drain::WouldBlock {
            let at = (now + read_timeout).min(*until);
            if at > now {
                self.set_deadline(key, at);
                return;
            }
        }
        self.remove(key);
    }

    fn remove(&mut self, key: usize) {
        if !self.conns.contains(key) {
            return;
        }
        let mut e = self.conns.remove(key);
        if e.evictable {
            self.evictable -= 1;
        }
        match e.phase {
            Phase::Active => self.active -= 1,
            Phase::Linger { .. } => self.lingering -= 1,
        }
        if let Some(st) = e.state.take() {
            self.handler.closed(st);
        }
        // Dropping the entry closes the socket, which also removes it from
        // the epoll set (only this process holds it).
        drop(e);
        if self.emfile_until.is_some() {
            // A descriptor was freed: try accepting again now.
            self.emfile_until = None;
        }
        self.set_listening(false);
    }

    /// Passes every lingering connection to the drainer (when there is one)
    /// so that this process can exit.
    fn hand_off_lingering(&mut self) {
        if self.lingering == 0 {
            return;
        }
        let Some(chan) = self.drain.take() else {
            return;
        };
        let now = Instant::now();
        let read = self.spec.timeouts.linger_read;
        let keys: Vec<usize> = self.conns.iter().map(|(k, _)| k).collect();
        for key in keys {
            let e = &self.conns[key];
            if let Phase::Linger { until, bytes_left } = e.phase {
                let msg = drain_msg(until.saturating_duration_since(now), read, bytes_left);
                if sys::net::send_fd(chan.as_fd(), e.io.fd.as_fd(), &msg).is_err() {
                    // Drainer busy or gone: keep draining here.
                    break;
                }
                self.remove(key);
            }
        }
        self.drain = Some(chan);
    }

    // ---- signals --------------------------------------------------------

    fn on_signals(&mut self) {
        while let Ok(Some(info)) = self.sigfd.read_signal() {
            match info.ssi_signo as i32 {
                libc::SIGTERM | libc::SIGINT | libc::SIGHUP => self.begin_stop(),
                // Idle kill: only when no client is being served.
                libc::SIGUSR1 if self.active == 0 => self.begin_stop(),
                // The master: the service is full and a client waits.
                libc::SIGUSR2 => {
                    self.overflow = true;
                    self.set_listening(false);
                }
                _ => {}
            }
        }
    }

    fn begin_stop(&mut self) {
        if self.stopping {
            return;
        }
        self.stopping = true;
        let now = Instant::now();
        let deadline = now + self.grace;
        self.stop_deadline = Some(deadline);
        self.close_listeners();
        let keys: Vec<usize> = self.conns.iter().map(|(k, _)| k).collect();
        for key in keys {
            let Some(e) = self.conns.get_mut(key) else {
                continue;
            };
            match &mut e.phase {
                Phase::Linger { until, .. } => {
                    *until = (*until).min(deadline);
                    let until = *until;
                    if e.deadline > until {
                        self.set_deadline(key, until);
                    }
                }
                Phase::Active if !e.got_data && !e.io.eof => {
                    // Accepted, but its first bytes have not arrived: not
                    // finished. Told after them, or cut at the deadline.
                    e.shutdown_pending = true;
                    self.set_deadline(key, self.active_deadline(key, now));
                }
                Phase::Active => {
                    e.io.told_shutdown = true;
                    if !e.io.close_req {
                        if let Some(st) = e.state.as_mut() {
                            self.handler.shutdown(st, &mut Conn { io: &mut e.io });
                        }
                        self.after_callback(key, now);
                    }
                }
            }
        }
    }
}

/// TLS on a new connection (after its PROXY header, if any: a `local`
/// certificate is chosen by the header's destination): the handshake
/// on an `ssl = yes` listener, else STARTTLS's context. False: close
/// the connection.
fn set_up_tls(
    tls: Option<&crate::tls::Contexts>,
    service: &str,
    io: &mut ConnIo,
    ssl: bool,
) -> bool {
    let Some(ctx) = tls else {
        // The master never starts a worker for an `ssl = yes` listener
        // without contexts; never serve plaintext there.
        return !ssl;
    };
    io.ssl_required = ctx.required;
    let local = io.local_addr().map(|a| a.ip());
    let cfg = ctx.for_local(local).clone();
    if ssl {
        if let Err(e) = io.start_tls(cfg) {
            log_svc!(service, "cannot start TLS: {e}");
            return false;
        }
    } else {
        io.starttls = Some(cfg);
    }
    true
}

fn shutdown_failed(io: &ConnIo) -> bool {
    sys::io::shutdown_write(io.fd.as_fd()).is_err()
}
