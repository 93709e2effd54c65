//! Test driver: builds an [`AppSpec`] from command-line arguments (leaked,
//! so it is `'static` like generated code) and runs the master. Used by the
//! integration tests and benchmarks; not installed for users.
//!
//! ```text
//! svcc-testd [--base-dir DIR] [--shutdown-timeout-ms N] [--drop-after-ms N]
//!            [--backlog N] [--nofile N] [--plain-close] [--internal-user USER]
//!            [--spawn-thread]
//!            --service NAME handler=H [key=value ...] [--service ...]
//! handlers: echo discard banner http metrics peer pid pid-blocking echo-blocking panic-start
//!           fail-first login busy-blocking stubborn addrs addrs-blocking who who-blocking
//!           panic-on-data
//! keys: cl pl sc min idle-kill-ms vsz user group chroot idle-ms request-ms
//!       set.KEY=VALUE (the handler's `settings { }`, at testd:N:1)
//!       linger-read-ms linger-total-ms linger-bytes
//!       listen=ADDR:PORT (repeatable; [::1]:0 for IPv6)  unix=PATH[,MODE] (repeatable)
//!       tls-listen= haproxy-listen= haproxy-tls-listen= (as listen=)
//!       lname=NAME (the name of the inet listeners after it; default: the service's)
//! --haproxy-trusted NET (repeatable): haproxy_trusted_networks
//! ```

use std::io::{Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use svcc_runtime::handler::{BlockingHandler, Conn, EventHandler, Stream};
use svcc_runtime::handlers::{Banner, Discard, Echo, Http, Metrics, Peer};
use svcc_runtime::settings::{SettingEntry, SettingValue, SettingsSpec};
use svcc_runtime::spec::{
    AppSpec, HandlerSpec, KeyPassword, ListenerSpec, ServiceSpec, SslMode, Timeouts, TlsCert,
    TlsSpec, TlsVersion,
};
use svcc_runtime::RunOptions;

/// Writes `pid=P uid=U gid=G\r\n`, then closes: shows which worker served.
#[derive(Default)]
struct Pid;

fn pid_line() -> String {
    format!(
        "pid={} uid={} gid={}\r\n",
        std::process::id(),
        nix_ids().0,
        nix_ids().1
    )
}

fn nix_ids() -> (u32, u32) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |k: &str| {
        status
            .lines()
            .find(|l| l.starts_with(k))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(u32::MAX)
    };
    (field("Uid:"), field("Gid:"))
}

impl EventHandler for Pid {
    type State = ();
    fn open(&mut self, conn: &mut Conn<'_>) {
        let _ = conn.write(pid_line().as_bytes());
        conn.close();
    }
    fn readable(&mut self, _: &mut (), conn: &mut Conn<'_>) {
        conn.close();
    }
}

/// Blocking: writes the pid line, then closes.
#[derive(Default)]
struct PidBlocking;

impl BlockingHandler for PidBlocking {
    fn serve(&mut self, stream: &mut Stream) -> std::io::Result<()> {
        stream.write_all(pid_line().as_bytes())
    }
}

/// `peer=ADDR local=ADDR listener=NAME service=NAME\r\n` (`-` for a
/// missing address), as a handler sees its connection.
fn who_line(
    peer: Option<std::net::SocketAddr>,
    local: Option<std::net::SocketAddr>,
    listener: &str,
    service: &str,
) -> String {
    let a = |a: Option<std::net::SocketAddr>| a.map_or_else(|| "-".to_string(), |a| a.to_string());
    format!(
        "peer={} local={} listener={listener} service={service}\r\n",
        a(peer),
        a(local)
    )
}

/// Writes [`who_line`], then closes.
#[derive(Default)]
struct Who;

impl EventHandler for Who {
    type State = ();
    fn open(&mut self, conn: &mut Conn<'_>) {
        let line = who_line(
            conn.peer_addr(),
            conn.local_addr(),
            conn.listener_name(),
            conn.service_name(),
        );
        let _ = conn.write(line.as_bytes());
        conn.close();
    }
    fn readable(&mut self, _: &mut (), conn: &mut Conn<'_>) {
        conn.close();
    }
}

/// Blocking: writes [`who_line`], then closes.
#[derive(Default)]
struct WhoBlocking;

impl BlockingHandler for WhoBlocking {
    fn serve(&mut self, stream: &mut Stream) -> std::io::Result<()> {
        let line = who_line(
            stream.peer_addr(),
            stream.local_addr(),
            stream.listener_name(),
            stream.service_name(),
        );
        stream.write_all(line.as_bytes())
    }
}

