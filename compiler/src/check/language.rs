//! The language itself: 2.4's `dovecot_config_version` rule, filters
//! nested in Dovecot's order with well-formed addresses and networks, 2.4
//! syntax in a 2.3 config, top-level sections the version does not take
//! (a misspelt `service` said so) and 2.4's named filters' names. These
//! read the syntax tree, not the model.

use super::codes;
use crate::model::catalogue::{self, Dovecot, Scope};
use crate::report::{Diagnostic, FileBudget};
use crate::syntax::{Document, Item, Section};

/// Every finding about the language of `doc`, read as `version`.
pub fn check(doc: &Document, version: Dovecot) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut budget = FileBudget::default();
    config_version(doc, version, crate::model::version_of(doc), &mut out);
    filters(&doc.items, None, &mut out, &mut budget);
    sections(&doc.items, version, true, &mut out, &mut budget);
    if version == Dovecot::V24 {
        nesting_24(&doc.items, None, &mut out, &mut budget);
        languages_24(&doc.items, &mut out, &mut budget);
    }
    auth_in_network(&doc.items, false, version, &mut out, &mut budget);
    budget.finish(&mut out);
    out
}

/// 2.4's first rule: `dovecot_config_version` comes before any other
/// setting, and `dovecot_storage_version` is set; 2.3 knows no such
/// setting.
fn config_version(doc: &Document, version: Dovecot, own: Dovecot, out: &mut Vec<Diagnostic>) {
    let first = doc.items.iter().find_map(|i| match i {
        Item::Setting(s) => Some(s),
        _ => None,
    });
    let version_setting = doc.items.iter().find_map(|i| match i {
        Item::Setting(s) if s.key == "dovecot_config_version" => Some(s),
        _ => None,
    });
    match version {
        Dovecot::V24 => {
            let ok = first.is_some_and(|s| s.key == "dovecot_config_version");
            if !ok {
                let mut d = Diagnostic::error(
                    codes::CONFIG_VERSION,
                    "The first setting must be dovecot_config_version",
                )
                .help("Dovecot 2.4 refuses any config whose first setting is not `dovecot_config_version = 2.4.0`; add it as the first line (`svcc migrate` converts a 2.3 config)");
                if let Some(s) = version_setting.or(first) {
                    d = d.label(
                        s.key_span,
                        "the first setting must be dovecot_config_version",
                    );
                }
                out.push(d);
            } else if let Some(s) = first {
                let storage = doc
                    .items
                    .iter()
                    .any(|i| matches!(i, Item::Setting(t) if t.key == "dovecot_storage_version" && !t.value.trim().is_empty()));
                if !storage {
                    out.push(
                        Diagnostic::error(codes::CONFIG_VERSION, "dovecot_storage_version setting must be set")
                            .label(s.key_span, "a Dovecot 2.4 config")
                            .help("add `dovecot_storage_version = 2.4.0` after this line: the oldest Dovecot version whose formats the mail storage may be written in; Dovecot 2.4 refuses to start without it"),
                    );
                }
                if Dovecot::parse(&s.value) != Some(Dovecot::V24) {
                    out.push(
                        Diagnostic::error(codes::CONFIG_VERSION, format!("unsupported dovecot_config_version `{}`", s.value))
                            .label(s.value_span, "not a 2.4 version")
                            .help("write `dovecot_config_version = 2.4.0` (Dovecot 2.4: \"Unsupported dovecot_config_version\")"),
                    );
                }
            }
        }
        Dovecot::V23 if own == Dovecot::V24 => {
            if let Some(s) = version_setting {
                out.push(
                    Diagnostic::error(codes::CONFIG_VERSION, "`dovecot_config_version` is a Dovecot 2.4 setting")
                        .label(s.key_span, "Dovecot 2.3 does not know it")
                        .help("this config is written for Dovecot 2.4; check it with `--dovecot 2.4` (Dovecot 2.3 fails with \"Unknown setting: dovecot_config_version\")"),
                );
            }
        }
        Dovecot::V23 => {}
    }
}

