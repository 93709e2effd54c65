//! Lingering close: a response far larger than the client's receive buffer,
//! with unread client data pending when the server closes. Plain `close()`
//! (the test switch) loses data; svcc's lingering close delivers every byte.

use std::io::Write;
use std::time::Duration;

use crate::util::*;

const N: usize = 8 << 20;

#[test]
fn lingering_close_delivers_everything() {
    let srv = Server::start(&["--service", "http", "handler=http", "listen=127.0.0.1:0"]);
    let (n, intact, err) = fetch_with_junk(srv.addr("http"), N);
    assert!(err.is_none(), "read error with lingering close: {err:?}");
    assert_eq!(n, N, "every byte arrives");
    assert!(intact);
}

#[test]
fn plain_close_loses_data() {
    let srv = Server::start_env(
        &["--service", "http", "handler=http", "listen=127.0.0.1:0"],
        &[("SVCC_TEST_PLAIN_CLOSE", "1")],
    );
    assert!(srv.log().contains("SVCC_TEST_PLAIN_CLOSE"));
    let (n, _, err) = fetch_with_junk(srv.addr("http"), N);
    assert!(
        n < N
            || err
                .as_ref()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset),
        "plain close should truncate or reset: got {n} of {N}, err {err:?}"
    );
}

#[test]
fn service_count_1_hands_lingering_to_the_drainer() {
    // With service_count = 1 every worker exits after its one client; a
    // client that closes late must not keep the worker (and its process
    // slot) alive: the drainer takes the socket.
    let srv = Server::start(&[
        "--service",
        "pid",
        "handler=pid",
        "sc=1",
        "cl=1",
        "pl=2",
        "listen=127.0.0.1:0",
    ]);
    let addr = srv.addr("pid");
    let mut held = Vec::new();
    let mut pids = Vec::new();
    for _ in 0..6 {
        let mut s = connect(addr);
        let line = read_line(&mut s);
        pids.push(parse_pid(&line).expect("pid line"));
        // Do not close: the server's lingering close waits for our FIN.
        held.push(s);
    }
    // Six clients served in turn by a process_limit of 2: only possible
    // because finished workers exited while their clients still linger.
    pids.sort();
    pids.dedup();
    assert_eq!(pids.len(), 6);
    for p in &pids {
        assert!(
            wait_for(Duration::from_secs(5), || proc_stat(*p)
                .is_none_or(|s| s.state == 'Z')
                .then_some(()))
            .is_some(),
            "worker {p} still alive while its client lingers"
        );
    }
    // The drainer still holds the connections: our side sees no EOF... but
    // after we close, all is done. Each held socket got the full line.
    drop(held);
}

