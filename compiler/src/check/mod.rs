//! The checks: each family in its own file, each finding a [`Diagnostic`]
//! with a code from [`codes`].
//!
//! The checker never stops at a finding: it returns every diagnostic.

pub mod codes;
mod globals;
mod host;
pub mod language;
mod limits;
mod listeners;
mod names;
mod settings;
mod tls;
pub mod unsupported;

use crate::model::{Globals, Model, Origin, Service, Val};
use crate::report::{Diagnostic, FileBudget};
use crate::syntax::Span;

/// The host the config will run on (`None`: do not check).
#[derive(Debug, Clone, Copy, Default)]
pub struct HostLimits {
    /// `net.core.somaxconn`.
    pub somaxconn: Option<u32>,
    /// The soft `RLIMIT_NOFILE`.
    pub nofile: Option<u64>,
    /// Whether Pigeonhole's managesieve is installed
    /// (`svcc_facts::managesieve_installed`); `None`: assume it is.
    pub managesieve: Option<bool>,
    /// Whether this host has a user of a name (its user database, as
    /// Dovecot's `getpwnam`); `None`: do not look users up.
    pub users: Option<fn(&str) -> bool>,
}

/// What the checks need beyond the model.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Host limits to check against.
    pub host: HostLimits,
    /// Handlers the build knows beyond the built-ins: (name, blocking).
    pub handlers: Vec<(String, bool)>,
    /// Also what only `svcc build` and `svcc::main!` care about: executables
    /// that name no handler, nothing to run, settings the binary would not
    /// honour.
    pub for_build: bool,
    /// Ignore `# svcc: disable=` comments (`--no-suppressions`).
    pub no_suppressions: bool,
    /// Check as this Dovecot version (`--dovecot`) instead of the config's
    /// own (`dovecot_config_version` or its absence).
    pub dovecot: Option<crate::model::catalogue::Dovecot>,
}

/// svcc's built-in handlers (`executable = NAME`); none blocks.
pub const BUILTIN_HANDLERS: &[&str] = &["echo", "discard", "banner", "http", "metrics", "peer"];

/// Runs every check over the model.
///
/// At most [`crate::syntax::MAX_DIAGNOSTICS_PER_FILE`] findings per file are
/// described (the rest counted in one `svcc::limit` error), and the ones
/// past that are dropped as they come, so a config of 300,000 conflicting
/// services costs no more memory than one of 1,000.
pub fn run(model: &Model, opts: &Options) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut budget = FileBudget::default();
    for svc in &model.services {
        let start = out.len();
        limits::check(svc, model, opts, &mut out);
        host::check(svc, &model.globals, opts, &mut out);
        settings::check(svc, opts, &mut out);
        admit(&mut out, start, &mut budget);
        if !svc.enabled(&model.globals) && !svc.protocol.value.is_empty() {
            let note = format!(
                "service `{}` is currently disabled: its protocol `{}` is not in `protocols`; this breaks the day it is enabled",
                svc.name, svc.protocol.value
            );
            for d in &mut out[start..] {
                d.notes.push(note.clone());
            }
        }
    }
    // Built-in services the config does not mention: only what the config
    // caused (a `default_*` it set), so a stock config stays quiet; one
    // finding per code, naming every service it applies to (as Dovecot's
    // single "because of default_client_limit" warning).
    let g = &model.globals;
    let mut implicit: Vec<(Diagnostic, Vec<String>)> = Vec::new();
    for svc in model.implicit.iter().filter(|s| s.enabled(g)) {
        let mut found = Vec::new();
        limits::inherited(svc, model, &mut found);
        if svc.configured_client_limit(g).origin.is_config()
            || svc.eff_process_limit(g).origin.is_config()
        {
            let mut host_found = Vec::new();
            host::check(svc, g, opts, &mut host_found);
            found.extend(
                host_found
                    .into_iter()
                    .filter(|d| d.severity == crate::Severity::Warning),
            );
        }
        for d in found {
            match implicit.iter_mut().find(|(first, _)| first.code == d.code) {
                Some((_, more)) => more.push(svc.name.clone()),
                None => implicit.push((d, Vec::new())),
            }
        }
    }
    for (mut d, more) in implicit {
        if !more.is_empty() {
            d.notes.push(format!(
                "the same applies to Dovecot's built-in services {}",
                more.join(", ")
            ));
        }
        out.push(d);
    }
    listeners::check(model, &mut out, &mut budget);
    names::check(model, &mut out, &mut budget);
    let start = out.len();
    globals::check(model, &mut out);
    host::plugins(model, opts, &mut out);
    host::users(model, opts, &mut out);
    tls::check(model, &mut out);
    admit(&mut out, start, &mut budget);
    budget.finish(&mut out);
    out
}

/// Keeps those of `out[start..]` that `budget` admits (by primary span).
fn admit(out: &mut Vec<Diagnostic>, start: usize, budget: &mut FileBudget) {
    let new: Vec<Diagnostic> = out.drain(start..).collect();
    out.extend(
        new.into_iter()
            .filter(|d| d.primary().is_none_or(|at| budget.admit_as(at, d.severity))),
    );
}

/// Whether a service is blocking: `blocking = yes|no` when set, else a
/// built-in blocking service's default, else whether its handler blocks.
pub fn is_blocking(svc: &Service, opts: &Options) -> bool {
    if svc.blocking.origin.is_config() {
        return svc.blocking.value;
    }
    svc.blocking.value
        || opts
            .handlers
            .iter()
            .any(|(n, b)| *b && *n == svc.executable.value)
}

/// Labels a value: where it is set, or (for a default) the service header.
fn label_val<T: std::fmt::Display>(
    d: Diagnostic,
    svc: &Service,
    key: &str,
    v: &Val<T>,
    g: &Globals,
) -> Diagnostic {
    match v.origin {
        Origin::Config { .. } => {
            let span = v.origin.span().expect("config origin has a span");
            // A default_* global set in the config.
            let via = global_name(g, span)
                .map(|n| format!(" (through `{n}`)"))
                .unwrap_or_default();
            d.label(span, format!("{key} = {}{via}", v.value))
        }
        Origin::Builtin => match svc.anchor() {
            Some(h) => d.label(
                h,
                format!("{key} = {} (Dovecot's default for this service)", v.value),
            ),
            None => d,
        },
        Origin::Default => match svc.anchor() {
            Some(h) => d.label(h, format!("{key} = {} (Dovecot's default)", v.value)),
            None => d,
        },
    }
}

fn global_name(g: &Globals, span: Span) -> Option<&'static str> {
    let is = |o: &Origin| o.span() == Some(span);
    if is(&g.default_process_limit.origin) {
        Some("default_process_limit")
    } else if is(&g.default_client_limit.origin) {
        Some("default_client_limit")
    } else {
        None
    }
}

pub use limits::blocking_client_limit;
