//! SIGTERM finishes open responses and exits 0; SIGHUP swaps every worker
//! without refusing a connection.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use socket2::{Domain, Socket, Type};

use crate::util::*;

#[test]
fn sigterm_lets_a_response_in_progress_complete() {
    let mut srv = Server::start(&["--service", "http", "handler=http", "listen=127.0.0.1:0"]);
    let addr = srv.addr("http");
    let sock = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    sock.set_recv_buffer_size(64 << 10).unwrap();
    sock.connect(&addr.into()).unwrap();
    let mut s: std::net::TcpStream = sock.into();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let n = 4 << 20;
    s.write_all(format!("GET /bytes/{n} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes())
        .unwrap();
    let mut first = [0u8; 1024];
    s.read_exact(&mut first).unwrap();
    srv.signal(libc::SIGTERM);
    srv.wait_log("SIGTERM received", Duration::from_secs(5))
        .unwrap();
    let (rest, err) = read_all(&mut s);
    assert!(err.is_none(), "{err:?}");
    let total = first.len() + rest.len();
    let head = first.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(total - head, n, "whole body despite SIGTERM");
    let st = srv
        .wait_exit(Duration::from_secs(10))
        .expect("master exits");
    assert_eq!(st.code(), Some(0));
}

#[test]
fn sigterm_with_idle_keepalive_client_exits_promptly() {
    let mut srv = Server::start(&["--service", "http", "handler=http", "listen=127.0.0.1:0"]);
    let mut s = connect(srv.addr("http"));
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut buf = [0u8; 256];
    let _ = s.read(&mut buf).unwrap();
    srv.signal(libc::SIGTERM);
    let st = srv
        .wait_exit(Duration::from_secs(5))
        .expect("exits without waiting for the idle client");
    assert_eq!(st.code(), Some(0));
}

fn pid_of(addr: SocketAddr) -> Result<i32, String> {
    let mut s = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let line = read_line(&mut s);
    parse_pid(&line).ok_or_else(|| format!("bad line {line:?}"))
}

#[test]
fn sighup_under_load_refuses_nothing_and_replaces_workers() {
    let srv = Server::start(&[
        "--service",
        "pid",
        "handler=pid",
        "cl=50",
        "pl=3",
        "min=2",
        "listen=127.0.0.1:0",
    ]);
    let addr = srv.addr("pid");
    let old: Vec<i32> = wait_for(Duration::from_secs(5), || {
        let w = srv.workers();
        (w.len() >= 2).then_some(w)
    })
    .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let mut loaders = Vec::new();
    for _ in 0..2 {
        let stop = stop.clone();
        loaders.push(std::thread::spawn(move || {
            let (mut ok, mut failed) = (0u32, Vec::new());
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) && n < 20_000 {
                n += 1;
                match pid_of(addr) {
                    Ok(_) => ok += 1,
                    Err(e) => failed.push(e),
                }
            }
            (ok, failed)
        }));
    }
    std::thread::sleep(Duration::from_millis(300));
    srv.signal(libc::SIGHUP);
    srv.wait_log("SIGHUP received", Duration::from_secs(5))
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::Relaxed);
    let mut total = 0;
    for l in loaders {
        let (ok, failed) = l.join().unwrap();
        assert!(
            failed.is_empty(),
            "failed connects during SIGHUP: {:?}",
            &failed[..failed.len().min(5)]
        );
        total += ok;
    }
    assert!(total > 50, "load ran ({total} connections)");
    // Old workers leave; new ones serve.
    let gone = wait_for(Duration::from_secs(5), || {
        old.iter()
            .all(|p| proc_stat(*p).is_none_or(|s| s.state == 'Z'))
            .then_some(())
    });
    assert!(gone.is_some(), "old workers still alive");
    for _ in 0..5 {
        let p = pid_of(addr).unwrap();
        assert!(!old.contains(&p), "served by an old worker {p}");
    }
}

/// One echo exchange on a fresh connection: connect, wait `gap` (the
/// client is slow to send its first bytes), send a line, read it back.
fn echo_once(addr: SocketAddr, gap: Duration, n: u64) -> Result<(), String> {
    let mut s = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    if !gap.is_zero() {
        std::thread::sleep(gap);
    }
    let msg = format!("line {n}\n");
    s.write_all(msg.as_bytes())
        .map_err(|e| format!("write: {e}"))?;
    let mut got = vec![0u8; msg.len()];
    s.read_exact(&mut got).map_err(|e| format!("read: {e}"))?;
    (got == msg.as_bytes())
        .then_some(())
        .ok_or_else(|| "wrong echo".to_string())
}

