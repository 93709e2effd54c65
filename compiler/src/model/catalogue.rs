//! The settings svcc knows: Dovecot 2.3's setting names (for `$name`
//! references), the typed settings of `service` and listener blocks, and
//! Dovecot's built-in services (read from `data/dovecot-2.3-services.conf`
//! with svcc's own parser).

use foldhash::HashSet;
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

impl Kind {
    /// The type's name, as hover text and docs/settings.md show it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Uint => "number",
            Kind::Size => "size (e.g. `256M`)",
            Kind::Time => "time (e.g. `60 secs`)",
            Kind::Bool => "boolean (`yes`/`no`)",
            Kind::Mode => "file mode (octal with a leading 0)",
            Kind::Port => "TCP port",
        }
    }
}

/// What the tailored binary does with a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// The value reaches the runtime.
    Honoured,
    /// Set by the block's header (`service NAME {`); the runtime honours
    /// the header, so a different value in the block is refused.
    FromHeader,
    /// The runtime cannot honour it: `svcc build` and `svcc::main!` refuse
    /// any value but `off` (`svcc::unsupported-setting`); `instead` says
    /// what svcc does and what to change. `svcc check` stays quiet: the
    /// config is still right for Dovecot.
    Refused {
        /// The one value that asks for nothing (the default).
        off: &'static str,
        /// What svcc does instead, and what to do.
        instead: &'static str,
    },
}

/// One setting of a `service` or listener block: the one row every layer
/// reads (parsing and typing, "did you mean", `svcc build`'s refusals).
#[derive(Debug, Clone, Copy)]
pub struct SettingDef {
    /// The name.
    pub name: &'static str,
    /// The value type.
    pub kind: Kind,
    /// What it means.
    pub doc: &'static str,
    /// What the tailored binary does with it.
    pub runtime: Runtime,
}

impl SettingDef {
    const fn new(name: &'static str, kind: Kind, doc: &'static str) -> Self {
        SettingDef {
            name,
            kind,
            doc,
            runtime: Runtime::Honoured,
        }
    }

    const fn refused(mut self, off: &'static str, instead: &'static str) -> Self {
        self.runtime = Runtime::Refused { off, instead };
        self
    }

    const fn set_by_header(mut self) -> Self {
        self.runtime = Runtime::FromHeader;
        self
    }
}

/// The global settings the tailored binary honours, and how; every other
/// top-level setting is refused by `svcc build` unless another value
/// refers to it as `$name`.
pub const HONOURED_GLOBALS: &[(&str, &str)] = &[
    (
        "ssl_server_prefer_ciphers",
        "2.4: `server` order wins over the client's",
    ),
    ("protocols", "which services run"),
    (
        "base_dir",
        "where relative unix listener paths live (`--base-dir` overrides)",
    ),
    (
        "listen",
        "the addresses of inet listeners without `address`",
    ),
    (
        "default_process_limit",
        "process_limit of services that set none",
    ),
    (
        "default_client_limit",
        "client_limit of services that set none",
    ),
    ("default_idle_kill", "idle_kill of services that set none"),
    (
        "haproxy_trusted_networks",
        "the peers a `haproxy = yes` listener accepts PROXY headers from (addresses and networks)",
    ),
    ("default_vsz_limit", "vsz_limit of services that set none"),
    (
        "default_internal_user",
        "the user the linger drainer runs as (else `nobody`)",
    ),
    (
        "ssl",
        "TLS: `no` skips `ssl = yes` listeners (as Dovecot) and refuses STARTTLS; `required` tells handlers to refuse plaintext authentication",
    ),
    (
        "ssl_cert",
        "the certificate chain file (`</path`), read at start-up and on SIGHUP",
    ),
    (
        "ssl_key",
        "the private key file (`</path`), read at start-up and on SIGHUP",
    ),
    ("ssl_ca", "the CAs client certificates must chain to (`</path`)"),
    (
        "ssl_key_password",
        "decrypts an encrypted PKCS#8 `ssl_key` (`<path`: a file read at start-up and on SIGHUP)",
    ),
    (
        "ssl_verify_client_cert",
        "ask clients for a certificate, verified against `ssl_ca`",
    ),
    (
        "ssl_min_protocol",
        "the oldest TLS version offered (TLSv1.2 or TLSv1.3)",
    ),
    (
        "ssl_cipher_list",
        "TLS 1.2 ciphers, where rustls has them (the rest is reported)",
    ),
    (
        "ssl_cipher_suites",
        "TLS 1.3 suites, where rustls has them (the rest is reported)",
    ),
    (
        "ssl_curve_list",
        "key-exchange groups, where rustls has them (the rest is reported)",
    ),
    (
        "ssl_prefer_server_ciphers",
        "the server's suite order wins over the client's",
    ),
    (
        "ssl_options",
        "`no_ticket`: no session tickets (other options are reported as ignored)",
    ),
    (
        "ssl_dh",
        "accepted and not needed: rustls offers only ECDHE key exchange",
    ),
];

