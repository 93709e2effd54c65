//! Listeners: conflicts (same unix path, same address and port), empty
//! paths, paths that repeat base_dir, `haproxy = yes` with no trusted
//! network, and a `mode` written in decimal.

use super::codes;
use crate::model::{Listener, ListenerKind, Model, Origin, Service};
use crate::report::{Diagnostic, FileBudget};
use foldhash::HashMap;

/// `haproxy = yes` (set in the config, on a listener that is served) while
/// `haproxy_trusted_networks` lists nothing: every connection would be
/// closed.
fn haproxy(model: &Model, out: &mut Vec<Diagnostic>) {
    let g = &model.globals;
    if !g.haproxy_trusted_networks.value.is_empty() {
        return;
    }
    for svc in model.services.iter().filter(|s| s.enabled(g)) {
        for l in svc
            .listeners
            .iter()
            .filter(|l| l.kind == ListenerKind::Inet && l.enabled())
        {
            let (true, Some(span)) = (l.haproxy.value, l.haproxy.origin.span()) else {
                continue;
            };
            let mut d = Diagnostic::warning(
                codes::HAPROXY_UNTRUSTED,
                format!(
                    "inet_listener `{}` of service `{}` expects a PROXY header, but no peer is trusted to send one",
                    l.name, svc.name
                ),
            )
            .label(span, "haproxy = yes");
            if let Some(s) = g.haproxy_trusted_networks.origin.span() {
                d = d.label(s, "lists no network");
            }
            out.push(d.help("list the load balancers' addresses or networks in `haproxy_trusted_networks` (e.g. `haproxy_trusted_networks = 10.0.0.0/8`); until then every connection to this listener is closed"));
        }
    }
}

/// `mode = 666`: Dovecot reads a mode as octal only with a leading 0, so
/// this is 01232, not rw-rw-rw-. `mode = 01660`: only the permission bits
/// 0777 reach the file (the socket is made under `umask(0777 ^ mode)`).
fn modes(model: &Model, out: &mut Vec<Diagnostic>, budget: &mut FileBudget) {
    for l in model.services.iter().flat_map(|s| s.listeners.iter()) {
        let m = l.mode_text.as_str();
        let Origin::Config { value: span, .. } = l.mode.origin else {
            continue;
        };
        let (mode, kept) = (l.mode.value, u64::from(l.effective_mode()));
        let decimal = !m.is_empty() && !m.starts_with('0') && m.bytes().all(|b| b.is_ascii_digit());
        // 2.3 keeps 32 bits: `040000000000` is 0, a disabled listener.
        let wrapped = mode == 0 && crate::model::value::mode(m).is_ok_and(|full| full != 0);
        if !decimal && !wrapped && mode == kept {
            continue;
        }
        if !budget.admit_as(span, crate::Severity::Warning) {
            continue;
        }
        let file = if l.kind == ListenerKind::Fifo {
            "FIFO"
        } else {
            "socket"
        };
        out.push(if wrapped {
            Diagnostic::warning(
                codes::MODE_IGNORED_BITS,
                format!("mode `{m}` is 0 in Dovecot 2.3, which keeps 32 bits: the listener is disabled"),
            )
            .label(span, "its low 32 bits are 0")
            .help("write the permission bits alone, e.g. `mode = 0600`; a mode of 0 disables the listener")
        } else if decimal {
            Diagnostic::warning(
                codes::DECIMAL_MODE,
                format!("mode `{m}` is decimal (0{mode:o}), not 0{m}"),
            )
            .label(span, "no leading 0: read as a decimal number")
            .help(format!(
                "write `mode = 0{m}`: Dovecot reads a mode as octal only with a leading 0 (as written, the {file} gets 0{kept:03o})"
            ))
        } else {
            Diagnostic::warning(
                codes::MODE_IGNORED_BITS,
                format!("mode `{m}` has bits beyond the permissions: the {file} gets 0{kept:03o}"),
            )
            .label(span, format!("only 0{kept:03o} of this takes effect"))
            .help(format!(
                "write `mode = 0{kept:03o}`: Dovecot (and svcc's runtime) create the {file} under umask(0777 ^ mode), which drops the setuid, setgid and sticky bits and all above"
            ))
        });
    }
}

