//! HAProxy's PROXY protocol, versions 1 (text) and 2 (binary), for
//! `haproxy = yes` listeners: the header a trusted load balancer sends
//! before the client's first byte, carrying the client's address and the
//! address it connected to.
//!
//! One [`Reader`] serves both workers: it reads exactly the bytes the
//! header can still have (never the client's data after it), from a
//! non-blocking socket in pieces (the event worker, which calls it again
//! on the next readiness event) or from a blocking one with a receive
//! timeout (the blocking worker). v2 TLVs are checked for framing and
//! skipped; a `LOCAL` command (v2) or `UNKNOWN` (v1), a health check of
//! the proxy itself, keeps the socket's own addresses.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use crate::log::{log_svc, RateLimit};
use crate::spec::IpNet;

/// How long a trusted peer has for its whole header (Dovecot's
/// `HAPROXY_TIMEOUT_MSECS`).
pub(crate) const HEADER_TIMEOUT: Duration = Duration::from_secs(3);

/// The v2 signature.
const V2_SIG: [u8; 12] = *b"\r\n\r\n\0\r\nQUIT\n";
/// v1's prefix.
const V1_PREFIX: &[u8] = b"PROXY ";
/// The longest v1 header, CRLF included (the specification's 107 bytes).
const V1_MAX: usize = 107;
/// The shortest possible header (`PROXY UNKNOWN\r\n`): this much is read
/// before anything else, as it cannot reach past any header.
const MIN_HEADER: usize = 15;
/// The most address and TLV bytes a v2 header may carry here: more is
/// refused as oversized (the addresses take at most 216 bytes; TLVs from
/// load balancers are far below this).
const V2_MAX_PAYLOAD: usize = 4096;

/// The addresses a header carries: `None` = keep the socket's own (v2
/// `LOCAL`, v1 `UNKNOWN`, or a family without IP addresses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Addrs {
    /// The client's address.
    pub source: SocketAddr,
    /// The address the client connected to.
    pub dest: SocketAddr,
}

/// Whether `peer` may send a PROXY header: inside a trusted network.
pub(crate) fn trusted(nets: &[IpNet], peer: Option<SocketAddr>) -> bool {
    peer.is_some_and(|p| nets.iter().any(|n| n.contains(p.ip())))
}

/// Connections a `haproxy = yes` listener closed (untrusted peer, bad or
/// late header), logged at most once a second with a count.
#[derive(Debug, Default)]
pub(crate) struct Refusals {
    unlogged: u64,
    limit: RateLimit,
}

impl Refusals {
    /// Counts a closed connection from `peer`; logs why, at most once a
    /// second.
    pub fn refused(&mut self, service: &str, peer: Option<SocketAddr>, why: &str) {
        self.unlogged += 1;
        if self.limit.ready(Instant::now(), Duration::from_secs(1)) {
            let peer = peer.map_or_else(|| "?".to_string(), |p| p.to_string());
            let more = match self.unlogged {
                1 => String::new(),
                n => format!(" ({} more since the last message)", n - 1),
            };
            log_svc!(
                service,
                "haproxy: closed the connection from {peer}: {why}{more}"
            );
            self.unlogged = 0;
        }
    }
}

/// The reason for an untrusted peer.
pub(crate) const UNTRUSTED: &str =
    "not in haproxy_trusted_networks (a PROXY header is accepted only from those)";

/// Where reading a header stands.
#[derive(Debug)]
pub(crate) enum Step {
    /// The socket has nothing more for now (or, on a blocking socket, the
    /// receive timeout passed).
    Pending,
    /// A complete, valid header.
    Done(Option<Addrs>),
    /// Truncated (the peer closed), oversized or malformed: why.
    Failed(String),
}

/// A header being read.
#[derive(Debug, Default)]
pub(crate) struct Reader {
    buf: Vec<u8>,
}

