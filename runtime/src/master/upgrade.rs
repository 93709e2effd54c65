//! Zero-downtime upgrade on `SIGUSR2`, as nginx and Unicorn do it.
//!
//! The old master forks a child that execs the binary on disk (the path
//! this process started from, so a new build put there runs) with the
//! same arguments, handing it every listening socket the way systemd
//! does (`LISTEN_FDS`, `LISTEN_FDNAMES` = listener names, `LISTEN_PID`),
//! plus the write end of a pipe (`SVCC_UPGRADE_READY_FD`). The new master
//! takes the sockets (socket activation's matching), binds the control
//! socket over the old one's name, and once it is ready (the moment it
//! would send systemd `READY=1`, which it sends with `MAINPID=`) writes
//! one byte on the pipe. The old master then stops accepting, tells its
//! workers to finish, and exits 0 when they have, leaving the socket
//! files to the new master. If the new one exits, closes the pipe or is
//! not ready within [`READY_WITHIN`], the old one logs why and keeps
//! serving (a late child is killed).

use std::ffi::{CString, OsString};
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::Interest;
use nix::sys::signal::{SigSet, Signal};
use nix::unistd::Pid;

use super::{Master, UPGRADE};
use crate::log::log_master;
use crate::sys;

/// The variable that names the ready pipe's descriptor in a new master.
const READY_FD_VAR: &str = "SVCC_UPGRADE_READY_FD";
/// How long a new master may take to become ready.
pub(super) const READY_WITHIN: Duration = Duration::from_secs(30);

/// An upgrade under way: the new master and the pipe it reports on.
pub(super) struct Upgrade {
    pub pid: Pid,
    ready: OwnedFd,
    pub deadline: Instant,
}

/// In a new master: the pipe to tell the old one it is ready, when this
/// process was started by an upgrade (the variable is removed either way).
pub(super) fn ready_pipe_from_env() -> Option<OwnedFd> {
    let v = std::env::var(READY_FD_VAR).ok();
    // The master is single-threaded (checked at start).
    std::env::remove_var(READY_FD_VAR);
    sys::proc::take_inherited_fd(v?.trim().parse().ok()?)
}

/// Tells the old master this one is ready (once).
pub(super) fn report_ready(pipe: OwnedFd) {
    let _ = sys::io::write(pipe.as_fd(), b"R");
}

impl Master {
    /// The read end of the ready pipe of an upgrade under way.
    pub(super) fn upgrade_pipe(&self) -> Option<std::os::fd::RawFd> {
        self.upgrade.as_ref().map(|u| u.ready.as_raw_fd())
    }

