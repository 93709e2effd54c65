//! The settings svcc knows: one table per Dovecot version, each setting
//! once (scope, name, type, default, meaning, the 2.3 name a 2.4 setting
//! replaces), derived from that version's own `doveconf`
//! (`data/settings-VERSION.tsv`, `data/regen-settings.py`), with svcc's own
//! settings and what a tailored binary does with each setting laid over
//! them (`data/svcc-settings.tsv`); and Dovecot's built-in services (read
//! from `data/dovecot-VERSION-services.conf` with svcc's own parser).
//!
//! Adding a setting is one row. From the rows come the value's parsing and
//! typing, "did you mean", `svcc build`'s refusals, hover and completion,
//! and `docs/settings.md`; a setting the runtime acts on also has a field
//! in the model (`Service::set`, `Listener::set`) that codegen carries
//! into the specs.

use foldhash::HashMap;
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
    /// 2.4: a boollist or named filter (`mail_plugins { }`), set as a section.
    Section,
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
            Kind::Section => "section (2.4: a boollist or named filter)",
        }
    }

    /// The table's name for a type (`data/*.tsv`).
    fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "text" => Kind::Text,
            "uint" => Kind::Uint,
            "size" => Kind::Size,
            "time" => Kind::Time,
            "bool" => Kind::Bool,
            "mode" => Kind::Mode,
            "port" => Kind::Port,
            "section" => Kind::Section,
            _ => return None,
        })
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
    /// Says which Dovecot the config is written for
    /// (`dovecot_config_version`); asks the runtime for nothing.
    Language,
    /// The runtime cannot honour it: `svcc build` and `svcc::main!` refuse
    /// any value but `off` (`svcc::unsupported-setting`); the row's
    /// `tailored` text says what svcc does and what to change. `svcc check`
    /// stays quiet: the config is still right for Dovecot.
    Refused {
        /// The one value that asks for nothing (the default).
        off: &'static str,
    },
    /// Not read by the tailored binary: `svcc build` refuses a global one
    /// unless another value refers to it as `$name`.
    Ignored,
}

/// One setting of one Dovecot version: the one row every layer reads
/// (value parsing and typing, "did you mean", `svcc build`'s refusals,
/// `svcc config`, hover and completion, `docs/settings.md`).
#[derive(Debug, Clone, Copy)]
pub struct Def {
    /// Where it is set.
    pub scope: Scope,
    /// The name, as this version spells it.
    pub name: &'static str,
    /// The value type.
    pub kind: Kind,
    /// Dovecot's default, as its `doveconf` prints it (svcc's own: the
    /// runtime's default).
    pub default: &'static str,
    /// 2.4: the 2.3 setting it replaces.
    pub replaces: Option<&'static str>,
    /// 2.4: 2.3's value was `<file` where 2.4 takes the path itself.
    pub file: bool,
    /// What it means.
    pub doc: &'static str,
    /// What the tailored binary does with it.
    pub runtime: Runtime,
    /// What that means in a tailored binary (for a refused setting: what
    /// svcc does instead and what to change).
    pub tailored: &'static str,
    /// svcc's own setting (Dovecot has no such setting).
    pub svcc: bool,
}

impl Def {
    /// The name svcc's model calls it by: 2.3's (`service_count` for 2.4's
    /// `restart_request_count`).
    pub fn model_name(&self) -> &'static str {
        self.replaces.unwrap_or(self.name)
    }
}

