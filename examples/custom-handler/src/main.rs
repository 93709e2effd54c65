//! A key-value store on svcc: `SET key value`, `GET key`, `DEL key`,
//! `QUIT`, one command per line. The handler is event-driven: it never
//! blocks, so one process serves every client.

use std::collections::HashMap;
use std::io::ErrorKind;
use svcc::runtime::handler::{Conn, EventHandler};

/// The store: one per worker process.
#[derive(Default)]
pub struct Kv {
    store: HashMap<String, String>,
}

/// Longest command line accepted.
const MAX_LINE: usize = 64 << 10;

impl Kv {
    fn command(&mut self, line: &str, conn: &mut Conn<'_>) {
        let mut parts = line.splitn(3, ' ');
        let reply = match (parts.next().unwrap_or(""), parts.next(), parts.next()) {
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
                conn.write(b"+BYE\r\n");
                conn.close();
                return;
            }
            _ => "-ERR usage: SET key value | GET key | DEL key | QUIT".to_string(),
        };
        conn.write(reply.as_bytes());
        conn.write(b"\r\n");
    }
}

impl EventHandler for Kv {
    /// Bytes of an incomplete command line.
    type State = Vec<u8>;

    fn open(&mut self, conn: &mut Conn<'_>) -> Vec<u8> {
        conn.write(b"+OK kv ready\r\n");
        Vec::new()
    }

    fn readable(&mut self, buf: &mut Vec<u8>, conn: &mut Conn<'_>) {
        let mut chunk = [0u8; 4096];
        loop {
            match conn.read(&mut chunk) {
                Ok(0) => {
                    conn.close();
                    return;
                }
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => {
                    conn.close();
                    return;
                }
            }
        }
        while let Some(end) = buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = buf.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line);
            self.command(line.trim_end_matches(['\r', '\n']), conn);
            if conn.is_closing() {
                return;
            }
        }
        if buf.len() > MAX_LINE {
            conn.write(b"-ERR line too long\r\n");
            conn.close();
        }
    }
}

svcc::main!(config = "kv.conf", handlers = { "kv" => Kv });
