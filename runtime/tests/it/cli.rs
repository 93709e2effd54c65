//! The tailored binary's command line (`svcc-demo` is what `svcc::main!`
//! generates, written by hand), and unix socket housekeeping.

use std::os::unix::net::{UnixListener, UnixStream};
use std::process::Command;
use std::time::Duration;

use crate::util::*;

fn demo(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(DEMO).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn help_version_print_config_and_usage_errors() {
    let (c, out, _) = demo(&["--help"]);
    assert_eq!(c, 0);
    assert!(out.contains("usage:") && out.contains("--base-dir DIR"));
    let (c, out, _) = demo(&["--version"]);
    assert_eq!(c, 0);
    assert!(
        out.contains("svcc 0.1.0") && out.contains("d3m0c0nf"),
        "{out}"
    );
    let (c, out, _) = demo(&["--print-config"]);
    assert_eq!(c, 0);
    assert!(out.starts_with("service echo {"), "{out}");
    let (c, _, err) = demo(&["--frobnicate"]);
    assert_eq!(c, 2);
    assert!(err.contains("unknown argument: --frobnicate"));
    let (c, _, _) = demo(&["--base-dir"]);
    assert_eq!(c, 2);
}

#[test]
fn check_reports_findings_and_fails_on_a_live_socket() {
    let dir = temp_dir();
    let base = dir.path().to_str().unwrap();
    let (c, out, _) = demo(&["--check", "--base-dir", base]);
    assert_eq!(c, 0, "{out}");
    assert!(
        out.contains("warning: service(banner): listen backlog 100000"),
        "{out}"
    );
    assert!(out.contains("sysctl -w net.core.somaxconn=100000"));
    assert!(out.contains("ok: service(echo): can bind"), "{out}");
    assert!(out.contains("RLIMIT_NOFILE"));
    assert!(out.contains("check: 0 error(s)"));
    assert!(
        !dir.path().join("echo.sock").exists(),
        "--check leaves nothing behind"
    );

    let _live = UnixListener::bind(dir.path().join("echo.sock")).unwrap();
    let (c, out, _) = demo(&["--check", "--base-dir", base]);
    assert_eq!(c, 1, "{out}");
    assert!(
        out.contains("error: service(echo): Socket already exists"),
        "{out}"
    );
}

#[test]
fn demo_binary_runs_prints_warnings_and_stops_on_sigterm() {
    let dir = temp_dir();
    let base = dir.path().to_str().unwrap();
    let mut srv = Server::spawn(DEMO, &["--base-dir", base], &[]);
    srv.wait_log("master: started", Duration::from_secs(10))
        .expect("started");
    let log = srv.log();
    assert!(log.contains("warning: this is the demo binary's build-time warning"));
    assert!(log.contains("exceeds net.core.somaxconn"), "{log}");
    let mut u = UnixStream::connect(dir.path().join("echo.sock")).unwrap();
    u.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    echo_roundtrip(&mut u, b"demo\n");
    drop(u);
    srv.signal(libc::SIGTERM);
    assert_eq!(
        srv.wait_exit(Duration::from_secs(10)).unwrap().code(),
        Some(0)
    );
    assert!(
        !dir.path().join("echo.sock").exists(),
        "socket removed at exit"
    );
}

#[test]
fn stale_socket_is_replaced_live_socket_is_an_error() {
    let dir = temp_dir();
    let base = dir.path().to_str().unwrap();
    let path = dir.path().join("s.sock");
    drop(UnixListener::bind(&path).unwrap()); // leaves a stale file
    assert!(path.exists());
    let srv = Server::start(&[
        "--base-dir",
        base,
        "--service",
        "echo",
        "handler=echo",
        "unix=s.sock",
    ]);
    let mut u = UnixStream::connect(&path).unwrap();
    u.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    echo_roundtrip(&mut u, b"x\n");

    // A second master on the same, live path must refuse.
    let (code, second) = Server::start_failing(&[
        "--base-dir",
        base,
        "--service",
        "echo",
        "handler=echo",
        "unix=s.sock",
    ]);
    assert_eq!(code, Some(1));
    assert!(
        second.log().contains("Socket already exists"),
        "{}",
        second.log()
    );
    echo_roundtrip(&mut u, b"first still serves\n");
    drop(srv);
}