fn socket_fds(pid: i32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| {
            d.flatten()
                .filter(|e| {
                    std::fs::read_link(e.path())
                        .map(|l| l.to_string_lossy().starts_with("socket:"))
                        .unwrap_or(false)
                })
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn lingering_ends_after_the_read_timeout_and_frees_no_slot() {
    // client_limit 2, yet 6 clients that never close are all served: a
    // lingering connection does not hold a client slot. Each lingering
    // socket is closed after linger-read-ms.
    // (`pid` closes with a plain `close`: it always lingers; the banner
    // closes a silent client at once.)
    let srv = Server::start(&[
        "--service",
        "pid",
        "handler=pid",
        "cl=2",
        "pl=1",
        "linger-read-ms=400",
        "listen=127.0.0.1:0",
    ]);
    let addr = srv.addr("pid");
    let mut held = Vec::new();
    for _ in 0..6 {
        let mut s = connect(addr);
        assert!(read_line(&mut s).starts_with("pid="));
        held.push(s);
    }
    let w = srv.workers();
    assert_eq!(w.len(), 1, "one worker served all six");
    let baseline = socket_fds(w[0]);
    assert!(baseline >= 6, "lingering sockets are held: {baseline}");
    let done = wait_for(Duration::from_secs(5), || {
        (socket_fds(w[0]) <= baseline - 6).then_some(())
    });
    assert!(
        done.is_some(),
        "lingering sockets closed after the read timeout"
    );
    // Our side now sees the server's close completed: EOF.
    for s in held {
        let (rest, _) = read_all(s);
        assert!(rest.is_empty());
    }
}

#[test]
fn idle_clients_are_closed_after_the_idle_timeout() {
    let srv = Server::start(&[
        "--service",
        "echo",
        "handler=echo",
        "idle-ms=300",
        "listen=127.0.0.1:0",
    ]);
    let mut s = connect(srv.addr("echo"));
    echo_roundtrip(&mut s, b"ping\n");
    let start = std::time::Instant::now();
    let (rest, err) = read_all(&mut s);
    assert!(err.is_none() && rest.is_empty(), "{err:?}");
    let t = start.elapsed();
    assert!(
        t >= Duration::from_millis(250) && t < Duration::from_secs(5),
        "{t:?}"
    );
}

#[test]
fn a_drainer_killed_twice_in_a_row_comes_back() {
    let srv = Server::start(&["--service", "echo", "handler=echo", "listen=127.0.0.1:0"]);
    let d1 = srv.drainer().expect("a drainer at start");
    unsafe_kill(d1, libc::SIGKILL);
    let d2 = wait_for(Duration::from_secs(5), || {
        srv.drainer().filter(|p| *p != d1)
    })
    .expect("the drainer is restarted");
    // Killed again within a second: the restart is refused once, then retried.
    unsafe_kill(d2, libc::SIGKILL);
    let d3 = wait_for(Duration::from_secs(5), || {
        srv.drainer().filter(|p| *p != d2)
    })
    .unwrap_or_else(|| panic!("the drainer never came back; log:\n{}", srv.log()));
    assert!(
        wait_for(Duration::from_secs(2), || srv
            .children()
            .contains(&d3)
            .then_some(()))
        .is_some(),
        "drainer {d3} is not a live child"
    );
}

/// A client that has sent `Connection: close` and read the whole answer
/// sends more bytes: `true` when they are reset within 1 s (the server
/// closed at once), `false` when they are read and dropped (it lingers;
/// linger_read_timeout is 2 s).
fn reset_after_complete_exchange(addr: std::net::SocketAddr, request: &[u8]) -> bool {
    let mut s = connect(addr);
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(request).unwrap();
    let (answer, err) = read_all(&mut s);
    assert!(err.is_none(), "{err:?}");
    assert!(answer.starts_with(b"HTTP/1.1 "), "{answer:?}");
    let start = std::time::Instant::now();
    while start.elapsed() < Duration::from_secs(1) {
        if s.write_all(b"x").is_err() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn a_complete_exchange_closes_without_waiting_and_anything_unread_still_lingers() {
    let srv = Server::start(&["--service", "http", "handler=http", "listen=127.0.0.1:0"]);
    let addr = srv.addr("http");
    // The request read whole, nothing after it: closed at once (nginx's
    // lingering_close on), so the socket holds no slot while the client
    // dawdles; what the client then sends, against HTTP, is reset.
    let get = b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    assert!(reset_after_complete_exchange(addr, get));
    // Pipelined bytes after the request: unread when the answer is done, so
    // the whole lingering close, and nothing is reset.
    let pipelined = [&get[..], b"GET / HTTP/1.1\r\nHost: t\r\n\r\n"].concat();
    assert!(!reset_after_complete_exchange(addr, &pipelined));
    // An unread request body (answered before it was read): the same.
    let body = b"POST / HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: 100000\r\n\r\n";
    let body = [&body[..], &[b'b'; 1000][..]].concat();
    assert!(!reset_after_complete_exchange(addr, &body));
}

/// The banner closes at once only when the client sent nothing
/// (`Conn::close_complete`): a client whose bytes are unread when the
/// greeting goes out still gets the lingering close and the whole
/// greeting; the plain-close control shows what it prevents.
#[test]
fn banner_lingers_when_the_client_sent_something() {
    // Under the kernel's 128 KiB limit for one argument.
    let greeting = "g".repeat(100_000);
    for plain in [false, true] {
        let env: &[(&str, &str)] = if plain {
            &[("SVCC_TEST_PLAIN_CLOSE", "1")]
        } else {
            &[]
        };
        let set = format!("set.greeting={greeting}");
        // service_count = 1 and nothing pre-forked: the client's bytes are
        // in the socket before a worker exists to accept it.
        let srv = Server::start_env(
            &[
                "--service",
                "b",
                "handler=banner",
                &set,
                "sc=1",
                "cl=1",
                "pl=1",
                "listen=127.0.0.1:0",
            ],
            env,
        );
        // A small receive window keeps most of the greeting in the
        // server's send queue when it closes.
        let sock =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        sock.set_recv_buffer_size(4096).unwrap();
        sock.connect(&srv.addr("b").into()).unwrap();
        let mut s: std::net::TcpStream = sock.into();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(&[b'j'; 65536]).unwrap();
        // The worker starts, greets and closes before we read a byte.
        std::thread::sleep(Duration::from_millis(500));
        let (got, err) = read_all(s);
        if plain {
            assert!(
                got.len() < greeting.len() + 2
                    || err
                        .as_ref()
                        .is_some_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset),
                "plain close should truncate or reset: got {} bytes, err {err:?}",
                got.len()
            );
        } else {
            assert!(err.is_none(), "read error: {err:?}");
            assert_eq!(got.len(), greeting.len() + 2, "the whole greeting");
        }
    }
}
