//! The stdio transport of `svcc lsp`: LSP's base protocol (`Content-Length`
//! framing) read and validated here, so that a bad message costs one error
//! response instead of the session.
//!
//! lsp-server's own stdio transport stops reading at the first malformed
//! message and the server exits; this one answers as JSON-RPC says and
//! keeps serving:
//!
//! - a body that is not JSON (or not UTF-8) → `-32700` Parse error, `id: null`;
//! - JSON that is no request, notification or response → `-32600` Invalid
//!   Request, with the message's `id` when one is readable, else `null`;
//! - a header block with no usable `Content-Length` (missing, not a number,
//!   over [`MAX_BODY`]), a malformed header line, or headers over
//!   [`MAX_HEADERS`] → `-32700`, then the reader skips bytes until the next
//!   `Content-Length:` header, holding no more than its buffer;
//! - EOF (also inside a body) ends the session.
//!
//! Messages that pass go to the server loop as lsp-server [`Message`]s over
//! a rendezvous channel (the reader waits while the server works, so a
//! client that floods us is held back, not buffered). Both the reader's
//! error responses and the server's messages are written whole under the
//! one lock of stdout.

use crossbeam_channel::{bounded, Receiver, Sender};
use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use serde_json::{json, Value};
use std::io::{self, Read, Write};

/// The largest body accepted: 64 MiB (a 16 MiB config, escaped as JSON).
pub const MAX_BODY: u64 = 64 << 20;
/// The largest header block accepted, in bytes.
pub const MAX_HEADERS: usize = 8 << 10;

/// JSON-RPC's Parse error.
pub const PARSE_ERROR: i32 = -32700;
/// JSON-RPC's Invalid Request.
pub const INVALID_REQUEST: i32 = -32600;

/// What one read of the stream produced.
#[derive(Debug, PartialEq)]
pub enum Frame {
    /// A whole body, as many bytes as its `Content-Length` said.
    Body(Vec<u8>),
    /// A header block the reader could not use; the reason. The reader
    /// resynchronises at the next `Content-Length:` header.
    BadHeader(String),
    /// The end of the input.
    Eof,
}

/// Reads frames from a byte stream with a bounded buffer of its own.
pub struct FrameReader<R> {
    inner: R,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// After a bad header block: skip to the next `Content-Length:`.
    resync: bool,
    /// Bytes the last header line took, its line end included (all of them
    /// still in the buffer, before `start`).
    last_line: usize,
}

const MARKER: &[u8] = b"content-length:";

impl<R: Read> FrameReader<R> {
    pub fn new(inner: R) -> Self {
        FrameReader {
            inner,
            // Room for a whole header block, so a line is always in one piece.
            buf: vec![0; 2 * MAX_HEADERS].into_boxed_slice(),
            start: 0,
            end: 0,
            resync: false,
            last_line: 0,
        }
    }

