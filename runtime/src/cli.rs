//! The tailored binary's command line: `OUT [--base-dir DIR] [--print-config]
//! [--check] [--help] [--version]`, hand-parsed.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::master::control::{self, Request};
use crate::master::listen;
use crate::spec::{AppSpec, ListenerSpec};
use crate::{sys, RunOptions};

const USAGE: &str = "\
usage: {BIN} [--base-dir DIR] [--print-config] [--check] [--help] [--version]
       {BIN} status [--json | --metrics] [--base-dir DIR]

Runs the services this binary was built for, in the foreground; logs go to stderr.
  --base-dir DIR   where relative unix listener paths and the control socket
                   live (default: {BASE})
  --print-config   print the configuration this binary was built from and exit
  --check          check this host (somaxconn, RLIMIT_NOFILE, binding) and exit
  --help           this text
  --version        svcc version and config hash
  status           ask the running master (through DIR/{BIN}.control) for each
                   service's processes, clients, counters and listen queues;
                   --json: one object; --metrics: OpenMetrics text (also --status)
Signals: SIGTERM/SIGINT finish open connections and exit; SIGHUP replaces all
workers; SIGUSR2 starts the binary on disk as a new master on the same sockets
(zero-downtime upgrade): once it is ready, this one stops accepting, drains and exits.
";

/// The whole CLI of a tailored binary: parses `std::env::args`, then runs
/// the master (see [`main_with_args`]).
pub fn main(app: &'static AppSpec) -> ExitCode {
    main_with_args(app, std::env::args_os().skip(1))
}

/// The running binary's file name (`argv[0]`'s last component): what its
/// log lines, usage text and process titles call it.
pub fn binary_name() -> &'static str {
    // Read once: the process title later overwrites the argument strings.
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| {
        std::env::args_os()
            .next()
            .and_then(|a| {
                Path::new(&a)
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
            })
            .unwrap_or_else(|| "svcc-app".into())
    })
}

/// The command line this process started with: the executable's path on
/// disk and the arguments (`argv[0]` first), for SIGUSR2's upgrade, which
/// starts the binary at that path again. Read once, before the process
/// title overwrites the argument strings.
pub(crate) fn start_command() -> &'static (PathBuf, Vec<OsString>) {
    static CMD: std::sync::OnceLock<(PathBuf, Vec<OsString>)> = std::sync::OnceLock::new();
    CMD.get_or_init(|| {
        let args: Vec<OsString> = std::env::args_os().collect();
        let exe = std::env::current_exe()
            .ok()
            .filter(|p| !p.to_string_lossy().ends_with(" (deleted)"))
            .or_else(|| args.first().map(PathBuf::from))
            .unwrap_or_default();
        (exe, args)
    })
}

/// [`main`] with explicit arguments (without the program name).
///
/// Exit status: 0 after a clean shutdown or a successful `--check`,
/// `--print-config`, `--help`, `--version`; 1 when start-up or `--check`
/// fails; 2 on a usage error.
pub fn main_with_args<I>(app: &'static AppSpec, args: I) -> ExitCode
where
    I: IntoIterator<Item = OsString>,
{
    let bin = binary_name();
    let usage = || USAGE.replace("{BIN}", bin).replace("{BASE}", app.base_dir);
    let mut opts = RunOptions::from_env();
    let mut check = false;
    let mut status: Option<Request> = None;
    let mut args = args.into_iter().peekable();
    if args.peek().is_some_and(|a| a == "status") {
        args.next();
        status = Some(Request::Text);
    }
    while let Some(a) = args.next() {
        let s = a.to_string_lossy();
        match s.as_ref() {
            "--help" | "-h" => {
                print!("{}", usage());
                return ExitCode::SUCCESS;
            }
            "--version" | "-V" => {
                println!(
                    "{bin} (svcc {}, runtime {}) config {}",
                    app.svcc_version,
                    env!("CARGO_PKG_VERSION"),
                    app.config_hash
                );
                return ExitCode::SUCCESS;
            }
            "--print-config" => {
                // A reader that stops early (`| head`, `| grep -q`) is not an
                // error: write without panicking on EPIPE.
                use std::io::Write;
                let mut out = std::io::stdout().lock();
                let mut text = app.config_text.to_string();
                if !text.ends_with('\n') && !text.is_empty() {
                    text.push('\n');
                }
                return match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
                    Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                        eprintln!("{bin}: cannot write the config: {e}");
                        ExitCode::from(1)
                    }
                    _ => ExitCode::SUCCESS,
                };
            }
            "--check" => check = true,
            "--status" => status = Some(status.unwrap_or(Request::Text)),
            "--json" | "--metrics" if status.is_some() => {
                status = Some(if s == "--json" {
                    Request::Json
                } else {
                    Request::Metrics
                })
            }
            "--base-dir" => match args.next() {
                Some(d) => opts.base_dir = Some(PathBuf::from(d)),
                None => return usage_error(bin, "--base-dir needs a directory"),
            },
            other => {
                if let Some(d) = other.strip_prefix("--base-dir=") {
                    opts.base_dir = Some(PathBuf::from(d));
                } else {
                    return usage_error(bin, &format!("unknown argument: {other}"));
                }
            }
        }
    }
    if let Some(req) = status {
        let base = opts
            .base_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(app.base_dir));
        return status_command(bin, &control::path(&base, bin), req);
    }
    if check {
        return if host_check(app, &opts) {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        };
    }
    match crate::run(app, &opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            crate::log::line(format_args!("master"), format_args!("fatal: {e}"));
            ExitCode::from(1)
        }
    }
}