/// Blocking echo: writes back what it reads until EOF.
#[derive(Default)]
struct EchoBlocking;

impl BlockingHandler for EchoBlocking {
    fn serve(&mut self, stream: &mut Stream) -> std::io::Result<()> {
        let mut buf = [0u8; 8192];
        loop {
            let n = stream.read(&mut buf)?;
            if n == 0 {
                return Ok(());
            }
            stream.write_all(&buf[..n])?;
        }
    }
}

/// Echo that marks a connection established once it has sent `LOGIN`
/// (a logged-in client: never closed to make room).
#[derive(Default)]
struct Login;

impl EventHandler for Login {
    type State = Vec<u8>;
    fn open(&mut self, _: &mut Conn<'_>) -> Vec<u8> {
        Vec::new()
    }
    fn readable(&mut self, seen: &mut Vec<u8>, conn: &mut Conn<'_>) {
        let mut buf = [0u8; 4096];
        loop {
            // Read no more than the echo can queue.
            let room = conn.write_room().min(buf.len());
            if room == 0 {
                return;
            }
            match conn.read(&mut buf[..room]) {
                Ok(0) => return conn.close(),
                Ok(n) => {
                    if !conn.is_established() {
                        seen.extend_from_slice(&buf[..n]);
                        if seen.windows(5).any(|w| w == b"LOGIN") {
                            conn.set_established();
                        }
                    }
                    let _ = conn.write(&buf[..n]);
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(_) => return conn.close(),
            }
        }
    }
}

/// Blocking: for each line, works for 500 ms (busy, not reading), then
/// answers `done\r\n`; ends at EOF.
#[derive(Default)]
struct BusyBlocking;

impl BlockingHandler for BusyBlocking {
    fn serve(&mut self, stream: &mut Stream) -> std::io::Result<()> {
        let mut buf = [0u8; 1024];
        loop {
            if stream.read(&mut buf)? == 0 {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(500));
            stream.write_all(b"done\r\n")?;
        }
    }
}

/// Writes `PEER LOCAL\r\n` (both as `ADDR:PORT`), then closes: what
/// `peer_addr` and `local_addr` say (after a PROXY header, its addresses).
#[derive(Default)]
struct Addrs;

fn addrs_line(peer: Option<std::net::SocketAddr>, local: Option<std::net::SocketAddr>) -> String {
    let show =
        |a: Option<std::net::SocketAddr>| a.map_or_else(|| "-".to_string(), |a| a.to_string());
    format!("{} {}\r\n", show(peer), show(local))
}

impl EventHandler for Addrs {
    type State = ();
    fn open(&mut self, conn: &mut Conn<'_>) {
        let _ = conn.write(addrs_line(conn.peer_addr(), conn.local_addr()).as_bytes());
        conn.close();
    }
    fn readable(&mut self, _: &mut (), conn: &mut Conn<'_>) {
        conn.close();
    }
}

/// Blocking [`Addrs`].
#[derive(Default)]
struct AddrsBlocking;

impl BlockingHandler for AddrsBlocking {
    fn serve(&mut self, stream: &mut Stream) -> std::io::Result<()> {
        stream.write_all(addrs_line(stream.peer_addr(), stream.local_addr()).as_bytes())
    }
}

/// Echo whose shutdown hangs (a stuck worker): it stays until the master
/// kills it at the shutdown deadline.
#[derive(Default)]
struct Stubborn;

impl EventHandler for Stubborn {
    type State = ();
    fn open(&mut self, _: &mut Conn<'_>) {}
    fn readable(&mut self, _: &mut (), conn: &mut Conn<'_>) {
        let mut buf = [0u8; 4096];
        loop {
            let room = conn.write_room().min(buf.len());
            if room == 0 {
                return;
            }
            let Ok(n) = conn.read(&mut buf[..room]) else {
                return;
            };
            if n == 0 {
                return conn.close();
            }
            let _ = conn.write(&buf[..n]);
        }
    }
    fn shutdown(&mut self, _: &mut (), _: &mut Conn<'_>) {
        std::thread::sleep(Duration::from_secs(30));
    }
}

/// Echo that panics when a client sends `PANIC`: a handler bug in the
/// middle of serving.
#[derive(Default)]
struct PanicOnData;

impl EventHandler for PanicOnData {
    type State = ();
    fn open(&mut self, _: &mut Conn<'_>) {}
    fn readable(&mut self, _: &mut (), conn: &mut Conn<'_>) {
        let mut buf = [0u8; 4096];
        while let Ok(n) = conn.read(&mut buf) {
            if n == 0 {
                return conn.close();
            }
            if buf[..n].windows(5).any(|w| w == b"PANIC") {
                panic!("panic-on-data: the client asked for it");
            }
            let _ = conn.write(&buf[..n]);
        }
    }
}

/// Panics when a worker creates it: a worker that fails at start-up.
struct PanicStart;

impl Default for PanicStart {
    fn default() -> Self {
        panic!("panic-start: this handler always fails at start-up");
    }
}

impl EventHandler for PanicStart {
    type State = ();
    fn open(&mut self, _: &mut Conn<'_>) {}
    fn readable(&mut self, _: &mut (), _: &mut Conn<'_>) {}
}

/// Starts (and reports ready) normally, then exits with code 3 on its
/// first connection: a worker that keeps failing after start-up.
#[derive(Default)]
struct FailFirst;

/// The exit code of [`FailFirst`].
const FAIL_FIRST_EXIT: i32 = 3;

impl EventHandler for FailFirst {
    type State = ();
    fn open(&mut self, _: &mut Conn<'_>) {
        // SAFETY: _exit(2) ends this worker process at once; nothing is
        // shared with the master but descriptors the kernel closes.
        unsafe { libc::_exit(FAIL_FIRST_EXIT) }
    }
    fn readable(&mut self, _: &mut (), _: &mut Conn<'_>) {}
}

fn handler(name: &str) -> Result<HandlerSpec, String> {
    Ok(match name {
        "echo" => HandlerSpec::event::<Echo>("echo"),
        "discard" => HandlerSpec::event::<Discard>("discard"),
        "banner" => HandlerSpec::event_configured::<Banner>("banner"),
        "peer" => HandlerSpec::event::<Peer>("peer"),
        "metrics" => HandlerSpec::event::<Metrics>("metrics"),
        "http" => HandlerSpec::event_configured::<Http>("http"),
        "pid" => HandlerSpec::event::<Pid>("pid"),
        "addrs" => HandlerSpec::event::<Addrs>("addrs"),
        "addrs-blocking" => HandlerSpec::blocking::<AddrsBlocking>("addrs-blocking"),
        "login" => HandlerSpec::event::<Login>("login"),
        "stubborn" => HandlerSpec::event::<Stubborn>("stubborn"),
        "busy-blocking" => HandlerSpec::blocking::<BusyBlocking>("busy-blocking"),
        "pid-blocking" => HandlerSpec::blocking::<PidBlocking>("pid-blocking"),
        "who" => HandlerSpec::event::<Who>("who"),
        "panic-on-data" => HandlerSpec::event::<PanicOnData>("panic-on-data"),
        "who-blocking" => HandlerSpec::blocking::<WhoBlocking>("who-blocking"),
        "echo-blocking" => HandlerSpec::blocking::<EchoBlocking>("echo-blocking"),
        "panic-start" => HandlerSpec::event::<PanicStart>("panic-start"),
        "fail-first" => HandlerSpec::event::<FailFirst>("fail-first"),
        other => return Err(format!("unknown handler {other}")),
    })
}

fn leak_str(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

fn leak_list(s: &str) -> &'static [&'static str] {
    Box::leak(
        s.split(',')
            .map(leak_str)
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    )
}

fn num<T: std::str::FromStr>(k: &str, v: &str) -> Result<T, String> {
    v.parse().map_err(|_| format!("bad number for {k}: {v}"))
}

fn parse_service(name: &str, kvs: &[String]) -> Result<ServiceSpec, String> {
    let mut s = ServiceSpec {
        name: leak_str(name),
        listeners: &[],
        process_limit: 1,
        client_limit: 1000,
        service_count: 0,
        process_min_avail: 0,
        idle_kill: None,
        vsz_limit: 0,
        user: None,
        group: None,
        chroot: None,
        handler: handler("echo")?,
        timeouts: Timeouts::DEFAULT,
        settings: SettingsSpec::NONE,
    };
    let mut listeners = Vec::new();
    let mut settings = Vec::new();
    let mut lname = s.name;
    for kv in kvs {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| format!("expected key=value: {kv}"))?;
        if let Some(key) = k.strip_prefix("set.") {
            // A `settings { key = value }` entry, "written" at
            // `testd:N:1` (N: its place among this service's settings).
            settings.push(SettingEntry {
                key: leak_str(key),
                value: SettingValue::Text(leak_str(v)),
                at: leak_str(&format!("testd:{}:1", settings.len() + 2)),
            });
            continue;
        }
        match k {
            "handler" => s.handler = handler(v)?,
            "lname" => lname = leak_str(v),
            "cl" => s.client_limit = num(k, v)?,
            "pl" => s.process_limit = num(k, v)?,
            "sc" => s.service_count = num(k, v)?,
            "min" => s.process_min_avail = num(k, v)?,
            "idle-kill-ms" => s.idle_kill = Some(Duration::from_millis(num(k, v)?)),
            "vsz" => s.vsz_limit = num(k, v)?,
            "user" => s.user = Some(leak_str(v)),
            "group" => s.group = Some(leak_str(v)),
            "chroot" => s.chroot = Some(leak_str(v)),
            "idle-ms" => s.timeouts.idle_client = Duration::from_millis(num(k, v)?),
            "request-ms" => s.timeouts.first_request = Duration::from_millis(num(k, v)?),
            "linger-read-ms" => s.timeouts.linger_read = Duration::from_millis(num(k, v)?),
            "linger-total-ms" => s.timeouts.linger_total = Duration::from_millis(num(k, v)?),
            "linger-bytes" => s.timeouts.linger_bytes = num(k, v)?,
            "listen" | "tls-listen" | "haproxy-listen" | "haproxy-tls-listen" => {
                let (addr, port) = v
                    .rsplit_once(':')
                    .ok_or_else(|| format!("bad listen {v}"))?;
                let addrs: &'static [&'static str] =
                    Box::leak(vec![leak_str(addr)].into_boxed_slice());
                listeners.push(ListenerSpec::Inet {
                    name: lname,
                    addresses: addrs,
                    port: num(k, port)?,
                    ssl: k.contains("tls-"),
                    haproxy: k.starts_with("haproxy-"),
                });
            }
            "unix" => {
                let (path, mode) = match v.split_once(',') {
                    Some((p, m)) => (
                        p,
                        u32::from_str_radix(m, 8).map_err(|_| format!("bad mode {m}"))?,
                    ),
                    None => (v, 0o600),
                };
                listeners.push(ListenerSpec::Unix {
                    path: leak_str(path),
                    mode,
                    user: None,
                    group: None,
                });
            }
            _ => return Err(format!("unknown service key {k}")),
        }
    }
    s.listeners = Box::leak(listeners.into_boxed_slice());
    if !settings.is_empty() {
        s.settings = SettingsSpec {
            entries: Box::leak(settings.into_boxed_slice()),
            at: "testd:1:1",
            present: true,
        };
    }
    Ok(s)
}

fn parse(args: Vec<String>) -> Result<(AppSpec, RunOptions), String> {
    let mut opts = RunOptions::from_env();
    let mut services = Vec::new();
    let mut tls = TlsSpec::NONE;
    let mut names = Vec::new();
    let mut locals = Vec::new();
    let mut internal_user = None;
    let mut trusted = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        let mut val = || -> Result<String, String> {
            i += 1;
            args.get(i)
                .cloned()
                .ok_or_else(|| format!("{a} needs a value"))
        };
        match a.as_str() {
            "--base-dir" => opts.base_dir = Some(val()?.into()),
            "--shutdown-timeout-ms" => {
                opts.shutdown_timeout = Duration::from_millis(num(a, &val()?)?)
            }
            "--drop-after-ms" => opts.drop_queued_after = Duration::from_millis(num(a, &val()?)?),
            "--backlog" => opts.backlog_override = Some(num(a, &val()?)?),
            "--plain-close" => opts.plain_close = true,
            "--tls-cert" => {
                tls.mode = SslMode::Yes;
                tls.cert = leak_str(&val()?);
            }
            "--tls-key" => tls.key = leak_str(&val()?),
            "--ssl-required" => tls.mode = SslMode::Required,
            "--tls13-only" => tls.min_protocol = TlsVersion::Tls13,
            "--tls-no-ticket" => tls.no_ticket = true,
            "--tls-ca" => tls.ca = Some(leak_str(&val()?)),
            "--tls-key-password" => tls.key_password = KeyPassword::Text(leak_str(&val()?)),
            "--tls-key-password-file" => tls.key_password = KeyPassword::File(leak_str(&val()?)),
            "--tls-verify-client" => tls.verify_client_cert = true,
            "--tls-prefer-server" => tls.prefer_server_ciphers = true,
            // Comma-separated rustls names, as `ssl_cipher_list` etc. resolve to.
            "--tls12-suites" => tls.tls12_suites = leak_list(&val()?),
            "--tls13-suites" => tls.tls13_suites = leak_list(&val()?),
            "--tls-groups" => tls.groups = leak_list(&val()?),
            // --tls-local NET=CERT,KEY
            "--tls-local" => {
                let v = val()?;
                let (net, files) = v.split_once('=').ok_or("--tls-local NET=CERT,KEY")?;
                let (c, k) = files.split_once(',').ok_or("--tls-local NET=CERT,KEY")?;
                locals.push(TlsCert {
                    selector: Box::leak(vec![leak_str(net)].into_boxed_slice()),
                    cert: leak_str(c),
                    key: leak_str(k),
                });
            }
            // --tls-sni NAME[,NAME...]=CERT,KEY
            "--tls-sni" => {
                let v = val()?;
                let (sel, files) = v.split_once('=').ok_or("--tls-sni NAMES=CERT,KEY")?;
                let (c, k) = files.split_once(',').ok_or("--tls-sni NAMES=CERT,KEY")?;
                let sel: Vec<&'static str> = sel.split(',').map(leak_str).collect();
                names.push(TlsCert {
                    selector: Box::leak(sel.into_boxed_slice()),
                    cert: leak_str(c),
                    key: leak_str(k),
                });
            }
            "--haproxy-trusted" => trusted.push(svcc_runtime::spec::IpNet::parse(&val()?)?),
            "--internal-user" => internal_user = Some(leak_str(&val()?)),
            // A second thread, as a #[tokio::main] or a logger would start.
            "--spawn-thread" => {
                std::thread::spawn(|| loop {
                    std::thread::sleep(Duration::from_secs(3600));
                });
            }
            "--nofile" => {
                let n: u64 = num(a, &val()?)?;
                nix_setrlimit_nofile(n)?;
            }
            "--service" => {
                let name = val()?;
                let start = i + 1;
                let mut end = start;
                while end < args.len() && !args[end].starts_with("--") {
                    end += 1;
                }
                services.push(parse_service(&name, &args[start..end])?);
                i = end - 1;
            }
            other => return Err(format!("unknown argument {other}")),
        }
        i += 1;
    }
    let app = AppSpec {
        services: Box::leak(services.into_boxed_slice()),
        // Shared by every svcc-testd started without --base-dir (their
        // control sockets replace each other there); tests that ask
        // `status` pass a --base-dir of their own.
        base_dir: leak_str(&std::env::temp_dir().to_string_lossy()),
        config_text: "# built by svcc-testd\n",
        config_hash: "testd",
        svcc_version: env!("CARGO_PKG_VERSION"),
        warnings: &[],
        tls: TlsSpec {
            names: Box::leak(names.into_boxed_slice()),
            locals: Box::leak(locals.into_boxed_slice()),
            ..tls
        },
        internal_user,
        haproxy_trusted_networks: Box::leak(trusted.into_boxed_slice()),
    };
    Ok((app, opts))
}

fn nix_setrlimit_nofile(n: u64) -> Result<(), String> {
    // Lower both limits so the runtime cannot raise the soft one again.
    let out = std::process::Command::new("prlimit")
        .arg(format!("--pid={}", std::process::id()))
        .arg(format!("--nofile={n}:{n}"))
        .status()
        .map_err(|e| format!("prlimit: {e}"))?;
    if !out.success() {
        return Err("prlimit failed".into());
    }
    Ok(())
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    // `svcc-testd SPECS -- FLAGS`: the tailored binary's command line
    // (`--check`, `--print-config`) over the specs.
    let cli: Option<Vec<String>> = args
        .iter()
        .position(|a| a == "--")
        .map(|i| args.split_off(i).into_iter().skip(1).collect());
    let (app, opts) = match parse(args) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("svcc-testd: {e}");
            return ExitCode::from(2);
        }
    };
    let app: &'static AppSpec = Box::leak(Box::new(app));
    if let Some(cli) = cli {
        return svcc_runtime::main_with_args(app, cli.into_iter().map(Into::into));
    }
    match svcc_runtime::run(app, &opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("svcc-testd: fatal: {e}");
            ExitCode::from(1)
        }
    }
}
