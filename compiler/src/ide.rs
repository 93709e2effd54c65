//! What an editor asks of a checked config, as plain data over byte
//! offsets: hover text, completions, definitions, symbols, inlay hints and
//! quick fixes. The language server (`svcc lsp`) converts positions and
//! speaks the protocol; everything it knows about the language comes from
//! here, the catalogue and the model, so it cannot drift from `svcc check`.

use crate::check::{codes, BUILTIN_HANDLERS};
use crate::model::catalogue::{self, Def, Dovecot, Kind, Runtime};
use crate::model::print;
use crate::report::Diagnostic;
use crate::syntax::{FileId, Item, Section, Setting, Span};
use crate::{Checked, HostLimits};

/// Where a setting at the cursor lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    /// Top level (or a filter such as `protocol imap { }`).
    Global,
    /// A `service` block.
    Service,
    /// An `inet_listener` block.
    InetListener,
    /// A `unix_listener` or `fifo_listener` block.
    UnixListener,
    /// A 2.3 section with settings of its own (`namespace`, `mailbox`,
    /// `passdb`, ...).
    Section(catalogue::Scope),
    /// Another section: Dovecot's, not svcc's.
    Other,
}

impl Block {
    /// The catalogue's scope of this block.
    fn scope(self) -> Option<catalogue::Scope> {
        match self {
            Block::Service => Some(catalogue::Scope::Service),
            Block::InetListener => Some(catalogue::Scope::InetListener),
            Block::UnixListener => Some(catalogue::Scope::UnixListener),
            Block::Global => Some(catalogue::Scope::Global),
            Block::Section(scope) => Some(scope),
            Block::Other => None,
        }
    }

    /// The setting `name` of this block in `version`'s catalogue, by its
    /// 2.3 or its 2.4 name.
    pub fn def_of(self, version: Dovecot, name: &str) -> Option<&'static Def> {
        let scope = self.scope()?;
        let cat = catalogue::catalogue(version);
        cat.get(scope, name).or_else(|| {
            let r = catalogue::renamed(scope, name)?;
            cat.get(scope, r.old).or_else(|| cat.get(scope, r.new))
        })
    }

    /// The catalogue rows valid in this block.
    pub fn settings(self, version: Dovecot) -> impl Iterator<Item = &'static Def> {
        let cat = catalogue::catalogue(version);
        self.scope().into_iter().flat_map(move |sc| cat.scope(sc))
    }

    fn of(kind: &str) -> Block {
        match kind {
            "service" => Block::Service,
            "inet_listener" => Block::InetListener,
            "unix_listener" | "fifo_listener" => Block::UnixListener,
            "protocol" | "local" | "local_name" | "remote" => Block::Global,
            k => catalogue::Scope::SECTIONS_23
                .into_iter()
                .find(|s| s.keyword() == k)
                .map_or(Block::Other, Block::Section),
        }
    }
}

/// The block the cursor is in, from the text before it (so it works on a
/// half-typed line): headers ending in `{` open, lone `}` close.
pub fn block_at(text: &str, offset: usize) -> (Block, Vec<String>) {
    let mut stack: Vec<(String, Option<String>)> = Vec::new();
    let end = offset.min(text.len());
    let end = (0..=end)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let before = &text[..end];
    // Only complete lines count; the cursor's own line is being typed.
    let complete = match before.rfind('\n') {
        Some(i) => &before[..i],
        None => "",
    };
    for line in complete.lines() {
        let line = match line
            .find(" #")
            .or_else(|| line.starts_with('#').then_some(0))
        {
            Some(i) => &line[..i],
            None => line,
        };
        let t = line.trim();
        if let Some(h) = t.strip_suffix('{') {
            let mut w = h.split_whitespace();
            let kind = w.next().unwrap_or("").to_string();
            stack.push((kind, w.next().map(str::to_string)));
        } else if t == "}" {
            stack.pop();
        }
    }
    let block = stack
        .last()
        .map(|(k, _)| Block::of(k))
        .unwrap_or(Block::Global);
    let names = stack
        .iter()
        .map(|(k, n)| match n {
            Some(n) => format!("{k} {n}"),
            None => k.clone(),
        })
        .collect();
    (block, names)
}