/// `status`: prints the running master's answer; 1 when no master answers.
fn status_command(bin: &str, path: &Path, req: Request) -> ExitCode {
    use std::io::Write;
    match control::query(path, req) {
        Ok(text) if text.starts_with("error:") => {
            eprint!("{bin}: {text}");
            ExitCode::from(1)
        }
        Ok(text) => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => ExitCode::from(1),
                _ => ExitCode::SUCCESS,
            }
        }
        Err(e) => {
            eprintln!(
                "{bin}: cannot reach the master through {} ({e}); is it running, with this \
                 --base-dir?",
                path.display()
            );
            ExitCode::from(1)
        }
    }
}

fn usage_error(bin: &str, msg: &str) -> ExitCode {
    eprintln!("{bin}: {msg}\nTry '{bin} --help'.");
    ExitCode::from(2)
}

/// `--check`: prints one line per finding; false when any is an error.
fn host_check(app: &AppSpec, opts: &RunOptions) -> bool {
    let mut errors = 0;
    let mut warnings = 0;
    let base_dir = opts
        .base_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(app.base_dir));
    let somax = svcc_facts::read_somaxconn();
    let (soft, hard) = sys::proc::nofile().unwrap_or((0, 0));
    // TLS: every certificate and key readable, parsed, and each key the
    // one of its certificate (what `svcc check` cannot decide without
    // crypto is decided here).
    let any_ssl = app.services.iter().any(|s| {
        s.listeners
            .iter()
            .any(|l| matches!(l, ListenerSpec::Inet { ssl: true, .. }))
    });
    if crate::tls::Contexts::wanted(&app.tls, any_ssl) {
        match crate::tls::Contexts::load(&app.tls) {
            Ok(_) => println!("ok: TLS: certificates and keys load and match"),
            Err(e) => {
                errors += 1;
                println!("error: TLS: {e}");
            }
        }
    }
    for s in app.services {
        let name = s.name;
        if !svcc_facts::client_limit_fits(s.handler.is_blocking(), s.client_limit) {
            errors += 1;
            println!(
                "error: service({name}): blocking handler {} needs client_limit = 1 (is {})",
                s.handler.name, s.client_limit
            );
        }
        match s.handler.check_settings(&s.settings) {
            Ok(()) if s.settings.present => {
                println!("ok: service({name}): handler {} settings", s.handler.name)
            }
            Ok(()) => {}
            Err(e) => {
                errors += 1;
                println!("error: service({name}): handler {}: {e}", s.handler.name);
            }
        }
        let backlog = s.backlog();
        match somax {
            Some(max) if backlog > max => {
                warnings += 1;
                println!(
                    "warning: service({name}): listen backlog {backlog} (client_limit {} x \
                     process_limit {}) exceeds net.core.somaxconn {max}; raise it with: \
                     sysctl -w net.core.somaxconn={backlog}",
                    s.client_limit, s.process_limit
                );
            }
            Some(max) => println!("ok: service({name}): backlog {backlog} <= somaxconn {max}"),
            None => {
                warnings += 1;
                println!("warning: service({name}): cannot read /proc/sys/net/core/somaxconn");
            }
        }
        let need = svcc_facts::fds_needed(s.client_limit, s.listeners.len());
        if hard < need {
            errors += 1;
            println!(
                "error: service({name}): RLIMIT_NOFILE hard limit {hard} is below client_limit {} \
                 + own descriptors ({need}); raise it (LimitNOFILE= or limits.conf)",
                s.client_limit
            );
        } else {
            println!(
                "ok: service({name}): RLIMIT_NOFILE {soft} (hard {hard}; raised at start) covers {need}"
            );
        }
        for l in s.listeners {
            match check_listener(l, &base_dir, backlog) {
                Ok(msg) => println!("ok: service({name}): {msg}"),
                Err(msg) => {
                    errors += 1;
                    println!("error: service({name}): {msg}");
                }
            }
        }
    }
    println!("check: {errors} error(s), {warnings} warning(s)");
    errors == 0
}

fn check_listener(l: &ListenerSpec, base_dir: &Path, backlog: u32) -> Result<String, String> {
    match *l {
        ListenerSpec::Inet {
            addresses, port, ..
        } => {
            let mut ok = Vec::new();
            for addr in listen::inet_addrs(addresses, port)? {
                let b = listen::bind_inet(addr, backlog)?;
                ok.push(format!("{addr}"));
                drop(b);
            }
            Ok(format!("can bind {}", ok.join(", ")))
        }
        ListenerSpec::Unix { path, mode, .. } => {
            let p = listen::unix_path(base_dir, path);
            match listen::probe_unix(&p) {
                listen::PathState::Live => Err(format!(
                    "Socket already exists: {} (something answers on it)",
                    p.display()
                )),
                listen::PathState::NotSocket => {
                    Err(format!("{} exists and is not a socket", p.display()))
                }
                listen::PathState::Unknown(e) => Err(format!(
                    "cannot tell whether {} is in use ({e})",
                    p.display()
                )),
                listen::PathState::Stale => {
                    Ok(format!("stale socket {} would be replaced", p.display()))
                }
                listen::PathState::Free => {
                    let dir = p.parent().unwrap_or(Path::new("/"));
                    if !dir.exists() {
                        return Ok(format!("{} would be created", dir.display()));
                    }
                    let b = listen::bind_unix(&p, mode, None, backlog)?;
                    drop(b);
                    let _ = std::fs::remove_file(&p);
                    Ok(format!("can bind {}", p.display()))
                }
            }
        }
    }
}
