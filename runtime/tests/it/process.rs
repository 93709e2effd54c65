//! Dovecot's process model: service_count, process_min_avail,
//! process_limit, idle_kill, crash replacement, start-up throttling,
//! identity, limits, EMFILE.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use crate::util::*;

#[test]
fn service_count_1_gives_every_connection_a_new_worker() {
    let srv = Server::start(&[
        "--service",
        "pid",
        "handler=pid",
        "sc=1",
        "cl=1",
        "pl=4",
        "listen=127.0.0.1:0",
    ]);
    let addr = srv.addr("pid");
    let mut pids: Vec<i32> = (0..12).map(|_| served_pid(addr)).collect();
    assert!(!pids.contains(&srv.pid));
    pids.sort();
    pids.dedup();
    assert_eq!(pids.len(), 12, "each connection must see a different pid");
}

#[test]
fn service_count_3_reuses_a_worker_three_times() {
    let srv = Server::start(&[
        "--service",
        "pid",
        "handler=pid",
        "sc=3",
        "cl=1",
        "pl=1",
        "listen=127.0.0.1:0",
    ]);
    let addr = srv.addr("pid");
    let pids: Vec<i32> = (0..6).map(|_| served_pid(addr)).collect();
    assert_eq!(pids[0], pids[1]);
    assert_eq!(pids[1], pids[2]);
    assert_ne!(pids[2], pids[3]);
    assert_eq!(pids[3], pids[5]);
}

#[test]
fn process_min_avail_workers_wait_before_the_first_client() {
    let srv = Server::start(&[
        "--service",
        "pid",
        "handler=pid",
        "sc=1",
        "cl=1",
        "pl=10",
        "min=3",
        "listen=127.0.0.1:0",
    ]);
    let n = wait_for(Duration::from_secs(5), || {
        let w = srv.workers();
        (w.len() == 3).then_some(w)
    });
    assert!(
        n.is_some(),
        "3 idle workers expected, have {:?}",
        srv.workers()
    );
    // Still three (no more) after a client took one.
    let first = served_pid(srv.addr("pid"));
    assert!(n.unwrap().contains(&first), "a pre-forked worker served");
    let again = wait_for(Duration::from_secs(5), || {
        let w = srv.workers();
        (w.len() == 3 && !w.contains(&first)).then_some(())
    });
    assert!(again.is_some(), "refilled to 3: {:?}", srv.workers());
}

#[test]
fn process_limit_warns_and_closes_the_queue_instead_of_hanging() {
    let srv = Server::start(&[
        "--drop-after-ms",
        "1000",
        "--service",
        "echo",
        // Blocking workers never close a client to make room.
        "handler=echo-blocking",
        "cl=1",
        "pl=2",
        "listen=127.0.0.1:0",
    ]);
    let addr = srv.addr("echo");
    let mut a = connect(addr);
    echo_roundtrip(&mut a, b"a\n");
    let mut b = connect(addr);
    echo_roundtrip(&mut b, b"b\n");
    // Third client: queued at the limit.
    let mut c = connect(addr);
    let log = srv
        .wait_log(
            "process_limit (2) reached, client connections are being dropped",
            Duration::from_secs(5),
        )
        .expect("limit warning");
    assert_eq!(
        log.matches("process_limit (2) reached").count(),
        1,
        "rate-limited"
    );
    let start = Instant::now();
    let mut buf = [0u8; 16];
    c.set_read_timeout(Some(Duration::from_secs(8))).unwrap();
    let r = c.read(&mut buf);
    assert!(
        matches!(r, Ok(0))
            || r.as_ref()
                .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset),
        "queued client must be closed, got {r:?}"
    );
    assert!(start.elapsed() < Duration::from_secs(6));
    assert!(srv
        .wait_log("queued connection(s)", Duration::from_secs(2))
        .is_some());
    // The served clients are unaffected.
    echo_roundtrip(&mut a, b"still here\n");
    drop(b);
}

#[test]
fn idle_kill_stops_idle_workers_above_min_avail() {
    let srv = Server::start(&[
        "--service",
        "echo",
        "handler=echo",
        "cl=1",
        "pl=4",
        "min=1",
        "idle-kill-ms=300",
        "listen=127.0.0.1:0",
    ]);
    let addr = srv.addr("echo");
    let mut held = Vec::new();
    for i in 0..3 {
        let mut s = connect(addr);
        echo_roundtrip(&mut s, format!("{i}\n").as_bytes());
        held.push(s);
    }
    assert!(srv.workers().len() >= 3);
    drop(held);
    let left = wait_for(Duration::from_secs(8), || {
        (srv.workers().len() == 1).then_some(())
    });
    assert!(
        left.is_some(),
        "idle workers above min_avail must exit: {:?}",
        srv.workers()
    );
}

#[test]
fn killed_worker_is_replaced_and_service_keeps_answering() {
    let srv = Server::start(&[
        "--service",
        "pid",
        "handler=pid",
        "pl=2",
        "listen=127.0.0.1:0",
    ]);
    let addr = srv.addr("pid");
    let first = served_pid(addr);
    unsafe_kill(first, libc::SIGKILL);
    srv.wait_log(
        &format!("child {first} killed with signal 9"),
        Duration::from_secs(5),
    )
    .expect("crash logged with pid and signal");
    let second = served_pid(addr);
    assert_ne!(first, second);
}

