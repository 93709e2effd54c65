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
/// "process_limit must be 1"): the built-in services whose own settings
/// check says so. Dovecot 2.4 has no `director`, `ipc`, `old-stats` or
/// `replicator`: a service of that name there is the config's own.
pub fn process_limit_1(version: Dovecot) -> &'static [&'static str] {
    match version {
        Dovecot::V23 => &[
            "auth",
            "anvil",
            "log",
            "director",
            "indexer",
            "ipc",
            "old-stats",
            "replicator",
        ],
        Dovecot::V24 => &["auth", "anvil", "log", "indexer"],
    }
}

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

/// Settings of Dovecot 1.x and 2.0 that 2.3 still reads, rewrites and
/// warns about ("Obsolete setting in FILE:LINE: NAME …"), with what its
/// `doveconf` says of each. Dovecot 2.4 knows none of them.
const OBSOLETE_23: &[(&str, &str)] = &[
    (
        "auth_chroot",
        "has been replaced by service auth { chroot }",
    ),
    ("auth_count", "has been removed, and its value must be 1"),
    (
        "auth_executable",
        "has been replaced by service auth { executable }",
    ),
    (
        "auth_process_size",
        "has been replaced by service auth { vsz_limit }",
    ),
    ("auth_user", "has been replaced by service auth { user }"),
    ("dbox_rotate_days", "has been removed"),
    ("dbox_rotate_min_size", "has been removed"),
    ("director_consistent_hashing", "has been removed"),
    ("fsync_disable", "has been renamed to mail_fsync"),
    ("login_chroot", "has been replaced by service { chroot }"),
    ("login_dir", "has been removed"),
    (
        "login_executable",
        "has been replaced by service { executable }",
    ),
    (
        "login_max_connections",
        "has been replaced by service { client_limit }",
    ),
    (
        "login_max_processes_count",
        "has been replaced by service { process_limit }",
    ),
    (
        "login_process_per_connection",
        "has been replaced by service { service_count }",
    ),
    (
        "login_process_size",
        "has been replaced by service { vsz_limit }",
    ),
    (
        "login_processes_count",
        "has been replaced by service { process_min_avail }",
    ),
    (
        "mail_cache_compress_continued_percentage",
        "has been renamed to mail_cache_purge_continued_percentage",
    ),
    (
        "mail_cache_compress_delete_percentage",
        "has been renamed to mail_cache_purge_delete_percentage",
    ),
    (
        "mail_cache_compress_header_continue_count",
        "has been renamed to mail_cache_purge_header_continue_count",
    ),
    (
        "mail_cache_compress_min_size",
        "has been renamed to mail_cache_purge_min_size",
    ),
    (
        "mail_drop_priv_before_exec",
        "has been replaced by service { drop_priv_before_exec }",
    ),
    (
        "mail_executable",
        "has been replaced by service { executable }",
    ),
    ("mail_log_max_lines_per_sec", "has been removed"),
    (
        "mail_process_size",
        "has been replaced by service { vsz_limit }",
    ),
    ("maildir_copy_preserve_filename", "has been removed"),
    (
        "max_mail_processes",
        "has been replaced by service { process_limit }",
    ),
    ("sieve_storage", "has been moved into plugin { sieve_dir }"),
    ("ssl_ca_file", "has been replaced by ssl_ca = <file"),
    ("ssl_cert_file", "has been replaced by ssl_cert = <file"),
    ("ssl_dh_parameters_length", "is no longer needed"),
    ("ssl_disable", "has been renamed to ssl"),
    ("ssl_key_file", "has been replaced by ssl_key = <file"),
    (
        "ssl_listen",
        "has been replaced by service { inet_listener { address } }",
    ),
    ("ssl_parameters_regenerate", "is no longer needed"),
    ("ssl_protocols", "has been replaced by ssl_min_protocol"),
];

/// What Dovecot 2.3 says of an obsolete setting it still reads.
pub fn obsolete_23(name: &str) -> Option<&'static str> {
    OBSOLETE_23
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, what)| *what)
}

/// Whether a top-level section takes a name (`namespace inbox {`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionName {
    /// Dovecot 2.4 fails with "KIND { } is missing section name".
    Required,
    /// Dovecot 2.4 fails with "KIND { } must not have a section name".
    Forbidden,
    /// Either.
    Either,
}

/// The section kinds Dovecot 2.3 takes at the top level besides its
/// settings' names, found by giving its `doveconf` `KIND { }` and `KIND x
/// { }` (the test `catalogue::top_level_sections_are_what_each_doveconf_says`
/// does it again). Any other kind is refused: "Unknown setting: KIND".
const SECTIONS_23: &[&str] = &[
    "auth",
    "dict",
    "event_exporter",
    "local",
    "local_name",
    "mail",
    "metric",
    "namespace",
    "passdb",
    "plugin",
    "protocol",
    "remote",
    "service",
    "userdb",
];

