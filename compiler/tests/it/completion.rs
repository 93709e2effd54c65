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
