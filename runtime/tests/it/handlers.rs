//! The built-in handlers over real sockets.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use crate::util::*;

#[test]
fn echo_over_tcp_and_unix() {
    let dir = temp_dir();
    let base = dir.path().to_str().unwrap();
    let srv = Server::start(&[
        "--base-dir",
        base,
        "--service",
        "echo",
        "handler=echo",
        "pl=2",
        "listen=127.0.0.1:0",
        "unix=echo.sock,0660",
    ]);
    let mut s = connect(srv.addr("echo"));
    echo_roundtrip(&mut s, b"hello over tcp\n");
    let big: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    let mut s2 = s.try_clone().unwrap();
    let writer = std::thread::spawn(move || {
        s2.write_all(&big).unwrap();
        s2.shutdown(std::net::Shutdown::Write).unwrap();
        big
    });
    let (got, err) = read_all(&mut s);
    let big = writer.join().unwrap();
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got, big, "echo of 1 MB");

    let path = dir.path().join("echo.sock");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o660);
    let mut u = UnixStream::connect(&path).unwrap();
    u.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    echo_roundtrip(&mut u, b"hello over unix\n");
}

#[test]
fn discard_reads_everything_and_answers_nothing() {
    let srv = Server::start(&[
        "--service",
        "discard",
        "handler=discard",
        "listen=127.0.0.1:0",
    ]);
    let mut s = connect(srv.addr("discard"));
    s.write_all(&vec![b'x'; 500_000]).unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let (got, err) = read_all(&mut s);
    assert!(err.is_none(), "{err:?}");
    assert!(got.is_empty());
}

#[test]
fn banner_greets_and_closes_on_ipv4_and_ipv6() {
    let srv = Server::start(&[
        "--service",
        "banner",
        "handler=banner",
        "listen=127.0.0.1:0",
        "listen=[::1]:0",
    ]);
    let log = srv.log();
    let v6 = log
        .lines()
        .find_map(|l| l.split_once("listening on [::1]:").map(|(_, r)| r))
        .and_then(|r| r.split_whitespace().next()?.parse::<u16>().ok());
    for addr in [
        srv.addr("banner"),
        format!("[::1]:{}", v6.expect("v6 port")).parse().unwrap(),
    ] {
        let (got, err) = read_all(connect(addr));
        assert!(err.is_none(), "{err:?}");
        assert_eq!(got, b"* OK svcc ready\r\n");
    }
}

#[test]
fn peer_reports_the_client_address_and_port() {
    let srv = Server::start(&["--service", "peer", "handler=peer", "listen=127.0.0.1:0"]);
    let s = connect(srv.addr("peer"));
    let mine = s.local_addr().unwrap();
    let (got, err) = read_all(s);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(
        String::from_utf8_lossy(&got),
        format!("127.0.0.1 {}\r\n", mine.port())
    );
}

fn http_server() -> Server {
    Server::start(&["--service", "http", "handler=http", "listen=127.0.0.1:0"])
}

fn read_response(s: &mut impl Read) -> (String, Vec<u8>) {
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut b).unwrap();
        head.push(b[0]);
    }
    let head = String::from_utf8(head).unwrap();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).unwrap();
    (head, body)
}