/// The settings that say which language a 2.4 config is written in: never
/// refused by `svcc build` (they ask the runtime for nothing).
pub const LANGUAGE_GLOBALS: &[&str] = &["dovecot_config_version", "dovecot_storage_version"];

/// Settings inside `local_name NAME { }` and `local IP { }` blocks that the
/// tailored binary honours: the certificate and key chosen by SNI or by the
/// local address.
pub const HONOURED_IN_TLS_FILTERS: &[&str] = &["ssl_cert", "ssl_key"];

/// Settings of a `service` block: name, type, what it means.
pub const SERVICE_SETTINGS: &[SettingDef] = &[
    SettingDef::new("protocol", Kind::Text, "the protocol that must be in `protocols` for the service to run"),
    SettingDef::new("type", Kind::Text, "service type: empty, log, config, anvil, login, startup or worker").refused("", "svcc runs every service the same way (its process model is Dovecot's for all of them); remove `type`"),
    SettingDef::new("executable", Kind::Text, "the program (Dovecot) or svcc handler that serves connections"),
    SettingDef::new("user", Kind::Text, "user the processes run as"),
    SettingDef::new("group", Kind::Text, "group the processes run as"),
    SettingDef::new("privileged_group", Kind::Text, "group the process may switch to").refused("", "svcc's workers run with `user`/`group` only; remove `privileged_group`"),
    SettingDef::new("extra_groups", Kind::Text, "supplementary groups").refused("", "svcc's workers drop every supplementary group and keep only `group`; remove `extra_groups`"),
    SettingDef::new("chroot", Kind::Text, "directory to chroot into"),
    SettingDef::new("drop_priv_before_exec", Kind::Bool, "drop privileges before exec").refused("no", "svcc never execs: workers drop privileges right after fork, before any handler code runs; remove the setting"),
    SettingDef::new("process_min_avail", Kind::Uint, "idle processes kept ready"),
    SettingDef::new("process_limit", Kind::Uint, "maximum number of processes"),
    SettingDef::new("client_limit", Kind::Uint, "connections one process serves at once"),
    SettingDef::new("service_count", Kind::Uint, "connections a process serves before it exits"),
    SettingDef::new("idle_kill", Kind::Time, "idle processes exit after this long"),
    SettingDef::new("vsz_limit", Kind::Size, "address-space limit of a process"),
    SettingDef::new("blocking", Kind::Bool, "svcc: the service does blocking I/O (one client per process)"),
    SettingDef::new("client_idle_timeout", Kind::Time, "svcc: a client that sends nothing for this long is closed (default 60 secs)"),
    SettingDef::new("client_request_timeout", Kind::Time, "svcc: the whole first request must arrive within this long of the connect, as nginx's client_header_timeout (default 60 secs; handlers that ask for it, e.g. http)"),
    SettingDef::new("linger_read_timeout", Kind::Time, "svcc: lingering close, longest wait for one read while draining (default 2 secs)"),
    SettingDef::new("linger_timeout", Kind::Time, "svcc: lingering close, longest total drain (default 30 secs)"),
    SettingDef::new("linger_max_bytes", Kind::Size, "svcc: lingering close, most bytes drained (default 1M)"),
    SettingDef::new("name", Kind::Text, "the service name (set by the block's header)").set_by_header(),
];

