//! What `svcc::main!` generates, written by hand: `static` specs and a
//! `main` that calls [`svcc_runtime::main`]. The integration tests use it
//! for the tailored binary's CLI (`--help`, `--version`, `--print-config`,
//! `--check`, `--base-dir`).

use std::time::Duration;

use svcc_runtime::handlers::{Banner, Echo};
use svcc_runtime::spec::{
    AppSpec, HandlerSpec, ListenerSpec, ServiceSpec, SettingsSpec, Timeouts, TlsSpec,
};

static ECHO: ServiceSpec = ServiceSpec {
    name: "echo",
    listeners: &[ListenerSpec::Unix {
        path: "echo.sock",
        mode: 0o660,
        user: None,
        group: None,
    }],
    process_limit: 2,
    client_limit: 100,
    service_count: 0,
    process_min_avail: 0,
    idle_kill: Some(Duration::from_secs(60)),
    vsz_limit: 256 << 20,
    user: None,
    group: None,
    chroot: None,
    handler: HandlerSpec::event::<Echo>("echo"),
    timeouts: Timeouts::DEFAULT,
    settings: SettingsSpec::NONE,
};

static BANNER: ServiceSpec = ServiceSpec {
    name: "banner",
    listeners: &[ListenerSpec::Inet {
        name: "banner",
        addresses: &["127.0.0.1"],
        port: 0,
        ssl: false,
        haproxy: false,
    }],
    process_limit: 100,
    client_limit: 1000,
    service_count: 0,
    process_min_avail: 0,
    idle_kill: Some(Duration::from_secs(60)),
    vsz_limit: 0,
    user: None,
    group: None,
    chroot: None,
    handler: HandlerSpec::event_configured::<Banner>("banner"),
    timeouts: Timeouts::DEFAULT,
    settings: SettingsSpec::NONE,
};

static SERVICES: [ServiceSpec; 2] = [ECHO, BANNER];

static APP: AppSpec = AppSpec {
    services: &SERVICES,
    base_dir: "/run/svcc-demo",
    config_text: "service echo {\n  executable = echo\n  unix_listener echo.sock {\n    mode = 0660\n  }\n}\n",
    config_hash: "d3m0c0nf",
    svcc_version: "0.1.0",
    warnings: &["this is the demo binary's build-time warning"],
    tls: TlsSpec::NONE,
    internal_user: None,
    haproxy_trusted_networks: &[],
};

fn main() -> std::process::ExitCode {
    svcc_runtime::main(&APP)
}
