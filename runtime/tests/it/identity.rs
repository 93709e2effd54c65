//! `user`, `group` and `chroot` as applied in the worker, read back from
//! /proc (needs root; each test says so and passes vacuously otherwise).

use std::io::Read;
use std::time::Duration;

use crate::util::*;

fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// The id of `name` in /etc/passwd (`file = "passwd"`) or /etc/group.
fn etc_id(file: &str, name: &str) -> Option<u32> {
    let text = std::fs::read_to_string(format!("/etc/{file}")).ok()?;
    text.lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() > 2 && f[0] == name)
        .and_then(|f| f[2].parse().ok())
}

/// A `/proc/PID/status` field as numbers (`Uid:`, `Gid:`, `Groups:`).
fn status_ids(pid: i32, key: &str) -> Vec<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_else(|e| panic!("/proc/{pid}/status: {e}"));
    let line = status
        .lines()
        .find(|l| l.starts_with(key))
        .unwrap_or_else(|| panic!("no {key} in /proc/{pid}/status"));
    line[key.len()..]
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect()
}

/// Connects to a `pid` service and returns the worker that served.
fn serving_worker(srv: &Server, service: &str) -> i32 {
    let pid = served_pid(srv.addr(service));
    assert!(srv.workers().contains(&pid), "{pid} is not a worker");
    pid
}

#[test]
fn user_and_group_set_uid_gid_and_only_the_service_group() {
    if !is_root() {
        eprintln!("skipped: needs root");
        return;
    }
    let (Some(uid), Some(gid)) = (etc_id("passwd", "nobody"), etc_id("group", "nogroup")) else {
        eprintln!("skipped: no user nobody or group nogroup in /etc/passwd, /etc/group");
        return;
    };
    let srv = Server::start(&[
        "--service",
        "pid",
        "handler=pid",
        "user=nobody",
        "group=nogroup",
        "listen=127.0.0.1:0",
    ]);
    let pid = serving_worker(&srv, "pid");
    assert_eq!(
        status_ids(pid, "Uid:"),
        vec![uid; 4],
        "real, effective, saved, fs uid"
    );
    assert_eq!(
        status_ids(pid, "Gid:"),
        vec![gid; 4],
        "real, effective, saved, fs gid"
    );
    // None of the master's (root's) groups survive: at most the service's
    // own gid, which the runtime (like Dovecot, since some systems refuse an
    // empty list) keeps as the one supplementary group.
    let groups = status_ids(pid, "Groups:");
    assert!(
        groups.iter().all(|g| *g == gid),
        "supplementary groups {groups:?}, expected none but {gid}"
    );
}

#[test]
fn group_alone_changes_the_gid_but_not_the_uid() {
    if !is_root() {
        eprintln!("skipped: needs root");
        return;
    }
    let Some(gid) = etc_id("group", "nogroup") else {
        eprintln!("skipped: no group nogroup in /etc/group");
        return;
    };
    let srv = Server::start(&[
        "--service",
        "pid",
        "handler=pid",
        "group=nogroup",
        "listen=127.0.0.1:0",
    ]);
    let pid = serving_worker(&srv, "pid");
    assert_eq!(status_ids(pid, "Uid:"), vec![0; 4]);
    assert_eq!(status_ids(pid, "Gid:"), vec![gid; 4]);
    let groups = status_ids(pid, "Groups:");
    assert!(groups.iter().all(|g| *g == gid), "groups {groups:?}");
}

#[test]
fn chroot_puts_the_worker_in_the_directory() {
    if !is_root() {
        eprintln!("skipped: needs root");
        return;
    }
    let dir = temp_dir();
    let root = dir.path().canonicalize().unwrap();
    let chroot = format!("chroot={}", root.display());
    let srv = Server::start(&[
        "--service",
        "pid",
        "handler=pid",
        &chroot,
        "listen=127.0.0.1:0",
    ]);
    let pid = serving_worker(&srv, "pid");
    let seen = std::fs::read_link(format!("/proc/{pid}/root")).unwrap();
    assert_eq!(seen, root, "worker root directory");
    assert_eq!(
        std::fs::read_link(format!("/proc/{pid}/cwd")).unwrap(),
        root,
        "worker cwd is the chroot's /"
    );
    // The master itself is not chrooted.
    assert_eq!(
        std::fs::read_link(format!("/proc/{}/root", srv.pid)).unwrap(),
        std::path::PathBuf::from("/")
    );
}

