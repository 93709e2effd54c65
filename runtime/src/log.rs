//! One line per event on stderr: `svcc[PID]: CONTEXT: MESSAGE`.
//!
//! The context is `master`, `service(NAME)` or `linger`. Each line goes out
//! with a single `write(2)` so concurrent processes never interleave.

use std::fmt::Write as _;

/// Writes one log line (`svcc[pid]: {ctx}: {msg}`).
pub fn line(ctx: std::fmt::Arguments<'_>, msg: std::fmt::Arguments<'_>) {
    let mut s = String::with_capacity(128);
    let _ = write!(s, "svcc[{}]: {}: {}", std::process::id(), ctx, msg);
    s.push('\n');
    crate::sys::io::write_stderr(s.as_bytes());
}

/// `log_svc!(service_name, "fmt", args..)`: a line about a service.
macro_rules! log_svc {
    ($name:expr, $($arg:tt)*) => {
        $crate::log::line(format_args!("service({})", $name), format_args!($($arg)*))
    };
}

/// `log_master!("fmt", args..)`: a line about the master itself.
macro_rules! log_master {
    ($($arg:tt)*) => {
        $crate::log::line(format_args!("master"), format_args!($($arg)*))
    };
}

pub(crate) use log_master;
pub(crate) use log_svc;

/// At most one message per interval (e.g. "accept failed", "process_limit
/// reached").
#[derive(Debug, Default)]
pub struct RateLimit {
    last: Option<std::time::Instant>,
}

impl RateLimit {
    /// True when a message may be logged now (and records that it was).
    pub fn ready(&mut self, now: std::time::Instant, every: std::time::Duration) -> bool {
        match self.last {
            Some(t) if now.duration_since(t) < every => false,
            _ => {
                self.last = Some(now);
                true
            }
        }
    }
}
