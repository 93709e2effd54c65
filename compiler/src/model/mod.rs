//! Syntax tree → the checked service model: every `service` with its
//! listeners, typed, merged onto Dovecot's built-in service of the same name,
//! each value carrying where it came from ([`Origin`]).
//!
//! Settings outside `service` blocks are kept as text (the model reads the
//! few the runtime needs); each is checked against the whole table of the
//! config's Dovecot version: a name it does not know is recorded
//! (check/names.rs), and a value is read as its row types it.

pub mod catalogue;
mod event_filter;
pub mod print;
pub mod settings_doc;
mod table;
#[cfg(test)]
mod tests;
pub mod tls;
pub mod value;

use crate::check::codes;
use crate::report::Diagnostic;
use crate::syntax::{
    Document, Item, Section, Setting, SourceMap, Span, MAX_EXPANDED_BYTES, MAX_VALUE_SIZE,
};
use catalogue::{Dovecot, Kind, Scope};
use foldhash::HashMap;
use std::sync::OnceLock;

/// Where a value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Dovecot's generic default.
    Default,
    /// Dovecot's default for this built-in service.
    Builtin,
    /// Set in the config: the setting's key and value.
    Config {
        /// The key.
        key: Span,
        /// The value.
        value: Span,
    },
}

impl Origin {
    /// The whole setting's span when set in the config.
    pub fn span(&self) -> Option<Span> {
        match *self {
            Origin::Config { key, value } => Some(key.to(value)),
            _ => None,
        }
    }

    /// Whether the config set it.
    pub fn is_config(&self) -> bool {
        matches!(self, Origin::Config { .. })
    }

