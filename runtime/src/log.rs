//! One line per event on stderr: `NAME[PID]: CONTEXT: MESSAGE`, where NAME
//! is the binary's file name.
//!
//! The context is `master`, `service(NAME)` or `linger`. Each line goes out
//! with a single `write(2)` so concurrent processes never interleave. When
//! stderr is the journal (`JOURNAL_STREAM` names it), each line starts
//! with its syslog priority (`<3>` errors, `<4>` warnings, `<6>` the rest),
//! which journald strips and records.

use std::fmt::Write as _;
use std::sync::OnceLock;

struct Style {
    name: &'static str,
    journal: bool,
}

fn style() -> &'static Style {
    static S: OnceLock<Style> = OnceLock::new();
    S.get_or_init(|| Style {
        name: crate::cli::binary_name(),
        journal: stderr_is_journal(),
    })
}

/// `JOURNAL_STREAM=DEV:INODE` names the journal's socket; stderr is it when
/// the device and inode match.
fn stderr_is_journal() -> bool {
    let Some(v) = std::env::var_os("JOURNAL_STREAM") else {
        return false;
    };
    let v = v.to_string_lossy();
    let Some((dev, ino)) = v.split_once(':') else {
        return false;
    };
    match crate::sys::io::stderr_dev_ino() {
        Some((d, i)) => dev.parse() == Ok(d) && ino.parse() == Ok(i),
        None => false,
    }
}

/// The syslog priority of a message, from how it starts.
fn priority(msg: &str) -> u8 {
    if msg.starts_with("warning") {
        4
    } else if msg.starts_with("fatal") || msg.starts_with("error") || msg.contains("failed") {
        3
    } else {
        6
    }
}

/// Writes one log line (`NAME[pid]: {ctx}: {msg}`).
pub fn line(ctx: std::fmt::Arguments<'_>, msg: std::fmt::Arguments<'_>) {
    let st = style();
    let msg = msg.to_string();
    let mut s = String::with_capacity(128);
    if st.journal {
        let _ = write!(s, "<{}>", priority(&msg));
    }
    let _ = write!(s, "{}[{}]: {}: {}", st.name, std::process::id(), ctx, msg);
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
