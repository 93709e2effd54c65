//! The settings catalogue: one table per Dovecot version, derived from its
//! own `doveconf`, and svcc's facts laid over them.

use svcc_compiler::model::catalogue::{
    self, Catalogue, Dovecot, Kind, Runtime, Scope, TABLE_23, TABLE_SVCC,
};

/// The committed tables are what each version's `doveconf` says today
/// (2.3: the installed dovecot-core; 2.4: tools/dovecot24).
#[test]
fn tables_are_what_each_doveconf_says() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/data/regen-settings.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg("--check")
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Each row of svcc's table speaks of a setting one of the versions has
/// (or is svcc's own, with a type): a misspelt row would silently apply to
/// nothing.
#[test]
fn every_svcc_row_names_a_setting() {
    for line in TABLE_SVCC
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let cols: Vec<&str> = line.split('\t').collect();
        assert!(cols.len() >= 7, "a row has 7 columns: {line:?}");
        let scope = Scope::parse(cols[0]).unwrap_or_else(|| panic!("scope of {line:?}"));
        let found = [Dovecot::V23, Dovecot::V24].into_iter().any(|v| {
            let cat = catalogue::catalogue(v);
            cat.get(scope, cols[1]).is_some() || cat.by_model_name(scope, cols[1]).is_some()
        });
        assert!(found, "no version has `{}` in {}", cols[1], cols[0]);
    }
}

/// What a tailored binary does is decided for every setting of a block, in
/// both versions (a global is refused unless honoured or referred to).
#[test]
fn every_block_setting_has_a_treatment() {
    for v in [Dovecot::V23, Dovecot::V24] {
        for scope in [
            Scope::Service,
            Scope::UnixListener,
            Scope::FifoListener,
            Scope::InetListener,
        ] {
            for d in catalogue::catalogue(v).scope(scope) {
                assert_ne!(
                    d.runtime,
                    Runtime::Ignored,
                    "Dovecot {v}: `{}` in {} has no row in svcc-settings.tsv",
                    d.name,
                    scope.keyword()
                );
            }
        }
    }
}

/// A setting is one row: its type, default and meaning come from it, and
/// svcc's facts find it by its 2.3 name in 2.4's table.
#[test]
fn a_setting_is_one_row() {
    let table: &'static str = Box::leak(
        format!("{TABLE_23}service\tnew_limit\tuint\t7\t\tthe newest limit\n").into_boxed_str(),
    );
    let cat = Catalogue::new(table, TABLE_SVCC);
    let d = cat
        .get(Scope::Service, "new_limit")
        .expect("the row is read");
    assert_eq!(
        (d.kind, d.default, d.doc, d.svcc),
        (Kind::Uint, "7", "the newest limit", false)
    );
    // Not in svcc's table: the tailored binary's treatment is undecided.
    assert_eq!(d.runtime, Runtime::Ignored);

    let v24 = catalogue::catalogue(Dovecot::V24);
    let d = v24
        .by_model_name(Scope::Service, "service_count")
        .expect("2.4 has service_count's successor");
    assert_eq!(
        (d.name, d.replaces),
        ("restart_request_count", Some("service_count"))
    );
    assert_eq!(
        d.runtime,
        Runtime::Honoured,
        "svcc's row by the 2.3 name applies"
    );
    let d = v24.get(Scope::Global, "ssl_server_cert_file").unwrap();
    assert!(d.file, "2.3's `<file` value form is recorded");
    // svcc's own settings are in both versions, with their type and default.
    for v in [Dovecot::V23, Dovecot::V24] {
        let d = catalogue::catalogue(v)
            .get(Scope::Service, "linger_timeout")
            .unwrap();
        assert_eq!((d.kind, d.default, d.svcc), (Kind::Time, "30 secs", true));
    }
    // Dovecot's own meaning, from its stock conf.d.
    let d = catalogue::catalogue(Dovecot::V23)
        .get(Scope::Global, "default_vsz_limit")
        .unwrap();
    assert!(d.doc.contains("VSZ"), "{:?}", d.doc);
}

/// What a config of this version starts with.
fn first_lines(v: Dovecot) -> &'static str {
    match v {
        Dovecot::V23 => "",
        Dovecot::V24 => "dovecot_config_version = 2.4.0\ndovecot_storage_version = 2.4.0\n",
    }
}

