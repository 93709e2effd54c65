use std::io::{self, Write as _};

use crate::handler::{Conn, EventHandler};

/// Largest request head (request line plus headers) accepted.
const MAX_HEAD: usize = 16 << 10;
/// Largest request body accepted; more gives `413` and a close.
pub const MAX_BODY: u64 = 64 << 10;
/// Output queued per turn while producing a large body.
const FILL_CHUNK: usize = 64 << 10;

/// The body pattern of `GET /bytes/N`: byte `i` is `b'a' + i % 26`.
static PATTERN: [u8; 16 << 10] = {
    let mut p = [0u8; 16 << 10];
    let mut i = 0;
    while i < p.len() {
        p[i] = b'a' + (i % 26) as u8;
        i += 1;
    }
    p
};

/// `http`: minimal HTTP/1.1 with keep-alive.
///
/// * `GET /` → `200`, body `hello\n`.
/// * `GET /bytes/N` → `200` with N bytes (byte `i` is `b'a' + i % 26`),
///   produced as the client reads, never buffered whole.
/// * `HEAD` of either: the same headers, no body.
/// * A `Content-Length` over 64 KiB → `413` and close; a chunked body → `411`
///   and close; other methods → `405` (body read and dropped); other paths →
///   `404`; a malformed request → `400` and close; a head over 16 KiB → `431`
///   and close.
/// * `Connection: close` (or HTTP/1.0 without `Connection: keep-alive`): the
///   response says `Connection: close` and the server closes after it.
/// * Pipelined requests are answered in order.
#[derive(Debug, Default)]
pub struct Http;

/// Per-connection state of [`Http`].
#[derive(Debug, Default)]
pub struct HttpState {
    buf: Vec<u8>,
    /// Request body bytes still to read and drop.
    body_left: u64,
    /// Response body bytes still to produce.
    resp_left: u64,
    resp_off: u64,
    close_after: bool,
    /// How much of `buf` is known to hold no head end: a head arriving a
    /// byte at a time is scanned once, not once per byte.
    scanned: usize,
}

struct Request {
    head_len: usize,
    status: u16,
    body: &'static [u8],
    bytes: u64,
    head_only: bool,
    close: bool,
    /// An HTTP/1.0 request (kept alive only when asked, and then told so).
    http10: bool,
    content_length: u64,
    fatal: bool,
}

impl EventHandler for Http {
    type State = HttpState;
    /// The first request head must arrive within `client_request_timeout`
    /// (nginx's `client_header_timeout`).
    const FIRST_REQUEST_DEADLINE: bool = true;

    fn open(&mut self, _conn: &mut Conn<'_>) -> HttpState {
        HttpState::default()
    }

    fn readable(&mut self, st: &mut HttpState, conn: &mut Conn<'_>) {
        pump(st, conn);
    }

    fn writable(&mut self, st: &mut HttpState, conn: &mut Conn<'_>) {
        pump(st, conn);
    }

    fn shutdown(&mut self, st: &mut HttpState, conn: &mut Conn<'_>) {
        st.close_after = true;
        if st.resp_left == 0 && st.body_left == 0 && st.buf.is_empty() {
            conn.close();
        }
    }
}