/// Reloads every 50 ms for 4 s under a steady load of 4 echo clients,
/// half of them slow to send their first line, and counts lost exchanges.
fn reload_storm(handler: &str, extra: &[&str]) {
    let mut args = vec!["--service", "echo"];
    let h = format!("handler={handler}");
    args.push(&h);
    args.extend_from_slice(extra);
    args.push("listen=127.0.0.1:0");
    let srv = Server::start(&args);
    let addr = srv.addr("echo");
    let stop = Arc::new(AtomicBool::new(false));
    let mut loaders = Vec::new();
    for t in 0..4u64 {
        let stop = stop.clone();
        loaders.push(std::thread::spawn(move || {
            let (mut ok, mut lost) = (0u64, Vec::new());
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) && n < 200_000 {
                n += 1;
                let gap = if t % 2 == 0 {
                    Duration::ZERO
                } else {
                    Duration::from_millis(n % 3)
                };
                match echo_once(addr, gap, n) {
                    Ok(()) => ok += 1,
                    Err(e) => lost.push(e),
                }
            }
            (ok, lost)
        }));
    }
    let start = std::time::Instant::now();
    let mut reloads = 0;
    while start.elapsed() < Duration::from_secs(4) {
        std::thread::sleep(Duration::from_millis(50));
        srv.signal(libc::SIGHUP);
        reloads += 1;
    }
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    let (mut ok, mut lost) = (0, Vec::new());
    for l in loaders {
        let (o, mut f) = l.join().unwrap();
        ok += o;
        lost.append(&mut f);
    }
    assert!(
        lost.is_empty(),
        "{} of {} exchanges lost over {reloads} reloads: {:?}",
        lost.len(),
        ok + lost.len() as u64,
        &lost[..lost.len().min(5)]
    );
    assert!(ok > 100, "the load ran ({ok} exchanges)");
}

#[test]
fn repeated_reloads_under_echo_load_lose_no_connection() {
    reload_storm("echo", &["cl=100", "pl=4"]);
}

#[test]
fn repeated_reloads_under_blocking_echo_load_lose_no_connection() {
    reload_storm("echo-blocking", &["cl=1", "pl=16"]);
}

#[test]
fn sigterm_while_a_blocking_handler_is_busy_stops_promptly() {
    let mut srv = Server::start(&[
        "--shutdown-timeout-ms",
        "8000",
        "--service",
        "busy",
        "handler=busy-blocking",
        "cl=1",
        "listen=127.0.0.1:0",
    ]);
    let mut s = connect(srv.addr("busy"));
    s.write_all(b"work\n").unwrap();
    // The handler is busy for 500 ms; SIGTERM arrives meanwhile, so its
    // next read must fail at once instead of waiting for the client.
    std::thread::sleep(Duration::from_millis(150));
    let start = std::time::Instant::now();
    srv.signal(libc::SIGTERM);
    assert_eq!(
        read_line(&mut s),
        "done\r\n",
        "the work in progress completes"
    );
    let st = srv
        .wait_exit(Duration::from_secs(12))
        .expect("master exits");
    assert_eq!(st.code(), Some(0));
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "stopped after {:?}, not at the 8 s kill deadline",
        start.elapsed()
    );
    assert!(!srv.log().contains("killing"), "{}", srv.log());
}

#[test]
fn a_worker_killed_at_the_shutdown_deadline_is_logged_as_such() {
    let mut srv = Server::start(&[
        "--shutdown-timeout-ms",
        "500",
        "--service",
        "stubborn",
        "handler=stubborn",
        "vsz=1073741824",
        "listen=127.0.0.1:0",
    ]);
    let mut s = connect(srv.addr("stubborn"));
    echo_roundtrip(&mut s, b"hi\n");
    srv.signal(libc::SIGTERM);
    srv.wait_exit(Duration::from_secs(10))
        .expect("master exits");
    let log = srv.log();
    assert!(log.contains("shutdown deadline passed"), "{log}");
    assert!(!log.contains("out of memory"), "{log}");
}
