//! The worker's side of the status pipe.
//!
//! Every record is 12 bytes, `{pid: i32, available: u32, accepted: u32}`
//! in native byte order (`available` is [`MAKE_ROOM`] for a full worker
//! that can make room; `accepted` counts the connections the worker has
//! accepted so far, wrapping), written with one `write(2)` (atomic below
//! `PIPE_BUF`, so many workers share one pipe). As in Dovecot, a change
//! that moves the count to or from 0 (or to "fully idle") goes out at
//! once; other changes, and new accepts alone, at most once a second.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

use crate::sys;

/// The `available` value of a worker that is full but can make room (it
/// has connections it may close for a new client): the master then tells
/// it to, instead of warning and dropping the queue.
pub(crate) const MAKE_ROOM: u32 = 1 << 31;

/// Size of one status record.
pub(crate) const RECORD_LEN: usize = 12;

/// One status record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Record {
    pub pid: i32,
    pub avail: u32,
    pub accepted: u32,
}

/// Encodes one record.
pub(crate) fn record(r: Record) -> [u8; RECORD_LEN] {
    let mut b = [0u8; RECORD_LEN];
    b[..4].copy_from_slice(&r.pid.to_ne_bytes());
    b[4..8].copy_from_slice(&r.avail.to_ne_bytes());
    b[8..].copy_from_slice(&r.accepted.to_ne_bytes());
    b
}

/// Decodes one record.
pub(crate) fn parse(b: &[u8]) -> Record {
    let at = |o: usize| u32::from_ne_bytes(b[o..o + 4].try_into().unwrap());
    Record {
        pid: at(0) as i32,
        avail: at(4),
        accepted: at(8),
    }
}

fn class(avail: u32, full: u32) -> u8 {
    if avail == MAKE_ROOM {
        3
    } else if avail == 0 {
        0
    } else if avail >= full {
        2
    } else {
        1
    }
}

/// Reports a worker's free slots to the master.
#[derive(Debug)]
pub(crate) struct StatusPipe {
    fd: OwnedFd,
    pid: i32,
    full: u32,
    sent: Option<u32>,
    sent_at: Instant,
    want: u32,
    /// Connections accepted so far, and the count last sent.
    accepted: u32,
    sent_accepted: u32,
}

impl StatusPipe {
    pub fn new(fd: OwnedFd, full: u32) -> Self {
        StatusPipe {
            fd,
            pid: std::process::id() as i32,
            full,
            sent: None,
            sent_at: Instant::now(),
            want: full,
            accepted: 0,
            sent_accepted: 0,
        }
    }

    /// Counts one accepted connection (sent with the next record).
    pub fn count_accept(&mut self) {
        self.accepted = self.accepted.wrapping_add(1);
    }

    /// Records the current number of free slots; sends now when the rules
    /// say so. Returns when a delayed update is due, if one is pending.
    pub fn update(&mut self, avail: u32, now: Instant) -> Option<Instant> {
        self.want = avail;
        let news = self.accepted != self.sent_accepted;
        match self.sent {
            Some(s) if s == avail && !news => return None,
            Some(s) if class(s, self.full) == class(avail, self.full) => {
                let due = self.sent_at + Duration::from_secs(1);
                if now < due {
                    return Some(due);
                }
            }
            _ => {}
        }
        match self.send(avail) {
            Ok(()) => {
                self.sent = Some(avail);
                self.sent_at = now;
                None
            }
            // The master is slow to read: try again shortly.
            Err(_) => Some(now + Duration::from_millis(10)),
        }
    }

    /// Tells the master, before the worker exits, that it has no free
    /// slots, unless the last record already said so with the current
    /// accept count (a `service_count = 1` worker sent it at its accept).
    pub fn leaving(&mut self) {
        if self.sent != Some(0) || self.accepted != self.sent_accepted {
            let _ = self.send(0);
        }
    }

    /// Sends `avail` unconditionally (the initial record, or a blocking
    /// worker's every change).
    pub fn send(&mut self, avail: u32) -> io::Result<()> {
        let r = record(Record {
            pid: self.pid,
            avail,
            accepted: self.accepted,
        });
        loop {
            match sys::io::write(self.fd.as_fd(), &r) {
                Ok(_) => {
                    self.sent = Some(avail);
                    self.sent_accepted = self.accepted;
                    self.sent_at = Instant::now();
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::os::unix::net::UnixStream;

    /// The records the master has been sent so far.
    fn records(rx: &mut UnixStream) -> Vec<(u32, u32)> {
        let mut buf = [0u8; RECORD_LEN * 16];
        let n = rx.read(&mut buf).unwrap_or(0);
        buf[..n]
            .chunks(RECORD_LEN)
            .map(|c| {
                let r = parse(c);
                (r.avail, r.accepted)
            })
            .collect()
    }

    /// A worker about to exit sends "no free slots" only when the master
    /// does not know it yet (a `service_count = 1` worker said so at its
    /// accept), but always when the last record said otherwise or missed
    /// an accept.
    #[test]
    fn leaving_sends_zero_only_when_news() {
        let (tx, mut rx) = UnixStream::pair().unwrap();
        rx.set_nonblocking(true).unwrap();
        let mut s = StatusPipe::new(tx.into(), 1);
        s.send(1).unwrap();
        s.count_accept();
        assert_eq!(s.update(0, Instant::now()), None);
        assert_eq!(records(&mut rx), [(1, 0), (0, 1)]);
        s.leaving();
        assert_eq!(records(&mut rx), []);
        // An accept the master has not heard of.
        s.count_accept();
        s.leaving();
        assert_eq!(records(&mut rx), [(0, 2)]);
        // The last record said there was room.
        s.send(3).unwrap();
        s.leaving();
        assert_eq!(records(&mut rx), [(3, 2), (0, 2)]);
    }
}
