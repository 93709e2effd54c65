//! The model's own unit tests.

use super::*;

#[test]
fn fast_builtin_reader_matches_the_parser() {
    let fast = builtin_services();
    let slow = builtin_services_via_pest();
    assert_eq!(fast.len(), slow.len());
    assert!(fast.len() >= 30, "{}", fast.len());
    for (a, b) in fast.iter().zip(&slow) {
        assert_eq!(format!("{a:?}"), format!("{b:?}"), "service {}", a.name);
    }
}

#[test]
fn builtins_carry_dovecot_defaults() {
    let imap = builtin_services()
        .iter()
        .find(|s| s.name == "imap")
        .unwrap();
    assert_eq!(imap.client_limit.value, 1);
    assert_eq!(imap.process_limit.value, 1024);
    assert_eq!(imap.service_count.value, 1);
    assert!(imap.blocking.value);
    let login = builtin_services()
        .iter()
        .find(|s| s.name == "imap-login")
        .unwrap();
    assert_eq!(login.kind.value, "login");
    assert!(login
        .listeners
        .iter()
        .any(|l| l.name == "imaps" && l.port.value == 993 && l.ssl.value));
}
