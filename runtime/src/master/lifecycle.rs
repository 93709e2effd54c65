//! The life cycle of workers: keeping `process_min_avail` ready, idle
//! kill, reaping (with its log line), throttling after failed start-ups or
//! a failure storm, graceful shutdown and SIGHUP's replacement.

use std::time::Instant;

use nix::sys::signal::Signal;
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

use super::{
    Master, Svc, EXIT_FAILURE_WINDOW, MAX_EXIT_FAILURES_IN_SEC, MAX_FORKS_PER_TICK, THROTTLE_FIRST,
    THROTTLE_MAX,
};
use crate::log::{log_master, log_svc};
use crate::sys;
use crate::worker::{EXIT_PANIC, EXIT_STARTUP_FAILED};

impl Master {
    pub(super) fn prefork(&mut self, i: usize) {
        let mut forked = 0;
        loop {
            let s = &self.services[i];
            if s.throttle_until.is_some()
                || s.avail_procs >= s.spec.process_min_avail
                || s.count >= s.spec.process_limit
            {
                return;
            }
            if forked == MAX_FORKS_PER_TICK {
                self.tick_now = true;
                return;
            }
            if !self.fork_worker(i) {
                return;
            }
            forked += 1;
        }
    }

    pub(super) fn idle_kill(&mut self, i: usize, now: Instant) {
        let s = &self.services[i];
        let Some(after) = s.spec.idle_kill else {
            return;
        };
        let min = s.spec.process_min_avail;
        let mut spare = s.avail_procs.saturating_sub(min);
        if spare == 0 {
            return;
        }
        let mut idle: Vec<(Instant, i32)> = self
            .procs
            .iter()
            .filter(|(_, p)| p.svc == i && !p.retiring && !p.idle_kill_sent && p.got_status)
            .filter_map(|(pid, p)| p.idle_since.map(|t| (t, *pid)))
            .filter(|(t, _)| now >= *t + after)
            .collect();
        idle.sort();
        for (_, pid) in idle {
            if spare == 0 {
                break;
            }
            spare -= 1;
            if let Some(p) = self.procs.get_mut(&pid) {
                p.idle_kill_sent = true;
            }
            let _ = sys::proc::kill(Pid::from_raw(pid), Signal::SIGUSR1);
        }
    }