/// What is under the cursor.
enum At<'a> {
    Key(&'a Setting, Vec<&'a Section>),
    Value(&'a Setting),
    Header(&'a Section),
}

fn contains(span: Span, file: FileId, offset: u32) -> bool {
    span.file == file && span.start <= offset && offset <= span.end
}

fn find<'a>(
    items: &'a [Item],
    file: FileId,
    offset: u32,
    path: &mut Vec<&'a Section>,
) -> Option<At<'a>> {
    for item in items {
        match item {
            Item::Setting(s) => {
                if contains(s.key_span, file, offset) {
                    return Some(At::Key(s, path.clone()));
                }
                if contains(s.value_span, file, offset) {
                    return Some(At::Value(s));
                }
            }
            Item::Section(sec) => {
                if contains(sec.header, file, offset) {
                    return Some(At::Header(sec));
                }
                path.push(sec);
                if let Some(at) = find(&sec.items, file, offset, path) {
                    return Some(at);
                }
                path.pop();
            }
        }
    }
    None
}

fn runtime_note(def: &Def) -> String {
    match def.runtime {
        Runtime::Honoured if !def.tailored.is_empty() => {
            format!("\n\nIn a tailored binary: {}", def.tailored)
        }
        Runtime::Honoured | Runtime::Language | Runtime::Ignored => String::new(),
        Runtime::FromHeader => "\n\nSet by the block's header.".into(),
        Runtime::Refused { off } => {
            format!(
                "\n\n`svcc build` refuses any value but `{off}`: {}",
                def.tailored
            )
        }
    }
}

/// A setting's hover text: its meaning, type and default, its name in the
/// other Dovecot version, what a tailored binary does with it.
fn describe(def: &Def, written: &str, version: Dovecot, scope: catalogue::Scope) -> String {
    let mut text = format!("**{written}**");
    if !def.doc.is_empty() {
        text.push_str(&format!(" — {}", def.doc));
    }
    text.push_str(&format!("\n\nType: {}", def.kind.name()));
    if !def.default.is_empty() {
        text.push_str(&format!("; default `{}`", def.default));
    }
    if def.svcc {
        text.push_str(" (svcc's own setting)");
    }
    let other = match version {
        Dovecot::V23 => catalogue::renamed(scope, def.name).map(|r| (Dovecot::V24, r.new)),
        Dovecot::V24 => def.replaces.map(|old| (Dovecot::V23, old)),
    };
    if def.name != written {
        text.push_str(&format!("\n\nDovecot {version} calls it `{}`.", def.name));
    } else if let Some((v, name)) = other {
        text.push_str(&format!("\n\nDovecot {v} calls it `{name}`."));
    }
    text.push_str(&runtime_note(def));
    text
}

/// Hover text (Markdown) for the cursor, and the span it describes.
pub fn hover(
    checked: &Checked,
    file: FileId,
    offset: u32,
    host: HostLimits,
) -> Option<(Span, String)> {
    let map = &checked.doc.sources;
    match find(&checked.doc.items, file, offset, &mut Vec::new())? {
        At::Key(s, path) => {
            let block = path
                .last()
                .map(|p| Block::of(&p.kind))
                .unwrap_or(Block::Global);
            let version = checked.model.version;
            let mut text = match (block.def_of(version, &s.key), block.scope()) {
                (Some(def), Some(scope)) => describe(def, &s.key, version, scope),
                _ if catalogue::is_dovecot_setting(&s.key) => {
                    format!("**{}** — a Dovecot 2.3 setting", s.key)
                }
                _ if catalogue::is_dovecot24_setting(&s.key) => {
                    format!("**{}** — a Dovecot 2.4 setting", s.key)
                }
                _ => format!("**{}**", s.key),
            };
            // The effective value, with where it came from.
            let svc_sec = path.iter().rev().find(|p| p.kind == "service");
            let listener = path
                .last()
                .filter(|p| p.kind.ends_with("_listener"))
                .map(|p| format!("{} {}", p.kind, p.name.as_deref().unwrap_or("")));
            if let Some(name) = svc_sec.and_then(|p| p.name.as_deref()) {
                if let Some(svc) = checked.model.services.iter().find(|x| x.name == name) {
                    let eff = print::effective(&checked.model, map, svc);
                    if let Some(e) = eff
                        .iter()
                        .find(|e| e.key == s.key && e.listener == listener)
                    {
                        text.push_str(&format!(
                            "\n\nEffective in `service {name}`: `{}` ({})",
                            e.shown, e.origin
                        ));
                    }
                }
            } else if path.is_empty() {
                if let Some(v) = checked.model.globals.all.get(&s.key) {
                    text.push_str(&format!("\n\nEffective value: `{}`", v.value));
                }
            }
            Some((s.key_span, text))
        }
        At::Value(s) => {
            // A `$name` reference: its value.
            let name = reference_at(s, map.text(s.value_span), offset)?;
            let v = checked.model.globals.all.get(name)?;
            Some((s.value_span, format!("`${name}` = `{}`", v.value)))
        }
        At::Header(sec) if sec.kind == "service" => {
            let name = sec.name.as_deref()?;
            let g = &checked.model.globals;
            let svc = checked.model.services.iter().find(|x| x.name == name)?;
            let cl = svc.eff_client_limit(g);
            let pl = svc.eff_process_limit(g).value;
            let backlog = svcc_facts::listen_backlog(cl, pl);
            let mut text = format!(
                "**service {name}** — client_limit {cl} × process_limit {pl}\n\nListen backlog: {backlog}"
            );
            match host.somaxconn {
                Some(max) if backlog > max => text.push_str(&format!(
                    " (exceeds net.core.somaxconn {max}: the kernel caps the queue at {max})"
                )),
                Some(max) => text.push_str(&format!(" (≤ net.core.somaxconn {max})")),
                None => {}
            }
            if !svc.enabled(g) {
                text.push_str("\n\nNot run: no executable, or its protocol is not in `protocols`.");
            }
            Some((sec.header, text))
        }
        At::Header(_) => None,
    }
}

