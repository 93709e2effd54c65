//! systemd integration with systemd's own tools: socket activation through
//! `systemd-socket-activate` (named fds, inherited listeners never bound
//! again, a socket matching no listener refused), and the `sd_notify`
//! sequence on a datagram socket the test binds as `NOTIFY_SOCKET`.

use crate::util::{free_port, wait_for, Server, TESTD};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixDatagram;
use std::time::Duration;

fn activate_tool() -> Option<&'static str> {
    let path = "/usr/bin/systemd-socket-activate";
    if std::path::Path::new(path).exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "systemd-socket-activate is missing: .ci/run installs Debian's systemd"
    );
    eprintln!("skipping: systemd-socket-activate is not installed");
    None
}

#[test]
fn socket_activation_serves_on_the_named_inherited_socket() {
    let Some(tool) = activate_tool() else { return };
    let listen = format!("127.0.83.1:{}", free_port("127.0.83.1"));
    let srv = Server::spawn(
        tool,
        &[
            "-l",
            &listen,
            "--fdname=web",
            TESTD,
            "--service",
            "web",
            "handler=echo",
            &format!("listen={listen}"),
        ],
        &[],
    );
    // systemd-socket-activate starts the server on the first connection,
    // which waits in the inherited socket's queue meanwhile.
    let mut c = wait_for(Duration::from_secs(10), || TcpStream::connect(&listen).ok())
        .expect("systemd-socket-activate listens");
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    c.write_all(b"activated\n").unwrap();
    let mut buf = [0u8; 10];
    c.read_exact(&mut buf)
        .expect("echo from the activated server");
    assert_eq!(&buf, b"activated\n");
    let log = srv
        .wait_log("(from systemd)", Duration::from_secs(5))
        .unwrap_or_else(|| srv.log());
    assert!(
        log.contains(&format!("listening on {listen} (from systemd)")),
        "the master bound its own socket instead of taking systemd's:\n{log}"
    );
}

#[test]
fn an_inherited_socket_that_matches_no_listener_is_refused() {
    let Some(tool) = activate_tool() else { return };
    // Loopback addresses of their own: no other test's socket can take the
    // ports between the probe and the tool's bind.
    let listen = format!("127.0.83.2:{}", free_port("127.0.83.2"));
    let other = format!("127.0.83.3:{}", free_port("127.0.83.3"));
    let mut srv = Server::spawn(
        tool,
        &[
            "-l",
            &listen,
            "--fdname=stray",
            TESTD,
            "--service",
            "web",
            "handler=echo",
            &format!("listen={other}"),
        ],
        &[],
    );
    let _c = wait_for(Duration::from_secs(10), || TcpStream::connect(&listen).ok());
    let status = srv
        .wait_exit(Duration::from_secs(10))
        .unwrap_or_else(|| panic!("the master did not exit:\n{}", srv.log()));
    assert!(!status.success());
    let log = srv.log();
    assert!(
        log.contains("match no listener") && log.contains(&listen) && log.contains("stray"),
        "{log}"
    );
}

#[test]
fn notify_sequence_ready_watchdog_reloading_stopping() {
    let dir = tempfile::tempdir().unwrap();
    let sock_path = dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut srv = Server::start_env(
        &[
            "--service",
            "web",
            "handler=echo",
            "listen=127.0.0.1:0",
            "min=2",
            "pl=4",
        ],
        &[
            ("NOTIFY_SOCKET", sock_path.to_str().unwrap()),
            ("WATCHDOG_USEC", "400000"),
        ],
    );
    let mut got: Vec<String> = Vec::new();
    let recv_until = |want: &str, got: &mut Vec<String>| {
        wait_for(Duration::from_secs(10), || {
            let mut buf = [0u8; 4096];
            if let Ok(n) = sock.recv(&mut buf) {
                got.push(String::from_utf8_lossy(&buf[..n]).into_owned());
            }
            got.iter().any(|m| m.contains(want)).then_some(())
        })
        .unwrap_or_else(|| panic!("no {want} in {got:?}"));
    };
    recv_until("READY=1", &mut got);
    let ready = got.iter().find(|m| m.contains("READY=1")).unwrap();
    assert!(ready.contains("STATUS=web: 2 processes"), "{ready}");
    // WATCHDOG=1 at once, then every half interval (200 ms).
    got.clear();
    recv_until("WATCHDOG=1", &mut got);
    got.clear();
    recv_until("WATCHDOG=1", &mut got);
    // Reload: RELOADING=1 with the monotonic time, then READY=1 again.
    got.clear();
    srv.signal(libc::SIGHUP);
    recv_until("RELOADING=1", &mut got);
    let r = got.iter().find(|m| m.contains("RELOADING=1")).unwrap();
    assert!(r.contains("MONOTONIC_USEC="), "{r}");
    recv_until("READY=1", &mut got);
    got.clear();
    srv.signal(libc::SIGTERM);
    recv_until("STOPPING=1", &mut got);
    srv.wait_exit(Duration::from_secs(15)).expect("exits");
}

#[test]
fn logs_name_the_binary_and_carry_journal_priorities() {
    let srv = Server::start(&["--service", "web", "handler=echo", "listen=127.0.0.1:0"]);
    let log = srv.log();
    assert!(log.contains("svcc-testd["), "{log}");
    assert!(!log.contains("<6>"), "{log}");
    drop(srv);
    // stderr is the journal: JOURNAL_STREAM names its device and inode.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal");
    let file = std::fs::File::create(&path).unwrap();
    let meta = std::os::unix::fs::MetadataExt::dev(&file.metadata().unwrap());
    let ino = std::os::unix::fs::MetadataExt::ino(&file.metadata().unwrap());
    let mut child = std::process::Command::new(TESTD)
        .args(["--service", "web", "handler=echo", "listen=127.0.0.1:0"])
        .env("JOURNAL_STREAM", format!("{meta}:{ino}"))
        .stderr(file)
        .spawn()
        .unwrap();
    let started = wait_for(Duration::from_secs(10), || {
        let t = std::fs::read_to_string(&path).unwrap();
        t.contains("master: started").then_some(t)
    });
    let _ = child.kill();
    let _ = child.wait();
    let text = started.expect("the server starts");
    assert!(
        text.lines().all(|l| l.starts_with("<6>svcc-testd[")
            || l.starts_with("<4>")
            || l.starts_with("<3>")),
        "{text}"
    );
}
