//! The worker's side of the status pipe.
//!
//! Every record is 8 bytes, `{pid: i32, available: u32}` in native byte
//! order (`available` is [`MAKE_ROOM`] for a full worker that can make
//! room), written with one `write(2)` (atomic below `PIPE_BUF`, so many
//! workers share one pipe). As in Dovecot, a change that moves the count to
//! or from 0 (or to "fully idle") goes out at once; other changes at most
//! once a second.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

use crate::sys;

/// The `available` value of a worker that is full but can make room (it
/// has connections it may close for a new client): the master then tells
/// it to, instead of warning and dropping the queue.
pub(crate) const MAKE_ROOM: u32 = 1 << 31;

/// Size of one status record.
pub(crate) const RECORD_LEN: usize = 8;

/// Encodes one record.
pub(crate) fn record(pid: i32, avail: u32) -> [u8; RECORD_LEN] {
    let mut r = [0u8; RECORD_LEN];
    r[..4].copy_from_slice(&pid.to_ne_bytes());
    r[4..].copy_from_slice(&avail.to_ne_bytes());
    r
}

/// Decodes one record.
pub(crate) fn parse(r: &[u8]) -> (i32, u32) {
    (
        i32::from_ne_bytes(r[..4].try_into().unwrap()),
        u32::from_ne_bytes(r[4..8].try_into().unwrap()),
    )
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
        }
    }

    /// Records the current number of free slots; sends now when the rules
    /// say so. Returns when a delayed update is due, if one is pending.
    pub fn update(&mut self, avail: u32, now: Instant) -> Option<Instant> {
        self.want = avail;
        match self.sent {
            Some(s) if s == avail => return None,
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

    /// Sends `avail` unconditionally (the initial record, or a blocking
    /// worker's every change).
    pub fn send(&mut self, avail: u32) -> io::Result<()> {
        let r = record(self.pid, avail);
        loop {
            match sys::io::write(self.fd.as_fd(), &r) {
                Ok(_) => {
                    self.sent = Some(avail);
                    self.sent_at = Instant::now();
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}
