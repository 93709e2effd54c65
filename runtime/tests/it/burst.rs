//! The seed's "Resource temporarily unavailable": a burst of non-blocking
//! unix connects while every worker slot is busy must queue, not fail with
//! EAGAIN, because the backlog is client_limit x process_limit.

use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use socket2::{Domain, SockAddr, Socket, Type};

use crate::util::*;

const CL: usize = 4;
const PL: usize = 2;

/// Holds CL x PL served clients, then makes as many more non-blocking
/// connects. Returns (EAGAIN count, the connected extra sockets).
fn burst(path: &Path) -> (usize, Vec<Socket>) {
    let mut held = Vec::new();
    for i in 0..CL * PL {
        let mut u = UnixStream::connect(path).unwrap();
        u.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        echo_roundtrip(&mut u, format!("held {i}\n").as_bytes());
        held.push(u);
    }
    let mut eagain = 0;
    let mut extra = Vec::new();
    for _ in 0..CL * PL {
        let s = Socket::new(Domain::UNIX, Type::STREAM, None).unwrap();
        s.set_nonblocking(true).unwrap();
        match s.connect(&SockAddr::unix(path).unwrap()) {
            Ok(()) => extra.push(s),
            Err(e) if e.raw_os_error() == Some(libc::EAGAIN) => eagain += 1,
            Err(e) => panic!("connect: {e}"),
        }
    }
    drop(held);
    (eagain, extra)
}

fn args(base: &str) -> Vec<String> {
    [
        "--base-dir",
        base,
        "--drop-after-ms",
        "60000",
        "--service",
        "echo",
        "handler=echo",
        &format!("cl={CL}"),
        &format!("pl={PL}"),
        "unix=echo.sock",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[test]
fn burst_on_full_workers_queues_without_eagain() {
    let dir = temp_dir();
    let a = args(dir.path().to_str().unwrap());
    let srv = Server::start(&a.iter().map(|s| s.as_str()).collect::<Vec<_>>());
    assert!(
        srv.log().contains(&format!("(backlog {})", CL * PL)),
        "{}",
        srv.log()
    );
    let (eagain, extra) = burst(&dir.path().join("echo.sock"));
    assert_eq!(eagain, 0, "no connect may fail with EAGAIN");
    assert_eq!(extra.len(), CL * PL);
    // Every queued client is served once the first ones left.
    for (i, s) in extra.into_iter().enumerate() {
        s.set_nonblocking(false).unwrap();
        let mut u: UnixStream = std::os::fd::OwnedFd::from(s).into();
        u.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        echo_roundtrip(&mut u, format!("queued {i}\n").as_bytes());
    }
}

#[test]
fn burst_with_small_backlog_fails_with_eagain() {
    let dir = temp_dir();
    let mut a = args(dir.path().to_str().unwrap());
    a.insert(0, "--backlog".into());
    a.insert(1, "2".into());
    let srv = Server::start(&a.iter().map(|s| s.as_str()).collect::<Vec<_>>());
    assert!(srv.log().contains("(backlog 2)"), "{}", srv.log());
    let (eagain, _) = burst(&dir.path().join("echo.sock"));
    assert!(eagain > 0, "a backlog of 2 must overflow");
}
