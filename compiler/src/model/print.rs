//! The effective service settings as Dovecot-style text, each value
//! annotated with where it came from (`svcc config`, and `--print-config` of
//! a tailored binary).

use super::{Globals, Listener, ListenerKind, Model, Origin, Service, Val, Value};
use crate::syntax::SourceMap;
use std::fmt::Write;

fn origin(map: &SourceMap, o: &Origin, default_what: &str) -> String {
    match o {
        Origin::Config { key, .. } => {
            let f = map.get(key.file);
            format!("{}:{}", f.name, f.line_col(key.start).line)
        }
        Origin::Builtin => "default (Dovecot's built-in service)".into(),
        Origin::Default => format!("default{default_what}"),
    }
}

/// One effective setting of a service (or of one of its listeners).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effective {
    /// The listener (`unix_listener NAME`, ...) it belongs to, if any.
    pub listener: Option<String>,
    /// The setting.
    pub key: String,
    /// Its effective value as `svcc config` shows it.
    pub shown: String,
    /// Where it came from: `FILE:LINE`, or which default.
    pub origin: String,
}

struct W<'a> {
    /// The global `ssl = no`.
    ssl_off: bool,
    out: String,
    map: &'a SourceMap,
    entries: Vec<Effective>,
    listener: Option<String>,
    /// Names and values are spelled as this version spells them.
    version: super::catalogue::Dovecot,
}

impl W<'_> {
    fn line<T>(&mut self, indent: usize, key: &str, v: &Val<T>, shown: String, what: &str) {
        let left = format!("{:indent$}{key} = {shown}", "", indent = indent);
        let origin = origin(self.map, &v.origin, what);
        let _ = writeln!(self.out, "{left:<44} # {origin}");
        self.entries.push(Effective {
            listener: self.listener.clone(),
            key: key.to_string(),
            shown,
            origin,
        });
    }
}

/// The effective settings of one service and its listeners, each with its
/// origin: what `svcc config` prints for it (and an editor's hover shows).
pub fn effective(model: &Model, map: &SourceMap, svc: &Service) -> Vec<Effective> {
    let mut w = W {
        ssl_off: model.tls.ssl.value == super::tls::SslMode::No,
        out: String::new(),
        map,
        entries: Vec::new(),
        listener: None,
        version: model.version,
    };
    service(&mut w, svc, &model.globals);
    w.entries
}

/// Renders the effective settings of the config's services.
pub fn render(model: &Model, map: &SourceMap) -> String {
    let g = &model.globals;
    let mut w = W {
        ssl_off: model.tls.ssl.value == super::tls::SslMode::No,
        out: String::new(),
        map,
        entries: Vec::new(),
        listener: None,
        version: model.version,
    };
    let _ = writeln!(
        w.out,
        "# svcc: effective service settings, defaults resolved (Dovecot {})",
        model.version
    );
    w.line(0, "base_dir", &g.base_dir, g.base_dir.value.clone(), "");
    w.line(
        0,
        "protocols",
        &g.protocols,
        g.protocols.value.join(" "),
        "",
    );
    w.line(0, "listen", &g.listen, g.listen.value.clone(), "");
    tls(&mut w, &model.tls);
    for svc in &model.services {
        service(&mut w, svc, g);
    }
    w.out
}

