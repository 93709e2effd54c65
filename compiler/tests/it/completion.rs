//! Completion of values where the type says: protocols (`protocols` and a
//! service's `protocol`), and listener settings inside a listener.

use svcc_compiler::ide::completions;

fn labels(text: &str) -> Vec<String> {
    completions(text, text.len(), &[])
        .into_iter()
        .map(|c| c.label)
        .collect()
}

#[test]
fn protocols_and_listener_settings() {
    for text in [
        "protocols = ",
        "protocols = imap ",
        "service x {\n  protocol = ",
    ] {
        let got = labels(text);
        assert!(
            ["imap", "pop3", "lmtp"]
                .iter()
                .all(|p| got.iter().any(|g| g == p)),
            "{text:?}: {got:?}"
        );
    }
    let got = labels("service x {\n  unix_listener y {\n    ");
    assert!(got.iter().any(|g| g == "mode"), "{got:?}");
    assert!(!got.iter().any(|g| g == "process_limit"), "{got:?}");
}

/// A 2.4 config is offered 2.4's names (in a service, a listener and at
/// the top level), a 2.3 one 2.3's; hover knows both and names the other.
#[test]
fn each_version_gets_its_own_names() {
    let v24 = "dovecot_config_version = 2.4.1\nservice x {\n  ";
    let got = labels(v24);
    assert!(got.iter().any(|g| g == "restart_request_count"), "{got:?}");
    assert!(!got.iter().any(|g| g == "service_count"), "{got:?}");
    assert!(got.iter().any(|g| g == "settings"), "{got:?}");
    let got = labels("service x {\n  ");
    assert!(got.iter().any(|g| g == "service_count"), "{got:?}");
    assert!(!got.iter().any(|g| g == "restart_request_count"), "{got:?}");
    let got = labels("dovecot_config_version = 2.4.1\nservice x {\n  inet_listener y {\n    ");
    assert!(got.iter().any(|g| g == "listen"), "{got:?}");
    let got = labels("dovecot_config_version = 2.4.1\n");
    assert!(got.iter().any(|g| g == "ssl_server_cert_file"), "{got:?}");
    let got = labels("\n");
    assert!(got.iter().any(|g| g == "ssl_cert"), "{got:?}");
    assert!(!got.iter().any(|g| g == "ssl_server_cert_file"), "{got:?}");

    let text = "dovecot_config_version = 2.4.1\ndovecot_storage_version = 2.4.1\nservice imap-login {\n  restart_request_count = 1\n}\n";
    let checked = svcc_compiler::check_str("t.conf", text, &Default::default());
    let at = text.find("restart_request_count").unwrap() as u32 + 2;
    let (_, hover) = svcc_compiler::ide::hover(
        &checked,
        svcc_compiler::syntax::FileId(0),
        at,
        Default::default(),
    )
    .expect("hover on a 2.4 name");
    assert!(hover.contains("connections a process serves"), "{hover}");
    assert!(hover.contains("2.3 calls it `service_count`"), "{hover}");
}

/// An enum's values and a word list's words are offered after `=`, and a
/// 2.3 section offers its own settings.
#[test]
fn values_of_enums_and_settings_of_sections() {
    let got = labels("mail_fsync = ");
    assert_eq!(got, ["optimized", "always", "never"], "{got:?}");
    let got = labels("imap_client_workarounds = ");
    assert!(got.iter().any(|g| g == "tb-lsub-flags"), "{got:?}");
    let got = labels("namespace inbox {\n  ");
    assert!(got.iter().any(|g| g == "separator"), "{got:?}");
    assert!(!got.iter().any(|g| g == "process_limit"), "{got:?}");
    let got = labels("namespace inbox {\n  type = ");
    assert!(got.iter().any(|g| g == "public"), "{got:?}");
    let got = labels("namespace inbox {\n  mailbox Trash {\n    auto = ");
    assert!(got.iter().any(|g| g == "subscribe"), "{got:?}");
    let got = labels("passdb {\n  ");
    assert!(got.iter().any(|g| g == "driver"), "{got:?}");
}