#[test]
fn http_keep_alive_pipelining_and_bytes() {
    let srv = http_server();
    let mut s = connect(srv.addr("http"));
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /bytes/100000 HTTP/1.1\r\nHost: x\r\n\r\nHEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (h, b) = read_response(&mut s);
    assert!(h.starts_with("HTTP/1.1 200 OK\r\n"), "{h}");
    assert!(!h.contains("Connection: close"));
    assert_eq!(b, b"hello\n");
    let (h, b) = read_response(&mut s);
    assert!(h.starts_with("HTTP/1.1 200"), "{h}");
    assert_eq!(b.len(), 100_000);
    assert!(b
        .iter()
        .enumerate()
        .all(|(i, c)| *c == b'a' + (i % 26) as u8));
    // HEAD: headers only.
    let mut head = [0u8; 19];
    s.read_exact(&mut head).unwrap();
    assert!(head.starts_with(b"HTTP/1.1 200 OK"));
    // Still open: one more request on the same connection.
    s.write_all(b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n").ok();
}

#[test]
fn http_connection_close_is_honoured() {
    let srv = http_server();
    let mut s = connect(srv.addr("http"));
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let (got, err) = read_all(&mut s);
    assert!(err.is_none(), "{err:?}");
    let text = String::from_utf8(got).unwrap();
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.contains("Connection: close\r\n"));
    assert!(text.ends_with("\r\n\r\nhello\n"));
    // HTTP/1.0 closes by default.
    let mut s = connect(srv.addr("http"));
    s.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let (got, _) = read_all(&mut s);
    assert!(String::from_utf8(got).unwrap().ends_with("hello\n"));
    // An HTTP/1.0 client that asks for keep-alive is told it got it (or it
    // would wait for a close that never comes), and can send again.
    let mut s = connect(srv.addr("http"));
    s.write_all(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        .unwrap();
    let (h, b) = read_response(&mut s);
    assert!(h.contains("Connection: keep-alive\r\n"), "{h}");
    assert_eq!(b, b"hello\n");
    s.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let (got, _) = read_all(&mut s);
    assert!(String::from_utf8(got).unwrap().ends_with("hello\n"));
}

#[test]
fn http_large_body_is_413_and_closed_small_body_ok() {
    let srv = http_server();
    let mut s = connect(srv.addr("http"));
    s.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (h, _) = read_response(&mut s);
    assert!(h.starts_with("HTTP/1.1 405"), "{h}");
    let (h, b) = read_response(&mut s);
    assert!(h.starts_with("HTTP/1.1 200"), "{h}");
    assert_eq!(b, b"hello\n");

    let mut s = connect(srv.addr("http"));
    let body = vec![b'z'; 70_000];
    s.write_all(
        format!(
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )
    .unwrap();
    let _ = s.write_all(&body);
    let (got, err) = read_all(&mut s);
    assert!(
        err.is_none(),
        "lingering close must deliver the 413: {err:?}"
    );
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 413 "), "{text}");
    assert!(text.contains("Connection: close"));
}

#[test]
fn http_404_and_bad_request() {
    let srv = http_server();
    let mut s = connect(srv.addr("http"));
    s.write_all(b"GET /missing HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (h, _) = read_response(&mut s);
    assert!(h.starts_with("HTTP/1.1 404"), "{h}");
    s.write_all(b"nonsense\r\n\r\n").unwrap();
    let (got, _) = read_all(&mut s);
    assert!(String::from_utf8_lossy(&got).starts_with("HTTP/1.1 400"));
}

#[test]
fn http_head_arriving_a_byte_at_a_time_is_answered() {
    let srv = http_server();
    let mut s = connect(srv.addr("http"));
    s.set_nodelay(true).unwrap();
    for b in b"GET / HTTP/1.1\r\nHost: t\r\n\r\nGET /bytes/3 HTTP/1.1\r\nHost: t\r\n\r" {
        s.write_all(&[*b]).unwrap();
    }
    let (h, b) = read_response(&mut s);
    assert!(h.starts_with("HTTP/1.1 200"), "{h}");
    assert_eq!(b, b"hello\n");
    // The second head completes only with its last byte.
    s.write_all(b"\n").unwrap();
    let (h, b) = read_response(&mut s);
    assert!(h.starts_with("HTTP/1.1 200"), "{h}");
    assert_eq!(b, b"abc");
}

/// Sends `req` and reads until the server closes (4 s at most).
fn exchange(srv: &Server, req: &[u8]) -> String {
    let mut s = connect(srv.addr("http"));
    s.set_read_timeout(Some(Duration::from_secs(4))).unwrap();
    s.write_all(req).unwrap();
    let (got, err) = read_all(&mut s);
    assert!(err.is_none(), "the server answers and closes: {err:?}");
    String::from_utf8_lossy(&got).into_owned()
}

#[test]
fn http_smuggling_attempts_get_one_400_and_a_close() {
    let srv = http_server();
    // A blank before the colon: the length must not be ignored, and the
    // body must never be read as a second request.
    let body = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
    let got = exchange(
        &srv,
        format!(
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length : {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
    assert!(got.starts_with("HTTP/1.1 400 "), "{got}");
    assert_eq!(got.matches("HTTP/1.1 ").count(), 1, "one response: {got}");
    for req in [
        &b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 36\r\n\r\n"[..],
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello",
        b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n",
    ] {
        let got = exchange(&srv, req);
        assert!(got.starts_with("HTTP/1.1 400 "), "{got}");
        assert_eq!(got.matches("HTTP/1.1 ").count(), 1, "one response: {got}");
    }
}

#[test]
fn http_bare_lf_is_served_and_http09_refused_at_once() {
    let srv = http_server();
    let start = std::time::Instant::now();
    let got = exchange(&srv, b"GET / HTTP/1.1\nHost: x\nConnection: close\n\n");
    assert!(got.starts_with("HTTP/1.1 200 "), "{got}");
    assert!(got.ends_with("hello\n"), "{got}");
    let got = exchange(&srv, b"GET /\r\n");
    assert!(got.starts_with("HTTP/1.1 400 "), "{got}");
    assert!(start.elapsed() < Duration::from_secs(4));
}

/// Connects over TCP and over the unix socket and returns what a `who`
/// handler said on each.
fn who_lines(handler: &str) -> (String, String, std::net::SocketAddr, std::net::SocketAddr) {
    let dir = temp_dir();
    let base = dir.path().to_str().unwrap();
    let srv = Server::start(&[
        "--base-dir",
        base,
        "--service",
        "whoami",
        &format!("handler={handler}"),
        "cl=1",
        "lname=front",
        "listen=127.0.0.1:0",
        "unix=who.sock",
    ]);
    let addr = srv.addr("whoami");
    let s = connect(addr);
    let mine = s.local_addr().unwrap();
    let (tcp, err) = read_all(s);
    assert!(err.is_none(), "{err:?}");
    let mut u = UnixStream::connect(dir.path().join("who.sock")).unwrap();
    u.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let (unix, err) = read_all(&mut u);
    assert!(err.is_none(), "{err:?}");
    (
        String::from_utf8(tcp).unwrap(),
        String::from_utf8(unix).unwrap(),
        addr,
        mine,
    )
}

#[test]
fn an_event_handler_knows_who_is_connected_and_where() {
    let (tcp, unix, server, client) = who_lines("who");
    assert_eq!(
        tcp,
        format!("peer={client} local={server} listener=front service=whoami\r\n")
    );
    assert_eq!(unix, "peer=- local=- listener=who.sock service=whoami\r\n");
}

#[test]
fn a_blocking_handler_knows_who_is_connected_and_where() {
    let (tcp, unix, server, client) = who_lines("who-blocking");
    assert_eq!(
        tcp,
        format!("peer={client} local={server} listener=front service=whoami\r\n")
    );
    assert_eq!(unix, "peer=- local=- listener=who.sock service=whoami\r\n");
}

/// What the handler guide promises about a panicking handler: the worker
/// exits (status 70, logged as "handler panicked"), every client it held
/// sees its connection end (EOF or a reset; nothing more arrives), and the
/// master replaces it, so the next client is served.
#[test]
fn a_panicking_handler_ends_its_workers_connections_and_is_replaced() {
    let srv = Server::start(&[
        "--service",
        "p",
        "handler=panic-on-data",
        "pl=1",
        "cl=10",
        "listen=127.0.0.1:0",
    ]);
    let addr = srv.addr("p");
    let mut bystander = connect(addr);
    echo_roundtrip(&mut bystander, b"hello\n");
    let mut culprit = connect(addr);
    echo_roundtrip(&mut culprit, b"first\n");
    culprit.write_all(b"PANIC\n").unwrap();
    // Ended (EOF or reset), not merely quiet until the read timeout.
    let ended = |s: &mut std::net::TcpStream| {
        let (got, err) = read_all(s);
        assert!(got.is_empty(), "nothing after the panic: {got:?}");
        if let Some(e) = err {
            assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}");
        }
    };
    ended(&mut culprit);
    // The other client of the same worker: its connection ends too.
    ended(&mut bystander);
    assert!(
        srv.wait_log("(handler panicked)", Duration::from_secs(5))
            .is_some(),
        "log:\n{}",
        srv.log()
    );
    let mut next = connect(addr);
    echo_roundtrip(&mut next, b"served by the replacement\n");
}
