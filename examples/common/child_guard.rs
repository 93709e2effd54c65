//! Shared by the examples' tests: a started server that is stopped (and,
//! if it hangs, killed) by pid when the test ends, also when it fails.

use std::process::Child;
use std::time::{Duration, Instant};

/// The master the test started.
pub struct Guard(pub Child);

impl Guard {
    /// Sends SIGTERM and waits (bounded) for the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        // SAFETY: kill(2) on the pid this test started.
        unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
        wait_for("exit after SIGTERM", || self.0.try_wait().ok().flatten())
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        // SIGTERM lets the master stop its workers; SIGKILL if it hangs.
        let pid = self.0.id() as i32;
        for sig in [libc::SIGTERM, libc::SIGKILL] {
            if self.0.try_wait().ok().flatten().is_some() {
                return;
            }
            // SAFETY: kill(2) on the pid this test started.
            unsafe { libc::kill(pid, sig) };
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(5) {
                if self.0.try_wait().ok().flatten().is_some() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// Polls `f` every 10 ms for at most 10 s.
pub fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}
