//! The two kinds of handler a service can run.
//!
//! * [`EventHandler`]: the runtime owns the socket and the mio loop; the
//!   handler reacts to "readable", "writable", "timeout" and "shutdown"
//!   through a small [`Conn`] API (read into a buffer, queue a write, close).
//!   It never blocks, and one process serves many clients. Per-connection
//!   state is the associated type [`EventHandler::State`].
//! * [`BlockingHandler`]: for `client_limit = 1` services. It gets a blocking
//!   [`Stream`] (`Read + Write`) and may block on disk or locks.
//!
//! Both are chosen at compile time: [`crate::spec::HandlerSpec::event`] and
//! [`crate::spec::HandlerSpec::blocking`] store a monomorphized function
//! pointer, so nothing is looked up by name at run time. One handler value
//! is created per worker process, after the process has dropped
//! privileges: with `Default`, or from the service's `settings { }`
//! section with [`crate::settings::WithSettings`]; a panic there counts as
//! a failed start-up.
//!
//! Whenever the server closes a connection (the handler calls
//! [`Conn::close`], or a blocking `serve` returns) the runtime does a
//! lingering close: flush, `shutdown(SHUT_WR)`, read and discard until EOF or
//! a limit, then `close()`.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::Arc;
use std::time::Duration;

use rustls::{ServerConfig, ServerConnection};

use crate::sys;

/// An event-driven, non-blocking connection handler (many clients per
/// process).
///
/// Callbacks run inside the worker's event loop and must not block. Reads
/// are edge-triggered underneath: in [`EventHandler::readable`], read until
/// [`Conn::read`] returns `WouldBlock`, or return early and the runtime calls
/// again on its next loop turn (it does so while the socket may still hold
/// data and at most half of [`Conn::write_limit`] is queued).
///
/// Output is bounded: [`Conn::write`] takes what fits under the
/// connection's write limit and says how much that was; the handler keeps
/// the rest (or stops producing) until [`EventHandler::writable`].
pub trait EventHandler: 'static {
    /// Per-connection state, created by [`EventHandler::open`].
    type State: 'static;

    /// Whether the client must send its whole first request within the
    /// service's `client_request_timeout`
    /// ([`crate::spec::Timeouts::first_request`]), counted from the accept
    /// and not reset by each byte (nginx's `client_header_timeout`). The
    /// handler ends the deadline with [`Conn::request_done`] (or
    /// [`Conn::set_established`]). Off by default; the built-in `http` sets
    /// it.
    const FIRST_REQUEST_DEADLINE: bool = false;

    /// Whether the worker may ask its master for the status of every
    /// service ([`master_status`]): the master then gives each worker of
    /// this handler a private channel. Off by default; the built-in
    /// `metrics` sets it.
    const MASTER_STATUS: bool = false;

    /// A new client was accepted. Writes queued here go out at once.
    fn open(&mut self, conn: &mut Conn<'_>) -> Self::State;

    /// The client may have sent data (or closed its side: `read` gives
    /// `Ok(0)`).
    fn readable(&mut self, state: &mut Self::State, conn: &mut Conn<'_>);

    /// There is room to write again: queued output had to wait (a send
    /// would block, or [`Conn::write`] refused or cut short a write) and
    /// the queue is now down to half of [`Conn::write_limit`] or less (it
    /// may be empty). Write the rest of a large response here; a handler
    /// that writes nothing is called again on the next drain. Not called
    /// once [`Conn::close`] was asked.
    fn writable(&mut self, state: &mut Self::State, conn: &mut Conn<'_>) {
        let _ = (state, conn);
    }

    /// The client was idle for the service's `idle_client` timeout. The
    /// default closes the connection.
    fn timeout(&mut self, state: &mut Self::State, conn: &mut Conn<'_>) {
        let _ = state;
        conn.close();
    }

    /// The worker is shutting down (SIGTERM, SIGHUP, idle kill). Finish what
    /// is in progress, then close; the default closes at once (after the
    /// queued output).
    fn shutdown(&mut self, state: &mut Self::State, conn: &mut Conn<'_>) {
        let _ = state;
        conn.close();
    }

    /// The connection is gone (closed by either side or by an error).
    fn closed(&mut self, state: Self::State) {
        let _ = state;
    }
}

/// A blocking handler for `client_limit = 1` services: one client at a time,
/// free to block.
pub trait BlockingHandler: 'static {
    /// Serves one client. When it returns the runtime flushes and closes the
    /// connection (lingering close). The stream's reads time out after the
    /// service's `idle_client` timeout and fail once the worker is told to
    /// stop while waiting for the client.
    fn serve(&mut self, stream: &mut Stream) -> io::Result<()>;
}

