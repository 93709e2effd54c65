//! Plain, const-constructible descriptions of what the runtime runs.
//!
//! Generated code (from `svcc::main!`) bakes these into `static`s; tests build
//! them by hand. Nothing here parses text: every value is already resolved
//! (Dovecot's defaults applied, `client_limit` capped by `service_count`).

use std::time::Duration;

/// Everything a tailored binary runs: its services plus what it reports about
/// itself (`--print-config`, `--version`, start-up warnings).
#[derive(Debug, Clone, Copy)]
pub struct AppSpec {
    /// The services the master runs, in config order.
    pub services: &'static [ServiceSpec],
    /// Where relative unix listener paths live unless `--base-dir` overrides it.
    pub base_dir: &'static str,
    /// The effective configuration the binary was built from (`--print-config`).
    pub config_text: &'static str,
    /// A short hash of the config files, shown by `--version`.
    pub config_hash: &'static str,
    /// The svcc version that generated this binary.
    pub svcc_version: &'static str,
    /// Warnings the checker found at build time; printed again at start-up.
    pub warnings: &'static [&'static str],
    /// TLS for `ssl = yes` listeners and STARTTLS ([`TlsSpec::NONE`]: none).
    pub tls: TlsSpec,
    /// The unprivileged user the linger drainer runs as when the master is
    /// root (Dovecot's `default_internal_user`); `None` = `nobody`. The
    /// drainer reads bytes from network clients, so it never keeps root:
    /// it takes this user's uid and primary gid and no other group.
    pub internal_user: Option<&'static str>,
    /// `haproxy_trusted_networks`: the peers whose PROXY protocol header a
    /// `haproxy` listener accepts (every other peer there is closed).
    pub haproxy_trusted_networks: &'static [IpNet],
}

pub use svcc_facts::IpNet;

/// Dovecot's global `ssl` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// No TLS: `ssl = yes` listeners are not bound, STARTTLS is refused.
    No,
    /// TLS on `ssl = yes` listeners and by STARTTLS.
    Yes,
    /// As `Yes`, and handlers must not accept plaintext authentication
    /// ([`Conn::ssl_required`](crate::handler::Conn::ssl_required)).
    Required,
}

/// The oldest TLS version offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsVersion {
    /// TLS 1.2 and 1.3.
    Tls12,
    /// TLS 1.3 only.
    Tls13,
}

/// A certificate chosen by a selector: SNI names (`local_name`, `*.`
/// wildcards) or local networks (`local`, `ADDR[/BITS]`).
#[derive(Debug, Clone, Copy)]
pub struct TlsCert {
    /// The names or networks.
    pub selector: &'static [&'static str],
    /// PEM certificate chain file.
    pub cert: &'static str,
    /// PEM private key file.
    pub key: &'static str,
}

/// Dovecot's `ssl_*` settings, resolved at build time. Certificates and
/// keys are file paths, read at start-up and on SIGHUP (never embedded).
#[derive(Debug, Clone, Copy)]
pub struct TlsSpec {
    /// `ssl`.
    pub mode: SslMode,
    /// `ssl_cert` (PEM chain, leaf first); `""` = none.
    pub cert: &'static str,
    /// `ssl_key` (PEM, unencrypted); `""` = none.
    pub key: &'static str,
    /// `ssl_ca`: CAs for client certificates.
    pub ca: Option<&'static str>,
    /// `ssl_verify_client_cert`: ask clients for a certificate (verified
    /// against `ca` when sent; clients without one are still served, as
    /// Dovecot's login processes do).
    pub verify_client_cert: bool,
    /// `ssl_min_protocol`.
    pub min_protocol: TlsVersion,
    /// TLS 1.2 suites by rustls name (from `ssl_cipher_list`); empty =
    /// rustls's defaults.
    pub tls12_suites: &'static [&'static str],
    /// TLS 1.3 suites by rustls name (from `ssl_cipher_suites`); empty =
    /// rustls's defaults.
    pub tls13_suites: &'static [&'static str],
    /// Key-exchange groups by rustls name (from `ssl_curve_list`); empty =
    /// rustls's defaults.
    pub groups: &'static [&'static str],
    /// `ssl_prefer_server_ciphers`.
    pub prefer_server_ciphers: bool,
    /// `ssl_options = no_ticket`: no session tickets (so no TLS 1.3
    /// resumption); every handshake is a full one.
    pub no_ticket: bool,
    /// `local_name NAMES { ssl_cert ssl_key }`: chosen by SNI.
    pub names: &'static [TlsCert],
    /// `local NET { ssl_cert ssl_key }`: chosen by the local address.
    pub locals: &'static [TlsCert],
    /// `ssl_key_password`: what decrypts an encrypted (PKCS#8) key.
    pub key_password: KeyPassword,
}