/// Filters (`local` ⊃ `local_name`/`remote` ⊃ `protocol`) nest in
/// Dovecot's order; network masks fit the address.
fn filters(
    items: &[Item],
    outer: Option<&Section>,
    out: &mut Vec<Diagnostic>,
    budget: &mut FileBudget,
) {
    let is_filter = catalogue::is_filter;
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
            if let Some(msg) = bad.filter(|_| budget.admit(sec.header)) {
                out.push(
                    Diagnostic::error(codes::INVALID_FILTER, msg)
                        .label(sec.header, "this filter")
                        .label(o.header, "is inside this one")
                        .help("filters nest as local { local_name|remote { protocol { .. } } }; Dovecot refuses any other order"),
                );
            }
        }
        if matches!(sec.kind.as_str(), "local" | "remote") {
            local_remote(sec, outer, out, budget);
        }
        filters(&sec.items, Some(sec), out, budget);
    }
}

/// Top-level sections (and those in a filter, which holds what the top
/// level does): 2.4's `group @LABEL NAME {` in a 2.3 config, a kind the
/// version does not take (a misspelt `service` said so), and a 2.4 named
/// filter without the name it needs or with one it refuses.
fn sections(
    items: &[Item],
    version: Dovecot,
    top: bool,
    out: &mut Vec<Diagnostic>,
    budget: &mut FileBudget,
) {
    for item in items {
        let Item::Section(sec) = item else { continue };
        if sec.kind == "service" {
            continue;
        }
        if catalogue::is_filter(&sec.kind) {
            sections(&sec.items, version, false, out, budget);
        }
        // 2.4 adds a top-level listener to every service: two services then
        // share its path, or its port (an inet listener without one binds
        // nothing).
        let port = sec.items.iter().rev().find_map(|i| match i {
            Item::Setting(s) if s.key == "port" => Some(s.value.trim()),
            _ => None,
        });
        let path = match sec.kind.as_str() {
            "unix_listener" | "fifo_listener" => sec.name.as_deref().filter(|n| !n.is_empty()),
            "inet_listener" => port.filter(|p| !p.trim_start_matches('0').is_empty()),
            _ => None,
        };
        if let Some(path) = path.filter(|_| top && version == Dovecot::V24) {
            if budget.admit(sec.header) {
                out.push(
                    Diagnostic::error(
                        codes::LISTENER_CONFLICT,
                        format!("a top-level `{}` is a listener of every service", sec.kind),
                    )
                    .label(sec.header, "outside any `service` block")
                    .help(format!(
                        "move it into the `service` block it belongs to; Dovecot 2.4 gives it to every service and fails with \"duplicate listener: {}\"",
                        if sec.kind == "inet_listener" {
                            format!("{path}:ADDRESS")
                        } else if path.starts_with('/') {
                            path.to_string()
                        } else {
                            format!("BASE_DIR/{path}")
                        }
                    )),
                );
            }
            continue;
        }
        if version == Dovecot::V23
            && sec.kind == "group"
            && sec
                .name
                .as_deref()
                .is_some_and(|n| n.starts_with('@') && n.contains(' '))
        {
            if budget.admit(sec.header) {
                out.push(
                    Diagnostic::error(codes::CONFIG_VERSION, "`group @LABEL NAME {` is Dovecot 2.4 syntax")
                        .label(sec.header, "Dovecot 2.3 reads one name per section")
                        .help("this config is written for Dovecot 2.4: start it with `dovecot_config_version = 2.4.0` (Dovecot 2.3 fails here with \"Expecting '{'\")"),
                );
            }
            continue;
        }
        let k = sec.kind.to_ascii_lowercase();
        let near_service = k == "service"
            || (k.len() < 64 && k.len() >= 5 && strsim::damerau_levenshtein(&k, "service") <= 2);
        let found = catalogue::top_level_section(version, &sec.kind);
        // (A quoted empty name is a name to 2.4, `namespace "" {`, but no
        // path for a unix or FIFO listener.)
        let path_kind = matches!(sec.kind.as_str(), "unix_listener" | "fifo_listener");
        let nameless = sec
            .name
            .as_deref()
            .is_none_or(|n| path_kind && n.is_empty());
        // 2.3 reads `KEY VALUE {` for a plain setting as the setting, and
        // refuses anything inside it (`protocols imap {` for `protocol`).
        let setting_block = version == Dovecot::V23
            && found.is_some()
            && sec.items.iter().any(|i| matches!(i, Item::Setting(_)))
            && !catalogue::listed_sections(version).contains(&sec.kind.as_str());
        let flagged = setting_block
            || match found {
                None => true,
                Some(catalogue::SectionName::Required) => version == Dovecot::V24 && nameless,
                Some(catalogue::SectionName::Forbidden) => {
                    version == Dovecot::V24 && sec.name.is_some()
                }
                Some(catalogue::SectionName::Either) => false,
            };
        // (Admitted before a "did you mean" is looked for.)
        if !flagged || !budget.admit(sec.kind_span) {
            continue;
        }
        let d = match found {
            Some(_) if setting_block => {
                let first_key = sec.items.iter().find_map(|i| match i {
                    Item::Setting(s) => Some(s.key.as_str()),
                    Item::Section(_) => None,
                });
                let d = Diagnostic::error(
                    codes::UNKNOWN_SETTING,
                    format!("`{}` is a setting, not a section", sec.kind),
                )
                .label(sec.kind_span, "a setting's name opens no block of settings");
                let refusal = format!(
                    "Unknown setting: {} {{ {}",
                    sec.kind,
                    first_key.unwrap_or("")
                );
                match catalogue::suggest(&sec.kind, catalogue::listed_sections(version)) {
                    Some(m) => d.help(format!(
                        "did you mean `{m}`? Dovecot 2.3 refuses what is inside with \"{refusal}\""
                    )),
                    None => d.help(format!(
                        "write `{} = VALUE`; Dovecot 2.3 refuses what is inside with \"{refusal}\"",
                        sec.kind
                    )),
                }
            }
            None if near_service => Diagnostic::error(
                codes::MISSPELLED_SECTION,
                format!("`{}` is not `service`: this block is not checked", sec.kind),
            )
            .label(sec.kind_span, "did you mean `service`?")
            .help(format!(
                "write `service NAME {{` (lower case); Dovecot refuses the config ({})",
                unknown_section_refusal(version, &sec.kind)
            )),
            None => {
                let d = Diagnostic::error(
                    codes::UNKNOWN_SETTING,
                    format!("unknown section `{}`", sec.kind),
                )
                .label(
                    sec.kind_span,
                    format!("Dovecot {version} has no section of this name"),
                );
                let names = catalogue::listed_sections(version);
                let known = names.iter().copied().chain(
                    catalogue::catalogue(version)
                        .scope(Scope::Global)
                        .map(|d| d.name),
                );
                let refusal = unknown_section_refusal(version, &sec.kind);
                match (version, sec.kind.as_str(), catalogue::suggest(&sec.kind, known)) {
                    (Dovecot::V24, "plugin", _) => d.help(format!("Dovecot 2.4 has no `plugin {{ }}` section: a plugin's settings are top-level settings now (`svcc migrate` rewrites a 2.3 config); it fails with \"{refusal}\"")),
                    (_, _, Some(m)) => d.help(format!("did you mean `{m}`? Dovecot refuses to start with \"{refusal}\"")),
                    _ => d.help(format!("Dovecot refuses to start with \"{refusal}\"; for a section of a plugin svcc does not know, silence this with `# svcc: disable=unknown-setting`")),
                }
            }
            Some(catalogue::SectionName::Either) => continue,
            Some(need) => {
                let kind = &sec.kind;
                let required = need == catalogue::SectionName::Required;
                let (code, message, label, write, says) = if required {
                    (
                        codes::MISSING_NAME,
                        format!("`{kind}` block without a name"),
                        "name missing",
                        format!("{kind} NAME {{"),
                        "is missing section name",
                    )
                } else {
                    (
                        codes::SYNTAX,
                        format!("a `{kind}` block takes no name"),
                        "remove the name",
                        format!("{kind} {{"),
                        "must not have a section name",
                    )
                };
                Diagnostic::error(code, message)
                    .label(sec.header, label)
                    .help(format!(
                        "write `{write}`; Dovecot 2.4 fails with \"{kind} {{ }} {says}\""
                    ))
            }
        };
        out.push(d);
    }
}