/// Every setting a block sets is in `svcc config`, under the config's
/// version's name, with its value as its row types it and the line it came
/// from: a row needs no printer code to be shown.
#[test]
fn svcc_config_shows_every_block_setting_a_config_sets() {
    for v in [Dovecot::V23, Dovecot::V24] {
        let head = first_lines(v);
        let lead = head.lines().count();
        for scope in [
            Scope::Service,
            Scope::UnixListener,
            Scope::FifoListener,
            Scope::InetListener,
        ] {
            for d in catalogue::catalogue(v).scope(scope) {
                // The section's own name, and 2.4's nested filters.
                if matches!(d.name, "name" | "path")
                    || matches!(d.kind, Kind::Section | Kind::StrList)
                {
                    continue;
                }
                let (written, shown) = match d.kind {
                    Kind::Uint => ("3", "3"),
                    Kind::Size => ("3M", "3M"),
                    Kind::Time | Kind::Msecs => ("3 secs", "3 secs"),
                    Kind::Bool => ("yes", "yes"),
                    Kind::Mode => ("0640", "0640"),
                    Kind::Port => ("1234", "1234"),
                    Kind::Text | Kind::Section | Kind::StrList | Kind::BoolList => ("x1", "x1"),
                    Kind::EventFilter => ("event=x1", "event=x1"),
                    Kind::Enum(_) | Kind::Words { .. } => {
                        let w = d.kind.values().last().unwrap_or_default();
                        (w, w)
                    }
                };
                let (conf, line) = match scope {
                    Scope::Service => (
                        format!("{head}service probe {{\n  {} = {written}\n}}\n", d.name),
                        lead + 2,
                    ),
                    _ => (
                        format!(
                            "{head}service probe {{\n  {} l {{\n    {} = {written}\n  }}\n}}\n",
                            scope.keyword(),
                            d.name
                        ),
                        lead + 3,
                    ),
                };
                let checked = svcc_compiler::check_str("t.conf", &conf, &Default::default());
                let printed =
                    svcc_compiler::model::print::render(&checked.model, &checked.doc.sources);
                let found = printed.lines().any(|l| {
                    l.trim_start().starts_with(&format!("{} = {shown}", d.name))
                        && l.ends_with(&format!("# t.conf:{line}"))
                });
                assert!(
                    found,
                    "Dovecot {v}: `{}` is not shown:\n{conf}\n{printed}",
                    d.name
                );
            }
        }
    }
}

/// Every setting of each version's table is known outside service blocks,
/// at the top level and in a `protocol` filter, and its default as that
/// version's `doveconf` prints it reads as the row's type; one letter
/// more is an unknown setting, and a value of another type is refused.
#[test]
fn every_global_setting_is_known_and_its_default_reads_as_its_type() {
    for v in [Dovecot::V23, Dovecot::V24] {
        let head = first_lines(v);
        let mut conf = String::from(head);
        let mut filter = String::from("protocol imap {\n");
        let mut wrong = String::from(head);
        let mut misspelt = String::from(head);
        let mut rows = 0;
        for d in catalogue::catalogue(v).scope(Scope::Global) {
            if d.name.starts_with("dovecot_") || matches!(d.kind, Kind::Section | Kind::StrList) {
                continue;
            }
            rows += 1;
            // (A hidden setting's row has a type and no default to read.)
            if !d.default.is_empty() || d.kind == Kind::Text {
                let line = format!("{} = {}\n", d.name, d.default);
                conf.push_str(&line);
                filter.push_str(&format!("  {line}"));
            }
            // (A list takes any word, but no quote inside one.)
            match d.kind {
                Kind::Text => {}
                Kind::BoolList => wrong.push_str(&format!("{} = 3x\"\n", d.name)),
                _ => wrong.push_str(&format!("{} = 3x\n", d.name)),
            }
            misspelt.push_str(&format!("{}q = 1\n", d.name));
        }
        conf.push_str(&filter);
        conf.push_str("}\n");
        let codes_of = |text: &str| -> Vec<(String, String)> {
            // (Fewer rows than the 1,000 findings a file may have.)
            svcc_compiler::check_str("t.conf", text, &Default::default())
                .diagnostics
                .iter()
                .map(|d| (d.code.to_string(), d.message.clone()))
                .collect()
        };
        let bad: Vec<_> = codes_of(&conf)
            .into_iter()
            .filter(|(c, _)| c == "svcc::unknown-setting" || c == "svcc::invalid-value")
            .collect();
        assert!(bad.is_empty(), "Dovecot {v}: {bad:#?}");
        let count =
            |text: &str, code: &str| codes_of(text).iter().filter(|(c, _)| c == code).count();
        let typed = wrong.lines().count() - head.lines().count();
        assert_eq!(count(&wrong, "svcc::invalid-value"), typed, "Dovecot {v}");
        assert_eq!(
            count(&misspelt, "svcc::unknown-setting"),
            rows,
            "Dovecot {v}"
        );
    }
}

/// For `svcc build` a misspelt global is one finding (the unknown name),
/// not also a setting the binary would ignore; a known setting it ignores
/// (2.3's `plugin/KEY` too) is still refused.
#[test]
fn a_build_reports_an_unknown_global_once() {
    let opts = svcc_compiler::Options {
        for_build: true,
        ..Default::default()
    };
    let text = "mail_locaton = x\nmail_location = x\nplugin/quota = maildir\n";
    let found: Vec<(u32, String)> = svcc_compiler::check_str("t.conf", text, &opts)
        .diagnostics
        .iter()
        .filter(|d| d.severity == svcc_compiler::Severity::Error && d.code != "svcc::no-services")
        .map(|d| {
            (
                d.labels.first().map_or(0, |l| l.span.start),
                d.code.to_string(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (0, "svcc::unknown-setting".to_string()),
            (17, "svcc::unsupported-setting".to_string()),
            (35, "svcc::unsupported-setting".to_string()),
        ],
    );
}
