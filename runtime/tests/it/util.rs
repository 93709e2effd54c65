//! Starting `svcc-testd` as a real process, reading its log, finding its
//! children, and killing exactly the pids it started (also when a test
//! fails: [`Server`]'s `Drop`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use socket2::{Domain, Socket, Type};

#[allow(unused_imports)]
pub use crate::{DEMO, TESTD};

/// Polls `f` every 10 ms until it returns `Some`, for at most `limit`.
pub fn wait_for<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if start.elapsed() >= limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A port that was free a moment ago on `ip`, for a server that binds it
/// itself. The probe socket is bound but never listens: a copy of it, held
/// until `exec` by a process another test is spawning at that moment, must
/// not take (and then reset) a connection meant for the real server.
pub fn free_port(ip: &str) -> u16 {
    let ip: std::net::IpAddr = ip.parse().expect("an IP address");
    let s = socket2::Socket::new(
        socket2::Domain::for_address((ip, 0).into()),
        socket2::Type::STREAM,
        None,
    )
    .unwrap();
    s.set_reuse_address(true).unwrap();
    s.bind(&std::net::SocketAddr::from((ip, 0)).into()).unwrap();
    s.local_addr().unwrap().as_socket().unwrap().port()
}

pub struct Server {
    pub child: Option<Child>,
    pub pid: i32,
    log: Arc<Mutex<String>>,
    exited: Option<ExitStatus>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Starts `svcc-testd ARGS` and waits until the master says it started.
    pub fn start(args: &[&str]) -> Server {
        Self::start_env(args, &[])
    }

    pub fn start_env(args: &[&str], env: &[(&str, &str)]) -> Server {
        Self::start_bin(TESTD, args, env)
    }

    /// Starts any svcc binary (a tailored one too) and waits until its
    /// master says it started.
    pub fn start_bin(bin: &str, args: &[&str], env: &[(&str, &str)]) -> Server {
        let s = Self::spawn(bin, args, env);
        if s.wait_log("master: started", Duration::from_secs(10))
            .is_none()
        {
            panic!("server did not start; log:\n{}", s.log());
        }
        s
    }

    /// Runs `svcc-testd ARGS`, which must refuse to start: waits (5 s at
    /// most) for it to exit and returns its exit code with the server (for
    /// its log).
    pub fn start_failing(args: &[&str]) -> (Option<i32>, Server) {
        let mut srv = Self::spawn(TESTD, args, &[]);
        let st = srv.wait_exit(Duration::from_secs(5)).expect("exits");
        (st.code(), srv)
    }

    /// Starts a binary without waiting for anything.
    pub fn spawn(bin: &str, args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut cmd = Command::new(bin);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn server");
        let pid = child.id() as i32;
        let log = Arc::new(Mutex::new(String::new()));
        let mut stderr = child.stderr.take().unwrap();
        let l2 = log.clone();
        let reader = std::thread::spawn(move || {
            let mut r = BufReader::new(&mut stderr);
            let mut line = String::new();
            while r.read_line(&mut line).unwrap_or(0) > 0 {
                l2.lock().unwrap().push_str(&line);
                line.clear();
            }
        });
        Server {
            child: Some(child),
            pid,
            log,
            exited: None,
            reader: Some(reader),
        }
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    pub fn count_log(&self, needle: &str) -> usize {
        self.log().matches(needle).count()
    }

    /// Waits until the log contains `needle`; returns the whole log then.
    pub fn wait_log(&self, needle: &str, limit: Duration) -> Option<String> {
        wait_for(limit, || {
            let l = self.log();
            l.contains(needle).then_some(l)
        })
    }

    /// Waits until `needle` occurs at least `n` times in the log.
    pub fn wait_log_count(&self, needle: &str, n: usize, limit: Duration) -> Option<String> {
        wait_for(limit, || {
            let l = self.log();
            (l.matches(needle).count() >= n).then_some(l)
        })
    }

    /// The address a service listens on, from `service(NAME): listening on
    /// 127.0.0.1:PORT`.
    pub fn addr(&self, service: &str) -> SocketAddr {
        let key = format!("service({service}): listening on ");
        let log = self.log();
        for line in log.lines() {
            if let Some(rest) = line.split_once(&key).map(|(_, r)| r) {
                let a = rest.split_whitespace().next().unwrap();
                if let Ok(sa) = a.parse() {
                    return sa;
                }
            }
        }
        panic!("no inet listener for {service} in log:\n{log}");
    }

    /// The drainer's pid, from the log.
    pub fn drainer(&self) -> Option<i32> {
        let log = self.log();
        log.lines()
            .filter_map(|l| l.split_once("linger drainer started (pid ").map(|(_, r)| r))
            .filter_map(|r| r.trim_end_matches(')').parse().ok())
            .next_back()
    }

    /// Live children of the master (workers and the drainer).
    pub fn children(&self) -> Vec<i32> {
        children_of(self.pid)
    }

    /// Live worker processes (children minus the drainer).
    pub fn workers(&self) -> Vec<i32> {
        let d = self.drainer();
        self.children()
            .into_iter()
            .filter(|p| Some(*p) != d)
            .collect()
    }

    pub fn signal(&self, sig: i32) {
        // SAFETY-free: libc::kill on our own child's pid.
        unsafe_kill(self.pid, sig);
    }

    pub fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        if let Some(s) = self.exited {
            return Some(s);
        }
        let child = self.child.as_mut()?;
        let r = wait_for(limit, || child.try_wait().ok().flatten());
        self.exited = r;
        if r.is_some() {
            // The log is complete once stderr reached EOF (children, which
            // share it, may outlive the master only briefly).
            if let Some(h) = self.reader.take() {
                let _ = wait_for(Duration::from_secs(5), || h.is_finished().then_some(()));
                if h.is_finished() {
                    let _ = h.join();
                }
            }
        }
        r
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.exited.is_none() {
            if let Some(c) = self.child.as_mut() {
                if c.try_wait().ok().flatten().is_none() {
                    // Kill the master's children first (exactly those pids),
                    // then the master.
                    for p in children_of(self.pid) {
                        unsafe_kill(p, libc::SIGKILL);
                    }
                    let _ = c.kill();
                    let _ = c.wait();
                }
            }
        }
    }
}

