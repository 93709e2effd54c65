//! Hostile clients: slowloris connections holding every slot, and clients
//! that drip their first request a byte at a time.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::util::*;

/// Holds `n` slowloris connections: each sends an unfinished request head,
/// then one more byte every 300 ms; a connection the server closes is
/// opened again (as an attacker would). Runs until `stop` (or 60 s).
fn slowloris(
    addr: SocketAddr,
    n: usize,
    stop: Arc<AtomicBool>,
    reconnects: Arc<AtomicU32>,
) -> std::thread::JoinHandle<()> {
    let open = move || -> Option<TcpStream> {
        let s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
        s.set_write_timeout(Some(Duration::from_secs(1))).ok()?;
        let mut s = s;
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").ok()?;
        Some(s)
    };
    std::thread::spawn(move || {
        let start = Instant::now();
        let mut conns: Vec<Option<TcpStream>> = (0..n).map(|_| open()).collect();
        while !stop.load(Ordering::Relaxed) && start.elapsed() < Duration::from_secs(60) {
            for c in conns.iter_mut() {
                let ok = c.as_mut().is_some_and(|s| s.write_all(b"a").is_ok());
                if !ok {
                    reconnects.fetch_add(1, Ordering::Relaxed);
                    *c = open();
                }
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    })
}

/// One `GET /` with `Connection: close`; returns the status line and how
/// long the whole exchange took.
fn probe(addr: SocketAddr) -> (String, Duration) {
    let start = Instant::now();
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(3)) else {
        return ("connect failed".into(), start.elapsed());
    };
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    if s.write_all(b"GET / HTTP/1.1\r\nHost: p\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return ("write failed".into(), start.elapsed());
    }
    let (got, err) = read_all(&mut s);
    let text = String::from_utf8_lossy(&got);
    let line = text.lines().next().unwrap_or_default().to_string();
    (
        if got.is_empty() {
            format!("no response ({err:?})")
        } else {
            line
        },
        start.elapsed(),
    )
}

#[test]
fn slowloris_at_the_limit_cannot_lock_out_a_normal_client() {
    let srv = Server::start(&[
        "--service",
        "http",
        "handler=http",
        "cl=16",
        "pl=2",
        "listen=127.0.0.1:0",
    ]);
    let addr = srv.addr("http");
    let stop = Arc::new(AtomicBool::new(false));
    let reconnects = Arc::new(AtomicU32::new(0));
    // client_limit x process_limit slowloris connections.
    let attack = slowloris(addr, 32, stop.clone(), reconnects.clone());
    let full = wait_for(Duration::from_secs(10), || {
        (srv.workers().len() == 2).then_some(())
    });
    assert!(full.is_some(), "two workers hold the attack: {}", srv.log());
    std::thread::sleep(Duration::from_millis(700));
    let mut results = Vec::new();
    for _ in 0..5 {
        results.push(probe(addr));
        std::thread::sleep(Duration::from_millis(200));
    }
    stop.store(true, Ordering::Relaxed);
    attack.join().unwrap();
    for (line, took) in &results {
        assert!(
            line.starts_with("HTTP/1.1 200") && *took < Duration::from_secs(1),
            "a normal client under slowloris must be served within 1 s: {results:?}\nlog:\n{}",
            srv.log()
        );
    }
    assert!(
        srv.log().contains("to make room"),
        "eviction is logged: {}",
        srv.log()
    );
    // After the attack (its sockets closed), the service is normal.
    let after: Vec<_> = (0..3).map(|_| probe(addr)).collect();
    for (line, took) in &after {
        assert!(
            line.starts_with("HTTP/1.1 200") && *took < Duration::from_secs(1),
            "after the attack: {after:?}"
        );
    }
}

#[test]
fn a_first_request_dripped_a_byte_at_a_time_is_cut_at_its_deadline() {
    let srv = Server::start(&[
        "--service",
        "http",
        "handler=http",
        "request-ms=1000",
        "idle-ms=10000",
        "listen=127.0.0.1:0",
    ]);
    let addr = srv.addr("http");
    // A complete first request ends the deadline: keep-alive outlives it.
    let mut good = connect(addr);
    good.write_all(b"GET / HTTP/1.1\r\nHost: g\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 512];
    assert!(good.read(&mut buf).unwrap() > 0);
    // The dripping client: one byte every 200 ms, never finishing.
    let mut s = connect(addr);
    s.set_write_timeout(Some(Duration::from_secs(1))).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\n").unwrap();
    let start = Instant::now();
    let mut cut = None;
    while start.elapsed() < Duration::from_secs(6) {
        std::thread::sleep(Duration::from_millis(200));
        if s.write_all(b"X").is_err() {
            cut = Some(start.elapsed());
            break;
        }
        s.set_nonblocking(true).unwrap();
        let r = s.read(&mut buf);
        s.set_nonblocking(false).unwrap();
        match r {
            Ok(0) => {
                cut = Some(start.elapsed());
                break;
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => {
                cut = Some(start.elapsed());
                break;
            }
        }
    }
    let cut = cut.expect("a client dripping its first request is closed at the deadline");
    assert!(cut >= Duration::from_millis(500), "not before it: {cut:?}");
    // The keep-alive client, idle longer than the deadline, still works.
    std::thread::sleep(Duration::from_millis(300));
    good.write_all(b"GET / HTTP/1.1\r\nHost: g\r\n\r\n")
        .unwrap();
    let n = good.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
}

#[test]
fn a_full_service_closes_the_idlest_client_but_never_an_established_one() {
    let srv = Server::start(&[
        "--drop-after-ms",
        "60000",
        "--service",
        "login",
        "handler=login",
        "cl=2",
        "pl=1",
        "listen=127.0.0.1:0",
    ]);
    let addr = srv.addr("login");
    // `a` logs in (protected); `b` does not and is idle longest after it.
    let mut a = connect(addr);
    echo_roundtrip(&mut a, b"LOGIN a\n");
    let mut b = connect(addr);
    echo_roundtrip(&mut b, b"hello\n");
    std::thread::sleep(Duration::from_millis(100));
    // Full: a third client makes room by closing `b`, not `a`.
    let mut c = connect(addr);
    c.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    echo_roundtrip(&mut c, b"c\n");
    b.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let mut buf = [0u8; 8];
    let r = b.read(&mut buf);
    assert!(
        matches!(r, Ok(0)) || r.is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset),
        "the idle client without login was closed"
    );
    echo_roundtrip(&mut a, b"still here\n");
    // `c` logs in too: nothing is evictable, so a fourth client waits.
    echo_roundtrip(&mut c, b"LOGIN c\n");
    let mut d = connect(addr);
    d.set_read_timeout(Some(Duration::from_millis(700)))
        .unwrap();
    d.write_all(b"d\n").unwrap();
    assert!(
        d.read(&mut buf).is_err(),
        "no room without closing a logged-in client"
    );
    echo_roundtrip(&mut a, b"a again\n");
    echo_roundtrip(&mut c, b"c again\n");
    assert!(srv.log().contains("to make room"), "{}", srv.log());
}

#[test]
fn a_flood_of_silent_connects_is_absorbed_and_a_normal_client_served() {
    // A backlog that holds the whole flood, so no SYN is dropped and the
    // test measures the server, not TCP's retransmission timer.
    let srv = Server::start(&[
        "--backlog",
        "1024",
        "--service",
        "http",
        "handler=http",
        "cl=64",
        "pl=2",
        "listen=127.0.0.1:0",
    ]);
    let addr = srv.addr("http");
    // Fill every slot, then flood: 400 connects that never send.
    let mut held: Vec<TcpStream> = (0..128).map(|_| connect(addr)).collect();
    let full = wait_for(Duration::from_secs(10), || {
        (srv.workers().len() == 2).then_some(())
    });
    assert!(full.is_some());
    std::thread::sleep(Duration::from_millis(300));
    held.extend((0..400).map(|_| connect(addr)));
    // The probe queues behind the whole flood: served only if the workers
    // make room for many clients per "full" notice, not one.
    let (line, took) = probe(addr);
    assert!(
        line.starts_with("HTTP/1.1 200") && took < Duration::from_secs(1),
        "probe behind a flood of 400: {line:?} after {took:?}\n{}",
        srv.log()
    );
}
