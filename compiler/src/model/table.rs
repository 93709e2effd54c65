//! The catalogue's rows and how the tables are read: the setting types,
//! scopes and treatments, and the reading of `data/settings-VERSION.tsv`
//! with `data/svcc-settings.tsv` laid over it.
//!
//! This file stands alone (std only): `build.rs` includes it to turn the
//! committed tables into static data in the binary (nothing is parsed or
//! allocated when `svcc check` starts), and `Catalogue::new` reads a table
//! at run time with the same code.

use std::collections::HashMap;

/// The value type of a service or listener setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Free text (paths, names, lists).
    Text,
    /// Unsigned 32-bit number.
    Uint,
    /// Size in bytes (`256M`).
    Size,
    /// Time interval (`60 secs`), in seconds: no milliseconds.
    Time,
    /// Time interval that takes milliseconds too (`1500 ms`).
    Msecs,
    /// `yes` / `no`.
    Bool,
    /// File mode (octal with a leading 0, else decimal).
    Mode,
    /// TCP port.
    Port,
    /// 2.4: a boollist or named filter (`mail_plugins { }`), set as a section.
    Section,
    /// 2.4: a string list (`import_environment { TZ = }`): set as a section
    /// only, never with `=`.
    StrList,
    /// An event filter (`log_debug = category=auth AND NOT event=x`),
    /// whose syntax Dovecot checks at start-up.
    EventFilter,
    /// 2.4: a boollist (`protocols`, `mail_plugins`): words separated by
    /// blanks or commas, each `"`-quoted as need be, with `=`; or a
    /// section of `WORD = yes|no` lines.
    BoolList,
    /// One word of a fixed set, written as Dovecot keeps it: the values
    /// separated by `:`, the default first (`optimized:always:never`; an
    /// empty first value is an empty default).
    Enum(&'static str),
    /// Words of a fixed set, separated by spaces or commas (a settings
    /// check's table: `imap_client_workarounds = delay-newmail
    /// tb-lsub-flags`): `list` holds them separated by spaces, a word
    /// ending in `=` or `:` starting a word (`content-type=text/html`);
    /// `exact` compares case too (else case is ignored).
    Words {
        /// The words, separated by spaces.
        list: &'static str,
        /// Whether case counts.
        exact: bool,
        /// Whether only spaces separate the words (else commas too).
        spaces: bool,
        /// 2.4: whether it is a boollist ([`Kind::BoolList`]), read word
        /// by word with its quoting.
        boollist: bool,
    },
}

