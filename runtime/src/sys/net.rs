//! Socket queries and descriptor passing: the effective listen backlog read
//! back from the kernel, and `SCM_RIGHTS` hand-off to the drainer.

use std::io;
use std::io::{IoSlice, IoSliceMut};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use nix::sys::socket::{
    recvmsg, sendmsg, socketpair, AddressFamily, ControlMessage, ControlMessageOwned, MsgFlags,
    SockFlag, SockType,
};

/// The backlog the kernel actually gave a listening TCP socket
/// (`TCP_INFO.tcpi_sacked` holds `sk_max_ack_backlog` for listeners).
pub fn tcp_listen_backlog(fd: BorrowedFd<'_>) -> io::Result<u32> {
    let info = tcp_info(fd)?;
    Ok(info.tcpi_sacked)
}

/// A listening TCP socket's accept queue now and its maximum, what `ss`
/// shows as Recv-Q and Send-Q (`tcpi_unacked` and `tcpi_sacked`).
pub fn tcp_listen_queue(fd: BorrowedFd<'_>) -> io::Result<(u32, u32)> {
    let info = tcp_info(fd)?;
    Ok((info.tcpi_unacked, info.tcpi_sacked))
}

fn tcp_info(fd: BorrowedFd<'_>) -> io::Result<libc::tcp_info> {
    // SAFETY: tcp_info is a plain C struct of integers; all-zero is valid.
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
    // SAFETY: `info` and `len` are valid for writes of the sizes passed; the
    // kernel writes at most `len` bytes and updates `len`.
    let rc = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&mut info as *mut libc::tcp_info).cast(),
            &mut len,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(info)
}

/// The backlog (and current queue length) of a listening unix socket, asked
/// from the kernel through `NETLINK_SOCK_DIAG` (`UNIX_DIAG_RQLEN`: for a
/// listener `rqueue` is the pending connections, `wqueue` the max backlog).
/// Returns `(max_backlog, queued)`.
pub fn unix_listen_backlog(fd: BorrowedFd<'_>) -> io::Result<(u32, u32)> {
    use socket2::{Domain, Protocol, Socket, Type};
    const NETLINK_SOCK_DIAG: i32 = 4;
    const SOCK_DIAG_BY_FAMILY: u16 = 20;
    const UDIAG_SHOW_RQLEN: u32 = 0x10;
    const UNIX_DIAG_RQLEN: u16 = 4;
    const NLMSG_ERROR: u16 = 2;

    let ino = nix::sys::stat::fstat(fd).map_err(io::Error::from)?.st_ino as u32;
    let nl = Socket::new(
        Domain::from(libc::AF_NETLINK),
        Type::DGRAM,
        Some(Protocol::from(NETLINK_SOCK_DIAG)),
    )?;
    let mut req = Vec::with_capacity(40);
    let total: u32 = 16 + 24;
    req.extend_from_slice(&total.to_ne_bytes());
    req.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    req.extend_from_slice(&(libc::NLM_F_REQUEST as u16).to_ne_bytes());
    req.extend_from_slice(&1u32.to_ne_bytes()); // seq
    req.extend_from_slice(&0u32.to_ne_bytes()); // pid
    req.push(libc::AF_UNIX as u8); // sdiag_family
    req.push(0); // sdiag_protocol
    req.extend_from_slice(&0u16.to_ne_bytes()); // pad
    req.extend_from_slice(&u32::MAX.to_ne_bytes()); // udiag_states: all
    req.extend_from_slice(&ino.to_ne_bytes());
    req.extend_from_slice(&UDIAG_SHOW_RQLEN.to_ne_bytes());
    req.extend_from_slice(&u32::MAX.to_ne_bytes()); // cookie: none
    req.extend_from_slice(&u32::MAX.to_ne_bytes());
    nl.send(&req)?;
    let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 8192];
    let n = nl.recv(&mut buf)?;
    let bytes: Vec<u8> = buf[..n]
        .iter()
        // SAFETY: recv initialised the first `n` bytes.
        .map(|b| unsafe { b.assume_init() })
        .collect();
    let u16_at = |o: usize| u16::from_ne_bytes([bytes[o], bytes[o + 1]]);
    let u32_at = |o: usize| u32::from_ne_bytes(bytes[o..o + 4].try_into().unwrap());
    if n < 16 {
        return Err(io::Error::other("short sock_diag reply"));
    }
    if u16_at(4) == NLMSG_ERROR {
        let errno = -(u32_at(16) as i32);
        return Err(io::Error::from_raw_os_error(errno));
    }
    let msg_len = (u32_at(0) as usize).min(n);
    let mut off = 16 + 16; // nlmsghdr + unix_diag_msg
    while off + 4 <= msg_len {
        let len = u16_at(off) as usize;
        let ty = u16_at(off + 2);
        if len < 4 {
            break;
        }
        if ty == UNIX_DIAG_RQLEN && len >= 12 {
            return Ok((u32_at(off + 8), u32_at(off + 4)));
        }
        off += (len + 3) & !3;
    }
    Err(io::Error::other("no UNIX_DIAG_RQLEN in sock_diag reply"))
}

/// A `SOCK_SEQPACKET` socket pair for passing descriptors (both ends
/// close-on-exec; the sending end non-blocking).
pub fn seqpacket_pair() -> io::Result<(OwnedFd, OwnedFd)> {
    let (a, b) = socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )?;
    crate::sys::io::set_nonblocking(a.as_fd(), true)?;
    crate::sys::io::set_nonblocking(b.as_fd(), true)?;
    Ok((a, b))
}

/// Sends `fd` with `payload` as one `SCM_RIGHTS` message (never blocks).
pub fn send_fd(chan: BorrowedFd<'_>, fd: BorrowedFd<'_>, payload: &[u8]) -> io::Result<()> {
    let fds = [fd.as_raw_fd()];
    let cmsg = [ControlMessage::ScmRights(&fds)];
    let iov = [IoSlice::new(payload)];
    sendmsg::<()>(
        chan.as_raw_fd(),
        &iov,
        &cmsg,
        MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_NOSIGNAL,
        None,
    )?;
    Ok(())
}

/// Receives one message sent by [`send_fd`]: its payload length and the
/// descriptor. `Ok(None)` when nothing is queued.
pub fn recv_fd(chan: BorrowedFd<'_>, payload: &mut [u8]) -> io::Result<Option<(usize, OwnedFd)>> {
    let mut iov = [IoSliceMut::new(payload)];
    let mut space = nix::cmsg_space!([std::os::fd::RawFd; 1]);
    let msg = match recvmsg::<()>(
        chan.as_raw_fd(),
        &mut iov,
        Some(&mut space),
        MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_CMSG_CLOEXEC,
    ) {
        Ok(m) => m,
        Err(nix::errno::Errno::EAGAIN) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let len = msg.bytes;
    let mut got = None;
    for c in msg.cmsgs()? {
        if let ControlMessageOwned::ScmRights(fds) = c {
            for raw in fds {
                // SAFETY: SCM_RIGHTS installed `raw` as a new descriptor in
                // this process; nothing else owns it.
                let owned = unsafe { OwnedFd::from_raw_fd(raw) };
                if got.is_none() {
                    got = Some(owned);
                }
            }
        }
    }
    match got {
        Some(fd) => Ok(Some((len, fd))),
        None if len == 0 => Err(io::Error::from(io::ErrorKind::UnexpectedEof)),
        None => Err(io::Error::other("message without a descriptor")),
    }
}