/// Who is connected, and where: read once at the accept, fixed for the
/// connection's life.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnInfo {
    /// The client's address (`None` for a unix socket's unnamed peer).
    pub peer: Option<SocketAddr>,
    /// The address the client connected to (`None` on a unix socket).
    pub local: Option<SocketAddr>,
    /// The listener's name (from the spec, never allocated).
    pub listener: &'static str,
    /// The service's name (from the spec).
    pub service: &'static str,
}

impl ConnInfo {
    /// The connection's addresses: the peer as `accept` gave it, and the
    /// local one from the listener when it is bound to one address (only a
    /// wildcard listener asks the socket, one system call).
    pub fn of(
        fd: BorrowedFd<'_>,
        peer: Option<SocketAddr>,
        bound: Option<SocketAddr>,
        listener: &'static str,
        service: &'static str,
    ) -> Self {
        let local = bound.or_else(|| {
            let sock = socket2::SockRef::from(&fd);
            sock.local_addr().ok().and_then(|a| a.as_socket())
        });
        ConnInfo {
            peer,
            local,
            listener,
            service,
        }
    }
}

/// A listener's own address when it is bound to one IP (every connection's
/// local address then), `None` for a wildcard or unix listener.
pub(crate) fn bound_address(listener: BorrowedFd<'_>) -> Option<SocketAddr> {
    let sock = socket2::SockRef::from(&listener);
    sock.local_addr()
        .ok()
        .and_then(|a| a.as_socket())
        .filter(|a| !a.ip().is_unspecified())
}

/// The runtime's side of one event-driven connection.
#[derive(Debug)]
pub(crate) struct ConnIo {
    pub fd: OwnedFd,
    /// Who is connected.
    pub info: ConnInfo,
    out: Vec<u8>,
    out_pos: usize,
    /// The socket may hold unread data (no `WouldBlock` seen since the last
    /// readiness event).
    pub read_ready: bool,
    /// A readiness event said the peer closed its side (`EPOLLRDHUP`) or
    /// the socket has an error: reads go on until they say so, even after
    /// a short one.
    pub hup: bool,
    /// The handler read something during the current callback.
    pub did_read: bool,
    /// The peer closed its sending side.
    pub eof: bool,
    /// A read or write failed for good (reset, broken pipe).
    pub broken: bool,
    /// The handler asked to close.
    pub close_req: bool,
    /// ... and said the exchange is complete ([`Conn::close_complete`]).
    pub complete: bool,
    /// A send returned `WouldBlock`: wait for a writable event.
    pub blocked_write: bool,
    /// This connection's write bound ([`Conn::write_limit`]).
    pub write_limit: usize,
    /// The handler received [`EventHandler::shutdown`].
    pub told_shutdown: bool,
    /// The handler marked the connection established: never evicted.
    pub established: bool,
    /// The handler said the first request is complete.
    pub request_done: bool,
    /// TLS on this connection (from the accept, or after STARTTLS).
    pub tls: Option<Box<ServerConnection>>,
    /// The context STARTTLS uses (`None`: TLS is not configured).
    pub starttls: Option<Arc<ServerConfig>>,
    /// `ssl = required`.
    pub ssl_required: bool,
    /// `close_notify` was queued.
    pub close_notify_sent: bool,
    /// `haproxy = yes`: the PROXY header being read (the handler sees
    /// the connection once it is complete).
    pub proxy: Option<Box<crate::proxy::Reader>>,
    /// The addresses the PROXY header carried.
    pub proxied: Option<crate::proxy::Addrs>,
}

/// The socket as `Read`/`Write` for rustls.
struct Sock<'a>(BorrowedFd<'a>);

impl io::Read for Sock<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        sys::io::recv(self.0, buf)
    }
}

/// Where a TLS handshake stands.
#[derive(Debug)]
pub(crate) enum Handshake {
    /// Waiting for the client.
    Pending,
    /// Finished: the connection carries application data.
    Done,
    /// Failed (the reason); any alert is queued.
    Failed(String),
}

