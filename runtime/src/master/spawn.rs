//! Spawning: the fork of a worker or of the linger drainer, what the child
//! does before it serves (closing the master's descriptors, limits, chroot
//! and identity), and resolving identities in the master (so a child reads
//! no files).

use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::{listen, Master, Proc, StartError};
use crate::log::{log_master, log_svc};
use crate::spec::{ListenerSpec, ServiceSpec};
use crate::sys;
use crate::sys::proc::Identity;
use crate::worker::{self, ChildEnv, EXIT_PANIC, EXIT_STARTUP_FAILED};

impl Master {
    /// Forks one worker of service `i`. Returns false when the fork failed.
    pub(super) fn fork_worker(&mut self, i: usize) -> bool {
        // A channel to ask the master for status, for handlers that want one.
        let chan = if self.services[i].spec.handler.wants_master_status() {
            match std::os::unix::net::UnixStream::pair() {
                Ok(p) => Some(p),
                Err(e) => {
                    log_svc!(self.services[i].spec.name, "socketpair() failed: {e}");
                    None
                }
            }
        } else {
            None
        };
        match sys::proc::fork() {
            Ok(sys::proc::Forked::Parent(pid)) => {
                let chan = chan.and_then(|(mine, _theirs)| {
                    mine.set_nonblocking(true).ok()?;
                    self.poll
                        .registry()
                        .register(
                            &mut mio::unix::SourceFd(&mine.as_raw_fd()),
                            mio::Token(super::CHANNEL_BASE + pid.as_raw() as usize),
                            mio::Interest::READABLE,
                        )
                        .ok()?;
                    Some(mine)
                });
                let s = &mut self.services[i];
                let full = s.spec.client_limit.max(1);
                s.count += 1;
                s.avail_procs += 1;
                s.counters.forks += 1;
                self.procs.insert(
                    pid.as_raw(),
                    Proc {
                        svc: i,
                        avail: full,
                        can_make_room: false,
                        got_status: false,
                        retiring: false,
                        idle_since: Some(Instant::now()),
                        idle_kill_sent: false,
                        started: Instant::now(),
                        deadline_killed: false,
                        accepted: 0,
                        chan,
                        chan_buf: Vec::new(),
                    },
                );
                true
            }
            Ok(sys::proc::Forked::Child) => {
                if let Some((mine, theirs)) = chan {
                    drop(mine);
                    super::control::set_worker_channel(theirs);
                }
                let code = std::panic::catch_unwind(AssertUnwindSafe(|| self.child(i)))
                    .unwrap_or(EXIT_PANIC);
                sys::proc::exit_now(code)
            }
            Err(e) => {
                log_svc!(self.services[i].spec.name, "fork() failed: {e}");
                self.throttle(i);
                false
            }
        }
    }

    /// Closes, in a forked child, every descriptor that belongs to the
    /// master (its epoll, signalfd, status read end, the drainer's
    /// receiving end, other services' listeners). `keep_listeners` names the
    /// service whose listeners stay.
    pub(super) fn close_master_fds(&self, keep_listeners: Option<usize>) {
        sys::io::close_raw(self.poll.as_raw_fd());
        sys::io::close_raw(self.sigfd.as_fd().as_raw_fd());
        sys::io::close_raw(self.status_rd.as_raw_fd());
        if let Some(c) = &self.control {
            sys::io::close_raw(c.fd().as_raw_fd());
        }
        // An upgrade's pipes: only the masters may hold them, or the end of
        // file that says "the other side is gone" never comes.
        if let Some(fd) = self.upgrade_pipe() {
            sys::io::close_raw(fd);
        }
        // Other workers' status channels.
        for p in self.procs.values() {
            if let Some(c) = &p.chan {
                sys::io::close_raw(c.as_raw_fd());
            }
        }
        if let Some(fd) = &self.upgraded_from {
            sys::io::close_raw(fd.as_raw_fd());
        }
        if let Some(rx) = &self.drain_rx {
            sys::io::close_raw(rx.as_raw_fd());
        }
        for (k, s) in self.services.iter().enumerate() {
            if Some(k) != keep_listeners {
                for l in &s.listeners {
                    sys::io::close_raw(l.fd.as_raw_fd());
                }
            }
        }
    }

