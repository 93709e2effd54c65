//! The control socket: `BIN status` (and the metrics) ask the running
//! master what runs, as `doveadm service status` and `doveadm process
//! status` ask Dovecot's.
//!
//! The socket is `BASE_DIR/BIN.control` (BIN: the binary's file name),
//! mode 0600 and owned by the master's user; it is bound under a
//! temporary name and renamed into place, so a new master (an upgrade)
//! takes the name over atomically, and a master removes it at exit only
//! while the name is still its own. A client sends one request line
//! (`json`, `text` or `metrics`) and reads the answer until EOF. The
//! master answers at once from its loop, within 200 ms per client for
//! reading the request and writing the answer together, and at most 8
//! clients per loop turn, so no client stalls it for long.

use std::io::{self, Read, Write};
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use crate::sys;

/// The control socket's path for binary `bin` in `base_dir`.
pub(crate) fn path(base_dir: &Path, bin: &str) -> PathBuf {
    base_dir.join(format!("{bin}.control"))
}

/// What a client asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// One JSON object (`--json`).
    Json,
    /// A table for people.
    Text,
    /// OpenMetrics text (what the metrics endpoint serves).
    Metrics,
}

impl Request {
    fn word(self) -> &'static str {
        match self {
            Request::Json => "json",
            Request::Text => "text",
            Request::Metrics => "metrics",
        }
    }

    pub(crate) fn parse(line: &str) -> Option<Request> {
        [Request::Json, Request::Text, Request::Metrics]
            .into_iter()
            .find(|r| r.word() == line.trim())
    }
}

/// The master's listening control socket.
pub(crate) struct Control {
    listener: UnixListener,
    path: PathBuf,
    /// The temporary name while the socket is not yet published.
    tmp: Option<PathBuf>,
    /// Device and inode of the socket file this master created.
    id: (u64, u64),
}

impl Control {
    /// Binds the control socket for `path` (creating its directory): at
    /// `path` itself, replacing whatever was there, when `publish`; else
    /// under a temporary name until [`Control::publish`] (a new master of
    /// an upgrade takes the name only once it serves, so a failed upgrade
    /// leaves `status` reaching the old one).
    pub(crate) fn bind(path: &Path, publish: bool) -> io::Result<Control> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension(format!("control.{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        // 0600 from the start: no moment in which others may connect.
        let old = sys::proc::umask(0o177);
        let bound = UnixListener::bind(&tmp);
        sys::proc::umask(old);
        let listener = bound?;
        listener.set_nonblocking(true)?;
        let meta = std::fs::symlink_metadata(&tmp)?;
        let mut c = Control {
            listener,
            path: path.to_path_buf(),
            tmp: Some(tmp),
            id: (meta.dev(), meta.ino()),
        };
        if publish {
            c.publish()?;
        }
        Ok(c)
    }

    /// Moves the socket to its name (atomically replacing an old master's).
    pub(crate) fn publish(&mut self) -> io::Result<()> {
        if let Some(tmp) = &self.tmp {
            if let Err(e) = std::fs::rename(tmp, &self.path) {
                let _ = std::fs::remove_file(tmp);
                return Err(e);
            }
            self.tmp = None;
        }
        Ok(())
    }

    /// The listening descriptor (for the event loop, and to close in
    /// children).
    pub(crate) fn fd(&self) -> std::os::fd::BorrowedFd<'_> {
        use std::os::fd::AsFd;
        self.listener.as_fd()
    }

    /// Answers every waiting client with `answer(request)`, each within
    /// [`CLIENT_BUDGET`], at most 8 per call (the caller re-arms the
    /// socket, so the rest are answered on the next loop turn).
    pub(crate) fn serve(&self, mut answer: impl FnMut(Request) -> String) {
        for _ in 0..8 {
            let Ok((stream, _)) = self.listener.accept() else {
                return;
            };
            let _ = respond(stream, &mut answer);
        }
    }

    /// Removes the socket file if it is still the one this master made (an
    /// upgraded master may have taken the name over).
    pub(crate) fn remove(&self) {
        let at = self.tmp.as_ref().unwrap_or(&self.path);
        if let Ok(meta) = std::fs::symlink_metadata(at) {
            if (meta.dev(), meta.ino()) == self.id {
                let _ = std::fs::remove_file(at);
            }
        }
    }
}

impl Drop for Control {
    fn drop(&mut self) {
        self.remove();
    }
}

/// How long one control client may take, request and answer together.
const CLIENT_BUDGET: Duration = Duration::from_millis(200);

