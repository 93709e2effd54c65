//! Dovecot 2.4 side by side with 2.3: the version is the config's
//! (`dovecot_config_version`) or forced; 2.4's spellings feed the same model
//! and checks; the other version's spellings are named with their rewrite.
//! Tests that ask Dovecot 2.4 itself run `tools/dovecot24` (which `.ci/run`
//! prepares); outside CI they skip when it cannot run.

use std::path::{Path, PathBuf};
use std::process::Command;
use svcc_compiler::check::codes;
use svcc_compiler::{Dovecot, HostLimits, Options, Severity};

fn opts(dovecot: Option<Dovecot>) -> Options {
    Options {
        host: HostLimits {
            somaxconn: Some(4096),
            nofile: Some(65536),
            managesieve: None,
            users: None,
        },
        dovecot,
        ..Options::default()
    }
}

fn check(text: &str, dovecot: Option<Dovecot>) -> svcc_compiler::Checked {
    svcc_compiler::check_str("test.conf", text, &opts(dovecot))
}

fn problems(c: &svcc_compiler::Checked) -> Vec<String> {
    c.diagnostics
        .iter()
        .filter(|d| d.severity >= Severity::Warning)
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect()
}

/// The unpacked Dovecot 2.4 tree, or `None` (skip) outside CI.
fn dovecot24_root() -> Option<PathBuf> {
    let out = Command::new("bash")
        .arg("../tools/dovecot24")
        .arg("root")
        .output()
        .ok()
        .filter(|o| o.status.success());
    match out {
        Some(o) => Some(PathBuf::from(String::from_utf8_lossy(&o.stdout).trim())),
        None => {
            assert!(
                std::env::var_os("CI").is_none(),
                "tools/dovecot24 root failed"
            );
            eprintln!("skipping: tools/dovecot24 cannot run here");
            None
        }
    }
}

/// Dovecot 2.4's `doveconf -n` on a config: Ok(stdout) or Err(stderr).
fn doveconf24(path: &Path) -> Result<String, String> {
    let o = Command::new("bash")
        .arg("../tools/dovecot24")
        .args(["doveconf", "-n", "-c"])
        .arg(path)
        .output()
        .unwrap();
    if o.status.success() {
        Ok(String::from_utf8_lossy(&o.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&o.stderr).into_owned())
    }
}

const V24: &str = "dovecot_config_version = 2.4.0\ndovecot_storage_version = 2.4.0\n";

#[test]
fn the_version_comes_from_dovecot_config_version_or_the_flag() {
    assert_eq!(
        check("protocols = imap\n", None).model.version,
        Dovecot::V23
    );
    let c = check(&format!("{V24}protocols = imap\n"), None);
    assert_eq!(c.model.version, Dovecot::V24);
    assert!(problems(&c).is_empty(), "{:#?}", problems(&c));
    // Forced 2.4 on a config without it: Dovecot 2.4's own refusal.
    let c = check("protocols = imap\n", Some(Dovecot::V24));
    assert_eq!(c.model.version, Dovecot::V24);
    let d = c
        .diagnostics
        .iter()
        .find(|d| d.code == codes::CONFIG_VERSION)
        .expect("config-version");
    assert_eq!(
        d.message,
        "The first setting must be dovecot_config_version"
    );
    // Forced 2.3 on a 2.4 config: 2.3 knows no dovecot_config_version.
    let c = check(V24, Some(Dovecot::V23));
    assert_eq!(c.model.version, Dovecot::V23);
    assert!(c
        .diagnostics
        .iter()
        .any(|d| d.code == codes::CONFIG_VERSION));
}

#[test]
fn a_blocking_service_with_client_limit_over_1_is_caught_in_24() {
    let c = check(
        &format!("{V24}protocols = imap\nservice imap {{\n  client_limit = 10\n}}\n"),
        None,
    );
    assert!(
        c.diagnostics
            .iter()
            .any(|d| d.code == codes::BLOCKING_CLIENT_LIMIT),
        "{:#?}",
        problems(&c)
    );
    // Named as 2.4 names them.
    let c = check(
        &format!("{V24}protocols = imap\nservice imap {{\n  client_limit = 10\n  restart_request_count = 1\n}}\nservice imap-login {{\n  client_limit = 10\n}}\n"),
        None,
    );
    let text: Vec<String> = c.diagnostics.iter().map(|d| d.full_message()).collect();
    assert!(
        text.iter().any(|t| t.contains("restart_request_count = 1 caps it to 1 for now, but the stall returns as soon as restart_request_count is raised or unlimited")),
        "{text:#?}"
    );
    let capped = c
        .diagnostics
        .iter()
        .find(|d| d.code == codes::CLIENT_LIMIT_CAPPED)
        .expect("imap-login's built-in restart_request_count = 1 caps client_limit");
    assert!(
        capped.message.contains("restart_request_count 1 caps it")
            && capped
                .help
                .as_deref()
                .unwrap()
                .contains("`restart_request_count = unlimited`"),
        "{capped:?}"
    );
    assert!(
        text.iter().all(|t| !t.contains("service_count")),
        "{text:#?}"
    );
}

