//! Names: a setting or section a block does not have ("did you mean"
//! from the catalogue of the config's Dovecot version), and the other
//! version's name for a setting (with the rewrite). The model records
//! them ([`crate::model::UnreadItem`]); this family words them.

use super::codes;
use crate::model::catalogue::{self, Dovecot, Scope};
use crate::model::{rename_value, Model, Unread};
use crate::report::{Diagnostic, FileBudget};
use crate::syntax::Span;
use crate::Severity;

pub(super) fn check(model: &Model, out: &mut Vec<Diagnostic>, budget: &mut FileBudget) {
    let version = model.version;
    let cat = catalogue::catalogue(version);
    for u in &model.unread {
        let severity = match u.what {
            Unread::FilteredService {
                filter_outside,
                empty,
            } => filtered_severity(version, &u.key, filter_outside, empty),
            Unread::Obsolete(_) => Severity::Warning,
            _ => Severity::Error,
        };
        if !budget.admit_as(u.key_span, severity) {
            continue;
        }
        let (key, place) = (&u.key, &u.place);
        let d = match &u.what {
            Unread::Setting(Scope::Global) => {
                let at = if place.is_empty() {
                    String::new()
                } else {
                    format!(" in {place}")
                };
                let d = Diagnostic::error(
                    codes::UNKNOWN_SETTING,
                    format!("unknown setting `{key}`{at}"),
                )
                .label(
                    u.key_span,
                    format!("Dovecot {version} has no setting of this name"),
                );
                // In a 2.4 named filter (`namespace inbox`), `separator`
                // stands for `namespace_separator`: those names count too.
                let prefix = place
                    .trim_matches('`')
                    .split(' ')
                    .next()
                    .filter(|k| !k.is_empty())
                    .map(|k| format!("{k}_"));
                let short = cat
                    .scope(Scope::Global)
                    .filter_map(|d| d.name.strip_prefix(prefix.as_deref()?));
                let known = cat.scope(Scope::Global).map(|d| d.name).chain(short.clone());
                // `passdb db1 { driver = sql  query = .. }`: 2.4 looks the key
                // up by the block's name, not its driver (`passdb_sql_query`).
                let of_driver = short
                    .clone()
                    .find(|s| {
                        s.split_once('_').is_some_and(|(driver, rest)| {
                            rest == key && catalogue::is_auth_driver_24(driver)
                        })
                    })
                    .filter(|_| version == Dovecot::V24);
                if let (Some(full), Some(p)) = (of_driver, prefix.as_deref()) {
                    let (driver, _) = full.split_once('_').unwrap_or_default();
                    let kind = p.trim_end_matches('_');
                    out.push(d.help(format!(
                        "Dovecot 2.4 finds `{key}` under the block's name: name the block `{kind} {driver} {{` or write `{p}{full} = …` (Dovecot: \"Unknown setting: {key}\")"
                    )));
                    continue;
                }
                match catalogue::suggest(key, known) {
                    Some(m) => d.help(format!(
                        "did you mean `{m}`? Dovecot refuses to start with \"Unknown setting: {key}\""
                    )),
                    None => d.help(match version {
                        Dovecot::V23 => format!(
                            "Dovecot refuses to start with \"Unknown setting: {key}\"; a plugin's settings go in `plugin {{ }}`. For a setting of a settings plugin svcc does not know, silence this with `# svcc: disable=unknown-setting`"
                        ),
                        Dovecot::V24 => format!(
                            "Dovecot refuses to start with \"Unknown setting: {key}\" unless a plugin outside Dovecot's core (Pigeonhole's `sieve_*`, say) defines it; then silence this with `# svcc: disable=unknown-setting`"
                        ),
                    }),
                }
            }
            Unread::Setting(scope) => {
                let d = Diagnostic::error(
                    codes::UNKNOWN_SETTING,
                    format!("unknown setting `{key}` in {place}"),
                )
                .label(u.key_span, "not a setting of this block");
                let known = cat.scope(*scope).map(|d| d.name);
                match catalogue::suggest(key, known.clone()) {
                    Some(m) => d.help(format!(
                        "did you mean `{m}`? Dovecot refuses to start with \"Unknown setting: {key}\""
                    )),
                    None => d.help(format!(
                        "the settings of {place} are: {}",
                        known.collect::<Vec<_>>().join(", ")
                    )),
                }
            }
            Unread::Section(Scope::Service) => {
                let d = Diagnostic::error(
                    codes::UNKNOWN_SETTING,
                    format!("unknown section `{key}` in {place}"),
                )
                .label(u.key_span, "not a section of a service");
                let known = ["unix_listener", "fifo_listener", "inet_listener"];
                match catalogue::suggest(key, known) {
                    Some(m) => d.help(format!("did you mean `{m}`?")),
                    None => d.help("a service block holds settings and unix_listener, fifo_listener or inet_listener sections"),
                }
            }
            Unread::Section(Scope::Namespace) => Diagnostic::error(
                codes::UNKNOWN_SETTING,
                format!("unknown section `{key}` in {place}"),
            )
            .label(u.key_span, "not a section of a namespace")
            .help(format!("a namespace holds settings and `mailbox NAME {{ }}` sections; Dovecot refuses to start with \"Unknown setting: namespace {{ {key}\"")),
            Unread::Section(scope @ (Scope::UnixListener | Scope::FifoListener | Scope::InetListener)) => Diagnostic::error(
                codes::UNKNOWN_SETTING,
                format!("unknown section `{key}` in {place}"),
            )
            .label(u.key_span, "listeners hold settings only")
            .help(format!("close the `{}` with `}}` before starting another section", scope.keyword())),
            Unread::Section(scope) => Diagnostic::error(
                codes::UNKNOWN_SETTING,
                format!("unknown section `{key}` in {place}"),
            )
            .label(u.key_span, format!("a `{}` holds settings only", scope.keyword()))
            .help(format!("close the `{}` with `}}` before starting another section; Dovecot refuses to start with \"Unknown setting: {} {{ {key}\"", scope.keyword(), scope.keyword())),
            Unread::FilteredService {
                filter_outside,
                empty,
            } => filtered_service(version, key, place, u.key_span, *filter_outside, *empty),
            Unread::Obsolete(what) => {
                let at = if place.is_empty() {
                    String::new()
                } else {
                    format!(" in {place}")
                };
                Diagnostic::warning(
                    codes::OBSOLETE_SETTING,
                    format!("`{key}`{at} is obsolete: it {what}"),
                )
                .label(u.key_span, "an old setting Dovecot 2.3 rewrites")
                .help("write the new form: Dovecot 2.3 rewrites this with a warning (\"Obsolete setting\"), svcc's checks do not apply it, and Dovecot 2.4 refuses it as an unknown setting")
            }
            Unread::Renamed(r, value) => {
                let (right, other) = match version {
                    Dovecot::V24 => (r.new, Dovecot::V23),
                    Dovecot::V23 => (r.old, Dovecot::V24),
                };
                let value = rename_value(r, version, value);
                Diagnostic::error(
                    codes::RENAMED_SETTING,
                    format!("`{key}` is `{right}` in Dovecot {version}"),
                )
                .label(u.key_span, format!("the Dovecot {other} name"))
                .help(format!(
                    "write `{right} = {value}`; Dovecot {version} refuses `{key}` (\"Unknown setting: {key}\")"
                ))
            }
        };
        out.push(d);
    }
}

