//! The settings svcc knows: Dovecot 2.3's setting names (for `$name`
//! references), the typed settings of `service` and listener blocks, and
//! Dovecot's built-in services (read from `data/dovecot-2.3-services.conf`
//! with svcc's own parser).

use std::collections::HashSet;
use std::sync::OnceLock;

/// The value type of a service or listener setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Free text (paths, names, lists).
    Text,
    /// Unsigned 32-bit number.
    Uint,
    /// Size in bytes (`256M`).
    Size,
    /// Time interval (`60 secs`).
    Time,
    /// `yes` / `no`.
    Bool,
    /// File mode (octal with a leading 0, else decimal).
    Mode,
    /// TCP port.
    Port,
}

/// Settings of a `service` block: name, type, what it means.
pub const SERVICE_SETTINGS: &[(&str, Kind, &str)] = &[
    (
        "protocol",
        Kind::Text,
        "the protocol that must be in `protocols` for the service to run",
    ),
    (
        "type",
        Kind::Text,
        "service type: empty, log, config, anvil, login, startup or worker",
    ),
    (
        "executable",
        Kind::Text,
        "the program (Dovecot) or svcc handler that serves connections",
    ),
    ("user", Kind::Text, "user the processes run as"),
    ("group", Kind::Text, "group the processes run as"),
    (
        "privileged_group",
        Kind::Text,
        "group the process may switch to",
    ),
    ("extra_groups", Kind::Text, "supplementary groups"),
    ("chroot", Kind::Text, "directory to chroot into"),
    (
        "drop_priv_before_exec",
        Kind::Bool,
        "drop privileges before exec",
    ),
    ("process_min_avail", Kind::Uint, "idle processes kept ready"),
    ("process_limit", Kind::Uint, "maximum number of processes"),
    (
        "client_limit",
        Kind::Uint,
        "connections one process serves at once",
    ),
    (
        "service_count",
        Kind::Uint,
        "connections a process serves before it exits",
    ),
    (
        "idle_kill",
        Kind::Time,
        "idle processes exit after this long",
    ),
    ("vsz_limit", Kind::Size, "address-space limit of a process"),
    (
        "blocking",
        Kind::Bool,
        "svcc: the service does blocking I/O (one client per process)",
    ),
    (
        "name",
        Kind::Text,
        "the service name (set by the block's header)",
    ),
];

/// Settings of `unix_listener` and `fifo_listener` blocks.
pub const UNIX_LISTENER_SETTINGS: &[(&str, Kind, &str)] = &[
    (
        "path",
        Kind::Text,
        "the socket path (set by the block's header)",
    ),
    ("mode", Kind::Mode, "permissions of the socket file"),
    ("user", Kind::Text, "owner of the socket file"),
    ("group", Kind::Text, "group of the socket file"),
];

/// Settings of `inet_listener` blocks.
pub const INET_LISTENER_SETTINGS: &[(&str, Kind, &str)] = &[
    (
        "name",
        Kind::Text,
        "the listener name (set by the block's header)",
    ),
    (
        "address",
        Kind::Text,
        "addresses to listen on (default: `listen`)",
    ),
    ("port", Kind::Port, "TCP port (0 disables the listener)"),
    ("ssl", Kind::Bool, "TLS on this listener"),
    ("reuse_port", Kind::Bool, "SO_REUSEPORT per process"),
    ("haproxy", Kind::Bool, "expect the HAProxy protocol"),
];

/// Dovecot services whose `process_limit` must be 1 (`doveconf`:
/// "process_limit must be 1").
pub const PROCESS_LIMIT_1: &[&str] = &[
    "auth",
    "anvil",
    "log",
    "director",
    "indexer",
    "ipc",
    "old-stats",
    "replicator",
];

/// Dovecot's service types.
pub const SERVICE_TYPES: &[&str] = &["", "log", "config", "anvil", "login", "startup", "worker"];

/// Dovecot 2.3's built-in services, in Dovecot's config language.
pub const BUILTIN_SERVICES: &str = include_str!("../../data/dovecot-2.3-services.conf");

const SETTING_NAMES: &str = include_str!("../../data/dovecot-2.3-settings.txt");

fn names() -> &'static HashSet<&'static str> {
    static NAMES: OnceLock<HashSet<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| {
        SETTING_NAMES
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
}

/// Whether Dovecot 2.3 knows a setting of this name (outside service blocks).
pub fn is_dovecot_setting(name: &str) -> bool {
    names().contains(name)
}

/// The closest known name, for "did you mean".
///
/// Linear in the number of candidates: a candidate whose length alone puts
/// it out of reach is never compared, and a name longer than any sensible
/// setting name gets no suggestion (the distance costs length × length).
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    if name.len() > 128 {
        return None;
    }
    candidates
        .into_iter()
        .filter(|c| name.len().abs_diff(c.len()) <= 2.max(name.len().min(c.len()) / 4))
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|&(d, c)| d <= 2.max(name.len().min(c.len()) / 4) && d > 0)
        .min()
        .map(|(_, c)| c)
}

/// The closest Dovecot setting or setting set earlier.
pub fn suggest_dovecot_setting<'a>(
    name: &str,
    set: impl Iterator<Item = &'a str>,
) -> Option<String> {
    let known: Vec<&str> = names().iter().copied().collect();
    let set: Vec<&str> = set.collect();
    suggest(name, known.iter().copied().chain(set.iter().copied())).map(str::to_string)
}
