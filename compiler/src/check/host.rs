//! Checks against the host: the listen backlog against net.core.somaxconn,
//! and RLIMIT_NOFILE against what one process needs.

use super::{codes, label_val, Options};
use crate::model::{Globals, Service};
use crate::report::{Diagnostic, Severity};

use svcc_facts::OWN_FDS;

/// The listen backlog of a service ([`svcc_facts::listen_backlog`] of its
/// effective limits).
pub fn backlog(svc: &Service, g: &Globals) -> u64 {
    svcc_facts::listen_backlog(svc.eff_client_limit(g), svc.eff_process_limit(g).value) as u64
}

pub(super) fn check(svc: &Service, g: &Globals, opts: &Options, out: &mut Vec<Diagnostic>) {
    let name = &svc.name;
    let listeners = svc.listeners.iter().filter(|l| l.enabled()).count();
    let cl = svc.configured_client_limit(g);
    let pl = svc.eff_process_limit(g);
    if let Some(max) = opts.host.somaxconn {
        let b = backlog(svc, g);
        if listeners > 0 && b > max as u64 {
            let set = cl.origin.is_config() || pl.origin.is_config();
            let sev = if set {
                Severity::Warning
            } else {
                Severity::Advice
            };
            let mut d = Diagnostic::new(
                sev,
                codes::BACKLOG_OVER_SOMAXCONN,
                format!(
                    "service `{name}`: listen backlog {b} (client_limit {} × process_limit {}) exceeds net.core.somaxconn {max}; the kernel caps the queue at {max}",
                    svc.eff_client_limit(g),
                    pl.value
                ),
            );
            d = label_val(d, svc, "client_limit", &cl, g);
            d = label_val(d, svc, "process_limit", &pl, g);
            out.push(d.help(format!(
                "raise the kernel limit (`sysctl -w net.core.somaxconn={b}`, and persist it in /etc/sysctl.d/), or lower client_limit or process_limit: with a queue of {max}, a burst of more waiting clients is refused (unix sockets: EAGAIN, \"Resource temporarily unavailable\")"
            )));
        }
    }
    if let Some(nofile) = opts.host.nofile {
        let need = svcc_facts::fds_needed(svc.eff_client_limit(g), listeners);
        if nofile < need {
            let sev = Severity::Warning;
            let mut d = Diagnostic::new(
                sev,
                codes::NOFILE_BELOW_CLIENT_LIMIT,
                format!(
                    "service `{name}`: RLIMIT_NOFILE {nofile} is below the {need} descriptors one process needs (client_limit {} + {listeners} listener(s) + {OWN_FDS} of its own)",
                    svc.eff_client_limit(g)
                ),
            );
            d = label_val(d, svc, "client_limit", &cl, g);
            out.push(d.help(format!(
                "raise the limit to at least {need} (`LimitNOFILE={need}` in the systemd unit, or `ulimit -n {need}`), or lower client_limit: otherwise accept() fails with EMFILE under load"
            )));
        }
    }
}

/// Pigeonhole's `managesieve_*` settings where this host's Dovecot has no
/// managesieve: its settings plugin defines them (Dovecot 2.3: "Unknown
/// setting").
pub(super) fn plugins(model: &crate::model::Model, opts: &Options, out: &mut Vec<Diagnostic>) {
    // (2.4's tables have no managesieve settings: unknown there anyway.)
    if opts.host.managesieve != Some(false)
        || model.version != crate::model::catalogue::Dovecot::V23
    {
        return;
    }
    for (key, v) in &model.globals.all {
        let Some(span) = v.origin.span().filter(|_| key.starts_with("managesieve_")) else {
            continue;
        };
        out.push(
            Diagnostic::error(codes::UNKNOWN_SETTING, format!("unknown setting `{key}`: this host's Dovecot has no managesieve"))
                .label(span, "a setting of Pigeonhole's managesieve")
                .help(format!("install dovecot-managesieved (Pigeonhole's managesieve), or remove the setting: Dovecot refuses to start with \"Unknown setting: {key}\"")),
        );
    }
}

/// The longest user name looked up (Linux allows 32; LDAP and the like,
/// more).
const MAX_USER_NAME: usize = 256;

/// `default_login_user` and `default_internal_user` set to a user this host
/// does not have: Dovecot looks both up when it reads the config
/// ("default_login_user doesn't exist: NAME").
pub(super) fn users(model: &crate::model::Model, opts: &Options, out: &mut Vec<Diagnostic>) {
    let Some(exists) = opts.host.users else {
        return;
    };
    let top = ["default_login_user", "default_internal_user"]
        .into_iter()
        .filter_map(|key| Some((key, model.globals.all.get(key)?)));
    let filtered = model.filter_users.iter().map(|(key, v)| (*key, v));
    for (key, v) in top.chain(filtered) {
        let crate::model::Origin::Config { value, .. } = v.origin else {
            continue;
        };
        // (As written: blanks a quoted value keeps are part of the name.)
        let name = v.value.as_str();
        // 2.4 looks the name up unexpanded ("doesn't exist:
        // UNKNOWN_VALUE_WITH_VARIABLES"); a name no user database holds is
        // not looked up: some NSS modules abort the process on a name of
        // megabytes.
        let v24 = model.version == crate::model::catalogue::Dovecot::V24;
        let possible = name.len() <= MAX_USER_NAME
            && !name.contains(['/', ':', '\n'])
            && !(v24 && (name.contains('$') || name.contains("%{")));
        if possible && exists(name) {
            continue;
        }
        let message = match name {
            "" => format!("`{key}` is empty: no user has that name"),
            _ => format!("`{key}`: this host has no user `{name}`"),
        };
        out.push(
            Diagnostic::error(codes::UNKNOWN_USER, message)
                .label(value, "not in this host's user database")
                .help(format!("create the user (e.g. `useradd --system --no-create-home --shell /usr/sbin/nologin NAME`) or name one this host has (Dovecot 2.4 does not expand variables here): Dovecot refuses to start with \"{key} doesn't exist: {name}\"")),
        );
    }
}
