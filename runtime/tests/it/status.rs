//! `BIN status`: the running master's answer over its control socket
//! (JSON, the table, OpenMetrics), its counters, and the socket's mode.

use crate::util::{connect, echo_roundtrip, temp_dir, wait_for, Server, TESTD};
use serde_json::Value;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Runs `svcc-testd -- status ARGS --base-dir BASE`: exit code, stdout,
/// stderr.
pub fn status(base: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(TESTD)
        .args(["--service", "x", "handler=echo", "--", "status"])
        .args(args)
        .args(["--base-dir", base])
        .output()
        .expect("run status");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `status --json`, parsed.
pub fn status_json(base: &str) -> Value {
    let (code, out, err) = status(base, &["--json"]);
    assert_eq!(code, Some(0), "status failed: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

fn service<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["services"]
        .as_array()
        .expect("services")
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no service {name} in {v}"))
}

/// Polls `status --json` until `f` holds for it (5 s at most).
fn wait_status(base: &str, f: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    wait_for(Duration::from_secs(5), || {
        last = status_json(base);
        f(&last).then_some(())
    })
    .unwrap_or_else(|| panic!("status never got there: {last}"));
    last
}

#[test]
fn status_reports_processes_clients_and_counters() {
    let dir = temp_dir();
    let base = dir.path().to_str().unwrap();
    let srv = Server::start(&[
        "--base-dir",
        base,
        "--service",
        "web",
        "handler=echo",
        "cl=4",
        "pl=2",
        "listen=127.0.0.1:0",
    ]);
    let mut clients: Vec<_> = (0..3).map(|_| connect(srv.addr("web"))).collect();
    for c in &mut clients {
        echo_roundtrip(c, b"hi\n");
    }
    let v = wait_status(base, |v| {
        let s = service(v, "web");
        s["clients"] == 3 && s["accepted"] == 3
    });
    assert_eq!(v["pid"], srv.pid);
    let s = service(&v, "web");
    let procs = s["processes"].as_u64().unwrap();
    assert!((1..=2).contains(&procs), "{s}");
    assert_eq!(s["client_slots"].as_u64(), Some(procs * 4), "{s}");
    assert_eq!(s["throttled"], false);
    assert_eq!(s["dropped"], 0);
    assert_eq!(s["respawns"], 0);
    let l = &s["listeners"][0];
    assert_eq!(l["backlog"], 8, "client_limit x process_limit: {s}");
    assert_eq!(l["queued"], 0, "{s}");
    assert_eq!(
        l["address"].as_str().unwrap(),
        srv.addr("web").to_string(),
        "{s}"
    );

    // Only the master's user may ask.
    let sock = dir.path().join("svcc-testd.control");
    let meta = std::fs::metadata(&sock).expect("control socket");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(meta.uid(), nix_uid());

    // The table for people.
    let (code, text, _) = status(base, &[]);
    assert_eq!(code, Some(0));
    let row = text
        .lines()
        .find(|l| l.starts_with("web "))
        .unwrap_or_else(|| panic!("no web row:\n{text}"));
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cells[3], "3", "clients column: {text}");
    assert!(text.contains("listener web"), "{text}");

    // Closing the clients frees their slots.
    drop(clients);
    wait_status(base, |v| service(v, "web")["clients"] == 0);
}

#[test]
fn drops_at_the_limit_and_crashes_are_counted() {
    let dir = temp_dir();
    let base = dir.path().to_str().unwrap();
    let srv = Server::start(&[
        "--base-dir",
        base,
        "--drop-after-ms",
        "100",
        "--service",
        "full",
        "handler=echo-blocking",
        "cl=1",
        "pl=1",
        "listen=127.0.0.1:0",
        "--service",
        "crash",
        "handler=panic-on-data",
        "listen=127.0.0.1:0",
    ]);
    // One client holds the only slot; the next ones wait in the queue
    // until the master closes them at the limit.
    let mut holder = connect(srv.addr("full"));
    echo_roundtrip(&mut holder, b"mine\n");
    let waiting: Vec<_> = (0..3).map(|_| connect(srv.addr("full"))).collect();
    let mut c = connect(srv.addr("crash"));
    c.write_all(b"PANIC\n").unwrap();
    let v = wait_status(base, |v| {
        service(v, "full")["dropped"].as_u64() >= Some(1)
            && service(v, "crash")["respawns"].as_u64() >= Some(1)
    });
    let crash = &service(&v, "crash")["last_crash"];
    assert!(
        crash["status"].as_str().unwrap_or("").contains("panicked"),
        "{crash}"
    );
    assert!(crash["pid"].as_i64().unwrap() > 0, "{crash}");
    assert_eq!(service(&v, "full")["respawns"], 0, "{v}");
    drop(waiting);
}

#[test]
fn metrics_are_well_formed_openmetrics() {
    let dir = temp_dir();
    let base = dir.path().to_str().unwrap();
    let srv = Server::start(&[
        "--base-dir",
        base,
        "--service",
        "web",
        "handler=echo",
        "listen=127.0.0.1:0",
        "unix=web.sock",
    ]);
    let mut c = connect(srv.addr("web"));
    echo_roundtrip(&mut c, b"x\n");
    wait_status(base, |v| service(v, "web")["accepted"] == 1);
    let (code, text, err) = status(base, &["--metrics"]);
    assert_eq!(code, Some(0), "{err}");
    let samples = parse_openmetrics(&text);
    let get = |name: &str, labels: &str| {
        samples
            .iter()
            .find(|(n, l, _)| n == name && l.contains(labels))
            .map(|s| s.2)
            .unwrap_or_else(|| panic!("no {name}{{{labels}}} in:\n{text}"))
    };
    assert_eq!(
        get("svcc_connections_accepted_total", "service=\"web\""),
        1.0
    );
    assert_eq!(get("svcc_clients", "service=\"web\""), 1.0);
    assert_eq!(
        get("svcc_listen_backlog", "address=\"unix:"),
        get("svcc_listen_backlog", "address=\"127.0.0.1:")
    );
}

/// A strict reader of the OpenMetrics text format: every sample's family
/// was declared by `# TYPE` before it, counters' samples end in `_total`,
/// label sets are well quoted, values are numbers, and `# EOF` ends it.
/// Returns (name, labels, value) per sample.
pub fn parse_openmetrics(text: &str) -> Vec<(String, String, f64)> {
    let mut types = std::collections::HashMap::new();
    let mut out = Vec::new();
    let mut eof = false;
    for line in text.lines() {
        assert!(!eof, "text after # EOF: {line}");
        if line == "# EOF" {
            eof = true;
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("# TYPE name kind");
            assert!(["counter", "gauge"].contains(&kind), "unknown type {kind}");
            assert!(
                types.insert(name.to_string(), kind.to_string()).is_none(),
                "family {name} declared twice"
            );
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        assert!(!line.starts_with('#'), "unknown comment: {line}");
        let (series, value) = line.rsplit_once(' ').expect("sample value");
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value: {line}"));
        let (name, labels) = match series.split_once('{') {
            Some((n, l)) => {
                let l = l.strip_suffix('}').expect("closing brace");
                for pair in split_labels(l) {
                    let (k, v) = pair.split_once('=').expect("label=value");
                    assert!(
                        k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                        "label name {k}"
                    );
                    assert!(
                        v.len() >= 2 && v.starts_with('"') && v.ends_with('"'),
                        "label value {v}"
                    );
                }
                (n, l)
            }
            None => (series, ""),
        };
        let family = types
            .keys()
            .find(|f| name == f.as_str() || name == format!("{f}_total"))
            .unwrap_or_else(|| panic!("sample before its # TYPE: {line}"));
        if types[family] == "counter" {
            assert!(name.ends_with("_total"), "counter sample {name}");
        }
        out.push((name.to_string(), labels.to_string(), value));
    }
    assert!(eof, "no # EOF at the end");
    out
}

fn split_labels(l: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in l.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(&l[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    assert!(!quoted, "unclosed label value in {l}");
    if start < l.len() {
        parts.push(&l[start..]);
    }
    parts
}

#[test]
fn status_without_a_master_says_so_and_fails() {
    let dir = temp_dir();
    let (code, out, err) = status(dir.path().to_str().unwrap(), &["--json"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(err.contains("cannot reach the master"), "{err}");
    assert!(out.is_empty());
}

fn nix_uid() -> u32 {
    std::fs::metadata("/proc/self").unwrap().uid()
}

fn curl() -> Option<&'static str> {
    if Path::new("/usr/bin/curl").exists() {
        return Some("/usr/bin/curl");
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "curl is missing: .ci/run installs it"
    );
    eprintln!("skipping: curl is not installed");
    None
}

#[test]
fn the_metrics_service_is_scraped_with_curl() {
    let Some(curl) = curl() else { return };
    let srv = Server::start(&[
        "--service",
        "web",
        "handler=echo",
        "cl=5",
        "listen=127.0.0.1:0",
        "--service",
        "metrics",
        "handler=metrics",
        "listen=127.0.0.1:0",
    ]);
    let mut c = connect(srv.addr("web"));
    echo_roundtrip(&mut c, b"x\n");
    let url = format!("http://{}/metrics", srv.addr("metrics"));
    let scrape = || {
        let out = Command::new(curl)
            .args(["-sS", "--max-time", "5", "-D", "/dev/stderr", &url])
            .output()
            .expect("run curl");
        assert!(out.status.success(), "curl: {out:?}");
        (
            String::from_utf8_lossy(&out.stderr).into_owned(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    // The worker's count reaches the master within a second.
    let (head, body) = wait_for(Duration::from_secs(5), || {
        let (h, b) = scrape();
        b.contains("svcc_connections_accepted_total{service=\"web\"} 1\n")
            .then_some((h, b))
    })
    .unwrap_or_else(|| panic!("web's accept never showed:\n{}", scrape().1));
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/openmetrics-text; version=1.0.0"),
        "{head}"
    );
    let samples = parse_openmetrics(&body);
    assert!(samples
        .iter()
        .any(|(n, l, v)| n == "svcc_clients" && l == "service=\"web\"" && *v == 1.0));
    assert!(samples
        .iter()
        .any(|(n, l, v)| n == "svcc_client_slots" && l == "service=\"web\"" && *v == 5.0));
    // Every other path is not found.
    let out = Command::new(curl)
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &format!("http://{}/", srv.addr("metrics")),
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "404");
}