fn service(w: &mut W<'_>, svc: &Service, g: &Globals) {
    let at = svc
        .header
        .map(|h| {
            let f = w.map.get(h.file);
            format!("{}:{}", f.name, f.line_col(h.start).line)
        })
        .unwrap_or_default();
    let _ = writeln!(w.out, "{:<44} # {at}", format!("service {} {{", svc.name));
    w.line(
        2,
        "executable",
        &svc.executable,
        svc.executable.value.clone(),
        "",
    );
    if !svc.protocol.value.is_empty() {
        w.line(2, "protocol", &svc.protocol, svc.protocol.value.clone(), "");
    }
    if !svc.kind.value.is_empty() {
        w.line(2, "type", &svc.kind, svc.kind.value.clone(), "");
    }
    for (k, v) in [
        ("user", &svc.user),
        ("group", &svc.group),
        ("chroot", &svc.chroot),
    ] {
        if !v.value.is_empty() {
            w.line(2, k, v, v.value.clone(), "");
        }
    }
    w.line(2, "blocking", &svc.blocking, yes_no(svc.blocking.value), "");
    let pl = svc.eff_process_limit(g);
    w.line(
        2,
        "process_limit",
        &pl,
        pl.value.to_string(),
        " (default_process_limit)",
    );
    let cl = svc.configured_client_limit(g);
    let eff = svc.eff_client_limit(g);
    let capped = if eff != cl.value {
        format!(
            "{eff} (capped by {}; set {})",
            w.version.spell("service_count"),
            cl.value
        )
    } else {
        eff.to_string()
    };
    w.line(2, "client_limit", &cl, capped, " (default_client_limit)");
    let count = match (svc.service_count.value, w.version) {
        (0, super::catalogue::Dovecot::V24) => "unlimited".to_string(),
        (n, _) => n.to_string(),
    };
    let name = w.version.spell("service_count");
    w.line(2, name, &svc.service_count, count, "");
    w.line(
        2,
        "process_min_avail",
        &svc.process_min_avail,
        svc.process_min_avail.value.to_string(),
        "",
    );
    let idle = match svc.eff_idle_kill(g) {
        Some(ms) => format!("{} secs", ms / 1000),
        None => "never".into(),
    };
    let idle_v = if svc.idle_kill.value == 0 {
        &g.default_idle_kill
    } else {
        &svc.idle_kill
    };
    let (name, default) = (
        w.version.spell("idle_kill"),
        format!(" ({})", w.version.spell("default_idle_kill")),
    );
    w.line(2, name, idle_v, idle, &default);
    let vsz = svc.eff_vsz_limit(g);
    let vsz_v = match svc.vsz_limit.value {
        Some(_) => Val {
            value: vsz,
            origin: svc.vsz_limit.origin,
        },
        None => g.default_vsz_limit.clone(),
    };
    w.line(2, "vsz_limit", &vsz_v, size(vsz), " (default_vsz_limit)");
    let t = &svc.timeouts;
    for (key, v, kind) in [
        (
            "client_idle_timeout",
            &t.client_idle,
            Value::Time as fn(u64) -> Value,
        ),
        ("client_request_timeout", &t.client_request, Value::Time),
        ("linger_read_timeout", &t.linger_read, Value::Time),
        ("linger_timeout", &t.linger, Value::Time),
        ("linger_max_bytes", &t.linger_max_bytes, Value::Size),
    ] {
        if let Some(x) = v.value {
            w.line(2, key, v, shown(&kind(x)), "");
        }
    }
    if svc.drop_priv_before_exec.value {
        let v = &svc.drop_priv_before_exec;
        w.line(2, "drop_priv_before_exec", v, yes_no(true), "");
    }
    others(w, 2, &svc.other);
    if let Some(h) = svc.settings.header {
        settings(w, &svc.settings.entries, h, 2, "settings");
    }
    for l in &svc.listeners {
        listener(w, l);
    }
    let _ = writeln!(w.out, "}}");
}

/// A `settings { }` section (the handler's own, shown as written).
fn settings(
    w: &mut W<'_>,
    entries: &[super::SettingsEntry],
    at: crate::syntax::Span,
    indent: usize,
    kind: &str,
) {
    let place = |w: &W<'_>, s: crate::syntax::Span| {
        let f = w.map.get(s.file);
        format!("{}:{}", f.name, f.line_col(s.start).line)
    };
    let _ = writeln!(
        w.out,
        "{:<44} # {}",
        format!("{:indent$}{kind} {{", ""),
        place(w, at)
    );
    for e in entries {
        match &e.value {
            super::SettingsValue::Text(v, _) => {
                let left = format!("{:indent$}  {} = {v}", "", e.key);
                let _ = writeln!(w.out, "{left:<44} # {}", place(w, e.key_span));
            }
            super::SettingsValue::Section(sub) => {
                settings(w, sub, e.key_span, indent + 2, &e.key);
            }
        }
    }
    let _ = writeln!(w.out, "{:indent$}}}", "");
}

fn listener(w: &mut W<'_>, l: &Listener) {
    let at = l
        .header
        .map(|h| {
            let f = w.map.get(h.file);
            format!("{}:{}", f.name, f.line_col(h.start).line)
        })
        .unwrap_or_else(|| "default".into());
    let _ = writeln!(
        w.out,
        "{:<44} # {at}",
        format!("  {} {} {{", l.kind.keyword(), l.name)
    );
    w.listener = Some(format!("{} {}", l.kind.keyword(), l.name));
    match l.kind {
        ListenerKind::Inet => {
            if !l.address.value.is_empty() {
                let name = w.version.spell("address");
                w.line(4, name, &l.address, l.address.value.clone(), "");
            }
            w.line(4, "port", &l.port, l.port.value.to_string(), "");
            if l.ssl.value {
                let shown = if w.ssl_off {
                    "yes (not listening: the global ssl = no)".to_string()
                } else {
                    "yes".to_string()
                };
                w.line(4, "ssl", &l.ssl, shown, "");
            }
            for (k, v) in [("reuse_port", &l.reuse_port), ("haproxy", &l.haproxy)] {
                if v.value {
                    w.line(4, k, v, yes_no(true), "");
                }
            }
        }
        _ => {
            w.line(4, "mode", &l.mode, shown(&Value::Mode(l.mode.value)), "");
            for (k, v) in [("user", &l.user), ("group", &l.group)] {
                if !v.value.is_empty() {
                    w.line(4, k, v, v.value.clone(), "");
                }
            }
        }
    }
    others(w, 4, &l.other);
    let _ = writeln!(w.out, "  }}");
    w.listener = None;
}