#[test]
fn worker_panicking_at_startup_is_throttled_not_fork_looping() {
    let srv = Server::start(&[
        "--service",
        "bad",
        "handler=panic-start",
        "min=1",
        "pl=10",
        "listen=127.0.0.1:0",
    ]);
    srv.wait_log(
        "command startup failed, throttling for 2.000 secs",
        Duration::from_secs(5),
    )
    .expect("first throttle");
    srv.wait_log(
        "command startup failed, throttling for 4.000 secs",
        Duration::from_secs(5),
    )
    .expect("doubling throttle");
    let deaths = srv.count_log("returned error 70");
    assert!(
        (2..=3).contains(&deaths),
        "forks must be throttled; {deaths} deaths:\n{}",
        srv.log()
    );
    // A client arriving during the 4 s pause does not trigger a fork either
    // (a fork would die and log within milliseconds).
    let _c = connect(srv.addr("bad"));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        srv.count_log("returned error 70"),
        deaths,
        "a client forked a worker during the throttle pause:\n{}",
        srv.log()
    );
}

#[test]
fn blocking_handler_with_client_limit_over_1_is_refused() {
    let (code, srv) = Server::start_failing(&[
        "--service",
        "imap",
        "handler=echo-blocking",
        "cl=2",
        "listen=127.0.0.1:0",
    ]);
    assert_eq!(code, Some(1));
    assert!(
        srv.log().contains("is blocking and needs client_limit = 1"),
        "{}",
        srv.log()
    );
}

#[test]
fn blocking_handler_serves_one_client_per_worker() {
    let srv = Server::start(&[
        "--service",
        "imap",
        "handler=echo-blocking",
        "cl=1",
        "pl=3",
        "listen=127.0.0.1:0",
    ]);
    let addr = srv.addr("imap");
    let mut clients: Vec<_> = (0..3).map(|_| connect(addr)).collect();
    for (i, c) in clients.iter_mut().enumerate() {
        echo_roundtrip(c, format!("client {i}\n").as_bytes());
    }
    assert_eq!(srv.workers().len(), 3);
    let c = clients.pop().unwrap();
    c.shutdown(std::net::Shutdown::Write).unwrap();
    let (rest, err) = read_all(c);
    assert!(err.is_none() && rest.is_empty());
}

#[test]
fn user_and_vsz_limit_are_applied_in_the_worker() {
    if !nix_is_root() {
        eprintln!("skipped: needs root");
        return;
    }
    let srv = Server::start(&[
        "--service",
        "pid",
        "handler=pid",
        "user=nobody",
        "vsz=536870912",
        "listen=127.0.0.1:0",
    ]);
    let mut s = connect(srv.addr("pid"));
    let line = read_line(&mut s);
    assert!(line.contains("uid=65534 "), "{line}");
    let pid = parse_pid(&line).unwrap();
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap_or_default();
    if !limits.is_empty() {
        let l = limits
            .lines()
            .find(|l| l.starts_with("Max address space"))
            .unwrap();
        assert!(l.contains("536870912"), "{l}");
    }
}

#[test]
fn unknown_user_is_fatal() {
    let (code, srv) = Server::start_failing(&[
        "--service",
        "x",
        "handler=echo",
        "user=no-such-user-svcc",
        "listen=127.0.0.1:0",
    ]);
    assert_eq!(code, Some(1));
    assert!(srv.log().contains("User doesn't exist: no-such-user-svcc") || !nix_is_root());
}