    /// Reads more bytes after what is buffered (moving it to the front when
    /// the buffer's tail is used up); false at EOF or on a read error.
    fn fill(&mut self) -> bool {
        if self.start > 0 && (self.end == self.buf.len() || self.start == self.end) {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            // Full: the caller decides (it never asks for more than fits).
            return true;
        }
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => return false,
                Ok(n) => {
                    self.end += n;
                    return true;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return false,
            }
        }
    }

    /// Skips to the next `Content-Length:` (any case); false at EOF.
    fn skip_to_marker(&mut self) -> bool {
        loop {
            let window = &self.buf[self.start..self.end];
            if let Some(i) = window
                .windows(MARKER.len())
                .position(|w| w.eq_ignore_ascii_case(MARKER))
            {
                self.start += i;
                return true;
            }
            // Keep a tail that may be the start of the marker.
            let keep = window.len().min(MARKER.len() - 1);
            self.start = self.end - keep;
            if !self.fill() {
                return false;
            }
        }
    }

    /// One header line without its line end, or why there is none.
    fn line(&mut self, budget: usize) -> Result<Option<Vec<u8>>, String> {
        let mut scanned = 0;
        loop {
            let window = &self.buf[self.start..self.end];
            if let Some(i) = window[scanned..].iter().position(|&b| b == b'\n') {
                let i = scanned + i;
                if i + 1 > budget {
                    self.start += i + 1;
                    return Err(format!("headers over {MAX_HEADERS} bytes"));
                }
                let mut line = window[..i].to_vec();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                self.start += i + 1;
                self.last_line = i + 1;
                return Ok(Some(line));
            }
            scanned = window.len();
            if scanned >= budget {
                self.start = self.end;
                return Err(format!("headers over {MAX_HEADERS} bytes"));
            }
            if !self.fill() {
                return Ok(None);
            }
        }
    }

    /// The next frame.
    pub fn next_frame(&mut self) -> Frame {
        if std::mem::take(&mut self.resync) && !self.skip_to_marker() {
            return Frame::Eof;
        }
        match self.headers() {
            Ok(Some(len)) => self.body(len),
            Ok(None) => Frame::Eof,
            Err(why) => {
                self.resync = true;
                Frame::BadHeader(why)
            }
        }
    }

    /// The header block's `Content-Length`; `None` at EOF.
    fn headers(&mut self) -> Result<Option<u64>, String> {
        let mut budget = MAX_HEADERS;
        let mut length: Option<Result<u64, String>> = None;
        let mut seen = false;
        loop {
            let Some(line) = self.line(budget)? else {
                return Ok(None);
            };
            budget = budget.saturating_sub(line.len() + 2);
            if line.is_empty() {
                if !seen {
                    // Blank lines between messages: tolerated.
                    continue;
                }
                break;
            }
            seen = true;
            // A line that is no header: the resync looks for the next
            // `Content-Length:` from its second byte on (stray bytes left
            // before a good header must not cost that message).
            let rewind = |this: &mut Self| this.start -= this.last_line - 1;
            let Ok(text) = std::str::from_utf8(&line) else {
                rewind(self);
                return Err("a header is not UTF-8".into());
            };
            // (`xxContent-Length:` is a token too: bytes glued before the
            // next message's header.)
            let glued = |n: &str| {
                n.len() > MARKER.len() - 1
                    && n.as_bytes()[n.len() + 1 - MARKER.len()..]
                        .eq_ignore_ascii_case(&MARKER[..MARKER.len() - 1])
            };
            let Some((name, value)) = text
                .split_once(':')
                .filter(|(n, _)| is_token(n) && !glued(n))
            else {
                let why = format!("malformed header {:?}", clip(text));
                rewind(self);
                return Err(why);
            };
            if name.eq_ignore_ascii_case("content-length") {
                let value = value.trim();
                let parsed = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
                    match value.parse::<u64>() {
                        Ok(n) if n <= MAX_BODY => Ok(n),
                        _ => Err(format!(
                            "Content-Length {} is over the limit of {MAX_BODY} bytes",
                            clip(value)
                        )),
                    }
                } else {
                    Err(format!("Content-Length {:?} is not a number", clip(value)))
                };
                length = match (length, parsed) {
                    (Some(Ok(a)), Ok(b)) if a != b => {
                        Some(Err("two different Content-Length headers".into()))
                    }
                    (Some(Err(e)), _) => Some(Err(e)),
                    (_, p) => Some(p),
                };
            }
        }
        match length {
            Some(Ok(n)) => Ok(Some(n)),
            Some(Err(e)) => Err(e),
            None => Err("no Content-Length header".into()),
        }
    }

    fn body(&mut self, len: u64) -> Frame {
        let len = len as usize;
        // Grows with what arrives, not with what the header claims.
        let mut out = Vec::with_capacity(len.min(self.buf.len()));
        while out.len() < len {
            if self.start == self.end && !self.fill() {
                return Frame::Eof;
            }
            let take = (len - out.len()).min(self.end - self.start);
            out.extend_from_slice(&self.buf[self.start..self.start + take]);
            self.start += take;
        }
        Frame::Body(out)
    }
}

