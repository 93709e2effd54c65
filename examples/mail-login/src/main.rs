//! Dovecot's shape in miniature: `login` is an IMAP-style login with
//! STARTTLS (and implicit TLS on its second listener), `service_count = 1`
//! and pre-forked processes; `mailbox` is this crate's blocking backend
//! (one client per process), reached over a unix socket.

use std::io::{BufRead, BufReader, Write};
use svcc::runtime::handler::{BlockingHandler, Conn, EventHandler, Stream};

/// An IMAP-style login front: `CAPABILITY`, `STARTTLS`, `LOGIN`, `LOGOUT`.
/// With `ssl = required` it refuses `LOGIN` until the connection is
/// encrypted, as Dovecot does (`LOGINDISABLED`, `PRIVACYREQUIRED`).
#[derive(Default)]
pub struct Login;

/// One client's input not answered yet.
#[derive(Default)]
pub struct LoginState {
    line: Vec<u8>,
}

/// The longest reply to one command. A command is answered only when the
/// connection's write queue has this much room, so every reply is taken
/// whole ([`Conn::write_room`]); otherwise the handler waits for
/// `writable`, and a client that pipelines commands without reading the
/// answers cannot grow the server's memory.
const MAX_REPLY: usize = 1024;

/// Queues a reply that fits in [`MAX_REPLY`] (checked before the command
/// ran). An error means the connection broke: the runtime ends it.
fn reply(conn: &mut Conn<'_>, text: &str) {
    let _ = conn.write(text.as_bytes());
}

impl Login {
    fn capability(conn: &Conn<'_>) -> String {
        let mut caps = String::from("IMAP4rev1");
        if conn.can_start_tls() {
            caps.push_str(" STARTTLS");
        }
        if conn.ssl_required() && !conn.is_tls() {
            caps.push_str(" LOGINDISABLED");
        }
        caps
    }

    fn command(st: &mut LoginState, conn: &mut Conn<'_>, line: &str) {
        let mut words = line.split_whitespace();
        let tag = words.next().unwrap_or("*");
        let cmd = words.next().unwrap_or("").to_ascii_uppercase();
        match cmd.as_str() {
            "CAPABILITY" => {
                let caps = Self::capability(conn);
                reply(conn, &format!("* CAPABILITY {caps}\r\n{tag} OK done\r\n"));
            }
            "STARTTLS" if conn.can_start_tls() => {
                reply(conn, &format!("{tag} OK Begin TLS negotiation now\r\n"));
                // Anything pipelined after STARTTLS was sent in plaintext:
                // drop it (CVE-2011-0411's lesson).
                st.line.clear();
                if conn.start_tls().is_err() {
                    conn.close();
                }
            }
            "STARTTLS" => reply(conn, &format!("{tag} BAD TLS is not available now\r\n")),
            "LOGIN" if conn.ssl_required() && !conn.is_tls() => reply(
                conn,
                &format!("{tag} NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure connections\r\n"),
            ),
            "LOGIN" => {
                let user = words.next().unwrap_or("");
                let tls = if conn.is_tls() { "TLS" } else { "plaintext" };
                reply(conn, &format!("{tag} OK Logged in as {user} ({tls})\r\n"));
            }
            "LOGOUT" => {
                reply(conn, &format!("* BYE\r\n{tag} OK bye\r\n"));
                conn.close();
            }
            _ => reply(conn, &format!("{tag} BAD unknown command\r\n")),
        }
    }
}

impl EventHandler for Login {
    type State = LoginState;

    fn open(&mut self, conn: &mut Conn<'_>) -> LoginState {
        let caps = Self::capability(conn);
        reply(conn, &format!("* OK [CAPABILITY {caps}] svcc ready\r\n"));
        LoginState::default()
    }

    fn readable(&mut self, st: &mut LoginState, conn: &mut Conn<'_>) {
        Self::serve(st, conn);
    }

    fn writable(&mut self, st: &mut LoginState, conn: &mut Conn<'_>) {
        // Room again: answer what was left waiting.
        Self::serve(st, conn);
    }
}

impl Login {
    /// Answers complete commands while their replies fit, reading more
    /// when none is left.
    fn serve(st: &mut LoginState, conn: &mut Conn<'_>) {
        let mut buf = [0u8; 1024];
        loop {
            while let Some(i) = st.line.iter().position(|b| *b == b'\n') {
                if conn.write_room() < MAX_REPLY {
                    return;
                }
                let line: Vec<u8> = st.line.drain(..=i).collect();
                let text = String::from_utf8_lossy(&line).trim_end().to_string();
                Self::command(st, conn, &text);
                if conn.is_closing() {
                    return;
                }
            }
            if st.line.len() > 8192 {
                reply(conn, "* BYE line too long\r\n");
                return conn.close();
            }
            match conn.read(&mut buf) {
                Ok(0) => return conn.close(),
                Ok(n) => st.line.extend_from_slice(&buf[..n]),
                Err(_) => return,
            }
        }
    }
}

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

svcc::main!(config = "mail-login.conf", handlers = { "mailbox" => Mailbox, "login" => Login });