/// Settings of `unix_listener` and `fifo_listener` blocks.
pub const UNIX_LISTENER_SETTINGS: &[SettingDef] = &[
    SettingDef::new(
        "path",
        Kind::Text,
        "the socket path (set by the block's header)",
    )
    .set_by_header(),
    SettingDef::new("mode", Kind::Mode, "permissions of the socket file"),
    SettingDef::new("user", Kind::Text, "owner of the socket file"),
    SettingDef::new("group", Kind::Text, "group of the socket file"),
];

/// Settings of `inet_listener` blocks.
pub const INET_LISTENER_SETTINGS: &[SettingDef] = &[
    SettingDef::new("name", Kind::Text, "the listener name (set by the block's header)").set_by_header(),
    SettingDef::new("address", Kind::Text, "addresses to listen on (default: `listen`)"),
    SettingDef::new("port", Kind::Port, "TCP port (0 disables the listener)"),
    SettingDef::new("ssl", Kind::Bool, "TLS on this listener (rustls; Dovecot's `ssl_*` settings; skipped while the global `ssl = no`)"),
    SettingDef::new("reuse_port", Kind::Bool, "SO_REUSEPORT per process").refused("no", "svcc's master binds each listener once and every worker accepts on it; remove `reuse_port`"),
    SettingDef::new("haproxy", Kind::Bool, "every connection starts with a PROXY protocol header (v1 or v2) from a peer in `haproxy_trusted_networks`; handlers see the client's address"),
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

/// Dovecot 2.3's default of a global text setting a `$name` in a service
/// value commonly names (`doveconf -a`), when the config does not set it.
pub fn text_default(name: &str) -> Option<&'static str> {
    match name {
        "default_internal_user" | "default_internal_group" => Some("dovecot"),
        "default_login_user" => Some("dovenull"),
        _ => None,
    }
}

/// Dovecot 2.3's built-in services, in Dovecot's config language.
pub const BUILTIN_SERVICES: &str = include_str!("../../data/dovecot-2.3-services.conf");

/// Dovecot 2.4's built-in services (`doveconf -d`, see `data/regen-2.4.sh`).
pub const BUILTIN_SERVICES_24: &str = include_str!("../../data/dovecot-2.4-services.conf");

const SETTING_NAMES: &str = include_str!("../../data/dovecot-2.3-settings.txt");
const SETTING_NAMES_24: &str = include_str!("../../data/dovecot-2.4-settings.txt");

/// The Dovecot version whose config language a config is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Dovecot {
    /// 2.3: no `dovecot_config_version`.
    #[default]
    V23,
    /// 2.4: the first setting is `dovecot_config_version`.
    V24,
}

impl Dovecot {
    /// `2.3` or `2.4`.
    pub fn as_str(self) -> &'static str {
        match self {
            Dovecot::V23 => "2.3",
            Dovecot::V24 => "2.4",
        }
    }

    /// Parses `2.3` / `2.4` (a `2.4.x` version number is 2.4).
    pub fn parse(s: &str) -> Option<Dovecot> {
        let s = s.trim();
        if s == "2.3" || s.starts_with("2.3.") {
            Some(Dovecot::V23)
        } else if s == "2.4" || s.starts_with("2.4.") {
            Some(Dovecot::V24)
        } else {
            None
        }
    }

    /// This version's name for a setting svcc's model calls by its 2.3
    /// name (`service_count` is `restart_request_count` in 2.4).
    pub fn spell(self, name23: &'static str) -> &'static str {
        match self {
            Dovecot::V23 => name23,
            Dovecot::V24 => RENAMED
                .iter()
                .find(|r| r.old == name23)
                .map_or(name23, |r| r.new),
        }
    }
}