/// One socket a listener would own.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Path(String),
    Inet(String, u16),
}

pub(super) fn check(model: &Model, out: &mut Vec<Diagnostic>, budget: &mut FileBudget) {
    haproxy(model, out);
    modes(model, out, budget);
    let g = &model.globals;
    let base = g.base_dir.value.trim_end_matches('/');
    // Listeners of config services, and of enabled built-in services.
    let services = model
        .services
        .iter()
        .chain(model.implicit.iter().filter(|s| s.enabled(g)));
    let mut seen: HashMap<Key, (&Service, &Listener)> = HashMap::default();
    // Inet addresses seen per port, to find `*` / `::` overlaps: the
    // wildcards (at most one `*` and one `::` per port, repeats are caught
    // above) and the specific addresses, so each new address is compared
    // with the wildcards only, and each wildcard once with the specific ones.
    type Bound<'a> = (String, &'a Service, &'a Listener);
    let mut wildcards: HashMap<u16, Vec<Bound<'_>>> = HashMap::default();
    let mut specific: HashMap<u16, Vec<Bound<'_>>> = HashMap::default();
    for svc in services {
        for l in &svc.listeners {
            if l.kind != ListenerKind::Inet {
                if l.name.is_empty() {
                    if let Some(h) = l.header {
                        out.push(
                            Diagnostic::error(
                                codes::EMPTY_LISTENER_PATH,
                                format!(
                                    "service `{}`: {} path must not be empty",
                                    svc.name,
                                    l.kind.keyword()
                                ),
                            )
                            .label(h, "empty path")
                            .help(
                                "give the socket a path, relative to base_dir (e.g. `auth-userdb`)",
                            ),
                        );
                    }
                    continue;
                }
                if !base.is_empty() && l.name.starts_with(&format!("{base}/")) {
                    if let Some(h) = l.header {
                        let rel = &l.name[base.len() + 1..];
                        out.push(
                            Diagnostic::warning(codes::BASE_DIR_PREFIX, format!("service `{}`: {} path `{}` repeats base_dir", svc.name, l.kind.keyword(), l.name))
                                .label(h, format!("base_dir is `{base}`"))
                                .help(format!("write `{} {rel} {{`: relative paths already live under base_dir, and this one breaks when base_dir changes", l.kind.keyword())),
                        );
                    }
                }
            }
            if !l.enabled() {
                continue;
            }
            let keys: Vec<Key> = match l.kind {
                ListenerKind::Inet => addresses(l, &g.listen.value)
                    .into_iter()
                    .map(|a| Key::Inet(a, l.port.value))
                    .collect(),
                _ => vec![Key::Path(if l.name.starts_with('/') {
                    l.name.clone()
                } else {
                    format!("{base}/{}", l.name)
                })],
            };
            // One finding per pair of listeners, however many of their
            // addresses clash (`listen = *, ::` gives each two).
            let mut reported: Vec<*const Listener> = Vec::new();
            let mut first_time = |other: &Listener| {
                let other: *const Listener = other;
                let new = !reported.contains(&other);
                if new {
                    reported.push(other);
                }
                new
            };
            for key in keys {
                if let Some(&(other_svc, other)) = seen.get(&key) {
                    if first_time(other) {
                        report(out, budget, || key_text(&key), (other_svc, other), (svc, l));
                    }
                    continue;
                }
                if let Key::Inet(a, p) = &key {
                    let wild = matches!(a.as_str(), "*" | "::");
                    let (others, mine) = match wild {
                        true => (&specific, &mut wildcards),
                        false => (&wildcards, &mut specific),
                    };
                    for (wa, ws, wl) in others.get(p).into_iter().flatten() {
                        if (covers(wa, a) || covers(a, wa)) && first_time(wl) {
                            report(
                                out,
                                budget,
                                || format!("{a}:{p} (overlaps {wa}:{p})"),
                                (ws, wl),
                                (svc, l),
                            );
                        }
                    }
                    mine.entry(*p).or_default().push((a.clone(), svc, l));
                }
                seen.insert(key, (svc, l));
            }
        }
    }
}

