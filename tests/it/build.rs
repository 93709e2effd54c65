//! `svcc build` end to end: a config becomes a binary that serves TCP and
//! unix clients, prints its config, checks its host, exits 0 on SIGTERM,
//! closes with a lingering close, and rebuilds when a config file changes.
//!
//! Generated crates share `target/svcc-test-cache` so only the first build
//! compiles svcc's dependencies.

use crate::util::{fetch_with_junk, Server};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn cache() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/svcc-test-cache")
}

fn svcc_build(config: &Path, out: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_svcc"))
        .arg("build")
        .arg(config)
        .arg("-o")
        .arg(out)
        .env("SVCC_CACHE_DIR", cache())
        .env("NO_COLOR", "1")
        .output()
        .expect("run svcc build")
}

fn build_ok(config: &Path, out: &Path) {
    let o = svcc_build(config, out);
    assert!(
        o.status.success(),
        "svcc build failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A loopback port that was free a moment ago, below the kernel's ephemeral
/// range (32768+), so no other test's port-0 socket can take it meanwhile.
fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let seed = (std::process::id() % 500) as u16 * 20;
    for _ in 0..200 {
        let port = 20000 + (seed + NEXT.fetch_add(1, Ordering::Relaxed)) % 10000;
        // Bound, never listening: a copy of the probe held until `exec` by
        // a process another test is spawning must not take a connection.
        let probe = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
            .expect("a socket");
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        if probe.bind(&addr.into()).is_ok() {
            return port;
        }
    }
    panic!("no free port in 20000..30000");
}

/// Waits (bounded) until nothing listens on `port` any more: the processes
/// of a server just killed may hold its socket for a moment.
fn wait_port_free(port: u16) {
    let free = crate::util::wait_for(Duration::from_secs(10), || {
        std::net::TcpListener::bind(("127.0.0.1", port))
            .ok()
            .map(drop)
    });
    assert!(
        free.is_some(),
        "port {port} still in use 10 s after the server stopped"
    );
}

#[test]
fn config_errors_stop_the_build_before_cargo_runs() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("bad.conf");
    std::fs::write(
        &conf,
        "service echo {\n  executable = echo\n  client_limit = many\n}\n",
    )
    .unwrap();
    let o = svcc_build(&conf, &dir.path().join("bad"));
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("svcc::invalid-value"), "{err}");
    assert!(!err.contains("Compiling"), "cargo ran: {err}");
    assert!(!dir.path().join("bad").exists());
}

#[test]
fn settings_the_binary_would_ignore_stop_the_build() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("proxy.conf");
    std::fs::write(
        &conf,
        "service web {\n  executable = http\n  inet_listener web {\n    port = 8080\n    reuse_port = yes\n  }\n}\n",
    )
    .unwrap();
    let o = svcc_build(&conf, &dir.path().join("proxy"));
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("svcc::unsupported-setting") && err.contains("`reuse_port = yes`"),
        "{err}"
    );
    assert!(!err.contains("Compiling"), "cargo ran: {err}");
    // `svcc check` checks the same config for Dovecot and stays quiet.
    let o = Command::new(env!("CARGO_BIN_EXE_svcc"))
        .arg("check")
        .arg(&conf)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn the_build_honours_suppressions() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("web.conf");
    // The build-only finding is suppressed; the bad value still stops the
    // build (before cargo runs).
    std::fs::write(
        &conf,
        "service web {\n  executable = http\n  process_limit = 7x\n  inet_listener web {\n    port = 8080\n    reuse_port = yes # svcc: disable=unsupported-setting\n  }\n}\n",
    )
    .unwrap();
    let o = svcc_build(&conf, &dir.path().join("web"));
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("svcc::invalid-value"), "{err}");
    assert!(!err.contains("svcc::unsupported-setting"), "{err}");
    assert!(!err.contains("svcc::unused-suppression"), "{err}");
    assert!(!err.contains("Compiling"), "cargo ran: {err}");
}

#[test]
fn a_tls_listener_without_a_certificate_stops_the_build() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("tls.conf");
    std::fs::write(
        &conf,
        "service web {\n  executable = http\n  inet_listener https {\n    port = 8443\n    ssl = yes\n  }\n}\n",
    )
    .unwrap();
    let o = svcc_build(&conf, &dir.path().join("tls"));
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("svcc::ssl-no-cert"), "{err}");
    assert!(!err.contains("svcc::unsupported-setting"), "{err}");
    assert!(!err.contains("Compiling"), "cargo ran: {err}");
}

#[test]
fn built_echo_serves_tcp_and_unix_and_exits_0_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let conf = dir.path().join("echo.conf");
    std::fs::write(
        &conf,
        format!(
            "base_dir = /nonexistent\nservice echo {{\n  executable = echo\n  client_limit = 10\n  process_limit = 2\n  inet_listener echo {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n  unix_listener echo.sock {{\n    mode = 0600\n  }}\n}}\n"
        ),
    )
    .unwrap();
    let bin = dir.path().join("echo-server");
    build_ok(&conf, &bin);
    let bin_s = bin.to_str().unwrap();

    let out = Command::new(&bin).arg("--print-config").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success()
            && text.contains("service echo {")
            && text.contains(&format!("port = {port}")),
        "{text}"
    );
    let out = Command::new(&bin).arg("--version").output().unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("svcc"),
        "--version"
    );
    let run = dir.path().join("run");
    std::fs::create_dir(&run).unwrap();
    let out = Command::new(&bin)
        .args(["--check", "--base-dir", run.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "--check: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let mut srv = Server::start_bin(bin_s, &["--base-dir", run.to_str().unwrap()], &[]);
    let mut tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    tcp.write_all(b"over tcp\n").unwrap();
    let mut buf = [0u8; 9];
    tcp.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"over tcp\n");
    let mut unix = std::os::unix::net::UnixStream::connect(run.join("echo.sock")).unwrap();
    unix.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    unix.write_all(b"over unix\n").unwrap();
    let mut buf = [0u8; 10];
    unix.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"over unix\n");
    drop((tcp, unix));
    srv.signal(libc::SIGTERM);
    let status = srv
        .wait_exit(Duration::from_secs(15))
        .expect("exits after SIGTERM");
    assert_eq!(status.code(), Some(0), "log:\n{}", srv.log());
}

