//! The kv example end to end over its unix socket.

#[path = "../../common/child_guard.rs"]
mod child_guard;

use child_guard::{wait_for, Guard};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

/// The config binds 127.0.0.1:7101: one server at a time.
static ONE_SERVER: Mutex<()> = Mutex::new(());

/// Starts the example with its unix socket in a fresh directory named
/// after `tag`; the server (killed when dropped) and a connection to it.
fn start(tag: &str) -> (Guard, UnixStream, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let child = Guard(
        Command::new(env!("CARGO_BIN_EXE_svcc-example-kv"))
            .arg("--base-dir")
            .arg(&dir)
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let s = wait_for("kv socket", || {
        UnixStream::connect(dir.join("kv.sock")).ok()
    });
    (child, s, dir)
}

#[test]
fn set_get_del_quit() {
    let _one = ONE_SERVER.lock().unwrap_or_else(|e| e.into_inner());
    let (mut child, s, dir) = start("svcc-kv");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut w = s.try_clone().unwrap();
    let mut r = BufReader::new(s);
    let mut line = String::new();
    let mut ask = |cmd: &str| {
        if !cmd.is_empty() {
            w.write_all(cmd.as_bytes()).unwrap();
        }
        line.clear();
        r.read_line(&mut line).unwrap();
        line.trim_end().to_string()
    };
    assert_eq!(ask(""), "+OK kv ready");
    assert_eq!(ask("SET a hello world\n"), "+OK");
    assert_eq!(ask("GET a\n"), "$hello world");
    assert_eq!(ask("DEL a\n"), "+OK");
    assert_eq!(ask("GET a\n"), "-ERR no such key");
    assert!(ask("NOPE\n").starts_with("-ERR usage"));
    // kv.conf's `settings { max_keys = 100 }` reached the handler.
    for i in 0..100 {
        assert_eq!(ask(&format!("SET k{i} v\n")), "+OK");
    }
    assert_eq!(ask("SET one-more v\n"), "-ERR store full (max_keys 100)");
    assert_eq!(ask("SET k7 again\n"), "+OK", "an existing key may change");
    assert_eq!(ask("QUIT\n"), "+BYE");
    assert_eq!(child.terminate().code(), Some(0));
    let _ = std::fs::remove_dir_all(&dir);
}

/// 200 pipelined `GET`s of a 60 KiB value (12 MB of answers) sent before
/// reading any: the handler answers only while its write bound has room
/// for a whole answer, resumes once the client has read, and every answer
/// arrives whole and in order.
#[test]
fn pipelined_large_answers_arrive_whole() {
    let _one = ONE_SERVER.lock().unwrap_or_else(|e| e.into_inner());
    let (mut child, s, dir) = start("svcc-kv-pipe");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let value: String = (0..60 << 10)
        .map(|i| (b'a' + (i % 26) as u8) as char)
        .collect();
    let mut w = s.try_clone().unwrap();
    let mut cmds = format!("SET big {value}\n");
    for _ in 0..200 {
        cmds.push_str("GET big\n");
    }
    cmds.push_str("QUIT\n");
    let writer = std::thread::spawn(move || w.write_all(cmds.as_bytes()).unwrap());
    let mut r = BufReader::new(s);
    let mut line = String::new();
    let mut next = || {
        line.clear();
        r.read_line(&mut line).unwrap();
        line.trim_end().to_string()
    };
    assert_eq!(next(), "+OK kv ready");
    assert_eq!(next(), "+OK");
    for i in 0..200 {
        assert!(next() == format!("${value}"), "answer {i} differs");
    }
    assert_eq!(next(), "+BYE");
    writer.join().unwrap();
    assert_eq!(child.terminate().code(), Some(0));
    let _ = std::fs::remove_dir_all(&dir);
}