/// Dovecot 2.4's rules for what may sit inside what: a filter only outside
/// a named filter (`protocol { namespace { } }`, not the other way), no
/// `service` inside a named filter, a listener always named, and one name
/// per `local_name`.
fn nesting_24(
    items: &[Item],
    outer: Option<&Section>,
    out: &mut Vec<Diagnostic>,
    budget: &mut FileBudget,
) {
    let listener = |k: &str| matches!(k, "unix_listener" | "fifo_listener" | "inet_listener");
    for item in items {
        let Item::Section(sec) = item else { continue };
        let kind = sec.kind.as_str();
        // (A service's and a listener's own rules: check/names.rs and
        // the model; filters among themselves: `filters`.)
        // (A named filter, not a string or boolean list: `import_environment
        // { }` holds what it likes.)
        let named_outer = outer.filter(|o| {
            !catalogue::is_filter(&o.kind)
                && o.kind != "service"
                && !listener(&o.kind)
                && catalogue::listed_sections(Dovecot::V24).contains(&o.kind.as_str())
        });
        let finding = match (named_outer, kind) {
            (Some(o), k) if catalogue::is_filter(k) => Some((
                codes::INVALID_FILTER,
                format!("a `{k}` filter inside `{}` is not allowed", o.kind),
                format!("write `{k} {{ {} {{ .. }} }}` instead; Dovecot 2.4 fails with \"{} {{ {k} {{ .. }} }} not allowed (use {k} {{ {} {{ .. }} }} instead)\"", o.kind, o.kind, o.kind),
            )),
            // (Groups hold services: `group @label x { service imap { } }`.)
            (_, "group") if outer.is_some() => Some((
                codes::INVALID_FILTER,
                "a `group` block inside another block is not allowed".to_string(),
                "move the `group @LABEL NAME {` block to the top level; Dovecot 2.4 fails with \"groups must defined at top-level, not under filters\"".to_string(),
            )),
            (Some(o), "service") if o.kind != "group" => Some((
                codes::INVALID_FILTER,
                format!("a `service` block inside `{}` is not allowed", o.kind),
                format!("move the service to the top level; Dovecot 2.4 fails with \"service {{ .. }} not allowed under {} {{ .. }}\"", o.kind),
            )),
            (Some(o), k) if k == o.kind => Some((
                codes::INVALID_FILTER,
                format!("a `{k}` inside `{k}` is not allowed"),
                format!("close the outer `{k}` first; Dovecot 2.4 fails with \"{k} {{ .. }} not allowed under {k} {{ .. }}\""),
            )),
            // (A unix or FIFO listener without a path: check/listeners.rs.)
            (_, k @ "inet_listener")
                if outer.is_some_and(|o| o.kind == "service") && sec.name.is_none() =>
            {
                Some((
                    codes::MISSING_NAME,
                    format!("`{k}` block without a name"),
                    format!("write `{k} NAME {{`; Dovecot 2.4 fails with \"{k} {{ }} is missing section name\""),
                ))
            }
            // A named filter that needs a name, inside another section
            // (the top level's: `sections`).
            // (In a filter: `sections`.)
            (_, k)
                if named_outer.is_some()
                    && sec.name.is_none()
                    && !listener(k)
                    && !catalogue::is_filter(k)
                    && catalogue::top_level_section(Dovecot::V24, k)
                        == Some(catalogue::SectionName::Required) =>
            {
                Some((
                    codes::MISSING_NAME,
                    format!("`{k}` block without a name"),
                    format!("write `{k} NAME {{`; Dovecot 2.4 fails with \"{k} {{ }} is missing section name\""),
                ))
            }
            (_, "local_name") if sec.name.as_deref().is_some_and(|n| n.contains(' ')) => Some((
                codes::INVALID_FILTER,
                "`local_name` with several names".to_string(),
                "write one `local_name NAME {` block per name; Dovecot 2.4 fails with \"Multiple names no longer supported in local_name value\"".to_string(),
            )),
            _ => None,
        };
        if let Some((code, message, help)) = finding {
            if budget.admit(sec.header) {
                out.push(
                    Diagnostic::error(code, message)
                        .label(sec.header, "here")
                        .help(help),
                );
            }
        }
        nesting_24(&sec.items, Some(sec), out, budget);
    }
}

