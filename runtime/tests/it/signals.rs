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