    /// SIGUSR2: starts the binary on disk as a new master on our sockets.
    pub(super) fn start_upgrade(&mut self) {
        if self.stopping.is_some() {
            log_master!("SIGUSR2 received while shutting down: no upgrade");
            return;
        }
        if let Some(u) = &self.upgrade {
            log_master!(
                "SIGUSR2 received, but the upgrade to {} is still under way",
                u.pid
            );
            return;
        }
        let (exe, args) = crate::cli::start_command();
        log_master!(
            "SIGUSR2 received - upgrading: starting {} on the same listening sockets",
            exe.display()
        );
        let (rd, wr) = match nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC) {
            Ok(p) => p,
            Err(e) => return log_master!("upgrade failed: pipe: {e}; still serving"),
        };
        let mut fds = Vec::new();
        let mut names = Vec::new();
        for s in &self.services {
            for l in &s.listeners {
                fds.push(l.fd.as_raw_fd());
                // systemd's names never hold ':' (its separator).
                names.push(l.facts.name.replace(':', "_"));
            }
        }
        let ready_at = 3 + fds.len();
        fds.push(wr.as_raw_fd());
        let mut env: Vec<(OsString, OsString)> = std::env::vars_os()
            .filter(|(k, _)| {
                !matches!(
                    k.to_str(),
                    Some(
                        "LISTEN_PID"
                            | "LISTEN_FDS"
                            | "LISTEN_FDNAMES"
                            | "WATCHDOG_PID"
                            | READY_FD_VAR
                    )
                )
            })
            .collect();
        env.push(("LISTEN_FDS".into(), (ready_at - 3).to_string().into()));
        env.push(("LISTEN_FDNAMES".into(), names.join(":").into()));
        env.push((READY_FD_VAR.into(), ready_at.to_string().into()));
        let cstr = |b: &[u8]| CString::new(b).ok();
        let argv: Option<Vec<CString>> = args.iter().map(|a| cstr(a.as_bytes())).collect();
        let exe_c = cstr(exe.as_os_str().as_bytes());
        let (Some(argv), Some(exe_c)) = (argv, exe_c) else {
            return log_master!("upgrade failed: a NUL in the command line; still serving");
        };
        match sys::proc::fork() {
            Ok(sys::proc::Forked::Child) => {
                let mut envp: Vec<CString> = env
                    .iter()
                    .filter_map(|(k, v)| {
                        let mut kv = k.as_bytes().to_vec();
                        kv.push(b'=');
                        kv.extend_from_slice(v.as_bytes());
                        CString::new(kv).ok()
                    })
                    .collect();
                // LISTEN_PID names this child, which exec keeps; so does
                // WATCHDOG_PID, so the new master keeps systemd's watchdog
                // fed.
                let me = std::process::id();
                envp.push(CString::new(format!("LISTEN_PID={me}")).expect("digits"));
                if std::env::var_os("WATCHDOG_USEC").is_some() {
                    envp.push(CString::new(format!("WATCHDOG_PID={me}")).expect("digits"));
                }
                // The new master starts as a fresh process would: nothing
                // blocked.
                let _ = sys::proc::set_signal_mask(&SigSet::empty());
                let e = sys::proc::exec_with_fds(&exe_c, &argv, &envp, &fds);
                log_master!("upgrade failed: cannot start {}: {e}", exe.display());
                sys::proc::exit_now(127)
            }
            Ok(sys::proc::Forked::Parent(pid)) => {
                drop(wr);
                let _ = sys::io::set_nonblocking(rd.as_fd(), true);
                if let Err(e) = self.poll.registry().register(
                    &mut SourceFd(&rd.as_raw_fd()),
                    UPGRADE,
                    Interest::READABLE,
                ) {
                    log_master!("upgrade: epoll: {e}");
                }
                self.upgrade = Some(Upgrade {
                    pid,
                    ready: rd,
                    deadline: Instant::now() + READY_WITHIN,
                });
            }
            Err(e) => log_master!("upgrade failed: fork: {e}; still serving"),
        }
    }

    /// A new master that is ready takes over what the old one owned: the
    /// control socket's name and the unix sockets' files (until now, a
    /// failure here must not remove what the old master serves on).
    pub(super) fn adopt_upgrade(&mut self) {
        if let Some(c) = &mut self.control {
            if let Err(e) = c.publish() {
                log_master!("upgrade: cannot take over the control socket: {e}");
            }
        }
        for s in &mut self.services {
            for l in &mut s.listeners {
                if let Some(p) = l.adopt.take() {
                    l.unix_path = Some(p);
                }
            }
        }
    }

    /// The ready pipe is readable: the new master is ready (a byte), or
    /// gone (end of file).
    pub(super) fn on_upgrade_pipe(&mut self) {
        let Some(u) = &self.upgrade else { return };
        let mut b = [0u8; 1];
        match sys::io::read(u.ready.as_fd(), &mut b) {
            Ok(1) => {
                let pid = u.pid;
                self.end_upgrade();
                log_master!(
                    "upgrade: new master {pid} is ready; this master stops accepting, \
                     lets its workers finish and exits"
                );
                self.begin_handover();
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            // End of file: the child is gone or closed the pipe; its exit
            // status comes with SIGCHLD.
            _ => {
                log_master!(
                    "upgrade failed: the new master {} closed its ready pipe before it was \
                     ready; still serving",
                    u.pid
                );
                self.end_upgrade_failed();
            }
        }
    }

    /// The new master exited (`reap`): a failed upgrade unless it had
    /// reported ready.
    pub(super) fn upgrade_child_exited(
        &mut self,
        pid: Pid,
        code: Option<i32>,
        signal: Option<nix::sys::signal::Signal>,
    ) -> bool {
        // Described only when said: every worker's exit passes here.
        let how = || super::lifecycle::describe(code, signal);
        if self.upgrade.as_ref().is_some_and(|u| u.pid == pid) {
            log_master!(
                "upgrade failed: the new master {pid} {}; still serving",
                how()
            );
            self.end_upgrade();
            return true;
        }
        if self.upgrade_children.remove(&pid) {
            log_master!("upgrade: the failed new master {pid} {}", how());
            return true;
        }
        false
    }

    /// Checks the upgrade's deadline.
    pub(super) fn upgrade_tick(&mut self, now: Instant) {
        if let Some(u) = &self.upgrade {
            if now >= u.deadline {
                log_master!(
                    "upgrade failed: the new master {} was not ready within {} s; \
                     killing it, still serving",
                    u.pid,
                    READY_WITHIN.as_secs()
                );
                let _ = sys::proc::kill(u.pid, Signal::SIGKILL);
                self.end_upgrade_failed();
            }
        }
    }

    /// Shutting down while a new master starts: it is stopped too, so a
    /// stop never leaves it running alone.
    pub(super) fn abandon_upgrade(&mut self) {
        if let Some(u) = &self.upgrade {
            log_master!("upgrade abandoned: stopping the new master {}", u.pid);
            let _ = sys::proc::kill(u.pid, Signal::SIGTERM);
            self.end_upgrade_failed();
        }
    }

    fn end_upgrade_failed(&mut self) {
        if let Some(u) = &self.upgrade {
            // Reaped later; its exit is no worker's.
            self.upgrade_children.insert(u.pid);
        }
        self.end_upgrade();
    }

    fn end_upgrade(&mut self) {
        if let Some(u) = self.upgrade.take() {
            let _ = self
                .poll
                .registry()
                .deregister(&mut SourceFd(&u.ready.as_raw_fd()));
        }
    }
}
