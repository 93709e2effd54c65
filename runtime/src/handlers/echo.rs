use std::io;

use crate::handler::{Conn, EventHandler};

/// `echo`: writes back every byte it reads; closes when the client does.
///
/// Reads no more than [`Conn::write_room`] allows, so every echo is taken
/// whole and a client that sends without reading cannot grow the server's
/// memory past the connection's write bound: reading resumes once it has
/// read its echo.
#[derive(Debug)]
pub struct Echo {
    buf: Box<[u8]>,
}

/// Smallest read worth a system call (the write bound is at least 4 KiB,
/// so a queue with less room than this is more than half full).
const MIN_READ: usize = 1 << 10;

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
        loop {
            let room = conn.write_room().min(self.buf.len());
            if room < MIN_READ {
                // The runtime calls again once the client has read.
                return;
            }
            match conn.read(&mut self.buf[..room]) {
                Ok(0) => return conn.close(),
                Ok(n) => {
                    if conn.write(&self.buf[..n]).is_err() {
                        return conn.close();
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(_) => return conn.close(),
            }
        }
    }
}
