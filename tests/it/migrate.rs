//! `svcc migrate`: Debian 12's stock config, the repository's examples and
//! real-world shapes (split conf.d/, SQL passdb/userdb, LMTP over TCP,
//! submission) converted; Dovecot 2.4's own doveconf accepts each result,
//! and svcc's model of the result has the effective service and listener
//! settings of the original read as 2.3.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use svcc_compiler::{Dovecot, Options};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `svcc migrate CONFIG -o OUT`: (exit code, stderr).
fn migrate(config: &Path, out: &Path) -> (i32, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_svcc"))
        .arg("migrate")
        .arg(config)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Dovecot 2.4's verdict (`doveconf -n`), or `None` where tools/dovecot24
/// cannot run (outside CI only).
fn doveconf24(config: &Path) -> Option<Result<String, String>> {
    let tool = repo().join("tools/dovecot24");
    let ok = Command::new("bash")
        .arg(&tool)
        .arg("root")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "tools/dovecot24 root failed"
        );
        eprintln!("skipping doveconf 2.4: tools/dovecot24 cannot run here");
        return None;
    }
    let o = Command::new("bash")
        .arg(&tool)
        .args(["doveconf", "-n", "-c"])
        .arg(config)
        .output()
        .unwrap();
    Some(if o.status.success() {
        Ok(String::from_utf8_lossy(&o.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&o.stderr).into_owned())
    })
}

/// The effective value of every service and listener setting the config
/// sets (what Dovecot itself defaults differs between 2.3 and 2.4: 2.4's
/// auth-worker runs 30 processes, not default_process_limit), by
/// `service/listener/setting`.
fn effective(config: &Path, version: Dovecot) -> BTreeMap<String, String> {
    let opts = Options {
        dovecot: Some(version),
        ..Options::default()
    };
    let c = svcc_compiler::check_path(config.to_str().unwrap(), &opts).unwrap();
    let errors: Vec<_> = c
        .diagnostics
        .iter()
        .filter(|d| {
            d.severity == svcc_compiler::Severity::Error && !d.code.starts_with("svcc::ssl-file")
        })
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    assert!(
        errors.is_empty(),
        "{} as {version}: {errors:#?}",
        config.display()
    );
    let (m, g) = (&c.model, &c.model.globals);
    let mut out = BTreeMap::new();
    let mut put = |key: String, origin: &svcc_compiler::model::Origin, value: String| {
        if origin.is_config() {
            out.insert(key, value);
        }
    };
    for s in m.services.iter().filter(|s| s.enabled(g)) {
        let n = &s.name;
        let pl = s.eff_process_limit(g);
        put(
            format!("{n}/process_limit"),
            &pl.origin,
            pl.value.to_string(),
        );
        let cl = s.configured_client_limit(g);
        put(
            format!("{n}/client_limit"),
            &cl.origin,
            s.eff_client_limit(g).to_string(),
        );
        put(
            format!("{n}/count"),
            &s.service_count.origin,
            s.service_count.value.to_string(),
        );
        let idle = if s.idle_kill.value == 0 {
            &g.default_idle_kill.origin
        } else {
            &s.idle_kill.origin
        };
        put(
            format!("{n}/idle"),
            idle,
            format!("{:?}", s.eff_idle_kill(g)),
        );
        put(
            format!("{n}/min_avail"),
            &s.process_min_avail.origin,
            s.process_min_avail.value.to_string(),
        );
        put(format!("{n}/user"), &s.user.origin, s.user.value.clone());
        for l in s.listeners.iter().filter(|l| l.is_bound(&m.tls)) {
            let at = format!("{n}/{}/{}", l.kind.keyword(), l.name);
            let addr = if l.address.value.is_empty() {
                &g.listen.origin
            } else {
                &l.address.origin
            };
            put(
                format!("{at}/addresses"),
                addr,
                format!("{:?}", l.addresses(g)),
            );
            put(
                format!("{at}/port"),
                &l.port.origin,
                l.port.value.to_string(),
            );
            put(format!("{at}/ssl"), &l.ssl.origin, l.ssl.value.to_string());
            put(
                format!("{at}/mode"),
                &l.mode.origin,
                format!("{:o}", l.mode.value),
            );
            put(format!("{at}/user"), &l.user.origin, l.user.value.clone());
            put(
                format!("{at}/group"),
                &l.group.origin,
                l.group.value.clone(),
            );
        }
    }
    out
}

/// Migrates `config`, expects `hand_work` notes, and holds the result to
/// Dovecot 2.4 and to the original's effective settings.
fn converts(config: &Path, hand_work: &[&str]) -> PathBuf {
    let out = tempfile::tempdir().unwrap().keep();
    let (code, stderr) = migrate(config, &out);
    for h in hand_work {
        assert!(stderr.contains(h), "expected `{h}` in:\n{stderr}");
    }
    assert_eq!(code, i32::from(!hand_work.is_empty()), "{stderr}");
    let top = out.join(config.file_name().unwrap());
    if let Some(Err(e)) = doveconf24(&top) {
        panic!(
            "doveconf 2.4 refused the converted {}:\n{e}",
            config.display()
        );
    }
    let before = effective(config, Dovecot::V23);
    let after = effective(&top, Dovecot::V24);
    for (k, v) in &before {
        assert_eq!(
            after.get(k),
            Some(v),
            "{k} after migrating {}",
            config.display()
        );
    }
    top
}

