//! Binding listeners, before any fork.
//!
//! * Inet: every address of the listener (`*` = `0.0.0.0`, `::` = all IPv6
//!   with `IPV6_V6ONLY`, names resolved once), `SO_REUSEADDR`, non-blocking.
//! * Unix: relative paths under the base dir; a stale socket file (nothing
//!   answers `connect`) is replaced, a live one is an error; the mode is
//!   applied through the umask at `bind`, user and group with `chown` when
//!   root.
//! * The effective queue length is read back from the kernel (`TCP_INFO`
//!   for TCP, `NETLINK_SOCK_DIAG` for unix sockets) rather than trusted.

use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use socket2::{Domain, SockAddr, Socket, Type};

use crate::spec::ListenerSpec;
use crate::sys;

/// A bound, listening socket.
#[derive(Debug)]
pub(crate) struct Bound {
    pub fd: OwnedFd,
    /// `127.0.0.1:43215`, `[::1]:143` or `unix:/run/x/sock`.
    pub desc: String,
    /// The socket file to remove at shutdown.
    pub unix_path: Option<PathBuf>,
    /// A unix socket file inherited from an upgrading master: it becomes
    /// `unix_path` (ours to remove) once this master is ready.
    pub adopt: Option<PathBuf>,
    /// The queue length the kernel granted, when it could be read back.
    pub effective_backlog: Option<u32>,
    /// What workers need to know of it (set by [`bind_all`]).
    pub facts: crate::worker::ListenerFacts,
}

/// Resolves the addresses of an inet listener.
pub(crate) fn inet_addrs(addresses: &[&str], port: u16) -> Result<Vec<SocketAddr>, String> {
    let list: Vec<&str> = if addresses.is_empty() {
        vec!["*", "::"]
    } else {
        addresses.to_vec()
    };
    let mut out = Vec::new();
    for a in list {
        let a = a.trim();
        match a {
            "*" => out.push(SocketAddr::from(([0, 0, 0, 0], port))),
            "::" | "[::]" => out.push(SocketAddr::from(([0u16; 8], port))),
            _ => {
                let bare = a.trim_start_matches('[').trim_end_matches(']');
                if let Ok(ip) = bare.parse::<std::net::IpAddr>() {
                    out.push(SocketAddr::new(ip, port));
                } else {
                    let found: Vec<SocketAddr> = (bare, port)
                        .to_socket_addrs()
                        .map_err(|e| format!("cannot resolve {a}: {e}"))?
                        .collect();
                    if found.is_empty() {
                        return Err(format!("{a} resolves to no address"));
                    }
                    out.extend(found);
                }
            }
        }
    }
    Ok(out)
}

/// The absolute path of a unix listener.
pub(crate) fn unix_path(base_dir: &Path, path: &str) -> PathBuf {
    let p = Path::new(path);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base_dir.join(p)
    }
}

/// Binds and listens on one inet address.
pub(crate) fn bind_inet(addr: SocketAddr, backlog: u32) -> Result<Bound, String> {
    let err = |what: &str, e: std::io::Error| format!("listen({addr}) failed: {what}: {e}");
    let sock =
        Socket::new(Domain::for_address(addr), Type::STREAM, None).map_err(|e| err("socket", e))?;
    sock.set_reuse_address(true)
        .map_err(|e| err("SO_REUSEADDR", e))?;
    if addr.is_ipv6() {
        sock.set_only_v6(true).map_err(|e| err("IPV6_V6ONLY", e))?;
    }
    sock.bind(&addr.into()).map_err(|e| err("bind", e))?;
    sock.listen(backlog.min(i32::MAX as u32) as i32)
        .map_err(|e| err("listen", e))?;
    sock.set_nonblocking(true)
        .map_err(|e| err("O_NONBLOCK", e))?;
    let local = sock
        .local_addr()
        .ok()
        .and_then(|a| a.as_socket())
        .unwrap_or(addr);
    let fd: OwnedFd = sock.into();
    let effective_backlog = sys::net::tcp_listen_backlog(fd.as_fd()).ok();
    Ok(Bound {
        fd,
        desc: local.to_string(),
        unix_path: None,
        effective_backlog,
        adopt: None,
        facts: Default::default(),
    })
}

/// What is at a unix listener's path.
pub(crate) enum PathState {
    Free,
    Stale,
    Live,
    NotSocket,
    /// Neither refused nor accepted (e.g. EACCES): never replaced.
    Unknown(String),
}

/// Looks at a unix listener's path without changing anything.
pub(crate) fn probe_unix(path: &Path) -> PathState {
    match std::fs::symlink_metadata(path) {
        Err(_) => PathState::Free,
        Ok(m) if !m.file_type().is_socket() => PathState::NotSocket,
        // A non-blocking connect: a live server with a full queue answers
        // EAGAIN instead of hanging start-up. Only a refusal means stale.
        Ok(_) => {
            let probe = socket2::Socket::new(
                socket2::Domain::UNIX,
                socket2::Type::STREAM.nonblocking(),
                None,
            )
            .and_then(|s| socket2::SockAddr::unix(path).and_then(|a| s.connect(&a)));
            match probe {
                Ok(()) => PathState::Live,
                Err(e) if e.raw_os_error() == Some(libc::ECONNREFUSED) => PathState::Stale,
                Err(e) if e.raw_os_error() == Some(libc::ENOENT) => PathState::Free,
                Err(e)
                    if matches!(
                        e.raw_os_error(),
                        Some(libc::EAGAIN) | Some(libc::EINPROGRESS)
                    ) =>
                {
                    PathState::Live
                }
                Err(e) => PathState::Unknown(e.to_string()),
            }
        }
    }
}