pub fn unsafe_kill(pid: i32, sig: i32) {
    // SAFETY: kill(2) on a pid this test started (or its master forked).
    unsafe {
        libc::kill(pid, sig);
    }
}

/// Pids whose parent is `ppid`, from /proc.
pub fn children_of(ppid: i32) -> Vec<i32> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in dir.flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if let Some(st) = proc_stat(pid) {
            if st.ppid == ppid && st.state != 'Z' {
                out.push(pid);
            }
        }
    }
    out.sort();
    out
}

pub struct ProcStat {
    pub state: char,
    pub ppid: i32,
    /// utime + stime in clock ticks.
    pub cpu_ticks: u64,
}

pub fn proc_stat(pid: i32) -> Option<ProcStat> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(ProcStat {
        state: f[0].chars().next()?,
        ppid: f[1].parse().ok()?,
        cpu_ticks: f[11].parse::<u64>().ok()? + f[12].parse::<u64>().ok()?,
    })
}

pub fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// Reads until EOF (or error); returns the bytes and the error, if any.
pub fn read_all(mut s: impl Read) -> (Vec<u8>, Option<std::io::Error>) {
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return (out, None),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return (out, Some(e)),
        }
    }
}

/// Reads one `\n`-terminated line.
pub fn read_line(s: &mut impl Read) -> String {
    let mut out = Vec::new();
    let mut b = [0u8; 1];
    while let Ok(1) = s.read(&mut b) {
        out.push(b[0]);
        if b[0] == b'\n' {
            break;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Connects to a pid-revealing service and returns the serving pid.
pub fn served_pid(addr: SocketAddr) -> i32 {
    let mut s = connect(addr);
    let line = read_line(&mut s);
    parse_pid(&line).unwrap_or_else(|| panic!("no pid in {line:?}"))
}

pub fn parse_pid(line: &str) -> Option<i32> {
    line.strip_prefix("pid=")?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Sends a line to an echo service and checks it comes back.
pub fn echo_roundtrip(s: &mut (impl Read + Write), msg: &[u8]) {
    s.write_all(msg).unwrap();
    let mut got = vec![0u8; msg.len()];
    s.read_exact(&mut got).unwrap();
    assert_eq!(got, msg);
}

pub fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("svcc-it")
        .tempdir()
        .unwrap()
}

/// The lingering-close probe: requests `GET /bytes/N` with `Connection: close`, waits for the first
/// response bytes, then sends pipelined junk the server will never read,
/// and reads to the end. Returns (body bytes received, pattern intact,
/// read error).
pub fn fetch_with_junk(addr: SocketAddr, n: usize) -> (usize, bool, Option<std::io::Error>) {
    let sock = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    sock.set_recv_buffer_size(64 << 10).unwrap();
    sock.connect_timeout(&addr.into(), Duration::from_secs(5))
        .unwrap();
    let mut s: std::net::TcpStream = sock.into();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(
        format!("GET /bytes/{n} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .unwrap();
    let mut first = [0u8; 1];
    s.read_exact(&mut first).unwrap();
    // Unread input pending at the server when it closes.
    let junk = b"GET / HTTP/1.1\r\nHost: t\r\n\r\n".repeat(300);
    s.write_all(&junk).unwrap();
    let (rest, err) = read_all(&mut s);
    let mut all = first.to_vec();
    all.extend_from_slice(&rest);
    let head_end = all
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
        .expect("response head");
    let body = &all[head_end..];
    let intact = body
        .iter()
        .enumerate()
        .all(|(i, c)| *c == b'a' + (i % 26) as u8);
    (body.len(), intact, err)
}