/// The `$name` under `offset` in a setting's value.
fn reference_at<'a>(s: &Setting, raw: &'a str, offset: u32) -> Option<&'a str> {
    let rel = offset.checked_sub(s.value_span.start)? as usize;
    let bytes = raw.as_bytes();
    let mut start = rel.min(raw.len());
    while start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_') {
        start -= 1;
    }
    if start == 0 || bytes[start - 1] != b'$' {
        return None;
    }
    let end = raw[start..]
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(raw.len(), |e| start + e);
    (end > start).then(|| &raw[start..end])
}

/// A completion candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The text to insert.
    pub label: String,
    /// A short description (type, or what it is).
    pub detail: String,
    /// Whether it is a setting name (else a value).
    pub is_setting: bool,
}

/// Completions at `offset` of `text` (the buffer as the editor has it).
pub fn completions(text: &str, offset: usize, handlers: &[&str]) -> Vec<Completion> {
    let (block, _) = block_at(text, offset);
    // A 2.4 config (its first setting is `dovecot_config_version`): 2.4's
    // names.
    let version = if text.lines().any(|l| {
        l.trim_start()
            .strip_prefix("dovecot_config_version")
            .is_some_and(|r| r.trim_start().starts_with('='))
    }) {
        Dovecot::V24
    } else {
        Dovecot::V23
    };
    let end = (0..=offset.min(text.len()))
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let line_start = text[..end].rfind('\n').map_or(0, |i| i + 1);
    let prefix = &text[line_start..end];
    if let Some((key, _)) = prefix.split_once('=') {
        let key = key.trim();
        let kind = block.def_of(version, key).map(|d| d.kind);
        let values: Vec<(&str, &str)> = match (key, kind) {
            (_, Some(k @ (Kind::Enum(_) | Kind::Words { .. }))) => k
                .values()
                .filter(|v| !v.is_empty())
                .map(|v| (v, "value"))
                .collect(),
            ("executable", _) => BUILTIN_HANDLERS
                .iter()
                .map(|h| (*h, "svcc built-in handler"))
                .chain(handlers.iter().map(|h| (*h, "handler")))
                .collect(),
            ("protocol" | "protocols", _) => ["imap", "pop3", "lmtp", "submission", "sieve"]
                .iter()
                .map(|p| (*p, "protocol"))
                .collect(),
            ("type", _) => catalogue::SERVICE_TYPES
                .iter()
                .filter(|t| !t.is_empty())
                .map(|t| (*t, "service type"))
                .collect(),
            (_, Some(Kind::Bool)) => vec![("yes", "boolean"), ("no", "boolean")],

            _ => Vec::new(),
        };
        return values
            .into_iter()
            .map(|(v, d)| Completion {
                label: v.to_string(),
                detail: d.to_string(),
                is_setting: false,
            })
            .collect();
    }
    match block {
        Block::Service | Block::InetListener | Block::UnixListener | Block::Section(_) => {
            let mut out: Vec<Completion> = block
                .settings(version)
                .filter(|d| d.runtime != Runtime::FromHeader)
                .map(|d| {
                    let was = d
                        .replaces
                        .map(|o| format!(" (2.3: `{o}`)"))
                        .unwrap_or_default();
                    Completion {
                        label: d.name.to_string(),
                        detail: format!("{} — {}{was}", d.kind.name(), d.doc),
                        is_setting: true,
                    }
                })
                .collect();
            if block == Block::Service {
                for l in ["inet_listener", "unix_listener", "settings"] {
                    out.push(Completion {
                        label: l.to_string(),
                        detail: "listener section".into(),
                        is_setting: true,
                    });
                }
            }
            out
        }
        Block::Global => {
            let mut defs: Vec<&Def> = block.settings(version).collect();
            defs.sort_unstable_by_key(|d| d.name);
            let mut out: Vec<Completion> = vec![Completion {
                label: "service".into(),
                detail: "service section".into(),
                is_setting: true,
            }];
            out.extend(defs.into_iter().map(|d| {
                Completion {
                    label: d.name.to_string(),
                    detail: [d.tailored, d.doc]
                        .into_iter()
                        .find(|t| !t.is_empty())
                        .unwrap_or("Dovecot setting")
                        .to_string(),
                    is_setting: true,
                }
            }));
            out
        }
        Block::Other => Vec::new(),
    }
}