/// Binds and listens on a unix socket path.
pub(crate) fn bind_unix(
    path: &Path,
    mode: u32,
    owner: Option<(Option<u32>, Option<u32>)>,
    backlog: u32,
) -> Result<Bound, String> {
    let shown = path.display();
    match probe_unix(path) {
        PathState::Free => {}
        PathState::Live => return Err(format!("Socket already exists: {shown}")),
        PathState::NotSocket => {
            return Err(format!(
                "{shown} exists and is not a socket; not replacing it"
            ))
        }
        PathState::Unknown(e) => {
            return Err(format!(
                "cannot tell whether {shown} is in use ({e}); not replacing it"
            ))
        }
        PathState::Stale => {
            std::fs::remove_file(path)
                .map_err(|e| format!("cannot remove stale socket {shown}: {e}"))?;
        }
    }
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
    }
    let err = |what: &str, e: std::io::Error| format!("listen({shown}) failed: {what}: {e}");
    let sock = Socket::new(Domain::UNIX, Type::STREAM, None).map_err(|e| err("socket", e))?;
    let addr = SockAddr::unix(path).map_err(|e| err("address", e))?;
    let old = sys::proc::umask(!mode & 0o777);
    let bound = sock.bind(&addr);
    sys::proc::umask(old);
    bound.map_err(|e| err("bind", e))?;
    // umask can only remove bits; make the mode exact (the permission bits
    // alone, as Dovecot's umask(0777 ^ mode) leaves them).
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o777))
        .map_err(|e| err("chmod", e))?;
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::chown(path, uid, gid).map_err(|e| err("chown", e))?;
    }
    sock.listen(backlog.min(i32::MAX as u32) as i32)
        .map_err(|e| err("listen", e))?;
    sock.set_nonblocking(true)
        .map_err(|e| err("O_NONBLOCK", e))?;
    let fd: OwnedFd = sock.into();
    let effective_backlog = sys::net::unix_listen_backlog(fd.as_fd())
        .ok()
        .map(|(b, _)| b);
    Ok(Bound {
        fd,
        desc: format!("unix:{shown}"),
        unix_path: Some(path.to_path_buf()),
        effective_backlog,
        adopt: None,
        facts: Default::default(),
    })
}

/// An inherited (socket-activated) socket as a bound listener.
fn inherited(
    sock: Socket,
    desc: String,
    backlog: u32,
    unix: bool,
    source: &str,
) -> Result<Bound, String> {
    let fd = super::activation::prepare(sock, backlog)?;
    let effective_backlog = if unix {
        sys::net::unix_listen_backlog(fd.as_fd())
            .ok()
            .map(|(b, _)| b)
    } else {
        sys::net::tcp_listen_backlog(fd.as_fd()).ok()
    };
    Ok(Bound {
        fd,
        desc: format!("{desc} ({source})"),
        // systemd owns the socket file (after an upgrade, `bind_all` makes
        // it ours).
        unix_path: None,
        effective_backlog,
        adopt: None,
        facts: Default::default(),
    })
}

/// Binds every listener of a service, taking the sockets systemd passed
/// where one matches.
pub(crate) fn bind_all(
    listeners: &[ListenerSpec],
    base_dir: &Path,
    backlog: u32,
    as_root: bool,
    from_systemd: &mut super::activation::Inherited,
) -> Result<Vec<Bound>, String> {
    let mut out = Vec::new();
    for l in listeners {
        match *l {
            ListenerSpec::Inet {
                name,
                addresses,
                port,
                ssl,
                haproxy,
            } => {
                for addr in inet_addrs(addresses, port)? {
                    let mut b = match from_systemd.take_inet(name, addr) {
                        Some((sock, desc)) => {
                            inherited(sock, desc, backlog, false, from_systemd.source())?
                        }
                        None => bind_inet(addr, backlog)?,
                    };
                    b.facts = crate::worker::ListenerFacts {
                        name,
                        ssl,
                        haproxy,
                        bound: crate::handler::bound_address(b.fd.as_fd()),
                    };
                    out.push(b);
                }
            }
            ListenerSpec::Unix {
                path,
                mode,
                user,
                group,
            } => {
                let full = unix_path(base_dir, path);
                if let Some((sock, desc)) = from_systemd.take_unix(path, &full) {
                    let mut b = inherited(sock, desc, backlog, true, from_systemd.source())?;
                    b.facts.name = path;
                    if from_systemd.owns_files() {
                        // Ours once this master is ready (upgrade.rs).
                        b.adopt = Some(full);
                    }
                    out.push(b);
                    continue;
                }
                let owner = if as_root && (user.is_some() || group.is_some()) {
                    let uid = match user {
                        Some(u) => Some(
                            sys::proc::lookup_user(u)
                                .ok()
                                .flatten()
                                .ok_or_else(|| format!("User doesn't exist: {u}"))?
                                .0,
                        ),
                        None => None,
                    };
                    let gid = match group {
                        Some(g) => Some(
                            sys::proc::lookup_group(g)
                                .ok()
                                .flatten()
                                .ok_or_else(|| format!("Group doesn't exist: {g}"))?,
                        ),
                        None => None,
                    };
                    Some((uid, gid))
                } else {
                    None
                };
                let mut b = bind_unix(&unix_path(base_dir, path), mode, owner, backlog)?;
                b.facts.name = path;
                out.push(b);
            }
        }
    }
    Ok(out)
}