/// RFC 9110's token: what a header name is made of.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// At most 40 characters of something the client sent, for a message.
fn clip(s: &str) -> String {
    s.chars().take(40).collect()
}

/// What one body is: a message for the server, or the error to answer.
#[derive(Debug)]
pub enum Decoded {
    Message(Message),
    /// An error response to send at once: `id` (a JSON value, possibly
    /// `null`), code and message.
    Error(Value, i32, String),
    /// Nothing to do: a response we cannot read (JSON-RPC never answers a
    /// response).
    Ignore,
}

/// Decodes one body as JSON-RPC 2.0.
pub fn decode(body: &[u8]) -> Decoded {
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return Decoded::Error(Value::Null, PARSE_ERROR, format!("Parse error: {e}")),
    };
    let invalid = |id: Value, why: &str| {
        Decoded::Error(id, INVALID_REQUEST, format!("Invalid Request: {why}"))
    };
    let Value::Object(mut obj) = value else {
        return invalid(
            Value::Null,
            "a message is a JSON object (batches are not part of LSP)",
        );
    };
    // The id to echo: only an integer or a string is an id.
    let id = match obj.get("id") {
        Some(v @ Value::String(_)) => v.clone(),
        Some(v @ Value::Number(n)) if n.is_i64() || n.is_u64() => v.clone(),
        _ => Value::Null,
    };
    if obj.get("jsonrpc").is_some_and(|v| v != "2.0") {
        return invalid(id, "\"jsonrpc\" must be \"2.0\"");
    }
    let request_id = |v: &Value| -> Option<RequestId> {
        match v {
            Value::String(s) => Some(RequestId::from(s.clone())),
            Value::Number(n) => n
                .as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .map(RequestId::from),
            _ => None,
        }
    };
    if let Some(method) = obj.remove("method") {
        let Value::String(method) = method else {
            return invalid(id, "\"method\" must be a string");
        };
        let params = obj.remove("params").unwrap_or(Value::Null);
        if !matches!(params, Value::Null | Value::Object(_) | Value::Array(_)) {
            return invalid(id, "\"params\" must be an object or an array");
        }
        return match obj.get("id") {
            None => Decoded::Message(Message::Notification(Notification { method, params })),
            Some(raw) => match request_id(raw) {
                Some(rid) => Decoded::Message(Message::Request(Request {
                    id: rid,
                    method,
                    params,
                })),
                None if id.is_null() => invalid(id, "\"id\" must be an integer or a string"),
                None => invalid(id, "\"id\" is out of range"),
            },
        };
    }
    let (has_result, has_error) = (obj.contains_key("result"), obj.contains_key("error"));
    if obj.contains_key("id") && has_result != has_error {
        // A response to a request of ours (we send none that need one).
        return match serde_json::from_value::<Response>(Value::Object(obj)) {
            Ok(r) => Decoded::Message(Message::Response(r)),
            Err(_) => Decoded::Ignore,
        };
    }
    invalid(id, "neither a request, a notification nor a response")
}

/// One error response as JSON-RPC writes it (lsp-server's `Response` has no
/// `null` id).
pub fn error_body(id: Value, code: i32, message: &str) -> Vec<u8> {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
        .to_string()
        .into_bytes()
}

/// Writes one framed message and flushes.
pub fn write_frame(out: &mut impl Write, body: &[u8]) -> io::Result<()> {
    write!(out, "Content-Length: {}\r\n\r\n", body.len())?;
    out.write_all(body)?;
    out.flush()
}