/// Where what is under the cursor is defined: each file an `!include`
/// read (its first byte), or a `$name` reference's setting (its last
/// top-level definition).
pub fn definition(checked: &Checked, file: FileId, offset: u32) -> Vec<Span> {
    let map = &checked.doc.sources;
    if let Some((_, files)) = checked
        .doc
        .includes
        .iter()
        .find(|(pat, _)| contains(*pat, file, offset))
    {
        return files.iter().map(|&f| Span::new(f, 0, 0)).collect();
    }
    let Some(At::Value(s)) = find(&checked.doc.items, file, offset, &mut Vec::new()) else {
        return Vec::new();
    };
    let Some(name) = reference_at(s, map.text(s.value_span), offset) else {
        return Vec::new();
    };
    checked
        .doc
        .items
        .iter()
        .rev()
        .find_map(|i| match i {
            Item::Setting(d) if d.key == name => Some(d.key_span),
            _ => None,
        })
        .into_iter()
        .collect()
}

/// A service or listener, for an outline.
#[derive(Debug, Clone)]
pub struct Symbol {
    /// `service imap`, `inet_listener imaps`.
    pub name: String,
    /// Its header.
    pub header: Span,
    /// From the header to its last setting.
    pub extent: Span,
    /// Listeners of a service.
    pub children: Vec<Symbol>,
}

fn extent(sec: &Section) -> Span {
    let mut end = sec.header;
    for item in &sec.items {
        let s = match item {
            Item::Setting(s) => s.span(),
            Item::Section(inner) => extent(inner),
        };
        if s.file == end.file && s.end > end.end {
            end = s;
        }
    }
    sec.header.to(end)
}

/// The services and listeners of the whole include tree.
pub fn symbols(checked: &Checked) -> Vec<Symbol> {
    checked
        .doc
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Section(sec) if sec.kind == "service" => Some(Symbol {
                name: format!("service {}", sec.name.as_deref().unwrap_or("")),
                header: sec.header,
                extent: extent(sec),
                children: sec
                    .items
                    .iter()
                    .filter_map(|i| match i {
                        Item::Section(l) => Some(Symbol {
                            name: format!("{} {}", l.kind, l.name.as_deref().unwrap_or("")),
                            header: l.header,
                            extent: extent(l),
                            children: Vec::new(),
                        }),
                        _ => None,
                    })
                    .collect(),
            }),
            _ => None,
        })
        .collect()
}

/// Effective limits a service block leaves at their defaults, shown after
/// its header: (where, text).
pub fn inlay_hints(checked: &Checked, file: FileId) -> Vec<(u32, String)> {
    let g = &checked.model.globals;
    let mut out = Vec::new();
    for svc in &checked.model.services {
        let Some(h) = svc.header.filter(|h| h.file == file) else {
            continue;
        };
        let mut parts = Vec::new();
        let cl = svc.configured_client_limit(g);
        if !matches!(cl.origin, crate::model::Origin::Config { key, .. } if !is_global(checked, key))
        {
            parts.push(format!(
                "client_limit: {}{}",
                svc.eff_client_limit(g),
                via(checked, &cl.origin, "default_client_limit")
            ));
        }
        let pl = svc.eff_process_limit(g);
        if !matches!(pl.origin, crate::model::Origin::Config { key, .. } if !is_global(checked, key))
        {
            parts.push(format!(
                "process_limit: {}{}",
                pl.value,
                via(checked, &pl.origin, "default_process_limit")
            ));
        }
        if !parts.is_empty() {
            out.push((h.end, parts.join(", ")));
        }
    }
    out
}

