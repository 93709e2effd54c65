//! `haproxy = yes` listeners: a real HAProxy (`send-proxy`,
//! `send-proxy-v2`) in front of `svcc-testd`, and raw PROXY headers from
//! the test itself (in pieces, with TLVs, `LOCAL`, truncated, oversized,
//! malformed, untrusted, too slow). HAProxy runs on loopback with a
//! generated config, in the foreground, and is killed by its pid.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::util::*;

/// A HAProxy process started by a test; killed by pid on drop.
struct Haproxy {
    child: Child,
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        unsafe_kill(self.child.id() as i32, libc::SIGKILL);
        let _ = self.child.wait();
    }
}

/// Starts HAProxy with one frontend per `(name, bind, send-proxy option)`,
/// each forwarding to `backend`; waits until every frontend accepts.
fn haproxy(dir: &Path, backend: SocketAddr, fronts: &[(&str, SocketAddr, &str)]) -> Haproxy {
    let mut cfg = String::from(
        "global\n  maxconn 200\n\ndefaults\n  mode tcp\n  timeout connect 5s\n  \
         timeout client 10s\n  timeout server 10s\n",
    );
    for (name, bind, opt) in fronts {
        cfg.push_str(&format!(
            "\nfrontend f_{name}\n  bind {bind}\n  default_backend b_{name}\n\
             \nbackend b_{name}\n  server s {backend} {opt}\n"
        ));
    }
    let path = dir.join("haproxy.cfg");
    std::fs::write(&path, cfg).unwrap();
    let child = Command::new("haproxy")
        .arg("-db")
        .arg("-f")
        .arg(&path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("haproxy (Debian package `haproxy`) must be installed");
    let h = Haproxy { child };
    for (_, bind, _) in fronts {
        wait_for(Duration::from_secs(10), || {
            TcpStream::connect_timeout(bind, Duration::from_millis(200)).ok()
        })
        .unwrap_or_else(|| panic!("haproxy does not listen on {bind}"));
    }
    h
}

/// Connects from `from` (any port) to `to`.
fn connect_from(from: &str, to: SocketAddr) -> TcpStream {
    let domain = socket2::Domain::for_address(to);
    let s = socket2::Socket::new(domain, socket2::Type::STREAM, None).unwrap();
    s.bind(&SocketAddr::new(from.parse().unwrap(), 0).into())
        .unwrap();
    s.connect_timeout(&to.into(), Duration::from_secs(5))
        .unwrap();
    let s: TcpStream = s.into();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

fn answer(s: TcpStream) -> String {
    let (got, _) = read_all(s);
    String::from_utf8_lossy(&got).into_owned()
}

#[test]
fn haproxy_send_proxy_v1_and_v2_give_the_peer_handler_the_client_address() {
    let srv = Server::start(&[
        "--haproxy-trusted",
        "127.0.0.1",
        "--service",
        "peer",
        "handler=peer",
        "haproxy-listen=127.0.0.1:0",
    ]);
    let dir = temp_dir();
    let v1 = SocketAddr::from(([127, 0, 0, 1], free_port("127.0.0.1")));
    let v2 = SocketAddr::from(([127, 0, 0, 1], free_port("127.0.0.1")));
    let v1_6: SocketAddr = format!("[::1]:{}", free_port("::1")).parse().unwrap();
    let v2_6: SocketAddr = format!("[::1]:{}", free_port("::1")).parse().unwrap();
    let _h = haproxy(
        dir.path(),
        srv.addr("peer"),
        &[
            ("v1", v1, "send-proxy"),
            ("v2", v2, "send-proxy-v2"),
            ("v1_6", v1_6, "send-proxy"),
            ("v2_6", v2_6, "send-proxy-v2"),
        ],
    );
    // HAProxy connects from 127.0.0.1; the clients from elsewhere.
    for front in [v1, v2] {
        let s = connect_from("127.0.0.3", front);
        let port = s.local_addr().unwrap().port();
        assert_eq!(answer(s), format!("127.0.0.3 {port}\r\n"), "via {front}");
    }
    for front in [v1_6, v2_6] {
        let s = connect_from("::1", front);
        let port = s.local_addr().unwrap().port();
        assert_eq!(answer(s), format!("::1 {port}\r\n"), "via {front}");
    }
    assert_eq!(srv.count_log("haproxy: closed"), 0, "{}", srv.log());
}

#[test]
fn haproxy_in_front_of_a_tls_listener_passes_the_handshake_through() {
    let dir = temp_dir();
    let (cert, key) = crate::tls::write_cert(dir.path(), "srv", &["localhost"]);
    let srv = Server::start(&[
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
        "--haproxy-trusted",
        "127.0.0.0/8",
        "--service",
        "peer",
        "handler=peer",
        "haproxy-tls-listen=127.0.0.1:0",
    ]);
    let front = SocketAddr::from(([127, 0, 0, 1], free_port("127.0.0.1")));
    let _h = haproxy(
        dir.path(),
        srv.addr("peer"),
        &[("v2", front, "send-proxy-v2")],
    );
    let cfg = crate::tls::client_config(&cert);
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(cfg, name).unwrap();
    let sock = connect_from("127.0.0.4", front);
    let port = sock.local_addr().unwrap().port();
    let mut tls = rustls::StreamOwned::new(conn, sock);
    let mut got = Vec::new();
    let _ = tls.read_to_end(&mut got);
    assert_eq!(
        String::from_utf8_lossy(&got),
        format!("127.0.0.4 {port}\r\n")
    );
}

/// `svcc-testd` with an `addrs` handler (event or blocking) on a
/// `haproxy = yes` listener trusting `trusted`.
fn addrs_server(handler: &str, trusted: &str) -> Server {
    let h = format!("handler={handler}");
    let mut args = vec!["--haproxy-trusted", trusted, "--service", "a", &h];
    if handler.ends_with("blocking") {
        args.push("cl=1");
    }
    args.extend_from_slice(&["pl=2", "haproxy-listen=127.0.0.1:0"]);
    Server::start(&args)
}

const V1: &[u8] = b"PROXY TCP4 192.0.2.7 198.51.100.1 40000 143\r\n";
const CLAIMED: &str = "192.0.2.7:40000 198.51.100.1:143\r\n";

fn v2(cmd: u8, tlvs: &[u8]) -> Vec<u8> {
    let mut h = b"\r\n\r\n\0\r\nQUIT\n".to_vec();
    h.extend_from_slice(&[0x20 | cmd, 0x11]);
    h.extend_from_slice(&((12 + tlvs.len()) as u16).to_be_bytes());
    h.extend_from_slice(&[192, 0, 2, 7, 198, 51, 100, 1]);
    h.extend_from_slice(&40000u16.to_be_bytes());
    h.extend_from_slice(&143u16.to_be_bytes());
    h.extend_from_slice(tlvs);
    h
}

/// Sends `header` in pieces of `chunk` bytes with pauses, then reads the
/// whole answer.
fn send_in_pieces(addr: SocketAddr, header: &[u8], chunk: usize) -> String {
    let mut s = connect(addr);
    for piece in header.chunks(chunk) {
        s.write_all(piece).unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
    answer(s)
}

#[test]
fn headers_in_pieces_with_tlvs_set_peer_and_local_addresses() {
    for handler in ["addrs", "addrs-blocking"] {
        let srv = addrs_server(handler, "127.0.0.1/32");
        let addr = srv.addr("a");
        assert_eq!(send_in_pieces(addr, V1, 7), CLAIMED, "{handler} v1");
        // PP2_TYPE_ALPN and PP2_TYPE_NOOP, skipped.
        let tlvs = [0x01, 0x00, 0x02, b'h', b'2', 0x04, 0x00, 0x01, 0x00];
        assert_eq!(
            send_in_pieces(addr, &v2(1, &tlvs), 5),
            CLAIMED,
            "{handler} v2"
        );
        // LOCAL (the proxy's own health check): the socket's addresses.
        let mut s = connect(addr);
        let mine = s.local_addr().unwrap();
        s.write_all(&v2(0, &[])).unwrap();
        assert_eq!(answer(s), format!("{mine} {addr}\r\n"), "{handler} LOCAL");
        assert_eq!(srv.count_log("haproxy: closed"), 0, "{}", srv.log());
    }
}

#[test]
fn the_bytes_after_the_header_reach_the_handler() {
    let srv = Server::start(&[
        "--haproxy-trusted",
        "127.0.0.1",
        "--service",
        "e",
        "handler=echo",
        "haproxy-listen=127.0.0.1:0",
    ]);
    let mut s = connect(srv.addr("e"));
    let mut first = V1.to_vec();
    first.extend_from_slice(b"hello ");
    s.write_all(&first).unwrap();
    let mut got = [0u8; 6];
    s.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"hello ");
    echo_roundtrip(&mut s, b"world\r\n");
}

/// Sends `bytes` (then half-closes when `close`) and expects the server to
/// close without a byte of answer and to log why (after a pause: refusals
/// are logged at most once a second).
#[track_caller]
fn refused(srv: &Server, bytes: &[u8], close: bool, why: &str) {
    std::thread::sleep(Duration::from_millis(1100));
    let before = srv.count_log(why);
    let mut s = connect(srv.addr("a"));
    s.write_all(bytes).unwrap();
    if close {
        s.shutdown(std::net::Shutdown::Write).unwrap();
    }
    let (got, _) = read_all(s);
    assert!(
        got.is_empty(),
        "answered {:?}",
        String::from_utf8_lossy(&got)
    );
    srv.wait_log_count(why, before + 1, Duration::from_secs(10))
        .unwrap_or_else(|| panic!("no log line with {why:?}:\n{}", srv.log()));
}

#[test]
fn bad_headers_close_the_connection_and_are_logged() {
    for handler in ["addrs", "addrs-blocking"] {
        let srv = addrs_server(handler, "127.0.0.1");
        refused(
            &srv,
            b"GET / HTTP/1.0\r\n\r\n",
            false,
            "not a PROXY protocol header",
        );
        refused(
            &srv,
            b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",
            false,
            "malformed PROXY v1",
        );
        refused(
            &srv,
            &V1[..20],
            true,
            "closed the connection after 20 byte(s)",
        );
        let mut long = b"PROXY TCP6 ".to_vec();
        long.extend(std::iter::repeat_n(b'1', 300));
        refused(&srv, &long, false, "longer than 107 bytes");
        let mut big = b"\r\n\r\n\0\r\nQUIT\n".to_vec();
        big.extend_from_slice(&[0x21, 0x11, 0xff, 0xff]);
        refused(&srv, &big, false, "at most");
        refused(&srv, &v2(1, &[0x05, 0x00, 0x09, 1]), false, "TLV longer");
        // Too slow: half a header, then nothing (the 3 s header timeout).
        refused(
            &srv,
            &V1[..10],
            false,
            "timed out waiting for the PROXY header",
        );
        // The server still serves good headers.
        assert_eq!(send_in_pieces(srv.addr("a"), V1, 100), CLAIMED);
    }
}

#[test]
fn untrusted_peers_are_closed_even_with_a_good_header() {
    for handler in ["addrs", "addrs-blocking"] {
        let srv = addrs_server(handler, "10.0.0.0/8");
        refused(&srv, V1, false, "not in haproxy_trusted_networks");
    }
}

#[test]
fn refusals_are_logged_at_most_once_a_second() {
    let srv = addrs_server("addrs", "127.0.0.1");
    for _ in 0..30 {
        let mut s = connect(srv.addr("a"));
        s.write_all(b"garbage\r\n").unwrap();
        let _ = read_all(s);
    }
    // 30 refusals in (well) under a few seconds: a handful of lines, and
    // the count of those not logged on its own line.
    let lines = srv.count_log("haproxy: closed");
    assert!((1..30).contains(&lines), "{lines} lines:\n{}", srv.log());
}

/// A TLS handshake (after `header`) to `addr`; the server's leaf
/// certificate and what it then sent.
fn tls_after(addr: SocketAddr, header: &[u8], ca: &Path) -> (Vec<u8>, String) {
    let cfg = crate::tls::client_config(ca);
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(cfg, name).unwrap();
    let mut sock = connect(addr);
    sock.write_all(header).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, sock);
    let mut got = Vec::new();
    let _ = tls.read_to_end(&mut got);
    let leaf = tls.conn.peer_certificates().expect("a handshake")[0].to_vec();
    (leaf, String::from_utf8_lossy(&got).into_owned())
}

#[test]
fn a_local_certificate_is_chosen_by_the_headers_destination() {
    let dir = temp_dir();
    let (a_cert, a_key) = crate::tls::write_cert(dir.path(), "a", &["localhost"]);
    let (b_cert, b_key) = crate::tls::write_cert(dir.path(), "b", &["localhost"]);
    let both = dir.path().join("both.pem");
    let mut pem = std::fs::read(&a_cert).unwrap();
    pem.extend(std::fs::read(&b_cert).unwrap());
    std::fs::write(&both, pem).unwrap();
    let local = format!("198.51.100.0/24={},{}", b_cert.display(), b_key.display());
    for handler in ["addrs", "addrs-blocking"] {
        let h = format!("handler={handler}");
        let srv = Server::start(&[
            "--tls-cert",
            a_cert.to_str().unwrap(),
            "--tls-key",
            a_key.to_str().unwrap(),
            "--tls-local",
            &local,
            "--haproxy-trusted",
            "127.0.0.1",
            "--service",
            "a",
            &h,
            "cl=1",
            "haproxy-tls-listen=127.0.0.1:0",
        ]);
        let addr = srv.addr("a");
        let (leaf, got) = tls_after(addr, V1, &both);
        assert_eq!(
            leaf,
            crate::tls::der_of(&b_cert),
            "{handler}: the header's destination"
        );
        assert_eq!(got, CLAIMED, "{handler}");
        let (leaf, _) = tls_after(addr, b"PROXY TCP4 192.0.2.7 127.0.0.1 40000 143\r\n", &both);
        assert_eq!(leaf, crate::tls::der_of(&a_cert), "{handler}: elsewhere");
    }
}
