//! Settings the tailored binary would not honour (`svcc build` and
//! `svcc::main!` only): nothing a config says may be silently ignored by the
//! binary that runs it.
//!
//! What the runtime does with each setting is a column of the catalogue
//! ([`catalogue::Runtime`], from `data/svcc-settings.tsv`): the global
//! settings it reads are the honoured ones. A top-level setting that another
//! value refers to as `$name` is read through that reference.

use super::codes;
use crate::model::catalogue::{self, Catalogue, Def, Runtime, Scope};
use crate::model::Model;
use crate::report::Diagnostic;
use crate::syntax::{Document, Item, Section, Setting};
use std::collections::HashSet;

/// Every refusal in the document for the services `model` runs.
pub fn check(doc: &Document, model: &Model) -> Vec<Diagnostic> {
    let runnable: HashSet<&str> = crate::codegen::runnable(model)
        .map(|s| s.name.as_str())
        .collect();
    let mut referenced = HashSet::new();
    references(&doc.items, &mut referenced);
    let mut out = Vec::new();
    let cat = catalogue::catalogue(model.version);
    // Names the config's Dovecot does not know are reported as such once
    // (check/names.rs), not refused again here.
    let unknown: HashSet<_> = model.unread.iter().map(|u| u.key_span).collect();
    for item in &doc.items {
        match item {
            Item::Setting(s) => {
                let honoured = def_of(cat, Scope::Global, &s.key)
                    .is_some_and(|d| matches!(d.runtime, Runtime::Honoured | Runtime::Language))
                    || referenced.contains(s.key.as_str());
                if !honoured && !unknown.contains(&s.key_span) {
                    out.push(global(s, cat));
                }
            }
            Item::Section(sec) if sec.kind == "service" => {
                if sec.name.as_deref().is_some_and(|n| runnable.contains(n)) {
                    block(sec, cat, Scope::Service, &mut out);
                    for item in &sec.items {
                        if let Item::Section(l) = item {
                            match Scope::parse(&l.kind) {
                                Some(scope)
                                    if scope != Scope::Global && scope != Scope::Service =>
                                {
                                    block(l, cat, scope, &mut out)
                                }
                                _ => {} // reported by the model
                            }
                        }
                    }
                }
            }
            Item::Section(sec) if matches!(sec.kind.as_str(), "local_name" | "local") => {
                tls_filter(sec, &mut out)
            }
            Item::Section(sec) => out.push(section(sec)),
        }
    }
    tls(model, &mut out);
    out
}

/// `local_name`/`local` blocks: their `ssl_cert`/`ssl_key` choose a
/// certificate; anything else in them is Dovecot's per-filter override.
fn tls_filter(sec: &Section, out: &mut Vec<Diagnostic>) {
    for item in &sec.items {
        match item {
            Item::Setting(s) if catalogue::HONOURED_IN_TLS_FILTERS.contains(&model_name(&s.key)) => {}
            Item::Setting(s) => out.push(
                Diagnostic::error(
                    codes::UNSUPPORTED_SETTING,
                    format!(
                        "`{}` in `{} {}` has no effect in a tailored svcc binary",
                        s.key,
                        sec.kind,
                        sec.name.as_deref().unwrap_or("")
                    ),
                )
                .label(s.span(), "only ssl_cert and ssl_key are read here")
                .help(format!(
                    "svcc honours `ssl_cert` and `ssl_key` in `{}` blocks (the certificate chosen by {}); remove `{}` from the config you build, or keep it in a file only Dovecot includes",
                    sec.kind,
                    if sec.kind == "local_name" { "SNI" } else { "the local address" },
                    s.key
                )),
            ),
            Item::Section(inner) => out.push(section(inner)),
        }
    }
}