/// The reader's loop: frames from `input` to the server over `to_server`,
/// errors answered through `answer`. Returns at EOF or when the server is
/// gone.
pub fn read_loop(
    input: impl Read,
    to_server: &Sender<Message>,
    mut answer: impl FnMut(&[u8]) -> io::Result<()>,
) {
    let mut reader = FrameReader::new(input);
    loop {
        let reply = match reader.next_frame() {
            Frame::Eof => return,
            Frame::BadHeader(why) => {
                error_body(Value::Null, PARSE_ERROR, &format!("Parse error: {why}"))
            }
            Frame::Body(body) => match decode(&body) {
                Decoded::Message(m) => {
                    if to_server.send(m).is_err() {
                        return;
                    }
                    continue;
                }
                Decoded::Error(id, code, message) => error_body(id, code, &message),
                Decoded::Ignore => continue,
            },
        };
        if answer(&reply).is_err() {
            return;
        }
    }
}

/// The server's end of stdin/stdout, and the writer thread to join (after
/// dropping the connection) so that everything sent is written.
pub fn stdio() -> (Connection, std::thread::JoinHandle<()>) {
    let (in_tx, in_rx) = bounded::<Message>(0);
    let (out_tx, out_rx): (Sender<Message>, Receiver<Message>) = bounded(0);
    let write = |body: &[u8]| write_frame(&mut io::stdout().lock(), body);
    std::thread::Builder::new()
        .name("lsp-reader".into())
        .spawn(move || {
            read_loop(io::stdin().lock(), &in_tx, write);
        })
        .expect("spawn the reader thread");
    let writer = std::thread::Builder::new()
        .name("lsp-writer".into())
        .spawn(move || {
            for msg in out_rx {
                let body = match serde_json::to_vec(&JsonRpc::from(&msg)) {
                    Ok(b) => b,
                    Err(_) => continue,
                };
                if write(&body).is_err() {
                    return;
                }
            }
        })
        .expect("spawn the writer thread");
    (
        Connection {
            sender: out_tx,
            receiver: in_rx,
        },
        writer,
    )
}

/// A message with its `"jsonrpc": "2.0"`.
#[derive(serde::Serialize)]
struct JsonRpc<'a> {
    jsonrpc: &'static str,
    #[serde(flatten)]
    msg: &'a Message,
}

