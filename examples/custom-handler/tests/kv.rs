//! The kv example end to end over its unix socket.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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
    let sock = dir.join("kv.sock");
    let start = Instant::now();
    let s = loop {
        match UnixStream::connect(&sock) {
            Ok(s) => break s,
            Err(_) if start.elapsed() < Duration::from_secs(10) => {
                std::thread::sleep(Duration::from_millis(10))
            }
            Err(e) => panic!("kv did not start: {e}"),
        }
    };
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
    // SAFETY: kill(2) on the pid this test started.
    unsafe { libc::kill(child.0.id() as i32, libc::SIGTERM) };
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "kv ignored SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(status.code(), Some(0));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Kills the master and its workers (exactly the pids it started) if the
/// test fails midway.
struct Guard(std::process::Child);

impl Drop for Guard {
    fn drop(&mut self) {
        // SIGTERM lets the master stop its workers; SIGKILL if it hangs.
        let pid = self.0.id() as i32;
        for sig in [libc::SIGTERM, libc::SIGKILL] {
            if self.0.try_wait().ok().flatten().is_some() {
                return;
            }
            // SAFETY: kill(2) on the pid this test started.
            unsafe { libc::kill(pid, sig) };
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(5) {
                if self.0.try_wait().ok().flatten().is_some() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}
