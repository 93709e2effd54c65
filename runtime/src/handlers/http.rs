use std::io::{self, Write as _};

use crate::handler::{Conn, EventHandler};

/// Largest request head (request line plus headers) accepted.
/// Requests are parsed with `httparse` (RFC 9112; see [`parse`]).
const MAX_HEAD: usize = 16 << 10;
/// Largest request body accepted by default (`max_body`); more gives
/// `413` and a close.
pub const MAX_BODY: u64 = 64 << 10;
/// Room a response head (or a short error response) needs: a request is
/// parsed only when the queue has this much room, so heads are written
/// whole.
const HEAD_ROOM: usize = 512;

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
/// * A `Content-Length` over `max_body` (a setting, default 64 KiB:
///   `settings { max_body = 1M }`) → `413` and close; a chunked body → `411`
///   and close (chunked request bodies are refused, not decoded); other
///   methods → `405` (body read and dropped); other paths → `404`; a head
///   over 16 KiB → `431` and close.
/// * Parsing is `httparse`'s, plus RFC 9112's rules for servers: a malformed
///   request line or field (a blank before the colon, NUL or other controls,
///   obsolete folding), a missing or repeated `Host` in HTTP/1.1, or
///   `Content-Length`s that are not plain digits or disagree → `400` and
///   close. Lines may end in a bare LF. A request line that can never be
///   valid (HTTP/0.9's `GET /`) is answered `400` as soon as it is complete;
///   another version → `505`.
/// * The whole first request head must arrive within the service's
///   `client_request_timeout` (nginx's `client_header_timeout`).
/// * `Connection: close` (or HTTP/1.0 without `Connection: keep-alive`): the
///   response says `Connection: close` and the server closes after it.
/// * Pipelined requests are answered in order.
#[derive(Debug)]
pub struct Http {
    max_body: u64,
}

/// [`Http`]'s settings.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    /// Largest request body accepted (bytes, or a size: `64k`, `1M`).
    #[serde(default = "HttpSettings::default_max_body")]
    pub max_body: u64,
}

impl HttpSettings {
    fn default_max_body() -> u64 {
        MAX_BODY
    }
}

impl crate::settings::WithSettings for Http {
    type Settings = HttpSettings;
    const FIELDS: Option<&'static [&'static str]> = Some(svcc_facts::HTTP_SETTINGS);

    fn new(s: &HttpSettings) -> Self {
        Http {
            max_body: s.max_body,
        }
    }
}

/// `metrics`: the master's counters as an OpenMetrics/Prometheus
/// endpoint, over the same HTTP/1.1 as [`Http`].
///
/// * `GET /metrics` (or `HEAD`) → `200` with what `BIN status --metrics`
///   prints (`Content-Type: application/openmetrics-text;
///   version=1.0.0`): per service, processes, idle processes, clients,
///   client slots, connections accepted and dropped, forks, respawns,
///   throttling, and each listener's accept queue and its limit.
/// * Other paths → `404`; the master not answering (it is shutting down)
///   → `503`.
///
/// Enable it the Dovecot way, as a service with an `inet_listener` (or a
/// `unix_listener`):
///
/// ```text
/// service metrics {
///   executable = metrics
///   inet_listener http {
///     address = 127.0.0.1
///     port = 9900
///   }
/// }
/// ```
///
/// Its workers ask the master over a private channel; they never see the
/// master's control socket.
#[derive(Debug, Default)]
pub struct Metrics;

/// What a handler answers: [`Http`]'s demo routes or [`Metrics`]'.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Routes {
    /// `/` and `/bytes/N`, with the largest body accepted.
    Demo {
        max_body: u64,
    },
    Metrics,
}

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
    /// The current request's line is complete and was checked.
    line_checked: bool,
    /// The connection ends on an error answer: whatever the client still
    /// sends is unread.
    fatal: bool,
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
    /// `GET /metrics` of [`Metrics`]: the body comes from the master.
    metrics: bool,
}

impl EventHandler for Metrics {
    type State = HttpState;
    const FIRST_REQUEST_DEADLINE: bool = true;
    const MASTER_STATUS: bool = true;

    fn open(&mut self, _conn: &mut Conn<'_>) -> HttpState {
        HttpState::default()
    }

    fn readable(&mut self, st: &mut HttpState, conn: &mut Conn<'_>) {
        pump(st, conn, Routes::Metrics);
    }

    fn writable(&mut self, st: &mut HttpState, conn: &mut Conn<'_>) {
        pump(st, conn, Routes::Metrics);
    }

