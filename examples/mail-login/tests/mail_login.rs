//! The mail-login example end to end: idle login processes ready before
//! the first client, the greeting, and the blocking backend over a unix
//! socket.

#[path = "../../common/child_guard.rs"]
mod child_guard;

use child_guard::{wait_for as wait, Guard};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::time::Duration;

fn children(ppid: u32) -> usize {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| {
                    s.rsplit(')')
                        .next()?
                        .split_whitespace()
                        .nth(1)?
                        .parse::<u32>()
                        .ok()
                })
                == Some(ppid)
        })
        .count()
}

/// `openssl s_client ARGS` logging in and out; its stdout.
fn s_client(args: &[&str]) -> String {
    let mut child = Guard(
        Command::new("openssl")
            .arg("s_client")
            .args(args)
            .args(["-quiet", "-ign_eof", "-verify_quiet"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl (Debian package openssl)"),
    );
    let mut stdin = child.0.stdin.take().unwrap();
    let mut stdout = child.0.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        let _ = stdout.read_to_string(&mut out);
        out
    });
    // After the handshake (s_client reads stdin only then).
    std::thread::sleep(Duration::from_millis(300));
    let _ = stdin.write_all(b"a LOGIN alice secret\r\na LOGOUT\r\n");
    wait("s_client exits", || child.0.try_wait().ok().flatten());
    drop(stdin);
    reader.join().unwrap()
}

#[test]
fn login_greets_and_the_blocking_backend_answers() {
    let dir = std::env::temp_dir().join(format!("svcc-mail-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut child = Guard(
        Command::new(env!("CARGO_BIN_EXE_svcc-example-mail-login"))
            .arg("--base-dir")
            .arg(&dir)
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let master = child.0.id();
    // process_min_avail = 4 logins (plus at least one mailbox process after
    // its first client, plus the drainer) are forked before any client.
    wait("4 idle login processes", || {
        (children(master) >= 4).then_some(())
    });

    let greet = || {
        let s = std::net::TcpStream::connect("127.0.0.1:7143").ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut w = s.try_clone().unwrap();
        let mut r = BufReader::new(s);
        let mut g = String::new();
        r.read_line(&mut g).ok()?;
        // ssl = required: no plaintext LOGIN.
        w.write_all(b"a LOGIN alice secret\r\n").ok()?;
        let mut no = String::new();
        r.read_line(&mut no).ok()?;
        Some((g, no))
    };
    let (greeting, refused) = wait("login greeting", greet);
    assert_eq!(
        greeting,
        "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] svcc ready\r\n"
    );
    assert!(refused.starts_with("a NO [PRIVACYREQUIRED]"), "{refused}");

    // STARTTLS, then LOGIN over TLS; and implicit TLS on the second port.
    let out = s_client(&["-connect", "127.0.0.1:7143", "-starttls", "imap"]);
    assert!(out.contains("a OK Logged in as alice (TLS)"), "{out}");
    let out = s_client(&["-connect", "127.0.0.1:7993"]);
    assert!(out.contains("a OK Logged in as alice (TLS)"), "{out}");
    assert!(
        out.contains("* OK [CAPABILITY IMAP4rev1] svcc ready"),
        "{out}"
    );

    let s = wait("mailbox socket", || {
        UnixStream::connect(dir.join("mailbox")).ok()
    });
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut w = s.try_clone().unwrap();
    let mut r = BufReader::new(s);
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    assert_eq!(line, "* OK mailbox ready\r\n");
    // Pipelined: both commands in one write, as a real client may send
    // them; neither may be lost.
    w.write_all(b"STATUS alice\nLOGOUT\n").unwrap();
    line.clear();
    r.read_line(&mut line).unwrap();
    assert!(line.starts_with("* STATUS alice pid="), "{line}");
    line.clear();
    r.read_line(&mut line).unwrap();
    assert_eq!(line, "* BYE\r\n", "the pipelined LOGOUT is answered");
    assert_eq!(
        child.terminate().code(),
        Some(0),
        "SIGTERM: graceful exit 0"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