/// The same for Dovecot 2.4 (its named filters), with whether each takes a
/// name. Any other kind is refused: "Unknown section name: KIND".
const SECTIONS_24: &[(&str, SectionName)] = &[
    ("acl", SectionName::Required),
    ("acl_sharing_map", SectionName::Either),
    ("auth_policy", SectionName::Forbidden),
    ("crypt_global_private_key", SectionName::Required),
    ("crypt_user_key_encryption_key", SectionName::Required),
    ("dict", SectionName::Required),
    ("dict_map", SectionName::Required),
    ("dict_map_key_field", SectionName::Required),
    ("dict_map_value_field", SectionName::Required),
    ("dict_server", SectionName::Either),
    ("doveadm_server", SectionName::Either),
    ("event_exporter", SectionName::Required),
    ("event_exporter_http_post", SectionName::Either),
    ("execute", SectionName::Required),
    ("fifo_listener", SectionName::Required),
    ("fs", SectionName::Required),
    ("fts", SectionName::Required),
    ("fts_decoder_tika", SectionName::Forbidden),
    ("group", SectionName::Either),
    ("imapc", SectionName::Forbidden),
    ("inet_listener", SectionName::Required),
    ("language", SectionName::Required),
    ("last_login", SectionName::Forbidden),
    ("layout_fs", SectionName::Either),
    ("layout_imapc", SectionName::Either),
    ("layout_imapdir", SectionName::Either),
    ("layout_index", SectionName::Either),
    ("local", SectionName::Either),
    ("local_name", SectionName::Either),
    ("mail_attribute", SectionName::Forbidden),
    ("mail_ext_attachment", SectionName::Forbidden),
    ("mail_lua", SectionName::Forbidden),
    ("mailbox", SectionName::Required),
    ("mailbox_directory_name", SectionName::Either),
    ("maildir", SectionName::Forbidden),
    ("mbox", SectionName::Forbidden),
    ("mdbox", SectionName::Forbidden),
    ("metric", SectionName::Required),
    ("metric_group_by", SectionName::Required),
    ("metric_group_by_method", SectionName::Required),
    ("namespace", SectionName::Required),
    ("notify_status", SectionName::Forbidden),
    ("oauth2", SectionName::Forbidden),
    ("oauth2_local_validation", SectionName::Either),
    ("passdb", SectionName::Required),
    ("passdb_imapc", SectionName::Either),
    ("passdb_pam", SectionName::Forbidden),
    ("passdb_passwd", SectionName::Either),
    ("passdb_passwd_file", SectionName::Either),
    ("passdb_static", SectionName::Forbidden),
    ("pop3c", SectionName::Forbidden),
    ("protocol", SectionName::Either),
    ("push_notification", SectionName::Required),
    ("quota", SectionName::Required),
    ("quota_clone", SectionName::Forbidden),
    ("quota_count", SectionName::Either),
    ("quota_fs", SectionName::Forbidden),
    ("quota_imapc", SectionName::Forbidden),
    ("quota_maildir", SectionName::Either),
    ("quota_over_status", SectionName::Forbidden),
    ("quota_warning", SectionName::Required),
    ("remote", SectionName::Either),
    ("service", SectionName::Required),
    ("ssl_client", SectionName::Forbidden),
    ("ssl_server", SectionName::Forbidden),
    ("stats_server", SectionName::Either),
    ("unix_listener", SectionName::Required),
    ("userdb", SectionName::Required),
    ("userdb_passwd", SectionName::Either),
    ("userdb_passwd_file", SectionName::Either),
    ("userdb_static", SectionName::Forbidden),
    ("virtual", SectionName::Forbidden),
    ("welcome", SectionName::Forbidden),
];

/// Whether Dovecot `version` takes a top-level section of this kind, and
/// whether it takes a name: a setting's name opens one too (2.3: a list of
/// values; 2.4: a boollist or a named filter).
pub fn top_level_section(version: Dovecot, kind: &str) -> Option<SectionName> {
    let listed = match version {
        Dovecot::V23 => SECTIONS_23.contains(&kind).then_some(SectionName::Either),
        Dovecot::V24 => SECTIONS_24
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, n)| *n),
    };
    listed.or_else(|| {
        catalogue(version)
            .get(Scope::Global, kind)
            .map(|_| SectionName::Either)
    })
}

/// The settings of Dovecot's auth process besides `auth_*` (and `passdb`
/// and `userdb`), which a `local`/`remote`/`local_name` filter may not set
/// (its settings parser's table; a test asks both doveconfs).
const AUTH_UNPREFIXED: &[&str] = &[
    "base_dir",
    "verbose_proctitle",
    "first_valid_uid",
    "last_valid_uid",
    "first_valid_gid",
    "last_valid_gid",
];

/// Whether `key` is a setting of Dovecot's auth process (refused inside
/// `local`/`remote` filters): an `auth_*` setting of the version's table,
/// or one of the auth process's others (2.3 also its CA settings).
pub fn auth_setting(version: Dovecot, key: &str) -> bool {
    // (`auth_socket_path` and 2.4's `auth_allow_cleartext` are the
    // clients' settings.)
    (key.starts_with("auth_")
        && !matches!(key, "auth_socket_path" | "auth_allow_cleartext")
        && catalogue(version).get(Scope::Global, key).is_some())
        || AUTH_UNPREFIXED.contains(&key)
        || (version == Dovecot::V23 && matches!(key, "ssl_client_ca_dir" | "ssl_client_ca_file"))
}

/// The passdb and userdb drivers Dovecot 2.4's dovecot-core holds (not
/// dovecot-ldap's `ldap` or dovecot-lua's `lua`): their settings are all in
/// the tables.
const CORE_AUTH_DRIVERS_24: &[&str] = &[
    "pam",
    "passwd",
    "passwd-file",
    "static",
    "checkpassword",
    "sql",
    "oauth2",
    "bsdauth",
    "imap",
];

/// Whether `driver` is a passdb or userdb driver of 2.4's dovecot-core (as
/// the config writes it, `passwd-file`, or as setting names do,
/// `passwd_file`).
pub fn is_auth_driver_24(driver: &str) -> bool {
    CORE_AUTH_DRIVERS_24
        .iter()
        .any(|d| d.replace('-', "_") == driver.replace('-', "_"))
}

/// Every section kind [`top_level_section`] lists on top of the settings.
pub fn listed_sections(version: Dovecot) -> Vec<&'static str> {
    match version {
        Dovecot::V23 => SECTIONS_23.to_vec(),
        Dovecot::V24 => SECTIONS_24.iter().map(|(k, _)| *k).collect(),
    }
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
