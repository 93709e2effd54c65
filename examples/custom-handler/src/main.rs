//! A key-value store on svcc: `SET key value`, `GET key`, `DEL key`,
//! `QUIT`, one command per line. The handler is event-driven: it never
//! blocks, so one process serves every client.

use serde::Deserialize;
use std::collections::HashMap;
use std::io::ErrorKind;
use svcc::runtime::handler::{Conn, EventHandler};
use svcc::runtime::settings::WithSettings;

/// The store: one per worker process.
pub struct Kv {
    store: HashMap<String, String>,
    max_keys: usize,
}

/// The service's `settings { }` in kv.conf, typed: svcc::main! checks the
/// keys at compile time (`FIELDS`), the binary the values before it forks.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KvSettings {
    /// Most keys the store holds; a `SET` of a new key beyond it fails.
    #[serde(default = "KvSettings::default_max_keys")]
    max_keys: usize,
}

impl KvSettings {
    fn default_max_keys() -> usize {
        100_000
    }
}

impl WithSettings for Kv {
    type Settings = KvSettings;
    const FIELDS: Option<&'static [&'static str]> = Some(&["max_keys"]);

    fn new(s: &KvSettings) -> Self {
        Kv {
            store: HashMap::new(),
            max_keys: s.max_keys,
        }
    }
}

/// Longest command line accepted.
const MAX_LINE: usize = 64 << 10;

/// The longest reply (a value is shorter than its `SET` line). A command is
/// answered only when the write queue has this much room, so every reply
/// is taken whole; otherwise the handler waits for `writable`. A client
/// that pipelines `GET`s without reading the answers cannot grow the
/// server's memory past the connection's write bound.
const MAX_REPLY: usize = MAX_LINE + 3;

impl Kv {
    fn command(&mut self, line: &str, conn: &mut Conn<'_>) {
        let mut parts = line.splitn(3, ' ');
        let reply = match (parts.next().unwrap_or(""), parts.next(), parts.next()) {
            ("SET", Some(k), Some(_))
                if self.store.len() >= self.max_keys && !self.store.contains_key(k) =>
            {
                format!("-ERR store full (max_keys {})", self.max_keys)
            }
            ("SET", Some(k), Some(v)) => {
                self.store.insert(k.to_string(), v.to_string());
                "+OK".to_string()
            }
            ("GET", Some(k), None) => match self.store.get(k) {
                Some(v) => format!("${v}"),
                None => "-ERR no such key".to_string(),
            },
            ("DEL", Some(k), None) => match self.store.remove(k) {
                Some(_) => "+OK".to_string(),
                None => "-ERR no such key".to_string(),
            },
            ("QUIT", None, None) => {
                let _ = conn.write(b"+BYE\r\n");
                conn.close();
                return;
            }
            _ => "-ERR usage: SET key value | GET key | DEL key | QUIT".to_string(),
        };
        // Fits: `serve` checked for MAX_REPLY (an error means the
        // connection broke, and the runtime ends it).
        let _ = conn.write(format!("{reply}\r\n").as_bytes());
    }

    /// Answers complete lines while their replies fit; reads more when
    /// none is left.
    fn serve(&mut self, buf: &mut Vec<u8>, conn: &mut Conn<'_>) {
        let mut chunk = [0u8; 4096];
        loop {
            while let Some(end) = buf.iter().position(|&b| b == b'\n') {
                if conn.write_room() < MAX_REPLY {
                    // `writable` calls again once the client has read.
                    return;
                }
                let line: Vec<u8> = buf.drain(..=end).collect();
                let line = String::from_utf8_lossy(&line);
                self.command(line.trim_end_matches(['\r', '\n']), conn);
                if conn.is_closing() {
                    return;
                }
            }
            if buf.len() > MAX_LINE {
                let _ = conn.write(b"-ERR line too long\r\n");
                conn.close();
                return;
            }
            match conn.read(&mut chunk) {
                Ok(0) => {
                    conn.close();
                    return;
                }
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => {
                    conn.close();
                    return;
                }
            }
        }
    }
}

impl EventHandler for Kv {
    /// Bytes of an incomplete command line.
    type State = Vec<u8>;

    fn open(&mut self, conn: &mut Conn<'_>) -> Vec<u8> {
        // The queue is empty in `open`: a short reply is taken whole.
        let _ = conn.write(b"+OK kv ready\r\n");
        Vec::new()
    }

    fn readable(&mut self, buf: &mut Vec<u8>, conn: &mut Conn<'_>) {
        self.serve(buf, conn);
    }

    fn writable(&mut self, buf: &mut Vec<u8>, conn: &mut Conn<'_>) {
        self.serve(buf, conn);
    }
}

svcc::main!(config = "kv.conf", handlers = { "kv" => Kv });