/// One Dovecot version's settings: its `doveconf`'s table
/// (`data/settings-VERSION.tsv`, `data/regen-settings.py`) with svcc's
/// own settings and facts (`data/svcc-settings.tsv`) laid over it.
#[derive(Debug)]
pub struct Catalogue {
    /// Every row, in the tables' order.
    pub defs: Vec<Def>,
    index: HashMap<(Scope, &'static str), usize>,
}

/// Dovecot 2.3's table (`data/settings-2.3.tsv`).
pub const TABLE_23: &str = include_str!("../../data/settings-2.3.tsv");
/// Dovecot 2.4's table (`data/settings-2.4.tsv`).
pub const TABLE_24: &str = include_str!("../../data/settings-2.4.tsv");
/// svcc's own settings and facts (`data/svcc-settings.tsv`).
pub const TABLE_SVCC: &str = include_str!("../../data/svcc-settings.tsv");

/// The settings of a Dovecot version.
pub fn catalogue(version: Dovecot) -> &'static Catalogue {
    static V23: OnceLock<Catalogue> = OnceLock::new();
    static V24: OnceLock<Catalogue> = OnceLock::new();
    match version {
        Dovecot::V23 => V23.get_or_init(|| Catalogue::new(TABLE_23, TABLE_SVCC)),
        Dovecot::V24 => V24.get_or_init(|| Catalogue::new(TABLE_24, TABLE_SVCC)),
    }
}

fn rows(text: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split('\t').collect())
}

impl Catalogue {
    /// Reads a version's table and lays svcc's over it (also used by tests
    /// with tables of their own).
    pub fn new(table: &'static str, svcc: &'static str) -> Catalogue {
        let mut defs = Vec::new();
        for r in rows(table) {
            let col = |i: usize| r.get(i).copied().unwrap_or("");
            let (Some(scope), Some(kind)) = (Scope::parse(col(0)), Kind::parse(col(2))) else {
                continue;
            };
            let (replaces, file) = match col(4).strip_suffix(" <") {
                Some(old) => (Some(old), true),
                None => ((!col(4).is_empty()).then_some(col(4)), false),
            };
            defs.push(Def {
                scope,
                name: col(1),
                kind,
                default: col(3),
                replaces,
                file,
                doc: col(5),
                runtime: Runtime::Ignored,
                tailored: "",
                svcc: false,
            });
        }
        let by_name: HashMap<(Scope, &str), usize> = defs
            .iter()
            .enumerate()
            .map(|(i, d)| ((d.scope, d.name), i))
            .collect();
        let by_old: HashMap<(Scope, &str), usize> = defs
            .iter()
            .enumerate()
            .filter_map(|(i, d)| Some(((d.scope, d.replaces?), i)))
            .collect();
        for r in rows(svcc) {
            let col = |i: usize| r.get(i).copied().unwrap_or("");
            let Some(scope) = Scope::parse(col(0)) else {
                continue;
            };
            let runtime = match col(4).split_once(' ') {
                _ if col(4) == "header" => Runtime::FromHeader,
                _ if col(4) == "language" => Runtime::Language,
                _ if col(4) == "refused" => Runtime::Refused { off: "" },
                Some(("refused", off)) => Runtime::Refused { off },
                _ => Runtime::Honoured,
            };
            let name = col(1);
            let hit = by_name
                .get(&(scope, name))
                .or_else(|| by_old.get(&(scope, name)))
                .map(|&i| &mut defs[i]);
            match (hit, Kind::parse(col(2))) {
                (Some(d), _) => {
                    d.runtime = runtime;
                    d.tailored = col(5);
                    if !col(6).is_empty() {
                        d.doc = col(6);
                    }
                }
                // svcc's own settings, and the names a block's header sets
                // (Dovecot accepts them in the block; doveconf prints none).
                (None, kind) if !col(2).is_empty() || runtime == Runtime::FromHeader => {
                    defs.push(Def {
                        scope,
                        name,
                        kind: kind.unwrap_or(Kind::Text),
                        default: col(3),
                        replaces: None,
                        file: false,
                        doc: col(6),
                        runtime,
                        tailored: col(5),
                        svcc: !col(2).is_empty(),
                    })
                }
                // A fact about a setting this version does not have.
                (None, _) => {}
            }
        }
        let index = defs
            .iter()
            .enumerate()
            .map(|(i, d)| ((d.scope, d.name), i))
            .collect();
        Catalogue { defs, index }
    }

    /// The setting of this name in this scope.
    pub fn get(&self, scope: Scope, name: &str) -> Option<&Def> {
        self.index.get(&(scope, name)).map(|&i| &self.defs[i])
    }

