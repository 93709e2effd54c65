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

    for rule in NEEDS {
        needs(model, rule, out);
    }
    bounds(model, out);
    policy_hash(model, out);
    namespace_aliases(model, out);

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

/// A top-level setting whose value Dovecot's settings checks refuse
/// unless another is set a certain way (in a filter, unchecked; the
/// checks of mail-storage-settings.c,
/// pop3-settings.c, auth-settings.c, login-settings.c, ssl-settings.c,
/// lmtp-settings.c).
struct Needs {
    /// The versions whose checks have it.
    versions: &'static [crate::Dovecot],
    /// The setting, and the value (by its catalogue type: `yes` is any
    /// true boolean) that needs the other; `None`: any non-empty value.
    setting: (&'static str, Option<&'static str>),
    /// The other setting, and the value it must have; `None`: any
    /// non-empty value.
    other: (&'static str, Option<&'static str>),
    /// A setting and value that make the check skip the rule (2.3's SSL
    /// check stops at `ssl = no`).
    unless: Option<(&'static str, &'static str)>,
    /// What to write instead.
    help: &'static str,
    /// Dovecot's refusal.
    says: &'static str,
}

use crate::Dovecot::{V23, V24};

const NEEDS: &[Needs] = &[
    Needs {
        versions: &[V23, V24],
        setting: ("pop3_delete_type", Some("flag")),
        other: ("pop3_deleted_flag", None),
        unless: None,
        help: "set `pop3_deleted_flag` (the keyword POP3 DELE sets; 2.3: quoted, `\"$POP3Deleted\"`, or it is read as a variable), or use `pop3_delete_type = expunge`",
        says: "pop3_delete_type=flag, but pop3_deleted_flag not set",
    },
    Needs {
        versions: &[V23, V24],
        setting: ("mail_nfs_index", Some("yes")),
        other: ("mmap_disable", Some("yes")),
        unless: None,
        help: "set `mmap_disable = yes` (and `mail_fsync = always`), as NFS needs",
        says: "mail_nfs_index=yes requires mmap_disable=yes",
    },
    Needs {
        versions: &[V23, V24],
        setting: ("mail_nfs_index", Some("yes")),
        other: ("mail_fsync", Some("always")),
        unless: None,
        help: "set `mail_fsync = always`, as NFS needs",
        says: "mail_nfs_index=yes requires mail_fsync=always",
    },
    Needs {
        versions: &[V23, V24],
        setting: ("auth_policy_server_url", None),
        other: ("auth_policy_hash_nonce", None),
        unless: None,
        help: "set `auth_policy_hash_nonce` to a secret random string shared with the policy server",
        says: "auth_policy_hash_nonce must be set when policy server is used",
    },
    Needs {
        versions: &[V24],
        setting: ("ssl", Some("required")),
        other: ("auth_allow_cleartext", Some("no")),
        unless: None,
        help: "remove `auth_allow_cleartext = yes`: with `ssl = required` no client authenticates without TLS anyway",
        says: "auth_allow_cleartext=yes has no effect with ssl=required",
    },
    Needs {
        versions: &[V23],
        setting: ("ssl_verify_client_cert", Some("yes")),
        other: ("ssl_ca", None),
        unless: Some(("ssl", "no")),
        help: "set `ssl_ca = </path/to/ca.pem`, the CA that signs the client certificates, or remove `ssl_verify_client_cert`",
        says: "ssl_verify_client_cert set, but ssl_ca not",
    },
    Needs {
        versions: &[V24],
        setting: ("ssl_server_request_client_cert", Some("yes")),
        other: ("ssl_server_ca_file", None),
        unless: None,
        help: "set `ssl_server_ca_file` to the CA that signs the client certificates, or remove `ssl_server_request_client_cert`",
        says: "ssl_server_request_client_cert set, but ssl_server_ca_file not",
    },
];