    pub(super) fn reap(&mut self) {
        loop {
            let st = match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::StillAlive) | Err(_) => return,
                Ok(st) => st,
            };
            let (pid, code, signal) = match st {
                WaitStatus::Exited(pid, code) => (pid, Some(code), None),
                WaitStatus::Signaled(pid, sig, _) => (pid, None, Some(sig)),
                _ => continue,
            };
            if self.upgrade_child_exited(pid, code, signal) {
                continue;
            }
            if Some(pid) == self.drainer {
                self.drainer = None;
                if self.stopping.is_none() {
                    log_master!(
                        "linger drainer {pid} exited ({}); restarting it",
                        describe(code, signal)
                    );
                    self.spawn_drainer();
                }
                continue;
            }
            // A worker writes its status before it exits: take those records
            // now (the child is gone, so they are in the pipe), or a fast
            // worker would look like one that died before reporting.
            self.read_status();
            let Some(p) = self.procs.remove(&pid.as_raw()) else {
                continue;
            };
            let i = p.svc;
            let s = &mut self.services[i];
            if !p.retiring {
                s.count -= 1;
                if p.avail > 0 {
                    s.avail_procs -= 1;
                }
            }
            let clean = code == Some(0);
            let early = !p.got_status && self.stopping.is_none() && !p.retiring;
            if !clean || early {
                let extra = match code {
                    Some(c) if c == EXIT_PANIC => " (handler panicked)",
                    Some(c) if c == EXIT_STARTUP_FAILED => " (start-up failed)",
                    _ if signal == Some(Signal::SIGKILL) && p.deadline_killed => {
                        " (killed by the master: its clients were not done when the \
                         shutdown deadline passed)"
                    }
                    _ if signal == Some(Signal::SIGKILL) && s.spec.vsz_limit > 0 => {
                        " (killed: out of memory? see vsz_limit)"
                    }
                    _ => "",
                };
                let when = if early {
                    " before its first status report"
                } else {
                    ""
                };
                log_svc!(
                    s.spec.name,
                    "child {pid} {}{extra}{when}",
                    describe(code, signal)
                );
                if !p.retiring && self.stopping.is_none() && !p.deadline_killed {
                    s.counters.respawns += 1;
                    s.counters.last_crash = Some((
                        pid.as_raw(),
                        format!("{}{extra}{when}", describe(code, signal)),
                        std::time::SystemTime::now(),
                    ));
                }
            }
            if early {
                self.throttle(i);
            } else if clean && p.got_status {
                let s = &mut self.services[i];
                s.throttle_next = THROTTLE_FIRST;
                if !p.retiring {
                    s.had_clean_exit = true;
                    s.exit_failures_in_window = 0;
                }
            } else if !clean && !p.retiring && self.stopping.is_none() {
                self.exit_failure(i);
            }
            self.tick_now = true;
        }
    }

    /// Counts a failed exit of a worker that had reported its status;
    /// throttles on more than [`MAX_EXIT_FAILURES_IN_SEC`] in one second
    /// until the service's first clean exit.
    pub(super) fn exit_failure(&mut self, i: usize) {
        let s = &mut self.services[i];
        if s.had_clean_exit {
            return;
        }
        let now = Instant::now();
        match s.exit_failure_window {
            Some(start) if now < start + EXIT_FAILURE_WINDOW => {}
            _ => {
                s.exit_failure_window = Some(now);
                s.exit_failures_in_window = 0;
            }
        }
        s.exit_failures_in_window += 1;
        if s.exit_failures_in_window > MAX_EXIT_FAILURES_IN_SEC {
            s.exit_failures_in_window = 0;
            s.exit_failure_window = None;
            self.throttle(i);
        }
    }

    pub(super) fn throttle(&mut self, i: usize) {
        let s = &mut self.services[i];
        if s.throttle_until.is_some() {
            return;
        }
        let d = s.throttle_next;
        log_svc!(
            s.spec.name,
            "command startup failed, throttling for {}.{:03} secs",
            d.as_secs(),
            d.subsec_millis()
        );
        s.throttle_until = Some(Instant::now() + d);
        s.throttle_next = (d * 2).min(THROTTLE_MAX);
        self.update_watch(i);
    }

    pub(super) fn begin_shutdown(&mut self, why: &str) {
        if self.stopping.is_some() {
            return;
        }
        log_master!(
            "{why} received - shutting down: stop accepting, finish open connections \
             (at most {} ms)",
            self.opts.shutdown_timeout.as_millis()
        );
        self.notifier.stopping();
        self.abandon_upgrade();
        self.stop_accepting(false);
    }

    /// After an upgrade: the new master serves on the same sockets, so
    /// their files stay, and systemd hears nothing (the new master is its
    /// main process now).
    pub(super) fn begin_handover(&mut self) {
        if self.stopping.is_none() {
            self.stop_accepting(true);
        }
    }

    /// Stops accepting, closes the listeners (removing their socket files
    /// unless `keep_files`) and asks every worker to finish.
    fn stop_accepting(&mut self, keep_files: bool) {
        self.stopping = Some(Instant::now() + self.opts.shutdown_timeout);
        for i in 0..self.services.len() {
            self.update_watch(i);
            for l in self.services[i].listeners.drain(..) {
                if let (Some(p), false) = (&l.unix_path, keep_files) {
                    let _ = std::fs::remove_file(p);
                }
            }
        }
        for pid in self.procs.keys() {
            let _ = sys::proc::kill(Pid::from_raw(*pid), Signal::SIGTERM);
        }
        self.tick_now = true;
    }

    /// Asks the drainer to finish (once per drainer).
    pub(super) fn stop_drainer(&mut self) {
        if let Some(d) = self.drainer {
            if !self.killed_all && self.drainer_told != Some(d) {
                self.drainer_told = Some(d);
                let _ = sys::proc::kill(d, Signal::SIGTERM);
            }
        }
    }

    pub(super) fn reload(&mut self) {
        if self.stopping.is_some() {
            return;
        }
        log_master!("SIGHUP received - replacing all workers on the same listeners");
        self.notifier.reloading();
        if self.tls.is_some() {
            // Renewed certificates: new workers get them; a failure keeps
            // the old ones (no listener is ever left without).
            match crate::tls::Contexts::load(self.tls_spec) {
                Ok(t) => {
                    self.tls = Some(t);
                    log_master!("TLS: certificates reloaded");
                }
                Err(e) => log_master!("TLS: reload failed, keeping the old certificates: {e}"),
            }
        }
        for (pid, p) in self.procs.iter_mut() {
            if p.retiring {
                continue;
            }
            p.retiring = true;
            let s = &mut self.services[p.svc];
            s.count -= 1;
            if p.avail > 0 {
                s.avail_procs -= 1;
            }
            let _ = sys::proc::kill(Pid::from_raw(*pid), Signal::SIGTERM);
        }
        for s in &mut self.services {
            s.throttle_until = None;
            s.throttle_next = THROTTLE_FIRST;
            s.exit_failure_window = None;
            s.exit_failures_in_window = 0;
            s.had_clean_exit = false;
            s.saturated_since = None;
            s.drop_pause_until = None;
        }
        self.retire_deadline = Some(Instant::now() + self.opts.shutdown_timeout);
        self.tick_now = true;
    }
}

pub(super) fn s_needs_prefork(s: &Svc) -> bool {
    s.throttle_until.is_none()
        && s.avail_procs < s.spec.process_min_avail
        && s.count < s.spec.process_limit
}

pub(super) fn describe(code: Option<i32>, signal: Option<Signal>) -> String {
    match (code, signal) {
        (Some(0), _) => "exited normally".to_string(),
        (Some(c), _) => format!("returned error {c}"),
        (_, Some(s)) => format!("killed with signal {} ({s})", s as i32),
        _ => "ended".to_string(),
    }
}