#[test]
fn debian_12_stock_config_converts_with_no_hand_work() {
    let stock = ["/usr/share/dovecot", "/etc/dovecot"]
        .into_iter()
        .map(Path::new)
        .find(|p| p.join("dovecot.conf").exists() && p.join("conf.d").exists());
    let Some(stock) = stock else {
        assert!(std::env::var_os("CI").is_none(), "install dovecot-core");
        eprintln!("skipping: no stock Dovecot 2.3 config");
        return;
    };
    // A copy whose protocols.d include is relative, so the whole tree is
    // the copy's (and 2.4's doveconf reads the converted protocol files).
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("dovecot");
    assert!(Command::new("cp")
        .arg("-a")
        .arg(stock)
        .arg(&copy)
        .status()
        .unwrap()
        .success());
    let protocols = copy.join("protocols.d");
    if !protocols.exists() {
        std::fs::create_dir(&protocols).unwrap();
        for e in std::fs::read_dir("/usr/share/dovecot/protocols.d").unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), protocols.join(e.file_name())).unwrap();
        }
    }
    let conf = copy.join("dovecot.conf");
    let text = std::fs::read_to_string(&conf)
        .unwrap()
        .replace("/usr/share/dovecot/protocols.d", "protocols.d");
    std::fs::write(&conf, text).unwrap();
    let top = converts(&conf, &[]);
    let text = std::fs::read_to_string(top.parent().unwrap().join("conf.d/10-ssl.conf")).unwrap();
    assert!(
        text.contains("\nssl_server_cert_file = /etc/dovecot/private/dovecot.pem\n"),
        "{text}"
    );
    assert!(
        text.contains("\n#ssl_key_password =\n"),
        "comments stay as they were"
    );
    let text = std::fs::read_to_string(top.parent().unwrap().join("conf.d/10-mail.conf")).unwrap();
    assert!(
        text.contains(
            "mail_driver = mbox\nmail_path = %{home}/mail\nmail_inbox_path = /var/mail/%{user}\n"
        ),
        "{text}"
    );
}

#[test]
fn the_repository_examples_convert() {
    converts(&repo().join("examples/dovecot/dovecot.conf"), &[]);
    converts(&repo().join("examples/echo/echo.conf"), &[]);
}

#[test]
fn real_world_shapes_convert_and_sql_args_are_hand_work() {
    let top = converts(
        &repo().join("tests/data/migrate/shapes/dovecot.conf"),
        &[
            "conf.d/10-auth.conf:6: svcc migrate: `args` is not a Dovecot 2.4 setting",
            "conf.d/10-auth.conf:10: svcc migrate: `args`",
        ],
    );
    // The comparison had something to compare.
    let after = effective(&top, Dovecot::V24);
    assert_eq!(
        after["imap-login/inet_listener/imap/addresses"],
        "[\"127.0.0.1\"]"
    );
    assert_eq!(after["imap-login/count"], "0");
    assert_eq!(after["imap/idle"], "Some(300000)");
    assert_eq!(
        after["lmtp/unix_listener/\
/var/spool/postfix/private/dovecot-lmtp/user"],
        "postfix"
    );
    let dir = top.parent().unwrap();
    let auth = std::fs::read_to_string(dir.join("conf.d/10-auth.conf")).unwrap();
    assert!(auth.contains("passdb sql {\n  driver = sql\n  # svcc migrate: args = /etc/dovecot/dovecot-sql.conf.ext\n}"), "{auth}");
    let master = std::fs::read_to_string(dir.join("conf.d/10-master.conf")).unwrap();
    assert!(
        master.contains("  restart_request_count = unlimited\n"),
        "{master}"
    );
    assert!(master.contains("    listen = 127.0.0.1\n"), "{master}");
    assert!(
        master.contains("default_idle_kill_interval = 2 mins\n"),
        "{master}"
    );
    let lmtp = std::fs::read_to_string(dir.join("conf.d/20-lmtp.conf")).unwrap();
    assert!(
        lmtp.contains("  mail_plugins {\n    sieve = yes\n  }\n"),
        "{lmtp}"
    );
}

#[test]
fn diff_prints_a_unified_diff_and_writes_nothing() {
    let o = Command::new(env!("CARGO_BIN_EXE_svcc"))
        .args(["migrate", "--diff"])
        .arg(repo().join("tests/data/migrate/shapes/dovecot.conf"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("--- a/conf.d/10-master.conf\n+++ b/conf.d/10-master.conf\n"),
        "{text}"
    );
    assert!(
        text.contains("\n-  service_count = 0\n+  restart_request_count = unlimited\n"),
        "{text}"
    );
    assert_eq!(o.status.code(), Some(1), "the SQL args need hand work");
}