/// `ssl_key_password`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPassword {
    /// None set: keys must be unencrypted.
    None,
    /// The password as the config wrote it (it is then in the binary too).
    Text(&'static str),
    /// `ssl_key_password = <PATH`: the file's first line, read with the keys
    /// at start-up and on SIGHUP.
    File(&'static str),
}

impl TlsSpec {
    /// No TLS at all.
    pub const NONE: TlsSpec = TlsSpec {
        mode: SslMode::No,
        cert: "",
        key: "",
        ca: None,
        verify_client_cert: false,
        min_protocol: TlsVersion::Tls12,
        tls12_suites: &[],
        tls13_suites: &[],
        groups: &[],
        prefer_server_ciphers: false,
        no_ticket: false,
        names: &[],
        locals: &[],
        key_password: KeyPassword::None,
    };

    /// TLS with one certificate and rustls's defaults (tests, hand-written
    /// specs).
    pub const fn with_cert(cert: &'static str, key: &'static str) -> TlsSpec {
        TlsSpec {
            mode: SslMode::Yes,
            cert,
            key,
            ..TlsSpec::NONE
        }
    }
}

/// One service: Dovecot's `service NAME { ... }` with every value resolved.
#[derive(Debug, Clone, Copy)]
pub struct ServiceSpec {
    /// The service name, used in every log line.
    pub name: &'static str,
    /// Listening sockets, bound by the master before any fork.
    pub listeners: &'static [ListenerSpec],
    /// Maximum number of worker processes (effective, never 0).
    pub process_limit: u32,
    /// Connections one worker serves at once (effective: already capped by
    /// `service_count`, never 0).
    pub client_limit: u32,
    /// Connections a worker serves in total before it exits; 0 = unlimited.
    pub service_count: u32,
    /// Idle workers kept ready.
    pub process_min_avail: u32,
    /// Idle workers above `process_min_avail` exit after this long; `None` = never.
    pub idle_kill: Option<Duration>,
    /// `RLIMIT_AS` of a worker in bytes; 0 = no limit.
    pub vsz_limit: u64,
    /// User the worker runs as (only applied when the master is root).
    pub user: Option<&'static str>,
    /// Group the worker runs as (default: the user's primary group).
    pub group: Option<&'static str>,
    /// Directory the worker chroots into before serving.
    pub chroot: Option<&'static str>,
    /// What serves each connection.
    pub handler: HandlerSpec,
    /// Timeouts applied to each connection.
    pub timeouts: Timeouts,
    /// The service's `settings { }` section, for its handler
    /// ([`crate::settings::WithSettings`]); [`SettingsSpec::NONE`] without one.
    pub settings: SettingsSpec,
}

pub use crate::settings::SettingsSpec;

/// Per-connection timeouts and limits the runtime applies. Each is a
/// setting of the service (Dovecot-style name in brackets, with its
/// default); [`Timeouts::DEFAULT`] holds the defaults.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// `client_idle_timeout` (60 s, as nginx's `keepalive_timeout`/
    /// `client_body_timeout`): a client that sends nothing for this long is
    /// closed (an event handler may answer first in
    /// [`EventHandler::timeout`](crate::handler::EventHandler::timeout)).
    pub idle_client: Duration,
    /// `client_request_timeout` (60 s, as nginx's `client_header_timeout`):
    /// the whole first request must arrive within this long after the
    /// accept, however often the client sends a byte. Applies to handlers
    /// with [`EventHandler::FIRST_REQUEST_DEADLINE`](crate::handler::EventHandler::FIRST_REQUEST_DEADLINE)
    /// (the built-in `http`), until they call
    /// [`Conn::request_done`](crate::handler::Conn::request_done) or
    /// [`Conn::set_established`](crate::handler::Conn::set_established).
    pub first_request: Duration,
    /// `linger_read_timeout` (2 s): lingering close, longest wait for one read
    /// while draining.
    pub linger_read: Duration,
    /// `linger_timeout` (30 s): lingering close, longest total drain time.
    pub linger_total: Duration,
    /// `linger_max_bytes` (1 MiB): lingering close, most bytes drained before
    /// giving up.
    pub linger_bytes: u64,
}