    /// Runs in the forked child; returns its exit code.
    pub(super) fn child(&self, i: usize) -> i32 {
        let s = &self.services[i];
        let spec = s.spec;
        if sys::proc::parent_death_signal().is_err() || nix::unistd::getppid() != self.pid {
            return EXIT_STARTUP_FAILED;
        }
        self.close_master_fds(Some(i));
        let dup = |fd: &OwnedFd| fd.try_clone();
        let listeners: io::Result<Vec<OwnedFd>> = s.listeners.iter().map(|l| dup(&l.fd)).collect();
        let status = dup(&self.status_wr);
        let drain = self.drain_tx.as_ref().map(dup).transpose();
        let (Ok(listeners), Ok(status), Ok(drain)) = (listeners, status, drain) else {
            log_svc!(
                spec.name,
                "worker start-up failed: cannot duplicate descriptors"
            );
            return EXIT_STARTUP_FAILED;
        };
        // The originals are the master's; close them (their owners are never
        // dropped here: the child leaves with _exit).
        for l in &s.listeners {
            sys::io::close_raw(l.fd.as_raw_fd());
        }
        sys::io::close_raw(self.status_wr.as_raw_fd());
        if let Some(tx) = &self.drain_tx {
            sys::io::close_raw(tx.as_raw_fd());
        }
        if spec.vsz_limit > 0 {
            if let Err(e) = sys::proc::set_address_space_limit(spec.vsz_limit) {
                log_svc!(
                    spec.name,
                    "setrlimit(RLIMIT_AS, {}) failed: {e}",
                    spec.vsz_limit
                );
                return EXIT_STARTUP_FAILED;
            }
        }
        if let Some(id) = &s.identity {
            if let Err(e) = sys::proc::apply_identity(s.chroot.as_deref(), id) {
                log_svc!(
                    spec.name,
                    "cannot drop privileges (user {:?}, group {:?}, chroot {:?}): {e}; not serving",
                    spec.user,
                    spec.group,
                    spec.chroot
                );
                return EXIT_STARTUP_FAILED;
            }
        } else if let Some(dir) = &s.chroot {
            if let Err(e) = sys::proc::apply_identity(
                Some(dir),
                &Identity {
                    uid: None,
                    gid: None,
                    groups: Vec::new(),
                },
            ) {
                log_svc!(
                    spec.name,
                    "chroot({}) failed: {e}; not serving",
                    dir.display()
                );
                return EXIT_STARTUP_FAILED;
            }
        }
        // Changing the uid or gid clears the parent-death signal: set it
        // again, so no worker outlives a master that was killed outright.
        if s.identity.is_some()
            && (sys::proc::parent_death_signal().is_err() || nix::unistd::getppid() != self.pid)
        {
            return EXIT_STARTUP_FAILED;
        }
        let env = ChildEnv {
            service: spec,
            listeners,
            status,
            drain,
            plain_close: self.opts.plain_close(),
            shutdown_grace: self.opts.shutdown_timeout,
            tls: self.tls.clone(),
            listener_facts: s.listeners.iter().map(|l| l.facts).collect(),
            haproxy_trusted: self.haproxy_trusted,
        };
        (spec.handler.entry())(env)
    }