/// One [`Needs`] rule on the config's top-level values.
fn needs(model: &Model, rule: &Needs, out: &mut Vec<Diagnostic>) {
    if !rule.versions.contains(&model.version) {
        return;
    }
    let g = &model.globals;
    // (A setting the config leaves alone has its default.)
    let cat = crate::model::catalogue::catalogue(model.version);
    let is = |key: &str, want: Option<&str>| {
        let v = match g.all.get(key) {
            Some(v) => v.value.trim(),
            None => cat
                .get(crate::model::catalogue::Scope::Global, key)
                .map_or("", |d| d.default),
        };
        match want {
            None => !v.is_empty(),
            Some("yes") => crate::model::value::boolean(v) == Ok(true),
            Some("no") => crate::model::value::boolean(v) == Ok(false),
            Some(w) => v == w,
        }
    };
    let (key, want) = rule.setting;
    let Some(span) = g.all.get(key).and_then(|v| v.origin.span()) else {
        return;
    };
    let skipped = rule.unless.is_some_and(|(k, w)| is(k, Some(w)));
    if skipped || !is(key, want) || is(rule.other.0, rule.other.1) {
        return;
    }
    let written = match want {
        Some(w) => format!("`{key} = {w}`"),
        None => format!("`{key}`"),
    };
    let other = match rule.other.1 {
        Some(w) => format!("`{} = {w}`", rule.other.0),
        None => format!("`{}`", rule.other.0),
    };
    out.push(
        Diagnostic::error(codes::MISSING_SETTING, format!("{written} without {other}"))
            .label(span, format!("needs {other}"))
            .help(format!(
                "{}; Dovecot refuses the config with \"{}\"",
                rule.help, rule.says
            )),
    );
}