/// 2.4's `language NAME { }` blocks (lang-settings.c): once any is
/// written, exactly one language has `default = yes` (the last value of
/// each language's blocks counts), and never `data`.
fn languages_24(items: &[Item], out: &mut Vec<Diagnostic>, budget: &mut FileBudget) {
    fn collect<'a>(
        items: &'a [Item],
        langs: &mut Vec<(&'a str, &'a Section, Option<&'a crate::syntax::Setting>)>,
    ) {
        for item in items {
            let Item::Section(sec) = item else { continue };
            if sec.kind == "language" {
                let name = sec.name.as_deref().unwrap_or("");
                let default = sec.items.iter().rev().find_map(|i| match i {
                    Item::Setting(s) if s.key == "default" => Some(s),
                    _ => None,
                });
                match langs.iter_mut().find(|(n, _, _)| *n == name) {
                    Some(l) if default.is_some() => l.2 = default,
                    Some(_) => {}
                    None => langs.push((name, sec, default)),
                }
            } else if catalogue::is_filter(&sec.kind) {
                collect(&sec.items, langs);
            }
        }
    }
    let mut langs = Vec::new();
    collect(items, &mut langs);
    let Some(first) = langs.first() else { return };
    let on = |s: &Option<&crate::syntax::Setting>| {
        s.is_some_and(|s| crate::model::value::boolean(&s.value) == Ok(true))
    };
    let defaults: Vec<_> = langs.iter().filter(|l| on(&l.2)).collect();
    let mut push = |span: crate::syntax::Span, d: Diagnostic| {
        if budget.admit(span) {
            out.push(d);
        }
    };
    if let Some((_, _, Some(s))) = defaults.iter().find(|l| l.0 == "data") {
        push(
            s.span(),
            Diagnostic::error(codes::INVALID_VALUE, "`language data` cannot be the default language")
                .label(s.span(), "`data` holds the shared data files, it is no language")
                .help("set `default = yes` in a real language's block (`language en { default = yes }`); Dovecot 2.4 fails with \"language data cannot have { default = yes }\""),
        );
    } else if defaults.is_empty() {
        push(
            first.1.header,
            Diagnostic::error(codes::MISSING_SETTING, "no `language` block has `default = yes`")
                .label(first.1.header, "languages are configured, none is the default")
                .help(format!("add `default = yes` to one language's block (`language {} {{ default = yes }}`); Dovecot 2.4 fails with \"No language with {{ default = yes }} found\"", if first.0.is_empty() { "en" } else { first.0 })),
        );
    } else if let [first_default, second, ..] = defaults.as_slice() {
        if let Some(s) = second.2 {
            push(
                s.span(),
                Diagnostic::error(codes::INVALID_VALUE, format!("`language {}` is a second default language", second.0))
                    .label(s.span(), format!("`language {}` is the default already", first_default.0))
                    .help(format!("keep `default = yes` in one language's block only; Dovecot 2.4 fails with \"Only one language with with {{ default = yes }} is allowed (default is '{}', cannot set '{}' too)\"", first_default.0, second.0)),
            );
        }
    }
}

