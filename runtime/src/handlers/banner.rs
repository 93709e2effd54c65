use crate::handler::{Conn, EventHandler};

/// `banner`: writes one greeting line, `* OK svcc ready\r\n`, then closes
/// (like a mail server's login greeting).
#[derive(Debug, Default)]
pub struct Banner;

impl Banner {
    /// The greeting.
    pub const GREETING: &'static [u8] = b"* OK svcc ready\r\n";
}

impl EventHandler for Banner {
    type State = ();

    fn open(&mut self, conn: &mut Conn<'_>) {
        // The queue is empty in `open`: a short reply is taken whole.
        let _ = conn.write(Self::GREETING);
        conn.close();
    }

    fn readable(&mut self, _state: &mut (), conn: &mut Conn<'_>) {
        conn.close();
    }
}