/// A bound Dovecot's settings checks put on one value.
#[derive(Clone, Copy)]
enum Bound {
    /// Refused at 0 (a size, a time or a number).
    NotZero,
    /// Refused when empty.
    NotEmpty,
    /// Refused above this number (a size in bytes, or a plain number).
    AtMost(u64),
    /// Refused when the value holds this character.
    Without(char),
    /// Refused when longer than one byte.
    OneByte,
    /// Refused above 0 but below 1024 bytes; Dovecot 2.3 reads a bare
    /// number below that as megabytes, with a warning.
    CacheSize,
    /// Refused below this time, in milliseconds.
    AtLeastMs(u64),
    /// Refused below another time setting, in milliseconds (this one's
    /// default, the other and its default: hidden settings, whose
    /// defaults `doveconf -a` does not print).
    NotBelow(u64, &'static str, u64),
}

/// One [`Bound`] on a top-level setting (in a filter, unchecked).
struct Bounded {
    /// The versions whose checks have it.
    versions: &'static [crate::Dovecot],
    key: &'static str,
    bound: Bound,
    /// What the diagnostic says of the value, after the setting's name.
    what: &'static str,
    /// Dovecot's refusal.
    says: &'static str,
}

const fn bounded(
    versions: &'static [crate::Dovecot],
    key: &'static str,
    bound: Bound,
    what: &'static str,
    says: &'static str,
) -> Bounded {
    Bounded {
        versions,
        key,
        bound,
        what,
        says,
    }
}

/// Values Dovecot's settings checks refuse (auth-settings.c,
/// director-settings.c, doveadm-settings.c, imapc-settings.c,
/// mail-storage-settings.c, lmtp-settings.c, fts-settings.c, the HTTP
/// client and server settings, push-notification-ox).
const BOUNDS: &[Bounded] = &[
    bounded(&[V23, V24], "imapc_max_idle_time", Bound::NotZero, "must not be 0", "imapc_max_idle_time must not be 0"),
    bounded(&[V23, V24], "mailbox_idle_check_interval", Bound::NotZero, "must not be 0", "mailbox_idle_check_interval must not be 0"),
    bounded(&[V23], "auth_worker_max_count", Bound::NotZero, "must not be 0", "auth_worker_max_count must be above zero"),
    bounded(&[V24], "lmtp_user_concurrency_limit", Bound::NotZero, "must not be 0", "lmtp_user_concurrency_limit must not be 0"),
    bounded(&[V24], "imapc_max_line_length", Bound::NotZero, "must not be 0", "imapc_max_line_length must not be 0"),
    bounded(&[V24], "http_client_request_max_attempts", Bound::NotZero, "must not be 0", "http_client_request_max_attempts must not be 0"),
    bounded(&[V24], "http_client_max_pipelined_requests", Bound::NotZero, "must not be 0", "http_client_max_pipelined_requests must not be 0"),
    bounded(&[V24], "http_client_max_parallel_connections", Bound::NotZero, "must not be 0", "http_client_max_parallel_connections must not be 0"),
    bounded(&[V24], "http_client_request_timeout", Bound::NotZero, "must not be 0", "http_client_request_timeout must not be 0"),
    bounded(&[V24], "http_client_connect_backoff_time", Bound::NotZero, "must not be 0", "http_client_connect_backoff_time_msecs must not be 0"),
    bounded(&[V24], "http_server_max_pipelined_requests", Bound::NotZero, "must not be 0", "http_server_max_pipelined_requests must not be 0"),
    bounded(&[V24], "push_notification_ox_cache_ttl", Bound::NotZero, "must not be 0", "push_notification_ox_cache_ttl must not be 0"),
    bounded(&[V24], "fts_search_timeout", Bound::NotZero, "must not be 0", "fts_search_timeout must not be 0"),
    // http-client-private.h: 100 ms and 1 min.
    bounded(&[V24], "http_client_connect_backoff_max_time", Bound::NotBelow(60_000, "http_client_connect_backoff_time", 100), "must not be smaller than `http_client_connect_backoff_time`", "http_client_connect_backoff_time_msecs (...) must not be smaller than http_client_connect_backoff_max_time_msecs (...)"),
    bounded(&[V23, V24], "dsync_hashed_headers", Bound::NotEmpty, "must not be empty", "dsync_hashed_headers must not be empty"),
    bounded(&[V23, V24], "dsync_alt_char", Bound::NotEmpty, "must not be empty", "dsync_alt_char must not be empty"),
    bounded(&[V23, V24], "mail_cache_max_size", Bound::AtMost(1 << 30), "can't be over 1 GB", "mail_cache_max_size can't be over 1 GB"),
    bounded(&[V23, V24], "mail_cache_purge_delete_percentage", Bound::AtMost(100), "can't be over 100", "mail_cache_purge_delete_percentage can't be over 100"),
    bounded(&[V24], "mailbox_root_directory_name", Bound::Without('/'), "must not contain `/`", "mailbox_root_directory_name must not contain '/'"),
    bounded(&[V24], "mailbox_list_visible_escape_char", Bound::OneByte, "must be a single character", "mailbox_list_visible_escape_char value must be a single character"),
    bounded(&[V24], "mailbox_list_storage_escape_char", Bound::OneByte, "must be a single character", "mailbox_list_storage_escape_char value must be a single character"),
    bounded(&[V23, V24], "auth_cache_size", Bound::CacheSize, "is too small: below 1024 bytes (0 turns the cache off)", "auth_cache_size value is too small"),
    bounded(&[V23], "director_user_expire", Bound::AtLeastMs(10_000), "is too low: below 10 secs", "director_user_expire is too low"),
];

/// [`BOUNDS`] on the top-level values the config sets.
fn bounds(model: &Model, out: &mut Vec<Diagnostic>) {
    use crate::model::value;
    let g = &model.globals;
    for rule in BOUNDS {
        if !rule.versions.contains(&model.version) {
            continue;
        }
        let key = rule.key;
        let v = g.all.get(key);
        // Numbers trimmed; text as written (`" "` is one character).
        let raw = v.map(|v| v.value.as_str());
        let text = raw.map(str::trim);
        let refused = match (rule.bound, text) {
            (Bound::NotBelow(default, other, other_default), _) => {
                // Either may be the one written; a value that does not
                // parse is reported as such elsewhere.
                let ms = |t: Option<&str>, d: u64| t.map_or(Ok(d), value::time_msecs).ok();
                let other_text = g.all.get(other).map(|v| v.value.trim());
                matches!(
                    (ms(text, default), ms(other_text, other_default)),
                    (Some(this), Some(that)) if this < that
                )
            }
            (_, None) => false,
            (Bound::NotZero, Some(t)) => value::size(t) == Ok(0) || value::time(t) == Ok(0),
            (Bound::NotEmpty, _) => raw.is_some_and(str::is_empty),
            (Bound::AtMost(max), Some(t)) => value::size(t).is_ok_and(|n| n > max),
            (Bound::Without(c), _) => raw.is_some_and(|t| t.contains(c)),
            // Bytes, as Dovecot's strlen() counts.
            (Bound::OneByte, _) => raw.is_some_and(|t| t.len() > 1),
            (Bound::CacheSize, Some(t)) => {
                let small = value::size(t).is_ok_and(|n| n > 0 && n < 1024);
                if small && model.version == V23 && t.bytes().all(|b| b.is_ascii_digit()) {
                    if let Some(span) = v.and_then(|v| v.origin.span()) {
                        out.push(
                            Diagnostic::warning(
                                codes::OBSOLETE_SETTING,
                                format!("`{key} = {t}`: a size without a unit is read as megabytes"),
                            )
                            .label(span, format!("Dovecot 2.3 reads this as {t}M"))
                            .help(format!("write `{key} = {t}M`: Dovecot 2.3 warns \"auth_cache_size value no longer defaults to megabytes. Use {t}M\", and Dovecot 2.4 reads {t} as bytes and refuses it as too small")),
                        );
                    }
                    continue;
                }
                small
            }
            (Bound::AtLeastMs(min), Some(t)) => value::time_msecs(t).is_ok_and(|n| n < min),
        };
        if !refused {
            continue;
        }
        // The line to point at: this setting's, else (a default refused
        // for the other's value) the other's.
        let at = match rule.bound {
            Bound::NotBelow(_, other, _) if v.and_then(|v| v.origin.span()).is_none() => {
                g.all.get(other).and_then(|v| v.origin.span())
            }
            _ => v.and_then(|v| v.origin.span()),
        };
        let Some(span) = at else {
            continue;
        };
        let fix = match rule.bound {
            Bound::NotZero => match model.version {
                crate::Dovecot::V24 => "set a value above 0 (2.4: or `unlimited` where there is to be no limit)",
                crate::Dovecot::V23 => "set a value above 0",
            },
            Bound::NotBelow(..) => "raise `http_client_connect_backoff_max_time` or lower `http_client_connect_backoff_time`",
            Bound::CacheSize => "sizes take a unit (`10M`, not `10`: older Dovecot read megabytes), or 0 to turn the cache off",
            _ => "change the value",
        };
        out.push(
            Diagnostic::error(codes::INVALID_VALUE, format!("`{key}` {}", rule.what))
                .label(span, "refused here")
                .help(format!(
                    "{fix}, or remove the line to keep the default; Dovecot refuses the config with \"{}\"",
                    rule.says
                )),
        );
    }
}

/// The auth policy server's hash (auth-settings.c, both versions): with a
/// server and a nonce, `auth_policy_hash_mech` must be a hash method and
/// `auth_policy_hash_truncate` shorter than its digest. Top-level values.
fn policy_hash(model: &Model, out: &mut Vec<Diagnostic>) {
    use crate::model::value;
    let g = &model.globals;
    let cat = crate::model::catalogue::catalogue(model.version);
    let get = |key: &str| match g.all.get(key) {
        Some(v) => (v.value.trim().to_string(), v.origin.span()),
        None => (
            cat.get(crate::model::catalogue::Scope::Global, key)
                .map_or("", |d| d.default)
                .to_string(),
            None,
        ),
    };
    let (url, _) = get("auth_policy_server_url");
    let (nonce, _) = get("auth_policy_hash_nonce");
    // (Without a nonce, the `NEEDS` rule says so first, as Dovecot does.)
    if url.is_empty() || nonce.is_empty() {
        return;
    }
    let (mech, mech_at) = get("auth_policy_hash_mech");
    let Some(bits) = value::hash_bits(&mech) else {
        if let Some(span) = mech_at {
            out.push(
                Diagnostic::error(codes::INVALID_VALUE, format!("`auth_policy_hash_mech`: unknown hash method `{mech}`"))
                    .label(span, "not a hash method")
                    .help("write one of md4, md5, sha1, sha256, sha384, sha512, sha3-256, sha3-512, or remove the line for sha256; Dovecot refuses the config with \"invalid auth_policy_hash_mech given\""),
            );
        }
        return;
    };
    let (truncate, truncate_at) = get("auth_policy_hash_truncate");
    let Ok(n) = value::uint(&truncate) else {
        return;
    };
    if n > 0 && n >= bits {
        if let Some(span) = truncate_at.or(mech_at) {
            out.push(
                Diagnostic::error(
                    codes::INVALID_VALUE,
                    format!("`auth_policy_hash_truncate = {n}` is not shorter than {mech}'s {bits}-bit digest"),
                )
                .label(span, format!("at most {} bits", bits - 1))
                .help(format!("keep fewer bits than the digest has (the default is 12), or 0 for all of them; Dovecot refuses the config with \"policy_hash_truncate is not smaller than digest size ({n} >= {bits})\"")),
            );
        }
    }
}

/// Dovecot 2.3's `alias_for` (namespace_settings_check): it names the
/// `prefix` of a namespace, and that one is no alias itself (an `alias_for`
/// set at all, even empty, counts). Disabled namespaces are not checked.
fn namespace_aliases(model: &Model, out: &mut Vec<Diagnostic>) {
    let all = &model.namespaces_23;
    for ns in all.iter().filter(|n| !n.disabled) {
        let Some(alias) = &ns.alias_for else { continue };
        let Some(span) = alias.origin.span() else {
            continue;
        };
        let target = &alias.value;
        let name = &ns.prefix;
        match all.iter().find(|n| n.prefix == *target) {
            None => {
                let prefixes: Vec<String> = all.iter().map(|n| format!("`{}`", n.prefix)).collect();
                out.push(
                    Diagnostic::error(
                        codes::INVALID_VALUE,
                        format!("namespace `{name}`: `alias_for = {target}` names no namespace's prefix"),
                    )
                    .label(span, "no namespace has this prefix")
                    .help(format!(
                        "write the prefix of the namespace this one mirrors (the prefixes: {}); Dovecot refuses the config with \"Namespace '{name}': alias_for points to unknown namespace: {target}\"",
                        prefixes.join(", ")
                    )),
                );
            }
            Some(other) => {
                if let Some(chained) = &other.alias_for {
                    out.push(
                        Diagnostic::error(
                            codes::INVALID_VALUE,
                            format!("namespace `{name}`: `alias_for = {target}` names an alias"),
                        )
                        .label(span, format!("namespace `{target}` has `alias_for = {}` itself", chained.value))
                        .help(format!(
                            "point it at the namespace `{target}` mirrors, or remove `alias_for` from `{target}`; Dovecot refuses the config with \"Namespace '{name}': alias_for chaining isn't allowed: {target} -> {}\"",
                            chained.value
                        )),
                    );
                }
            }
        }
    }
}