    fn shutdown(&mut self, st: &mut HttpState, conn: &mut Conn<'_>) {
        shutdown(st, conn);
    }
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
        pump(
            st,
            conn,
            Routes::Demo {
                max_body: self.max_body,
            },
        );
    }

    fn writable(&mut self, st: &mut HttpState, conn: &mut Conn<'_>) {
        pump(
            st,
            conn,
            Routes::Demo {
                max_body: self.max_body,
            },
        );
    }

    fn shutdown(&mut self, st: &mut HttpState, conn: &mut Conn<'_>) {
        shutdown(st, conn);
    }
}

fn shutdown(st: &mut HttpState, conn: &mut Conn<'_>) {
    st.close_after = true;
    if st.resp_left == 0 && st.body_left == 0 && st.buf.is_empty() {
        conn.close();
    }
}

fn pump(st: &mut HttpState, conn: &mut Conn<'_>, routes: Routes) {
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
                return finish(st, conn);
            }
        }
        if conn.write_room() < HEAD_ROOM {
            // Pipelined requests wait until the client reads: `writable`.
            return;
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
            let early = if complete || st.line_checked {
                None
            } else {
                let r = check_request_line(&st.buf[..limit]);
                st.line_checked = st.buf[..limit].contains(&b'\n');
                r
            };
            if let Some(req) = early.or_else(|| complete.then(|| parse(&st.buf, routes)).flatten())
            {
                st.line_checked = false;
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
                // An idle keep-alive connection holds no buffer (as nginx
                // frees its request buffer): 4 KiB each adds up over
                // thousands of idle clients.
                if old == 0 {
                    st.buf = Vec::new();
                }
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
    // As much as the write bound takes; `writable` brings the rest.
    while st.resp_left > 0 {
        let off = (st.resp_off % 26) as usize;
        let n = (st.resp_left as usize).min(PATTERN.len() - 26);
        match conn.write(&PATTERN[off..off + n]) {
            Ok(w) => {
                st.resp_left -= w as u64;
                st.resp_off += w as u64;
            }
            Err(_) => return,
        }
    }
}

fn respond(st: &mut HttpState, conn: &mut Conn<'_>, req: &Request) {
    let close = req.close || req.fatal || st.close_after;
    if req.metrics {
        return respond_metrics(st, conn, req, close);
    }
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
    // Whole: `pump` checked for HEAD_ROOM (a failure ends the connection).
    let _ = conn.write(&head[..len]);
    if !req.head_only {
        st.resp_left = req.bytes;
        st.resp_off = 0;
    }
    if req.fatal {
        st.buf.clear();
        st.fatal = true;
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
            finish(st, conn);
        }
    }
}

/// `GET /metrics`: the master's answer, or `503`.
fn respond_metrics(st: &mut HttpState, conn: &mut Conn<'_>, req: &Request, close: bool) {
    use crate::handler::{master_status, StatusRequest};
    let (status, ctype, body) = match master_status(StatusRequest::Metrics) {
        Ok(text) => (
            200,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            text,
        ),
        Err(e) => (
            503,
            "text/plain",
            format!("the master did not answer: {e}\n"),
        ),
    };
    let mut out = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n{}\r\n",
        reason(status),
        body.len(),
        if close {
            "Connection: close\r\n"
        } else if req.http10 {
            "Connection: keep-alive\r\n"
        } else {
            ""
        }
    )
    .into_bytes();
    if !req.head_only {
        out.extend_from_slice(body.as_bytes());
    }
    // One write: metrics are a few KiB, far under the write limit; a
    // response that does not fit whole ends the connection.
    if conn.write(&out).ok() != Some(out.len()) {
        return conn.close();
    }
    st.body_left = req.content_length;
    if close {
        st.close_after = true;
        finish(st, conn);
    }
}

