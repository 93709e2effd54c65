//! Checks across services and of global settings: auth's and anvil's
//! client_limit under maximum load, unknown protocols, `listen`, uid ranges.

use super::codes;
use crate::model::{Model, Service};
use crate::report::Diagnostic;

pub(super) fn check(model: &Model, out: &mut Vec<Diagnostic>) {
    let g = &model.globals;
    let enabled: Vec<&Service> = model.all_services().filter(|s| s.enabled(g)).collect();
    let find = |name: &str| enabled.iter().copied().find(|s| s.name == name);

    // auth: Σ process_limit of protocol services with service_count != 1 or type=login.
    if let Some(auth) = find("auth") {
        let counted: Vec<&&Service> = enabled
            .iter()
            .filter(|s| {
                !s.protocol.value.is_empty()
                    && (s.service_count.value != 1 || s.kind.value == "login")
                    && s.name != "imap-hibernate"
            })
            .collect();
        let need: u64 = counted
            .iter()
            .map(|s| s.eff_process_limit(g).value as u64)
            .sum();
        capacity(
            out,
            model,
            auth,
            need,
            &counted,
            codes::AUTH_CLIENT_LIMIT,
            "protocol services with service_count != 1 and login services",
        );
    }
    if let Some(anvil) = find("anvil") {
        let counted: Vec<&&Service> = enabled
            .iter()
            .filter(|s| s.kind.value == "login" || s.name == "auth")
            .collect();
        let need: u64 = 2 + counted
            .iter()
            .map(|s| s.eff_process_limit(g).value as u64)
            .sum::<u64>();
        capacity(
            out,
            model,
            anvil,
            need,
            &counted,
            codes::ANVIL_CLIENT_LIMIT,
            "login services and auth, plus 2",
        );
    }

    // `pop3_delete_type = flag` marks messages with `pop3_deleted_flag`
    // (Dovecot: "pop3_delete_type=flag, but pop3_deleted_flag not set").
    if let Some(t) = g.all.get("pop3_delete_type").filter(|t| t.value == "flag") {
        let flag = g
            .all
            .get("pop3_deleted_flag")
            .is_some_and(|f| !f.value.is_empty());
        if let (false, Some(span)) = (flag, t.origin.span()) {
            out.push(
                Diagnostic::error(codes::MISSING_SETTING, "`pop3_delete_type = flag` without `pop3_deleted_flag`")
                    .label(span, "needs `pop3_deleted_flag`")
                    .help("set `pop3_deleted_flag = $POP3Deleted` (the keyword POP3 DELE sets), or use `pop3_delete_type = expunge`; Dovecot refuses the config with \"pop3_delete_type=flag, but pop3_deleted_flag not set\""),
            );
        }
    }

    if g.protocols.origin.is_config() {
        for p in &g.protocols.value {
            // 2.3's `none` is no protocol; 2.4 knows no such word. A `$`
            // token left after expansion is a protocol name to both.
            if p == "none" && model.version == crate::model::catalogue::Dovecot::V23 {
                continue;
            }
            // 2.3's `$name` left unexpanded is an undefined variable, reported
            // as that.
            if model.version == crate::model::catalogue::Dovecot::V23
                && p.len() > 1
                && p.starts_with('$')
                && !p.starts_with("$ENV:")
            {
                continue;
            }
            if !model.all_services().any(|s| s.protocol.value == *p) {
                let d = Diagnostic::error(
                    codes::UNKNOWN_PROTOCOL,
                    format!("protocols: unknown protocol `{p}`: no service has `protocol = {p}`"),
                );
                let d = match g.protocols.origin.span() {
                    Some(s) => d.label(s, format!("`{p}` enables no service")),
                    None => d,
                };
                let package = match (p.as_str(), model.version) {
                    ("sieve", crate::model::catalogue::Dovecot::V23) => "dovecot-managesieved".to_string(),
                    // svcc's 2.4 tables come without Pigeonhole.
                    ("sieve", _) => "dovecot-managesieved; svcc's Dovecot 2.4 tables lack Pigeonhole, so where it is installed silence this with `# svcc: disable=unknown-protocol`".to_string(),
                    _ => format!("dovecot-{p}d"),
                };
                out.push(d.help(format!("install the package that provides {p} (e.g. {package}), define a `service` with `protocol = {p}`, or remove it from `protocols`")));
            }
        }
    }

    // Dovecot 2.3 refuses it; 2.4 accepts an empty `listen` (a list).
    if model.version == crate::model::catalogue::Dovecot::V23
        && g.listen.origin.is_config()
        && g.listen.value.trim().is_empty()
    {
        if let Some(s) = g.listen.origin.span() {
            out.push(
                Diagnostic::error(codes::LISTEN_EMPTY, "listen can't be set empty")
                    .label(s, "empty")
                    .help("remove the line to listen on `*, ::`, or disable the inet listeners with `port = 0`"),
            );
        }
    }

    for (first, last) in [
        ("first_valid_uid", "last_valid_uid"),
        ("first_valid_gid", "last_valid_gid"),
    ] {
        // A bound the config leaves out is Dovecot's default (500 for
        // first_valid_uid): `last_valid_uid = 5` alone is refused too.
        let (f, l) = (g.all.get(first), g.all.get(last));
        if f.is_none() && l.is_none() {
            continue;
        }
        let value = |set: Option<&crate::model::Val<String>>, key: &str| {
            let default = crate::model::catalogue::catalogue(model.version)
                .get(crate::model::catalogue::Scope::Global, key)
                .map(|d| d.default);
            set.map(|v| v.value.as_str())
                .or(default)?
                .trim()
                .parse::<u64>()
                .ok()
        };
        let (Some(fv), Some(lv)) = (value(f, first), value(l, last)) else {
            continue;
        };
        if lv != 0 && fv > lv {
            let mut d = Diagnostic::error(
                codes::UID_RANGE,
                format!("{first} ({fv}) can't be larger than {last} ({lv})"),
            );
            for (v, key) in [(f, first), (l, last)] {
                match v.and_then(|v| v.origin.span()) {
                    Some(s) => d = d.label(s, ""),
                    None => {
                        d = d.note(format!(
                            "{key} is Dovecot's default, {}",
                            if key == first { fv } else { lv }
                        ))
                    }
                }
            }
            let fix = if f.is_some() && l.is_some() {
                format!("swap the values or set {last} = 0 (no upper bound)")
            } else {
                format!("lower {first} or raise {last} (0: no upper bound)")
            };
            out.push(d.help(format!("{fix}: as written, no user can log in")));
        }
    }
}

