//! Process titles: `ps` (`/proc/PID/cmdline`) shows `NAME: master`,
//! `NAME: SERVICE [N clients]` and `NAME: linger drainer`, NAME being the
//! binary's file name.

use std::time::Duration;

use crate::util::*;

/// What `ps` shows as the command line of `pid`.
fn title(pid: i32) -> String {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    String::from_utf8_lossy(&raw)
        .trim_end_matches('\0')
        .replace('\0', " ")
}

#[test]
fn master_workers_and_drainer_show_what_they_are() {
    let srv = Server::start(&[
        "--service",
        "echo",
        "handler=echo",
        "min=1",
        "listen=127.0.0.1:0",
        "--service",
        "solo",
        "handler=echo-blocking",
        "cl=1",
        "min=1",
        "listen=127.0.0.1:0",
    ]);
    assert_eq!(title(srv.pid), "svcc-testd: master");
    let drainer = wait_for(Duration::from_secs(10), || srv.drainer()).expect("a drainer");
    wait_for(Duration::from_secs(10), || {
        (title(drainer) == "svcc-testd: linger drainer").then_some(())
    })
    .unwrap_or_else(|| panic!("drainer title {:?}", title(drainer)));
    let shows = |want: &str| {
        wait_for(Duration::from_secs(10), || {
            srv.workers().into_iter().find(|p| title(*p) == want)
        })
        .unwrap_or_else(|| {
            let all: Vec<String> = srv.workers().into_iter().map(title).collect();
            panic!("no worker shows {want:?}: {all:?}")
        })
    };
    shows("svcc-testd: echo [0 clients]");
    shows("svcc-testd: solo [0 clients]");
    // Clients show up (within a second or so: titles change at most once
    // a second).
    let mut a = connect(srv.addr("echo"));
    let mut b = connect(srv.addr("echo"));
    echo_roundtrip(&mut a, b"x");
    echo_roundtrip(&mut b, b"y");
    shows("svcc-testd: echo [2 clients]");
    let mut c = connect(srv.addr("solo"));
    echo_roundtrip(&mut c, b"z");
    shows("svcc-testd: solo [1 clients]");
    drop((a, b, c));
    shows("svcc-testd: echo [0 clients]");
    shows("svcc-testd: solo [0 clients]");
}
