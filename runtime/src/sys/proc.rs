//! Processes: fork, exit, signal masks and handlers, limits and identity.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

use nix::sys::signal::{SigSet, SigmaskHow, Signal};
use nix::unistd::Pid;

/// Which side of a `fork` we are on.
pub enum Forked {
    /// In the parent; the child's pid.
    Parent(Pid),
    /// In the child.
    Child,
}

/// `fork()` without `exec`.
///
/// The master is single-threaded (no runtime spawns threads in it), so the
/// child may keep using the allocator and everything else it inherited.
pub fn fork() -> io::Result<Forked> {
    // SAFETY: the master never starts threads, so no lock can be held by a
    // thread that does not exist in the child; the child only runs code that
    // is sound after fork in a single-threaded process and leaves with
    // `exit_now` rather than returning into the parent's frames.
    match unsafe { nix::unistd::fork() }? {
        nix::unistd::ForkResult::Parent { child } => Ok(Forked::Parent(child)),
        nix::unistd::ForkResult::Child => Ok(Forked::Child),
    }
}

/// How many threads this process has (`Threads:` in `/proc/self/status`).
pub fn thread_count() -> io::Result<usize> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| io::Error::other("no Threads: line in /proc/self/status"))
}

/// `_exit(code)`: leaves a forked child without running the parent's
/// destructors or `atexit` handlers.
pub fn exit_now(code: i32) -> ! {
    // SAFETY: _exit is always safe to call; it never returns.
    unsafe { libc::_exit(code) }
}

/// The one signal set of the runtime: what the master blocks (and reads
/// from its signalfd) before it forks, so every child starts with these
/// blocked, and what the event workers and the drainer read from theirs.
///
/// SIGCHLD (master: reap), SIGTERM/SIGINT (stop), SIGHUP (master: reload;
/// workers: stop), SIGUSR1 (idle kill), SIGUSR2 (master to workers: the
/// service is full, make room).
pub fn handled_signals() -> SigSet {
    let mut s = SigSet::empty();
    for sig in [
        Signal::SIGCHLD,
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGHUP,
        Signal::SIGUSR1,
        Signal::SIGUSR2,
    ] {
        s.add(sig);
    }
    s
}

/// The signals a blocking worker handles with flags: they stay blocked
/// outside a wait, and `ppoll`/the client read let them in.
pub fn flag_signals() -> SigSet {
    let mut s = SigSet::empty();
    for sig in [Signal::SIGTERM, Signal::SIGINT, Signal::SIGUSR1] {
        s.add(sig);
    }
    s
}

/// Blocks [`flag_signals`] until dropped, then restores the previous mask
/// (a blocking worker's client read: check the stop flag, then wait with
/// [`crate::sys::io::wait_readable`], which lets them in atomically).
pub struct FlagSignalsBlocked {
    old: Option<SigSet>,
}

impl FlagSignalsBlocked {
    /// Blocks the flag signals.
    pub fn new() -> Self {
        FlagSignalsBlocked {
            old: block_signals(&flag_signals()).ok(),
        }
    }
}

impl Drop for FlagSignalsBlocked {
    fn drop(&mut self) {
        if let Some(old) = self.old.take() {
            let _ = set_signal_mask(&old);
        }
    }
}

/// Blocks `set` for this (single) thread; returns the previous mask.
pub fn block_signals(set: &SigSet) -> io::Result<SigSet> {
    let mut old = SigSet::empty();
    nix::sys::signal::pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(set), Some(&mut old))?;
    Ok(old)
}

/// Replaces the signal mask.
pub fn set_signal_mask(set: &SigSet) -> io::Result<()> {
    nix::sys::signal::pthread_sigmask(SigmaskHow::SIG_SETMASK, Some(set), None)?;
    Ok(())
}

/// Ignores `SIGPIPE` (writes to closed sockets fail with `EPIPE` instead).
pub fn ignore_sigpipe() {
    // SAFETY: installing SIG_IGN runs no code in signal context.
    unsafe {
        let _ = nix::sys::signal::signal(Signal::SIGPIPE, nix::sys::signal::SigHandler::SigIgn);
    }
}