/// Closes after the last answer: at once when the request was read whole
/// and nothing follows it ([`Conn::close_complete`]), else with the whole
/// lingering close (an unread body, pipelined bytes, an error answer).
fn finish(st: &HttpState, conn: &mut Conn<'_>) {
    if st.body_left == 0 && st.buf.is_empty() && !st.fatal {
        conn.close_complete();
    } else {
        conn.close();
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
    // Whole: `pump` checked for HEAD_ROOM (a failure ends the connection).
    let _ = conn.write(&head[..len]);
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        503 => "Service Unavailable",
        411 => "Length Required",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

/// The end of a request head (just past its empty line) in `buf`. Lines
/// end in CRLF or, as RFC 9112 §2.2 allows a recipient to accept, a bare LF.
fn find_head_end(buf: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(p) = buf[i..].iter().position(|b| *b == b'\n') {
        let nl = i + p;
        match buf.get(nl + 1) {
            Some(b'\n') => return Some(nl + 2),
            Some(b'\r') if buf.get(nl + 2) == Some(&b'\n') => return Some(nl + 3),
            _ => i = nl + 1,
        }
    }
    None
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
        metrics: false,
    }
}

/// Most header fields in one request head.
const MAX_HEADERS: usize = 64;

/// Checks a request line as soon as it is complete, before the rest of the
/// head: a request that can never be valid (an HTTP/0.9 `GET /`, a bad
/// method or version) is answered at once instead of waiting for a head end
/// that will never come. `buf` holds at least one whole line.
fn check_request_line(buf: &[u8]) -> Option<Request> {
    let line_end = buf.iter().position(|b| *b == b'\n')? + 1;
    let mut headers = [httparse::EMPTY_HEADER; 1];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(&buf[..line_end]) {
        Ok(_) => None,
        Err(e) => Some(parse_error(line_end, &buf[..line_end], e)),
    }
}

fn parse_error(head_len: usize, head: &[u8], e: httparse::Error) -> Request {
    match e {
        httparse::Error::TooManyHeaders => bad(head_len, 431, b"too many header fields\n"),
        // `HTTP/2`, `HTTP/1.2`: a version we do not speak (not a
        // malformed line).
        httparse::Error::Version if names_other_version(head) => {
            bad(head_len, 505, b"HTTP/1.0 or 1.1 only\n")
        }
        _ => bad(head_len, 400, b"bad request\n"),
    }
}

/// True when the request line ends in `HTTP/<digit>...` (a well-formed
/// version other than 1.0/1.1).
fn names_other_version(head: &[u8]) -> bool {
    let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let version = line.rsplit(|b| *b == b' ').next().unwrap_or_default();
    version.len() > 5
        && version.starts_with(b"HTTP/")
        && version[5..]
            .iter()
            .all(|b| b.is_ascii_digit() || *b == b'.')
}

/// A `Content-Length` value: 1*DIGIT (RFC 9110 §8.6), nothing else (no
/// sign, no blanks inside, no list).
fn content_length_value(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 19 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(v).ok()?.parse().ok()
}

/// Parses one complete request head (found by [`find_head_end`]) at the
/// start of `buf` with `httparse`, and applies RFC 9112's rules for a
/// server: a malformed line or field (blank before the colon, control
/// characters, obsolete line folding), a missing or repeated `Host` in
/// HTTP/1.1, or `Content-Length`s that are invalid or disagree give `400`
/// and a close. Any `Transfer-Encoding` gives `411` and a close (request
/// bodies must come with a `Content-Length`: chunked bodies are refused,
/// not decoded).
fn parse(buf: &[u8], routes: Routes) -> Option<Request> {
    let head_len = find_head_end(&buf[..buf.len().min(MAX_HEAD + 4)])?;
    let head = &buf[..head_len];
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut r = httparse::Request::new(&mut headers);
    match r.parse(head) {
        Ok(httparse::Status::Complete(n)) if n == head_len => {}
        Ok(_) => return Some(bad(head_len, 400, b"bad request\n")),
        Err(e) => return Some(parse_error(head_len, head, e)),
    }
    let (Some(method), Some(target), Some(minor)) = (r.method, r.path, r.version) else {
        return Some(bad(head_len, 400, b"bad request\n"));
    };
    let http10 = minor == 0;
    let mut close = http10;
    let mut content_length: Option<u64> = None;
    let mut hosts = 0;
    for h in r.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            // Repeats are allowed only when they agree (RFC 9112 §6.3).
            match content_length_value(h.value) {
                Some(n) if content_length.is_none_or(|c| c == n) => content_length = Some(n),
                _ => return Some(bad(head_len, 400, b"bad content-length\n")),
            }
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            return Some(bad(head_len, 411, b"chunked bodies are not supported\n"));
        } else if h.name.eq_ignore_ascii_case("host") {
            hosts += 1;
        } else if h.name.eq_ignore_ascii_case("connection") {
            for tok in h.value.split(|b| *b == b',') {
                let tok = tok.trim_ascii();
                if tok.eq_ignore_ascii_case(b"close") {
                    close = true;
                } else if tok.eq_ignore_ascii_case(b"keep-alive") && http10 {
                    close = false;
                }
            }
        }
    }
    // RFC 9112 §3.2: exactly one Host in HTTP/1.1, at most one in 1.0.
    if hosts > 1 || (hosts == 0 && !http10) {
        return Some(bad(head_len, 400, b"bad host\n"));
    }
    let content_length = content_length.unwrap_or(0);
    let max_body = match routes {
        Routes::Demo { max_body } => max_body,
        Routes::Metrics => MAX_BODY,
    };
    if content_length > max_body {
        return Some(bad(head_len, 413, b"request body too large\n"));
    }
    let head_only = method == "HEAD";
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
        metrics: false,
    };
    if method != "GET" && !head_only {
        req.status = 405;
        req.body = b"GET or HEAD only\n";
        return Some(req);
    }
    if routes == Routes::Metrics {
        if target == "/metrics" {
            req.metrics = true;
        } else {
            req.status = 404;
            req.body = b"not found (try /metrics)\n";
        }
        return Some(req);
    }
    if target == "/" {
        return Some(req);
    }
    if let Some(n) = target.strip_prefix("/bytes/") {
        if let Some(n) = content_length_value(n.as_bytes()) {
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

    const DEMO: Routes = Routes::Demo { max_body: MAX_BODY };

    #[test]
    fn parses_get_root() {
        let r = parse(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nrest", DEMO).unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.body, b"hello\n");
        assert!(!r.close);
        assert_eq!(r.head_len, 27);
    }

    #[test]
    fn parses_bytes_and_connection_close() {
        let r = parse(
            b"GET /bytes/123 HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n\r\n",
            DEMO,
        )
        .unwrap();
        assert_eq!((r.status, r.bytes, r.close), (200, 123, true));
    }

    #[test]
    fn http10_closes_unless_keep_alive() {
        assert!(parse(b"GET / HTTP/1.0\r\n\r\n", DEMO).unwrap().close);
        assert!(
            !parse(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", DEMO)
                .unwrap()
                .close
        );
    }

    #[test]
    fn large_body_is_413_and_fatal() {
        let r = parse(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 65537\r\n\r\n",
            DEMO,
        )
        .unwrap();
        assert_eq!(r.status, 413);
        assert!(r.fatal && r.close);
        let r = parse(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 65536\r\n\r\n",
            DEMO,
        )
        .unwrap();
        assert_eq!(r.status, 405);
        assert_eq!(r.content_length, 65536);
    }

    #[test]
    fn incomplete_and_malformed() {
        assert!(parse(b"GET / HTTP/1.1\r\nHost: x\r\n", DEMO).is_none());
        assert_eq!(parse(b"garbage\r\n\r\n", DEMO).unwrap().status, 400);
        assert_eq!(
            parse(b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", DEMO)
                .unwrap()
                .status,
            404
        );
        assert_eq!(parse(b"GET / HTTP/2\r\n\r\n", DEMO).unwrap().status, 505);
    }

    fn status(req: &[u8]) -> (u16, bool) {
        let r = parse(req, DEMO).expect("complete head");
        (r.status, r.fatal)
    }

    #[test]
    fn rfc9112_rejections_are_400_and_fatal() {
        for req in [
            // A blank before the colon: smuggling behind a proxy.
            &b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length : 36\r\n\r\n"[..],
            // Two different lengths.
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\n",
            // A sign, a blank inside, empty.
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5 5\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n",
            // NUL and other controls in a field value or name.
            b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\r\nX\0A: ab\r\n\r\n",
            // Obsolete line folding.
            b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n",
            // No Host, or two, in HTTP/1.1.
            b"GET / HTTP/1.1\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
            // A line with no colon.
            b"GET / HTTP/1.1\r\nHost: x\r\nnonsense\r\n\r\n",
        ] {
            assert_eq!(
                status(req),
                (400, true),
                "{:?}",
                String::from_utf8_lossy(req)
            );
        }
    }

    #[test]
    fn agreeing_lengths_and_bare_lf_are_accepted() {
        let r = parse(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
            DEMO,
        )
        .unwrap();
        assert_eq!((r.status, r.content_length, r.fatal), (405, 5, false));
        let r = parse(b"GET / HTTP/1.1\nHost: x\n\nrest", DEMO).unwrap();
        assert_eq!((r.status, r.head_len), (200, 24));
        let r = parse(b"GET / HTTP/1.1\r\nHost: x\n\r\n", DEMO).unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(status(b"GET / HTTP/1.0\r\n\r\n"), (200, false));
    }

    #[test]
    fn transfer_encoding_is_refused_with_411() {
        assert_eq!(
            status(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"),
            (411, true)
        );
    }

    #[test]
    fn a_request_line_that_cannot_be_valid_is_answered_at_once() {
        // HTTP/0.9 has no version and no head end.
        assert_eq!(check_request_line(b"GET /\r\n").unwrap().status, 400);
        assert_eq!(check_request_line(b"GET /\n").unwrap().status, 400);
        assert_eq!(check_request_line(b"GET / HTTP/2\r\n").unwrap().status, 505);
        assert!(check_request_line(b"GET / HTTP/1.1\r\n").is_none());
        assert!(check_request_line(b"GET / HTTP/1.1\n").is_none());
    }

    #[test]
    fn metrics_serves_only_its_path() {
        let r = parse(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", Routes::Metrics).unwrap();
        assert!(r.metrics && r.status == 200);
        let r = parse(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", Routes::Metrics).unwrap();
        assert!(!r.metrics && r.status == 404);
        let r = parse(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", DEMO).unwrap();
        assert!(!r.metrics && r.status == 404);
    }

    #[test]
    fn pattern_is_alphabet() {
        assert_eq!(&PATTERN[..3], b"abc");
        assert_eq!(PATTERN[26], b'a');
    }
}
