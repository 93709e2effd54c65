//! The blocking worker: one client at a time (`client_limit = 1`).
//!
//! It waits for a connection with `poll(2)` on its listeners, reports 0 free
//! slots, runs the handler on a blocking [`Stream`], then closes with a
//! lingering close. The lingering part is handed to the drainer when the
//! client has not closed yet, so the worker is free for its next client at
//! once. Signals only set flags (no work in handlers); a blocking read
//! returns `EINTR` and the worker looks at them.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout};

use super::linger::{self, Drain};
use super::status::StatusPipe;
use super::{drain_msg, ChildEnv, EXIT_STARTUP_FAILED};
use crate::handler::{BlockingHandler, ConnInfo, Stream};
use crate::log::{log_svc, RateLimit};
use crate::spec::ServiceSpec;
use crate::sys;
use crate::sys::proc::{IDLE_FLAG, STOP_FLAG};

/// Entry point stored in [`crate::spec::HandlerSpec::blocking`].
pub(crate) fn run<H: BlockingHandler, C: crate::settings::Construct<H>>(env: ChildEnv) -> i32 {
    let mut handler = match C::make(&env.service.settings) {
        Ok(h) => h,
        Err(e) => {
            // The master checked this before forking; a worker still says why.
            log_svc!(env.service.name, "worker start-up failed: {e}");
            return EXIT_STARTUP_FAILED;
        }
    };
    let ChildEnv {
        service: spec,
        listeners,
        status,
        drain,
        plain_close,
        tls,
        listener_facts,
        haproxy_trusted,
        shutdown_grace: grace,
        ..
    } = env;
    let mut tls_log = TlsLog::default();
    let mut refusals = crate::proxy::Refusals::default();
    if let Err(e) = sys::proc::install_flag_handlers() {
        log_svc!(spec.name, "worker start-up failed: {e}");
        return EXIT_STARTUP_FAILED;
    }
    let _ = sys::proc::set_signal_mask(&nix::sys::signal::SigSet::empty());
    // Outside a client the stop/idle signals are blocked, and only ppoll()
    // lets them in, atomically: one arriving between the flag check and the
    // wait is never lost. While serving they are unblocked, so a read that
    // waits for the client is interrupted by SIGTERM.
    let flag_signals = sys::proc::flag_signals();
    let mut status = StatusPipe::new(status, 1);
    if send_status(&mut status, 1).is_err() {
        return EXIT_STARTUP_FAILED;
    }
    let mut served: u64 = 0;
    let mut accept_log = RateLimit::default();
    // The title shows whether the one client slot is taken, at once: a
    // blocking worker changes it at most twice per client it serves.
    super::show_clients(spec.name, 0);
    loop {
        let _ = sys::proc::set_signal_mask(&flag_signals);
        if STOP_FLAG.load(Ordering::Relaxed) || IDLE_FLAG.load(Ordering::Relaxed) {
            break;
        }
        let fd = {
            let mut fds: Vec<PollFd<'_>> = listeners
                .iter()
                .map(|l| PollFd::new(l.as_fd(), PollFlags::POLLIN))
                .collect();
            let waited = nix::poll::ppoll(&mut fds, None, Some(nix::sys::signal::SigSet::empty()));
            let _ = sys::proc::set_signal_mask(&nix::sys::signal::SigSet::empty());
            match waited {
                Ok(_) => {}
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => {
                    log_svc!(spec.name, "poll failed: {e}");
                    return 1;
                }
            }
            let ready: Vec<usize> = fds
                .iter()
                .enumerate()
                .filter(|(_, p)| p.revents().is_some_and(|r| !r.is_empty()))
                .map(|(i, _)| i)
                .collect();
            let mut got = None;
            for i in ready {
                match sys::io::accept(listeners[i].as_fd()) {
                    Ok((fd, peer)) => {
                        status.count_accept();
                        got = Some((fd, peer, i));
                        break;
                    }
                    Err(e) => match e.raw_os_error() {
                        Some(libc::EMFILE) | Some(libc::ENFILE) | Some(libc::ENOBUFS)
                        | Some(libc::ENOMEM) => {
                            if accept_log.ready(Instant::now(), Duration::from_secs(1)) {
                                log_svc!(spec.name, "accept() failed: {e}; pausing 100 ms");
                            }
                            std::thread::sleep(Duration::from_millis(100));
                        }
                        _ => {}
                    },
                }
            }
            match got {
                Some(fd) => fd,
                None => continue,
            }
        };
        served += 1;
        super::show_clients(spec.name, 1);
        let last = spec.service_count > 0 && served >= spec.service_count as u64;
        let _ = send_status(&mut status, 0);
        let (fd, peer, i) = fd;
        let facts = listener_facts.get(i).copied().unwrap_or_default();
        let conn_tls = ConnTls {
            peer,
            bound: facts.bound,
            contexts: tls.as_ref(),
            ssl: facts.ssl,
            listener: facts.name,
            log: &mut tls_log,
            haproxy: facts.haproxy.then_some(Haproxy {
                trusted: haproxy_trusted,
                refusals: &mut refusals,
            }),
        };
        serve_one(
            &mut handler,
            fd,
            spec,
            plain_close,
            drain.as_ref(),
            grace,
            conn_tls,
        );
        super::show_clients(spec.name, 0);
        if last {
            break;
        }
        if !STOP_FLAG.load(Ordering::Relaxed) {
            let _ = send_status(&mut status, 1);
        }
    }
    let _ = send_status(&mut status, 0);
    0
}