impl Timeouts {
    /// svcc's defaults: 60 s idle clients, 60 s for the first request, 2 s
    /// per lingering read, 30 s and 1 MiB in total.
    pub const DEFAULT: Timeouts = Timeouts {
        idle_client: Duration::from_secs(60),
        first_request: Duration::from_secs(60),
        linger_read: Duration::from_secs(2),
        linger_total: Duration::from_secs(30),
        linger_bytes: 1 << 20,
    };
}

/// A listening socket.
#[derive(Debug, Clone, Copy)]
pub enum ListenerSpec {
    /// `inet_listener NAME { address = ...; port = ... }`.
    Inet {
        /// The listener's name (`imap`, `imaps`, ...).
        name: &'static str,
        /// Addresses to bind (`*` = all IPv4, `::` = all IPv6).
        addresses: &'static [&'static str],
        /// TCP port; 0 = an ephemeral port (tests), reported in the log.
        port: u16,
        /// `ssl = yes`: TLS from the first byte ([`AppSpec::tls`]).
        ssl: bool,
        /// `haproxy = yes`: every connection starts with a PROXY protocol
        /// header (v1 or v2) from a peer in
        /// [`AppSpec::haproxy_trusted_networks`] (before any TLS).
        haproxy: bool,
    },
    /// `unix_listener PATH { mode user group }`.
    Unix {
        /// Socket path; relative paths live under the base dir.
        path: &'static str,
        /// Permission bits applied to the socket file.
        mode: u32,
        /// Owner (only applied when running as root).
        user: Option<&'static str>,
        /// Group (only applied when running as root).
        group: Option<&'static str>,
    },
}

/// How a service's connections are served: a handler type, chosen at compile
/// time.
///
/// Build it with [`HandlerSpec::event`] or [`HandlerSpec::blocking`]; both
/// are `const`, so generated code writes
/// `handler: HandlerSpec::event::<svcc::handlers::Echo>("echo")` inside a
/// `static`. The worker's entry point is a monomorphized function pointer:
/// nothing is looked up by name at run time.
#[derive(Clone, Copy)]
pub struct HandlerSpec {
    /// The handler's name (`echo`, `banner`, or a user's), for logs.
    pub name: &'static str,
    blocking: bool,
    master_status: bool,
    entry: crate::worker::Entry,
    check: fn(&SettingsSpec) -> Result<(), crate::settings::SettingsError>,
}

impl HandlerSpec {
    /// An event-driven handler: many clients per process in a mio loop,
    /// built with `Default` (it takes no settings).
    pub const fn event<H: crate::handler::EventHandler + Default>(name: &'static str) -> Self {
        Self::event_built::<H, crate::settings::Plain>(name)
    }

    /// An event-driven handler built from its service's `settings` section
    /// ([`crate::settings::WithSettings`]).
    pub const fn event_configured<
        H: crate::handler::EventHandler + crate::settings::WithSettings,
    >(
        name: &'static str,
    ) -> Self {
        Self::event_built::<H, crate::settings::Configured>(name)
    }

    const fn event_built<H: crate::handler::EventHandler, C: crate::settings::Construct<H>>(
        name: &'static str,
    ) -> Self {
        HandlerSpec {
            name,
            blocking: false,
            master_status: H::MASTER_STATUS,
            entry: crate::worker::event::run::<H, C>,
            check: C::check,
        }
    }

    /// A blocking handler: one client per process (`client_limit` must be 1;
    /// the runtime refuses to start otherwise), built with `Default`.
    pub const fn blocking<H: crate::handler::BlockingHandler + Default>(
        name: &'static str,
    ) -> Self {
        Self::blocking_built::<H, crate::settings::Plain>(name)
    }

    /// A blocking handler built from its service's `settings` section.
    pub const fn blocking_configured<
        H: crate::handler::BlockingHandler + crate::settings::WithSettings,
    >(
        name: &'static str,
    ) -> Self {
        Self::blocking_built::<H, crate::settings::Configured>(name)
    }

    const fn blocking_built<
        H: crate::handler::BlockingHandler,
        C: crate::settings::Construct<H>,
    >(
        name: &'static str,
    ) -> Self {
        HandlerSpec {
            name,
            blocking: true,
            master_status: false,
            entry: crate::worker::blocking::run::<H, C>,
            check: C::check,
        }
    }

    /// Checks a `settings` section against the handler's settings type
    /// (without building the handler).
    pub fn check_settings(&self, s: &SettingsSpec) -> Result<(), crate::settings::SettingsError> {
        (self.check)(s)
    }

