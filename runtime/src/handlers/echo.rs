use std::io;

use crate::handler::{Conn, EventHandler};

/// `echo`: writes back every byte it reads; closes when the client does.
///
/// Stops reading while more than [`Conn::HIGH_WATER`] bytes wait to be sent,
/// so a client that sends without reading cannot grow the server's memory.
#[derive(Debug)]
pub struct Echo {
    buf: Box<[u8]>,
}

impl Default for Echo {
    fn default() -> Self {
        Echo {
            buf: vec![0u8; 16 << 10].into_boxed_slice(),
        }
    }
}

impl EventHandler for Echo {
    type State = ();

    fn open(&mut self, _conn: &mut Conn<'_>) {}

    fn readable(&mut self, _state: &mut (), conn: &mut Conn<'_>) {
        while conn.pending_output() < Conn::HIGH_WATER {
            match conn.read(&mut self.buf) {
                Ok(0) => return conn.close(),
                Ok(n) => conn.write(&self.buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(_) => return conn.close(),
            }
        }
    }
}