fn send_status(status: &mut StatusPipe, avail: u32) -> io::Result<()> {
    for _ in 0..100 {
        match status.send(avail) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(10))
            }
            Err(e) => return Err(e),
        }
    }
    Err(io::ErrorKind::WouldBlock.into())
}

/// Handshake failures since the last log line, and when that was.
#[derive(Default)]
struct TlsLog {
    failures: u64,
    limit: RateLimit,
}

/// `haproxy = yes` for one blocking connection.
struct Haproxy<'a> {
    trusted: &'a [crate::spec::IpNet],
    refusals: &'a mut crate::proxy::Refusals,
}

/// What comes before the handler on one blocking connection: the PROXY
/// header (`haproxy = yes`), then TLS.
struct ConnTls<'a> {
    /// The client's address, from the accept.
    peer: Option<std::net::SocketAddr>,
    /// The listener's address when bound to one IP.
    bound: Option<std::net::SocketAddr>,
    contexts: Option<&'a crate::tls::Contexts>,
    /// The listener has `ssl = yes`.
    ssl: bool,
    /// The listener's name.
    listener: &'static str,
    log: &'a mut TlsLog,
    haproxy: Option<Haproxy<'a>>,
}

fn serve_one<H: BlockingHandler>(
    handler: &mut H,
    fd: OwnedFd,
    spec: &ServiceSpec,
    plain_close: bool,
    drain: Option<&OwnedFd>,
    grace: Duration,
    tls: ConnTls<'_>,
) {
    let t = spec.timeouts;
    let info = ConnInfo::of(fd.as_fd(), tls.peer, tls.bound, tls.listener, spec.name);
    let mut stream = match Stream::new(fd, info, t.idle_client, grace) {
        Ok(s) => s,
        Err(_) => return,
    };
    // The PROXY header comes first, then any TLS handshake.
    if let Some(h) = tls.haproxy {
        let peer = stream.peer_addr();
        if !crate::proxy::trusted(h.trusted, peer) {
            h.refusals.refused(spec.name, peer, crate::proxy::UNTRUSTED);
            return;
        }
        if let Err(why) = stream.read_proxy_header() {
            h.refusals.refused(spec.name, peer, &why);
            return;
        }
    }
    match tls.contexts {
        Some(ctx) => {
            let cfg = ctx.for_local(stream.local_addr().map(|a| a.ip())).clone();
            stream.set_tls_policy(cfg.clone(), ctx.required);
            if tls.ssl {
                if let Err(e) = stream.accept_tls(cfg) {
                    tls.log.failures += 1;
                    if tls.log.limit.ready(Instant::now(), Duration::from_secs(1)) {
                        let peer = stream
                            .peer_addr()
                            .map_or_else(|| "?".to_string(), |p| p.to_string());
                        let more = match tls.log.failures {
                            1 => String::new(),
                            n => format!(" ({} more since the last message)", n - 1),
                        };
                        log_svc!(spec.name, "TLS handshake with {peer} failed: {e}{more}");
                        tls.log.failures = 0;
                    }
                    return;
                }
            }
        }
        // Never plaintext on an `ssl = yes` listener.
        None if tls.ssl => return,
        None => {}
    }
    let _ = handler.serve(&mut stream);
    stream.finish_tls();
    let fd = stream.into_fd();
    if plain_close {
        return;
    }
    linger(fd, spec, drain);
}

/// Lingering close of a finished blocking connection: `shutdown(SHUT_WR)`,
/// one non-blocking drain, then the drainer (or, without one, a bounded
/// blocking drain here).
fn linger(fd: OwnedFd, spec: &ServiceSpec, drain: Option<&OwnedFd>) {
    let t = spec.timeouts;
    if sys::io::shutdown_write(fd.as_fd()).is_err()
        || sys::io::set_nonblocking(fd.as_fd(), true).is_err()
    {
        return;
    }
    let start = Instant::now();
    let mut left = t.linger_bytes;
    let mut buf = [0u8; 8192];
    if linger::discard(fd.as_fd(), &mut buf, &mut left) == Drain::Done {
        return;
    }
    if let Some(chan) = drain {
        let msg = drain_msg(t.linger_total, t.linger_read, left);
        if sys::net::send_fd(chan.as_fd(), fd.as_fd(), &msg).is_ok() {
            return;
        }
    }
    // No drainer: drain here, bounded by the linger limits.
    loop {
        let elapsed = start.elapsed();
        if elapsed >= t.linger_total || STOP_FLAG.load(Ordering::Relaxed) {
            return;
        }
        let wait = t.linger_read.min(t.linger_total - elapsed);
        let mut pfd = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
        let ms = wait.as_millis().min(i32::MAX as u128) as i32;
        match nix::poll::poll(
            &mut pfd,
            PollTimeout::try_from(ms).unwrap_or(PollTimeout::NONE),
        ) {
            Ok(0) => return,
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return,
        }
        if linger::discard(fd.as_fd(), &mut buf, &mut left) == Drain::Done {
            return;
        }
    }
}
