//! One fixture config per check (`tests/data/checks/*.conf`), each with
//! snapshots of its human, short and json output.
//!
//! A fixture may start with `# svcc-test: somaxconn=N nofile=N` to pin the
//! host limits; otherwise both are large so host checks stay quiet.

use std::collections::BTreeSet;
use svcc_compiler::check::codes;
use svcc_compiler::report::{self, HumanOptions};
use svcc_compiler::{HostLimits, Options};

pub fn options_for(text: &str) -> Options {
    let mut host = HostLimits {
        somaxconn: Some(1 << 20),
        nofile: Some(1 << 20),
        managesieve: None,
        users: None,
    };
    if let Some(line) = text.lines().find_map(|l| l.strip_prefix("# svcc-test:")) {
        for kv in line.split_whitespace() {
            match kv.split_once('=') {
                Some(("somaxconn", v)) => host.somaxconn = v.parse().ok(),
                Some(("nofile", v)) => host.nofile = v.parse().ok(),
                // A host whose only users are root and Dovecot's own.
                Some(("users", "dovecot")) => {
                    host.users = Some(|n| matches!(n, "root" | "dovecot" | "dovenull"))
                }
                _ => panic!("bad svcc-test header: {kv}"),
            }
        }
    }
    Options {
        host,
        ..Options::default()
    }
}

pub fn fixtures() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir("tests/data/checks")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn every_fixture_matches_its_snapshots() {
    let mut seen = BTreeSet::new();
    for path in fixtures() {
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        let checked = svcc_compiler::check_path(&path, &options_for(&text)).unwrap();
        let map = &checked.doc.sources;
        let name = std::path::Path::new(&path)
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let (mut human, mut short, mut json) = (String::new(), String::new(), String::new());
        for d in &checked.diagnostics {
            seen.insert(d.code);
            let rendered = report::render_human(map, d, HumanOptions::default());
            human.push_str(&rendered);
            human.push('\n');
            short.push_str(&report::render_short(map, d));
            short.push('\n');
            json.push_str(&report::render_json(
                map,
                d,
                &rendered,
                checked.model.version.as_str(),
            ));
            json.push('\n');
        }
        assert!(
            !checked.diagnostics.is_empty(),
            "{path}: a fixture must produce a finding"
        );
        insta::assert_snapshot!(format!("{name}.human"), human);
        insta::assert_snapshot!(format!("{name}.short"), short);
        insta::assert_snapshot!(format!("{name}.json"), json);
    }
    // The limit check is exercised in `robustness` (it needs generated files),
    // unknown-executable, no-services and unsupported-setting (build-only
    // codes) in codegen's tests, the `svcc build` tests and the macro's
    // trybuild cases.
    let missing: Vec<&str> = codes::ALL
        .iter()
        .map(|c| c.code)
        .filter(|c| {
            !seen.contains(c)
                && *c != codes::LIMIT
                && *c != codes::UNKNOWN_EXECUTABLE
                && *c != codes::NO_SERVICES
                && *c != codes::UNSUPPORTED_SETTING
                // Certificate checks need generated certificates: `tls`.
                && *c != codes::SSL_KEY_MISMATCH
                && *c != codes::SSL_CERT_EXPIRED
                && *c != codes::SSL_CERT_EXPIRING
                && *c != codes::SSL_NAME_MISMATCH
                && *c != codes::SSL_IGNORED
        })
        .collect();
    assert!(missing.is_empty(), "codes without a fixture: {missing:?}");
}

#[test]
fn fixture_file_is_named_after_what_it_checks() {
    // Each code-named fixture reports its own code.
    for path in fixtures() {
        let stem = std::path::Path::new(&path)
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let Some(code) = codes::lookup(&stem) else {
            continue;
        };
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        let checked = svcc_compiler::check_path(&path, &options_for(&text)).unwrap();
        assert!(
            checked.diagnostics.iter().any(|d| d.code == code.code),
            "{path} does not report {}",
            code.code
        );
    }
}

#[test]
fn recovery_reports_every_independent_mistake() {
    let checked =
        svcc_compiler::check_path("tests/data/checks/recovery.conf", &Options::default()).unwrap();
    let codes: Vec<&str> = checked.diagnostics.iter().map(|d| d.code).collect();
    for want in [
        codes::INVALID_VALUE,
        codes::BLOCKING_CLIENT_LIMIT,
        codes::UNKNOWN_SETTING,
        codes::SYNTAX,
        codes::MIN_AVAIL_OVER_LIMIT,
        codes::UNEXPECTED_CLOSE,
        codes::INCLUDE_NOT_FOUND,
    ] {
        assert!(codes.contains(&want), "missing {want} in {codes:?}");
    }
    // In file order.
    let lines: Vec<usize> = checked
        .diagnostics
        .iter()
        .filter_map(|d| d.primary())
        .map(|s| checked.doc.sources.range(s).0.line)
        .collect();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted);
}

#[test]
fn backlog_is_advice_when_both_factors_are_defaults() {
    let text = std::fs::read_to_string("tests/data/checks/backlog-over-somaxconn.conf").unwrap();
    let checked = svcc_compiler::check_path(
        "tests/data/checks/backlog-over-somaxconn.conf",
        &options_for(&text),
    )
    .unwrap();
    let sev = |svc: &str| {
        checked
            .diagnostics
            .iter()
            .find(|d| {
                d.code == codes::BACKLOG_OVER_SOMAXCONN && d.message.contains(&format!("`{svc}`"))
            })
            .map(|d| d.severity)
    };
    assert_eq!(sev("echo"), Some(svcc_compiler::Severity::Warning));
    assert_eq!(sev("stock"), Some(svcc_compiler::Severity::Advice));
    // Both factors are labelled.
    let d = checked
        .diagnostics
        .iter()
        .find(|d| d.code == codes::BACKLOG_OVER_SOMAXCONN)
        .unwrap();
    assert_eq!(d.labels.len(), 2);
}

#[test]
fn real_world_constructs_are_accepted() {
    // Each of these once drew a false positive on a real Dovecot 2.3 config.
    let text = "protocols = imap sieve\n\
        passdb {\n  driver = passwd-file\n  args = scheme=CRYPT /etc/%{ domain }\n}\n\
        service imap-login {\n  name = imap-login\n  inet_listener imap {\n    name = imap\n  }\n  unix_listener foo {\n    path = bar\n  }\n}\n\
        service doveadm {\n  inet_listener {\n    port = 0\n  }\n}\n\
        login_greeting = $managesieve_logout_format $mail_cache_max_size $ENV:HOME\n\
        local 10.0.0.0/8 {\n  local 10.1.0.0/16 {\n    protocol imap {\n      mail_plugins = $mail_plugins quota\n    }\n  }\n}\n\
        plugin {\n  sieve = file:~/sieve;active=~/.dovecot.sieve\n}\n\
        namespace inbox {\n  mailbox \"Sent Messages\" {\n    special_use = \\Sent\n  }\n}\n";
    let checked = svcc_compiler::check_str("<real>", text, &Options::default());
    let found: Vec<String> = checked
        .diagnostics
        .iter()
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    assert!(found.is_empty(), "{found:#?}");
    // `path = bar` moved the socket.
    let login = checked
        .model
        .services
        .iter()
        .find(|s| s.name == "imap-login")
        .unwrap();
    assert!(login.listeners.iter().any(|l| l.name == "bar"));
}
