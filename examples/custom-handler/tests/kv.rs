//! The kv example end to end over its unix socket.

#[path = "../../common/child_guard.rs"]
mod child_guard;

use child_guard::{wait_for, Guard};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn set_get_del_quit() {
    let dir = std::env::temp_dir().join(format!("svcc-kv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut child = Guard(
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
    assert_eq!(ask("QUIT\n"), "+BYE");
    assert_eq!(child.terminate().code(), Some(0));
    let _ = std::fs::remove_dir_all(&dir);
}