/// What rustls cannot do with the TLS settings: refusals (inline PEM
/// values, protocols below TLS 1.2) and warnings (ignored cipher-list parts,
/// `ssl_dh`).
fn tls(model: &Model, out: &mut Vec<Diagnostic>) {
    use crate::model::tls::{self as t, FileRef};
    let m = &model.tls;
    let mut files: Vec<(&str, &FileRef)> = Vec::new();
    for (k, f) in [
        ("ssl_cert", &m.global.cert),
        ("ssl_key", &m.global.key),
        ("ssl_ca", &m.ca),
    ] {
        if let Some(f) = f {
            files.push((k, f));
        }
    }
    for f in m.names.iter().chain(m.locals.iter()) {
        for (k, r) in [("ssl_cert", &f.pair.cert), ("ssl_key", &f.pair.key)] {
            if let Some(r) = r {
                files.push((k, r));
            }
        }
    }
    for (key, f) in files {
        if f.is_file {
            continue;
        }
        if let Some(span) = f.origin.span() {
            out.push(
                Diagnostic::error(
                    codes::UNSUPPORTED_SETTING,
                    format!("`{key}` holds the PEM text itself; svcc reads it from a file"),
                )
                .label(span, "not a `<path` file reference")
                .help(format!("write `{key} = </path/to/file.pem`: the tailored binary reads certificates and keys at start-up and on SIGHUP (so renewals need no rebuild) and never embeds them in the binary")),
            );
        }
    }
    if let (Err(why), Some(span)) = (
        t::min_protocol(&m.min_protocol.value),
        m.min_protocol.origin.span(),
    ) {
        let msg = match why {
            t::MinProtocolError::TooOld => format!(
                "`ssl_min_protocol = {}`: rustls does not offer TLS versions below 1.2",
                m.min_protocol.value
            ),
            t::MinProtocolError::Unknown => {
                format!(
                    "`ssl_min_protocol = {}` is not a TLS version",
                    m.min_protocol.value
                )
            }
        };
        out.push(
            Diagnostic::error(codes::UNSUPPORTED_SETTING, msg)
                .label(span, "svcc cannot honour this")
                .help("write `ssl_min_protocol = TLSv1.2` (or TLSv1.3); SSLv3, TLS 1.0 and 1.1 are deprecated (RFC 8996) and not implemented by rustls"),
        );
    }
    let lists = [
        (
            "ssl_cipher_list",
            &m.cipher_list,
            t::map_cipher_list as fn(&str) -> t::Mapped,
            "TLS 1.2 ciphers",
        ),
        (
            "ssl_cipher_suites",
            &m.cipher_suites,
            t::map_cipher_suites,
            "TLS 1.3 suites",
        ),
        (
            "ssl_curve_list",
            &m.curve_list,
            t::map_curve_list,
            "key-exchange groups",
        ),
    ];
    for (key, v, map, what) in lists {
        let mapped = map(&v.value);
        let Some(span) = v.origin.span() else {
            continue;
        };
        if mapped.ignored.is_empty() {
            continue;
        }
        let kept = if mapped.names.is_empty() {
            format!("rustls's default {what} are used")
        } else {
            format!("svcc offers {}", mapped.names.join(", "))
        };
        out.push(
            Diagnostic::warning(
                codes::SSL_IGNORED,
                format!("`{key}`: svcc ignores {}", mapped.ignored.join(":")),
            )
            .label(span, kept)
            .help(format!("rustls offers only ECDHE with AES-GCM or ChaCha20-Poly1305 and does not evaluate OpenSSL's selector syntax (ALL, HIGH, !aNULL, @STRENGTH); name {what} rustls has, or remove `{key}` to use rustls's defaults")),
        );
    }
    if let Some(span) = m.options.origin.span() {
        let other: Vec<&str> = m
            .options
            .value
            .split([' ', ','])
            .filter(|o| !o.is_empty() && *o != "no_ticket")
            .collect();
        if !other.is_empty() {
            out.push(
                Diagnostic::warning(
                    codes::SSL_IGNORED,
                    format!("`ssl_options`: svcc ignores {}", other.join(" ")),
                )
                .label(span, "svcc honours only no_ticket")
                .help("rustls never compresses (`compression`) and has no other OpenSSL option to switch; remove them from the config you build"),
            );
        }
    }
    if let Some(dh) = model.globals.all.get("ssl_dh") {
        if let Some(span) = dh.origin.span() {
            out.push(
                Diagnostic::warning(codes::SSL_IGNORED, "`ssl_dh` is accepted and not needed")
                    .label(span, "not read by svcc")
                    .help("rustls offers only ECDHE key exchange, so there are no DH parameters to load; keep the line for Dovecot or remove it"),
            );
        }
    }
}