fn is_global(checked: &Checked, key: Span) -> bool {
    checked
        .doc
        .items
        .iter()
        .any(|i| matches!(i, Item::Setting(s) if s.key_span == key))
}

fn via(checked: &Checked, o: &crate::model::Origin, global: &str) -> String {
    match o {
        crate::model::Origin::Config { key, .. } if is_global(checked, *key) => {
            format!(" ({global})")
        }
        crate::model::Origin::Builtin => " (Dovecot's built-in default)".into(),
        _ => format!(" ({global} default)"),
    }
}

/// A quick fix: a title and the edits (span → replacement text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// What it does.
    pub title: String,
    /// The edits, in any order, never overlapping.
    pub edits: Vec<(Span, String)>,
}

/// The service a diagnostic names (`service `NAME``).
fn named_service<'a>(checked: &'a Checked, d: &Diagnostic) -> Option<&'a crate::model::Service> {
    let rest = d.message.split_once("service `")?.1;
    let name = rest.split_once('`')?.0;
    checked.model.services.iter().find(|s| s.name == name)
}

/// Sets `key = value` in a service: replaces the block's own setting, or
/// adds a line after the header.
fn set_in_service(
    checked: &Checked,
    svc: &crate::model::Service,
    key: &str,
    value: &str,
) -> Option<(Span, String)> {
    let map = &checked.doc.sources;
    let own = checked.doc.items.iter().rev().find_map(|i| match i {
        Item::Section(sec)
            if sec.kind == "service" && sec.name.as_deref() == Some(svc.name.as_str()) =>
        {
            sec.items.iter().rev().find_map(|i| match i {
                Item::Setting(s) if s.key == key => Some(s.value_span),
                _ => None,
            })
        }
        _ => None,
    });
    if let Some(v) = own {
        return Some((v, value.to_string()));
    }
    let h = svc.header?;
    let f = map.get(h.file);
    let line = f.line_col(h.start).line;
    let range = f.line_range(line);
    let indent: String = f.text[range.clone()]
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect();
    let at = Span::new(h.file, range.end, range.end);
    Some((at, format!("\n{indent}  {key} = {value}")))
}

