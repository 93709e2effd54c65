//! The lingering-close drain step, shared by the event worker, the blocking
//! worker and the drainer: read and discard what the client still sends,
//! within a byte budget, until EOF or `EAGAIN`.
//!
//! Each caller owns the waiting around it (a timer in a mio loop, or a
//! bounded `poll` in the blocking worker); the time limits (per read, in
//! total) are theirs too.

use std::io;
use std::os::fd::BorrowedFd;

use crate::sys;

/// What one drain step found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Drain {
    /// The lingering close is over: EOF, the byte budget spent, or an error.
    /// Close the socket.
    Done,
    /// Nothing more for now: wait (at most the per-read timeout) for more.
    WouldBlock,
}

/// Reads and discards everything the socket holds now, counting it against
/// `bytes_left`.
pub(crate) fn discard(fd: BorrowedFd<'_>, buf: &mut [u8], bytes_left: &mut u64) -> Drain {
    loop {
        match sys::io::recv(fd, buf) {
            Ok(0) => return Drain::Done,
            Ok(n) => {
                *bytes_left = bytes_left.saturating_sub(n as u64);
                if *bytes_left == 0 {
                    return Drain::Done;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Drain::WouldBlock,
            Err(_) => return Drain::Done,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsFd;
    use std::os::unix::net::UnixStream;

    #[test]
    fn discards_until_would_block_then_eof() {
        let (mut a, b) = UnixStream::pair().unwrap();
        b.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 4];
        let mut left = 100;
        a.write_all(b"0123456789").unwrap();
        assert_eq!(discard(b.as_fd(), &mut buf, &mut left), Drain::WouldBlock);
        assert_eq!(left, 90);
        drop(a);
        assert_eq!(discard(b.as_fd(), &mut buf, &mut left), Drain::Done);
    }

    #[test]
    fn stops_when_the_budget_is_spent() {
        let (mut a, b) = UnixStream::pair().unwrap();
        b.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 4];
        let mut left = 6;
        a.write_all(b"0123456789").unwrap();
        assert_eq!(discard(b.as_fd(), &mut buf, &mut left), Drain::Done);
        assert_eq!(left, 0);
    }
}
