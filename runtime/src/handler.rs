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
//! (`H::default()`) is created per worker process, after the process has
//! dropped privileges; a panic there counts as a failed start-up.
//!
//! Whenever the server closes a connection (the handler calls
//! [`Conn::close`], or a blocking `serve` returns) the runtime does a
//! lingering close: flush, `shutdown(SHUT_WR)`, read and discard until EOF or
//! a limit, then `close()`.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

use crate::sys;

/// An event-driven, non-blocking connection handler (many clients per
/// process).
///
/// Callbacks run inside the worker's event loop and must not block. Reads
/// are edge-triggered underneath: in [`EventHandler::readable`], read until
/// [`Conn::read`] returns `WouldBlock`, or return early and the runtime calls
/// again on its next loop turn (it does so while the socket may still hold
/// data and queued output is below [`Conn::HIGH_WATER`]).
pub trait EventHandler: Default + 'static {
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

    /// A new client was accepted. Writes queued here go out at once.
    fn open(&mut self, conn: &mut Conn<'_>) -> Self::State;

    /// The client may have sent data (or closed its side: `read` gives
    /// `Ok(0)`).
    fn readable(&mut self, state: &mut Self::State, conn: &mut Conn<'_>);

    /// All queued output has been handed to the kernel after some of it had
    /// to wait: a good moment to queue more (large responses).
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
pub trait BlockingHandler: Default + 'static {
    /// Serves one client. When it returns the runtime flushes and closes the
    /// connection (lingering close). The stream's reads time out after the
    /// service's `idle_client` timeout and fail once the worker is told to
    /// stop while waiting for the client.
    fn serve(&mut self, stream: &mut Stream) -> io::Result<()>;
}

/// The runtime's side of one event-driven connection.
#[derive(Debug)]
pub(crate) struct ConnIo {
    pub fd: OwnedFd,
    out: Vec<u8>,
    out_pos: usize,
    /// The socket may hold unread data (no `WouldBlock` seen since the last
    /// readiness event).
    pub read_ready: bool,
    /// The handler read something during the current callback.
    pub did_read: bool,
    /// The peer closed its sending side.
    pub eof: bool,
    /// A read or write failed for good (reset, broken pipe).
    pub broken: bool,
    /// The handler asked to close.
    pub close_req: bool,
    /// A send returned `WouldBlock`: wait for a writable event.
    pub blocked_write: bool,
    /// The handler received [`EventHandler::shutdown`].
    pub told_shutdown: bool,
    /// The handler marked the connection established: never evicted.
    pub established: bool,
    /// The handler said the first request is complete.
    pub request_done: bool,
}

impl ConnIo {
    pub fn new(fd: OwnedFd) -> Self {
        ConnIo {
            fd,
            out: Vec::new(),
            out_pos: 0,
            read_ready: true,
            did_read: false,
            eof: false,
            broken: false,
            close_req: false,
            blocked_write: false,
            told_shutdown: false,
            established: false,
            request_done: false,
        }
    }

    pub fn pending(&self) -> usize {
        self.out.len() - self.out_pos
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
    /// Above this much queued output the runtime stops calling
    /// [`EventHandler::readable`] until the client has read some of it.
    pub const HIGH_WATER: usize = 256 << 10;

    /// Reads into `buf` without blocking. `Ok(0)` means the client closed its
    /// side; `Err(WouldBlock)` means nothing more for now.
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.io.eof {
            return Ok(0);
        }
        if self.io.broken {
            return Err(io::ErrorKind::ConnectionReset.into());
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

    /// Queues `data` for the client. Sends at once when nothing is waiting,
    /// so small replies cost no copy. Errors (reset, broken pipe) end the
    /// connection after the callback returns.
    pub fn write(&mut self, data: &[u8]) {
        if self.io.broken || data.is_empty() {
            return;
        }
        let mut data = data;
        if self.io.pending() == 0 && !self.io.blocked_write {
            while !data.is_empty() {
                match sys::io::send(self.io.fd.as_fd(), data) {
                    Ok(n) => data = &data[n..],
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        self.io.blocked_write = true;
                        break;
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => {
                        self.io.broken = true;
                        return;
                    }
                }
            }
        }
        if !data.is_empty() {
            self.io.out.extend_from_slice(data);
        }
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
}

/// The blocking client stream given to a [`BlockingHandler`].
///
/// Reads wait at most the idle timeout. Once the worker is told to stop
/// (SIGTERM, SIGHUP's replacement), a read fails at once with
/// `ConnectionAborted`, checked before every read and without a window
/// for the signal to slip in (the wait is a `ppoll` that unblocks the stop
/// signals atomically); except that a client that has sent nothing yet is
/// still waited for, up to the shutdown deadline, so a client accepted just
/// before a reload is served rather than closed unanswered.
#[derive(Debug)]
pub struct Stream {
    sock: socket2::Socket,
    idle: Duration,
    grace: Duration,
    got_data: bool,
    /// When the stop flag was first seen during a read.
    stop_deadline: Option<std::time::Instant>,
}

impl Stream {
    pub(crate) fn new(fd: OwnedFd, idle: Duration, grace: Duration) -> io::Result<Self> {
        let sock = socket2::Socket::from(fd);
        sock.set_nonblocking(false)?;
        sock.set_write_timeout(Some(idle))?;
        Ok(Stream {
            sock,
            idle,
            grace,
            got_data: false,
            stop_deadline: None,
        })
    }

    pub(crate) fn into_fd(self) -> OwnedFd {
        self.sock.into()
    }

    /// The client's address (`None` for unnamed unix peers).
    pub fn peer_addr(&self) -> Option<std::net::SocketAddr> {
        self.sock.peer_addr().ok().and_then(|a| a.as_socket())
    }
}

impl io::Read for Stream {
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

impl io::Write for Stream {
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
