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

/// One client's unfinished input line.
#[derive(Default)]
pub struct LoginState {
    line: Vec<u8>,
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
                conn.write(format!("* CAPABILITY {caps}\r\n{tag} OK done\r\n").as_bytes());
            }
            "STARTTLS" if conn.can_start_tls() => {
                conn.write(format!("{tag} OK Begin TLS negotiation now\r\n").as_bytes());
                // Anything pipelined after STARTTLS was sent in plaintext:
                // drop it (CVE-2011-0411's lesson).
                st.line.clear();
                if conn.start_tls().is_err() {
                    conn.close();
                }
            }
            "STARTTLS" => conn.write(format!("{tag} BAD TLS is not available now\r\n").as_bytes()),
            "LOGIN" if conn.ssl_required() && !conn.is_tls() => conn.write(
                format!("{tag} NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure connections\r\n").as_bytes(),
            ),
            "LOGIN" => {
                let user = words.next().unwrap_or("");
                let tls = if conn.is_tls() { "TLS" } else { "plaintext" };
                conn.write(format!("{tag} OK Logged in as {user} ({tls})\r\n").as_bytes());
            }
            "LOGOUT" => {
                conn.write(format!("* BYE\r\n{tag} OK bye\r\n").as_bytes());
                conn.close();
            }
            _ => conn.write(format!("{tag} BAD unknown command\r\n").as_bytes()),
        }
    }
}

impl EventHandler for Login {
    type State = LoginState;

    fn open(&mut self, conn: &mut Conn<'_>) -> LoginState {
        let caps = Self::capability(conn);
        conn.write(format!("* OK [CAPABILITY {caps}] svcc ready\r\n").as_bytes());
        LoginState::default()
    }

    fn readable(&mut self, st: &mut LoginState, conn: &mut Conn<'_>) {
        let mut buf = [0u8; 1024];
        loop {
            match conn.read(&mut buf) {
                Ok(0) => return conn.close(),
                Ok(n) => st.line.extend_from_slice(&buf[..n]),
                Err(_) => break,
            }
            if st.line.len() > 8192 {
                conn.write(b"* BYE line too long\r\n");
                return conn.close();
            }
        }
        while let Some(i) = st.line.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = st.line.drain(..=i).collect();
            let text = String::from_utf8_lossy(&line).trim_end().to_string();
            Self::command(st, conn, &text);
            if conn.is_closing() {
                return;
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
