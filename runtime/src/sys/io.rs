//! Non-blocking socket I/O on raw descriptors: the per-connection hot path.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

fn cvt(ret: isize) -> io::Result<usize> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret as usize)
    }
}

/// `accept4(fd, &addr, &len, SOCK_NONBLOCK | SOCK_CLOEXEC)`: the new
/// connection and the client's address (`None` for a unix socket's peer),
/// which `accept4` hands back at no cost (no `getpeername`).
pub fn accept(listener: BorrowedFd<'_>) -> io::Result<(OwnedFd, Option<std::net::SocketAddr>)> {
    // SAFETY: `try_init` passes a zeroed storage and its size; accept4
    // writes at most that many bytes of address there and the length back,
    // and only reads the listening descriptor, which `listener` keeps open
    // for the duration of the call.
    let (fd, addr) = unsafe {
        socket2::SockAddr::try_init(|storage, len| {
            let fd = libc::accept4(
                listener.as_raw_fd(),
                storage.cast(),
                len,
                libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            );
            if fd < 0 {
                Err(io::Error::last_os_error())
            } else {
                Ok(fd)
            }
        })
    }?;
    // SAFETY: accept4 returned a fresh descriptor that nothing else owns.
    Ok((unsafe { OwnedFd::from_raw_fd(fd) }, addr.as_socket()))
}

/// `recv(fd, buf, 0)`.
pub fn recv(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is a valid writable region of `buf.len()` bytes and the
    // descriptor is kept open by the borrow.
    cvt(unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) })
}

/// `send(fd, buf, MSG_NOSIGNAL)`: a closed peer gives `EPIPE`, never `SIGPIPE`.
pub fn send(fd: BorrowedFd<'_>, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `buf` is a valid readable region of `buf.len()` bytes and the
    // descriptor is kept open by the borrow.
    cvt(unsafe {
        libc::send(
            fd.as_raw_fd(),
            buf.as_ptr().cast(),
            buf.len(),
            libc::MSG_NOSIGNAL,
        )
    })
}

/// `ppoll` for `POLLIN` on `fd` for at most `timeout`, with every signal
/// unblocked during the wait only (so a signal blocked by the caller before
/// it checked its flags interrupts the wait instead of being missed).
/// `Ok(false)` on timeout; `Interrupted` when a signal arrived.
pub fn wait_readable(fd: BorrowedFd<'_>, timeout: std::time::Duration) -> io::Result<bool> {
    use nix::poll::{PollFd, PollFlags};
    let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
    let ts = nix::sys::time::TimeSpec::from_duration(timeout);
    let n = nix::poll::ppoll(&mut fds, Some(ts), Some(nix::sys::signal::SigSet::empty()))?;
    Ok(n > 0)
}

/// `shutdown(fd, SHUT_WR)`: sends FIN after everything queued.
pub fn shutdown_write(fd: BorrowedFd<'_>) -> io::Result<()> {
    // SAFETY: shutdown only acts on the borrowed, open descriptor.
    if unsafe { libc::shutdown(fd.as_raw_fd(), libc::SHUT_WR) } < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// `write(fd, buf)` on any descriptor (pipes, stderr).
pub fn write(fd: BorrowedFd<'_>, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for `buf.len()` bytes; the descriptor is open.
    cvt(unsafe { libc::write(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len()) })
}

/// `read(fd, buf)` on any descriptor (pipes).
pub fn read(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid writable memory of `buf.len()` bytes.
    cvt(unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) })
}

/// Device and inode of stderr (to recognise the journal's stream).
pub fn stderr_dev_ino() -> Option<(u64, u64)> {
    use std::os::fd::AsFd;
    let st = nix::sys::stat::fstat(std::io::stderr().as_fd()).ok()?;
    #[allow(clippy::unnecessary_cast)]
    Some((st.st_dev as u64, st.st_ino as u64))
}

/// Writes one log line to stderr with a single `write(2)`, so lines from the
/// master and its workers never interleave mid-line.
pub fn write_stderr(buf: &[u8]) {
    let mut off = 0;
    while off < buf.len() {
        // SAFETY: fd 2 is borrowed for the call only; writing to a closed
        // stderr just fails with EBADF.
        let n = unsafe { libc::write(2, buf[off..].as_ptr().cast(), buf.len() - off) };
        if n <= 0 {
            if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        off += n as usize;
    }
}

/// Sets or clears `O_NONBLOCK`.
pub fn set_nonblocking(fd: BorrowedFd<'_>, on: bool) -> io::Result<()> {
    // SAFETY: fcntl F_GETFL/F_SETFL only reads/writes the flags of an open fd.
    unsafe {
        let flags = libc::fcntl(fd.as_raw_fd(), libc::F_GETFL);
        if flags < 0 {
            return Err(io::Error::last_os_error());
        }
        let new = if on {
            flags | libc::O_NONBLOCK
        } else {
            flags & !libc::O_NONBLOCK
        };
        if new != flags && libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, new) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Closes a raw descriptor number that this process inherited but that no
/// Rust object of the child will ever use (a forked child dropping the
/// master's private descriptors). The owning objects are never dropped in the
/// child, which leaves with `_exit`.
pub fn close_raw(fd: RawFd) {
    // SAFETY: the caller guarantees that no live owner in this process will
    // use or close `fd` again (see above); closing an unknown fd is EBADF.
    unsafe {
        libc::close(fd);
    }
}