fn pump(st: &mut HttpState, conn: &mut Conn<'_>) {
    loop {
        if conn.is_closing() {
            return;
        }
        if st.resp_left > 0 {
            fill(st, conn);
            if st.resp_left > 0 {
                return;
            }
            if st.close_after {
                return conn.close();
            }
        }
        if st.body_left > 0 && !st.buf.is_empty() {
            let n = (st.buf.len() as u64).min(st.body_left) as usize;
            st.buf.drain(..n);
            st.scanned = 0;
            st.body_left -= n as u64;
        }
        if st.body_left == 0 {
            let limit = st.buf.len().min(MAX_HEAD + 4);
            let from = st.scanned.saturating_sub(3).min(limit);
            let complete = find_head_end(&st.buf[from..limit]).is_some();
            st.scanned = if complete { 0 } else { limit };
            if let Some(req) = complete.then(|| parse(&st.buf)).flatten() {
                conn.request_done();
                st.buf.drain(..req.head_len);
                respond(st, conn, &req);
                continue;
            }
            if st.buf.len() > MAX_HEAD {
                simple(conn, 431, b"request head too large\n", true);
                return conn.close();
            }
            if st.close_after && st.buf.is_empty() && conn.shutting_down() {
                return conn.close();
            }
        }
        if conn.pending_output() >= Conn::HIGH_WATER {
            return;
        }
        let old = st.buf.len();
        st.buf.resize(old + 4096, 0);
        match conn.read(&mut st.buf[old..]) {
            Ok(0) => {
                st.buf.truncate(old);
                return conn.close();
            }
            Ok(n) => st.buf.truncate(old + n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                st.buf.truncate(old);
                return;
            }
            Err(_) => {
                st.buf.truncate(old);
                return conn.close();
            }
        }
    }
}

fn fill(st: &mut HttpState, conn: &mut Conn<'_>) {
    while st.resp_left > 0 && conn.pending_output() < FILL_CHUNK {
        let off = (st.resp_off % 26) as usize;
        let n = (st.resp_left as usize).min(PATTERN.len() - 26);
        conn.write(&PATTERN[off..off + n]);
        st.resp_left -= n as u64;
        st.resp_off += n as u64;
    }
}

fn respond(st: &mut HttpState, conn: &mut Conn<'_>, req: &Request) {
    let close = req.close || req.fatal || st.close_after;
    // Head and a small body go out in one send: two small writes would meet
    // Nagle and the client's delayed ACK (40 ms per keep-alive request).
    let mut head = [0u8; 512];
    let len = {
        let mut w = &mut head[..];
        let _ = write!(
            w,
            "HTTP/1.1 {} {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n{}\r\n",
            req.status,
            reason(req.status),
            if req.bytes > 0 {
                req.bytes
            } else {
                req.body.len() as u64
            },
            if close {
                "Connection: close\r\n"
            } else if req.http10 {
                "Connection: keep-alive\r\n"
            } else {
                ""
            }
        );
        if !req.head_only {
            let _ = w.write_all(req.body);
        }
        512 - w.len()
    };
    conn.write(&head[..len]);
    if !req.head_only {
        st.resp_left = req.bytes;
        st.resp_off = 0;
    }
    if req.fatal {
        st.buf.clear();
        st.close_after = true;
        if st.resp_left == 0 {
            conn.close();
        }
        return;
    }
    st.body_left = req.content_length;
    if close {
        st.close_after = true;
        if st.resp_left == 0 {
            conn.close();
        }
    }
}