/// Set by [`install_flag_handlers`]' handler when SIGTERM or SIGINT arrives.
pub static STOP_FLAG: AtomicBool = AtomicBool::new(false);
/// Set by [`install_flag_handlers`]' handler when SIGUSR1 (idle kill) arrives.
pub static IDLE_FLAG: AtomicBool = AtomicBool::new(false);

extern "C" fn on_stop(_: libc::c_int) {
    STOP_FLAG.store(true, Ordering::Relaxed);
}
extern "C" fn on_idle(_: libc::c_int) {
    IDLE_FLAG.store(true, Ordering::Relaxed);
}

/// For blocking workers, which cannot poll a signalfd: SIGTERM/SIGINT and
/// SIGUSR1 only set an atomic flag, installed without `SA_RESTART` so that a
/// blocking `read` returns `EINTR` and the worker can look at the flag.
pub fn install_flag_handlers() -> io::Result<()> {
    use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler};
    let stop = SigAction::new(
        SigHandler::Handler(on_stop),
        SaFlags::empty(),
        SigSet::empty(),
    );
    let idle = SigAction::new(
        SigHandler::Handler(on_idle),
        SaFlags::empty(),
        SigSet::empty(),
    );
    // SAFETY: the handlers only store to an atomic, which is
    // async-signal-safe.
    unsafe {
        sigaction(Signal::SIGTERM, &stop)?;
        sigaction(Signal::SIGINT, &stop)?;
        sigaction(Signal::SIGUSR1, &idle)?;
        let ign = SigAction::new(SigHandler::SigIgn, SaFlags::empty(), SigSet::empty());
        sigaction(Signal::SIGHUP, &ign)?;
        sigaction(Signal::SIGUSR2, &ign)?;
    }
    Ok(())
}

/// `prctl(PR_SET_PDEATHSIG, SIGTERM)`: the child gets SIGTERM when the master
/// dies.
pub fn parent_death_signal() -> io::Result<()> {
    // SAFETY: PR_SET_PDEATHSIG takes a signal number and touches no memory.
    if unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM as libc::c_ulong) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Sends `sig` to exactly `pid`.
pub fn kill(pid: Pid, sig: Signal) -> io::Result<()> {
    nix::sys::signal::kill(pid, sig)?;
    Ok(())
}

/// The soft and hard `RLIMIT_NOFILE`.
pub fn nofile() -> io::Result<(u64, u64)> {
    Ok(nix::sys::resource::getrlimit(
        nix::sys::resource::Resource::RLIMIT_NOFILE,
    )?)
}

/// Sets `RLIMIT_NOFILE`.
pub fn set_nofile(soft: u64, hard: u64) -> io::Result<()> {
    nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE, soft, hard)?;
    Ok(())
}

/// Sets `RLIMIT_AS` (soft and hard) to `bytes`.
pub fn set_address_space_limit(bytes: u64) -> io::Result<()> {
    nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_AS, bytes, bytes)?;
    Ok(())
}

/// True when running as root.
pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// A resolved service identity (looked up in the master, applied in the
/// child).
#[derive(Debug, Clone)]
pub struct Identity {
    /// Target user id, if a user was set.
    pub uid: Option<u32>,
    /// Target group id (the group's, or the user's primary group).
    pub gid: Option<u32>,
    /// Supplementary groups; empty means just `gid` (a worker never keeps
    /// the master's or the user's other groups).
    pub groups: Vec<u32>,
}

/// Looks up a user name.
pub fn lookup_user(name: &str) -> io::Result<Option<(u32, u32)>> {
    Ok(nix::unistd::User::from_name(name)?.map(|u| (u.uid.as_raw(), u.gid.as_raw())))
}

/// Looks up a group name.
pub fn lookup_group(name: &str) -> io::Result<Option<u32>> {
    Ok(nix::unistd::Group::from_name(name)?.map(|g| g.gid.as_raw()))
}

