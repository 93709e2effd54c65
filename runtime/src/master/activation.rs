//! systemd socket activation (`sd_listen_fds(3)`): when `LISTEN_PID` is
//! this process and `LISTEN_FDS` is set, listeners come from descriptors 3
//! on instead of being bound. Each config listener takes the inherited
//! socket whose name (`LISTEN_FDNAMES`, systemd's `FileDescriptorName=`)
//! is the listener's name and whose address is the listener's, else the
//! one with its address; the rest are bound as usual. An inherited socket
//! that already listens is never `listen()`ed again. The variables are
//! removed before any worker is forked, and an inherited socket that
//! matches no listener is an error naming it.

use std::net::SocketAddr;
use std::os::fd::OwnedFd;
use std::path::Path;

use socket2::Socket;

use crate::sys;

struct Fd {
    name: Option<String>,
    sock: Option<Socket>,
    desc: String,
}

/// The sockets systemd passed, until each is taken by a listener.
#[derive(Default)]
pub(crate) struct Inherited {
    fds: Vec<Fd>,
    /// The sockets came from an upgrading master (not systemd): their
    /// files are ours to remove at shutdown.
    upgrade: bool,
}

impl Inherited {
    /// Takes the passed sockets when `LISTEN_PID` is this process, and
    /// removes the `LISTEN_*` variables either way (workers must not see
    /// them).
    pub(crate) fn from_env(upgrade: bool) -> Result<Inherited, String> {
        let pid = std::env::var("LISTEN_PID").ok();
        let count = std::env::var("LISTEN_FDS").ok();
        let names = std::env::var("LISTEN_FDNAMES").ok();
        for v in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] {
            // The master is single-threaded (checked at start).
            std::env::remove_var(v);
        }
        let ours = pid
            .as_deref()
            .and_then(|p| p.trim().parse::<u32>().ok())
            .is_some_and(|p| p == std::process::id());
        let (true, Some(count)) = (ours, count) else {
            return Ok(Inherited::default());
        };
        let n: usize = count
            .trim()
            .parse()
            .map_err(|_| format!("LISTEN_FDS={count} is not a number"))?;
        let names: Vec<String> = names
            .map(|n| n.split(':').map(str::to_string).collect())
            .unwrap_or_default();
        let fds = sys::proc::take_listen_fds(n)
            .into_iter()
            .enumerate()
            .map(|(i, fd)| {
                let sock = Socket::from(fd);
                let desc = describe(&sock);
                Fd {
                    name: names.get(i).filter(|n| !n.is_empty()).cloned(),
                    sock: Some(sock),
                    desc,
                }
            })
            .collect();
        Ok(Inherited { fds, upgrade })
    }

    /// Where the sockets came from, for the log.
    pub(crate) fn source(&self) -> &'static str {
        if self.upgrade {
            "from the old master"
        } else {
            "from systemd"
        }
    }

    /// Whether inherited unix sockets' files are this master's to remove.
    pub(crate) fn owns_files(&self) -> bool {
        self.upgrade
    }

    /// Whether systemd passed any socket.
    pub(crate) fn any(&self) -> bool {
        !self.fds.is_empty()
    }

    fn take(&mut self, pick: impl Fn(&Fd, &Socket) -> bool) -> Option<(Socket, String)> {
        let f = self
            .fds
            .iter_mut()
            .find(|f| f.sock.as_ref().is_some_and(|s| pick(f, s)))?;
        Some((f.sock.take()?, f.desc.clone()))
    }

    /// The inherited socket for inet listener `name` on `addr` (port 0:
    /// any port of that address).
    pub(crate) fn take_inet(&mut self, name: &str, addr: SocketAddr) -> Option<(Socket, String)> {
        let at = |s: &Socket| {
            s.local_addr()
                .ok()
                .and_then(|a| a.as_socket())
                .is_some_and(|a| a == addr || (addr.port() == 0 && a.ip() == addr.ip()))
        };
        self.take(|f, s| f.name.as_deref() == Some(name) && at(s))
            .or_else(|| self.take(|_, s| at(s)))
    }

    /// The inherited socket for unix listener `name` at `path`.
    pub(crate) fn take_unix(&mut self, name: &str, path: &Path) -> Option<(Socket, String)> {
        let at = |s: &Socket| {
            s.local_addr()
                .ok()
                .and_then(|a| a.as_pathname().map(Path::to_path_buf))
                .is_some_and(|p| p == path)
        };
        let named = |f: &Fd| {
            f.name
                .as_deref()
                .is_some_and(|n| n == name || Path::new(name).file_name().is_some_and(|b| b == n))
        };
        self.take(|f, s| named(f) && at(s))
            .or_else(|| self.take(|_, s| at(s)))
            .or_else(|| self.take(|f, _| named(f)))
    }

    /// An error naming every inherited socket no listener took.
    pub(crate) fn leftovers(&self) -> Result<(), String> {
        let left: Vec<String> = self
            .fds
            .iter()
            .filter(|f| f.sock.is_some())
            .map(|f| match &f.name {
                Some(n) => format!("{} (FileDescriptorName={n})", f.desc),
                None => f.desc.clone(),
            })
            .collect();
        if left.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{} passed sockets that match no listener of the config: {}",
                if self.upgrade {
                    "the old master"
                } else {
                    "systemd"
                },
                left.join(", ")
            ))
        }
    }
}

fn describe(s: &Socket) -> String {
    match s.local_addr() {
        Ok(a) => match (a.as_socket(), a.as_pathname()) {
            (Some(sa), _) => sa.to_string(),
            (_, Some(p)) => format!("unix:{}", p.display()),
            _ => "an unnamed socket".into(),
        },
        Err(e) => format!("a socket ({e})"),
    }
}

/// Makes an inherited socket ready to accept: listening (unless it already
/// is) and non-blocking.
pub(crate) fn prepare(sock: Socket, backlog: u32) -> Result<OwnedFd, String> {
    if !sock.is_listener().unwrap_or(false) {
        sock.listen(backlog.min(i32::MAX as u32) as i32)
            .map_err(|e| format!("listen on an inherited socket: {e}"))?;
    }
    sock.set_nonblocking(true)
        .map_err(|e| format!("O_NONBLOCK on an inherited socket: {e}"))?;
    Ok(sock.into())
}