    /// True for [`HandlerSpec::blocking`] handlers.
    pub const fn is_blocking(&self) -> bool {
        self.blocking
    }

    /// Whether its workers get a channel to ask the master for status
    /// ([`EventHandler::MASTER_STATUS`](crate::handler::EventHandler::MASTER_STATUS)).
    pub const fn wants_master_status(&self) -> bool {
        self.master_status
    }

    /// The same handler under another name (for generated code).
    pub const fn named(self, name: &'static str) -> Self {
        HandlerSpec { name, ..self }
    }

    pub(crate) fn entry(&self) -> crate::worker::Entry {
        self.entry
    }
}

/// Support for code generated by `svcc::main!`; not a public API.
///
/// A handler type given to the macro implements either
/// [`EventHandler`](crate::handler::EventHandler) or
/// [`BlockingHandler`](crate::handler::BlockingHandler); the macro cannot see
/// which. [`Handler<K>`](__private::Handler) is implemented for each with a
/// different marker `K`, so `spec::<T, _>()` infers the one that applies and
/// picks the right constructor at compile time; a type that implements
/// neither is one error naming it and both traits.
#[doc(hidden)]
pub mod __private {
    use super::HandlerSpec;
    use crate::handler::{BlockingHandler, EventHandler};
    use crate::settings::WithSettings;

    /// Marker: an [`EventHandler`].
    pub enum Event {}
    /// Marker: a [`BlockingHandler`].
    pub enum Blocking {}
    /// Marker: built with `Default`.
    pub enum Plain {}
    /// Marker: built with [`WithSettings`].
    pub enum Configured {}

    /// A handler type of kind `K`.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not an svcc handler: implement `svcc::runtime::handler::EventHandler` or `svcc::runtime::handler::BlockingHandler`, and `Default` or `svcc::runtime::settings::WithSettings`",
        label = "named as a handler in svcc::main!",
        note = "`EventHandler`: callbacks on readiness, many clients per process; `BlockingHandler`: a blocking `serve` on a stream, one client per process; `Default` builds a handler without settings, `WithSettings` from its service's `settings` section"
    )]
    pub trait Handler<K> {
        /// Its spec (name filled in by the caller).
        const SPEC: HandlerSpec;
    }

    #[diagnostic::do_not_recommend]
    impl<T: EventHandler + Default> Handler<(Event, Plain)> for T {
        const SPEC: HandlerSpec = HandlerSpec::event::<T>("");
    }

    #[diagnostic::do_not_recommend]
    impl<T: EventHandler + WithSettings> Handler<(Event, Configured)> for T {
        const SPEC: HandlerSpec = HandlerSpec::event_configured::<T>("");
    }

    #[diagnostic::do_not_recommend]
    impl<T: BlockingHandler + Default> Handler<(Blocking, Plain)> for T {
        const SPEC: HandlerSpec = HandlerSpec::blocking::<T>("");
    }

    #[diagnostic::do_not_recommend]
    impl<T: BlockingHandler + WithSettings> Handler<(Blocking, Configured)> for T {
        const SPEC: HandlerSpec = HandlerSpec::blocking_configured::<T>("");
    }

    /// The spec of handler type `T`, named `name`.
    pub const fn spec<T: Handler<K>, K>(name: &'static str) -> HandlerSpec {
        T::SPEC.named(name)
    }

    #[cfg(test)]
    mod tests {
        use super::spec;
        use crate::handler::{BlockingHandler, Stream};

        #[derive(Default)]
        struct B;
        impl BlockingHandler for B {
            fn serve(&mut self, _: &mut Stream) -> std::io::Result<()> {
                Ok(())
            }
        }

        const EV: super::HandlerSpec = spec::<crate::handlers::Echo, _>("echo");
        const BL: super::HandlerSpec = spec::<B, _>("b");

        #[test]
        fn the_kind_is_picked_at_compile_time() {
            assert!(!EV.is_blocking());
            assert!(BL.is_blocking());
            assert_eq!(BL.name, "b");
        }
    }
}

impl std::fmt::Debug for HandlerSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandlerSpec")
            .field("name", &self.name)
            .field("blocking", &self.blocking)
            .finish_non_exhaustive()
    }
}

impl ServiceSpec {
    /// The listen backlog ([`svcc_facts::listen_backlog`]).
    pub const fn backlog(&self) -> u32 {
        svcc_facts::listen_backlog(self.client_limit, self.process_limit)
    }
}