/// Auth's settings (`auth_*`, `passdb`, `userdb`, ...) inside a `local`,
/// `remote` or `local_name` filter, or a filter in one: Dovecot refuses
/// them ("Auth settings not supported inside local/remote blocks").
fn auth_in_network(
    items: &[Item],
    network: bool,
    version: Dovecot,
    out: &mut Vec<Diagnostic>,
    budget: &mut FileBudget,
) {
    for item in items {
        let (key, span) = match item {
            Item::Section(sec) if catalogue::is_filter(&sec.kind) => {
                let inside =
                    network || matches!(sec.kind.as_str(), "local" | "remote" | "local_name");
                auth_in_network(&sec.items, inside, version, out, budget);
                continue;
            }
            Item::Section(sec) if matches!(sec.kind.as_str(), "passdb" | "userdb") => {
                (sec.kind.as_str(), sec.kind_span)
            }
            Item::Setting(s) if catalogue::auth_setting(version, &s.key) => {
                (s.key.as_str(), s.key_span)
            }
            _ => continue,
        };
        if network && budget.admit(span) {
            out.push(
                Diagnostic::error(codes::INVALID_FILTER, format!("`{key}` inside a `local` or `remote` filter"))
                    .label(span, "an auth setting")
                    .help(format!("set it at the top level or in a `protocol` filter: Dovecot's auth process has no per-address settings and refuses the config (\"Auth settings not supported inside local/remote blocks: {key}\")")),
            );
        }
    }
}