#[test]
fn a_dovecot_24_config_builds_and_serves_as_a_23_one() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let conf = dir.path().join("echo24.conf");
    std::fs::write(
        &conf,
        format!(
            "dovecot_config_version = 2.4.0\ndovecot_storage_version = 2.4.0\nbase_dir = /nonexistent\ndefault_idle_kill_interval = 30 secs\nservice echo {{\n  executable = echo\n  client_limit = 10\n  process_limit = 2\n  restart_request_count = unlimited\n  idle_kill_interval = infinite\n  inet_listener echo {{\n    listen = 127.0.0.1\n    port = {port}\n  }}\n}}\n"
        ),
    )
    .unwrap();
    let bin = dir.path().join("echo24");
    build_ok(&conf, &bin);
    let out = Command::new(&bin).arg("--print-config").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("listen = 127.0.0.1"), "{text}");
    let run = dir.path().join("run");
    std::fs::create_dir(&run).unwrap();
    let mut srv = Server::start_bin(
        bin.to_str().unwrap(),
        &["--base-dir", run.to_str().unwrap()],
        &[],
    );
    // `listen` is the listener's address: only 127.0.0.1 is bound.
    let mut tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    tcp.write_all(b"dovecot 2.4\n").unwrap();
    let mut buf = [0u8; 12];
    tcp.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"dovecot 2.4\n");
    assert!(std::net::TcpStream::connect(("127.0.0.2", port)).is_err());
    drop(tcp);
    srv.signal(libc::SIGTERM);
    let status = srv
        .wait_exit(Duration::from_secs(15))
        .expect("exits after SIGTERM");
    assert_eq!(status.code(), Some(0), "log:\n{}", srv.log());
}

#[test]
fn built_http_closes_with_a_lingering_close() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let conf = dir.path().join("web.conf");
    std::fs::write(
        &conf,
        format!("service web {{\n  executable = http\n  client_limit = 32\n  process_limit = 1\n  inet_listener web {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n}}\n"),
    )
    .unwrap();
    let bin = dir.path().join("web");
    build_ok(&conf, &bin);
    let n = 8 << 20;
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    {
        let _srv = Server::start_bin(bin.to_str().unwrap(), &[], &[]);
        let (got, intact, err) = fetch_with_junk(addr, n);
        assert!(
            err.is_none() && got == n && intact,
            "lingering close lost data: {got} of {n}, {err:?}"
        );
    }
    wait_port_free(port);
    let _srv = Server::start_bin(
        bin.to_str().unwrap(),
        &[],
        &[("SVCC_TEST_PLAIN_CLOSE", "1")],
    );
    // The test switch is compiled out of tailored binaries: the variable
    // changes nothing, every byte still arrives.
    let (got, intact, err) = fetch_with_junk(addr, n);
    assert!(
        err.is_none() && got == n && intact,
        "SVCC_TEST_PLAIN_CLOSE must not turn lingering off in a tailored binary: {got} of {n}, {err:?}"
    );
}

#[test]
fn editing_the_config_or_an_include_rebuilds() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("app.conf");
    std::fs::write(
        &conf,
        "!include conf.d/*.conf\nservice app {\n  executable = banner\n  process_limit = 3\n}\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("conf.d")).unwrap();
    let inc = dir.path().join("conf.d/10-x.conf");
    std::fs::write(
        &inc,
        "service other {\n  executable = discard\n  client_limit = 7\n}\n",
    )
    .unwrap();
    let bin = dir.path().join("app");
    let printed = |bin: &Path| {
        String::from_utf8_lossy(
            &Command::new(bin)
                .arg("--print-config")
                .output()
                .unwrap()
                .stdout,
        )
        .into_owned()
    };
    build_ok(&conf, &bin);
    let p = printed(&bin);
    assert!(
        p.contains("process_limit = 3") && p.contains("client_limit = 7"),
        "{p}"
    );
    std::fs::write(
        &conf,
        "!include conf.d/*.conf\nservice app {\n  executable = banner\n  process_limit = 5\n}\n",
    )
    .unwrap();
    build_ok(&conf, &bin);
    assert!(
        printed(&bin).contains("process_limit = 5"),
        "config edit not picked up"
    );
    std::fs::write(
        &inc,
        "service other {\n  executable = discard\n  client_limit = 9\n}\n",
    )
    .unwrap();
    build_ok(&conf, &bin);
    assert!(
        printed(&bin).contains("client_limit = 9"),
        "include edit not picked up"
    );
}

#[test]
fn the_tailored_binary_links_no_config_parser() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("tiny.conf");
    std::fs::write(&conf, "service tiny {\n  executable = banner\n}\n").unwrap();
    let bin = dir.path().join("tiny");
    build_ok(&conf, &bin);
    let bytes = std::fs::read(&bin).unwrap();
    let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    // The runtime is there (so the search can find crate names at all) ...
    assert!(
        has(b"svcc_runtime"),
        "symbol search finds nothing: the test cannot tell"
    );
    // ... and neither pest nor the compiler is.
    assert!(!has(b"pest::") && !has(b"/pest-2"), "the binary links pest");
    assert!(!has(b"svcc_compiler"), "the binary links the compiler");
}