impl ConnIo {
    pub fn new(fd: OwnedFd, info: ConnInfo) -> Self {
        ConnIo {
            fd,
            info,
            out: Vec::new(),
            out_pos: 0,
            read_ready: true,
            hup: false,
            did_read: false,
            eof: false,
            broken: false,
            close_req: false,
            complete: false,
            blocked_write: false,
            write_limit: Conn::WRITE_LIMIT,
            told_shutdown: false,
            established: false,
            request_done: false,
            tls: None,
            starttls: None,
            ssl_required: false,
            close_notify_sent: false,
            proxy: None,
            proxied: None,
        }
    }

    /// The address the client connected to: a PROXY header's destination,
    /// else the socket's.
    pub fn local_addr(&self) -> Option<std::net::SocketAddr> {
        match self.proxied {
            Some(a) => Some(a.dest),
            None => self.info.local,
        }
    }

    /// Starts TLS on this connection (the server side of a handshake).
    pub fn start_tls(&mut self, cfg: Arc<ServerConfig>) -> io::Result<()> {
        let mut c = ServerConnection::new(cfg).map_err(io::Error::other)?;
        // Handlers queue whatever they write, as on plaintext connections.
        c.set_buffer_limit(None);
        self.tls = Some(Box::new(c));
        Ok(())
    }

    /// Whether a TLS handshake is in progress.
    pub fn handshaking(&self) -> bool {
        self.tls.as_ref().is_some_and(|t| t.is_handshaking())
    }

    /// Drops the sent prefix of the output queue once it is larger than
    /// what is left, so that a queue that never empties (a slow reader fed
    /// as fast as it reads) stays within twice its bound instead of
    /// growing by everything ever sent. Amortized: each byte moves at most
    /// once per send.
    fn compact(&mut self) {
        if self.out_pos > 0 && self.out_pos >= self.pending() {
            self.out.drain(..self.out_pos);
            self.out_pos = 0;
        }
    }

    /// Moves what rustls has to send into the output queue.
    fn tls_out(&mut self) {
        self.compact();
        if let Some(t) = self.tls.as_mut() {
            while t.wants_write() {
                if t.write_tls(&mut self.out).is_err() {
                    break;
                }
            }
        }
    }

    /// TLS output below this much waits for the end of the callback.
    pub const TLS_DEFER: usize = 16 << 10;

    /// Sends queued output unless a send is already waiting for the socket.
    pub fn send_queued(&mut self) {
        if !self.blocked_write {
            self.flush();
        }
    }

    /// Reads TLS records from the socket and processes them. `Ok(0)`: the
    /// client closed the connection.
    fn tls_read_records(&mut self) -> io::Result<usize> {
        let Some(t) = self.tls.as_mut() else {
            return Ok(0);
        };
        let n = loop {
            match t.read_tls(&mut Sock(self.fd.as_fd())) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                r => break r?,
            }
        };
        let r = t.process_new_packets();
        self.tls_out();
        self.send_queued();
        match r {
            Ok(_) => Ok(n),
            Err(e) => Err(io::Error::new(io::ErrorKind::InvalidData, e)),
        }
    }

    /// One step of the handshake: reads what the client sent and queues
    /// (and sends) the answer.
    pub fn drive_handshake(&mut self) -> Handshake {
        loop {
            if !self.handshaking() {
                return Handshake::Done;
            }
            match self.tls_read_records() {
                Ok(0) => {
                    self.eof = true;
                    return Handshake::Failed("the client closed the connection".into());
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.read_ready = false;
                    return Handshake::Pending;
                }
                Err(e) => {
                    self.broken = true;
                    return Handshake::Failed(match e.kind() {
                        io::ErrorKind::InvalidData => e.to_string(),
                        _ => format!("{e}"),
                    });
                }
            }
            if self.broken {
                return Handshake::Failed("the connection broke".into());
            }
        }
    }

    /// Queues TLS's `close_notify` (once) before a close.
    pub fn queue_close_notify(&mut self) {
        if self.close_notify_sent || self.broken {
            return;
        }
        if let Some(t) = self.tls.as_mut() {
            t.send_close_notify();
            self.close_notify_sent = true;
            self.tls_out();
            self.send_queued();
        }
    }

    pub fn pending(&self) -> usize {
        self.out.len() - self.out_pos
    }

    /// At most half the write bound is queued: the runtime calls
    /// `readable` and `writable` only then (the one low-water mark).
    pub fn below_low_water(&self) -> bool {
        self.pending() <= self.write_limit / 2
    }

    /// Sends queued output until done or `WouldBlock`. Returns true when the
    /// queue is empty.
    pub fn flush(&mut self) -> bool {
        while self.out_pos < self.out.len() {
            match sys::io::send(self.fd.as_fd(), &self.out[self.out_pos..]) {
                Ok(n) => self.out_pos += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.blocked_write = true;
                    return false;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    self.broken = true;
                    self.out.clear();
                    self.out_pos = 0;
                    return true;
                }
            }
        }
        self.out.clear();
        self.out_pos = 0;
        if self.out.capacity() > 1 << 20 {
            self.out.shrink_to(64 << 10);
        }
        self.blocked_write = false;
        true
    }
}