/// What Dovecot says of a top-level section kind it does not know.
fn unknown_section_refusal(version: Dovecot, kind: &str) -> String {
    match version {
        Dovecot::V23 => format!("Unknown setting: {kind} {{ {kind}"),
        Dovecot::V24 => format!("Unknown section name: {kind}"),
    }
}

/// A host name as a resolver takes one: dot-separated labels of letters,
/// digits and `-` (not at a label's ends), 1 to 63 bytes each, at most 253
/// in all (a trailing dot allowed).
fn host_name(name: &str) -> bool {
    let n = name.strip_suffix('.').unwrap_or(name);
    !n.is_empty()
        && n.len() <= 253
        && n.split('.').all(|l| {
            (1..=63).contains(&l.len())
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// A `local` or `remote` filter's name: an address or network (the one
/// rule, `IpNet`: brackets around IPv6 allowed) or a host name, and, nested
/// in one of its own kind, inside that one's network.
fn local_remote(
    sec: &Section,
    outer: Option<&Section>,
    out: &mut Vec<Diagnostic>,
    budget: &mut FileBudget,
) {
    use svcc_facts::IpNet;
    let kind = &sec.kind;
    let (Some(name), Some(span)) = (&sec.name, sec.name_span) else {
        if budget.admit(sec.header) {
            out.push(
                Diagnostic::error(codes::INVALID_FILTER, format!("`{kind}` needs an address or network"))
                    .label(sec.header, "no address")
                    .help(format!("write e.g. `{kind} 10.0.0.0/8 {{` (Dovecot fails here with \"gethostbyname() failed\")")),
            );
        }
        return;
    };
    let net = IpNet::parse(name);
    match &net {
        Err(why) if name.contains('/') && budget.admit(span) => out.push(
            Diagnostic::error(codes::INVALID_FILTER, format!("invalid network `{name}`"))
                .label(span, why.clone())
                .help("write an address and a mask such as `10.0.0.0/8` or `2001:db8::/32` (Dovecot: \"Invalid network mask\")"),
        ),
        Err(_) if !name.contains('/') && !host_name(name) && budget.admit(span) => out.push(
            Diagnostic::error(codes::INVALID_FILTER, format!("`{name}` is neither an address nor a host name"))
                .label(span, "not an IP address, network or host name")
                .help(format!("write an address, a network such as `10.0.0.0/8`, or a host name (Dovecot fails here with \"gethostbyname({name}) failed\")")),
        ),
        _ => {}
    }
    // `local 10.0.0.0/8 { local 10.1.2.3 { } }`: the inner network must lie
    // inside the outer one (a /0 holds any address, of either family).
    let Some(o) = outer.filter(|o| o.kind == *kind) else {
        return;
    };
    let (Ok(inner), Some(Ok(outer_net))) = (net, o.name.as_deref().map(IpNet::parse)) else {
        return;
    };
    let inside =
        outer_net.bits == 0 || (inner.bits >= outer_net.bits && outer_net.contains(inner.addr));
    if !inside && budget.admit(sec.header) {
        out.push(
            Diagnostic::error(codes::INVALID_FILTER, format!("`{kind} {name}` is not inside `{kind} {}`", o.name.as_deref().unwrap_or("")))
                .label(sec.header, "this network")
                .label(o.header, "is not inside this one")
                .help(format!("a nested `{kind}` narrows the outer one: use an address or network inside it (Dovecot: \"{kind} net1 {{ {kind} net2 {{ .. }} }} requires net2 to be inside net1\")")),
        );
    }
}