const LANGUAGE_24: &str = "\
protocols = imap
protocols {
  pop3 = yes
}
default_idle_kill_interval = 2 mins
mail_home = /home/%{user | username}
ssl = yes
ssl_server_cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem
ssl_server_prefer_ciphers = server
service imap-login {
  restart_request_count = unlimited
  idle_kill_interval = infinite
  process_min_avail = 2
  imap_capability {
    IDLE = yes
  }
  inet_listener imap {
    listen = 127.0.0.1
    port = 10143
  }
}
service imap {
  client_limit = 1
  restart_request_count = 100
  user = $SET:default_internal_user
}
group @staff admins {
  mail_max_userip_connections = 20
}
passdb sql {
  sql_query = SELECT 1 FROM users WHERE user = '%{user | username}'
}
imap_id_send {
  name = Dovecot
}
mail_plugins {
  quota = yes
}
protocol imap {
  mail_plugins {
    imap_quota = yes
  }
}
local 127.0.0.1 {
  ssl_server_cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem
}
service auth {
  unix_listener auth-extra {
    type = userdb
    mode = 0600
  }
}
";

#[test]
fn the_24_language_feeds_the_same_model() {
    let c = check(&format!("{V24}{LANGUAGE_24}"), None);
    assert!(
        !c.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error && !d.code.starts_with("svcc::ssl-")),
        "{:#?}",
        problems(&c)
    );
    let m = &c.model;
    assert_eq!(m.globals.protocols.value, ["imap", "pop3"]);
    assert_eq!(m.globals.default_idle_kill.value, 120_000);
    let cert = m.tls.global.cert.as_ref().expect("ssl_server_cert_file");
    assert!(cert.is_file);
    assert_eq!(cert.path, "/etc/ssl/certs/ssl-cert-snakeoil.pem");
    assert!(m.tls.prefer_server_ciphers.value);
    let login = m.services.iter().find(|s| s.name == "imap-login").unwrap();
    assert_eq!(login.service_count.value, 0, "unlimited");
    assert_eq!(login.eff_idle_kill(&m.globals), None, "infinite");
    assert_eq!(login.eff_client_limit(&m.globals), 1000);
    let imap = login.listeners.iter().find(|l| l.name == "imap").unwrap();
    assert_eq!(imap.addresses(&m.globals), ["127.0.0.1"]);
    assert_eq!(m.tls.locals.len(), 1, "local {{ ssl_server_cert_file }}");
    let imap_svc = m.services.iter().find(|s| s.name == "imap").unwrap();
    assert!(
        imap_svc.blocking.value,
        "2.4's imap is built in and blocking"
    );
    assert_eq!(imap_svc.service_count.value, 100);
    // The same settings under 2.3 are the other version's names.
    let c = check(LANGUAGE_24, Some(Dovecot::V23));
    let renamed: Vec<&str> = c
        .diagnostics
        .iter()
        .filter(|d| d.code == codes::RENAMED_SETTING)
        .map(|d| d.message.as_str())
        .collect();
    assert!(
        c.diagnostics
            .iter()
            .any(|d| d.code == codes::CONFIG_VERSION && d.message.contains("group @LABEL NAME")),
        "{:#?}",
        problems(&c)
    );
    for msg in [
        "`restart_request_count` is `service_count` in Dovecot 2.3",
        "`idle_kill_interval` is `idle_kill` in Dovecot 2.3",
        "`listen` is `address` in Dovecot 2.3",
        "`ssl_server_cert_file` is `ssl_cert` in Dovecot 2.3",
        "`default_idle_kill_interval` is `default_idle_kill` in Dovecot 2.3",
    ] {
        assert!(renamed.contains(&msg), "{msg} not in {renamed:#?}");
    }
}

