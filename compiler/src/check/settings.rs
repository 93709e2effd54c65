//! A service's `settings { }` section against its built-in handler: keys
//! the handler does not take, and values it cannot read
//! (`svcc::handler-setting`). A handler given to `svcc::main!` is checked
//! by the generated code (its `WithSettings::FIELDS`, at compile time) and
//! by the binary; a handler svcc does not know is left alone.

use super::{codes, Options};
use crate::model::{catalogue, value, Service, SettingsValue};
use crate::report::Diagnostic;

/// Checks `svc`'s `settings` section.
pub(super) fn check(svc: &Service, opts: &Options, out: &mut Vec<Diagnostic>) {
    if svc.settings.header.is_none() {
        return;
    }
    let exe = svc.executable.value.split_whitespace().next().unwrap_or("");
    let builtin = super::BUILTIN_HANDLERS.contains(&exe);
    if !builtin || opts.handlers.iter().any(|(n, _)| n == exe) {
        return;
    }
    let fields = svcc_facts::builtin_handler_settings(exe);
    for e in &svc.settings.entries {
        if !fields.contains(&e.key.as_str()) {
            let d = Diagnostic::error(
                codes::HANDLER_SETTING,
                format!(
                    "service `{}`: handler `{exe}` has no setting `{}`",
                    svc.name, e.key
                ),
            )
            .label(e.key_span, "not a setting of this handler");
            let help = match catalogue::suggest(&e.key, fields.iter().copied()) {
                Some(m) => format!("did you mean `{m}`?"),
                None if fields.is_empty() => {
                    format!("the built-in `{exe}` handler takes no settings: remove the `settings` section")
                }
                None => format!("`{exe}` takes: {}", fields.join(", ")),
            };
            out.push(d.help(help));
            continue;
        }
        let bad = match (&e.value, e.key.as_str()) {
            (SettingsValue::Section(_), _) => Some("a value, not a section".to_string()),
            (SettingsValue::Text(v, _), "max_body") => value::size(v)
                .err()
                .map(|_| "a size (bytes, or with a unit: 64k, 1M)".to_string()),
            _ => None,
        };
        if let Some(want) = bad {
            let span = match &e.value {
                SettingsValue::Text(_, s) => *s,
                SettingsValue::Section(_) => e.key_span,
            };
            out.push(
                Diagnostic::error(
                    codes::HANDLER_SETTING,
                    format!("service `{}`: `{}` must be {want}", svc.name, e.key),
                )
                .label(span, "not readable as that"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::check::codes;

    fn codes_of(conf: &str, handlers: &[&str]) -> Vec<(String, String)> {
        let opts = crate::Options {
            handlers: handlers.iter().map(|h| (h.to_string(), false)).collect(),
            ..Default::default()
        };
        let c = crate::check_str("t.conf", conf, &opts);
        c.diagnostics
            .iter()
            .filter(|d| d.code == codes::HANDLER_SETTING)
            .map(|d| {
                (
                    d.message.clone(),
                    c.doc.sources.text(d.primary().unwrap()).to_string(),
                )
            })
            .collect()
    }

    const CONF: &str = "service b {\n  executable = banner\n  settings {\n    greting = hi\n  }\n}\nservice h {\n  executable = http\n  settings {\n    max_body = 2M\n  }\n}\nservice e {\n  executable = echo\n  settings {\n    x = 1\n  }\n}\nservice mine {\n  executable = custom\n  settings {\n    whatever = 1\n  }\n}\n";

    #[test]
    fn built_in_handlers_keys_are_checked_at_the_key() {
        let got = codes_of(CONF, &[]);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].1, "greting");
        assert!(got[0]
            .0
            .contains("handler `banner` has no setting `greting`"));
        assert_eq!(got[1].1, "x");
    }

    #[test]
    fn a_handler_given_to_the_macro_keeps_its_settings() {
        // A handler of the user's named `banner` replaces the built-in: its
        // keys are checked at compile time, against its own type.
        let got = codes_of(CONF, &["banner", "custom"]);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].1, "x");
    }

    #[test]
    fn values_are_typed_for_built_ins() {
        let got = codes_of(
            "service h {\n  executable = http\n  settings {\n    max_body = lots\n  }\n}\n",
            &[],
        );
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].1, "lots");
    }

    #[test]
    fn svcc_config_shows_the_section() {
        let c = crate::check_str("t.conf", CONF, &crate::Options::default());
        let text = crate::model::print::render(&c.model, &c.doc.sources);
        assert!(text.contains("  settings {"), "{text}");
        assert!(text.contains("    max_body = 2M"), "{text}");
    }
}