/// What an [`EventHandler`] can do with its connection.
#[derive(Debug)]
pub struct Conn<'a> {
    pub(crate) io: &'a mut ConnIo,
}

impl Conn<'_> {
    /// The default write bound: the most output a connection queues beyond
    /// what the kernel's socket buffer took (see [`Conn::write`]). While
    /// more than half of it is queued the runtime does not call
    /// [`EventHandler::readable`], and [`EventHandler::writable`] comes
    /// once the queue is back to half or less.
    pub const WRITE_LIMIT: usize = 256 << 10;

    /// The client's address (`None` for a unix socket's unnamed peer):
    /// on a `haproxy = yes` listener, the one the PROXY header carried.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        match self.io.proxied {
            Some(a) => Some(a.source),
            None => self.io.info.peer,
        }
    }

    /// The address the client connected to (`None` on a unix socket): on
    /// a `haproxy = yes` listener, the original destination the PROXY
    /// header carried.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.io.local_addr()
    }

    /// The name of the listener the client connected to: an
    /// `inet_listener`'s name (`imap`, `imaps`), or a `unix_listener`'s path
    /// as the config wrote it.
    pub fn listener_name(&self) -> &'static str {
        self.io.info.listener
    }

    /// The name of the service serving the connection (`service NAME`).
    pub fn service_name(&self) -> &'static str {
        self.io.info.service
    }

    /// Reads into `buf` without blocking. `Ok(0)` means the client closed its
    /// side; `Err(WouldBlock)` means nothing more for now.
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.io.eof {
            return Ok(0);
        }
        if self.io.broken {
            return Err(io::ErrorKind::ConnectionReset.into());
        }
        if self.io.tls.is_some() {
            return self.read_tls(buf);
        }
        if !self.io.read_ready && !self.io.hup {
            // A short read drained the socket since the last readiness
            // event; new bytes bring a new (edge-triggered) one.
            return Err(io::ErrorKind::WouldBlock.into());
        }
        loop {
            match sys::io::recv(self.io.fd.as_fd(), buf) {
                Ok(0) if !buf.is_empty() => {
                    self.io.eof = true;
                    self.io.read_ready = false;
                    return Ok(0);
                }
                Ok(n) => {
                    self.io.did_read = true;
                    // Less than asked for: the socket is drained (as nginx
                    // reads), so the `WouldBlock` read is saved, unless the
                    // peer's close is pending.
                    if n < buf.len() && !self.io.hup {
                        self.io.read_ready = false;
                    }
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.io.read_ready = false;
                    if e.kind() != io::ErrorKind::WouldBlock {
                        self.io.broken = true;
                    }
                    return Err(e);
                }
            }
        }
    }

    fn read_tls(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use io::Read;
        loop {
            if self.io.handshaking() {
                // STARTTLS just began: the worker drives the handshake.
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let t = self.io.tls.as_mut().expect("TLS connection");
            match t.reader().read(buf) {
                Ok(0) if !buf.is_empty() => {
                    // close_notify.
                    self.io.eof = true;
                    self.io.read_ready = false;
                    return Ok(0);
                }
                Ok(n) => {
                    self.io.did_read = true;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    // Closed without close_notify: the end, all the same.
                    self.io.eof = true;
                    self.io.read_ready = false;
                    return Ok(0);
                }
                Err(e) => {
                    self.io.broken = true;
                    return Err(e);
                }
            }
            match self.io.tls_read_records() {
                Ok(0) => {
                    self.io.eof = true;
                    self.io.read_ready = false;
                    // Plaintext still buffered comes first.
                    continue;
                }
                Ok(_) => {}
                Err(e) => {
                    self.io.read_ready = false;
                    if e.kind() != io::ErrorKind::WouldBlock {
                        self.io.broken = true;
                    }
                    return Err(e);
                }
            }
        }
    }

    /// Sends or queues as much of `data` as the connection's write bound
    /// allows, and returns how much that was: the contract of a
    /// non-blocking socket, with the runtime's queue in front of the
    /// kernel's.
    ///
    /// * `Ok(n)`: the first `n` bytes are taken (sent at once when nothing
    ///   is waiting, so small replies cost no copy; the rest queued). `n` is
    ///   less than `data.len()` when the queue reached
    ///   [`Conn::write_limit`]: keep the rest and write it from
    ///   [`EventHandler::writable`].
    /// * `Err(WouldBlock)`: the queue is full; nothing was taken.
    /// * `Err(BrokenPipe)`: the connection broke (reset, broken pipe); it
    ///   ends after the callback returns.
    ///
    /// A write of at most [`Conn::write_room`] bytes is always taken whole.
    /// [`EventHandler::open`] starts with an empty queue and
    /// [`EventHandler::readable`] is only called while at least half the
    /// limit is free, so a request/response handler whose answers to one
    /// `readable` call stay under that never sees a short write. On a TLS
    /// connection the queue holds encrypted records (a little more than
    /// the plaintext).
    pub fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.io.broken {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        if data.is_empty() {
            return Ok(0);
        }
        let room = self.write_room();
        if room == 0 {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        if self.io.tls.is_some() {
            let mut taken = 0;
            while taken < data.len() {
                let room = self.write_room();
                let Some(t) = self.io.tls.as_mut() else { break };
                if room == 0 {
                    // Only after a send that had to wait: `writable` comes.
                    break;
                }
                let take = (data.len() - taken).min(room);
                // Buffered in plaintext until the handshake is done.
                let _ = io::Write::write_all(&mut t.writer(), &data[taken..taken + take]);
                taken += take;
                self.io.tls_out();
                // Small records wait for the end of the callback, so that a
                // response and the close_notify after it leave in one send (a
                // client that closes once it has the response then finds no
                // unread record, and sends no RST). Larger ones go now, so
                // the queue only fills while the client is not reading.
                if self.io.pending() >= ConnIo::TLS_DEFER.min(self.io.write_limit / 2) {
                    self.io.send_queued();
                    if self.io.broken {
                        return Err(io::ErrorKind::BrokenPipe.into());
                    }
                }
            }
            return Ok(taken);
        }
        let mut rest = data;
        if self.io.pending() == 0 && !self.io.blocked_write {
            while !rest.is_empty() {
                match sys::io::send(self.io.fd.as_fd(), rest) {
                    Ok(n) => rest = &rest[n..],
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        self.io.blocked_write = true;
                        break;
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => {
                        self.io.broken = true;
                        return Err(io::ErrorKind::BrokenPipe.into());
                    }
                }
            }
        }
        let queued = rest.len().min(room);
        if queued > 0 {
            self.io.compact();
            self.io.out.extend_from_slice(&rest[..queued]);
        }
        Ok(data.len() - rest.len() + queued)
    }

    /// How many bytes [`Conn::write`] takes whole right now:
    /// [`Conn::write_limit`] minus [`Conn::pending_output`].
    pub fn write_room(&self) -> usize {
        self.io.write_limit.saturating_sub(self.io.pending())
    }

    /// The most output this connection queues beyond what the kernel took
    /// ([`Conn::WRITE_LIMIT`] unless [`Conn::set_write_limit`] changed it).
    pub fn write_limit(&self) -> usize {
        self.io.write_limit
    }

    /// Sets this connection's write bound (at least 4 KiB): larger for
    /// fewer wake-ups on fast bulk transfers, smaller for many mostly idle
    /// clients.
    pub fn set_write_limit(&mut self, bytes: usize) {
        self.io.write_limit = bytes.max(4 << 10);
    }

    /// Bytes queued but not yet handed to the kernel.
    pub fn pending_output(&self) -> usize {
        self.io.pending()
    }

    /// Closes the connection once the queued output is sent (lingering
    /// close). No further callbacks except [`EventHandler::closed`].
    pub fn close(&mut self) {
        self.io.close_req = true;
    }

    /// Closes like [`Conn::close`], for when the protocol's exchange is
    /// over and the client sends nothing more (an HTTP request with
    /// `Connection: close` read whole, with nothing after it; a `QUIT`
    /// answered): if nothing unread has arrived when the output is sent,
    /// the socket is closed at once instead of waiting for the client's
    /// FIN, as nginx's `lingering_close on` does. Anything unread that has
    /// arrived still gets the whole lingering close. Bytes the client sends
    /// after the close, against its protocol, get a reset.
    pub fn close_complete(&mut self) {
        self.io.complete = true;
        self.io.close_req = true;
    }

    /// True once [`Conn::close`] was called.
    pub fn is_closing(&self) -> bool {
        self.io.close_req
    }

    /// True once the client closed its sending side.
    pub fn peer_closed(&self) -> bool {
        self.io.eof
    }

    /// True once the worker was told to shut down.
    pub fn shutting_down(&self) -> bool {
        self.io.told_shutdown
    }

    /// The client's first request is complete: ends the first-request
    /// deadline ([`EventHandler::FIRST_REQUEST_DEADLINE`]). The connection
    /// stays evictable.
    pub fn request_done(&mut self) {
        self.io.request_done = true;
    }

    /// Marks the connection established (say, a logged-in client): it is
    /// never closed to make room for a new client, and the first-request
    /// deadline ends. Until then, when the service is full and a new client
    /// waits, the connection idle longest is closed to make room (as
    /// Dovecot's login processes do with clients that have not logged in).
    pub fn set_established(&mut self) {
        self.io.established = true;
        self.io.request_done = true;
    }

    /// True once [`Conn::set_established`] was called.
    pub fn is_established(&self) -> bool {
        self.io.established
    }

    /// True when the connection is encrypted (an `ssl = yes` listener, or
    /// after [`Conn::start_tls`]).
    pub fn is_tls(&self) -> bool {
        self.io.tls.is_some()
    }

    /// True when the global `ssl = required`: as in Dovecot, a handler must
    /// not accept plaintext authentication on a connection that is not
    /// [`Conn::is_tls`].
    pub fn ssl_required(&self) -> bool {
        self.io.ssl_required
    }

    /// True when [`Conn::start_tls`] can work: TLS is configured
    /// (`ssl` is not `no` and a certificate is set) and the connection is
    /// not encrypted yet. Advertise STARTTLS only then.
    pub fn can_start_tls(&self) -> bool {
        self.io.starttls.is_some() && self.io.tls.is_none()
    }

    /// STARTTLS: upgrades the connection in place. Call it after queuing the
    /// protocol's go-ahead (`a OK Begin TLS negotiation now`), which is sent
    /// in plaintext first; from then on the runtime runs the handshake, and
    /// the handler's next [`EventHandler::readable`] sees the client's
    /// first decrypted bytes. Discard anything the client sent after the
    /// command before calling this (it was sent in plaintext). Fails when
    /// [`Conn::can_start_tls`] is false.
    pub fn start_tls(&mut self) -> io::Result<()> {
        if self.io.tls.is_some() {
            return Err(io::Error::other("the connection is already encrypted"));
        }
        let Some(cfg) = self.io.starttls.clone() else {
            return Err(io::Error::other(
                "TLS is not configured (ssl = no, or no ssl_cert)",
            ));
        };
        self.io.start_tls(cfg)
    }
}

/// The blocking client stream given to a [`BlockingHandler`].
#[derive(Debug)]
pub struct Stream {
    plain: Plain,
    info: ConnInfo,
    tls: Option<Box<ServerConnection>>,
    starttls: Option<Arc<ServerConfig>>,
    ssl_required: bool,
    /// The addresses a PROXY header carried (`haproxy = yes`).
    proxied: Option<crate::proxy::Addrs>,
}

/// The socket itself: reads bounded by the idle timeout and the stop flag.
#[derive(Debug)]
struct Plain {
    sock: socket2::Socket,
    idle: Duration,
    grace: Duration,
    got_data: bool,
    /// When the stop flag was first seen during a read.
    stop_deadline: Option<std::time::Instant>,
}

impl Stream {
    pub(crate) fn new(
        fd: OwnedFd,
        info: ConnInfo,
        idle: Duration,
        grace: Duration,
    ) -> io::Result<Self> {
        let sock = socket2::Socket::from(fd);
        sock.set_nonblocking(false)?;
        sock.set_write_timeout(Some(idle))?;
        Ok(Stream {
            plain: Plain {
                sock,
                idle,
                grace,
                got_data: false,
                stop_deadline: None,
            },
            info,
            tls: None,
            starttls: None,
            ssl_required: false,
            proxied: None,
        })
    }

    pub(crate) fn into_fd(self) -> OwnedFd {
        self.plain.sock.into()
    }

    /// The client's address (`None` for unnamed unix peers): on a
    /// `haproxy = yes` listener, the one the PROXY header carried.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        match self.proxied {
            Some(a) => Some(a.source),
            None => self.info.peer,
        }
    }

    /// The address the client connected to (`None` on a unix socket): on
    /// a `haproxy = yes` listener, the original destination the PROXY
    /// header carried.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        match self.proxied {
            Some(a) => Some(a.dest),
            None => self.info.local,
        }
    }

    /// Reads the PROXY protocol header of a `haproxy = yes` listener
    /// (within [`crate::proxy::HEADER_TIMEOUT`]); the addresses it carries
    /// become [`Stream::peer_addr`] and [`Stream::local_addr`].
    pub(crate) fn read_proxy_header(&mut self) -> Result<(), String> {
        use crate::proxy::{Reader, Step, HEADER_TIMEOUT};
        let deadline = std::time::Instant::now() + HEADER_TIMEOUT;
        let idle = self.plain.idle;
        let mut reader = Reader::default();
        let step = loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                break Step::Failed("timed out waiting for the PROXY header".into());
            }
            self.plain.idle = left;
            let plain = &mut self.plain;
            match reader.feed(|b| io::Read::read(plain, b)) {
                Step::Pending => continue,
                s => break s,
            }
        };
        self.plain.idle = idle;
        // The header is not the client's data (a stop still lets the
        // client's first request in).
        self.plain.got_data = false;
        match step {
            Step::Done(a) => {
                self.proxied = a;
                Ok(())
            }
            Step::Failed(e) => Err(e),
            Step::Pending => Err("timed out waiting for the PROXY header".into()),
        }
    }

    /// The name of the listener the client connected to (see
    /// [`Conn::listener_name`]).
    pub fn listener_name(&self) -> &'static str {
        self.info.listener
    }

    /// The name of the service serving the connection.
    pub fn service_name(&self) -> &'static str {
        self.info.service
    }

    pub(crate) fn set_tls_policy(&mut self, cfg: Arc<ServerConfig>, required: bool) {
        self.starttls = Some(cfg);
        self.ssl_required = required;
    }

    /// Runs the server side of a handshake to its end (bounded by the
    /// idle timeout).
    pub(crate) fn accept_tls(&mut self, cfg: Arc<ServerConfig>) -> io::Result<()> {
        let mut c = ServerConnection::new(cfg).map_err(io::Error::other)?;
        c.set_buffer_limit(None);
        while c.is_handshaking() {
            match c.complete_io(&mut self.plain) {
                Ok((0, 0)) if c.is_handshaking() => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the client closed the connection",
                    ))
                }
                Ok(_) => {}
                Err(e) => {
                    // Send the alert, if any.
                    let _ = c.write_tls(&mut self.plain);
                    return Err(e);
                }
            }
        }
        self.tls = Some(Box::new(c));
        Ok(())
    }

    /// `close_notify`, sent before the lingering close.
    pub(crate) fn finish_tls(&mut self) {
        if let Some(c) = self.tls.as_mut() {
            c.send_close_notify();
            while c.wants_write() {
                if c.write_tls(&mut self.plain).is_err() {
                    break;
                }
            }
        }
    }

    /// True when the connection is encrypted.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// True when the global `ssl = required` (no plaintext authentication
    /// unless [`Stream::is_tls`]).
    pub fn ssl_required(&self) -> bool {
        self.ssl_required
    }

    /// True when [`Stream::start_tls`] can work.
    pub fn can_start_tls(&self) -> bool {
        self.starttls.is_some() && self.tls.is_none()
    }

    /// STARTTLS: after writing the protocol's go-ahead, upgrades the
    /// connection in place and runs the handshake (blocking, bounded by
    /// the idle timeout). Discard any input read before the call.
    pub fn start_tls(&mut self) -> io::Result<()> {
        if self.tls.is_some() {
            return Err(io::Error::other("the connection is already encrypted"));
        }
        let Some(cfg) = self.starttls.clone() else {
            return Err(io::Error::other(
                "TLS is not configured (ssl = no, or no ssl_cert)",
            ));
        };
        self.accept_tls(cfg)
    }
}