fn simple(conn: &mut Conn<'_>, status: u16, body: &'static [u8], close: bool) {
    let mut head = [0u8; 512];
    let len = {
        let mut w = &mut head[..];
        let _ = write!(
            w,
            "HTTP/1.1 {} {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n{}\r\n",
            status,
            reason(status),
            body.len(),
            if close { "Connection: close\r\n" } else { "" }
        );
        let _ = w.write_all(body);
        512 - w.len()
    };
    conn.write(&head[..len]);
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

fn bad(head_len: usize, status: u16, body: &'static [u8]) -> Request {
    Request {
        head_len,
        status,
        body,
        bytes: 0,
        head_only: false,
        close: true,
        http10: false,
        content_length: 0,
        fatal: true,
    }
}

/// Parses one complete request head at the start of `buf`.
fn parse(buf: &[u8]) -> Option<Request> {
    let head_len = find_head_end(&buf[..buf.len().min(MAX_HEAD + 4)])?;
    let head = &buf[..head_len - 4];
    let mut lines = head
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(|b| *b == b' ').filter(|p| !p.is_empty());
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Some(bad(head_len, 400, b"bad request\n"));
    };
    let http10 = match version {
        b"HTTP/1.1" => false,
        b"HTTP/1.0" => true,
        _ => return Some(bad(head_len, 505, b"HTTP/1.0 or 1.1 only\n")),
    };
    let mut close = http10;
    let mut content_length: u64 = 0;
    for l in lines {
        let Some(colon) = l.iter().position(|b| *b == b':') else {
            return Some(bad(head_len, 400, b"bad header\n"));
        };
        let name = &l[..colon];
        let value = l[colon + 1..].trim_ascii();
        if name.eq_ignore_ascii_case(b"content-length") {
            match std::str::from_utf8(value)
                .ok()
                .and_then(|v| v.parse::<u64>().ok())
            {
                Some(n) => content_length = n,
                None => return Some(bad(head_len, 400, b"bad content-length\n")),
            }
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            return Some(bad(head_len, 411, b"chunked bodies are not supported\n"));
        } else if name.eq_ignore_ascii_case(b"connection") {
            for tok in value.split(|b| *b == b',') {
                let tok = tok.trim_ascii();
                if tok.eq_ignore_ascii_case(b"close") {
                    close = true;
                } else if tok.eq_ignore_ascii_case(b"keep-alive") && http10 {
                    close = false;
                }
            }
        }
    }
    if content_length > MAX_BODY {
        return Some(bad(head_len, 413, b"request body over 64 KiB\n"));
    }
    let head_only = method == b"HEAD";
    let mut req = Request {
        head_len,
        status: 200,
        body: b"hello\n",
        bytes: 0,
        head_only,
        close,
        http10,
        content_length,
        fatal: false,
    };
    if method != b"GET" && !head_only {
        req.status = 405;
        req.body = b"GET or HEAD only\n";
        return Some(req);
    }
    if target == b"/" {
        return Some(req);
    }
    if let Some(n) = target.strip_prefix(b"/bytes/") {
        if let Some(n) = std::str::from_utf8(n)
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
        {
            req.body = b"";
            req.bytes = n;
            return Some(req);
        }
    }
    req.status = 404;
    req.body = b"not found\n";
    Some(req)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_get_root() {
        let r = parse(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nrest").unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.body, b"hello\n");
        assert!(!r.close);
        assert_eq!(r.head_len, 27);
    }

    #[test]
    fn parses_bytes_and_connection_close() {
        let r = parse(b"GET /bytes/123 HTTP/1.1\r\nConnection: Close\r\n\r\n").unwrap();
        assert_eq!((r.status, r.bytes, r.close), (200, 123, true));
    }

    #[test]
    fn http10_closes_unless_keep_alive() {
        assert!(parse(b"GET / HTTP/1.0\r\n\r\n").unwrap().close);
        assert!(
            !parse(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                .unwrap()
                .close
        );
    }

    #[test]
    fn large_body_is_413_and_fatal() {
        let r = parse(b"POST / HTTP/1.1\r\nContent-Length: 65537\r\n\r\n").unwrap();
        assert_eq!(r.status, 413);
        assert!(r.fatal && r.close);
        let r = parse(b"POST / HTTP/1.1\r\nContent-Length: 65536\r\n\r\n").unwrap();
        assert_eq!(r.status, 405);
        assert_eq!(r.content_length, 65536);
    }

    #[test]
    fn incomplete_and_malformed() {
        assert!(parse(b"GET / HTTP/1.1\r\nHost: x\r\n").is_none());
        assert_eq!(parse(b"garbage\r\n\r\n").unwrap().status, 400);
        assert_eq!(parse(b"GET /nope HTTP/1.1\r\n\r\n").unwrap().status, 404);
        assert_eq!(parse(b"GET / HTTP/2\r\n\r\n").unwrap().status, 505);
    }

    #[test]
    fn pattern_is_alphabet() {
        assert_eq!(&PATTERN[..3], b"abc");
        assert_eq!(PATTERN[26], b'a');
    }
}
