//! `docs/settings.md`: every setting svcc knows, for both Dovecot
//! versions, generated from the catalogue (a test keeps the file in step:
//! `SVCC_BLESS=1 cargo test -p svcc-compiler --test it docs`).

use std::fmt::Write;

use super::catalogue::{self, Runtime, Scope, SettingDef};

/// The whole page.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Settings\n\n\
         Every setting svcc knows, for Dovecot 2.3 and 2.4. Generated from \
         `compiler/src/model/catalogue.rs` and `compiler/data/` (the setting \
         names of each version's own `doveconf`); do not edit: \
         `SVCC_BLESS=1 cargo test -p svcc-compiler --test it docs` \
         regenerates it.\n\n\
         The last column says what a tailored binary (`svcc build`, \
         `svcc::main!`) does with a setting: it honours it, takes it from the \
         block's header, or refuses any value but the one that asks for \
         nothing (`svcc::unsupported-setting`), saying what to do instead. \
         `svcc check` checks a config for Dovecot and refuses none of them.\n",
    );
    table(
        &mut out,
        "`service` blocks",
        Some(Scope::Service),
        catalogue::SERVICE_SETTINGS,
    );
    table(
        &mut out,
        "`unix_listener` and `fifo_listener` blocks",
        None,
        catalogue::UNIX_LISTENER_SETTINGS,
    );
    table(
        &mut out,
        "`inet_listener` blocks",
        Some(Scope::InetListener),
        catalogue::INET_LISTENER_SETTINGS,
    );
    out.push_str(
        "\n## Global settings a tailored binary honours\n\n\
         Every other global Dovecot setting is checked by `svcc check` \
         (a known name, a well-formed value) and refused by `svcc build` \
         unless another value refers to it as `$name`.\n\n\
         | setting | what it does in a tailored binary |\n|---|---|\n",
    );
    for (name, what) in catalogue::HONOURED_GLOBALS {
        let _ = writeln!(out, "| `{name}` | {} |", cell(what));
    }
    out.push_str("\n## Renamed in Dovecot 2.4\n\n| 2.3 | 2.4 | where |\n|---|---|---|\n");
    for r in catalogue::RENAMED {
        let note = if r.file {
            " (2.3's `<file` becomes the path itself)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "| `{}` | `{}` | {}{note} |",
            r.old,
            r.new,
            scope_name(r.scope)
        );
    }
    out.push_str(
        "\n## A service's `settings { }` section\n\n\
         svcc's own: the keys of the service's handler (a handler of yours \
         declares them with `WithSettings`). The built-in handlers take:\n\n\
         | handler | keys |\n|---|---|\n",
    );
    for h in crate::check::BUILTIN_HANDLERS {
        let keys = svcc_facts::builtin_handler_settings(h);
        let keys = if keys.is_empty() {
            "none".to_string()
        } else {
            keys.iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(out, "| `{h}` | {keys} |");
    }
    let mut names23: Vec<&str> = catalogue::dovecot_setting_names().collect();
    names23.sort_unstable();
    names(&mut out, "Dovecot 2.3's global setting names", &names23);
    names(
        &mut out,
        "Dovecot 2.4's top-level setting names",
        &catalogue::dovecot24_setting_names(),
    );
    out
}

fn scope_name(s: Scope) -> &'static str {
    match s {
        Scope::Global => "global",
        Scope::Service => "`service`",
        Scope::InetListener => "`inet_listener`",
    }
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// `scope`: where 2.4's renames are looked up (`None`: none apply).
fn table(out: &mut String, title: &str, scope: Option<Scope>, defs: &[SettingDef]) {
    let _ = write!(
        out,
        "\n## {title}\n\n| setting | 2.4 name | type | meaning | in a tailored binary |\n|---|---|---|---|---|\n"
    );
    for d in defs {
        let new = match scope.and_then(|sc| catalogue::renamed(sc, d.name)) {
            Some(r) if r.old == d.name => format!("`{}`", r.new),
            _ => "same".to_string(),
        };
        let runtime = match d.runtime {
            Runtime::Honoured => "honoured".to_string(),
            Runtime::FromHeader => "from the block's header".to_string(),
            Runtime::Refused { off, instead } => {
                let off = if off.is_empty() { "empty" } else { off };
                format!("refused unless {off}: {}", cell(instead))
            }
        };
        let _ = writeln!(
            out,
            "| `{}` | {new} | {} | {} | {runtime} |",
            d.name,
            d.kind.name(),
            cell(d.doc)
        );
    }
}

fn names(out: &mut String, title: &str, list: &[&str]) {
    let _ = write!(
        out,
        "\n## {title}\n\n{} names (`svcc check` knows each; \"did you mean\" \
         suggests from them):\n\n",
        list.len()
    );
    let quoted: Vec<String> = list.iter().map(|n| format!("`{n}`")).collect();
    out.push_str(&quoted.join(", "));
    out.push('\n');
}
