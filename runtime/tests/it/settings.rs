//! Handler settings (`settings { }`) reach the handler typed, and a wrong
//! one stops the start-up (and `--check`) with its place in the config.

use crate::util::{connect, read_all, Server, TESTD};
use std::io::Write;
use std::process::Command;

#[test]
fn the_banner_says_its_configured_greeting() {
    let srv = Server::start(&[
        "--service",
        "hello",
        "handler=banner",
        "set.greeting=* OK mail.example.org ready",
        "listen=127.0.0.1:0",
    ]);
    let (got, err) = read_all(connect(srv.addr("hello")));
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got, b"* OK mail.example.org ready\r\n");
}

#[test]
fn http_takes_its_body_limit_as_a_size() {
    let srv = Server::start(&[
        "--service",
        "web",
        "handler=http",
        "set.max_body=1k",
        "listen=127.0.0.1:0",
    ]);
    let ask = |len: usize| {
        let mut s = connect(srv.addr("web"));
        let req = format!(
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n{}",
            "a".repeat(len)
        );
        s.write_all(req.as_bytes()).unwrap();
        let (got, _) = read_all(s);
        String::from_utf8_lossy(&got).into_owned()
    };
    assert!(ask(1024).starts_with("HTTP/1.1 405"), "within the limit");
    assert!(ask(1025).starts_with("HTTP/1.1 413"), "over 1k");
}

#[test]
fn wrong_settings_stop_the_start_with_their_place() {
    // A wrong type.
    let (code, srv) = Server::start_failing(&[
        "--service",
        "web",
        "handler=http",
        "set.max_body=lots",
        "listen=127.0.0.1:0",
    ]);
    assert_eq!(code, Some(1), "{}", srv.log());
    assert!(
        srv.log()
            .contains("handler http: testd:2:1: setting `max_body`: expected a number"),
        "{}",
        srv.log()
    );
    assert!(
        !srv.log().contains("listening on"),
        "nothing is bound first"
    );
    // An unknown key, for a handler with settings and one without.
    for handler in ["banner", "echo"] {
        let (code, srv) = Server::start_failing(&[
            "--service",
            "web",
            &format!("handler={handler}"),
            "set.greting=hi",
            "listen=127.0.0.1:0",
        ]);
        assert_eq!(code, Some(1), "{}", srv.log());
        assert!(
            srv.log().contains("testd:2:1: unknown setting `greting`"),
            "{}",
            srv.log()
        );
    }
    // --check says the same and fails.
    let out = Command::new(TESTD)
        .args([
            "--service",
            "web",
            "handler=banner",
            "set.greting=hi",
            "listen=127.0.0.1:0",
            "--",
            "--check",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("error: service(web): handler banner: testd:2:1: unknown setting `greting` (the settings are: greeting)"),
        "{text}"
    );
}
