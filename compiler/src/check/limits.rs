//! Per-service process and client limits: blocking services, min_avail,
//! the service_count cap, single-process services, vsz_limit, type, chroot.

use super::{codes, is_blocking, label_val, Options};
use crate::model::{catalogue, Model, Service};
use crate::report::Diagnostic;

pub(super) fn check(svc: &Service, model: &Model, opts: &Options, out: &mut Vec<Diagnostic>) {
    let g = &model.globals;
    let name = &svc.name;
    let pl = svc.eff_process_limit(g);
    let cl = svc.configured_client_limit(g);

    // The configured value counts, not the service_count cap: the cap hides
    // the problem only until the service switches to performance mode.
    let blocking_error = !svcc_facts::client_limit_fits(is_blocking(svc, opts), cl.value);
    if blocking_error {
        let why = if svc.blocking.origin.is_config() {
            "it sets `blocking = yes`".to_string()
        } else if svc.blocking.value {
            format!("`{name}` is a Dovecot service that does blocking disk I/O")
        } else {
            format!("its handler `{}` blocks", svc.executable.value)
        };
        out.push(blocking_client_limit(svc, model, &why));
    }

    if svc.process_min_avail.value > pl.value {
        let mut d = Diagnostic::error(
            codes::MIN_AVAIL_OVER_LIMIT,
            format!(
                "service `{name}`: process_min_avail ({}) is higher than process_limit ({})",
                svc.process_min_avail.value, pl.value
            ),
        );
        d = label_val(d, svc, "process_min_avail", &svc.process_min_avail, g);
        d = label_val(d, svc, "process_limit", &pl, g);
        out.push(d.help(format!(
            "lower process_min_avail to at most {} or raise process_limit: the master can never keep more processes ready than it may run (Dovecot refuses to start)",
            pl.value
        )));
    }

    let sc = svc.service_count.value;
    if sc > 0
        && !blocking_error
        && svc.client_limit.origin.is_config()
        && svc.client_limit.value > sc
    {
        // Named as the config's Dovecot version names it.
        let count = model.version.spell("service_count");
        let unlimited = match model.version {
            catalogue::Dovecot::V23 => "0",
            catalogue::Dovecot::V24 => "unlimited",
        };
        let mut d = Diagnostic::warning(
            codes::CLIENT_LIMIT_CAPPED,
            format!(
                "service `{name}`: client_limit {} has no effect, {count} {sc} caps it to {sc}",
                svc.client_limit.value
            ),
        );
        d = label_val(d, svc, "client_limit", &svc.client_limit, g);
        d = label_val(d, svc, count, &svc.service_count, g);
        out.push(d.help(format!(
            "a process exits after {sc} connection(s), so it never holds more than {sc} at once; set `client_limit = {sc}` to say what runs, or `{count} = {unlimited}` for long-lived processes that serve {} clients each",
            svc.client_limit.value
        )));
    }

    // (Dovecot: `process_limit > 1`; an effective 0, `default_process_limit
    // = 0` in 2.3, passes.)
    if catalogue::process_limit_1(model.version).contains(&name.as_str()) && pl.value > 1 {
        let d = Diagnostic::error(
            codes::PROCESS_LIMIT_MUST_BE_1,
            format!(
                "service `{name}`: process_limit must be 1, not {}",
                pl.value
            ),
        );
        out.push(label_val(d, svc, "process_limit", &pl, g).help(format!(
            "remove process_limit from `service {name}` (or set it to 1): {name} keeps global state in a single process"
        )));
    }

    inherited(svc, model, out);

    if svc.drop_priv_before_exec.value && !svc.chroot.value.is_empty() {
        let mut d = Diagnostic::error(
            codes::DROP_PRIV_WITH_CHROOT,
            format!("service `{name}`: drop_priv_before_exec = yes can't be used with chroot"),
        );
        d = label_val(
            d,
            svc,
            "drop_priv_before_exec",
            &svc.drop_priv_before_exec,
            g,
        );
        d = label_val(d, svc, "chroot", &svc.chroot, g);
        out.push(d.help("set `drop_priv_before_exec = no` or `chroot =` (empty)"));
    }

    if !catalogue::SERVICE_TYPES.contains(&svc.kind.value.as_str()) {
        let d = Diagnostic::error(
            codes::UNKNOWN_SERVICE_TYPE,
            format!(
                "service `{name}`: unknown service type `{}`",
                svc.kind.value
            ),
        );
        let d = label_val(d, svc, "type", &svc.kind, g);
        let d = match catalogue::suggest(&svc.kind.value, catalogue::SERVICE_TYPES.iter().copied()) {
            Some(s) => d.help(format!("did you mean `{s}`? type is empty or one of log, config, anvil, login, startup, worker")),
            None => d.help("type is empty or one of log, config, anvil, login, startup, worker"),
        };
        out.push(d);
    }
}