impl<'a> From<&'a Message> for JsonRpc<'a> {
    fn from(msg: &'a Message) -> Self {
        JsonRpc {
            jsonrpc: "2.0",
            msg,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8]) -> Vec<Frame> {
        let mut r = FrameReader::new(input);
        let mut out = Vec::new();
        loop {
            let f = r.next_frame();
            let eof = f == Frame::Eof;
            out.push(f);
            if eof {
                return out;
            }
        }
    }

    fn body(s: &str) -> Frame {
        Frame::Body(s.as_bytes().to_vec())
    }

    fn bad(f: &Frame) -> bool {
        matches!(f, Frame::BadHeader(_))
    }

    #[test]
    fn framing_reads_bodies_of_the_stated_length() {
        let got =
            frames(b"Content-Length: 2\r\n\r\n{}content-length:3\r\nContent-Type: x\r\n\r\n[1]");
        assert_eq!(got, vec![body("{}"), body("[1]"), Frame::Eof]);
    }

    #[test]
    fn a_missing_or_bad_length_is_reported_and_skipped() {
        for head in [
            "Content-Type: x\r\n\r\n{\"id\":1}",
            "Content-Length: 12abc\r\n\r\n{}",
            "Content-Length: -1\r\n\r\n{}",
            "Content-Length: 99999999999999999999999\r\n\r\n{}",
            "Content-Length: 67108865\r\n\r\n{}",
            "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
            "{\"jsonrpc\":\"2.0\"}\r\n\r\n",
        ] {
            let input = format!("{head}Content-Length: 2\r\n\r\n[]");
            let got = frames(input.as_bytes());
            assert_eq!(got.len(), 3, "{head:?}: {got:?}");
            assert!(bad(&got[0]), "{head:?}: {got:?}");
            assert_eq!(got[1], body("[]"), "{head:?}");
        }
    }

    /// A body shorter than the message: its rest, left before the next
    /// message's header, is one bad header, and the next message is read.
    #[test]
    fn stray_bytes_before_a_header_cost_only_themselves() {
        for stray in ["}", "\n}", "xx", "}\r"] {
            let input = format!("Content-Length: 1\r\n\r\n{{{stray}Content-Length: 2\r\n\r\n[]");
            let got = frames(input.as_bytes());
            assert_eq!(got[0], body("{"), "{stray:?}: {got:?}");
            assert!(got[1..got.len() - 2].iter().all(bad), "{stray:?}: {got:?}");
            assert_eq!(got[got.len() - 2], body("[]"), "{stray:?}: {got:?}");
        }
    }

    #[test]
    fn endless_headers_are_cut_at_the_bound() {
        let mut input = vec![b'A'; 10 * MAX_HEADERS];
        input.extend_from_slice(b"\r\nContent-Length: 2\r\n\r\n[]");
        let got = frames(&input);
        assert!(bad(&got[0]), "{got:?}");
        assert_eq!(&got[1..], &[body("[]"), Frame::Eof]);
        // Many short lines that add up over the bound.
        let mut input = "X-A: b\r\n".repeat(MAX_HEADERS);
        input.push_str("\r\nContent-Length: 2\r\n\r\n[]");
        let got = frames(input.as_bytes());
        assert!(bad(&got[0]), "{got:?}");
        assert_eq!(&got[1..], &[body("[]"), Frame::Eof]);
    }

    #[test]
    fn a_truncated_body_is_the_end() {
        assert_eq!(
            frames(b"Content-Length: 10\r\n\r\n{\"a\""),
            vec![Frame::Eof]
        );
        assert_eq!(frames(b"Content-Len"), vec![Frame::Eof]);
    }

    fn code(d: Decoded) -> (Value, i32) {
        match d {
            Decoded::Error(id, code, _) => (id, code),
            other => panic!("not an error: {other:?}"),
        }
    }

    #[test]
    fn decoding_tells_parse_errors_from_invalid_requests() {
        assert_eq!(code(decode(b"{oops")), (Value::Null, PARSE_ERROR));
        assert_eq!(code(decode(b"\xff\xfe")), (Value::Null, PARSE_ERROR));
        assert_eq!(code(decode(b"[1,2]")), (Value::Null, INVALID_REQUEST));
        assert_eq!(code(decode(b"42")), (Value::Null, INVALID_REQUEST));
        assert_eq!(code(decode(br#"{"id":3}"#)), (json!(3), INVALID_REQUEST));
        assert_eq!(
            code(decode(br#"{"id":"a","method":7}"#)),
            (json!("a"), INVALID_REQUEST)
        );
        assert_eq!(
            code(decode(br#"{"id":4,"method":"x","params":5}"#)),
            (json!(4), INVALID_REQUEST)
        );
        assert_eq!(
            code(decode(br#"{"id":1.5,"method":"x"}"#)),
            (Value::Null, INVALID_REQUEST)
        );
        assert_eq!(
            code(decode(br#"{"id":null,"method":"x"}"#)),
            (Value::Null, INVALID_REQUEST)
        );
        assert_eq!(
            code(decode(br#"{"id":8589934592,"method":"x"}"#)),
            (json!(8589934592u64), INVALID_REQUEST)
        );
        assert_eq!(
            code(decode(br#"{"jsonrpc":"1.0","id":5,"method":"x"}"#)),
            (json!(5), INVALID_REQUEST)
        );
        assert_eq!(
            code(decode(br#"{"id":6,"result":1,"error":{}}"#)),
            (json!(6), INVALID_REQUEST)
        );
        assert!(matches!(
            decode(br#"{"jsonrpc":"2.0","id":1,"method":"m"}"#),
            Decoded::Message(Message::Request(_))
        ));
        assert!(matches!(
            decode(br#"{"jsonrpc":"2.0","method":"m","params":[]}"#),
            Decoded::Message(Message::Notification(_))
        ));
        assert!(matches!(
            decode(br#"{"jsonrpc":"2.0","id":1,"result":null}"#),
            Decoded::Message(Message::Response(_))
        ));
    }
}
