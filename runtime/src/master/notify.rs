//! systemd's service notifications (`sd_notify(3)`, through the sd-notify
//! crate; a no-op without `NOTIFY_SOCKET`): `READY=1` once every listener
//! is bound and each service has its `process_min_avail` workers ready,
//! then `WATCHDOG=1` at once and every half `WATCHDOG_USEC` while the loop
//! runs; `RELOADING=1` with `MONOTONIC_USEC=` on SIGHUP and `READY=1` again
//! when the new workers are ready (so `Type=notify-reload` works);
//! `STOPPING=1`; `STATUS=` with per-service processes and clients, at most
//! once a second.

use std::time::{Duration, Instant};

use sd_notify::NotifyState;

pub(super) struct Notifier {
    enabled: bool,
    ready: bool,
    watchdog: Option<Duration>,
    next_watchdog: Option<Instant>,
    next_status: Option<Instant>,
    status: String,
}

impl Notifier {
    pub(super) fn from_env() -> Notifier {
        Notifier {
            enabled: std::env::var_os("NOTIFY_SOCKET").is_some(),
            ready: false,
            watchdog: sd_notify::watchdog_enabled(),
            next_watchdog: None,
            next_status: None,
            status: String::new(),
        }
    }

    fn send(&self, states: &[NotifyState]) {
        if self.enabled {
            let _ = sd_notify::notify(states);
        }
    }

    /// Called every loop turn: `ready` says whether every service has its
    /// ready workers, `status` the current per-service summary.
    pub(super) fn tick(&mut self, now: Instant, ready: bool, status: impl FnOnce() -> String) {
        if !self.enabled {
            return;
        }
        if ready && !self.ready {
            self.ready = true;
            self.status = status();
            self.next_status = Some(now + Duration::from_secs(1));
            self.send(&[NotifyState::Ready, NotifyState::Status(&self.status)]);
            if let Some(w) = self.watchdog {
                self.send(&[NotifyState::Watchdog]);
                self.next_watchdog = Some(now + w / 2);
            }
            return;
        }
        if let (Some(at), Some(w)) = (self.next_watchdog, self.watchdog) {
            if now >= at {
                self.send(&[NotifyState::Watchdog]);
                self.next_watchdog = Some(now + w / 2);
            }
        }
        if self.ready && self.next_status.is_some_and(|at| now >= at) {
            self.next_status = Some(now + Duration::from_secs(1));
            let s = status();
            if s != self.status {
                self.status = s;
                self.send(&[NotifyState::Status(&self.status)]);
            }
        }
    }

    /// When the loop must wake next for a notification.
    pub(super) fn next_due(&self) -> Option<Instant> {
        if !self.enabled {
            return None;
        }
        match (self.next_watchdog, self.next_status) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub(super) fn reloading(&mut self) {
        self.ready = false;
        if let Ok(t) = NotifyState::monotonic_usec_now() {
            self.send(&[NotifyState::Reloading, t]);
        } else {
            self.send(&[NotifyState::Reloading]);
        }
    }

    /// A new master after an upgrade: tells systemd this process is the
    /// service's main process now (the unit needs `NotifyAccess=all`).
    pub(super) fn main_pid(&mut self) {
        self.send(&[NotifyState::MainPid(std::process::id())]);
    }

    pub(super) fn stopping(&mut self) {
        self.send(&[NotifyState::Stopping]);
    }
}