#[test]
fn chroot_into_a_missing_directory_fails_the_worker_and_serves_nothing() {
    if !is_root() {
        eprintln!("skipped: needs root");
        return;
    }
    let dir = temp_dir();
    let missing = dir.path().join("no-such-dir");
    let chroot = format!("chroot={}", missing.display());
    let srv = Server::start(&[
        "--service",
        "pid",
        "handler=pid",
        "pl=2",
        &chroot,
        "listen=127.0.0.1:0",
    ]);
    let mut c = connect(srv.addr("pid"));
    let log = srv
        .wait_log("command startup failed, throttling", Duration::from_secs(5))
        .unwrap_or_else(|| panic!("no throttle:\n{}", srv.log()));
    assert!(
        log.contains(&format!("chroot({}) failed", missing.display())),
        "{log}"
    );
    assert!(
        log.contains("returned error 89 (start-up failed) before its first status report"),
        "{log}"
    );
    // Never served unchrooted: the client gets nothing (it stays queued
    // while the service is throttled).
    c.set_read_timeout(Some(Duration::from_millis(1000)))
        .unwrap();
    let mut buf = [0u8; 64];
    match c.read(&mut buf) {
        Ok(n) => assert_eq!(n, 0, "served: {:?}", String::from_utf8_lossy(&buf[..n])),
        Err(e) => assert!(
            matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
            "{e}"
        ),
    }
    assert!(
        srv.workers().is_empty(),
        "no worker survives: {:?}",
        srv.workers()
    );
}

/// The drainer's pid, from the master's log.
fn drainer_of(srv: &Server) -> i32 {
    srv.drainer().expect("linger drainer started")
}

fn assert_unprivileged(pid: i32, uid: u32, gid: u32) {
    assert_eq!(status_ids(pid, "Uid:"), vec![uid; 4], "drainer {pid} uids");
    assert_eq!(status_ids(pid, "Gid:"), vec![gid; 4], "drainer {pid} gids");
    let groups = status_ids(pid, "Groups:");
    assert!(
        groups.iter().all(|g| *g == gid),
        "drainer {pid}: supplementary groups {groups:?}"
    );
}

#[test]
fn the_linger_drainer_runs_unprivileged_across_sighup() {
    if !is_root() {
        eprintln!("skipped: needs root");
        return;
    }
    let (Some(uid), Some(gid)) = (etc_id("passwd", "nobody"), etc_id("group", "nogroup")) else {
        eprintln!("skipped: no user nobody or group nogroup");
        return;
    };
    // Every service sets a user; the drainer defaults to nobody.
    let srv = Server::start(&[
        "--service",
        "http",
        "handler=http",
        "user=nobody",
        "sc=1",
        "cl=1",
        "pl=2",
        "listen=127.0.0.1:0",
    ]);
    let d = drainer_of(&srv);
    let ok = wait_for(Duration::from_secs(5), || {
        (status_ids(d, "Uid:") == vec![uid; 4]).then_some(())
    });
    assert!(ok.is_some(), "drainer drops to nobody");
    assert_unprivileged(d, uid, gid);
    srv.signal(libc::SIGHUP);
    srv.wait_log("SIGHUP received", Duration::from_secs(5))
        .unwrap();
    // The same drainer, still unprivileged, still finishing lingering
    // closes (service_count = 1 workers hand every socket over).
    let (n, intact, err) = fetch_with_junk(srv.addr("http"), 4 << 20);
    assert!(err.is_none() && n == 4 << 20 && intact, "{n} {err:?}");
    assert_eq!(drainer_of(&srv), d);
    assert_unprivileged(d, uid, gid);
}

#[test]
fn the_linger_drainer_takes_the_internal_user() {
    if !is_root() {
        eprintln!("skipped: needs root");
        return;
    }
    let Some(uid) = etc_id("passwd", "daemon") else {
        eprintln!("skipped: no user daemon");
        return;
    };
    let text = std::fs::read_to_string("/etc/passwd").unwrap();
    let gid: u32 = text
        .lines()
        .find(|l| l.starts_with("daemon:"))
        .and_then(|l| l.split(':').nth(3))
        .and_then(|g| g.parse().ok())
        .unwrap();
    let srv = Server::start(&[
        "--internal-user",
        "daemon",
        "--service",
        "echo",
        "handler=echo",
        "listen=127.0.0.1:0",
    ]);
    let d = drainer_of(&srv);
    let ok = wait_for(Duration::from_secs(5), || {
        (status_ids(d, "Uid:") == vec![uid; 4]).then_some(())
    });
    assert!(ok.is_some(), "drainer runs as daemon");
    assert_unprivileged(d, uid, gid);
    let (code, srv) = Server::start_failing(&[
        "--internal-user",
        "no-such-user-svcc",
        "--service",
        "echo",
        "handler=echo",
        "listen=127.0.0.1:0",
    ]);
    assert_eq!(code, Some(1));
    assert!(
        srv.log().contains("default_internal_user doesn't exist"),
        "{}",
        srv.log()
    );
}