fn nix_is_root() -> bool {
    // SAFETY-free: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

#[test]
fn emfile_pauses_accepting_without_spinning_and_recovers() {
    let srv = Server::start(&[
        "--nofile",
        "48",
        "--service",
        "echo",
        "handler=echo",
        "cl=1000",
        "pl=1",
        "listen=127.0.0.1:0",
    ]);
    let addr = srv.addr("echo");
    assert!(
        srv.log().contains("fd limit (ulimit -n) 48"),
        "{}",
        srv.log()
    );
    let mut clients = Vec::new();
    for _ in 0..80 {
        clients.push(connect(addr));
    }
    srv.wait_log("Too many open files", Duration::from_secs(5))
        .expect("EMFILE logged");
    let worker = srv.workers()[0];
    let before = proc_stat(worker).unwrap().cpu_ticks;
    std::thread::sleep(Duration::from_millis(1500));
    let used = proc_stat(worker).unwrap().cpu_ticks - before;
    // A busy loop would burn ~150 ticks in 1.5 s.
    assert!(
        used <= 15,
        "worker used {used} ticks while out of descriptors"
    );
    assert!(
        srv.count_log("Too many open files") <= 3,
        "log is rate-limited"
    );
    drop(clients);
    let mut s = connect(addr);
    echo_roundtrip(&mut s, b"recovered\n");
    s.write_all(b"").unwrap();
}

#[test]
fn service_count_1_under_concurrent_load_never_throttles() {
    // Regression: a fast worker (status, serve, exit) must not be taken for
    // one that died before its first status report.
    let srv = Server::start(&[
        "--service",
        "pid",
        "handler=pid",
        "sc=1",
        "cl=1",
        "pl=64",
        "min=4",
        "listen=127.0.0.1:0",
    ]);
    let addr = srv.addr("pid");
    let threads: Vec<_> = (0..4)
        .map(|_| std::thread::spawn(move || (0..150).map(|_| served_pid(addr)).collect::<Vec<_>>()))
        .collect();
    let mut pids: Vec<i32> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let n = pids.len();
    pids.sort();
    pids.dedup();
    assert_eq!(pids.len(), n, "one worker per connection");
    assert!(!srv.log().contains("throttling"), "{}", srv.log());
    assert!(
        !srv.log().contains("before its first status"),
        "{}",
        srv.log()
    );
}

/// Runs `threads` clients that connect, wait up to 100 ms for the server to
/// close, and reconnect, for `how_long`; returns the number of attempts.
fn hammer(addr: std::net::SocketAddr, threads: usize, how_long: Duration) -> usize {
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            std::thread::spawn(move || {
                let start = Instant::now();
                let mut attempts = 0usize;
                while start.elapsed() < how_long && attempts < 100_000 {
                    attempts += 1;
                    let Ok(mut s) =
                        std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(100))
                    else {
                        continue;
                    };
                    let _ = s.set_read_timeout(Some(Duration::from_millis(100)));
                    let mut buf = [0u8; 64];
                    let _ = s.read(&mut buf);
                }
                attempts
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).sum()
}

#[test]
fn workers_failing_after_startup_are_throttled_as_a_failure_storm() {
    // Each worker reports ready, then exits with code 3 on its first
    // connection. Without Dovecot's third trigger (more than 10 failures in
    // one second before the first clean exit) every connection would fork a
    // new worker: hundreds in the window below.
    let srv = Server::start(&[
        "--service",
        "bad",
        "handler=fail-first",
        "cl=1",
        "pl=4",
        "listen=127.0.0.1:0",
    ]);
    let addr = srv.addr("bad");
    let attempts = hammer(addr, 4, Duration::from_millis(3000));
    let log = srv
        .wait_log(
            "service(bad): command startup failed, throttling for 2.000 secs",
            Duration::from_secs(2),
        )
        .unwrap_or_else(|| panic!("no throttle after {attempts} attempts:\n{}", srv.log()));
    let forks = log.matches("returned error 3").count();
    // A burst of 11 (+ up to pl already running) before the 2 s pause, and
    // at most another one after it within the 3 s window.
    assert!(
        (11..=40).contains(&forks),
        "{forks} failed workers for {attempts} attempts in 3 s:\n{log}"
    );
    assert!(
        !log.contains("before its first status report"),
        "the workers did report ready:\n{log}"
    );
    // The second storm right after the pause doubles it.
    srv.wait_log(
        "command startup failed, throttling for 4.000 secs",
        Duration::from_secs(3),
    )
    .unwrap_or_else(|| panic!("no doubled throttle:\n{}", srv.log()));
    // Paused: no forks while nobody is listening.
    let before = srv.count_log("returned error 3");
    hammer(addr, 2, Duration::from_millis(1000));
    let after = srv.count_log("returned error 3");
    assert!(
        after - before <= 4,
        "{} workers failed during the 4 s pause:\n{}",
        after - before,
        srv.log()
    );
}

fn rss_kib(pid: i32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

#[test]
fn worker_memory_does_not_grow_with_connections_served() {
    // One long-lived worker serving many short connections: its per-
    // connection bookkeeping (timer entries of closed connections included)
    // must not pile up.
    let srv = Server::start(&[
        "--service",
        "banner",
        "handler=banner",
        "pl=1",
        "min=1",
        "listen=127.0.0.1:0",
    ]);
    let addr = srv.addr("banner");
    hammer(addr, 4, Duration::from_secs(1));
    let worker =
        wait_for(Duration::from_secs(5), || srv.workers().first().copied()).expect("a worker");
    let before = rss_kib(worker);
    let served = hammer(addr, 4, Duration::from_secs(3));
    let after = rss_kib(worker);
    assert!(
        srv.workers().contains(&worker),
        "the same worker served them all"
    );
    // A stale 24-byte entry per connection would add served * 24 bytes.
    let growth = after.saturating_sub(before) * 1024;
    assert!(
        growth < 128 * 1024 + served as u64 * 8,
        "worker RSS grew {before} -> {after} KiB over {served} connections"
    );
}

#[test]
fn a_process_with_a_second_thread_is_refused() {
    let (code, srv) = Server::start_failing(&[
        "--spawn-thread",
        "--service",
        "echo",
        "handler=echo",
        "listen=127.0.0.1:0",
    ]);
    assert_eq!(code, Some(1), "{}", srv.log());
    assert!(
        srv.log()
            .contains("refusing to start: this process has 2 threads"),
        "{}",
        srv.log()
    );
    assert!(!srv.log().contains("master: started"));
}
