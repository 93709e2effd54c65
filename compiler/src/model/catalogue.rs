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

use std::borrow::Cow;

pub use super::table::{Def, Kind, Rename, Runtime, Scope};

/// One Dovecot version's settings: its `doveconf`'s table
/// (`data/settings-VERSION.tsv`, `data/regen-settings.py`) with svcc's
/// own settings and facts (`data/svcc-settings.tsv`) laid over it.
#[derive(Debug)]
pub struct Catalogue {
    /// Every row, in the tables' order.
    pub defs: Cow<'static, [Def]>,
    /// The rows' indices sorted by scope and name.
    order: Cow<'static, [u16]>,
}

/// Dovecot 2.3's table (`data/settings-2.3.tsv`).
pub const TABLE_23: &str = include_str!("../../data/settings-2.3.tsv");
/// Dovecot 2.4's table (`data/settings-2.4.tsv`).
pub const TABLE_24: &str = include_str!("../../data/settings-2.4.tsv");
/// svcc's own settings and facts (`data/svcc-settings.tsv`).
pub const TABLE_SVCC: &str = include_str!("../../data/svcc-settings.tsv");

// The tables above as `table::read` reads them, made static data by
// build.rs: `DEFS_23`, `ORDER_23`, `DEFS_24`, `ORDER_24`, `RENAMES`.
mod built {
    #[allow(clippy::wildcard_imports)]
    use super::super::table::{Def, Kind::*, Rename, Runtime::*, Scope::*};
    include!(concat!(env!("OUT_DIR"), "/catalogue.rs"));
}

/// The settings of a Dovecot version.
pub fn catalogue(version: Dovecot) -> &'static Catalogue {
    static V23: Catalogue = Catalogue {
        defs: Cow::Borrowed(built::DEFS_23),
        order: Cow::Borrowed(built::ORDER_23),
    };
    static V24: Catalogue = Catalogue {
        defs: Cow::Borrowed(built::DEFS_24),
        order: Cow::Borrowed(built::ORDER_24),
    };
    match version {
        Dovecot::V23 => &V23,
        Dovecot::V24 => &V24,
    }
}

impl Catalogue {
    /// Reads a version's table and lays svcc's over it at run time (tests
    /// with tables of their own; `catalogue()` has the committed tables
    /// read at build time by the same code).
    pub fn new(table: &'static str, svcc: &'static str) -> Catalogue {
        let defs = super::table::read(table, svcc);
        let order = super::table::order(&defs);
        Catalogue {
            defs: Cow::Owned(defs),
            order: Cow::Owned(order),
        }
    }

    /// The setting of this name in this scope.
    pub fn get(&self, scope: Scope, name: &str) -> Option<&Def> {
        let defs = &self.defs;
        self.order
            .binary_search_by(|&i| {
                let d = &defs[usize::from(i)];
                (d.scope, d.name).cmp(&(scope, name))
            })
            .ok()
            .map(|at| &defs[usize::from(self.order[at])])
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

/// The settings 2.4 renamed: the 2.4 table's `replaces` column.
pub fn renames() -> &'static [Rename] {
    built::RENAMES
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

/// A filter section: `protocol`, `local`, `remote` or `local_name`.
pub fn is_filter(kind: &str) -> bool {
    matches!(kind, "protocol" | "local" | "remote" | "local_name")
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
