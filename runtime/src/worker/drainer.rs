//! The drainer: one long-lived process, forked by the master at start, that
//! finishes lingering closes for workers that want to exit (or move on).
//!
//! Workers send it the socket (already `shutdown(SHUT_WR)`) over a
//! `SOCK_SEQPACKET` channel with `SCM_RIGHTS`, plus the time and byte budget
//! left. It reads and discards until EOF, a per-read timeout, the total
//! deadline or the byte budget, then closes. The master holds the receiving
//! end too, so a restarted drainer picks up whatever was queued.

use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use slab::Slab;

use super::linger::{self, Drain};
use super::timers::Timers;
use super::{parse_drain_msg, DRAIN_MSG_LEN, EXIT_STARTUP_FAILED};
use crate::log::line;
use crate::sys;

const CHAN: Token = Token(usize::MAX);
const SIGNAL: Token = Token(usize::MAX - 1);

struct Drained {
    fd: OwnedFd,
    until: Instant,
    read_timeout: Duration,
    bytes_left: u64,
    deadline: Instant,
    gen: u64,
}

/// Runs the drainer until SIGTERM and no connection is left.
pub(crate) fn run(chan: OwnedFd, grace: Duration) -> i32 {
    crate::sys::title::set(&[crate::cli::binary_name(), ": linger drainer"]);
    match Drainer::new(chan, grace) {
        Ok(mut d) => d.run(),
        Err(e) => {
            line(
                format_args!("linger"),
                format_args!("drainer start-up failed: {e}"),
            );
            EXIT_STARTUP_FAILED
        }
    }
}

struct Drainer {
    poll: Poll,
    chan: OwnedFd,
    sigfd: SignalFd,
    conns: Slab<Drained>,
    timers: Timers,
    gen: u64,
    stopping: Option<Instant>,
    grace: Duration,
    buf: Box<[u8]>,
}

impl Drainer {
    fn new(chan: OwnedFd, grace: Duration) -> io::Result<Self> {
        let poll = Poll::new()?;
        let mask = sys::proc::handled_signals();
        let sigfd = SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)?;
        poll.registry().register(
            &mut SourceFd(&sigfd.as_fd().as_raw_fd()),
            SIGNAL,
            Interest::READABLE,
        )?;
        poll.registry()
            .register(&mut SourceFd(&chan.as_raw_fd()), CHAN, Interest::READABLE)?;
        Ok(Drainer {
            poll,
            chan,
            sigfd,
            conns: Slab::new(),
            timers: Timers::default(),
            gen: 0,
            stopping: None,
            grace,
            buf: vec![0u8; 16 << 10].into_boxed_slice(),
        })
    }

    fn run(&mut self) -> i32 {
        let mut events = Events::with_capacity(128);
        loop {
            if self.stopping.is_some() && self.conns.is_empty() {
                return 0;
            }
            let now = Instant::now();
            let timeout = self
                .timers
                .next()
                .map(|t| t.saturating_duration_since(now) + Duration::from_micros(500));
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() != io::ErrorKind::Interrupted {
                    return 1;
                }
            }
            let mut chan_ready = false;
            for ev in events.iter() {
                match ev.token() {
                    CHAN => chan_ready = true,
                    SIGNAL => self.on_signals(),
                    Token(k) => self.drain(k),
                }
            }
            if chan_ready {
                self.receive();
            }
            self.expire(Instant::now());
            let conns = &self.conns;
            self.timers.compact(conns.len(), |at, key, gen| {
                conns
                    .get(key)
                    .is_some_and(|c| c.gen == gen && c.deadline == at)
            });
        }
    }

    fn on_signals(&mut self) {
        while let Ok(Some(info)) = self.sigfd.read_signal() {
            if matches!(info.ssi_signo as i32, libc::SIGTERM | libc::SIGINT)
                && self.stopping.is_none()
            {
                let deadline = Instant::now() + self.grace;
                self.stopping = Some(deadline);
                let keys: Vec<usize> = self.conns.iter().map(|(k, _)| k).collect();
                for k in keys {
                    let c = &mut self.conns[k];
                    c.until = c.until.min(deadline);
                    if c.deadline > c.until {
                        c.deadline = c.until;
                        self.timers.push(c.deadline, k, c.gen);
                    }
                }
            }
        }
    }

    fn receive(&mut self) {
        let mut msg = [0u8; DRAIN_MSG_LEN];
        loop {
            match sys::net::recv_fd(self.chan.as_fd(), &mut msg) {
                Ok(Some((len, fd))) => {
                    let Some((total, read, bytes)) = parse_drain_msg(&msg[..len]) else {
                        continue;
                    };
                    let now = Instant::now();
                    let mut until = now + total;
                    if let Some(s) = self.stopping {
                        until = until.min(s);
                    }
                    let raw = fd.as_raw_fd();
                    let entry = self.conns.vacant_entry();
                    let key = entry.key();
                    if self
                        .poll
                        .registry()
                        .register(&mut SourceFd(&raw), Token(key), Interest::READABLE)
                        .is_err()
                    {
                        continue;
                    }
                    self.gen += 1;
                    entry.insert(Drained {
                        fd,
                        until,
                        read_timeout: read,
                        bytes_left: bytes.max(1),
                        deadline: now,
                        gen: self.gen,
                    });
                    self.drain(key);
                }
                Ok(None) => return,
                Err(_) => return,
            }
        }
    }

    fn drain(&mut self, key: usize) {
        let Some(c) = self.conns.get_mut(key) else {
            return;
        };
        if linger::discard(c.fd.as_fd(), &mut self.buf, &mut c.bytes_left) == Drain::WouldBlock {
            let now = Instant::now();
            let at = (now + c.read_timeout).min(c.until);
            if at > now {
                c.deadline = at;
                self.timers.push(at, key, c.gen);
                return;
            }
        }
        self.conns.remove(key);
    }

    fn expire(&mut self, now: Instant) {
        while let Some((at, key, gen)) = self.timers.pop_due(now) {
            match self.conns.get(key) {
                Some(c) if c.gen == gen && c.deadline == at => {
                    self.conns.remove(key);
                }
                _ => {}
            }
        }
    }
}