/// Quick fixes for a diagnostic: the one obvious change where there is one,
/// and a suppression comment for any located finding.
pub fn fixes(checked: &Checked, d: &Diagnostic) -> Vec<Fix> {
    let map = &checked.doc.sources;
    let mut out = Vec::new();
    match d.code {
        codes::BLOCKING_CLIENT_LIMIT => {
            if let Some(svc) = named_service(checked, d) {
                if let Some(e) = set_in_service(checked, svc, "client_limit", "1") {
                    out.push(Fix {
                        title: format!("Set client_limit = 1 in service {}", svc.name),
                        edits: vec![e],
                    });
                }
            }
        }
        codes::MIN_AVAIL_OVER_LIMIT => {
            if let Some(svc) = named_service(checked, d) {
                let n = svc.process_min_avail.value.to_string();
                if let Some(e) = set_in_service(checked, svc, "process_limit", &n) {
                    out.push(Fix {
                        title: format!("Raise process_limit to {n} in service {}", svc.name),
                        edits: vec![e],
                    });
                }
            }
        }
        // The other Dovecot version's name: the whole setting rewritten
        // as the help says (`write `NEW = VALUE`; …`).
        codes::RENAMED_SETTING => {
            let new = d
                .help
                .as_deref()
                .and_then(|h| h.strip_prefix("write `"))
                .and_then(|r| r.split_once("`;"))
                .map(|(w, _)| w);
            // From the key to the value's end as written (continued lines
            // included, a comment after it kept).
            let setting = d.primary().and_then(|span| {
                match find(&checked.doc.items, span.file, span.start, &mut Vec::new()) {
                    Some(At::Key(s, _)) if s.value_span.file == span.file => {
                        Some((span, s.value_span.end))
                    }
                    _ => None,
                }
            });
            if let (Some(new), Some((span, end))) = (new, setting) {
                out.push(Fix {
                    title: format!("Rewrite as `{new}`"),
                    edits: vec![(
                        Span::new(span.file, span.start as usize, end as usize),
                        new.to_string(),
                    )],
                });
            }
        }
        _ => {}
    }
    // "did you mean `X`?" on a misspelled name.
    if let (Some(help), Some(span)) = (&d.help, d.primary()) {
        if let Some(word) = help
            .split_once("did you mean `")
            .and_then(|(_, r)| r.split_once('`'))
            .map(|(w, _)| w)
        {
            let shown = map.text(span);
            if !shown.contains(char::is_whitespace) && !word.is_empty() {
                out.push(Fix {
                    title: format!("Change to `{word}`"),
                    edits: vec![(span, word.to_string())],
                });
            }
        }
    }
    if let Some(span) = d.primary() {
        if d.code != codes::UNUSED_SUPPRESSION {
            let f = map.get(span.file);
            let line = f.line_col(span.start).line;
            let range = f.line_range(line);
            let indent: String = f.text[range.clone()]
                .chars()
                .take_while(|c| c.is_whitespace())
                .collect();
            let code = d.code.trim_start_matches("svcc::");
            out.push(Fix {
                title: format!("Suppress {} on this line", d.code),
                edits: vec![(
                    Span::new(span.file, range.start, range.start),
                    format!("{indent}# svcc: disable={code}\n"),
                )],
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(text: &str) -> Checked {
        crate::check_str("<t>", text, &crate::Options::default())
    }

    const CONF: &str = "default_client_limit = 50\nmy_user = nobody\nservice store {\n  executable = echo\n  blocking = yes\n  client_limit = 4\n  user = $my_user\n  inet_listener store {\n    port = 143\n  }\n}\n";

    #[test]
    fn hover_shows_meaning_and_effective_value() {
        let c = checked(CONF);
        let at = CONF.find("client_limit = 4").unwrap() as u32 + 2;
        let (_, text) = hover(&c, FileId(0), at, HostLimits::default()).unwrap();
        assert!(
            text.contains("connections one process serves at once"),
            "{text}"
        );
        assert!(
            text.contains("Effective in `service store`: `4` (<t>:6)"),
            "{text}"
        );
        let at = CONF.find("port").unwrap() as u32;
        let (_, text) = hover(&c, FileId(0), at, HostLimits::default()).unwrap();
        assert!(text.contains("`143`"), "{text}");
        let at = CONF.find("$my_user").unwrap() as u32 + 3;
        let (_, text) = hover(&c, FileId(0), at, HostLimits::default()).unwrap();
        assert_eq!(text, "`$my_user` = `nobody`");
        let at = CONF.find("service store").unwrap() as u32 + 3;
        let host = HostLimits {
            somaxconn: Some(128),
            nofile: None,
            managesieve: None,
            users: None,
        };
        let (_, text) = hover(&c, FileId(0), at, host).unwrap();
        assert!(
            text.contains("client_limit 4 × process_limit 100")
                && text.contains("Listen backlog: 400")
                && text.contains("somaxconn 128"),
            "{text}"
        );
    }

    /// A global setting's hover comes from its catalogue row: Dovecot's
    /// meaning (its stock conf.d), type and default, and in a 2.4 config
    /// the 2.3 name it replaces.
    #[test]
    fn hover_on_a_global_setting_comes_from_its_row() {
        let conf = "default_vsz_limit = 1G\n";
        let c = checked(conf);
        let (_, text) = hover(&c, FileId(0), 2, HostLimits::default()).unwrap();
        assert!(
            text.contains("VSZ") && text.contains("Type: size") && text.contains("`256 M`"),
            "{text}"
        );
        let conf = "dovecot_config_version = 2.4.0\nssl_server_cert_file = /c.pem\n";
        let c = checked(conf);
        let at = conf.find("ssl_server").unwrap() as u32 + 2;
        let (_, text) = hover(&c, FileId(0), at, HostLimits::default()).unwrap();
        assert!(text.contains("Dovecot 2.3 calls it `ssl_cert`"), "{text}");
        assert!(text.contains("In a tailored binary"), "{text}");
    }

    #[test]
    fn completion_knows_the_block_and_the_value_type() {
        let text = "service x {\n  cli";
        let c = completions(text, text.len(), &[]);
        assert!(c.iter().any(|c| c.label == "client_limit"));
        assert!(!c.iter().any(|c| c.label == "mail_location"));
        let text = "service x {\n  inet_listener y {\n    ssl = ";
        let c: Vec<String> = completions(text, text.len(), &[])
            .into_iter()
            .map(|c| c.label)
            .collect();
        assert_eq!(c, ["yes", "no"]);
        let text = "service x {\n  executable = ";
        let c: Vec<String> = completions(text, text.len(), &["kv"])
            .into_iter()
            .map(|c| c.label)
            .collect();
        assert!(
            c.contains(&"echo".to_string()) && c.contains(&"kv".to_string()),
            "{c:?}"
        );
        let text = "service x {\n}\nmail_";
        assert!(completions(text, text.len(), &[])
            .iter()
            .any(|c| c.label == "mail_location"));
    }

    #[test]
    fn definition_of_a_reference_and_symbols() {
        let c = checked(CONF);
        let at = CONF.find("$my_user").unwrap() as u32 + 2;
        let d = definition(&c, FileId(0), at);
        assert_eq!(d.len(), 1);
        assert_eq!(c.doc.sources.text(d[0]), "my_user");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.conf"), "x = 1\n").unwrap();
        std::fs::write(dir.path().join("b.conf"), "y = 2\n").unwrap();
        let top = dir.path().join("top.conf");
        let text = "!include *.conf\n";
        let inc = crate::check_str(top.to_str().unwrap(), text, &crate::Options::default());
        let d = definition(&inc, FileId(0), 12);
        let names: Vec<&str> = d
            .iter()
            .map(|s| inc.doc.sources.get(s.file).name.as_str())
            .collect();
        assert!(
            names.len() == 2 && names[0].ends_with("a.conf") && names[1].ends_with("b.conf"),
            "{names:?}"
        );
        let s = symbols(&c);
        assert_eq!(s[0].name, "service store");
        assert_eq!(s[0].children[0].name, "inet_listener store");
    }

    #[test]
    fn inlay_hints_show_defaults_left_implicit() {
        let c = checked(CONF);
        let hints = inlay_hints(&c, FileId(0));
        assert_eq!(hints.len(), 1);
        assert_eq!(
            hints[0].1,
            "process_limit: 100 (default_process_limit default)"
        );
    }

    #[test]
    fn fixes_set_the_obvious_value() {
        let c = checked(CONF);
        let d = c
            .diagnostics
            .iter()
            .find(|d| d.code == codes::BLOCKING_CLIENT_LIMIT)
            .unwrap();
        let f = fixes(&c, d);
        assert_eq!(f[0].edits.len(), 1);
        assert_eq!(c.doc.sources.text(f[0].edits[0].0), "4");
        assert_eq!(f[0].edits[0].1, "1");
        assert!(f.iter().any(|f| f.title.starts_with("Suppress")));
        let typo = "service x {\n  executable = echo\n  client_limt = 4\n}\n";
        let c = checked(typo);
        let d = c
            .diagnostics
            .iter()
            .find(|d| d.code == codes::UNKNOWN_SETTING)
            .unwrap();
        let f = fixes(&c, d);
        assert!(f.iter().any(|f| f.edits[0].1 == "client_limit"), "{f:?}");
        // A 2.3 name in a 2.4 config: the setting rewritten, value and all
        // (continued lines too), a comment after it kept.
        let old = "dovecot_config_version = 2.4.0\nssl_cert = </etc/c.pem # mine\nservice x {\n  service_count = \\\n    3\n}\n";
        let c = checked(old);
        let rewrites: Vec<(String, String)> = c
            .diagnostics
            .iter()
            .filter(|d| d.code == codes::RENAMED_SETTING)
            .flat_map(|d| fixes(&c, d))
            .filter(|f| f.title.starts_with("Rewrite"))
            .map(|f| {
                (
                    c.doc.sources.text(f.edits[0].0).to_string(),
                    f.edits[0].1.clone(),
                )
            })
            .collect();
        assert_eq!(
            rewrites,
            [
                (
                    "ssl_cert = </etc/c.pem".into(),
                    "ssl_server_cert_file = /etc/c.pem".into()
                ),
                (
                    "service_count = \\\n    3".into(),
                    "restart_request_count = 3".into()
                ),
            ]
        );
    }
}