/// Names referred to as `$name` in values Dovecot expands
/// ([`Setting::expands`]).
fn references<'a>(items: &'a [Item], out: &mut HashSet<&'a str>) {
    for item in items {
        match item {
            Item::Setting(s) if s.expands() => {
                let mut rest = s.value.as_str();
                while let Some(i) = rest.find('$') {
                    rest = &rest[i + 1..];
                    let end = rest
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .unwrap_or(rest.len());
                    if end > 0 {
                        out.insert(&rest[..end]);
                    }
                    rest = &rest[end..];
                }
            }
            Item::Setting(_) => {}
            Item::Section(sec) => references(&sec.items, out),
        }
    }
}

/// The 2.3 name svcc's tables use for a global of either version.
fn model_name(key: &str) -> &str {
    catalogue::renamed(Scope::Global, key).map_or(key, |r| r.old)
}

/// A setting as written, in either version's spelling (the other
/// version's name is reported by the model and still applied).
fn def_of<'c>(cat: &'c Catalogue, scope: Scope, key: &str) -> Option<&'c Def> {
    cat.get(scope, key).or_else(|| {
        let old = catalogue::renamed(scope, key)?.old;
        cat.by_model_name(scope, old)
    })
}

fn honoured_globals(cat: &Catalogue) -> String {
    cat.scope(Scope::Global)
        .filter(|d| d.runtime == Runtime::Honoured)
        .map(|d| d.name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn global(s: &Setting, cat: &Catalogue) -> Diagnostic {
    if s.key.starts_with("ssl") {
        let why = match model_name(&s.key) {
            "ssl_client_ca_dir" | "ssl_client_ca_file" | "ssl_client_cert" | "ssl_client_key" => "it configures Dovecot's outgoing TLS connections (to proxies, LDAP, SQL), which svcc's runtime does not make; remove it from the config you build",
            "ssl_alt_cert" | "ssl_alt_key" => "svcc serves one certificate per name (ECDSA P-256 is fastest and supported by every current client); remove it from the config you build",
            _ => "svcc's rustls-based TLS has no equivalent; remove it from the config you build, or keep it in a file only Dovecot includes",
        };
        return Diagnostic::error(
            codes::UNSUPPORTED_SETTING,
            format!("`{}` has no effect in a tailored svcc binary", s.key),
        )
        .label(s.span(), "svcc's TLS does not read this")
        .help(why);
    }
    Diagnostic::error(
        codes::UNSUPPORTED_SETTING,
        format!("`{}` has no effect in a tailored svcc binary", s.key),
    )
    .label(s.span(), "no service of the binary reads this")
    .help(format!(
        "svcc's runtime reads only these global settings: {} (and any setting another value refers to as `$name`); remove `{}` from the config you build, or keep it in a separate file that only Dovecot includes",
        honoured_globals(cat),
        s.key
    ))
}

fn section(sec: &Section) -> Diagnostic {
    let what = match &sec.name {
        Some(n) => format!("`{} {n}`", sec.kind),
        None => format!("`{}`", sec.kind),
    };
    let why = match sec.kind.as_str() {
        "protocol" | "local" | "local_name" | "remote" => {
            "its settings are Dovecot's per-protocol or per-address overrides"
        }
        _ => "its settings belong to Dovecot's mail, auth or plugin processes",
    };
    Diagnostic::error(
        codes::UNSUPPORTED_SETTING,
        format!("the section {what} has no effect in a tailored svcc binary"),
    )
    .label(sec.header, "nothing in the binary reads this section")
    .help(format!(
        "{why}, which svcc's runtime does not run; remove the section from the config you build, or keep it in a separate file that only Dovecot includes"
    ))
}

/// Refusals among the settings of one service or listener block.
fn block(sec: &Section, cat: &Catalogue, scope: Scope, out: &mut Vec<Diagnostic>) {
    for item in &sec.items {
        let Item::Setting(s) = item else { continue };
        let Some(def) = def_of(cat, scope, &s.key) else {
            continue; // an unknown setting: the model reports it
        };
        let value = s.value.trim();
        let place = format!("{} `{}`", sec.kind, sec.name.as_deref().unwrap_or(""));
        match def.runtime {
            // (Every block setting has its treatment in svcc-settings.tsv:
            // a catalogue test.)
            Runtime::Honoured | Runtime::Language | Runtime::Ignored => {}
            Runtime::FromHeader => {
                if Some(value) != sec.name.as_deref() {
                    out.push(
                        Diagnostic::error(
                            codes::UNSUPPORTED_SETTING,
                            format!(
                                "`{} = {value}` in {place}: svcc takes the {} from the block's header",
                                s.key, s.key
                            ),
                        )
                        .label(s.span(), "differs from the header")
                        .label(sec.header, "the header")
                        .help(format!(
                            "remove this line, or rename the block itself (`{} {value} {{`)",
                            sec.kind
                        )),
                    );
                }
            }
            Runtime::Refused { off } => {
                if !value.eq_ignore_ascii_case(off) {
                    let mut d = Diagnostic::error(
                        codes::UNSUPPORTED_SETTING,
                        format!(
                            "`{} = {value}` in {place} would be ignored by svcc's runtime",
                            s.key
                        ),
                    )
                    .label(s.span(), "svcc cannot honour this");
                    d = d.help(def.tailored);
                    out.push(d);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::catalogue::{self, Dovecot, Kind, Runtime, Scope};
    use quote::quote;

    /// A service the probes change one setting of.
    /// Each block ends in a comment the probes put their setting before.
    const BASE: &str = "protocols = imap\nservice t {\n  protocol = imap\n  executable = echo\n  inet_listener t {\n    port = 7000\n    # inet\n  }\n  unix_listener t.sock {\n    # unix\n  }\n  # service\n}\n";

    /// What reaches the runtime: the generated specs (or errors), without
    /// the embedded config text and its hash.
    fn runtime_part(conf: &str) -> (String, Vec<String>) {
        let plain = crate::check_str("<test>", conf, &crate::Options::default());
        let quiet = plain
            .diagnostics
            .iter()
            .all(|d| d.code != super::codes::UNSUPPORTED_SETTING);
        assert!(quiet, "svcc check must stay quiet about:\n{conf}");
        let opts = crate::Options {
            for_build: true,
            ..Default::default()
        };
        let checked = crate::check_str("<test>", conf, &opts);
        let refusals = checked
            .diagnostics
            .iter()
            .filter(|d| d.code == super::codes::UNSUPPORTED_SETTING)
            .map(|d| d.message.clone())
            .collect();
        let out = crate::codegen::generate(&crate::codegen::Input {
            checked: &checked,
            handlers: &[],
            krate: quote!(::svcc),
        })
        .to_string();
        // The specs, without the config's text and hash (they change with
        // every setting): the services, then the TLS spec and what follows.
        let out = match (
            out.find("static SERVICES"),
            out.find("config_text"),
            out.find("tls :"),
        ) {
            (Some(a), Some(b), Some(c)) => format!("{}{}", &out[a..b], &out[c..]),
            _ => out,
        };
        (out, refusals)
    }

    fn sample(kind: Kind) -> &'static str {
        match kind {
            Kind::Text | Kind::Section | Kind::StrList | Kind::BoolList => "nobody",
            Kind::Uint => "3",
            Kind::Size => "64M",
            Kind::Time | Kind::Msecs => "7 secs",
            Kind::Bool => "yes",
            Kind::Mode => "0640",
            Kind::Port => "7001",
            Kind::Enum(_) => kind.values().last().unwrap_or_default(),
            Kind::Words { .. } => kind.values().next().unwrap_or_default(),
            Kind::EventFilter => "event=x",
        }
    }

    /// Sets `key = value` last in the block that ends in `# {block}`.
    fn probe(block: &str, key: &str, value: &str) -> String {
        let end = format!("# {block}\n");
        BASE.replacen(&end, &format!("{key} = {value}\n{end}"), 1)
    }

    fn honoured_or_refused(conf: &str, key: &str, base: &str) {
        let (out, refusals) = runtime_part(conf);
        let refused = refusals.iter().any(|m| m.contains(&format!("`{key}")));
        // A TLS setting rustls has no use for is reported as ignored.
        let warned = {
            let checked = crate::check_str(
                "<test>",
                conf,
                &crate::Options {
                    for_build: true,
                    ..Default::default()
                },
            );
            checked.diagnostics.iter().any(|d| {
                d.code == super::codes::SSL_IGNORED && d.message.contains(&format!("`{key}`"))
            })
        };
        assert!(
            refused || warned || out != base,
            "`{key}` is neither honoured (the generated specs are unchanged) nor refused:\n{conf}"
        );
    }

    /// Every row of both versions' catalogues: a value of its type changes
    /// what the runtime gets, or `svcc build` refuses it; so a row whose
    /// type the model does not read as its field would fail here.
    #[test]
    fn every_catalogue_setting_reaches_the_runtime_or_is_refused() {
        let (base, refusals) = runtime_part(BASE);
        assert!(refusals.is_empty(), "{refusals:?}");
        let v24 = "dovecot_config_version = 2.4.0\ndovecot_storage_version = 2.4.0\n";
        let (base24, refusals) = runtime_part(&format!("{v24}{BASE}"));
        assert!(refusals.is_empty(), "{refusals:?}");
        for (version, prefix, base) in [(Dovecot::V23, "", &base), (Dovecot::V24, v24, &base24)] {
            let cat = catalogue::catalogue(version);
            let blocks = [
                ("service", Scope::Service),
                ("inet", Scope::InetListener),
                ("unix", Scope::UnixListener),
            ];
            for (anchor, scope) in blocks {
                for def in cat.scope(scope) {
                    let conf = format!("{prefix}{}", probe(anchor, def.name, sample(def.kind)));
                    honoured_or_refused(&conf, def.name, base);
                    // The value that asks for nothing is never refused.
                    if let Runtime::Refused { off, .. } = def.runtime {
                        let conf = format!("{prefix}{}", probe(anchor, def.name, off));
                        let (_, refusals) = runtime_part(&conf);
                        assert!(refusals.is_empty(), "`{} = {off}`: {refusals:?}", def.name);
                    }
                }
            }
        }
        for name in catalogue::dovecot_setting_names() {
            let value = match name {
                "protocols" => "pop3",
                "listen" => "127.0.0.9",
                "default_process_limit" | "default_client_limit" => "7",
                "default_idle_kill" => "7 secs",
                "default_vsz_limit" => "64M",
                "haproxy_trusted_networks" => "10.0.0.0/8",
                _ => "/x",
            };
            let conf = format!("{BASE}{name} = {value}\n");
            honoured_or_refused(&conf, name, &base);
        }
    }

    /// Each 2.4 spelling builds exactly what its 2.3 spelling builds.
    #[test]
    fn every_24_spelling_reaches_the_runtime_as_its_23_name() {
        let v24 = "dovecot_config_version = 2.4.0\ndovecot_storage_version = 2.4.0\n";
        let base24 = format!("{v24}{BASE}");
        let (base, refusals) = runtime_part(&base24);
        assert!(refusals.is_empty(), "{refusals:?}");
        assert_eq!(
            base,
            runtime_part(BASE).0,
            "the version alone changes nothing"
        );
        // With a TLS listener and a certificate, so the TLS settings reach
        // the specs; the 2.3 config padded to the 2.4 one's line numbers.
        let tls = |conf: &str| {
            let conf = conf.replace("port = 7000\n", "port = 7000\n    ssl = yes\n");
            match conf.strip_prefix(v24) {
                Some(rest) => format!(
                    "{v24}ssl_server_cert_file = /c.pem\nssl_server_key_file = /c.key\nssl_server_ca_file = /ca.pem\n{rest}"
                ),
                None => {
                    format!("#\n#\nssl_cert = </c.pem\nssl_key = </c.key\nssl_ca = </ca.pem\n{conf}")
                }
            }
        };
        for r in catalogue::renames() {
            let value = match r.new {
                "default_idle_kill_interval" | "idle_kill_interval" => "7 secs",
                "restart_request_count" => "3",
                "listen" => "127.0.0.9",
                "ssl_server_request_client_cert" => "yes",
                _ => "/x",
            };
            let old_value = crate::model::rename_value(r, Dovecot::V23, value);
            let (conf23, conf24) = match r.scope {
                catalogue::Scope::Global => (
                    format!("{BASE}{} = {old_value}\n", r.old),
                    format!("{base24}{} = {value}\n", r.new),
                ),
                catalogue::Scope::Service => (
                    probe("service", r.old, &old_value),
                    format!("{v24}{}", probe("service", r.new, value)),
                ),
                catalogue::Scope::InetListener => (
                    probe("inet", r.old, &old_value),
                    format!("{v24}{}", probe("inet", r.new, value)),
                ),
                catalogue::Scope::UnixListener | catalogue::Scope::FifoListener => (
                    probe("unix", r.old, &old_value),
                    format!("{v24}{}", probe("unix", r.new, value)),
                ),
                other => panic!("no rename in {}", other.keyword()),
            };
            let (out23, refused23) = runtime_part(&tls(&conf23));
            let (out24, refused24) = runtime_part(&tls(&conf24));
            if refused23.is_empty() {
                assert!(refused24.is_empty(), "{refused24:?}");
                assert_eq!(out23, out24, "`{}` vs `{}`", r.old, r.new);
            } else {
                // Refused alike, each naming the setting as written.
                let renamed: Vec<String> =
                    refused24.iter().map(|m| m.replace(r.new, r.old)).collect();
                assert_eq!(refused23, renamed);
            }
        }
        // A changed value: 2.4's `server` is 2.3's `yes`.
        let conf23 = format!("#\n#\n{BASE}ssl_prefer_server_ciphers = yes\n");
        let conf24 = format!("{base24}ssl_server_prefer_ciphers = server\n");
        assert_eq!(runtime_part(&tls(&conf23)), runtime_part(&tls(&conf24)));
    }

    #[test]
    fn reuse_port_is_refused_and_haproxy_and_ssl_are_honoured() {
        let (_, refusals) = runtime_part(&probe("inet", "reuse_port", "yes"));
        assert_eq!(refusals.len(), 1, "{refusals:?}");
        assert!(refusals[0].contains("`reuse_port = yes`"), "{refusals:?}");
        let (out, refusals) = runtime_part(&probe("inet", "haproxy", "yes"));
        assert!(refusals.is_empty(), "{refusals:?}");
        assert!(out.contains("haproxy : true"), "{out}");
        // `ssl = yes` reaches the runtime (its TLS spec) and is not refused.
        let conf = probe("inet", "ssl", "yes").replace(
            "protocols = imap\n",
            "protocols = imap\nssl_cert = </c.pem\nssl_key = </c.key\n",
        );
        let (out, refusals) = runtime_part(&conf);
        assert!(refusals.is_empty(), "{refusals:?}");
        assert!(out.contains("ssl : true"), "{out}");
    }

    #[test]
    fn a_global_read_through_a_reference_is_honoured() {
        let conf = BASE.replace(
            "executable = echo",
            "executable = echo\n  user = $my_user",
        ) + "my_user = nobody\nmail_location = maildir:~/Maildir\nnamespace inbox {\n  inbox = yes\n}\n";
        let (_, refusals) = runtime_part(&conf);
        assert_eq!(refusals.len(), 2, "{refusals:?}");
        assert!(refusals[0].contains("`mail_location`"), "{refusals:?}");
        assert!(refusals[1].contains("`namespace inbox`"), "{refusals:?}");
    }
}