fn respond(mut s: UnixStream, answer: &mut impl FnMut(Request) -> String) -> io::Result<()> {
    let deadline = Instant::now() + CLIENT_BUDGET;
    s.set_nonblocking(false)?;
    let mut line = Vec::with_capacity(16);
    let mut buf = [0u8; 16];
    while !line.contains(&b'\n') && line.len() < 64 {
        s.set_read_timeout(Some(left(deadline)?))?;
        match s.read(&mut buf)? {
            0 => break,
            n => line.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&line);
    let reply = match Request::parse(&text) {
        Some(r) => answer(r),
        None => format!(
            "error: unknown request {:?} (json, text or metrics)\n",
            text.trim()
        ),
    };
    write_within(&s, reply.as_bytes(), deadline)
}

/// The time left before `deadline` (an error once it passed), for the
/// socket timeouts that bound each call.
fn left(deadline: Instant) -> io::Result<Duration> {
    let d = deadline.saturating_duration_since(Instant::now());
    if d.is_zero() {
        return Err(io::ErrorKind::TimedOut.into());
    }
    Ok(d)
}

/// Writes `bytes` whole before `deadline` (a reader that reads slowly
/// cannot stretch it: each call gets only the time that is left), leaving
/// the socket blocking.
pub(crate) fn write_within(mut s: &UnixStream, bytes: &[u8], deadline: Instant) -> io::Result<()> {
    s.set_nonblocking(false)?;
    let mut off = 0;
    while off < bytes.len() {
        s.set_write_timeout(Some(left(deadline)?))?;
        match s.write(&bytes[off..]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => off += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Asks the master whose control socket is `path`; returns its answer.
pub(crate) fn query(path: &Path, req: Request) -> io::Result<String> {
    let mut s = UnixStream::connect(path)?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    s.set_write_timeout(Some(Duration::from_secs(5)))?;
    s.write_all(format!("{}\n", req.word()).as_bytes())?;
    let mut out = String::new();
    s.take(64 << 20).read_to_string(&mut out)?;
    Ok(out)
}

// ---- a worker's channel (EventHandler::MASTER_STATUS) -----------------
//
// The master makes a socket pair per such worker at fork. The worker
// writes a request line; the master answers from its loop with the
// answer's length (u32, native order) and the answer.

/// This worker's end of its channel to the master.
static CHANNEL: std::sync::OnceLock<UnixStream> = std::sync::OnceLock::new();
/// A request went wrong (a timeout mid-answer): the stream's framing is
/// lost, so the channel is not used again.
static BROKEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// In a forked worker: keeps its end of the channel.
pub(crate) fn set_worker_channel(s: UnixStream) {
    let _ = CHANNEL.set(s);
}

/// The master's answer to one request (also `Ok` for an empty one).
pub(crate) fn frame(answer: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(answer.len() + 4);
    out.extend_from_slice(&(answer.len() as u32).to_ne_bytes());
    out.extend_from_slice(answer.as_bytes());
    out
}

/// Asks the master over this worker's channel.
pub(crate) fn ask_master(req: Request) -> io::Result<String> {
    use std::sync::atomic::Ordering;
    let Some(chan) = CHANNEL.get() else {
        return Err(io::Error::other(
            "no channel to the master (only workers of a handler with MASTER_STATUS have one)",
        ));
    };
    if BROKEN.load(Ordering::Relaxed) {
        return Err(io::Error::other("the channel to the master broke earlier"));
    }
    let r = (|| {
        let mut s = chan;
        s.set_read_timeout(Some(Duration::from_secs(2)))?;
        s.set_write_timeout(Some(Duration::from_secs(2)))?;
        s.write_all(format!("{}\n", req.word()).as_bytes())?;
        let mut len = [0u8; 4];
        s.read_exact(&mut len)?;
        let len = u32::from_ne_bytes(len) as usize;
        if len > 64 << 20 {
            return Err(io::Error::other("answer over 64 MiB"));
        }
        let mut buf = vec![0u8; len];
        s.read_exact(&mut buf)?;
        String::from_utf8(buf).map_err(io::Error::other)
    })();
    if r.is_err() {
        BROKEN.store(true, Ordering::Relaxed);
    }
    r
}

/// A listener's accept queue.
#[derive(Debug, Clone)]
pub(crate) struct ListenerStatus {
    pub name: String,
    pub address: String,
    /// Connections waiting to be accepted (`ss`'s Recv-Q), when the
    /// kernel says.
    pub queued: Option<u32>,
    /// The queue's maximum (`ss`'s Send-Q for a listener).
    pub backlog: Option<u32>,
}

/// One service, as `status` reports it.
#[derive(Debug, Clone)]
pub(crate) struct ServiceStatus {
    pub name: &'static str,
    pub handler: &'static str,
    pub processes: u32,
    pub idle: u32,
    pub process_limit: u32,
    pub client_limit: u32,
    pub clients: u64,
    pub client_slots: u64,
    pub throttled: bool,
    pub throttle_secs: f64,
    pub counters: super::Counters,
    pub listeners: Vec<ListenerStatus>,
}

/// Everything `status` reports.
#[derive(Debug, Clone)]
pub(crate) struct Snapshot {
    pub binary: &'static str,
    pub pid: i32,
    pub uptime_secs: u64,
    pub stopping: bool,
    pub services: Vec<ServiceStatus>,
}

fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A JSON string literal.
fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_opt(v: Option<u32>) -> String {
    v.map_or_else(|| "null".to_string(), |n| n.to_string())
}

/// An OpenMetrics label value.
fn label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Snapshot {
    /// `--json`: one object (the contract's fields, and more).
    pub(crate) fn json(&self) -> String {
        let services: Vec<String> = self
            .services
            .iter()
            .map(|s| {
                let c = &s.counters;
                let crash = match &c.last_crash {
                    Some((pid, what, at)) => format!(
                        "{{\"pid\":{pid},\"status\":{},\"at\":{}}}",
                        json_str(what),
                        unix_secs(*at)
                    ),
                    None => "null".into(),
                };
                let listeners: Vec<String> = s
                    .listeners
                    .iter()
                    .map(|l| {
                        format!(
                            "{{\"name\":{},\"address\":{},\"queued\":{},\"backlog\":{}}}",
                            json_str(&l.name),
                            json_str(&l.address),
                            json_opt(l.queued),
                            json_opt(l.backlog)
                        )
                    })
                    .collect();
                format!(
                    "{{\"name\":{},\"handler\":{},\"processes\":{},\"idle\":{},\
                     \"process_limit\":{},\"clients\":{},\"client_slots\":{},\
                     \"client_slots_free\":{},\"client_limit\":{},\"accepted\":{},\
                     \"dropped\":{},\"forks\":{},\"respawns\":{},\"throttled\":{},\
                     \"throttle_secs\":{:.3},\"last_crash\":{crash},\"listeners\":[{}]}}",
                    json_str(s.name),
                    json_str(s.handler),
                    s.processes,
                    s.idle,
                    s.process_limit,
                    s.clients,
                    s.client_slots,
                    s.client_slots.saturating_sub(s.clients),
                    s.client_limit,
                    c.accepted,
                    c.dropped,
                    c.forks,
                    c.respawns,
                    s.throttled,
                    s.throttle_secs,
                    listeners.join(",")
                )
            })
            .collect();
        format!(
            "{{\"binary\":{},\"pid\":{},\"uptime_secs\":{},\"stopping\":{},\"services\":[{}]}}\n",
            json_str(self.binary),
            self.pid,
            self.uptime_secs,
            self.stopping,
            services.join(",")
        )
    }

    /// The table `BIN status` prints.
    pub(crate) fn text(&self) -> String {
        let mut out = format!(
            "{} master pid {}, up {} s{}\n",
            self.binary,
            self.pid,
            self.uptime_secs,
            if self.stopping { ", stopping" } else { "" }
        );
        let header = [
            "service",
            "processes",
            "idle",
            "clients",
            "slots",
            "accepted",
            "dropped",
            "respawns",
            "throttled",
        ];
        let mut rows: Vec<[String; 9]> = vec![header.map(String::from)];
        for s in &self.services {
            let c = &s.counters;
            rows.push([
                s.name.to_string(),
                format!("{}/{}", s.processes, s.process_limit),
                s.idle.to_string(),
                s.clients.to_string(),
                s.client_slots.to_string(),
                c.accepted.to_string(),
                c.dropped.to_string(),
                c.respawns.to_string(),
                if s.throttled {
                    format!("{:.1} s", s.throttle_secs)
                } else {
                    "no".into()
                },
            ]);
        }
        let widths: Vec<usize> = (0..9)
            .map(|k| rows.iter().map(|r| r[k].chars().count()).max().unwrap_or(0))
            .collect();
        for r in &rows {
            let cells: Vec<String> = r
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect();
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
        }
        for s in &self.services {
            for l in &s.listeners {
                let q = |v: Option<u32>| v.map_or_else(|| "?".into(), |n| n.to_string());
                out.push_str(&format!(
                    "  {} listener {} {}: queue {}/{}\n",
                    s.name,
                    l.name,
                    l.address,
                    q(l.queued),
                    q(l.backlog)
                ));
            }
            if let Some((pid, what, at)) = &s.counters.last_crash {
                let ago = SystemTime::now()
                    .duration_since(*at)
                    .map_or(0, |d| d.as_secs());
                out.push_str(&format!(
                    "  {} last crash: child {pid} {what} ({ago} s ago)\n",
                    s.name
                ));
            }
        }
        out
    }

    /// OpenMetrics text exposition (`application/openmetrics-text;
    /// version=1.0.0`), ending in `# EOF`.
    pub(crate) fn openmetrics(&self) -> String {
        type Get = fn(&ServiceStatus) -> f64;
        let families: [(&str, &str, &str, Get); 10] = [
            (
                "svcc_processes",
                "gauge",
                "Worker processes of the service.",
                |s| f64::from(s.processes),
            ),
            (
                "svcc_processes_idle",
                "gauge",
                "Workers with no client.",
                |s| f64::from(s.idle),
            ),
            (
                "svcc_process_limit",
                "gauge",
                "The service's process_limit.",
                |s| f64::from(s.process_limit),
            ),
            ("svcc_clients", "gauge", "Clients being served.", |s| {
                s.clients as f64
            }),
            (
                "svcc_client_slots",
                "gauge",
                "Client slots of the running workers.",
                |s| s.client_slots as f64,
            ),
            (
                "svcc_connections_accepted",
                "counter",
                "Connections the workers accepted.",
                |s| s.counters.accepted as f64,
            ),
            (
                "svcc_connections_dropped",
                "counter",
                "Queued connections closed at the limit.",
                |s| s.counters.dropped as f64,
            ),
            ("svcc_forks", "counter", "Workers started.", |s| {
                s.counters.forks as f64
            }),
            (
                "svcc_respawns",
                "counter",
                "Workers that died abnormally and were replaced.",
                |s| s.counters.respawns as f64,
            ),
            (
                "svcc_throttled",
                "gauge",
                "1 while the service is throttled after failures.",
                |s| f64::from(u8::from(s.throttled)),
            ),
        ];
        let mut out = String::new();
        for (name, kind, help, get) in families {
            out.push_str(&format!("# TYPE {name} {kind}\n# HELP {name} {help}\n"));
            let suffix = if kind == "counter" { "_total" } else { "" };
            for s in &self.services {
                out.push_str(&format!(
                    "{name}{suffix}{{service=\"{}\"}} {}\n",
                    label(s.name),
                    get(s)
                ));
            }
        }
        for (name, help, pick) in [
            (
                "svcc_listen_queue",
                "Connections waiting in the listener's accept queue.",
                (|l: &ListenerStatus| l.queued) as fn(&ListenerStatus) -> Option<u32>,
            ),
            (
                "svcc_listen_backlog",
                "The listener's accept queue limit.",
                |l: &ListenerStatus| l.backlog,
            ),
        ] {
            out.push_str(&format!("# TYPE {name} gauge\n# HELP {name} {help}\n"));
            for s in &self.services {
                for l in &s.listeners {
                    if let Some(v) = pick(l) {
                        out.push_str(&format!(
                            "{name}{{service=\"{}\",listener=\"{}\",address=\"{}\"}} {v}\n",
                            label(s.name),
                            label(&l.name),
                            label(&l.address)
                        ));
                    }
                }
            }
        }
        out.push_str("# EOF\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap() -> Snapshot {
        Snapshot {
            binary: "mail\"d",
            pid: 42,
            uptime_secs: 7,
            stopping: false,
            services: vec![ServiceStatus {
                name: "imap",
                handler: "echo",
                processes: 2,
                idle: 1,
                process_limit: 4,
                client_limit: 10,
                clients: 3,
                client_slots: 20,
                throttled: false,
                throttle_secs: 0.0,
                counters: super::super::Counters {
                    accepted: 5,
                    ..Default::default()
                },
                listeners: vec![ListenerStatus {
                    name: "imap".into(),
                    address: "127.0.0.1:143".into(),
                    queued: Some(0),
                    backlog: Some(40),
                }],
            }],
        }
    }

    #[test]
    fn openmetrics_ends_in_eof_and_names_counters_total() {
        let m = snap().openmetrics();
        assert!(m.ends_with("# EOF\n"));
        assert!(m.contains("svcc_connections_accepted_total{service=\"imap\"} 5\n"));
        assert!(m.contains(
            "svcc_listen_backlog{service=\"imap\",listener=\"imap\",address=\"127.0.0.1:143\"} 40\n"
        ));
    }

    #[test]
    fn json_escapes_names() {
        let j = snap().json();
        assert!(j.starts_with("{\"binary\":\"mail\\\"d\""), "{j}");
        assert!(j.contains("\"client_slots_free\":17"), "{j}");
    }
}
