//! SIGUSR2: a zero-downtime upgrade to the binary on disk, under steady
//! connect load, and a failed upgrade (a binary that exits at start) that
//! leaves the old master serving.

use crate::status::status_json;
use crate::util::{children_of, proc_stat, temp_dir, unsafe_kill, wait_for, Server, TESTD};
use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Puts `content` at `path` the way a deploy does: a new file renamed
/// over the old one (the running binary keeps its own inode).
fn install(path: &Path, content: &[u8]) {
    let tmp = path.with_extension("new");
    std::fs::write(&tmp, content).unwrap();
    std::fs::set_permissions(&tmp, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// Connects, reads the `pid=` line and the close, again and again until
/// told to stop (or 60 s): (served, failures with their errors).
fn load(addr: SocketAddr, stop: Arc<AtomicBool>) -> (u64, Vec<String>) {
    let (mut ok, mut failed) = (0u64, Vec::new());
    let start = Instant::now();
    while !stop.load(Ordering::Relaxed) && start.elapsed() < Duration::from_secs(60) {
        let r = (|| -> std::io::Result<()> {
            let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
            s.set_read_timeout(Some(Duration::from_secs(5)))?;
            let mut buf = Vec::new();
            s.read_to_end(&mut buf)?;
            if !buf.starts_with(b"pid=") {
                return Err(std::io::Error::other(format!(
                    "answer {:?}",
                    String::from_utf8_lossy(&buf)
                )));
            }
            Ok(())
        })();
        match r {
            Ok(()) => ok += 1,
            Err(e) => failed.push(e.to_string()),
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    (ok, failed)
}

/// Kills a master this test caused to exist (the upgraded one, which is
/// not our child) and its children, by pid, when the test ends.
struct KillOnDrop(i32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if self.0 > 0 && proc_stat(self.0).is_some() {
            for p in children_of(self.0) {
                unsafe_kill(p, libc::SIGKILL);
            }
            unsafe_kill(self.0, libc::SIGKILL);
        }
    }
}

#[test]
fn sigusr2_upgrades_without_losing_a_connection_and_a_failed_upgrade_changes_nothing() {
    let dir = temp_dir();
    let base = dir.path().to_str().unwrap().to_string();
    let bin = dir.path().join("svcc-testd");
    install(&bin, &std::fs::read(TESTD).unwrap());
    let notify = UnixDatagram::bind(dir.path().join("notify")).unwrap();
    notify
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let notify_path = dir.path().join("notify");
    let mut srv = Server::start_bin(
        bin.to_str().unwrap(),
        &[
            "--base-dir",
            &base,
            "--service",
            "web",
            "handler=pid",
            "cl=4",
            "pl=4",
            "min=1",
            "listen=127.0.0.1:0",
            "unix=web.sock",
        ],
        &[("NOTIFY_SOCKET", notify_path.to_str().unwrap())],
    );
    let old = srv.pid;
    let addr = srv.addr("web");
    let stop = Arc::new(AtomicBool::new(false));
    let loader = {
        let stop = stop.clone();
        std::thread::spawn(move || load(addr, stop))
    };
    std::thread::sleep(Duration::from_millis(300));

    // A new binary that cannot start: the old master keeps serving.
    install(&bin, b"#!/bin/sh\necho 'new build is broken' >&2\nexit 3\n");
    srv.signal(libc::SIGUSR2);
    srv.wait_log("upgrade failed", Duration::from_secs(10))
        .unwrap_or_else(|| panic!("no failure logged:\n{}", srv.log()));
    assert!(srv.log().contains("new build is broken"));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        status_json(&base)["pid"],
        old,
        "the old master still answers"
    );

    // The real new build: it takes over, the old master drains and exits 0.
    install(&bin, &std::fs::read(TESTD).unwrap());
    srv.signal(libc::SIGUSR2);
    let log = srv
        .wait_log("this master stops accepting", Duration::from_secs(20))
        .unwrap_or_else(|| panic!("the upgrade did not finish:\n{}", srv.log()));
    let new = log
        .split("upgrade: new master ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|p| p.parse::<i32>().ok())
        .expect("new master's pid in the log");
    let _guard = KillOnDrop(new);
    let exited = wait_for(Duration::from_secs(20), || {
        srv.child.as_mut().unwrap().try_wait().ok().flatten()
    })
    .unwrap_or_else(|| panic!("the old master did not exit:\n{}", srv.log()));
    assert!(exited.success(), "old master: {exited:?}\n{}", srv.log());
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    let (ok, failed) = loader.join().unwrap();
    assert!(
        failed.is_empty(),
        "{} of {} connections failed: {:?}\n{}",
        failed.len(),
        ok + failed.len() as u64,
        &failed[..failed.len().min(5)],
        srv.log()
    );
    assert!(ok > 50, "only {ok} connections in the run");

    // The unix socket's file stays for the new master, which serves on it.
    let mut u = std::os::unix::net::UnixStream::connect(dir.path().join("web.sock"))
        .expect("the unix listener survives the upgrade");
    let mut answer = String::new();
    u.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("pid="), "{answer}");

    // The new master serves and answers status; systemd was told it is
    // the main process now, then ready.
    assert_eq!(status_json(&base)["pid"], new);
    let mut said = String::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = notify.recv(&mut buf) {
        said.push_str(&String::from_utf8_lossy(&buf[..n]));
        said.push('\n');
    }
    let main_pid = said
        .find(&format!("MAINPID={new}"))
        .unwrap_or_else(|| panic!("no MAINPID={new} in:\n{said}"));
    assert!(
        said[main_pid..].contains("READY=1"),
        "no READY=1 after MAINPID:\n{said}"
    );
    assert!(
        !said.contains("STOPPING=1"),
        "the old master told systemd the service stops:\n{said}"
    );
}
