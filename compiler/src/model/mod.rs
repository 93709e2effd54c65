//! Syntax tree → the checked service model: every `service` with its
//! listeners, typed, merged onto Dovecot's built-in service of the same name,
//! each value carrying where it came from ([`Origin`]).
//!
//! Settings outside `service` blocks are kept as text and never rejected for
//! being unknown: svcc does not own mail settings.

pub mod catalogue;
pub mod print;
#[cfg(test)]
mod tests;
pub mod tls;
pub mod value;

use crate::check::codes;
use crate::report::Diagnostic;
use crate::syntax::{
    Document, Item, Section, Setting, SourceMap, Span, MAX_EXPANDED_BYTES, MAX_VALUE_SIZE,
};
use std::collections::HashMap;
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
    /// Every top-level setting, last value wins (values expanded).
    pub all: HashMap<String, Val<String>>,
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
            all: HashMap::new(),
        }
    }
}

/// The kind of a listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    pub mode: Val<u32>,
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
}

impl Listener {
    fn new(kind: ListenerKind, name: String, header: Option<Span>) -> Self {
        Listener {
            kind,
            name,
            header,
            mode: Val::default(0o600),
            user: Val::default(String::new()),
            group: Val::default(String::new()),
            address: Val::default(String::new()),
            port: Val::default(0),
            ssl: Val::default(false),
            reuse_port: Val::default(false),
            haproxy: Val::default(false),
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
}

impl Model {
    /// Every service Dovecot would know: the config's and the built-in ones.
    pub fn all_services(&self) -> impl Iterator<Item = &Service> {
        self.services.iter().chain(self.implicit.iter())
    }
}

/// Dovecot's built-in services.
pub fn builtin_services() -> &'static [Service] {
    static B: OnceLock<Vec<Service>> = OnceLock::new();
    B.get_or_init(|| services_from(&trusted_items(catalogue::BUILTIN_SERVICES)))
}

/// The built-in table through the full parser (tests compare it with the
/// fast path).
#[cfg(test)]
fn builtin_services_via_pest() -> Vec<Service> {
    let (doc, _) = crate::syntax::load_str("<builtin>", catalogue::BUILTIN_SERVICES);
    services_from(&doc.items)
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

fn services_from(items: &[Item]) -> Vec<Service> {
    {
        let mut b = Builder::new(true);
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

/// Builds the model from a document; returns every problem found.
pub fn build(doc: &Document) -> (Model, Vec<Diagnostic>) {
    let mut b = Builder::new(false);
    b.map = Some(&doc.sources);
    b.document(doc);
    let mut model = b.model;
    for s in builtin_services() {
        if !model.services.iter().any(|m| m.name == s.name) {
            model.implicit.push(s.clone());
        }
    }
    let mut diags = b.diags;
    b.budget.finish(&mut diags);
    (model, diags)
}

struct Builder<'a> {
    model: Model,
    /// The files read (to resolve `<path` values); `None` for the built-in table.
    map: Option<&'a SourceMap>,
    diags: Vec<Diagnostic>,
    builtin: bool,
    /// Service name → index in `model.services`.
    index: HashMap<String, usize>,
    /// Bytes produced by `$name` expansion so far.
    expanded_bytes: usize,
    /// Whether an expansion limit was reported (once is enough).
    expansion_limit_reported: bool,
    /// Problems described per file.
    budget: crate::report::FileBudget,
}

impl Builder<'_> {
    fn new(builtin: bool) -> Self {
        Builder {
            model: Model::default(),
            map: None,
            diags: Vec::new(),
            builtin,
            index: HashMap::new(),
            expanded_bytes: 0,
            expansion_limit_reported: false,
            budget: Default::default(),
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
        self.document_items(&doc.items);
    }

    /// Filters (`local` ⊃ `local_name`/`remote` ⊃ `protocol`) nest in
    /// Dovecot's order; network masks fit the address.
    fn filters(&mut self, items: &[Item], outer: Option<&Section>) {
        let is_filter = |k: &str| matches!(k, "local" | "local_name" | "remote" | "protocol");
        for item in items {
            let Item::Section(sec) = item else { continue };
            if !is_filter(&sec.kind) {
                // Filters are top-level constructs; don't descend into others.
                continue;
            }
            if let Some(o) = outer {
                // Dovecot 2.3 (config-parser.c) rejects exactly these.
                let bad = match (o.kind.as_str(), sec.kind.as_str()) {
                    ("protocol", "protocol") => Some("nested `protocol { protocol { .. } }` blocks are not allowed".to_string()),
                    ("protocol", inner) => Some(format!("`protocol {{ {inner} {{ .. }} }}` is not allowed (write `{inner} {{ protocol {{ .. }} }}` instead)")),
                    ("remote", inner @ ("local" | "local_name")) | ("local_name", inner @ "local") => Some(format!(
                        "`{} {{ {inner} {{ .. }} }}` is not allowed (write `{inner} {{ {} {{ .. }} }}` instead)",
                        o.kind, o.kind
                    )),
                    _ => None,
                };
                if let Some(msg) = bad.filter(|_| self.budget.admit(sec.header)) {
                    self.diags.push(
                        Diagnostic::error(codes::INVALID_FILTER, msg)
                            .label(sec.header, "this filter")
                            .label(o.header, "is inside this one")
                            .help("filters nest as local { local_name|remote { protocol { .. } } }; Dovecot refuses any other order"),
                    );
                }
            }
            if matches!(sec.kind.as_str(), "local" | "remote") {
                if let (Some(name), Some(span)) = (&sec.name, sec.name_span) {
                    if let Some((ip, bits)) = name.split_once('/') {
                        let max = match ip.parse::<std::net::IpAddr>() {
                            Ok(std::net::IpAddr::V4(_)) => Some(32),
                            Ok(std::net::IpAddr::V6(_)) => Some(128),
                            Err(_) => None,
                        };
                        let ok = matches!((bits.parse::<u32>(), max), (Ok(b), Some(m)) if b <= m);
                        if !ok && self.budget.admit(span) {
                            self.diags.push(
                                Diagnostic::error(codes::INVALID_FILTER, format!("invalid network `{name}`"))
                                    .label(span, match max {
                                        Some(m) => format!("the mask must be 0 to {m}"),
                                        None => "not an IP address with a /bits mask".to_string(),
                                    })
                                    .help("write an address and a mask such as `10.0.0.0/8` or `2001:db8::/32` (Dovecot: \"Invalid network mask\")"),
                            );
                        }
                    }
                }
            }
            self.filters(&sec.items, Some(sec));
        }
    }

    fn document_items(&mut self, items: &[Item]) {
        if !self.builtin {
            self.filters(items, None);
        }
        for item in items {
            match item {
                Item::Setting(s) => self.global(s),
                Item::Section(sec) if sec.kind == "service" => self.service(sec),
                Item::Section(sec)
                    if !self.builtin && matches!(sec.kind.as_str(), "local_name" | "local") =>
                {
                    self.tls_filter(sec)
                }
                Item::Section(sec) => {
                    let k = sec.kind.to_ascii_lowercase();
                    if !self.builtin
                        && (k == "service"
                            || (k.len() < 64
                                && strsim::damerau_levenshtein(&k, "service") <= 2
                                && k.len() >= 5))
                        && self.budget.admit(sec.kind_span)
                    {
                        self.diags.push(
                            Diagnostic::warning(codes::MISSPELLED_SECTION, format!("`{}` is not `service`: this block is not checked", sec.kind))
                                .label(sec.kind_span, "did you mean `service`?")
                                .help("write `service NAME {` (lower case); any other top-level section is kept as it is, unchecked, and Dovecot refuses it as an unknown section"),
                        );
                    }
                }
            }
        }
    }

    /// The value with `$name` tokens expanded, as Dovecot does. An expansion
    /// over [`MAX_VALUE_SIZE`] (or the value's own length, if longer), or past the config's budget of
    /// [`MAX_EXPANDED_BYTES`], keeps the value as written, with an
    /// `svcc::limit` error (`x = $x $x` repeated doubles the value each line).
    fn expand(&mut self, s: &Setting) -> String {
        if s.quoted || !s.value.contains('$') {
            return s.value.clone();
        }
        let mut out = String::new();
        for (i, tok) in s.value.split(' ').enumerate() {
            let piece: std::borrow::Cow<'_, str> = match tok.strip_prefix('$') {
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
                        _ => catalogue::text_default(name).unwrap_or(tok).into(),
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

    fn global(&mut self, s: &Setting) {
        let v = self.expand(s);
        let origin = self.origin(s);
        let g = &mut self.model.globals;
        match s.key.as_str() {
            "protocols" => {
                g.protocols = Val {
                    value: v.split([' ', ',']).filter(|p| !p.is_empty()).fold(
                        Vec::new(),
                        |mut acc, p| {
                            if !acc.iter().any(|a: &String| a == p) {
                                acc.push(p.to_string());
                            }
                            acc
                        },
                    ),
                    origin,
                }
            }
            "base_dir" => {
                g.base_dir = Val {
                    value: v.clone(),
                    origin,
                }
            }
            "listen" => {
                g.listen = Val {
                    value: v.clone(),
                    origin,
                }
            }
            "default_process_limit" => {
                if let Some(n) = self.typed(s, &v, value::uint) {
                    self.model.globals.default_process_limit = Val { value: n, origin };
                }
            }
            "default_client_limit" => {
                if let Some(n) = self.typed(s, &v, value::uint) {
                    self.model.globals.default_client_limit = Val { value: n, origin };
                }
            }
            "default_idle_kill" => {
                if let Some(n) = self.typed(s, &v, value::time) {
                    self.model.globals.default_idle_kill = Val { value: n, origin };
                }
            }
            "default_vsz_limit" => {
                if let Some(n) = self.typed(s, &v, value::size) {
                    self.model.globals.default_vsz_limit = Val { value: n, origin };
                }
            }
            k if k.starts_with("ssl") => self.tls_global(s, &v, origin),
            _ => {}
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

    fn tls_global(&mut self, s: &Setting, v: &str, origin: Origin) {
        let text = |v: &str| Val {
            value: v.trim().to_string(),
            origin,
        };
        match s.key.as_str() {
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
            "ssl_min_protocol" => self.model.tls.min_protocol = text(v),
            "ssl_cipher_list" => self.model.tls.cipher_list = text(v),
            "ssl_cipher_suites" => self.model.tls.cipher_suites = text(v),
            "ssl_curve_list" => self.model.tls.curve_list = text(v),
            "ssl_options" => self.model.tls.options = text(v),
            _ => {}
        }
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
                match s.key.as_str() {
                    "ssl_cert" => pair.cert = Some(self.file_ref(s, &s.value, origin)),
                    "ssl_key" => pair.key = Some(self.file_ref(s, &s.value, origin)),
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
        match parse(v) {
            Ok(t) => Some(t),
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
        let Some(name) = sec.name.clone() else {
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
                    builtin_services().iter().find(|b| b.name == name).cloned()
                };
                let mut svc = base.unwrap_or_else(|| Service::new(name.clone(), None));
                if !self.builtin {
                    svc.header = Some(sec.header);
                }
                self.model.services.push(svc);
                self.index
                    .insert(name.clone(), self.model.services.len() - 1);
                self.model.services.len() - 1
            }
        };
        for item in &sec.items {
            match item {
                Item::Setting(s) => self.service_setting(idx, s),
                Item::Section(l) => self.listener(idx, l),
            }
        }
    }

    fn unknown(&mut self, s: &Setting, place: &str, known: &[catalogue::SettingDef]) {
        if !self.budget.admit(s.key_span) {
            return;
        }
        let mut d = Diagnostic::error(
            codes::UNKNOWN_SETTING,
            format!("unknown setting `{}` in {place}", s.key),
        )
        .label(s.key_span, "not a setting of this block");
        let names = known.iter().map(|k| k.name);
        d = match catalogue::suggest(&s.key, names) {
            Some(m) => d.help(format!(
                "did you mean `{m}`? Dovecot refuses to start with \"Unknown setting: {}\"",
                s.key
            )),
            None => d.help(format!(
                "the settings of {place} are: {}",
                known.iter().map(|k| k.name).collect::<Vec<_>>().join(", ")
            )),
        };
        self.diags.push(d);
    }

    fn service_setting(&mut self, idx: usize, s: &Setting) {
        let Some(&catalogue::SettingDef { name: key, .. }) =
            catalogue::SERVICE_SETTINGS.iter().find(|k| k.name == s.key)
        else {
            let place = format!("service `{}`", self.model.services[idx].name);
            self.unknown(s, &place, catalogue::SERVICE_SETTINGS);
            return;
        };
        // Dovecot's daemons expand `$name` in every value (`doveconf -x`).
        let v = self.expand(s);
        let origin = self.origin(s);
        macro_rules! set {
            ($field:ident, $parse:expr) => {
                if let Some(x) = self.typed(s, &v, $parse) {
                    self.model.services[idx].$field = Val { value: x, origin };
                }
            };
        }
        match key {
            "protocol" => self.model.services[idx].protocol = Val { value: v, origin },
            "type" => self.model.services[idx].kind = Val { value: v, origin },
            "executable" => self.model.services[idx].executable = Val { value: v, origin },
            "user" => self.model.services[idx].user = Val { value: v, origin },
            "group" => self.model.services[idx].group = Val { value: v, origin },
            "chroot" => self.model.services[idx].chroot = Val { value: v, origin },
            "privileged_group" | "extra_groups" | "name" => {}
            "drop_priv_before_exec" => set!(drop_priv_before_exec, value::boolean),
            "process_min_avail" => set!(process_min_avail, value::uint),
            "process_limit" => set!(process_limit, value::uint),
            "client_limit" => set!(client_limit, value::uint),
            "service_count" => set!(service_count, value::uint),
            "idle_kill" => set!(idle_kill, value::time),
            "vsz_limit" => {
                if let Some(x) = self.typed(s, &v, value::size) {
                    self.model.services[idx].vsz_limit = Val {
                        value: Some(x),
                        origin,
                    };
                }
            }
            "blocking" => set!(blocking, value::boolean),
            "client_idle_timeout"
            | "client_request_timeout"
            | "linger_read_timeout"
            | "linger_timeout"
            | "linger_max_bytes" => {
                let parse = if key == "linger_max_bytes" {
                    value::size
                } else {
                    value::time
                };
                if let Some(x) = self.typed(s, &v, parse) {
                    let t = &mut self.model.services[idx].timeouts;
                    let field = match key {
                        "client_idle_timeout" => &mut t.client_idle,
                        "client_request_timeout" => &mut t.client_request,
                        "linger_read_timeout" => &mut t.linger_read,
                        "linger_timeout" => &mut t.linger,
                        _ => &mut t.linger_max_bytes,
                    };
                    *field = Val {
                        value: Some(x),
                        origin,
                    };
                }
            }
            _ => {}
        }
    }

    fn listener(&mut self, idx: usize, sec: &Section) {
        let kind = match sec.kind.as_str() {
            "unix_listener" => ListenerKind::Unix,
            "fifo_listener" => ListenerKind::Fifo,
            "inet_listener" => ListenerKind::Inet,
            _ if !self.budget.admit(sec.kind_span) => return,
            other => {
                let svc = &self.model.services[idx].name;
                let known = ["unix_listener", "fifo_listener", "inet_listener"];
                let mut d = Diagnostic::error(
                    codes::UNKNOWN_SETTING,
                    format!("unknown section `{other}` in service `{svc}`"),
                )
                .label(sec.kind_span, "not a section of a service");
                d = match catalogue::suggest(other, known) {
                    Some(m) => d.help(format!("did you mean `{m}`?")),
                    None => d.help("a service block holds settings and unix_listener, fifo_listener or inet_listener sections"),
                };
                self.diags.push(d);
                return;
            }
        };
        // Dovecot accepts a nameless listener; an empty unix path is
        // reported by the listener checks.
        let name = sec.name.clone().unwrap_or_default();
        let header = (!self.builtin).then_some(sec.header);
        let svc = &mut self.model.services[idx];
        let li = match svc
            .listeners
            .iter()
            .position(|l| l.kind == kind && l.name == name)
        {
            Some(i) => {
                if svc.listeners[i].header.is_none() {
                    svc.listeners[i].header = header;
                }
                i
            }
            None => {
                svc.listeners.push(Listener::new(kind, name, header));
                svc.listeners.len() - 1
            }
        };
        let known = if kind == ListenerKind::Inet {
            catalogue::INET_LISTENER_SETTINGS
        } else {
            catalogue::UNIX_LISTENER_SETTINGS
        };
        for item in &sec.items {
            match item {
                Item::Setting(s) => {
                    if !known.iter().any(|k| k.name == s.key) {
                        let place = format!(
                            "`{} {}`",
                            sec.kind, self.model.services[idx].listeners[li].name
                        );
                        self.unknown(s, &place, known);
                        continue;
                    }
                    let origin = self.origin(s);
                    // Expanded as in service blocks (`doveconf -x`).
                    let v = self.expand(s);
                    macro_rules! set {
                        ($field:ident, $parse:expr) => {
                            if let Some(x) = self.typed(s, &v, $parse) {
                                self.model.services[idx].listeners[li].$field =
                                    Val { value: x, origin };
                            }
                        };
                    }
                    match s.key.as_str() {
                        "mode" => {
                            set!(mode, value::mode);
                            let m = v.trim();
                            if !self.builtin
                                && !m.starts_with('0')
                                && !m.is_empty()
                                && m.bytes().all(|b| b.is_ascii_digit())
                                && self.budget.admit(s.value_span)
                            {
                                self.diags.push(
                                    Diagnostic::warning(codes::DECIMAL_MODE, format!("mode `{m}` is decimal (0{:o}), not 0{m}", m.parse::<u32>().unwrap_or(0)))
                                        .label(s.value_span, "no leading 0: read as a decimal number")
                                        .help(format!("write `mode = 0{m}`: Dovecot reads a mode as octal only with a leading 0")),
                                );
                            }
                        }
                        "user" => {
                            self.model.services[idx].listeners[li].user = Val { value: v, origin }
                        }
                        "group" => {
                            self.model.services[idx].listeners[li].group = Val { value: v, origin }
                        }
                        // `path = P` / `name = N` replace the header's.
                        "path" | "name" => self.model.services[idx].listeners[li].name = v,
                        "address" => {
                            self.model.services[idx].listeners[li].address =
                                Val { value: v, origin }
                        }
                        "port" => set!(port, value::port),
                        "ssl" => set!(ssl, value::boolean),
                        "reuse_port" => set!(reuse_port, value::boolean),
                        "haproxy" => set!(haproxy, value::boolean),
                        _ => {}
                    }
                }
                Item::Section(inner) if !self.budget.admit(inner.kind_span) => {}
                Item::Section(inner) => {
                    self.diags.push(
                        Diagnostic::error(
                            codes::UNKNOWN_SETTING,
                            format!("unknown section `{}` in a listener", inner.kind),
                        )
                        .label(inner.kind_span, "listeners hold settings only")
                        .help("close the listener with `}` before starting another section"),
                    );
                }
            }
        }
    }
}