/// Dovecot 2.4's refusal of a `service` block inside a filter (any, oddly:
/// "listen can't be set empty"), or of a `local`/`remote` filter inside a
/// service; `None` where its `doveconf` accepts the block (all of 2.3, and
/// 2.4's `service { protocol { } }`).
fn refusal_24(version: Dovecot, key: &str, filter_outside: bool) -> Option<String> {
    match (version, filter_outside) {
        (Dovecot::V23, _) => None,
        (Dovecot::V24, true) => Some("listen can't be set empty".to_string()),
        (Dovecot::V24, false) if key != "protocol" => Some(format!(
            "service {{ {key} {{ .. }} }} not allowed (use {key} {{ service {{ .. }} }} instead)"
        )),
        (Dovecot::V24, false) => None,
    }
}

/// An error where Dovecot refuses the block, and (stricter than Dovecot) for
/// any block with something in it: its settings were meant to apply and
/// never do (2.3 ignores them, or checks them against the built-in service
/// and refuses; 2.4 reads those in `service { protocol x { } }` as values of
/// `protocol`). An empty block is a warning.
fn filtered_severity(version: Dovecot, key: &str, filter_outside: bool, empty: bool) -> Severity {
    if empty && refusal_24(version, key, filter_outside).is_none() {
        Severity::Warning
    } else {
        Severity::Error
    }
}

/// A `service` block inside a filter, or a filter inside a service block:
/// never applied as written (Dovecot's master reads services with no filter).
fn filtered_service(
    version: Dovecot,
    key: &str,
    place: &str,
    span: Span,
    filter_outside: bool,
    empty: bool,
) -> Diagnostic {
    let (message, label) = if filter_outside {
        (
            format!("a `service` block inside {place} never applies"),
            "a service inside a filter",
        )
    } else {
        (
            format!("a `{key}` filter inside {place} never applies"),
            "a filter inside a service",
        )
    };
    let move_it = "Dovecot's master reads service settings with no filter: put the settings in a top-level `service` block";
    let dovecot = match refusal_24(version, key, filter_outside) {
        Some(why) => format!("Dovecot {version} refuses the config with \"{why}\""),
        None if version == Dovecot::V24 => "Dovecot 2.4 reads each setting in it as `protocol = VALUE` (so `process_limit = 3` there makes the service's protocol `3`, which disables it)".to_string(),
        None if filter_outside => "Dovecot 2.3 checks the block against the built-in service of that name, refuses it for a service of this config, and never applies it".to_string(),
        None => format!("Dovecot 2.3 reads it as `{key} … {{ service … {{ … }} }}`, checks it against the built-in service of that name and never applies it"),
    };
    let help = format!("{move_it}. {dovecot}");
    match filtered_severity(version, key, filter_outside, empty) {
        Severity::Error => Diagnostic::error(codes::INVALID_FILTER, message),
        _ => Diagnostic::warning(codes::FILTERED_SERVICE, message),
    }
    .label(span, label)
    .help(help)
}