    pub(super) fn spawn_drainer(&mut self) {
        let Some(rx) = &self.drain_rx else {
            return;
        };
        if !self
            .drainer_restarts
            .ready(Instant::now(), Duration::from_secs(1))
        {
            // Restarted less than a second ago: try again in a second (the
            // master's timer), meanwhile the queue waits for it.
            log_master!("linger drainer keeps failing; restarting it in 1 s");
            self.drainer_retry_at = Some(Instant::now() + Duration::from_secs(1));
            return;
        }
        self.drainer_retry_at = None;
        match sys::proc::fork() {
            Ok(sys::proc::Forked::Parent(pid)) => {
                log_master!("linger drainer started (pid {pid})");
                self.drainer = Some(pid);
            }
            Ok(sys::proc::Forked::Child) => {
                let code = std::panic::catch_unwind(AssertUnwindSafe(|| {
                    if sys::proc::parent_death_signal().is_err()
                        || nix::unistd::getppid() != self.pid
                    {
                        return EXIT_STARTUP_FAILED;
                    }
                    let Ok(chan) = rx.try_clone() else {
                        return EXIT_STARTUP_FAILED;
                    };
                    self.close_master_fds(None);
                    sys::io::close_raw(self.status_wr.as_raw_fd());
                    if let Some(tx) = &self.drain_tx {
                        sys::io::close_raw(tx.as_raw_fd());
                    }
                    // It reads from network clients: never as root.
                    if let Some(id) = &self.drainer_identity {
                        if let Err(e) = sys::proc::apply_identity(None, id) {
                            log_master!("linger drainer cannot drop privileges: {e}");
                            return EXIT_STARTUP_FAILED;
                        }
                        // A new uid clears the parent-death signal.
                        if sys::proc::parent_death_signal().is_err()
                            || nix::unistd::getppid() != self.pid
                        {
                            return EXIT_STARTUP_FAILED;
                        }
                    }
                    worker::drainer::run(chan, self.opts.shutdown_timeout)
                }))
                .unwrap_or(EXIT_PANIC);
                sys::proc::exit_now(code)
            }
            Err(e) => {
                log_master!("fork() of the linger drainer failed: {e}; retrying in 1 s");
                self.drainer_retry_at = Some(Instant::now() + Duration::from_secs(1));
            }
        }
    }
}

pub(super) fn has_inet(s: &ServiceSpec) -> bool {
    s.listeners
        .iter()
        .any(|l| matches!(l, ListenerSpec::Inet { .. }))
}

/// Resolves a service's user, group and chroot in the master (so the child
/// reads no files). Without root, user and group are not applied.
pub(super) fn resolve_identity(
    s: &ServiceSpec,
    root: bool,
    base_dir: &std::path::Path,
) -> Result<(Option<Identity>, Option<PathBuf>), StartError> {
    let chroot = s
        .chroot
        .filter(|c| !c.is_empty())
        .map(|c| listen::unix_path(base_dir, c));
    if s.user.is_none() && s.group.is_none() {
        return Ok((None, chroot));
    }
    if !root {
        log_svc!(
            s.name,
            "warning: user/group set but the master is not root: running as the master's user"
        );
        return Ok((None, chroot));
    }
    let mut uid = None;
    let mut gid = None;
    let mut groups = Vec::new();
    if let Some(u) = s.user {
        let (u_id, g_id) = sys::proc::lookup_user(u)
            .map_err(|e| format!("service({}) cannot look up user {u}: {e}", s.name))?
            .ok_or_else(|| {
                format!(
                    "service({}) User doesn't exist: {u} (See service {} {{ user }} setting)",
                    s.name, s.name
                )
            })?;
        uid = Some(u_id);
        gid = Some(g_id);
        // Supplementary groups are dropped, as in Dovecot: the worker keeps
        // only its (primary or `group`) gid, never the user's other groups.
    }
    if let Some(g) = s.group {
        let g_id = sys::proc::lookup_group(g)
            .map_err(|e| format!("service({}) cannot look up group {g}: {e}", s.name))?
            .ok_or_else(|| {
                format!(
                    "service({}) Group doesn't exist: {g} (See service {} {{ group }} setting)",
                    s.name, s.name
                )
            })?;
        gid = Some(g_id);
        if !groups.contains(&g_id) {
            groups.insert(0, g_id);
        }
    }
    Ok((Some(Identity { uid, gid, groups }), chroot))
}

/// The linger drainer's identity under a root master: `internal_user`
/// (Dovecot's `default_internal_user`) or `nobody`, its primary group and
/// no other.
pub(super) fn internal_identity(user: Option<&str>) -> Result<Identity, StartError> {
    let name = user.unwrap_or("nobody");
    let (uid, gid) = sys::proc::lookup_user(name)
        .map_err(|e| format!("cannot look up user {name}: {e}"))?
        .ok_or_else(|| match user {
            Some(u) => format!("default_internal_user doesn't exist: {u}"),
            None => "user nobody doesn't exist: the linger drainer needs an unprivileged \
                     user (set default_internal_user)"
                .to_string(),
        })?;
    if uid == 0 {
        return Err(format!(
            "the linger drainer's user {name} is root: set default_internal_user to an \
             unprivileged user"
        ));
    }
    Ok(Identity {
        uid: Some(uid),
        gid: Some(gid),
        groups: Vec::new(),
    })
}