/// The TLS settings: mode, files (paths only: contents are read at
/// start-up), protocol and cipher choices, per-name and per-address
/// certificates.
fn tls(w: &mut W<'_>, t: &super::tls::Tls) {
    use super::tls::FileRef;
    let v24 = w.version == super::catalogue::Dovecot::V24;
    let file = |f: &FileRef| {
        if f.is_file && v24 {
            f.path.clone()
        } else if f.is_file {
            format!("<{}", f.path)
        } else {
            "(PEM text in the config)".to_string()
        }
    };
    w.line(0, "ssl", &t.ssl, t.ssl.value.as_str().into(), "");
    for (k, f) in [
        ("ssl_cert", &t.global.cert),
        ("ssl_key", &t.global.key),
        ("ssl_ca", &t.ca),
    ] {
        if let Some(f) = f {
            let v = Val {
                value: (),
                origin: f.origin,
            };
            w.line(0, w.version.spell(k), &v, file(f), "");
        }
    }
    match &t.key_password {
        Some(super::tls::KeyPassword::File(f)) => {
            let v = Val {
                value: (),
                origin: f.origin,
            };
            w.line(0, "ssl_key_password", &v, file(f), "");
        }
        // As `doveconf` does: a secret is not shown.
        Some(super::tls::KeyPassword::Text(v)) => {
            w.line(0, "ssl_key_password", v, "# hidden".into(), "")
        }
        None => {}
    }
    w.line(
        0,
        "ssl_min_protocol",
        &t.min_protocol,
        t.min_protocol.value.clone(),
        "",
    );
    if t.verify_client_cert.value {
        w.line(
            0,
            "ssl_verify_client_cert",
            &t.verify_client_cert,
            "yes".into(),
            "",
        );
    }
    for (k, v) in [
        ("ssl_cipher_list", &t.cipher_list),
        ("ssl_cipher_suites", &t.cipher_suites),
        ("ssl_curve_list", &t.curve_list),
    ] {
        if !v.value.is_empty() {
            w.line(0, k, v, v.value.clone(), "");
        }
    }
    if t.prefer_server_ciphers.value {
        w.line(
            0,
            "ssl_prefer_server_ciphers",
            &t.prefer_server_ciphers,
            "yes".into(),
            "",
        );
    }
    for (kind, list) in [("local_name", &t.names), ("local", &t.locals)] {
        for f in list {
            let at = {
                let file = w.map.get(f.header.file);
                format!("{}:{}", file.name, file.line_col(f.header.start).line)
            };
            let _ = writeln!(
                w.out,
                "{:<44} # {at}",
                format!("{kind} {} {{", f.selector.join(" "))
            );
            for (k, r) in [("ssl_cert", &f.pair.cert), ("ssl_key", &f.pair.key)] {
                if let Some(r) = r {
                    let v = Val {
                        value: (),
                        origin: r.origin,
                    };
                    w.line(2, w.version.spell(k), &v, file(r), "");
                }
            }
            let _ = writeln!(w.out, "}}");
        }
    }
}

/// The settings a block sets that no model field holds, as their rows
/// type them.
fn others(w: &mut W<'_>, indent: usize, other: &[(&'static str, Val<Value>)]) {
    for (k, v) in other {
        w.line(indent, w.version.spell(k), v, shown(&v.value), "");
    }
}

/// A typed value as Dovecot writes it.
fn shown(v: &Value) -> String {
    match v {
        Value::Text(t) => t.clone(),
        Value::Uint(n) => n.to_string(),
        Value::Size(b) => size(*b),
        Value::Time(ms) if ms % 1000 == 0 => format!("{} secs", ms / 1000),
        Value::Time(ms) => format!("{ms} msecs"),
        Value::Bool(b) => yes_no(*b),
        Value::Mode(0) => "0".into(),
        Value::Mode(m) => format!("0{m:o}"),
        Value::Port(p) => p.to_string(),
    }
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.into()
}

fn size(b: u64) -> String {
    match b {
        0 => "0".into(),
        b if b % (1 << 30) == 0 => format!("{}G", b >> 30),
        b if b % (1 << 20) == 0 => format!("{}M", b >> 20),
        b if b % (1 << 10) == 0 => format!("{}K", b >> 10),
        b => format!("{b}B"),
    }
}