#[test]
fn a_23_name_in_a_24_config_names_the_rewrite() {
    let c = check(
        &format!("{V24}ssl_cert = </etc/x.pem\nservice imap {{\n  service_count = 5\n}}\n"),
        None,
    );
    let d: Vec<_> = c
        .diagnostics
        .iter()
        .filter(|d| d.code == codes::RENAMED_SETTING)
        .collect();
    assert_eq!(d.len(), 2, "{:#?}", problems(&c));
    assert!(d[0]
        .help
        .as_deref()
        .unwrap()
        .contains("write `ssl_server_cert_file = /etc/x.pem`"));
    assert!(d[1]
        .help
        .as_deref()
        .unwrap()
        .contains("write `restart_request_count = 5`"));
    // The value still counts: the other checks see it.
    let imap = c.model.services.iter().find(|s| s.name == "imap").unwrap();
    assert_eq!(imap.service_count.value, 5);
}

#[test]
fn dovecot_24_accepts_what_svcc_accepts_as_24() {
    let Some(_) = dovecot24_root() else { return };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dovecot.conf");
    // Dovecot checks the certificate's presence: the language only.
    let text = format!("{V24}{LANGUAGE_24}").replace("ssl = yes\n", "ssl = no\n");
    std::fs::write(&path, &text).unwrap();
    if let Err(e) = doveconf24(&path) {
        panic!("doveconf 2.4 refused:\n{e}");
    }
    // And refuses what svcc reports as a 2.3 name.
    std::fs::write(
        &path,
        format!("{V24}service imap {{\n  service_count = 5\n}}\n"),
    )
    .unwrap();
    let e = doveconf24(&path).unwrap_err();
    assert!(e.contains("Unknown setting: service_count"), "{e}");
    std::fs::write(&path, "protocols = imap\n").unwrap();
    let e = doveconf24(&path).unwrap_err();
    assert!(
        e.contains("The first setting must be dovecot_config_version"),
        "{e}"
    );
}

#[test]
fn debian_13_stock_config_checks_clean_as_24() {
    let Some(root) = dovecot24_root() else { return };
    let dir = tempfile::tempdir().unwrap();
    let stock = root.join("usr/share/dovecot");
    let copy = dir.path().join("dovecot");
    let st = Command::new("cp")
        .arg("-a")
        .arg(&stock)
        .arg(&copy)
        .status()
        .unwrap();
    assert!(st.success());
    // The protocols.d the stock config includes is the copy's, holding
    // what Debian 13's dovecot-imapd, -pop3d and -lmtpd add (2.4's
    // boollist), so the login services and their TLS listeners run.
    let conf = copy.join("dovecot.conf");
    let text = std::fs::read_to_string(&conf).unwrap().replace(
        "/usr/share/dovecot/protocols.d",
        &copy.join("protocols.d").to_string_lossy(),
    );
    std::fs::write(&conf, text).unwrap();
    for p in ["imap", "pop3", "lmtp"] {
        std::fs::write(
            copy.join(format!("protocols.d/{p}d.protocol")),
            format!("protocols {{\n  {p} = yes\n}}\n"),
        )
        .unwrap();
    }
    if let Err(e) = doveconf24(&conf) {
        panic!("doveconf 2.4 refused the stock tree:\n{e}");
    }
    let checked = svcc_compiler::check_path(conf.to_str().unwrap(), &opts(None)).unwrap();
    assert_eq!(checked.model.version, Dovecot::V24);
    assert!(checked.doc.sources.files().count() > 10, "conf.d not read");
    let bad: Vec<_> = problems(&checked)
        .into_iter()
        // The certificate Debian's package generates at install time.
        .filter(|p| !p.starts_with("svcc::ssl-file"))
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
    let m = &checked.model;
    assert_eq!(m.globals.protocols.value, ["imap", "lmtp", "pop3"]);
    let cert = m.tls.global.cert.as_ref().expect("ssl_server_cert_file");
    assert_eq!(cert.path, "/etc/dovecot/private/dovecot.pem");
    assert!(m.tls.global.key.is_some(), "ssl_server_key_file");
    // Under 2.3 rules the same tree is refused (its 2.4 names).
    let as23 =
        svcc_compiler::check_path(conf.to_str().unwrap(), &opts(Some(Dovecot::V23))).unwrap();
    assert!(as23
        .diagnostics
        .iter()
        .any(|d| d.code == codes::RENAMED_SETTING));
}