impl Reader {
    /// Reads with `read` (a `recv` on the socket) until the header is
    /// complete, the socket has nothing more, or the header is bad.
    pub fn feed(&mut self, mut read: impl FnMut(&mut [u8]) -> io::Result<usize>) -> Step {
        let mut tmp = [0u8; 512];
        loop {
            let want = match self.want() {
                Ok(0) => {
                    return match parse(&self.buf) {
                        Ok(a) => Step::Done(a),
                        Err(e) => Step::Failed(e),
                    }
                }
                Ok(n) => n.min(tmp.len()),
                Err(e) => return Step::Failed(e),
            };
            match read(&mut tmp[..want]) {
                Ok(0) => {
                    return Step::Failed(format!(
                        "the peer closed the connection after {} byte(s) of a PROXY header",
                        self.buf.len()
                    ))
                }
                Ok(n) => self.buf.extend_from_slice(&tmp[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Step::Pending
                }
                Err(e) => return Step::Failed(format!("reading the PROXY header: {e}")),
            }
        }
    }

    /// How many more bytes the header has for certain (0: complete), after
    /// checking what has arrived so far.
    fn want(&self) -> Result<usize, String> {
        let b = &self.buf;
        let n = b.len();
        let sig = n.min(V2_SIG.len());
        let v1 = n.min(V1_PREFIX.len());
        if b[..v1] == V1_PREFIX[..v1] {
            if n < MIN_HEADER {
                return Ok(MIN_HEADER - n);
            }
            if b.ends_with(b"\r\n") {
                return Ok(0);
            }
            if n >= V1_MAX {
                return Err(format!("PROXY v1 header longer than {V1_MAX} bytes"));
            }
            // The end is a CRLF somewhere ahead: one byte at a time, so
            // nothing after it is read.
            return Ok(if b.ends_with(b"\r") {
                1
            } else {
                2.min(V1_MAX - n)
            });
        }
        if b[..sig] == V2_SIG[..sig] {
            if n < 16 {
                return Ok(16 - n);
            }
            let len = u16::from_be_bytes([b[14], b[15]]) as usize;
            if len > V2_MAX_PAYLOAD {
                return Err(format!(
                    "PROXY v2 header of {} bytes (at most {} accepted)",
                    16 + len,
                    16 + V2_MAX_PAYLOAD
                ));
            }
            return Ok(16 + len - n);
        }
        Err("not a PROXY protocol header".into())
    }
}

/// Parses a complete header.
fn parse(b: &[u8]) -> Result<Option<Addrs>, String> {
    if b.starts_with(V1_PREFIX) {
        parse_v1(b)
    } else {
        parse_v2(b)
    }
}

fn parse_v1(b: &[u8]) -> Result<Option<Addrs>, String> {
    let bad = || "malformed PROXY v1 header".to_string();
    let line = b
        .strip_suffix(b"\r\n")
        .and_then(|l| std::str::from_utf8(l).ok())
        .ok_or_else(bad)?;
    let fields: Vec<&str> = line.split(' ').collect();
    match fields.as_slice() {
        ["PROXY", "UNKNOWN", ..] => Ok(None),
        ["PROXY", fam @ ("TCP4" | "TCP6"), src, dst, sport, dport] => {
            let ip = |s: &str| -> Result<IpAddr, String> {
                if *fam == "TCP4" {
                    s.parse::<Ipv4Addr>().map(IpAddr::V4).map_err(|_| bad())
                } else {
                    s.parse::<Ipv6Addr>().map(IpAddr::V6).map_err(|_| bad())
                }
            };
            let port = |s: &str| -> Result<u16, String> {
                // Decimal digits only, no sign, no leading zero.
                if s.is_empty()
                    || !s.bytes().all(|c| c.is_ascii_digit())
                    || (s.len() > 1 && s.starts_with('0'))
                {
                    return Err(bad());
                }
                s.parse().map_err(|_| bad())
            };
            Ok(Some(Addrs {
                source: SocketAddr::new(ip(src)?, port(sport)?),
                dest: SocketAddr::new(ip(dst)?, port(dport)?),
            }))
        }
        _ => Err(bad()),
    }
}

fn parse_v2(b: &[u8]) -> Result<Option<Addrs>, String> {
    let ver_cmd = b[12];
    if ver_cmd >> 4 != 2 {
        return Err(format!("PROXY v2 header with version {}", ver_cmd >> 4));
    }
    let local = match ver_cmd & 0x0f {
        0 => true,
        1 => false,
        c => return Err(format!("PROXY v2 header with unknown command {c}")),
    };
    let payload = &b[16..];
    let (addrs, rest) = match b[13] >> 4 {
        // AF_INET
        1 => {
            if payload.len() < 12 {
                return Err("PROXY v2 header too short for IPv4 addresses".into());
            }
            let p = payload;
            let src = Ipv4Addr::new(p[0], p[1], p[2], p[3]);
            let dst = Ipv4Addr::new(p[4], p[5], p[6], p[7]);
            let a = Addrs {
                source: SocketAddr::new(src.into(), u16::from_be_bytes([p[8], p[9]])),
                dest: SocketAddr::new(dst.into(), u16::from_be_bytes([p[10], p[11]])),
            };
            (Some(a), &p[12..])
        }
        // AF_INET6
        2 => {
            if payload.len() < 36 {
                return Err("PROXY v2 header too short for IPv6 addresses".into());
            }
            let p = payload;
            let ip = |s: &[u8]| -> Ipv6Addr {
                let mut o = [0u8; 16];
                o.copy_from_slice(s);
                Ipv6Addr::from(o)
            };
            let a = Addrs {
                source: SocketAddr::new(ip(&p[0..16]).into(), u16::from_be_bytes([p[32], p[33]])),
                dest: SocketAddr::new(ip(&p[16..32]).into(), u16::from_be_bytes([p[34], p[35]])),
            };
            (Some(a), &p[36..])
        }
        // AF_UNSPEC
        0 => (None, payload),
        // AF_UNIX: paths, not IP addresses.
        3 => {
            if payload.len() < 216 {
                return Err("PROXY v2 header too short for unix addresses".into());
            }
            (None, &payload[216..])
        }
        f => return Err(format!("PROXY v2 header with unknown address family {f}")),
    };
    // TLVs: type, 16-bit length, value; skipped, but they must fit.
    let mut t = rest;
    while !t.is_empty() {
        if t.len() < 3 {
            return Err("PROXY v2 header with a truncated TLV".into());
        }
        let len = u16::from_be_bytes([t[1], t[2]]) as usize;
        if t.len() < 3 + len {
            return Err("PROXY v2 header with a TLV longer than the header".into());
        }
        t = &t[3 + len..];
    }
    Ok(if local { None } else { addrs })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `input` in pieces of `chunk` bytes, one `feed` per piece
    /// (as readiness events would), and returns the step plus how many
    /// bytes were consumed.
    fn read_in(input: &[u8], chunk: usize) -> (Step, usize) {
        let mut r = Reader::default();
        let mut pos = 0;
        let mut avail = 0;
        loop {
            avail = (avail + chunk).min(input.len());
            let eof = avail == input.len();
            let step = r.feed(|buf| {
                if pos == avail {
                    return if eof {
                        Ok(0)
                    } else {
                        Err(io::ErrorKind::WouldBlock.into())
                    };
                }
                let n = buf.len().min(avail - pos);
                buf[..n].copy_from_slice(&input[pos..pos + n]);
                pos += n;
                Ok(n)
            });
            match step {
                Step::Pending => continue,
                s => return (s, pos),
            }
        }
    }

    fn v2(cmd: u8, fam: u8, payload: &[u8]) -> Vec<u8> {
        let mut h = V2_SIG.to_vec();
        h.push(0x20 | cmd);
        h.push(fam);
        h.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        h.extend_from_slice(payload);
        h
    }

    fn v2_inet(tlvs: &[u8]) -> Vec<u8> {
        let mut p = vec![192, 0, 2, 7, 127, 0, 0, 1];
        p.extend_from_slice(&40000u16.to_be_bytes());
        p.extend_from_slice(&143u16.to_be_bytes());
        p.extend_from_slice(tlvs);
        v2(1, 0x11, &p)
    }

    fn addrs(src: &str, dst: &str) -> Option<Addrs> {
        Some(Addrs {
            source: src.parse().unwrap(),
            dest: dst.parse().unwrap(),
        })
    }

    #[track_caller]
    fn done(input: &[u8], chunk: usize) -> (Option<Addrs>, usize) {
        match read_in(input, chunk) {
            (Step::Done(a), n) => (a, n),
            (s, _) => panic!("{s:?} for {input:?}"),
        }
    }

    #[track_caller]
    fn failed(input: &[u8]) -> String {
        match read_in(input, 1000) {
            (Step::Failed(e), _) => e,
            (s, _) => panic!("expected a failure, got {s:?}"),
        }
    }

    #[test]
    fn v1_in_any_pieces_stops_at_the_header() {
        let mut input = b"PROXY TCP4 192.0.2.7 127.0.0.1 40000 143\r\n".to_vec();
        let header = input.len();
        input.extend_from_slice(b"a001 LOGIN\r\n");
        for chunk in [1, 2, 7, 100] {
            let (a, n) = done(&input, chunk);
            assert_eq!(a, addrs("192.0.2.7:40000", "127.0.0.1:143"));
            assert_eq!(n, header, "read past the header in pieces of {chunk}");
        }
        let (a, _) = done(b"PROXY TCP6 2001:db8::7 ::1 65535 0\r\n", 5);
        assert_eq!(a, addrs("[2001:db8::7]:65535", "[::1]:0"));
        let (a, n) = done(b"PROXY UNKNOWN\r\nX", 100);
        assert_eq!((a, n), (None, 15));
        assert_eq!(done(b"PROXY UNKNOWN ffff::1 ::1 1 2\r\n", 3).0, None);
    }

    #[test]
    fn v2_with_tlvs_in_any_pieces_stops_at_the_header() {
        let tlvs = [0x01, 0x00, 0x02, b'h', b'2', 0x04, 0x00, 0x00];
        let mut input = v2_inet(&tlvs);
        let header = input.len();
        input.extend_from_slice(b"\x16\x03\x01 TLS");
        for chunk in [1, 3, 16, 1000] {
            let (a, n) = done(&input, chunk);
            assert_eq!(a, addrs("192.0.2.7:40000", "127.0.0.1:143"));
            assert_eq!(n, header);
        }
        let mut p6 = Vec::new();
        p6.extend_from_slice(&"2001:db8::7".parse::<Ipv6Addr>().unwrap().octets());
        p6.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        p6.extend_from_slice(&[0x9c, 0x40, 0x00, 0x8f]);
        assert_eq!(
            done(&v2(1, 0x21, &p6), 4).0,
            addrs("[2001:db8::7]:40000", "[::1]:143")
        );
    }

    #[test]
    fn v2_local_and_unspec_keep_the_socket_addresses() {
        let mut input = v2_inet(&[]);
        input[12] = 0x20; // LOCAL
        assert_eq!(done(&input, 1000).0, None);
        assert_eq!(done(&v2(0, 0x00, &[]), 2).0, None);
    }

    #[test]
    fn truncated_headers_fail_when_the_peer_closes() {
        let full = v2_inet(&[]);
        for cut in [0, 5, 13, 16, full.len() - 1] {
            assert!(failed(&full[..cut]).contains("closed"), "cut at {cut}");
        }
        assert!(failed(b"PROXY TCP4 192.0.2.7").contains("closed"));
    }

    #[test]
    fn oversized_headers_fail_before_they_are_read() {
        let mut v1 = b"PROXY TCP6 ".to_vec();
        v1.extend(std::iter::repeat_n(b'1', 200));
        let (s, n) = read_in(&v1, 1000);
        assert!(
            matches!(s, Step::Failed(ref e) if e.contains("longer")),
            "{s:?}"
        );
        assert_eq!(n, V1_MAX);
        let mut big = V2_SIG.to_vec();
        big.extend_from_slice(&[0x21, 0x11, 0xff, 0xff]);
        let (s, n) = read_in(&big, 1000);
        assert!(
            matches!(s, Step::Failed(ref e) if e.contains("at most")),
            "{s:?}"
        );
        assert_eq!(n, 16);
    }

    #[test]
    fn malformed_headers_fail() {
        for bad in [
            &b"GET / HTTP/1.1\r\n\r\n"[..],
            b"PROXY TCP4 192.0.2.7 127.0.0.1 40000\r\n",
            b"PROXY TCP4 2001:db8::1 127.0.0.1 1 2\r\n",
            b"PROXY TCP4 192.0.2.7 127.0.0.1 70000 143\r\n",
            b"PROXY TCP4 192.0.2.7 127.0.0.1 +1 143\r\n",
            b"PROXY TCP4 192.0.2.7  127.0.0.1 1 143\r\n",
            b"PROXY UDP4 192.0.2.7 127.0.0.1 1 143\r\n",
            b"PROXY TCP4 192.0.2.7 127.0.0.1 1 143\n\r\n",
        ] {
            failed(bad);
        }
        let mut v = v2_inet(&[]);
        v[12] = 0x11; // version 1 in a v2 header
        assert!(failed(&v).contains("version"));
        let mut v = v2_inet(&[]);
        v[12] = 0x22; // command 2
        assert!(failed(&v).contains("command"));
        assert!(failed(&v2(1, 0x11, &[1, 2, 3])).contains("too short"));
        assert!(failed(&v2(1, 0x41, &[0; 12])).contains("family"));
        // A TLV claiming more than the header holds.
        assert!(failed(&v2_inet(&[0x05, 0x00, 0x09, 1])).contains("TLV"));
        assert!(failed(&v2_inet(&[0x05, 0x00])).contains("TLV"));
    }
}