    fn of(s: &Setting) -> Origin {
        Origin::Config {
            key: s.key_span,
            value: s.value_span,
        }
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Val<T> {
    /// The value.
    pub value: T,
    /// Its origin.
    pub origin: Origin,
}

impl<T> Val<T> {
    fn default(value: T) -> Self {
        Val {
            value,
            origin: Origin::Default,
        }
    }
}

/// Something in a block the model cannot take as written; check/names.rs
/// reports each.
#[derive(Debug, Clone)]
pub struct UnreadItem {
    /// The key (or section keyword) as written.
    pub key: String,
    /// Where it is.
    pub key_span: Span,
    /// The block it is in (`service `imap``), for the message.
    pub place: String,
    /// What is wrong with it.
    pub what: Unread,
}

/// Why the model could not take a setting or section as written.
#[derive(Debug, Clone)]
pub enum Unread {
    /// A setting this scope does not have (the value is not read).
    Setting(Scope),
    /// A section a block of this scope does not hold.
    Section(Scope),
    /// The other Dovecot version's name, with the value as written (the
    /// value is applied under the right name, so the other checks see it).
    Renamed(&'static catalogue::Rename, String),
    /// A setting Dovecot 2.3 still reads but calls obsolete (with what it
    /// says of it); the model does not apply it.
    Obsolete(&'static str),
    /// A `service` block and a filter nested in each other: `protocol imap
    /// { service imap { } }` (`filter_outside`; `key` is `service`), or
    /// `service imap { protocol imap { } }` (`key` is the filter), which
    /// Dovecot 2.3 reads as the first. Dovecot's master reads services with
    /// no filter, so nothing in the block applies as a filter: the model
    /// skips it, except that 2.4's `service x { protocol y { k = v } }` is
    /// read as Dovecot 2.4 reads it, `protocol = v`.
    FilteredService {
        /// The filter holds the service (else the service holds the filter).
        filter_outside: bool,
        /// The inner block holds nothing.
        empty: bool,
    },
}

/// A setting's value, read as its type in the catalogue says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Text (also 2.4's sections).
    Text(String),
    /// A number.
    Uint(u32),
    /// Bytes.
    Size(u64),
    /// Milliseconds.
    Time(u64),
    /// `yes` / `no`.
    Bool(bool),
    /// A file mode.
    Mode(u64),
    /// A TCP port.
    Port(u16),
}

/// The global settings services depend on.
#[derive(Debug, Clone)]
pub struct Globals {
    /// `protocols`.
    pub protocols: Val<Vec<String>>,
    /// `base_dir`.
    pub base_dir: Val<String>,
    /// `default_process_limit`.
    pub default_process_limit: Val<u32>,
    /// `default_client_limit`.
    pub default_client_limit: Val<u32>,
    /// `default_idle_kill` in milliseconds.
    pub default_idle_kill: Val<u64>,
    /// `default_vsz_limit` in bytes.
    pub default_vsz_limit: Val<u64>,
    /// `listen`.
    pub listen: Val<String>,
    /// `haproxy_trusted_networks` (the valid entries).
    pub haproxy_trusted_networks: Val<Vec<svcc_facts::IpNet>>,
    /// Every top-level setting, last value wins (values expanded).
    pub all: HashMap<String, Val<String>>,
    /// 2.4: the `default_*` limits set to 0 (by the service setting each
    /// is the default of), which 2.4 refuses for every service that
    /// inherits them.
    pub zeros_24: Vec<(&'static str, Origin)>,
}

impl Globals {
    /// Stores a value read for the global svcc's model calls `key`.
    fn set(&mut self, key: &str, v: Value, origin: Origin) {
        match (key, v) {
            ("base_dir", Value::Text(value)) => self.base_dir = Val { value, origin },
            ("listen", Value::Text(value)) => self.listen = Val { value, origin },
            ("default_process_limit", Value::Uint(value)) => {
                self.default_process_limit = Val { value, origin }
            }
            ("default_client_limit", Value::Uint(value)) => {
                self.default_client_limit = Val { value, origin }
            }
            ("default_idle_kill", Value::Time(value)) => {
                self.default_idle_kill = Val { value, origin }
            }
            ("default_vsz_limit", Value::Size(value)) => {
                self.default_vsz_limit = Val { value, origin }
            }
            _ => {}
        }
    }
}

impl Default for Globals {
    fn default() -> Self {
        Globals {
            // Debian's build of Dovecot 2.3 defaults to none
            // (upstream: `imap pop3 lmtp`); stock configs add them in protocols.d.
            protocols: Val::default(Vec::new()),
            base_dir: Val::default("/run/dovecot".into()),
            default_process_limit: Val::default(100),
            default_client_limit: Val::default(1000),
            default_idle_kill: Val::default(60_000),
            default_vsz_limit: Val::default(256 << 20),
            listen: Val::default("*, ::".into()),
            haproxy_trusted_networks: Val::default(Vec::new()),
            all: HashMap::default(),
            zeros_24: Vec::new(),
        }
    }
}

/// The kind of a listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListenerKind {
    /// `unix_listener PATH`.
    Unix,
    /// `fifo_listener PATH`.
    Fifo,
    /// `inet_listener NAME`.
    Inet,
}

impl ListenerKind {
    /// The section keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            ListenerKind::Unix => "unix_listener",
            ListenerKind::Fifo => "fifo_listener",
            ListenerKind::Inet => "inet_listener",
        }
    }
}

/// Sets a setting no model field holds: the last value wins, the first
/// place keeps its order.
fn set_other(other: &mut Vec<(&'static str, Val<Value>)>, key: &'static str, v: Val<Value>) {
    match other.iter_mut().find(|(k, _)| *k == key) {
        Some((_, old)) => *old = v,
        None => other.push((key, v)),
    }
}

/// A listener of a service.
#[derive(Debug, Clone)]
pub struct Listener {
    /// Unix, fifo or inet.
    pub kind: ListenerKind,
    /// The path (unix, fifo) or name (inet).
    pub name: String,
    /// The header in the config (the first, if repeated); `None` when built in.
    pub header: Option<Span>,
    /// `mode` (unix, fifo).
    pub mode: Val<u64>,
    /// `mode` as the config wrote it (empty: not set); check/listeners.rs
    /// warns about a decimal one.
    pub mode_text: String,
    /// `user` (unix, fifo).
    pub user: Val<String>,
    /// `group` (unix, fifo).
    pub group: Val<String>,
    /// `address` (inet; empty = `listen`).
    pub address: Val<String>,
    /// `port` (inet; 0 = disabled).
    pub port: Val<u16>,
    /// `ssl` (inet).
    pub ssl: Val<bool>,
    /// `reuse_port` (inet).
    pub reuse_port: Val<bool>,
    /// `haproxy` (inet).
    pub haproxy: Val<bool>,
    /// The settings set for it that no field above holds, in the order
    /// first set (`svcc config` shows them; their checks read the rows).
    pub other: Vec<(&'static str, Val<Value>)>,
}

impl Listener {
    fn new(kind: ListenerKind, name: String, header: Option<Span>) -> Self {
        Listener {
            kind,
            name,
            header,
            mode: Val::default(0o600),
            mode_text: String::new(),
            user: Val::default(String::new()),
            group: Val::default(String::new()),
            address: Val::default(String::new()),
            port: Val::default(0),
            ssl: Val::default(false),
            reuse_port: Val::default(false),
            haproxy: Val::default(false),
            other: Vec::new(),
        }
    }

    /// Stores a value read for the setting svcc's model calls `key`
    /// (settings the model has no field for are only checked).
    fn set(&mut self, key: &'static str, v: Value, origin: Origin) {
        match (key, v) {
            ("mode", Value::Mode(value)) => self.mode = Val { value, origin },
            ("user", Value::Text(value)) => self.user = Val { value, origin },
            ("group", Value::Text(value)) => self.group = Val { value, origin },
            ("address", Value::Text(value)) => self.address = Val { value, origin },
            ("port", Value::Port(value)) => self.port = Val { value, origin },
            ("ssl", Value::Bool(value)) => self.ssl = Val { value, origin },
            ("reuse_port", Value::Bool(value)) => self.reuse_port = Val { value, origin },
            ("haproxy", Value::Bool(value)) => self.haproxy = Val { value, origin },
            // The listener's name, held by `name`.
            ("path" | "name", _) => {}
            (key, value) => set_other(&mut self.other, key, Val { value, origin }),
        }
    }

    /// The addresses of an inet listener: its `address`, else the global
    /// `listen` (comma or blank separated).
    pub fn addresses<'a>(&'a self, g: &'a Globals) -> Vec<&'a str> {
        let list = if self.address.value.trim().is_empty() {
            &g.listen.value
        } else {
            &self.address.value
        };
        list.split([',', ' ']).filter(|a| !a.is_empty()).collect()
    }

    /// Whether the tailored binary (and Dovecot's master) binds it: enabled,
    /// and not an `ssl = yes` listener while the global `ssl = no`.
    pub fn is_bound(&self, tls: &tls::Tls) -> bool {
        self.enabled() && !(self.ssl.value && tls.ssl.value == tls::SslMode::No)
    }

    /// The permission bits the socket or FIFO gets: Dovecot (and the
    /// runtime) create it under `umask(0777 ^ mode)`.
    pub fn effective_mode(&self) -> u32 {
        (self.mode.value & 0o777) as u32
    }

    /// Whether the listener is active (a unix/fifo mode or an inet port of 0
    /// disables it).
    pub fn enabled(&self) -> bool {
        match self.kind {
            ListenerKind::Inet => self.port.value != 0,
            _ => self.mode.value != 0,
        }
    }
}

/// One service, merged over Dovecot's built-in service of the same name.
#[derive(Debug, Clone)]
pub struct Service {
    /// The name.
    pub name: String,
    /// The first `service NAME {` header in the config; `None` for a
    /// built-in service the config does not mention.
    pub header: Option<Span>,
    /// Whether Dovecot has a built-in service of this name.
    pub builtin: bool,
    /// `protocol`.
    pub protocol: Val<String>,
    /// `type`.
    pub kind: Val<String>,
    /// `executable`.
    pub executable: Val<String>,
    /// `user`.
    pub user: Val<String>,
    /// `group`.
    pub group: Val<String>,
    /// `chroot`.
    pub chroot: Val<String>,
    /// `drop_priv_before_exec`.
    pub drop_priv_before_exec: Val<bool>,
    /// `process_min_avail`.
    pub process_min_avail: Val<u32>,
    /// `process_limit` as set (0 = `default_process_limit`).
    pub process_limit: Val<u32>,
    /// `client_limit` as set (0 = `default_client_limit`).
    pub client_limit: Val<u32>,
    /// `service_count` (0 = unlimited).
    pub service_count: Val<u32>,
    /// `idle_kill` in ms as set (0 = `default_idle_kill`).
    pub idle_kill: Val<u64>,
    /// `vsz_limit` as set (`None` = `default_vsz_limit`; 0 = no limit).
    pub vsz_limit: Val<Option<u64>>,
    /// svcc's `blocking` (built-in blocking services default to yes).
    pub blocking: Val<bool>,
    /// svcc's client and lingering-close timeouts as set (`None`: the
    /// runtime's default).
    pub timeouts: Timeouts,
    /// The listeners, in order.
    pub listeners: Vec<Listener>,
    /// Settings a 2.4 config sets to 0 (not `unlimited`/`infinite`), which
    /// Dovecot 2.4 refuses for an enabled service (check/limits.rs).
    pub zeros_24: Vec<(&'static str, Origin)>,
    /// svcc's `settings { }` section, for the service's handler (kept as
    /// text: the handler's own type reads it).
    pub settings: HandlerSettings,
    /// The settings set for it that no field above holds, in the order
    /// first set (`svcc config` shows them; their checks read the rows).
    pub other: Vec<(&'static str, Val<Value>)>,
}

/// A service's `settings { }` section.
#[derive(Debug, Clone, Default)]
pub struct HandlerSettings {
    /// The first `settings {` header (`None`: no section).
    pub header: Option<Span>,
    /// The entries of every `settings` section of the service, in order.
    pub entries: Vec<SettingsEntry>,
}

/// `key = value` or `key { ... }` in a `settings` section.
#[derive(Debug, Clone)]
pub struct SettingsEntry {
    /// The key.
    pub key: String,
    /// Where the key is.
    pub key_span: Span,
    /// The value.
    pub value: SettingsValue,
}

/// A settings entry's value.
#[derive(Debug, Clone)]
pub enum SettingsValue {
    /// `key = value`: the value as Dovecot reads it, and where it is.
    Text(String, Span),
    /// `key { ... }`.
    Section(Vec<SettingsEntry>),
}

impl Service {
    fn new(name: String, header: Option<Span>) -> Self {
        Service {
            name,
            header,
            builtin: false,
            protocol: Val::default(String::new()),
            kind: Val::default(String::new()),
            executable: Val::default(String::new()),
            user: Val::default(String::new()),
            group: Val::default(String::new()),
            chroot: Val::default(String::new()),
            drop_priv_before_exec: Val::default(false),
            process_min_avail: Val::default(0),
            process_limit: Val::default(0),
            client_limit: Val::default(0),
            service_count: Val::default(0),
            idle_kill: Val::default(0),
            vsz_limit: Val::default(None),
            blocking: Val::default(false),
            timeouts: Timeouts::default(),
            listeners: Vec::new(),
            zeros_24: Vec::new(),
            settings: HandlerSettings::default(),
            other: Vec::new(),
        }
    }

    /// Stores a value read for the setting svcc's model calls `key`
    /// (settings the model has no field for are only checked).
    fn set(&mut self, key: &'static str, v: Value, origin: Origin) {
        let t = &mut self.timeouts;
        match (key, v) {
            ("protocol", Value::Text(value)) => self.protocol = Val { value, origin },
            ("type", Value::Text(value)) => self.kind = Val { value, origin },
            ("executable", Value::Text(value)) => self.executable = Val { value, origin },
            ("user", Value::Text(value)) => self.user = Val { value, origin },
            ("group", Value::Text(value)) => self.group = Val { value, origin },
            ("chroot", Value::Text(value)) => self.chroot = Val { value, origin },
            ("drop_priv_before_exec", Value::Bool(value)) => {
                self.drop_priv_before_exec = Val { value, origin }
            }
            ("process_min_avail", Value::Uint(value)) => {
                self.process_min_avail = Val { value, origin }
            }
            ("process_limit", Value::Uint(value)) => self.process_limit = Val { value, origin },
            ("client_limit", Value::Uint(value)) => self.client_limit = Val { value, origin },
            ("service_count", Value::Uint(value)) => self.service_count = Val { value, origin },
            ("idle_kill", Value::Time(value)) => self.idle_kill = Val { value, origin },
            ("vsz_limit", Value::Size(x)) => {
                self.vsz_limit = Val {
                    value: Some(x),
                    origin,
                }
            }
            ("blocking", Value::Bool(value)) => self.blocking = Val { value, origin },
            ("client_idle_timeout", Value::Time(x)) => t.client_idle = some(x, origin),
            ("client_request_timeout", Value::Time(x)) => t.client_request = some(x, origin),
            ("linger_read_timeout", Value::Time(x)) => t.linger_read = some(x, origin),
            ("linger_timeout", Value::Time(x)) => t.linger = some(x, origin),
            ("linger_max_bytes", Value::Size(x)) => t.linger_max_bytes = some(x, origin),
            // 2.4's name of the service filter, held by `name`.
            ("name", _) => {}
            (key, value) => set_other(&mut self.other, key, Val { value, origin }),
        }
    }

    /// The effective `process_limit` and where it came from (0 falls back to
    /// `default_process_limit`).
    pub fn eff_process_limit(&self, g: &Globals) -> Val<u32> {
        if self.process_limit.value == 0 {
            // An explicit `process_limit = 0` is where the value comes from.
            let origin = match self.process_limit.origin {
                o @ Origin::Config { .. } => o,
                _ => g.default_process_limit.origin,
            };
            Val {
                value: g.default_process_limit.value,
                origin,
            }
        } else {
            self.process_limit.clone()
        }
    }

    /// The `client_limit` before the `service_count` cap (0 falls back to
    /// `default_client_limit`).
    pub fn configured_client_limit(&self, g: &Globals) -> Val<u32> {
        if self.client_limit.value == 0 {
            let origin = match self.client_limit.origin {
                o @ Origin::Config { .. } => o,
                _ => g.default_client_limit.origin,
            };
            Val {
                value: g.default_client_limit.value,
                origin,
            }
        } else {
            self.client_limit.clone()
        }
    }

    /// The effective `client_limit`: capped to `service_count` when that is
    /// set, as Dovecot's master does silently.
    pub fn eff_client_limit(&self, g: &Globals) -> u32 {
        let cl = self.configured_client_limit(g).value;
        match self.service_count.value {
            0 => cl,
            sc => cl.min(sc),
        }
    }

    /// The effective idle_kill in ms (`None` = never).
    pub fn eff_idle_kill(&self, g: &Globals) -> Option<u64> {
        let v = if self.idle_kill.value == 0 {
            g.default_idle_kill.value
        } else {
            self.idle_kill.value
        };
        (v < u32::MAX as u64 * 1000).then_some(v)
    }

    /// The effective vsz_limit in bytes (0 = none).
    pub fn eff_vsz_limit(&self, g: &Globals) -> u64 {
        self.vsz_limit.value.unwrap_or(g.default_vsz_limit.value)
    }

    /// Whether Dovecot would run it: an executable, and a protocol that is
    /// empty or listed in `protocols`.
    pub fn enabled(&self, g: &Globals) -> bool {
        !self.executable.value.is_empty()
            && (self.protocol.value.is_empty() || g.protocols.value.contains(&self.protocol.value))
    }

    /// The span to point at for this service: its header.
    pub fn anchor(&self) -> Option<Span> {
        self.header
    }
}

/// svcc's own per-service timeouts, in milliseconds (bytes for
/// `linger_max_bytes`); `None` leaves the runtime's default.
#[derive(Debug, Clone, Default)]
pub struct Timeouts {
    /// `client_idle_timeout`.
    pub client_idle: Val<Option<u64>>,
    /// `client_request_timeout`.
    pub client_request: Val<Option<u64>>,
    /// `linger_read_timeout`.
    pub linger_read: Val<Option<u64>>,
    /// `linger_timeout`.
    pub linger: Val<Option<u64>>,
    /// `linger_max_bytes`.
    pub linger_max_bytes: Val<Option<u64>>,
}

fn some<T>(value: T, origin: Origin) -> Val<Option<T>> {
    Val {
        value: Some(value),
        origin,
    }
}

impl<T: Default> Default for Val<T> {
    fn default() -> Self {
        Val::default(T::default())
    }
}

/// The checked model of a config.
#[derive(Debug, Clone, Default)]
pub struct Model {
    /// Global settings.
    pub globals: Globals,
    /// Services the config mentions, in config order, merged over Dovecot's
    /// built-in ones.
    pub services: Vec<Service>,
    /// Dovecot's built-in services the config does not mention.
    pub implicit: Vec<Service>,
    /// The TLS settings (`ssl`, `ssl_*`, `local_name`/`local` certificates).
    pub tls: tls::Tls,
    /// The Dovecot version the config is written for.
    pub version: Dovecot,
    /// What the model could not take as written (check/names.rs).
    pub unread: Vec<UnreadItem>,
    /// `default_login_user`/`default_internal_user` set inside filters
    /// (Dovecot looks each up too): (key, value as set there).
    pub filter_users: Vec<(&'static str, Val<String>)>,
    /// Dovecot 2.3's top-level namespaces, for the checks across them.
    pub namespaces_23: Vec<Namespace23>,
}

/// A Dovecot 2.3 `namespace` section: what its settings check reads of
/// the others (mail-storage-settings.c, `namespace_settings_check`).
#[derive(Debug, Clone, Default)]
pub struct Namespace23 {
    /// `prefix`, as written (its last value; empty when unset).
    pub prefix: String,
    /// `alias_for` when set at all (its last value, even empty).
    pub alias_for: Option<Val<String>>,
    /// `disabled = yes`.
    pub disabled: bool,
}

impl Model {
    /// This host's Dovecot has no Pigeonhole managesieve (its settings
    /// plugin declares the managesieve services): no built-in service has
    /// `protocol = sieve`, and a `service managesieve-login { }` block
    /// declares a service of the config's own, with no protocol unless it
    /// sets one (2.4's built-in table has none either way).
    pub fn without_managesieve(&mut self) {
        self.implicit.retain(|s| s.protocol.value != "sieve");
        for s in &mut self.services {
            if s.protocol.value == "sieve" && !s.protocol.origin.is_config() {
                s.protocol = Val::default(String::new());
            }
        }
    }

    /// Every service Dovecot would know: the config's and the built-in ones.
    pub fn all_services(&self) -> impl Iterator<Item = &Service> {
        self.services.iter().chain(self.implicit.iter())
    }
}

/// Dovecot 2.3's built-in services.
pub fn builtin_services() -> &'static [Service] {
    builtin_services_of(Dovecot::V23)
}

/// The built-in services of this Dovecot version.
pub fn builtin_services_of(version: Dovecot) -> &'static [Service] {
    static B23: OnceLock<Vec<Service>> = OnceLock::new();
    static B24: OnceLock<Vec<Service>> = OnceLock::new();
    match version {
        Dovecot::V23 => {
            B23.get_or_init(|| services_from(&trusted_items(catalogue::BUILTIN_SERVICES), version))
        }
        Dovecot::V24 => B24
            .get_or_init(|| services_from(&trusted_items(catalogue::BUILTIN_SERVICES_24), version)),
    }
}

/// The built-in table through the full parser (tests compare it with the
/// fast path).
#[cfg(test)]
fn builtin_services_via_pest() -> Vec<Service> {
    let (doc, _) = crate::syntax::load_str("<builtin>", catalogue::BUILTIN_SERVICES);
    services_from(&doc.items, Dovecot::V23)
}

/// Reads svcc's own data file, which is strictly `key = value`, `kind name {`
/// and `}` lines, without pest: this runs on every `svcc check`, and the
/// general parser costs more than the rest of checking a stock config.
fn trusted_items(text: &str) -> Vec<Item> {
    let none = Span::new(crate::syntax::FileId(0), 0, 0);
    let mut stack: Vec<Section> = Vec::new();
    let mut top = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let item = if let Some(header) = line.strip_suffix('{') {
            let mut words = header.split_whitespace();
            stack.push(Section {
                kind: words.next().unwrap_or_default().to_string(),
                kind_span: none,
                name: words.next().map(str::to_string),
                name_span: None,
                header: none,
                items: Vec::new(),
            });
            continue;
        } else if line == "}" {
            match stack.pop() {
                Some(sec) => Item::Section(sec),
                None => continue,
            }
        } else {
            let (key, value) = line.split_once('=').unwrap_or((line, ""));
            Item::Setting(Setting {
                key: key.trim().to_string(),
                key_span: none,
                value: value.trim().to_string(),
                value_span: none,
                quoted: false,
            })
        };
        match stack.last_mut() {
            Some(parent) => parent.items.push(item),
            None => top.push(item),
        }
    }
    top
}

fn services_from(items: &[Item], version: Dovecot) -> Vec<Service> {
    {
        let mut b = Builder::new(true);
        b.model.version = version;
        b.document_items(items);
        b.model
            .services
            .into_iter()
            .map(|mut s| {
                s.header = None;
                s.builtin = true;
                for l in &mut s.listeners {
                    l.header = None;
                }
                s
            })
            .collect()
    }
}

/// Builds the model from a document; returns every problem found. The
/// Dovecot version is the config's own ([`version_of`]).
pub fn build(doc: &Document) -> (Model, Vec<Diagnostic>) {
    build_for(doc, None)
}

/// The version a config is written for: 2.4 when it sets
/// `dovecot_config_version` at the top level, else 2.3.
pub fn version_of(doc: &Document) -> Dovecot {
    let sets_version = doc
        .items
        .iter()
        .any(|i| matches!(i, Item::Setting(s) if s.key == "dovecot_config_version"));
    if sets_version {
        Dovecot::V24
    } else {
        Dovecot::V23
    }
}

/// Builds the model for `forced` (`--dovecot`), else the config's own
/// version; every problem found, including a config that does not fit the
/// forced version.
pub fn build_for(doc: &Document, forced: Option<Dovecot>) -> (Model, Vec<Diagnostic>) {
    let own = version_of(doc);
    let version = forced.unwrap_or(own);
    let mut b = Builder::new(false);
    b.model.version = version;
    b.map = Some(&doc.sources);
    b.document(doc);
    let mut model = b.model;
    master_expand(&mut model);
    for s in builtin_services_of(version) {
        if !model.services.iter().any(|m| m.name == s.name) {
            model.implicit.push(s.clone());
        }
    }
    let mut diags = b.diags;
    b.budget.finish(&mut diags);
    (model, diags)
}

/// What Dovecot's master expands itself, once the config is read
/// (master-settings.c's expand_user and expand_group): a service's or
/// listener's user that is exactly `$default_internal_user` or
/// `$default_login_user` (2.4: `$SET:…`), a listener's group exactly
/// `$default_internal_group`, even a quoted one the config parser kept.
fn master_expand(model: &mut Model) {
    let prefix = match model.version {
        Dovecot::V23 => "$",
        Dovecot::V24 => "$SET:",
    };
    let globals = &model.globals.all;
    let get = |v: &str, names: &[&str]| -> Option<String> {
        let name = v.strip_prefix(prefix).filter(|n| names.contains(n))?;
        Some(match globals.get(name) {
            Some(g) => g.value.clone(),
            None => catalogue::text_default(name)?.to_string(),
        })
    };
    let users = ["default_internal_user", "default_login_user"];
    for svc in &mut model.services {
        if let Some(u) = get(&svc.user.value, &users) {
            svc.user.value = u;
        }
        for l in &mut svc.listeners {
            if let Some(u) = get(&l.user.value, &users) {
                l.user.value = u;
            }
            if let Some(g) = get(&l.group.value, &["default_internal_group"]) {
                l.group.value = g;
            }
        }
    }
}

/// The value a renamed setting takes in `version` (2.3's `<path` is 2.4's
/// bare path).
pub fn rename_value(r: &catalogue::Rename, version: Dovecot, value: &str) -> String {
    let v = value.trim();
    match (r.file, version) {
        (true, Dovecot::V24) => v.trim_start_matches('<').trim_start().to_string(),
        (true, Dovecot::V23) if !v.is_empty() && !v.starts_with('<') => format!("<{v}"),
        _ => v.to_string(),
    }
}

/// Numbers as this version reads them: 2.4 also takes `unlimited`.
fn uint_of(version: Dovecot) -> fn(&str) -> Result<u32, value::ValueError> {
    match version {
        Dovecot::V23 => value::uint,
        Dovecot::V24 => |v| match v {
            _ if unlimited_24(v) => Ok(u32::MAX),
            _ => value::uint(v),
        },
    }
}

/// `mode` as this version keeps it: 2.3 stores an octal mode in 32 bits
/// (`040000000000` is 0, a disabled listener), 2.4 in 64.
fn mode_of(version: Dovecot) -> fn(&str) -> Result<u64, value::ValueError> {
    match version {
        Dovecot::V23 => |v| value::mode(v).map(|m| m & u64::from(u32::MAX)),
        Dovecot::V24 => value::mode,
    }
}

/// `service_count` (2.4's `restart_request_count`): 0 or 2.4's `unlimited`
/// is no limit.
fn count_of(version: Dovecot) -> fn(&str) -> Result<u32, value::ValueError> {
    match version {
        Dovecot::V23 => value::uint,
        Dovecot::V24 => |v| match v {
            _ if unlimited_24(v) => Ok(0),
            _ => value::uint(v),
        },
    }
}

/// Sizes (vsz_limit) as this version reads them: 2.4 writes no limit as
/// `unlimited`.
fn size_of(version: Dovecot) -> fn(&str) -> Result<u64, value::ValueError> {
    match version {
        Dovecot::V23 => value::size,
        Dovecot::V24 => |v| match v {
            _ if unlimited_24(v) => Ok(0),
            _ => value::size(v),
        },
    }
}

/// Intervals as this version reads them: 2.4 also takes `infinite`.
fn time_of(version: Dovecot) -> fn(&str) -> Result<u64, value::ValueError> {
    match version {
        Dovecot::V23 => value::time,
        Dovecot::V24 => |v| infinite_or(v, value::time),
    }
}

/// [`time_of`] for a setting that takes milliseconds ([`Kind::Msecs`]).
fn time_msecs_of(version: Dovecot) -> fn(&str) -> Result<u64, value::ValueError> {
    match version {
        Dovecot::V23 => value::time_msecs,
        Dovecot::V24 => |v| infinite_or(v, value::time_msecs),
    }
}

fn infinite_or(
    v: &str,
    f: fn(&str) -> Result<u64, value::ValueError>,
) -> Result<u64, value::ValueError> {
    match v {
        _ if unlimited_24(v) => Ok(u32::MAX as u64 * 1000),
        _ => f(v),
    }
}

/// A 2.4 named filter that takes a name (`passdb`, `namespace`,
/// `mailbox`, ...), other than the filters and blocks svcc reads itself.
/// A filter's identity in a path of filters (`/protocol imap`).
fn filter_id(sec: &Section) -> String {
    format!("/{} {}", sec.kind, sec.name.as_deref().unwrap_or_default())
}

/// The indices of `items`' settings that a later setting of the same key
/// in the same block overrides (Dovecot's settings checks read the last
/// value).
fn superseded(items: &[Item]) -> foldhash::HashSet<usize> {
    let mut seen = foldhash::HashSet::default();
    let mut over = foldhash::HashSet::default();
    for (i, item) in items.iter().enumerate().rev() {
        if let Item::Setting(s) = item {
            if !seen.insert(s.key.as_str()) {
                over.insert(i);
            }
        }
    }
    over
}

/// Whether 2.4 reads a top-level `kind { }` as a boollist.
fn is_boollist_24(kind: &str) -> bool {
    catalogue::catalogue(Dovecot::V24)
        .get(Scope::Global, kind)
        .is_some_and(|d| d.kind.is_boollist())
}

fn is_named_list_filter_24(kind: &str) -> bool {
    !catalogue::is_filter(kind)
        && !matches!(kind, "service" | "group")
        && !kind.ends_with("_listener")
        && matches!(
            catalogue::top_level_section(Dovecot::V24, kind),
            Some(catalogue::SectionName::Required | catalogue::SectionName::Either)
        )
        && catalogue::listed_sections(Dovecot::V24).contains(&kind)
}

/// Dovecot 2.4 reads `unlimited` and `infinite` (lower case only) as no
/// limit in every number, size and interval.
fn unlimited_24(v: &str) -> bool {
    matches!(v, "unlimited" | "infinite")
}

struct Builder<'a> {
    model: Model,
    /// The files read (to resolve `<path` values); `None` for the built-in table.
    map: Option<&'a SourceMap>,
    diags: Vec<Diagnostic>,
    builtin: bool,
    /// Service name → index in `model.services`.
    index: HashMap<String, usize>,
    /// (service index, kind, name) → the indexes in that service's listeners
    /// of the listeners with that name, ascending (`path =` renames one).
    listener_index: HashMap<(usize, ListenerKind, String), Vec<usize>>,
    /// Bytes produced by `$name` expansion so far.
    expanded_bytes: usize,
    /// Whether an expansion limit was reported (once is enough).
    expansion_limit_reported: bool,
    /// Problems described per file.
    budget: crate::report::FileBudget,
    /// (filter path, key) → the key's span of the last setting of a value
    /// Dovecot checks once read ([`catalogue::Def::checked_last`]) in
    /// that filter: blocks of one filter (`protocol imap { }` twice)
    /// merge.
    filtered_last: HashMap<(String, String), Span>,
}

impl Builder<'_> {
    fn new(builtin: bool) -> Self {
        Builder {
            model: Model::default(),
            map: None,
            diags: Vec::new(),
            builtin,
            index: HashMap::default(),
            listener_index: HashMap::default(),
            expanded_bytes: 0,
            expansion_limit_reported: false,
            budget: Default::default(),
            filtered_last: HashMap::default(),
        }
    }

    /// Fills `filtered_last` from the filters in `items` (under `path`).
    fn last_in_filters(&mut self, items: &[Item], path: &mut String) {
        let cat = catalogue::catalogue(self.model.version);
        for item in items {
            match item {
                Item::Setting(s)
                    if !path.is_empty()
                        && cat
                            .get(Scope::Global, &s.key)
                            .is_some_and(|d| d.checked_last()) =>
                {
                    self.filtered_last
                        .insert((path.clone(), s.key.clone()), s.key_span);
                }
                Item::Section(sec) if catalogue::is_filter(&sec.kind) => {
                    let len = path.len();
                    path.push_str(&filter_id(sec));
                    self.last_in_filters(&sec.items, path);
                    path.truncate(len);
                }
                _ => {}
            }
        }
    }

    fn origin(&self, s: &Setting) -> Origin {
        if self.builtin {
            Origin::Builtin
        } else {
            Origin::of(s)
        }
    }

    fn document(&mut self, doc: &Document) {
        if !self.builtin {
            self.last_in_filters(&doc.items, &mut String::new());
        }
        self.document_items(&doc.items);
    }

    /// The name svcc's model uses (2.3's) for a setting in this scope; the
    /// other version's name is recorded (check/names.rs) and its value
    /// still applied, so the other checks see it.
    fn canonical<'k>(&mut self, scope: Scope, s: &'k Setting) -> &'k str {
        let key = s.key.as_str();
        let Some(r) = catalogue::renamed(scope, key) else {
            return key;
        };
        let other = match self.model.version {
            Dovecot::V24 => r.old,
            Dovecot::V23 => r.new,
        };
        if key == other {
            let what = Unread::Renamed(r, s.value.clone());
            self.unread(key, s.key_span, String::new(), what);
        }
        r.old
    }

    fn document_items(&mut self, items: &[Item]) {
        let over = superseded(items);
        for (i, item) in items.iter().enumerate() {
            match item {
                Item::Setting(s) => self.global(s, !over.contains(&i)),
                Item::Section(sec) if sec.kind == "service" => self.service(sec),
                // 2.4's boollist: `protocols { pop3 = yes }` adds to the list.
                Item::Section(sec)
                    if self.model.version == Dovecot::V24 && sec.kind == "protocols" =>
                {
                    self.protocols_boollist(sec)
                }
                Item::Section(sec)
                    if !self.builtin && matches!(sec.kind.as_str(), "local_name" | "local") =>
                {
                    self.filter_names(sec, "");
                    self.tls_filter(sec)
                }
                Item::Section(sec) if matches!(sec.kind.as_str(), "protocol" | "remote") => {
                    self.filter_names(sec, "")
                }
                Item::Section(sec) => self.named_section(sec),
            }
        }
    }

    /// A section other than a service or filter, at the top level or in a
    /// filter: 2.3's sections with settings of their own, 2.4's named
    /// filters.
    fn named_section(&mut self, sec: &Section) {
        if self.builtin {
            return;
        }
        match self.model.version {
            Dovecot::V23 => self.section_23(sec),
            // 2.4's nameless named filters: `ssl_server { cert_file = X }`
            // is `ssl_server_cert_file = X`.
            Dovecot::V24
                if catalogue::top_level_section(Dovecot::V24, &sec.kind)
                    == Some(catalogue::SectionName::Forbidden) =>
            {
                self.named_filter_24(sec)
            }
            // 2.4's named filters with a name (`passdb sql { .. }`,
            // `namespace inbox { mailbox Trash { .. } }`).
            Dovecot::V24 if sec.name.is_some() && is_named_list_filter_24(&sec.kind) => {
                self.named_list_filter_24(sec)
            }
            Dovecot::V24 if is_boollist_24(&sec.kind) => {
                self.boollist_section(sec);
            }
            Dovecot::V24 if sec.kind.ends_with("_listener") => self.listener_filter_24(sec),
            Dovecot::V24 if sec.kind == "group" => self.group_24(sec),
            Dovecot::V24 => {}
        }
    }

    /// A 2.3 section with settings of its own (`namespace`, `passdb`, ...;
    /// a `mailbox` in a namespace): each setting is one of the section's,
    /// its value read as its row types it ("Unknown setting: namespace {
    /// seperator"). Dovecot's other sections are not svcc's
    /// (check/language.rs refuses a kind the version does not take).
    fn section_23(&mut self, sec: &Section) {
        let top = |k: &str| {
            Scope::SECTIONS_23
                .into_iter()
                .find(|s| s.keyword() == k && *s != Scope::Mailbox)
        };
        if let Some(scope) = top(&sec.kind) {
            self.section_items_23(sec, scope);
        }
        if sec.kind == "namespace" {
            let mut ns = Namespace23::default();
            for item in &sec.items {
                let Item::Setting(s) = item else { continue };
                match s.key.as_str() {
                    "prefix" => ns.prefix = s.value.clone(),
                    "alias_for" => {
                        ns.alias_for = Some(Val {
                            value: s.value.clone(),
                            origin: Origin::Config {
                                key: s.key_span,
                                value: s.value_span,
                            },
                        })
                    }
                    "disabled" => ns.disabled = value::boolean(s.value.trim()) == Ok(true),
                    _ => {}
                }
            }
            self.model.namespaces_23.push(ns);
        }
    }

    fn section_items_23(&mut self, sec: &Section, scope: Scope) {
        let cat = catalogue::catalogue(Dovecot::V23);
        let place = match &sec.name {
            Some(n) => format!("`{} {n}`", sec.kind),
            None => format!("`{}`", sec.kind),
        };
        let required = match scope {
            Scope::Passdb | Scope::Userdb => {
                Some(("driver", format!("{} is missing driver", sec.kind)))
            }
            Scope::Metric => Some((
                "filter",
                format!(
                    "metric {} {{ filter }} is empty - will not match anything",
                    sec.name.as_deref().unwrap_or_default()
                ),
            )),
            _ => None,
        };
        if let Some((key, says)) = required {
            self.required_setting(sec, &[key], key, &says);
        }
        let over = superseded(&sec.items);
        for (i, item) in sec.items.iter().enumerate() {
            match item {
                Item::Setting(s) => match cat.get(scope, &s.key) {
                    Some(def) => self.check_filtered_value(s, def, !over.contains(&i)),
                    None => self.unread(&s.key, s.key_span, place.clone(), Unread::Setting(scope)),
                },
                Item::Section(inner) if scope == Scope::Namespace && inner.kind == "mailbox" => {
                    self.section_items_23(inner, Scope::Mailbox)
                }
                // (2.3 takes a filter here, and applies it to nothing.)
                Item::Section(inner) if catalogue::is_filter(&inner.kind) => {}
                Item::Section(inner) => self.unread(
                    &inner.kind,
                    inner.kind_span,
                    place.clone(),
                    Unread::Section(scope),
                ),
            }
        }
    }

    /// The settings of a 2.4 named filter that takes no name (`ssl_server
    /// { .. }`): `KEY` is the filter's `KIND_KEY` (read as that top-level
    /// setting, as is a `KIND_KEY` written out) or a setting of its own
    /// name (Dovecot's; its value checked);
    /// neither is an unknown setting ("KEY: Unknown setting: KEY (KIND_KEY
    /// not found either.)").
    fn named_filter_24(&mut self, sec: &Section) {
        let cat = catalogue::catalogue(Dovecot::V24);
        let over = superseded(&sec.items);
        for (i, item) in sec.items.iter().enumerate() {
            let Item::Setting(s) = item else { continue };
            let last = !over.contains(&i);
            let prefixed = format!("{}_{}", sec.kind, s.key);
            if cat.get(Scope::Global, &prefixed).is_some() {
                let s = Setting {
                    key: prefixed,
                    ..s.clone()
                };
                self.global(&s, last);
            } else if s.key.starts_with(&format!("{}_", sec.kind)) {
                // `ssl_server { ssl_server_cert_file = X }`: the same.
                self.global(s, last);
            } else if let Some(def) = self.global_def(s, &format!("`{}`", sec.kind)) {
                self.check_filtered_value(s, def, last);
            }
        }
    }

    /// The settings of a 2.4 named filter with a name, `KIND NAME { KEY =
    /// V }`: `KEY` is a 2.4 setting, `KIND_KEY` or `KIND_NAME_KEY` (the
    /// names Dovecot 2.4 tries, the longest first: "args: Unknown setting:
    /// args (passdb_args or passdb_sql_args not found either.)"); its value
    /// read as that row types it. Named filters inside (`mailbox` in `namespace`) likewise;
    /// other sections inside (a string list such as `fields { }`) are the
    /// filter's own.
    fn named_list_filter_24(&mut self, sec: &Section) {
        let cat = catalogue::catalogue(Dovecot::V24);
        let name = sec.name.as_deref().unwrap_or_default();
        // (A name longer than any setting's cannot be part of one.)
        let named = name.len() <= 64;
        let place = format!("`{} {}`", sec.kind, if named { name } else { "…" });
        // Namespaces, mailboxes, metrics, event exporters and the passdb
        // and userdb drivers of dovecot-core are Dovecot's core; another
        // driver (fts, quota, dovecot-ldap's `passdb ldap { filter }`) may
        // come with a package whose settings the tables lack: there only
        // 2.3's settings that 2.4 removed are refused.
        let driver = sec
            .items
            .iter()
            .rev()
            .find_map(|i| match i {
                Item::Setting(s) if s.key == "driver" => Some(s.value.trim()),
                _ => None,
            })
            .unwrap_or(name);
        // (A top-level `metric_filter` does not count.)
        if sec.kind == "metric" {
            let keys = ["filter", "metric_filter", &format!("metric_{name}_filter")];
            let says =
                "Named filter metric is required to have metric_filter setting, but it is missing";
            self.required_setting(sec, &keys, "filter", says);
        }
        let core = match sec.kind.as_str() {
            "namespace" | "mailbox" | "metric" | "event_exporter" => true,
            "passdb" | "userdb" => catalogue::is_auth_driver_24(driver),
            _ => false,
        };
        let over = superseded(&sec.items);
        for (i, item) in sec.items.iter().enumerate() {
            match item {
                Item::Setting(s) => {
                    let found = cat
                        .get(Scope::Global, &s.key)
                        .or_else(|| cat.get(Scope::Global, &format!("{}_{}", sec.kind, s.key)))
                        .or_else(|| {
                            named
                                .then(|| {
                                    cat.get(
                                        Scope::Global,
                                        &format!("{}_{name}_{}", sec.kind, s.key),
                                    )
                                })
                                .flatten()
                        });
                    match found {
                        Some(def) => self.check_filtered_value(s, def, !over.contains(&i)),
                        None if core
                            || matches!(
                                s.key.as_str(),
                                "args" | "default_fields" | "override_fields"
                            ) =>
                        {
                            self.unread(
                                &s.key,
                                s.key_span,
                                place.clone(),
                                Unread::Setting(Scope::Global),
                            )
                        }
                        None => {}
                    }
                }
                Item::Section(inner)
                    if inner.name.is_some() && is_named_list_filter_24(&inner.kind) =>
                {
                    self.named_list_filter_24(inner)
                }
                Item::Section(_) => {}
            }
        }
    }

    /// A section whose last value of any of `keys` is empty or missing:
    /// Dovecot refuses the config (`says`).
    fn required_setting(&mut self, sec: &Section, keys: &[&str], key: &str, says: &str) {
        let set = sec.items.iter().rev().find_map(|i| match i {
            Item::Setting(s) if keys.contains(&s.key.as_str()) => Some(!s.value.trim().is_empty()),
            _ => None,
        });
        if set == Some(true) || self.builtin || !self.budget.admit(sec.header) {
            return;
        }
        let example = match key {
            "driver" => "driver = pam",
            _ => "filter = event=imap_command_finished",
        };
        self.diags.push(
            Diagnostic::error(
                codes::MISSING_SETTING,
                format!("`{}` without `{key}`", sec.kind),
            )
            .label(sec.header, format!("needs `{key}`"))
            .help(format!(
                "set it in the section (`{example}`); Dovecot refuses the config with \"{says}\""
            )),
        );
    }

    /// 2.4's `inet_listener NAME { }` outside a service: a filter for the
    /// listeners of that name in every service, whose settings are the
    /// listener's own or any top-level setting (2.4: "Unknown setting:
    /// process_limit (inet_listener_process_limit … not found either)"),
    /// each value read as its row types it. The model keeps none.
    fn listener_filter_24(&mut self, sec: &Section) {
        let scope = match sec.kind.as_str() {
            "inet_listener" => Scope::InetListener,
            "unix_listener" => Scope::UnixListener,
            "fifo_listener" => Scope::FifoListener,
            _ => return,
        };
        let place = match &sec.name {
            Some(n) => format!("`{} {n}`", sec.kind),
            None => format!("`{}`", sec.kind),
        };
        let cat = catalogue::catalogue(Dovecot::V24);
        for item in &sec.items {
            let Item::Setting(s) = item else { continue };
            match cat.get(scope, &s.key) {
                Some(def) => {
                    let v = self.expand(s);
                    self.value(s, &v, def);
                }
                None if self.filtered_24(s) => {}
                None => self.unread(&s.key, s.key_span, place.clone(), Unread::Setting(scope)),
            }
        }
    }

    /// 2.4's `group @LABEL NAME { }`: settings a config includes by its
    /// label, top-level settings each ("Unknown setting: process_limit
    /// (@label_process_limit … not found)"), its value read as its row
    /// types it. The model keeps none, nor what its blocks hold (Dovecot's
    /// settings checks run where a group is included).
    fn group_24(&mut self, sec: &Section) {
        let place = format!("`group {}`", sec.name.as_deref().unwrap_or(""));
        for item in &sec.items {
            let Item::Setting(s) = item else { continue };
            if !self.filtered_24(s) {
                self.unread(
                    &s.key,
                    s.key_span,
                    place.clone(),
                    Unread::Setting(Scope::Global),
                );
            }
        }
    }

    /// 2.4's `protocols { pop3 = yes }`: adds to (or takes from) the list.
    fn protocols_boollist(&mut self, sec: &Section) {
        for (s, on) in self.boollist_section(sec) {
            let origin = self.origin(s);
            let p = &mut self.model.globals.protocols;
            p.value.retain(|x| *x != s.key);
            if on {
                p.value.push(s.key.clone());
            }
            p.origin = origin;
        }
    }

    /// A 2.4 boollist set as a section (`mail_plugins { quota = yes }`):
    /// each entry is a word and a boolean ("Invalid boolean value"
    /// otherwise). The entries read.
    fn boollist_section<'s>(&mut self, sec: &'s Section) -> Vec<(&'s Setting, bool)> {
        // A word list's words are its table's (`imap_client_workarounds {
        // tb-lsub-flags = yes }`).
        let kind = catalogue::catalogue(Dovecot::V24)
            .get(Scope::Global, &sec.kind)
            .map(|d| d.kind);
        let mut out = Vec::new();
        for item in &sec.items {
            let Item::Setting(s) = item else { continue };
            let Some(on) = self.typed(s, &s.value, value::boolean) else {
                continue;
            };
            if let Some(k @ Kind::Words { .. }) = kind.filter(|_| on) {
                if let Err(e) = value::words(&s.key, k, true) {
                    if self.budget.admit(s.key_span) {
                        self.diags.push(
                            Diagnostic::error(
                                codes::INVALID_VALUE,
                                format!("invalid word in `{}`: {}", sec.kind, e.message),
                            )
                            .label(s.key_span, "not one of its words")
                            .help(e.help),
                        );
                    }
                    continue;
                }
            }
            out.push((s, on));
        }
        out
    }

    /// Records that listener `li` of service `idx` now has `name`.
    fn index_listener(&mut self, idx: usize, kind: ListenerKind, name: String, li: usize) {
        let at = self.listener_index.entry((idx, kind, name)).or_default();
        if let Err(pos) = at.binary_search(&li) {
            at.insert(pos, li);
        }
    }

    /// The value with `$name` tokens expanded, as Dovecot does. An expansion
    /// over [`MAX_VALUE_SIZE`] (or the value's own length, if longer), or past the config's budget of
    /// [`MAX_EXPANDED_BYTES`], keeps the value as written, with an
    /// `svcc::limit` error (`x = $x $x` repeated doubles the value each line).
    fn expand(&mut self, s: &Setting) -> String {
        if !s.expands() || !s.value.contains('$') {
            return s.value.clone();
        }
        let mut out = String::new();
        for (i, tok) in s.value.split(' ').enumerate() {
            let reference = match self.model.version {
                Dovecot::V23 => tok.strip_prefix('$'),
                Dovecot::V24 => tok.strip_prefix("$SET:"),
            };
            let piece: std::borrow::Cow<'_, str> = match reference {
                Some(name) if !name.starts_with("ENV:") => match self.model.globals.all.get(name) {
                    Some(v) => v.value.as_str().into(),
                    None => match name {
                        "default_process_limit" => self
                            .model
                            .globals
                            .default_process_limit
                            .value
                            .to_string()
                            .into(),
                        "default_client_limit" => self
                            .model
                            .globals
                            .default_client_limit
                            .value
                            .to_string()
                            .into(),
                        "protocols" => self.model.globals.protocols.value.join(" ").into(),
                        // Any known setting, at its default (Dovecot: "the value
                        // of any known setting, whether set or not").
                        _ => catalogue::text_default(name)
                            .or_else(|| {
                                catalogue::catalogue(self.model.version)
                                    .get(Scope::Global, name)
                                    .map(|d| d.default)
                            })
                            .unwrap_or(tok)
                            .into(),
                    },
                },
                _ => tok.into(),
            };
            if out.len() + piece.len() + 1 > MAX_VALUE_SIZE.max(s.value.len())
                || self.expanded_bytes + out.len() + piece.len() + 1 > MAX_EXPANDED_BYTES
            {
                self.expansion_limit(s);
                return s.value.clone();
            }
            if i > 0 {
                out.push(' ');
            }
            out.push_str(&piece);
        }
        self.expanded_bytes += out.len();
        out.trim().to_string()
    }

    fn expansion_limit(&mut self, s: &Setting) {
        if self.expansion_limit_reported {
            return;
        }
        self.expansion_limit_reported = true;
        self.diags.push(
            Diagnostic::error(
                codes::LIMIT,
                format!(
                    "`{}` expands to more than {} KiB (or the config's expansions to more than {} MiB)",
                    s.key,
                    MAX_VALUE_SIZE >> 10,
                    MAX_EXPANDED_BYTES >> 20
                ),
            )
            .label(s.value_span, "kept as written, not expanded")
            .help("each `$name` is replaced by that setting's whole value, so a value that names itself twice doubles on every such line; svcc stops here to bound the work a config can cause"),
        );
    }

    /// A setting outside service blocks: its row in the config's Dovecot
    /// version, or, for a name that version does not know, a record
    /// (check/names.rs words it; Dovecot refuses "Unknown setting"). The
    /// other version's name is recorded by `canonical`, and 2.3's
    /// `plugin/KEY` and `dict/NAME` entries of its string lists are fine.
    fn global_def(&mut self, s: &Setting, place: &str) -> Option<&'static catalogue::Def> {
        let version = self.model.version;
        if let Some(def) = catalogue::catalogue(version).get(Scope::Global, &s.key) {
            return Some(def);
        }
        if let Some(what) = catalogue::obsolete_23(&s.key).filter(|_| version == Dovecot::V23) {
            self.unread(
                &s.key,
                s.key_span,
                place.to_string(),
                Unread::Obsolete(what),
            );
            return None;
        }
        let string_list = version == Dovecot::V23
            && s.key.split_once('/').is_some_and(|(list, key)| {
                matches!(list, "plugin" | "dict") && !key.is_empty() && !key.contains('/')
            });
        // (`dovecot_config_version` in a 2.3 config: check/language.rs.)
        if !string_list
            && s.key != "dovecot_config_version"
            && catalogue::renamed(Scope::Global, &s.key).is_none()
        {
            self.unread(
                &s.key,
                s.key_span,
                place.to_string(),
                Unread::Setting(Scope::Global),
            );
        }
        None
    }

    /// A known setting's value read as its row types it: Dovecot refuses
    /// `mail_debug = maybe` wherever it is set.
    /// `v` is the value expanded.
    /// `last`: no later setting of the same key in the same block overrides
    /// it (a value Dovecot's settings checks read only at the end,
    /// [`catalogue::Def::checked_last`], is checked only then).
    /// `top`: set at the top level, not in a filter.
    fn check_global_value(
        &mut self,
        s: &Setting,
        v: &str,
        def: &catalogue::Def,
        last: bool,
        top: bool,
    ) {
        if self.builtin || (def.checked_last() && !last) {
            return;
        }
        match def.kind {
            // (Read by the mail storage settings check.)
            Kind::Text if def.name == "pop3_uidl_format" => {
                let v24 = self.model.version == Dovecot::V24;
                self.typed_with(s, v, |v| value::pop3_uidl_format(v, v24));
            }
            Kind::Text if def.name == "auth_verbose_passwords" => {
                self.typed_with(s, v, value::verbose_passwords);
            }
            Kind::Text if def.hash_format() => {
                self.typed_with(s, v, value::hash_format);
            }
            _ if def.cache_fields() && last => {
                let v24 = self.model.version == Dovecot::V24;
                // 2.4 checks a top-level list with its default's fields
                // still in it (`mail_cache_fields = *` is refused, `*` in
                // a filter is not).
                let kept = v24 && top && !def.default.is_empty();
                self.typed_with(s, v, |v| value::cache_fields(v, v24, kept));
            }
            Kind::Text if def.namespace_separator() => {
                self.typed_with(s, v, value::separator);
            }
            Kind::Text | Kind::Section => {}
            // (`KEY =` empties the list.)
            Kind::StrList if v.trim().is_empty() => {}
            Kind::StrList => {
                if self.budget.admit(s.key_span) {
                    self.diags.push(
                        Diagnostic::error(codes::INVALID_VALUE, format!("`{}` is a string list: it is set as a section", s.key))
                            .label(s.key_span, "not set with `=` in Dovecot 2.4")
                            .help(format!("write `{} {{` with one `KEY = VALUE` line per entry, then `}}` (Dovecot 2.4: \"Setting is a string list, use '{} {{'\")", s.key, s.key)),
                    );
                }
            }

            _ => {
                self.value(s, v, def);
            }
        }
    }

    /// The value of a setting in a filter (2.4's service and listener
    /// blocks are filters too), read as its row types it.
    fn check_filtered_value(&mut self, s: &Setting, def: &catalogue::Def, last: bool) {
        if !matches!(def.kind, Kind::Text | Kind::Section) || def.checked_last() {
            let v = self.expand(s);
            self.check_global_value(s, &v, def, last, false);
        }
    }

    /// A 2.4 setting of no block in a 2.4 service or listener block (both are
    /// filters, where any setting may be set): its value checked as a
    /// global's. `false` for a name 2.4 does not have.
    fn filtered_24(&mut self, s: &Setting) -> bool {
        if self.model.version != Dovecot::V24 || !catalogue::is_dovecot24_setting(&s.key) {
            return false;
        }
        if let Some(def) = catalogue::catalogue(Dovecot::V24).get(Scope::Global, &s.key) {
            self.check_filtered_value(s, def, true);
        }
        true
    }

    /// The settings of a `protocol`, `remote`, `local` or `local_name`
    /// filter and of the filters nested in it: Dovecot's per-filter
    /// overrides of top-level settings, checked as those are (the model
    /// keeps only the top-level values).
    fn filter_names(&mut self, sec: &Section, outer: &str) {
        if self.builtin {
            return;
        }
        let path = format!("{outer}{}", filter_id(sec));
        let place = match &sec.name {
            Some(n) => format!("`{} {n}`", sec.kind),
            None => format!("`{}`", sec.kind),
        };
        let over = superseded(&sec.items);
        for (i, item) in sec.items.iter().enumerate() {
            match item {
                Item::Setting(s) => {
                    self.canonical(Scope::Global, s);
                    let user = ["default_login_user", "default_internal_user"]
                        .into_iter()
                        .find(|k| *k == s.key);
                    if let Some(key) = user {
                        let value = Val {
                            value: self.expand(s),
                            origin: self.origin(s),
                        };
                        self.model.filter_users.push((key, value));
                    }
                    // (Blocks of one filter merge, `protocol imap { }` twice.)
                    if let Some(def) = self.global_def(s, &place) {
                        let last = match def.checked_last() {
                            true => {
                                self.filtered_last.get(&(path.clone(), s.key.clone()))
                                    == Some(&s.key_span)
                            }
                            false => !over.contains(&i),
                        };
                        self.check_filtered_value(s, def, last);
                    }
                }
                Item::Section(inner) if catalogue::is_filter(&inner.kind) => {
                    self.filter_names(inner, &path)
                }
                Item::Section(inner) if inner.kind != "service" => self.named_section(inner),
                Item::Section(inner) => self.unread(
                    "service",
                    inner.kind_span,
                    place.clone(),
                    Unread::FilteredService {
                        filter_outside: true,
                        empty: inner.items.is_empty(),
                    },
                ),
            }
        }
    }

    fn global(&mut self, s: &Setting, last: bool) {
        let def = if self.builtin {
            None
        } else {
            self.global_def(s, "")
        };
        let v = self.expand(s);
        let origin = self.origin(s);
        let key = self.canonical(Scope::Global, s);
        // 2.4's `ssl_server_cert_file = PATH` is 2.3's `ssl_cert = <PATH`.
        let model_v = match catalogue::renamed(Scope::Global, &s.key) {
            Some(r) if r.file && s.key == r.new => rename_value(r, Dovecot::V23, &v),
            _ => v.clone(),
        };
        match key {
            "protocols" => {
                // (2.4 reads a boollist: `protocols = "imap" pop3`.)
                // (2.3 splits at spaces only: `imap,pop3` is one name; a
                // list 2.4 refuses is reported once and read as empty.)
                let words = match self.model.version {
                    Dovecot::V24 => self.typed_with(s, &v, value::boollist).unwrap_or_default(),
                    Dovecot::V23 => v
                        .split(' ')
                        .filter(|p| !p.is_empty())
                        .map(str::to_string)
                        .collect(),
                };
                let g = &mut self.model.globals;
                g.protocols = Val {
                    value: words.into_iter().filter(|p| !p.is_empty()).fold(
                        Vec::new(),
                        |mut acc, p| {
                            if !acc.contains(&p) {
                                acc.push(p);
                            }
                            acc
                        },
                    ),
                    origin,
                }
            }
            "base_dir"
            | "listen"
            | "default_process_limit"
            | "default_client_limit"
            | "default_idle_kill"
            | "default_vsz_limit" => {
                let cat = catalogue::catalogue(self.model.version);
                if let Some(def) = cat.by_model_name(Scope::Global, key) {
                    if let Some(service_key) = key.strip_prefix("default_") {
                        let service_key = match service_key {
                            "process_limit" => "process_limit",
                            "client_limit" => "client_limit",
                            "idle_kill" => "idle_kill",
                            _ => "vsz_limit",
                        };
                        let zero = self.zero_24(def, &v);
                        let zeros = &mut self.model.globals.zeros_24;
                        zeros.retain(|(z, _)| *z != service_key);
                        if zero {
                            zeros.push((service_key, origin));
                        }
                    }
                    if let Some(x) = self.value(s, &v, def) {
                        self.model.globals.set(key, x, origin);
                    }
                }
            }
            "haproxy_trusted_networks" => {
                let mut nets = Vec::new();
                // Every bad entry in one finding, each named once.
                let mut bad: Vec<String> = Vec::new();
                for word in v.split([' ', ',']).filter(|w| !w.is_empty()) {
                    match svcc_facts::IpNet::parse(word) {
                        Ok(n) => nets.push(n),
                        Err(e) if !bad.contains(&e.to_string()) => bad.push(e.to_string()),
                        Err(_) => {}
                    }
                }
                if !bad.is_empty() && self.budget.admit(s.value_span) {
                    self.diags.push(
                        Diagnostic::error(
                            codes::INVALID_VALUE,
                            format!("invalid value for `haproxy_trusted_networks`: {}", bad.join("; ")),
                        )
                        .label(s.value_span, "not only addresses and networks")
                        .help("list IP addresses and networks separated by spaces, e.g. `10.0.0.0/8 192.0.2.7 2001:db8::/32` (host names are not resolved)"),
                    );
                }
                self.model.globals.haproxy_trusted_networks = Val {
                    value: nets,
                    origin,
                };
            }
            k if k.starts_with("ssl") && self.tls_global(s, k, &model_v, origin, last) => {}
            _ => {
                if let Some(def) = def {
                    self.check_global_value(s, &v, def, last, true);
                }
            }
        }
        self.model
            .globals
            .all
            .insert(s.key.clone(), Val { value: v, origin });
    }

    fn file_ref(&self, s: &Setting, v: &str, origin: Origin) -> tls::FileRef {
        match self.map {
            Some(map) => tls::file_ref(map, v, origin, s.value_span),
            None => tls::FileRef {
                path: v.trim().trim_start_matches('<').to_string(),
                abs: v.trim().trim_start_matches('<').to_string(),
                is_file: v.trim().starts_with('<'),
                origin,
            },
        }
    }

    /// Reads a TLS setting the model keeps; false for any other.
    fn tls_global(&mut self, s: &Setting, key: &str, v: &str, origin: Origin, last: bool) -> bool {
        let text = |v: &str| Val {
            value: v.trim().to_string(),
            origin,
        };
        let cat = catalogue::catalogue(self.model.version);
        let kind = |key: &str| cat.get(Scope::Global, key).map_or(Kind::Text, |d| d.kind);
        match key {
            "ssl" => match tls::SslMode::parse(v) {
                Some(m) => self.model.tls.ssl = Val { value: m, origin },
                None => self.diags.push(
                    Diagnostic::error(
                        codes::INVALID_VALUE,
                        format!("invalid value for `ssl`: `{}`", v.trim()),
                    )
                    .label(s.value_span, "not yes, no or required")
                    .help("write `ssl = yes`, `ssl = no` or `ssl = required` (Dovecot: \"Invalid ssl value\")"),
                ),
            },
            "ssl_cert" => self.model.tls.global.cert = Some(self.file_ref(s, v, origin)),
            "ssl_key" => self.model.tls.global.key = Some(self.file_ref(s, v, origin)),
            "ssl_ca" => {
                self.model.tls.ca = (!v.trim().is_empty()).then(|| self.file_ref(s, v, origin))
            }
            "ssl_verify_client_cert" => {
                if let Some(b) = self.typed(s, v, value::boolean) {
                    self.model.tls.verify_client_cert = Val { value: b, origin };
                }
            }
            "ssl_prefer_server_ciphers" => {
                if let Some(b) = self.typed(s, v, value::boolean) {
                    self.model.tls.prefer_server_ciphers = Val { value: b, origin };
                }
            }
            // 2.4: `client` or `server` (an enum).
            "ssl_server_prefer_ciphers" => {
                if let Some(w) = self.typed_with(s, v, |v| value::one_of(v, kind(key))) {
                    let value = w == "server";
                    self.model.tls.prefer_server_ciphers = Val { value, origin };
                }
            }
            "ssl_min_protocol" => self.model.tls.min_protocol = text(v),
            "ssl_cipher_list" => self.model.tls.cipher_list = text(v),
            "ssl_cipher_suites" => self.model.tls.cipher_suites = text(v),
            "ssl_curve_list" => self.model.tls.curve_list = text(v),
            // (A word list: only the last value is checked.)
            "ssl_options" => {
                let v24 = self.model.version == Dovecot::V24;
                if !last || self.typed_with(s, v, |v| value::words(v, kind(key), v24)).is_some() {
                    self.model.tls.options = text(v);
                }
            }
            "ssl_key_password" => {
                self.model.tls.key_password = match v.trim_start().starts_with('<') {
                    _ if v.is_empty() => None,
                    true => Some(tls::KeyPassword::File(self.file_ref(s, v, origin))),
                    false => Some(tls::KeyPassword::Text(Val {
                        value: v.to_string(),
                        origin,
                    })),
                }
            }
            _ => return false,
        }
        true
    }

    /// `local_name NAMES { ssl_cert ssl_key }` and `local NET { … }`; other
    /// settings in them are Dovecot's per-filter overrides (kept, unchecked).
    fn tls_filter(&mut self, sec: &Section) {
        let selector: Vec<String> = sec
            .name
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_string)
            .collect();
        let mut pair = tls::CertPair::default();
        for item in &sec.items {
            if let Item::Setting(s) = item {
                let origin = self.origin(s);
                let key = self.canonical(Scope::Global, s);
                let v = match catalogue::renamed(Scope::Global, &s.key) {
                    Some(r) if r.file && s.key == r.new => rename_value(r, Dovecot::V23, &s.value),
                    _ => s.value.clone(),
                };
                match key {
                    "ssl_cert" => pair.cert = Some(self.file_ref(s, &v, origin)),
                    "ssl_key" => pair.key = Some(self.file_ref(s, &v, origin)),
                    _ => {}
                }
            }
        }
        if pair.cert.is_none() && pair.key.is_none() {
            return;
        }
        let f = tls::FilterCert {
            selector,
            header: sec.header,
            pair,
        };
        if sec.kind == "local_name" {
            self.model.tls.names.push(f);
        } else {
            self.model.tls.locals.push(f);
        }
    }

    fn typed<T>(
        &mut self,
        s: &Setting,
        v: &str,
        parse: fn(&str) -> Result<T, value::ValueError>,
    ) -> Option<T> {
        self.typed_with(s, v, parse)
    }

    fn typed_with<T>(
        &mut self,
        s: &Setting,
        v: &str,
        parse: impl FnOnce(&str) -> Result<T, value::ValueError>,
    ) -> Option<T> {
        match parse(v) {
            Ok(t) => Some(t),
            // 2.4 reads `$ENV:NAME` when a process starts: any value then.
            Err(_) if self.model.version == Dovecot::V24 && v.contains("$ENV:") => None,
            Err(_) if !self.budget.admit(s.value_span) => None,
            Err(e) => {
                self.diags.push(
                    Diagnostic::error(
                        codes::INVALID_VALUE,
                        format!("invalid value for `{}`: {}", s.key, e.message),
                    )
                    .label(s.value_span, "invalid value")
                    .help(e.help),
                );
                None
            }
        }
    }

    fn service(&mut self, sec: &Section) {
        // (`service "" {` is nameless too.)
        let Some(name) = sec.name.clone().filter(|n| !n.is_empty()) else {
            if !self.budget.admit(sec.header) {
                return;
            }
            self.diags.push(
                Diagnostic::error(codes::MISSING_NAME, "`service` block without a name")
                    .label(sec.header, "name missing")
                    .help(
                        "write `service NAME {`; Dovecot fails with \"Service #N is missing name\"",
                    ),
            );
            return;
        };
        let idx = match self.index.get(&name) {
            Some(&i) => i,
            None => {
                // (Not while reading the built-in services themselves.)
                let base = if self.builtin {
                    None
                } else {
                    builtin_services_of(self.model.version)
                        .iter()
                        .find(|b| b.name == name)
                        .cloned()
                };
                let mut svc = base.unwrap_or_else(|| Service::new(name.clone(), None));
                if !self.builtin {
                    svc.header = Some(sec.header);
                }
                let idx = self.model.services.len();
                for (li, l) in svc.listeners.iter().enumerate() {
                    self.index_listener(idx, l.kind, l.name.clone(), li);
                }
                self.model.services.push(svc);
                self.index.insert(name.clone(), idx);
                idx
            }
        };
        self.service_items(idx, &sec.items, false);
    }

    /// The settings and sections of service `idx`; `as_protocol`: each
    /// setting is read as `protocol`.
    fn service_items(&mut self, idx: usize, items: &[Item], as_protocol: bool) {
        for item in items {
            match item {
                Item::Setting(s) if as_protocol => {
                    let s = Setting {
                        key: "protocol".into(),
                        ..s.clone()
                    };
                    self.service_setting(idx, &s)
                }
                Item::Setting(s) => self.service_setting(idx, s),
                Item::Section(l) if l.kind == "settings" => self.handler_settings(idx, l),
                // 2.4 reads `protocol x { k = v }` in a service as `protocol
                // = v`, and the sections in it as the service's own (what
                // its doveconf prints); check/names.rs refuses it.
                Item::Section(l) if self.model.version == Dovecot::V24 && l.kind == "protocol" => {
                    self.listener(idx, l);
                    self.service_items(idx, &l.items, true);
                }
                // 2.4: boollists (`imap_capability { .. }`) and named
                // filters are settings of the service filter.
                Item::Section(l)
                    if self.model.version == Dovecot::V24
                        && !l.kind.ends_with("_listener")
                        && l.kind != "service"
                        && !catalogue::is_filter(&l.kind)
                        && catalogue::top_level_section(Dovecot::V24, &l.kind).is_some() =>
                {
                    if is_boollist_24(&l.kind) {
                        self.boollist_section(l);
                    }
                }
                Item::Section(l) => self.listener(idx, l),
            }
        }
    }

    /// svcc's `settings { }` section: kept as text for the handler.
    fn handler_settings(&mut self, idx: usize, sec: &Section) {
        fn entries(b: &mut Builder<'_>, items: &[Item]) -> Vec<SettingsEntry> {
            let mut out = Vec::new();
            for item in items {
                match item {
                    Item::Setting(s) => out.push(SettingsEntry {
                        key: s.key.clone(),
                        key_span: s.key_span,
                        value: SettingsValue::Text(s.value.clone(), s.value_span),
                    }),
                    Item::Section(sub) => {
                        if let Some(span) = sub.name_span {
                            b.unnamed(sub, span);
                        }
                        out.push(SettingsEntry {
                            key: sub.kind.clone(),
                            key_span: sub.kind_span,
                            value: SettingsValue::Section(entries(b, &sub.items)),
                        });
                    }
                }
            }
            out
        }
        if let Some(span) = sec.name_span {
            self.unnamed(sec, span);
        }
        let got = entries(self, &sec.items);
        let st = &mut self.model.services[idx].settings;
        st.header.get_or_insert(sec.header);
        st.entries.extend(got);
    }

    /// A section in `settings` that has a name (they take none).
    fn unnamed(&mut self, sec: &Section, name: Span) {
        if self.budget.admit(name) {
            self.diags.push(
                Diagnostic::error(
                    codes::HANDLER_SETTING,
                    format!("a `{}` section in `settings` takes no name", sec.kind),
                )
                .label(name, "remove this name")
                .help(format!(
                    "write `{} {{`; its entries are the handler's settings",
                    sec.kind
                )),
            );
        }
    }

    /// Records what the model cannot take as written (check/names.rs
    /// reports it).
    fn unread(&mut self, key: &str, key_span: Span, place: String, what: Unread) {
        if !self.builtin {
            // A block's name can be megabytes: each finding keeps a short
            // copy (else one per unknown setting, quadratic in the file).
            let place = match crate::syntax::elide(&place) {
                std::borrow::Cow::Borrowed(_) => place,
                short => short.into_owned(),
            };
            self.model.unread.push(UnreadItem {
                key: key.to_string(),
                key_span,
                place,
                what,
            });
        }
    }

    fn service_setting(&mut self, idx: usize, s: &Setting) {
        let name = self.canonical(Scope::Service, s);
        let cat = catalogue::catalogue(self.model.version);
        let Some(def) = cat.by_model_name(Scope::Service, name) else {
            // A 2.4 service block is a filter: any 2.4 setting may be set in it.
            if self.filtered_24(s) {
                return;
            }
            let place = format!("service `{}`", self.model.services[idx].name);
            self.unread(&s.key, s.key_span, place, Unread::Setting(Scope::Service));
            return;
        };
        let key = def.model_name();
        // Dovecot's daemons expand `$name` in every value (`doveconf -x`).
        let v = self.expand(s);
        let origin = self.origin(s);
        if self.model.version == Dovecot::V24 {
            let zero = self.zero_24(def, &v);
            // The last value counts.
            let zeros = &mut self.model.services[idx].zeros_24;
            zeros.retain(|(z, _)| *z != key);
            if zero {
                zeros.push((key, origin));
            }
        }
        if let Some(x) = self.value(s, &v, def) {
            self.model.services[idx].set(key, x, origin);
        }
    }

    /// Whether a 2.4 limit is written as the 0 that 2.4 refuses where 2.3
    /// read "the default" or "no limit" (not where 2.4's own default is 0,
    /// as `process_min_avail`'s is).
    fn zero_24(&self, def: &catalogue::Def, v: &str) -> bool {
        self.model.version == Dovecot::V24
            && !def.svcc
            && matches!(def.kind, Kind::Uint | Kind::Size | Kind::Time | Kind::Msecs)
            && !unlimited_24(v)
            && (value::size(v) == Ok(0) || value::time(v) == Ok(0))
            && def.default != "0"
    }

    /// A value read as its setting's type says, in this version's terms;
    /// a malformed one is reported (the one finding the builder makes).
    fn value(&mut self, s: &Setting, v: &str, def: &catalogue::Def) -> Option<Value> {
        let version = self.model.version;
        Some(match def.kind {
            Kind::Text | Kind::Section | Kind::StrList => Value::Text(v.to_string()),
            // `service_count` (2.4's `restart_request_count`): 0 or 2.4's
            // `unlimited` is no limit.
            Kind::Uint if def.model_name() == "service_count" => {
                Value::Uint(self.typed(s, v, count_of(version))?)
            }
            Kind::Uint => Value::Uint(self.typed(s, v, uint_of(version))?),
            Kind::Size => Value::Size(self.typed(s, v, size_of(version))?),
            Kind::Time => Value::Time(self.typed(s, v, time_of(version))?),
            Kind::Msecs => Value::Time(self.typed(s, v, time_msecs_of(version))?),
            Kind::Bool => Value::Bool(self.typed(s, v, value::boolean)?),
            Kind::Mode => Value::Mode(self.typed(s, v, mode_of(version))?),
            Kind::Port => Value::Port(self.typed(s, v, value::port)?),
            Kind::Enum(_) => Value::Text(self.typed_with(s, v, |v| value::one_of(v, def.kind))?),
            Kind::Words { .. } => Value::Text(
                self.typed_with(s, v, |v| value::words(v, def.kind, version == Dovecot::V24))?,
            ),
            Kind::EventFilter => {
                let v24 = version == Dovecot::V24;
                Value::Text(self.typed_with(s, v, |v| {
                    event_filter::check(v, v24).map(|()| v.to_string())
                })?)
            }
            // (Its words, one blank apart.)
            Kind::BoolList => {
                Value::Text(self.typed_with(s, v, |v| value::boollist(v).map(|w| w.join(" ")))?)
            }
        })
    }

    fn listener(&mut self, idx: usize, sec: &Section) {
        let kind = match sec.kind.as_str() {
            "unix_listener" => ListenerKind::Unix,
            "fifo_listener" => ListenerKind::Fifo,
            "inet_listener" => ListenerKind::Inet,
            other => {
                let place = format!("service `{}`", self.model.services[idx].name);
                let what = if catalogue::is_filter(other) {
                    Unread::FilteredService {
                        filter_outside: false,
                        empty: sec.items.is_empty(),
                    }
                } else {
                    Unread::Section(Scope::Service)
                };
                self.unread(other, sec.kind_span, place, what);
                return;
            }
        };
        // Dovecot accepts a nameless listener; an empty unix path is
        // reported by the listener checks.
        let name = sec.name.clone().unwrap_or_default();
        let header = (!self.builtin).then_some(sec.header);
        let svc = &mut self.model.services[idx];
        let found = self.listener_index.get(&(idx, kind, name.clone()));
        let li = match found.and_then(|v| v.first().copied()) {
            Some(i) => {
                if svc.listeners[i].header.is_none() {
                    svc.listeners[i].header = header;
                }
                i
            }
            None => {
                svc.listeners
                    .push(Listener::new(kind, name.clone(), header));
                let li = svc.listeners.len() - 1;
                self.index_listener(idx, kind, name, li);
                li
            }
        };
        let scope = match kind {
            ListenerKind::Inet => Scope::InetListener,
            ListenerKind::Unix => Scope::UnixListener,
            ListenerKind::Fifo => Scope::FifoListener,
        };
        let cat = catalogue::catalogue(self.model.version);
        for item in &sec.items {
            match item {
                Item::Setting(s) => {
                    let key = self.canonical(scope, s);
                    let Some(def) = cat.by_model_name(scope, key) else {
                        // So is a 2.4 listener block.
                        if self.filtered_24(s) {
                            continue;
                        }
                        let place = format!(
                            "`{} {}`",
                            sec.kind, self.model.services[idx].listeners[li].name
                        );
                        self.unread(&s.key, s.key_span, place, Unread::Setting(scope));
                        continue;
                    };
                    let origin = self.origin(s);
                    // Expanded as in service blocks (`doveconf -x`).
                    let v = self.expand(s);
                    let Some(x) = self.value(s, &v, def) else {
                        continue;
                    };
                    let key = def.model_name();
                    if key == "mode" {
                        v.trim()
                            .clone_into(&mut self.model.services[idx].listeners[li].mode_text);
                    }
                    // `path = P` / `name = N` replace the header's.
                    if let ("path" | "name", Value::Text(v)) = (key, &x) {
                        let l = &mut self.model.services[idx].listeners[li];
                        let (kind, old) = (l.kind, std::mem::replace(&mut l.name, v.clone()));
                        if let Some(at) = self.listener_index.get_mut(&(idx, kind, old)) {
                            at.retain(|&i| i != li);
                        }
                        self.index_listener(idx, kind, v.clone(), li);
                    }
                    self.model.services[idx].listeners[li].set(key, x, origin);
                }
                Item::Section(inner) => self.unread(
                    &inner.kind,
                    inner.kind_span,
                    "a listener".into(),
                    Unread::Section(scope),
                ),
            }
        }
    }
}
