//! The language itself: 2.4's `dovecot_config_version` rule, filters
//! nested in Dovecot's order with well-formed networks, 2.4 syntax in a 2.3
//! config, and a misspelt `service` section. These read the syntax tree,
//! not the model.

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
    sections(&doc.items, version, &mut out, &mut budget);
    budget.finish(&mut out);
    out
}

/// 2.4's first rule: `dovecot_config_version` comes before any other
/// setting; 2.3 knows no such setting.
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
            let kind = &sec.kind;
            match (&sec.name, sec.name_span) {
                (None, _) if budget.admit(sec.header) => out.push(
                    Diagnostic::error(codes::INVALID_FILTER, format!("`{kind}` needs an address or network"))
                        .label(sec.header, "no address")
                        .help(format!("write e.g. `{kind} 10.0.0.0/8 {{` (Dovecot fails here with \"gethostbyname() failed\")")),
                ),
                (Some(name), Some(span)) if !name.contains('/') && name.parse::<std::net::IpAddr>().is_err() && !host_name(name) && budget.admit(span) => out.push(
                    Diagnostic::error(codes::INVALID_FILTER, format!("`{name}` is neither an address nor a host name"))
                        .label(span, "not an IP address, network or host name")
                        .help(format!("write an address, a network such as `10.0.0.0/8`, or a host name (Dovecot fails here with \"gethostbyname({name}) failed\")")),
                ),
                _ => {}
            }
            // `local 10.0.0.0/8 { local 10.1.2.3 { } }`: the inner network
            // must lie inside the outer one.
            if let (Some(o), Some(inner)) = (
                outer.filter(|o| o.kind == *kind),
                sec.name.as_deref().and_then(network),
            ) {
                if let Some(outer_net) = o.name.as_deref().and_then(network) {
                    if !inside(inner, outer_net) && budget.admit(sec.header) {
                        out.push(
                            Diagnostic::error(codes::INVALID_FILTER, format!("`{kind} {}` is not inside `{kind} {}`", sec.name.as_deref().unwrap_or(""), o.name.as_deref().unwrap_or("")))
                                .label(sec.header, "this network")
                                .label(o.header, "is not inside this one")
                                .help(format!("a nested `{kind}` narrows the outer one: use an address or network inside it (Dovecot: \"{kind} net1 {{ {kind} net2 {{ .. }} }} requires net2 to be inside net1\")")),
                        );
                    }
                }
            }
            if let (Some(name), Some(span)) = (&sec.name, sec.name_span) {
                if let Some((ip, bits)) = name.split_once('/') {
                    let max = match ip.parse::<std::net::IpAddr>() {
                        Ok(std::net::IpAddr::V4(_)) => Some(32),
                        Ok(std::net::IpAddr::V6(_)) => Some(128),
                        Err(_) => None,
                    };
                    let ok = matches!((bits.parse::<u32>(), max), (Ok(b), Some(m)) if b <= m);
                    if !ok && budget.admit(span) {
                        out.push(
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
        filters(&sec.items, Some(sec), out, budget);
    }
}

/// Top-level sections: 2.4's `group @LABEL NAME {` in a 2.3 config, and
/// a misspelt `service` (any other section is Dovecot's, unchecked).
fn sections(items: &[Item], version: Dovecot, out: &mut Vec<Diagnostic>, budget: &mut FileBudget) {
    for item in items {
        let Item::Section(sec) = item else { continue };
        if sec.kind == "service" {
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
        let d = match catalogue::top_level_section(version, &sec.kind) {
            None if near_service => Diagnostic::error(codes::MISSPELLED_SECTION, format!("`{}` is not `service`: this block is not checked", sec.kind))
                .label(sec.kind_span, "did you mean `service`?")
                .help(format!("write `service NAME {{` (lower case); Dovecot refuses the config ({})", unknown_section_refusal(version, &sec.kind))),
            None => {
                let d = Diagnostic::error(codes::UNKNOWN_SETTING, format!("unknown section `{}`", sec.kind))
                    .label(sec.kind_span, format!("Dovecot {version} has no section of this name"));
                let names = catalogue::listed_sections(version);
                let known = names.iter().copied().chain(catalogue::catalogue(version).scope(Scope::Global).map(|d| d.name));
                let refusal = unknown_section_refusal(version, &sec.kind);
                match (version, sec.kind.as_str(), catalogue::suggest(&sec.kind, known)) {
                    (Dovecot::V24, "plugin", _) => d.help(format!("Dovecot 2.4 has no `plugin {{ }}` section: a plugin's settings are top-level settings now (`svcc migrate` rewrites a 2.3 config); it fails with \"{refusal}\"")),
                    (_, _, Some(m)) => d.help(format!("did you mean `{m}`? Dovecot refuses to start with \"{refusal}\"")),
                    _ => d.help(format!("Dovecot refuses to start with \"{refusal}\"; for a section of a plugin svcc does not know, silence this with `# svcc: disable=unknown-setting`")),
                }
            }
            Some(catalogue::SectionName::Required)
                if version == Dovecot::V24 && sec.name.as_deref().is_none_or(str::is_empty) =>
            {
                Diagnostic::error(codes::MISSING_NAME, format!("`{}` block without a name", sec.kind))
                    .label(sec.header, "name missing")
                    .help(format!("write `{} NAME {{`; Dovecot 2.4 fails with \"{} {{ }} is missing section name\"", sec.kind, sec.kind))
            }
            Some(catalogue::SectionName::Forbidden) if version == Dovecot::V24 && sec.name.is_some() => {
                Diagnostic::error(codes::SYNTAX, format!("a `{}` block takes no name", sec.kind))
                    .label(sec.header, "remove the name")
                    .help(format!("write `{} {{`; Dovecot 2.4 fails with \"{} {{ }} must not have a section name\"", sec.kind, sec.kind))
            }
            _ => continue,
        };
        if budget.admit(sec.kind_span) {
            out.push(d);
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

/// An address (a network of one) or `address/bits`, as (address, bits).
fn network(name: &str) -> Option<(std::net::IpAddr, u32)> {
    let (ip, bits) = match name.split_once('/') {
        Some((ip, bits)) => (ip.parse().ok()?, bits.parse().ok()?),
        None => {
            let ip: std::net::IpAddr = name.parse().ok()?;
            (ip, if ip.is_ipv4() { 32 } else { 128 })
        }
    };
    Some((ip, bits))
}

/// Whether network `a` lies inside network `b` (a /0, or the same family,
/// at least as long a mask, and `b`'s prefix).
fn inside(a: (std::net::IpAddr, u32), b: (std::net::IpAddr, u32)) -> bool {
    use std::net::IpAddr;
    // A /0 holds every address, of either family (as Dovecot's check says).
    if b.1 == 0 {
        return true;
    }
    let (bits, width, x, y) = match (a.0, b.0) {
        (IpAddr::V4(x), IpAddr::V4(y)) => {
            (b.1, 32, u128::from(u32::from(x)), u128::from(u32::from(y)))
        }
        (IpAddr::V6(x), IpAddr::V6(y)) => (b.1, 128, u128::from(x), u128::from(y)),
        _ => return false,
    };
    if a.1 < b.1 || bits > width {
        return false;
    }
    let shift = width - bits;
    shift >= 128 || (x >> shift) == (y >> shift)
}
