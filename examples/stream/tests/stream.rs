//! The stream example end to end: a client that reads slowly gets every
//! byte, and the server's processes do not grow with the response.

#[path = "../../common/child_guard.rs"]
mod child_guard;

use child_guard::{wait_for, Guard};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Byte `i` of a response (the handler's `byte_at`).
fn byte_at(i: u64) -> u8 {
    (i % 251) as u8
}

/// The resident set size of a process in KiB (`VmRSS`), if it still runs.
fn rss_kib(pid: i32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// The live children of `ppid` (the master's workers and drainer).
fn children_of(ppid: i32) -> Vec<i32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // pid (comm) state ppid ...: comm may hold spaces, so split after ')'.
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let mut f = rest.split_whitespace();
        let state = f.next();
        let parent = f.next().and_then(|p| p.parse::<i32>().ok());
        if parent == Some(ppid) && state != Some("Z") {
            out.push(pid);
        }
    }
    out
}

#[test]
fn a_slow_reader_gets_every_byte_while_the_worker_stays_flat() {
    const TOTAL: u64 = 48 << 20;
    const FIRST: u64 = 2 << 20;
    let dir = std::env::temp_dir().join(format!("svcc-stream-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut child = Guard(
        Command::new(env!("CARGO_BIN_EXE_svcc-example-stream"))
            .arg("--base-dir")
            .arg(&dir)
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let master = child.0.id() as i32;
    let connect = || {
        let s = wait_for("stream socket", || {
            UnixStream::connect(dir.join("stream.sock")).ok()
        });
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s
    };
    let mut buf = vec![0u8; 64 << 10];
    let mut read_until = |s: &mut UnixStream, got: &mut u64, upto: u64| {
        while *got < upto {
            let want = buf.len().min((upto - *got) as usize);
            let n = s.read(&mut buf[..want]).unwrap();
            assert!(n > 0, "the server closed after {got} bytes");
            for (k, b) in buf[..n].iter().enumerate() {
                assert_eq!(*b, byte_at(*got + k as u64), "byte {}", *got + k as u64);
            }
            *got += n as u64;
        }
    };
    // A first, small response at full speed starts the worker and warms it
    // up: its size after that is the baseline.
    let mut s = connect();
    s.write_all(format!("{FIRST}\n").as_bytes()).unwrap();
    let mut got = 0;
    read_until(&mut s, &mut got, FIRST);
    assert_eq!(s.read(&mut [0u8; 1]).unwrap(), 0, "EOF after {FIRST} bytes");
    let procs = children_of(master);
    assert!(!procs.is_empty(), "no worker under the master {master}");
    let base: Vec<(i32, u64)> = procs
        .iter()
        .filter_map(|&p| rss_kib(p).map(|r| (p, r)))
        .collect();
    let mut peak = base.clone();

    let mut s = connect();
    s.write_all(format!("{TOTAL}\n").as_bytes()).unwrap();
    let mut got: u64 = 0;
    // The rest, slowly: 256 KiB, then a pause, while sampling every process.
    let start = Instant::now();
    while got < TOTAL {
        assert!(start.elapsed() < Duration::from_secs(120), "too slow");
        let next = (got + (256 << 10)).min(TOTAL);
        read_until(&mut s, &mut got, next);
        std::thread::sleep(Duration::from_millis(5));
        for (pid, max) in peak.iter_mut() {
            if let Some(r) = rss_kib(*pid) {
                *max = (*max).max(r);
            }
        }
    }
    let mut end = [0u8; 1];
    assert_eq!(s.read(&mut end).unwrap(), 0, "EOF after {TOTAL} bytes");
    for ((pid, b), (_, p)) in base.iter().zip(&peak) {
        let grew = p.saturating_sub(*b);
        assert!(
            grew < 8 << 10,
            "process {pid} grew by {grew} KiB (from {b} KiB) while {} MiB streamed",
            TOTAL >> 20
        );
    }
    assert_eq!(child.terminate().code(), Some(0));
    let _ = std::fs::remove_dir_all(&dir);
}
