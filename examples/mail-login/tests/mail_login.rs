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
        let mut s = std::net::TcpStream::connect("127.0.0.1:7143").ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut g = String::new();
        s.read_to_string(&mut g).ok()?;
        Some(g)
    };
    assert_eq!(wait("login greeting", greet), "* OK svcc ready\r\n");

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