fn capacity(
    out: &mut Vec<Diagnostic>,
    model: &Model,
    svc: &Service,
    need: u64,
    counted: &[&&Service],
    code: &'static str,
    what: &str,
) {
    let g = &model.globals;
    let have = svc.eff_client_limit(g) as u64;
    if have >= need {
        return;
    }
    let list = counted
        .iter()
        .map(|s| {
            format!(
                "{} {{ process_limit={} }}",
                s.name,
                s.eff_process_limit(g).value
            )
        })
        .collect::<Vec<_>>()
        .join(" + ");
    let mut d = Diagnostic::warning(
        code,
        format!(
            "service `{}`: client_limit {have} is lower than required under maximum load ({need})",
            svc.name
        ),
    )
    .note(format!("counted for {what}: {list}"));
    let cl = svc.configured_client_limit(g);
    d = super::label_val(d, svc, "client_limit", &cl, g);
    for s in counted {
        let pl = s.eff_process_limit(g);
        if let Some(span) = pl.origin.span() {
            d = d.label(span, format!("{} process_limit = {}", s.name, pl.value));
        }
    }
    out.push(d.help(format!(
        "set `client_limit = {need}` in `service {}` (or lower those process limits): each of those processes may hold a connection to {}, and connections beyond client_limit fail under load",
        svc.name, svc.name
    )));
}