impl Kind {
    /// The type's name, as hover text and docs/settings.md show it.
    pub fn name(self) -> std::borrow::Cow<'static, str> {
        if let Kind::Words { .. } = self {
            let words: Vec<String> = self.values().map(|v| format!("`{v}`")).collect();
            return format!("words of {}", words.join(", ")).into();
        }
        if let Kind::Enum(_) = self {
            let words: Vec<String> = self
                .values()
                .map(|v| match v {
                    "" => "empty".to_string(),
                    v => format!("`{v}`"),
                })
                .collect();
            return format!("one of {}", words.join(", ")).into();
        }
        match self {
            Kind::Enum(_) | Kind::Words { .. } => "",
            Kind::Text => "text",
            Kind::Uint => "number",
            Kind::Size => "size (e.g. `256M`)",
            Kind::Time => "time (e.g. `60 secs`)",
            Kind::Msecs => "time (e.g. `60 secs`, `500 ms`)",
            Kind::Bool => "boolean (`yes`/`no`)",
            Kind::Mode => "file mode (octal with a leading 0)",
            Kind::Port => "TCP port",
            Kind::Section => "section (2.4: a boollist or named filter)",
            Kind::StrList => "string list (2.4: `NAME { KEY = VALUE }` only)",
            Kind::EventFilter => "event filter (e.g. `category=auth AND NOT event=x`)",
            Kind::BoolList => "list (2.4: words separated by blanks or commas, `\"`-quoted as need be; or `NAME { WORD = yes }`)",
        }
        .into()
    }

    /// An enum's values, the default first, or a word list's words (no
    /// others for another type).
    pub fn values(self) -> impl Iterator<Item = &'static str> {
        let (list, sep) = match self {
            Kind::Enum(list) => (Some(list), ':'),
            Kind::Words { list, .. } => (Some(list), ' '),
            _ => (None, ' '),
        };
        list.into_iter().flat_map(move |l| l.split(sep))
    }

    /// Whether Dovecot 2.4 reads it as a boollist (`NAME = a "b c"`, or
    /// `NAME { a = yes }`).
    pub fn is_boollist(self) -> bool {
        matches!(self, Kind::BoolList | Kind::Words { boollist: true, .. })
    }

    /// The table's name for a type (`data/*.tsv`).
    fn parse(s: &'static str) -> Option<Kind> {
        if let Some(list) = s.strip_prefix("enum:") {
            return Some(Kind::Enum(list));
        }
        // `words[-exact][-spaces]:WORD WORD ...`
        if let Some((head, list)) = s.split_once(':').filter(|(h, _)| h.starts_with("words")) {
            let flags: Vec<&str> = head.split('-').skip(1).collect();
            return Some(Kind::Words {
                list,
                exact: flags.contains(&"exact"),
                spaces: flags.contains(&"spaces"),
                boollist: flags.contains(&"boollist"),
            });
        }
        Some(match s {
            "text" => Kind::Text,
            "uint" => Kind::Uint,
            "size" => Kind::Size,
            "time" => Kind::Time,
            "msecs" => Kind::Msecs,
            "bool" => Kind::Bool,
            "mode" => Kind::Mode,
            "port" => Kind::Port,
            "section" => Kind::Section,
            "strlist" => Kind::StrList,
            "boollist" => Kind::BoolList,
            "filter" => Kind::EventFilter,
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

    /// Whether Dovecot checks the value only once the config is read (its
    /// settings checks: word lists, event filters, `syslog_facility`,
    /// `pop3_uidl_format`, hash formats), so that only the last value in a
    /// block counts; types and enums it checks on every line.
    pub fn checked_last(&self) -> bool {
        matches!(self.kind, Kind::Words { .. } | Kind::EventFilter)
            || matches!(
                self.name,
                "syslog_facility" | "pop3_uidl_format" | "auth_verbose_passwords"
            )
            || self.namespace_separator()
            || self.hash_format()
            // (2.4's are boollists: each line's list syntax is read as it
            // comes, the fields' check at the end.)
            || (self.cache_fields() && self.kind == Kind::Text)
    }

    /// A list of mail cache fields (`mail_cache_fields`,
    /// `mail_always_cache_fields`, `mail_never_cache_fields`): read by
    /// [`crate::model::value::cache_fields`].
    pub fn cache_fields(&self) -> bool {
        matches!(
            self.name,
            "mail_cache_fields" | "mail_always_cache_fields" | "mail_never_cache_fields"
        )
    }

    /// An attachment hash format (`mail_attachment_hash`, 2.4's
    /// `mail_ext_attachment_hash`): read by [`crate::model::value::hash_format`].
    pub fn hash_format(&self) -> bool {
        matches!(
            self.name,
            "mail_attachment_hash" | "mail_ext_attachment_hash"
        )
    }

    /// A namespace's hierarchy separator (2.3's `namespace { separator }`,
    /// 2.4's `namespace_separator`): one character at most.
    pub fn namespace_separator(&self) -> bool {
        self.name == "namespace_separator"
            || (self.scope == Scope::Namespace && self.name == "separator")
    }
}

/// Where a setting is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
    /// 2.3: a `namespace` section (2.4's named filter holds top-level
    /// settings, `namespace_type`).
    Namespace,
    /// 2.3: a `mailbox` section in a namespace.
    Mailbox,
    /// 2.3: a `passdb` section.
    Passdb,
    /// 2.3: a `userdb` section.
    Userdb,
    /// 2.3: a `metric` section.
    Metric,
    /// 2.3: an `event_exporter` section.
    EventExporter,
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
            Scope::Namespace => "namespace",
            Scope::Mailbox => "mailbox",
            Scope::Passdb => "passdb",
            Scope::Userdb => "userdb",
            Scope::Metric => "metric",
            Scope::EventExporter => "event_exporter",
        }
    }

    /// 2.3's sections with settings of their own (not services or
    /// listeners), by the section's keyword.
    pub const SECTIONS_23: [Scope; 6] = [
        Scope::Namespace,
        Scope::Mailbox,
        Scope::Passdb,
        Scope::Userdb,
        Scope::Metric,
        Scope::EventExporter,
    ];

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
        .chain(Scope::SECTIONS_23)
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

fn rows(text: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split('\t').collect())
}

/// Reads a version's table and lays svcc's over it: every row, in the
/// tables' order.
pub fn read(table: &'static str, svcc: &'static str) -> Vec<Def> {
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
    defs
}

/// The rows' indices sorted by scope and name, for a binary search.
pub fn order(defs: &[Def]) -> Vec<u16> {
    let mut order: Vec<u16> = (0..defs.len() as u16).collect();
    order.sort_by_key(|&i| (defs[i as usize].scope, defs[i as usize].name));
    order
}

/// The settings a table's `replaces` column renames (build.rs makes
/// `catalogue::renames()` of them).
#[allow(dead_code)]
pub fn renames(defs: &[Def]) -> Vec<Rename> {
    defs.iter()
        .filter_map(|d| {
            Some(Rename {
                scope: d.scope,
                old: d.replaces?,
                new: d.name,
                file: d.file,
            })
        })
        .collect()
}