impl std::fmt::Display for Dovecot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a renamed setting lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Top level (and filters).
    Global,
    /// A `service` block.
    Service,
    /// An `inet_listener` block.
    InetListener,
}

/// A setting 2.4 renamed; where the value changes form, `file` says the
/// 2.3 value is `<path` and the 2.4 one the bare path.
#[derive(Debug, Clone, Copy)]
pub struct Rename {
    /// Where it is set.
    pub scope: Scope,
    /// The 2.3 name.
    pub old: &'static str,
    /// The 2.4 name.
    pub new: &'static str,
    /// 2.3 reads the file named after `<`; 2.4 takes the path itself.
    pub file: bool,
}

const fn rename(scope: Scope, old: &'static str, new: &'static str) -> Rename {
    Rename {
        scope,
        old,
        new,
        file: false,
    }
}

const fn rename_file(old: &'static str, new: &'static str) -> Rename {
    Rename {
        scope: Scope::Global,
        old,
        new,
        file: true,
    }
}

/// The settings svcc models that Dovecot 2.4 renamed (from 2.4's
/// `doveconf -d` and its settings sources).
pub const RENAMED: &[Rename] = &[
    rename(Scope::Service, "service_count", "restart_request_count"),
    rename(Scope::Service, "idle_kill", "idle_kill_interval"),
    rename(Scope::InetListener, "address", "listen"),
    rename(
        Scope::Global,
        "default_idle_kill",
        "default_idle_kill_interval",
    ),
    rename_file("ssl_cert", "ssl_server_cert_file"),
    rename_file("ssl_key", "ssl_server_key_file"),
    rename_file("ssl_ca", "ssl_server_ca_file"),
    rename_file("ssl_dh", "ssl_server_dh_file"),
    rename_file("ssl_alt_cert", "ssl_server_alt_cert_file"),
    rename_file("ssl_alt_key", "ssl_server_alt_key_file"),
    rename(Scope::Global, "ssl_key_password", "ssl_server_key_password"),
    rename(
        Scope::Global,
        "ssl_verify_client_cert",
        "ssl_server_request_client_cert",
    ),
    rename(
        Scope::Global,
        "ssl_cert_username_field",
        "ssl_server_cert_username_field",
    ),
];

/// The rename of a setting in this scope, by either name.
pub fn renamed(scope: Scope, name: &str) -> Option<&'static Rename> {
    RENAMED
        .iter()
        .find(|r| r.scope == scope && (r.old == name || r.new == name))
}

fn names() -> &'static HashSet<&'static str> {
    static NAMES: OnceLock<HashSet<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| read_names(SETTING_NAMES))
}

fn names_24() -> &'static HashSet<&'static str> {
    static NAMES: OnceLock<HashSet<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| read_names(SETTING_NAMES_24))
}

fn read_names(text: &'static str) -> HashSet<&'static str> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

/// Whether Dovecot 2.3 knows a setting of this name (outside service blocks).
pub fn is_dovecot_setting(name: &str) -> bool {
    names().contains(name)
}

/// Whether Dovecot 2.4 knows a top-level setting (or boollist) of this name.
pub fn is_dovecot24_setting(name: &str) -> bool {
    names_24().contains(name)
}

/// Every top-level setting name Dovecot 2.4 knows, sorted.
pub fn dovecot24_setting_names() -> Vec<&'static str> {
    let mut v: Vec<&str> = names_24().iter().copied().collect();
    v.sort_unstable();
    v
}

/// Every setting name Dovecot 2.3 knows (outside service blocks).
pub fn dovecot_setting_names() -> impl Iterator<Item = &'static str> {
    names().iter().copied()
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