fn key_text(k: &Key) -> String {
    match k {
        Key::Path(p) => p.clone(),
        Key::Inet(a, p) => format!("{a}:{p}"),
    }
}

/// Whether binding wildcard `w` conflicts with `a` (`*` covers IPv4, `::`
/// covers IPv6).
fn covers(w: &str, a: &str) -> bool {
    w != a && ((w == "*" && !a.contains(':')) || (w == "::" && a.contains(':')))
}

fn addresses(l: &Listener, listen: &str) -> Vec<String> {
    let list = if l.address.value.trim().is_empty() {
        listen
    } else {
        l.address.value.as_str()
    };
    let mut v: Vec<String> = list
        .split([',', ' '])
        .filter(|a| !a.is_empty())
        .map(|a| {
            let a = a.trim_start_matches('[').trim_end_matches(']');
            match a {
                "0.0.0.0" => "*".to_string(),
                "::0" | "0:0:0:0:0:0:0:0" => "::".to_string(),
                _ => a.to_string(),
            }
        })
        .collect();
    v.dedup();
    v
}

fn report(
    out: &mut Vec<Diagnostic>,
    budget: &mut FileBudget,
    what: impl FnOnce() -> String,
    first: (&Service, &Listener),
    second: (&Service, &Listener),
) {
    let desc = |s: &Service, l: &Listener| {
        format!("{} `{}` of service `{}`", l.kind.keyword(), l.name, s.name)
    };
    let span = |(s, l): (&Service, &Listener)| {
        l.port
            .origin
            .span()
            .filter(|_| l.kind == ListenerKind::Inet)
            .or(l.header)
            .or(s.header)
    };
    // The later listener first: that is where the conflict appears. A
    // conflict only among built-in services is not the config's to report.
    let spans = [(second, "listens here"), (first, "already listens here")]
        .map(|(sl, msg)| (sl, msg, span(sl)));
    let Some(primary) = spans.iter().find_map(|x| x.2) else {
        return;
    };
    // Past the file's budget a conflict is only counted, not described.
    if !budget.admit(primary) {
        return;
    }
    let mut d = Diagnostic::error(
        codes::LISTENER_CONFLICT,
        format!(
            "{} and {} both listen on {}",
            desc(first.0, first.1),
            desc(second.0, second.1),
            what()
        ),
    );
    for ((s, l), msg, at) in spans {
        if let Some(at) = at {
            d = d.label(at, format!("{} ({msg})", desc(s, l)));
        }
    }
    out.push(d.help("give one of them another path, address or port, or disable it (`port = 0` / `mode = 0`): two listeners cannot own one socket, and the second fails to bind when the master starts"));
}

#[cfg(test)]
mod tests {
    use crate::check::codes;

    fn warned(conf: &str) -> bool {
        crate::check_str("<t>", conf, &crate::Options::default())
            .diagnostics
            .iter()
            .any(|d| d.code == codes::HAPROXY_UNTRUSTED)
    }

    #[test]
    fn haproxy_without_trusted_networks_is_a_warning_and_with_them_is_not() {
        let conf = "protocols = imap\nservice imap-login {\n  inet_listener imap {\n    port = 143\n    haproxy = yes\n  }\n}\n";
        assert!(warned(conf));
        assert!(!warned(&format!(
            "haproxy_trusted_networks = 10.0.0.0/8\n{conf}"
        )));
        assert!(!warned(&conf.replace("haproxy = yes", "haproxy = no")));
        // A disabled listener (port 0) is never served.
        assert!(!warned(&conf.replace("port = 143", "port = 0")));
    }
}