/// Applies chroot and identity in a child: `chroot` + `chdir("/")`, then
/// supplementary groups, then gid, then uid. Any failure is returned and the
/// caller must exit; it never continues with a partial identity.
pub fn apply_identity(chroot: Option<&std::path::Path>, id: &Identity) -> io::Result<()> {
    use nix::unistd::{Gid, Uid};
    if let Some(dir) = chroot {
        nix::unistd::chroot(dir)?;
        nix::unistd::chdir("/")?;
    }
    if let Some(gid) = id.gid {
        let gid = Gid::from_raw(gid);
        let groups: Vec<Gid> = if id.groups.is_empty() {
            vec![gid]
        } else {
            id.groups.iter().map(|g| Gid::from_raw(*g)).collect()
        };
        nix::unistd::setgroups(&groups)?;
        nix::unistd::setgid(gid)?;
    }
    if let Some(uid) = id.uid {
        nix::unistd::setuid(Uid::from_raw(uid))?;
        if nix::unistd::geteuid().as_raw() != uid {
            return Err(io::Error::other("setuid did not take effect"));
        }
    }
    Ok(())
}

/// Sets the process umask; returns the previous one.
pub fn umask(mask: u32) -> u32 {
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(
        mask as libc::mode_t,
    ))
    .bits() as u32
}

/// Returns freed heap memory to the kernel (glibc's `malloc_trim`), so an
/// idle worker does not keep the peak of its last burst resident.
pub fn trim_heap() {
    #[cfg(target_env = "gnu")]
    // SAFETY: malloc_trim only releases free memory of malloc's own arenas;
    // it is safe to call at any time from this single-threaded process.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The listening sockets systemd passed (`sd_listen_fds(3)`): descriptors
/// 3 to 3 + `n` − 1, each made close-on-exec. Call once, and only when
/// `LISTEN_PID` names this process.
pub fn take_listen_fds(n: usize) -> Vec<std::os::fd::OwnedFd> {
    const SD_LISTEN_FDS_START: i32 = 3;
    (0..n as i32)
        .filter_map(|i| take_inherited_fd(SD_LISTEN_FDS_START + i))
        .collect()
}

/// Takes ownership of descriptor `raw`, inherited across `exec` by a
/// protocol that gives it to this process (systemd's `LISTEN_FDS`, an
/// upgrading master's ready pipe), and makes it close-on-exec. `None`
/// when it is not open. Call once per descriptor, at start-up.
pub fn take_inherited_fd(raw: i32) -> Option<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    if raw < 3 {
        return None;
    }
    // A descriptor that is not open is no socket of ours.
    // SAFETY: F_GETFD only reads the descriptor's flags.
    if unsafe { libc::fcntl(raw, libc::F_GETFD) } < 0 {
        return None;
    }
    // SAFETY: the protocol that named `raw` opened it for this process and
    // nothing else owns it; this runs once at start-up, before any other
    // code could have taken it, so it becomes owned exactly once.
    let fd = unsafe { std::os::fd::OwnedFd::from_raw_fd(raw) };
    let _ = nix::fcntl::fcntl(
        &fd,
        nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC),
    );
    Some(fd)
}

/// In a forked child: places `fds` at descriptors 3, 4, … in order (open
/// across `exec`; every other descriptor of the runtime is close-on-exec),
/// then replaces the process with `exe` (`argv`, `env`). Returns only on
/// failure.
pub fn exec_with_fds(
    exe: &std::ffi::CStr,
    argv: &[std::ffi::CString],
    env: &[std::ffi::CString],
    fds: &[std::os::fd::RawFd],
) -> io::Error {
    // First above every target, so no dup2 below overwrites a source.
    let above = 3 + fds.len() as i32;
    let mut high = Vec::with_capacity(fds.len());
    for &fd in fds {
        // SAFETY: F_DUPFD_CLOEXEC duplicates an open descriptor onto the
        // lowest free number >= `above`; it touches no memory.
        let h = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, above) };
        if h < 0 {
            return io::Error::last_os_error();
        }
        high.push(h);
    }
    for (i, &h) in high.iter().enumerate() {
        // SAFETY: dup2 onto 3 + i closes whatever that number held (a
        // close-on-exec descriptor this process image is about to drop
        // anyway; the process is single-threaded, so no other code uses
        // it) and clears close-on-exec on the copy.
        if unsafe { libc::dup2(h, 3 + i as i32) } < 0 {
            return io::Error::last_os_error();
        }
    }
    match nix::unistd::execve(exe, argv, env) {
        Err(e) => io::Error::from(e),
        Ok(never) => match never {},
    }
}
