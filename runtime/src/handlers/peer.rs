use crate::handler::{Conn, EventHandler};

/// `peer`: writes the client's address as the server sees it,
/// `ADDR PORT\r\n` (`unix 0\r\n` on a unix socket), then closes: for load
/// balancers' health checks, and to see what address a chain of proxies
/// hands the server.
#[derive(Debug, Default)]
pub struct Peer;

impl EventHandler for Peer {
    type State = ();

    fn open(&mut self, conn: &mut Conn<'_>) {
        let line = match conn.peer_addr() {
            Some(a) => format!("{} {}\r\n", a.ip(), a.port()),
            None => "unix 0\r\n".to_string(),
        };
        // The queue is empty in `open`: a short reply is taken whole.
        let _ = conn.write(line.as_bytes());
        conn.close();
    }

    fn readable(&mut self, _state: &mut (), conn: &mut Conn<'_>) {
        conn.close();
    }
}
