//! `svcc unit`: systemd units for the binary built from a config — one
//! `.service` (`Type=notify-reload`, `LimitNOFILE=` from the largest
//! `client_limit`, `KillMode=mixed`, hardening that fits) and one `.socket`
//! per listener (systemd names every descriptor of a socket unit alike, and
//! the runtime matches inherited sockets by listener name), each with
//! `FileDescriptorName=` and `Backlog=` from `client_limit × process_limit`.

use crate::codegen::runnable;
use crate::model::{ListenerKind, Model};
use std::fmt::Write;

/// One unit file: its name and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// `NAME.service`, `NAME-LISTENER.socket`.
    pub file: String,
    /// The unit's text.
    pub text: String,
}

/// A name systemd accepts in a unit name.
fn unit_word(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// `ListenStream=` for one inet address (`*` and `::` as systemd writes
/// them).
fn listen_stream(addr: &str, port: u16) -> (String, bool) {
    match addr.trim() {
        "*" => (format!("0.0.0.0:{port}"), false),
        "::" | "[::]" => (format!("[::]:{port}"), true),
        a if a.contains(':') && !a.starts_with('[') => (format!("[{a}]:{port}"), false),
        a => (format!("{a}:{port}"), false),
    }
}

/// The units for the binary `name` installed at `exec`.
pub fn units(model: &Model, name: &str, exec: &str) -> Vec<Unit> {
    let g = &model.globals;
    let mut sockets = Vec::new();
    let mut nofile = 0u64;
    let mut root = false;
    for svc in runnable(model) {
        let cl = svc.eff_client_limit(g);
        let pl = svc.eff_process_limit(g).value;
        let backlog = svcc_facts::listen_backlog(cl, pl);
        let listeners: Vec<_> = svc
            .listeners
            .iter()
            .filter(|l| l.is_bound(&model.tls))
            .collect();
        nofile = nofile.max(svcc_facts::fds_needed(cl, listeners.len()));
        root |= !svc.user.value.is_empty() || !svc.chroot.value.is_empty();
        for l in listeners {
            let mut t = String::new();
            let fdname = match l.kind {
                ListenerKind::Inet => l.name.clone(),
                _ => std::path::Path::new(&l.name)
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_else(|| l.name.clone()),
            };
            let file = format!("{}-{}.socket", unit_word(name), unit_word(&fdname));
            let _ = writeln!(
                t,
                "[Unit]\nDescription={name}: {} {} of service {}\nPartOf={}.service\n\n[Socket]",
                l.kind.keyword(),
                l.name,
                svc.name,
                unit_word(name)
            );
            match l.kind {
                ListenerKind::Inet => {
                    let mut v6only = false;
                    for a in l.addresses(g) {
                        let (stream, only) = listen_stream(a, l.port.value);
                        v6only |= only;
                        let _ = writeln!(t, "ListenStream={stream}");
                    }
                    if v6only {
                        let _ = writeln!(t, "BindIPv6Only=ipv6-only");
                    }
                }
                _ => {
                    let path = if l.name.starts_with('/') {
                        l.name.clone()
                    } else {
                        format!("{}/{}", g.base_dir.value.trim_end_matches('/'), l.name)
                    };
                    let _ = writeln!(
                        t,
                        "ListenStream={path}\nSocketMode=0{:o}",
                        l.effective_mode()
                    );
                    if !l.user.value.is_empty() && !l.user.value.starts_with('$') {
                        let _ = writeln!(t, "SocketUser={}", l.user.value);
                    }
                    if !l.group.value.is_empty() && !l.group.value.starts_with('$') {
                        let _ = writeln!(t, "SocketGroup={}", l.group.value);
                    }
                }
            }
            let _ = writeln!(
                t,
                "FileDescriptorName={fdname}\nBacklog={backlog}\n\n[Install]\nWantedBy=sockets.target"
            );
            sockets.push(Unit { file, text: t });
        }
    }
    let base = g.base_dir.value.trim_end_matches('/');
    let dirs = match base.strip_prefix("/run/") {
        // systemd creates (and, for a dynamic user, owns) it.
        Some(rel) => format!("RuntimeDirectory={rel}\nRuntimeDirectoryPreserve=restart\n"),
        None => String::new(),
    };
    let mut t = String::new();
    let socket_names: Vec<&str> = sockets.iter().map(|u| u.file.as_str()).collect();
    let _ = writeln!(
        t,
        "[Unit]\nDescription={name} (svcc tailored server)\nAfter=network.target{}\nRequires={}\n\n[Service]\n# SIGHUP reloads; systemd older than 253 knows no notify-reload: use\n# Type=notify with ExecReload=/bin/kill -HUP $MAINPID there.\nType=notify-reload\n# SIGUSR2 upgrades to the binary on disk without dropping a connection\n# (systemctl kill -s USR2 --kill-whom=main UNIT): the new master tells\n# systemd it is the main process now (MAINPID=), which needs:\nNotifyAccess=all\nExecStart={exec}\nSockets={}\nLimitNOFILE={nofile}\nKillMode=mixed\nTimeoutStopSec=90\n{dirs}NoNewPrivileges=yes\nProtectSystem=strict\nReadWritePaths=-{base}\nProtectHome=yes\nPrivateTmp=yes\nProtectKernelTunables=yes\nProtectKernelModules=yes\nProtectControlGroups=yes\nRestrictNamespaces=yes\nLockPersonality=yes\nRestrictRealtime=yes\nRestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK",
        socket_names.iter().map(|s| format!(" {s}")).collect::<String>(),
        socket_names.join(" "),
        socket_names.join(" "),
    );
    if !root {
        // Nothing needs root: the whole tree runs as a dynamic user.
        let _ = writeln!(t, "DynamicUser=yes");
    }
    let _ = writeln!(t, "\n[Install]\nWantedBy=multi-user.target");
    let mut out = vec![Unit {
        file: format!("{}.service", unit_word(name)),
        text: t,
    }];
    out.extend(sockets);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_socket_per_listener_with_name_and_backlog() {
        let c = crate::check_str(
            "<t>",
            "base_dir = /run/app\nservice echo {\n  executable = echo\n  client_limit = 100\n  process_limit = 4\n  inet_listener echo {\n    address = 127.0.0.1, ::1\n    port = 7007\n  }\n  unix_listener echo.sock {\n    mode = 0660\n  }\n}\n",
            &crate::Options::default(),
        );
        let u = super::units(&c.model, "app", "/usr/local/bin/app");
        assert_eq!(u.len(), 3);
        assert_eq!(u[0].file, "app.service");
        assert!(u[0].text.contains("Type=notify-reload"), "{}", u[0].text);
        assert!(u[0]
            .text
            .contains(&format!("LimitNOFILE={}", 100 + 2 + svcc_facts::OWN_FDS)));
        assert!(u[0]
            .text
            .contains("Sockets=app-echo.socket app-echo.sock.socket"));
        assert!(u[0].text.contains("DynamicUser=yes"));
        assert_eq!(u[1].file, "app-echo.socket");
        assert!(
            u[1].text
                .contains("ListenStream=127.0.0.1:7007\nListenStream=[::1]:7007\n"),
            "{}",
            u[1].text
        );
        assert!(u[1].text.contains("FileDescriptorName=echo\nBacklog=400"));
        assert!(
            u[2].text
                .contains("ListenStream=/run/app/echo.sock\nSocketMode=0660"),
            "{}",
            u[2].text
        );
    }
}