impl io::Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.tls.as_mut() {
            Some(c) => match rustls::Stream::new(&mut **c, &mut self.plain).read(buf) {
                // Closed without close_notify: the end, all the same.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(0),
                r => r,
            },
            None => self.plain.read(buf),
        }
    }
}

impl io::Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.tls.as_mut() {
            Some(c) => {
                let n = c.writer().write(buf)?;
                while c.wants_write() {
                    c.write_tls(&mut self.plain)?;
                }
                Ok(n)
            }
            None => self.plain.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl io::Read for Plain {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let aborted =
            || io::Error::new(io::ErrorKind::ConnectionAborted, "worker is shutting down");
        let started = std::time::Instant::now();
        loop {
            // The stop signals are blocked from the flag check until the
            // wait, which lets them in atomically.
            let _guard = sys::proc::FlagSignalsBlocked::new();
            let mut wait = self.idle.saturating_sub(started.elapsed());
            if sys::proc::STOP_FLAG.load(std::sync::atomic::Ordering::Relaxed) {
                if self.got_data {
                    return Err(aborted());
                }
                let until = *self
                    .stop_deadline
                    .get_or_insert_with(|| std::time::Instant::now() + self.grace);
                wait = wait.min(until.saturating_duration_since(std::time::Instant::now()));
                if wait.is_zero() {
                    return Err(aborted());
                }
            }
            if wait.is_zero() {
                return Err(io::ErrorKind::TimedOut.into());
            }
            match sys::io::wait_readable(self.sock.as_fd(), wait) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            drop(_guard);
            match sys::io::recv(self.sock.as_fd(), buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Ok(n) => {
                    self.got_data |= n > 0;
                    return Ok(n);
                }
                Err(e) => return Err(e),
            }
        }
    }
}