/// 2.4 reads `$ENV:NAME` when a process starts, so any setting may take
/// one (its `doveconf -n` accepts `process_limit = $ENV:X`); 2.3 refuses it
/// in a number.
#[test]
fn an_env_value_is_no_type_error_in_24() {
    let text = "service imap {\n  process_limit = $ENV:X\n}\nmail_debug = $ENV:Y\n";
    let v24 = check(
        &format!("dovecot_config_version = 2.4.0\ndovecot_storage_version = 2.4.0\n{text}"),
        None,
    );
    assert!(problems(&v24).is_empty(), "{:?}", problems(&v24));
    let v23 = check(text, None);
    assert!(
        v23.diagnostics
            .iter()
            .any(|d| d.code == "svcc::invalid-value"),
        "{:?}",
        problems(&v23)
    );
}

/// 2.4's `ssl_server { cert_file = .. }` (or the full name inside) sets the
/// server certificate: the TLS checks see it, never "not set".
#[test]
fn an_ssl_server_block_sets_the_certificate() {
    for key in ["cert_file", "ssl_server_cert_file"] {
        let text = format!(
            "dovecot_config_version = 2.4.0\ndovecot_storage_version = 2.4.0\nprotocols = imap\nssl_server {{\n  {key} = /nonexistent/svcc/c.pem\n  key_file = /nonexistent/svcc/k.pem\n}}\nservice imap-login {{\n  inet_listener imaps {{\n    port = 993\n    ssl = yes\n  }}\n}}\n"
        );
        let c = check(&text, None);
        let codes: Vec<&str> = c.diagnostics.iter().map(|d| d.code).collect();
        assert!(!codes.contains(&"svcc::ssl-no-cert"), "{key}: {codes:?}");
        let cert = c.model.tls.global.cert.as_ref().map(|f| f.path.as_str());
        assert_eq!(cert, Some("/nonexistent/svcc/c.pem"), "{key}");
    }
}

/// A misspelt setting in a 2.4 named filter gets the filter's own name for
/// it (`separator` for `namespace_separator`), and a 2.3 leftover in a
/// driver's filter (`passdb { args }`) is unknown.
#[test]
fn settings_in_named_filters_are_looked_up_as_24_does() {
    let text = "dovecot_config_version = 2.4.0\ndovecot_storage_version = 2.4.0\nnamespace inbox {\n  seperator = /\n  inbox = yes\n}\npassdb ldap {\n  driver = ldap\n  filter = (uid=%{user})\n  args = /etc/dovecot/dovecot-ldap.conf.ext\n}\n";
    let c = check(text, None);
    let unknown: Vec<(&str, &str)> = c
        .diagnostics
        .iter()
        .filter(|d| d.code == "svcc::unknown-setting")
        .map(|d| (d.message.as_str(), d.help.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(unknown.len(), 2, "{unknown:?}");
    assert!(
        unknown[0].0.contains("`seperator`") && unknown[0].1.contains("did you mean `separator`"),
        "{unknown:?}"
    );
    assert!(
        unknown[1].0.contains("`args` in `passdb ldap`"),
        "{unknown:?}"
    );
}

/// A bare `auth_cache_size` below 1024: Dovecot 2.3 reads megabytes (and
/// warns), 2.4 reads bytes (and refuses: too small); with a unit both
/// refuse it, and 0 (no cache) is fine.
#[test]
fn a_bare_auth_cache_size_is_megabytes_in_23_and_bytes_in_24() {
    let found = |text: &str, code: &str, severity: Severity| {
        check(text, None)
            .diagnostics
            .iter()
            .any(|d| d.code == code && d.severity == severity)
    };
    let obsolete = codes::OBSOLETE_SETTING;
    let invalid = codes::INVALID_VALUE;
    assert!(found(
        "auth_cache_size = 100\n",
        obsolete,
        Severity::Warning
    ));
    assert!(!found("auth_cache_size = 100\n", invalid, Severity::Error));
    assert!(found("auth_cache_size = 100B\n", invalid, Severity::Error));
    assert!(found(
        &format!("{V24}auth_cache_size = 100\n"),
        invalid,
        Severity::Error
    ));
    assert!(!found(
        &format!("{V24}auth_cache_size = 100\n"),
        obsolete,
        Severity::Warning
    ));
    for ok in [
        "auth_cache_size = 0\n",
        "auth_cache_size = 1k\n",
        "auth_cache_size = 1023M\n",
    ] {
        let c = check(ok, None);
        assert!(problems(&c).is_empty(), "{ok}: {:#?}", problems(&c));
    }
}