    /// The settings of a scope, in the table's order (a fifo listener's
    /// are a unix listener's).
    pub fn scope(&self, scope: Scope) -> impl Iterator<Item = &Def> + Clone + '_ {
        self.defs.iter().filter(move |d| d.scope == scope)
    }

    /// The setting svcc's model calls `model_name` (2.3's name) in a scope.
    pub fn by_model_name(&self, scope: Scope, model_name: &str) -> Option<&Def> {
        self.get(scope, model_name)
            .or_else(|| self.scope(scope).find(|d| d.replaces == Some(model_name)))
    }
}

/// Settings inside `local_name NAME { }` and `local IP { }` blocks that the
/// tailored binary honours: the certificate and key chosen by SNI or by the
/// local address.
pub const HONOURED_IN_TLS_FILTERS: &[&str] = &["ssl_cert", "ssl_key"];

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
            Dovecot::V24 => renames()
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

/// Where a setting is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Top level (and filters).
    Global,
    /// A `service` block.
    Service,
    /// A `unix_listener` block.
    UnixListener,
    /// A `fifo_listener` block.
    FifoListener,
    /// An `inet_listener` block.
    InetListener,
}

impl Scope {
    /// The tables' name for a scope: the block's keyword, or `global`.
    pub fn keyword(self) -> &'static str {
        match self {
            Scope::Global => "global",
            Scope::Service => "service",
            Scope::UnixListener => "unix_listener",
            Scope::FifoListener => "fifo_listener",
            Scope::InetListener => "inet_listener",
        }
    }

    /// The scope of a block keyword (`service`, `unix_listener`, ...) or
    /// `global`.
    pub fn parse(s: &str) -> Option<Scope> {
        [
            Scope::Global,
            Scope::Service,
            Scope::UnixListener,
            Scope::FifoListener,
            Scope::InetListener,
        ]
        .into_iter()
        .find(|sc| sc.keyword() == s)
    }
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

/// The settings 2.4 renamed: the 2.4 table's `replaces` column.
pub fn renames() -> &'static [Rename] {
    static RENAMES: OnceLock<Vec<Rename>> = OnceLock::new();
    RENAMES.get_or_init(|| {
        catalogue(Dovecot::V24)
            .defs
            .iter()
            .filter_map(|d| {
                Some(Rename {
                    scope: d.scope,
                    old: d.replaces?,
                    new: d.name,
                    file: d.file,
                })
            })
            .collect()
    })
}

/// The rename of a setting in this scope, by either name.
pub fn renamed(scope: Scope, name: &str) -> Option<&'static Rename> {
    renames()
        .iter()
        .find(|r| r.scope == scope && (r.old == name || r.new == name))
}

/// Whether Dovecot 2.3 knows a setting of this name (outside service blocks).
pub fn is_dovecot_setting(name: &str) -> bool {
    catalogue(Dovecot::V23).get(Scope::Global, name).is_some()
}

/// Whether Dovecot 2.4 knows a top-level setting (or boollist) of this name.
pub fn is_dovecot24_setting(name: &str) -> bool {
    catalogue(Dovecot::V24).get(Scope::Global, name).is_some()
}

/// Every top-level setting name Dovecot 2.4 knows, sorted.
pub fn dovecot24_setting_names() -> Vec<&'static str> {
    let mut v: Vec<&str> = catalogue(Dovecot::V24)
        .scope(Scope::Global)
        .map(|d| d.name)
        .collect();
    v.sort_unstable();
    v
}

/// Every setting name Dovecot 2.3 knows (outside service blocks).
pub fn dovecot_setting_names() -> impl Iterator<Item = &'static str> {
    catalogue(Dovecot::V23).scope(Scope::Global).map(|d| d.name)
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
    let known: Vec<&str> = dovecot_setting_names().collect();
    let set: Vec<&str> = set.collect();
    suggest(name, known.iter().copied().chain(set.iter().copied())).map(str::to_string)
}