impl io::Write for Plain {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        loop {
            match sys::io::send(self.sock.as_fd(), buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                r => return r,
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What a worker of an [`EventHandler`] with
/// [`MASTER_STATUS`](EventHandler::MASTER_STATUS) can ask its master: the
/// same answers `BIN status` prints.
pub use crate::master::control::Request as StatusRequest;

/// Asks the master for the status of every service (what `BIN status`,
/// `--json` or `--metrics` print), over the channel the master gives the
/// workers of a handler with [`EventHandler::MASTER_STATUS`]. Waits for
/// the answer (the master answers from its loop at once; at most 2 s).
/// Fails in any other process, and for good once an answer went wrong.
pub fn master_status(req: StatusRequest) -> std::io::Result<String> {
    crate::master::control::ask_master(req)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};

    /// The addresses a handler sees are the socket's own, whether they come
    /// from the accept and the listener (bound to one IP) or, for a
    /// wildcard listener, from the socket.
    #[test]
    fn connection_addresses_are_the_sockets_own() {
        for bind in ["127.0.0.1:0", "0.0.0.0:0"] {
            let l = TcpListener::bind(bind).unwrap();
            l.set_nonblocking(true).unwrap();
            let port = l.local_addr().unwrap().port();
            let bound = bound_address(l.as_fd());
            assert_eq!(bound.is_some(), bind.starts_with("127."), "{bind}");
            let client = TcpStream::connect(("127.0.0.1", port)).unwrap();
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            let (fd, peer) = loop {
                match sys::io::accept(l.as_fd()) {
                    Ok(x) => break x,
                    Err(_) if std::time::Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(5))
                    }
                    Err(e) => panic!("accept: {e}"),
                }
            };
            let info = ConnInfo::of(fd.as_fd(), peer, bound, "l", "s");
            assert_eq!(info.peer, Some(client.local_addr().unwrap()), "{bind}");
            assert_eq!(info.local, Some(client.peer_addr().unwrap()), "{bind}");
        }
    }
}
