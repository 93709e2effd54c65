//! Dovecot's shape in miniature: `login` is svcc's built-in banner with
//! `service_count = 1` and pre-forked processes; `mailbox` is this crate's
//! blocking backend (one client per process), reached over a unix socket.

use std::io::{BufRead, BufReader, Write};
use svcc::runtime::handler::{BlockingHandler, Stream};

/// A mailbox backend: answers `STATUS user` after "reading the disk". It
/// blocks, which is fine: the config gives it one client per process.
#[derive(Default)]
pub struct Mailbox;

impl BlockingHandler for Mailbox {
    fn serve(&mut self, stream: &mut Stream) -> std::io::Result<()> {
        stream.write_all(b"* OK mailbox ready\r\n")?;
        // One reader for the whole session: a client may pipeline commands
        // (`STATUS alice\nLOGOUT\n` in one write), and what the reader
        // buffered past the first line is the next command, not to be lost.
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        loop {
            line.clear();
            let n = (&mut reader).take(4096).read_line(&mut line)?;
            if n == 0 {
                return Ok(());
            }
            let stream = reader.get_mut();
            let cmd = line.trim_end();
            if cmd == "LOGOUT" {
                return stream.write_all(b"* BYE\r\n");
            }
            let reply = match cmd.strip_prefix("STATUS ") {
                Some(user) => {
                    // Blocking "disk" work: stat the user's maildir.
                    let exists = std::path::Path::new("/var/mail").join(user).exists();
                    format!(
                        "* STATUS {user} pid={} exists={exists}\r\n",
                        std::process::id()
                    )
                }
                None => "* BAD usage: STATUS user | LOGOUT\r\n".to_string(),
            };
            stream.write_all(reply.as_bytes())?;
        }
    }
}

use std::io::Read as _;

svcc::main!(config = "mail-login.conf", handlers = { "mailbox" => Mailbox });