/// The `svcc::blocking-client-limit` finding for a blocking service; `why`
/// says what makes it blocking. Also used by codegen for a user's handler
/// that turns out to block at compile time.
pub fn blocking_client_limit(svc: &Service, model: &Model, why: &str) -> Diagnostic {
    let g = &model.globals;
    let name = &svc.name;
    let cl = svc.configured_client_limit(g);
    let eff_cl = svc.eff_client_limit(g);
    let mut d = Diagnostic::error(
        codes::BLOCKING_CLIENT_LIMIT,
        format!(
            "service `{name}` is blocking but client_limit is {}: while one client's request blocks, {}",
            cl.value,
            if cl.value == 2 {
                "the other client of that process stalls".to_string()
            } else {
                format!("the other {} clients of that process stall", cl.value - 1)
            }
        ),
    );
    if eff_cl < cl.value {
        let count = model.version.spell("service_count");
        let unlimited = match model.version {
            catalogue::Dovecot::V23 => "set to 0",
            catalogue::Dovecot::V24 => "unlimited",
        };
        d = d.note(format!(
            "{count} = {} caps it to {eff_cl} for now, but the stall returns as soon as {count} is raised or {unlimited} (Dovecot's performance mode)",
            svc.service_count.value
        ));
    }
    d = label_val(d, svc, "client_limit", &cl, g);
    if let Some(s) = svc.blocking.origin.span() {
        d = d.label(s, "blocking = yes");
    }
    d.help(format!(
        "set `client_limit = 1` in `service {name}` ({why}) and raise `process_limit` for concurrency: a blocking process can serve only one client at a time"
    ))
}

/// The limits a service may take from a `default_*` global: a vsz_limit under
/// 1 MiB and, in 2.4, a 0 (also run on built-in services the config does not
/// mention, which inherit them).
pub(super) fn inherited(svc: &Service, model: &Model, out: &mut Vec<Diagnostic>) {
    let g = &model.globals;
    let name = &svc.name;
    // 2.4 checks the effective value (a low `default_vsz_limit` counts for
    // every service that sets none); 2.3 only a service's own.
    let vsz = match svc.vsz_limit.value {
        Some(v) => Some((v, svc.vsz_limit.origin)),
        None if model.version == catalogue::Dovecot::V24
            && g.default_vsz_limit.origin.is_config() =>
        {
            Some((g.default_vsz_limit.value, g.default_vsz_limit.origin))
        }
        None => None,
    };
    if let Some((v, origin)) = vsz {
        if v != 0 && v < 1 << 20 {
            let d = Diagnostic::error(
                codes::VSZ_LIMIT_TOO_LOW,
                format!("service `{name}`: vsz_limit {v} B is too low"),
            );
            let span = origin.span();
            let d = match span {
                Some(s) => d.label(s, "under 1 MiB"),
                None => d,
            };
            out.push(d.help("set vsz_limit to at least 1M (e.g. `256M`), or 0 for no limit"));
        }
    }

    // A 2.4 `default_process_limit = 0` (or another default limit)
    // reaches every service that sets none.
    let mut zeros = svc.zeros_24.clone();
    for &(key, origin) in &g.zeros_24 {
        let inherits = match key {
            "process_limit" => svc.process_limit.value == 0,
            "client_limit" => svc.client_limit.value == 0,
            "idle_kill" => svc.idle_kill.value == 0,
            _ => svc.vsz_limit.value.is_none(),
        };
        if inherits && !zeros.iter().any(|(k, _)| *k == key) {
            zeros.push((key, origin));
        }
    }
    for &(key, origin) in &zeros {
        let key = model.version.spell(key);
        let d = Diagnostic::error(
            codes::INVALID_VALUE,
            format!("service `{name}`: {key} must be higher than 0 in Dovecot 2.4"),
        );
        let d = match origin.span() {
            Some(s) => d.label(s, "0"),
            None => d,
        };
        out.push(d.help(format!(
            "write `{key} = {}` for no limit, or a number above 0: Dovecot 2.4 refuses 0 (2.3 read it as the default or no limit)",
            if key == "idle_kill_interval" { "infinite" } else { "unlimited" }
        )));
    }
}
