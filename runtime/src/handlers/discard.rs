use std::io;

use crate::handler::{Conn, EventHandler};

/// `discard`: reads and drops everything; closes when the client does.
#[derive(Debug)]
pub struct Discard {
    buf: Box<[u8]>,
}

impl Default for Discard {
    fn default() -> Self {
        Discard {
            buf: vec![0u8; 16 << 10].into_boxed_slice(),
        }
    }
}

impl EventHandler for Discard {
    type State = ();

    fn open(&mut self, _conn: &mut Conn<'_>) {}

    fn readable(&mut self, _state: &mut (), conn: &mut Conn<'_>) {
        loop {
            match conn.read(&mut self.buf) {
                Ok(0) => return conn.close(),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(_) => return conn.close(),
            }
        }
    }
}
