//! The catalogue of diagnostic codes: stable names, default severities and
//! the long explanations behind `svcc explain` and `docs/checks.md`.

use crate::report::Severity;

/// One entry of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Code {
    /// The stable code.
    pub code: &'static str,
    /// Its usual severity.
    pub severity: Severity,
    /// One line.
    pub summary: &'static str,
    /// Why it matters and what to do.
    pub explanation: &'static str,
}

macro_rules! codes {
    ($( $konst:ident = $code:literal, $sev:ident, $summary:literal, $expl:literal; )*) => {
        $(
            #[doc = $summary]
            pub const $konst: &str = $code;
        )*
        /// Every code svcc can report, in catalogue order.
        pub const ALL: &[Code] = &[
            $( Code { code: $code, severity: Severity::$sev, summary: $summary, explanation: $expl }, )*
        ];
    };
}

codes! {
    SYNTAX = "svcc::syntax", Error,
        "A line that is no `key = value`, section header, `}`, `!include`, comment or blank.",
        "Dovecot's config language is line-oriented: every line is a setting (`key = value`), a section header ending in a separate `{`, a lone `}`, an `!include`/`!include_try` directive, a comment or blank. Dovecot stops at the first such line (\"Expecting '{'\", \"Garbage after '{'\"); svcc reports it, recovers at the next line, and goes on.";
    UNCLOSED_SECTION = "svcc::unclosed-section", Error,
        "A `{` never closed before the end of its file.",
        "Every section must end with a `}` in the file where it starts. Dovecot lets a section continue into the next included file, which hides a missing `}` until it reports \"Missing '}'\" at the very end (or silently nests the rest of the config inside the section); svcc is stricter and points at the header.";
    UNEXPECTED_CLOSE = "svcc::unexpected-close", Error,
        "A `}` with no open section.",
        "A `}` must close a section opened earlier in the same file. Dovecot fails with \"Unexpected '}'\". Usually a section header was deleted or a `}` was doubled.";
    INCLUDE_NOT_FOUND = "svcc::include-not-found", Error,
        "`!include` of a path or glob that matches no file (or a file that cannot be read).",
        "`!include PATTERN` is relative to the including file's directory and must match at least one file, even for a plain path: Dovecot refuses to start with \"No matches\". Use `!include_try` for optional files.";
    EMPTY_INCLUDE = "svcc::empty-include", Warning,
        "An `!include_try` that names no file.",
        "Dovecot reads a bare `!include_try` as including nothing and stays quiet. The line was most likely meant to name a file or glob. (A bare `!include` is `svcc::include-not-found`: Dovecot reads it as the config's own directory and includes nothing, or fails with \"No matches\" for a config named without a directory.)";
    INCLUDE_CYCLE = "svcc::include-cycle", Error,
        "A file includes itself, directly or through others.",
        "Dovecot fails with \"Recursive include file\". The diagnostic points at the `!include` that closes the cycle and lists the chain.";
    INVALID_VALUE = "svcc::invalid-value", Error,
        "A value of the wrong type (number, size, time, boolean, octal mode, port, one of a fixed set), or one Dovecot's settings checks refuse (0 where a setting must not be 0).",
        "Dovecot's types are strict: numbers are plain decimals; sizes take B/K/M/G/T (×1024); times need a unit (`60 secs`, `1 min`) unless 0; booleans are `yes` or `no`; modes are octal only with a leading 0 (`666` is decimal!); ports are 0–65535. Dovecot refuses to start on any of these.";
    UNKNOWN_SETTING = "svcc::unknown-setting", Error,
        "A setting or top-level section the config's Dovecot version does not know: inside a `service` or listener block, at the top level, or in a `protocol`, `local`, `remote` or `local_name` filter.",
        "Inside `service`, `unix_listener`, `fifo_listener` and `inet_listener` blocks Dovecot 2.3 allows only its service and listener settings (and svcc's `blocking`); Dovecot 2.4's blocks are filters, where any 2.4 setting may be set. Elsewhere a setting is checked against the whole table of the config's Dovecot version (`docs/settings.md`, from that version's `doveconf`), and its value against the setting's type. Either way Dovecot refuses to start (\"Unknown setting\"). A top-level section is checked against the kinds the version takes (its settings' names; 2.3's `namespace`, `passdb`, `plugin`, ...; 2.4's named filters): Dovecot refuses any other with \"Unknown setting: KIND { KIND\" (2.3) or \"Unknown section name: KIND\" (2.4), inside filters too. Inside 2.3's `namespace`, `mailbox`, `passdb`, `userdb`, `metric` and `event_exporter` sections a setting is checked against that section's own settings, inside 2.4's named filters under the names 2.4 tries (`KEY`, `KIND_KEY`, `KIND_NAME_KEY`; in a passdb or userdb of a driver outside dovecot-core, such as `ldap`, only 2.3's removed `args`, `default_fields` and `override_fields`); other sections are Dovecot's own and not looked into. 2.3's `plugin/KEY = VALUE` form is fine. A setting of a plugin svcc's table lacks can be silenced with `# svcc: disable=unknown-setting`.";
    CONFIG_VERSION = "svcc::config-version", Error,
        "A Dovecot 2.4 config whose first setting is not `dovecot_config_version`, or that setting in a 2.3 config.",
        "Dovecot 2.4 reads a config only when its first setting is `dovecot_config_version` (\"The first setting must be dovecot_config_version\"); it is how svcc tells a 2.4 config from a 2.3 one, too. Dovecot 2.3 knows no such setting. `svcc check --dovecot 2.3|2.4` checks a config as one version whatever it says; `svcc migrate` converts a 2.3 config into 2.4.";
    OBSOLETE_SETTING = "svcc::obsolete-setting", Warning,
        "A setting of Dovecot 1.x or 2.0 that Dovecot 2.3 still reads, rewriting it with a warning.",
        "Dovecot 2.3 converts old settings such as `login_max_processes_count` (now `service imap-login { process_limit }`) or `ssl_cert_file` (now `ssl_cert = <file`) and warns \"Obsolete setting\". svcc reports each with what replaced it and does not apply it in its own checks; Dovecot 2.4 refuses them all.";
    RENAMED_SETTING = "svcc::renamed-setting", Error,
        "A setting spelled as the other Dovecot version spells it (`service_count` in a 2.4 config, `restart_request_count` in a 2.3 one).",
        "Dovecot 2.4 renamed settings svcc models: `service_count` is `restart_request_count`, `idle_kill` is `idle_kill_interval`, an inet_listener's `address` is `listen`, `default_idle_kill` is `default_idle_kill_interval`, `ssl_cert = <FILE` is `ssl_server_cert_file = FILE` (and `ssl_key`, `ssl_ca`, `ssl_dh`, `ssl_alt_*`), `ssl_verify_client_cert` is `ssl_server_request_client_cert`. Each version refuses the other's name (\"Unknown setting\"). svcc applies the value as meant, so the other checks still run, and the diagnostic names the rewrite (`svcc migrate` does all of them).";
    UNDEFINED_VARIABLE = "svcc::undefined-variable", Error,
        "`$name` that names no setting set earlier and no setting Dovecot 2.3 knows.",
        "An unquoted `$name` at the start of a value or after a blank expands to that setting's value; `$ENV:NAME` to an environment variable. Dovecot fails with \"Unknown variable\" for any other name. Quote the value to keep a literal `$`.";
    BLOCKING_CLIENT_LIMIT = "svcc::blocking-client-limit", Error,
        "`client_limit > 1` on a blocking service.",
        "A blocking service (one that does disk or other blocking I/O per client, such as imap, pop3, lmtp or an svcc blocking handler) serves one client at a time in each process. With client_limit above 1 the master hands a process more clients than it can serve: while one client's request blocks, every other client in that process stalls. Dovecot does not check this. Set client_limit = 1 and scale with process_limit.";
    MIN_AVAIL_OVER_LIMIT = "svcc::min-avail-over-limit", Error,
        "`process_min_avail > process_limit`.",
        "The master can never keep more processes ready than it may run. Dovecot fails with \"process_min_avail is higher than process_limit\".";
    LISTENER_CONFLICT = "svcc::listener-conflict", Error,
        "Two listeners on the same unix path, or the same address and port (also a Dovecot 2.4 top-level listener with a path or port, which every service gets).",
        "Two listeners cannot own one socket. Dovecot compares the literal strings (\"duplicate listener\") and otherwise fails only at bind time; svcc also sees `*` against an IPv4 address and `::` against an IPv6 address on the same port.";
    BACKLOG_OVER_SOMAXCONN = "svcc::backlog-over-somaxconn", Warning,
        "The listen backlog (client_limit × process_limit) exceeds net.core.somaxconn.",
        "Dovecot sizes each listen queue as client_limit × process_limit (after the service_count cap), but the kernel silently caps it at net.core.somaxconn. A burst larger than the real queue is refused: unix-socket clients get EAGAIN (\"Resource temporarily unavailable\"), TCP clients retry or time out. Raise the sysctl (`sysctl -w net.core.somaxconn=N`, persist it in /etc/sysctl.d) or lower the limits. Reported as advice when both factors are Dovecot's built-in defaults, so a stock config stays quiet.";
    NOFILE_BELOW_CLIENT_LIMIT = "svcc::nofile-below-client-limit", Warning,
        "RLIMIT_NOFILE is below what one process of the service needs.",
        "Each client connection is a file descriptor, and a process also holds its listeners, the status pipe, logging and a few more. With `ulimit -n` below client_limit plus those, accept() fails with EMFILE under load. Raise the limit (LimitNOFILE= in the systemd unit, or ulimit -n) or lower client_limit.";
    CLIENT_LIMIT_CAPPED = "svcc::client-limit-capped", Warning,
        "`service_count > 0` and `client_limit` set above it in the same block.",
        "A process exits after service_count connections, so it can never hold more than service_count clients at once: Dovecot silently caps client_limit to service_count. The client_limit you set has no effect, and backlog and capacity planning based on it are wrong.";
    PROCESS_LIMIT_MUST_BE_1 = "svcc::process-limit-must-be-1", Error,
        "A service that must run as one process has `process_limit` other than 1.",
        "auth, anvil, log, director, indexer, ipc, old-stats and replicator keep global state in one process. Dovecot fails with \"process_limit must be 1\".";
    VSZ_LIMIT_TOO_LOW = "svcc::vsz-limit-too-low", Error,
        "`vsz_limit` is not 0 but under 1 MiB.",
        "No process can start with less than 1 MiB of address space. Dovecot fails with \"vsz_limit is too low\". Use 0 for no limit.";
    DROP_PRIV_WITH_CHROOT = "svcc::drop-priv-with-chroot", Error,
        "`drop_priv_before_exec = yes` together with `chroot`.",
        "The executable cannot be found after privileges are dropped inside a chroot. Dovecot fails with \"drop_priv_before_exec=yes can't be used with chroot\".";
    UNKNOWN_SERVICE_TYPE = "svcc::unknown-service-type", Error,
        "A service `type` Dovecot does not know.",
        "type is empty or one of log, config, anvil, login, startup, worker. Dovecot fails with \"Unknown service type\".";
    UNKNOWN_PROTOCOL = "svcc::unknown-protocol", Error,
        "`protocols` names a protocol no service provides.",
        "Each protocol in `protocols` enables the services whose `protocol` setting names it. Dovecot fails with \"protocols: Unknown protocol\" when none does (often a missing package such as dovecot-imapd).";
    EMPTY_LISTENER_PATH = "svcc::empty-listener-path", Error,
        "A unix or fifo listener with an empty path.",
        "Dovecot fails with \"unix_listener: path must not be empty\".";
    BASE_DIR_PREFIX = "svcc::base-dir-prefix", Warning,
        "A unix listener path that repeats base_dir.",
        "Relative listener paths already live under base_dir. Dovecot warns \"You should remove base_dir prefix from unix_listener\"; write the path relative to base_dir.";
    AUTH_CLIENT_LIMIT = "svcc::auth-client-limit", Warning,
        "auth's client_limit is lower than required under maximum load.",
        "Every process of a protocol service (login services, and services whose service_count is not 1) may hold a connection to auth. When their process_limits add up to more than auth's client_limit, logins fail under load. Dovecot warns \"service auth { client_limit } is lower than required under max. load\".";
    ANVIL_CLIENT_LIMIT = "svcc::anvil-client-limit", Warning,
        "anvil's client_limit is lower than required under maximum load.",
        "Every login process and auth hold a connection to anvil. Dovecot warns \"service anvil { client_limit } is lower than required under max. load\".";
    LISTEN_EMPTY = "svcc::listen-empty", Error,
        "`listen` is set to nothing (Dovecot 2.3).",
        "Dovecot 2.3 fails with \"listen can't be set empty\"; to listen nowhere, disable the inet listeners (port = 0) instead.";
    UID_RANGE = "svcc::uid-range", Error,
        "`first_valid_uid` above `last_valid_uid` (or the same for gids).",
        "No user could log in. Dovecot fails with \"first_valid_uid can't be larger than last_valid_uid\".";
    MISSING_NAME = "svcc::missing-name", Error,
        "A service or listener block without a name or path, or a Dovecot 2.4 named filter that needs a name without one.",
        "Dovecot fails with \"Service #N is missing name\", \"path must not be empty\" or (2.4) \"KIND { } is missing section name\".";
    MISSING_SETTING = "svcc::missing-setting", Error,
        "A setting Dovecot requires with another, or in a section: a `passdb` or `userdb` without `driver` (2.3), a `metric` without `filter`, and at the top level (not yet inside filters) `pop3_delete_type = flag` without `pop3_deleted_flag`, `mail_nfs_index = yes` without `mmap_disable = yes` and `mail_fsync = always`, `auth_policy_server_url` without `auth_policy_hash_nonce`, `ssl_verify_client_cert` without `ssl_ca` (2.3), and in 2.4 `ssl_server_request_client_cert` without `ssl_server_ca_file`, `auth_allow_cleartext = yes` with `ssl = required`, or `language` blocks none of which has `default = yes`.",
        "Dovecot refuses the config: \"passdb is missing driver\" (2.3), \"metric NAME { filter } is empty - will not match anything\" (2.3) or \"Named filter metric is required to have metric_filter setting, but it is missing\" (2.4). Set it in the section (`driver = pam`, `filter = event=imap_command_finished`).";
    UNKNOWN_USER = "svcc::unknown-user", Error,
        "`default_login_user` or `default_internal_user` names a user this host does not have.",
        "Dovecot looks both users up (`getpwnam`) when it reads the config and refuses to start with \"default_login_user doesn't exist: NAME\". svcc asks this host's user database the same way, so the verdict is this host's: create the user (Debian's dovecot-core creates `dovecot` and `dovenull`), or check the config on the host it will run on.";
    FILE_NOT_FOUND = "svcc::file-not-found", Warning,
        "A `key = <path` file reference to a file that does not exist.",
        "`doveconf -n` does not read `<path` values, so it stays quiet, but the service that reads the setting fails when it starts.";
    DROPPED_CONTINUATION = "svcc::dropped-continuation", Warning,
        "A statement (a setting, a section header, a `}`, an `!include`) continued with `\\` onto a blank or comment-only line, or onto the end of the config, which Dovecot drops.",
        "Dovecot joins a line that ends in `\\` with the next one, but when the next one is blank or only a comment it discards what it was joining: `process_limit = 5\\` followed by a blank line sets nothing, without a word. svcc does not apply it either. Remove the trailing `\\`.";
    BRACE_IN_VALUE = "svcc::brace-in-value", Warning,
        "A `}` at the end of a value (`executable = imap }`), which Dovecot reads as part of the value.",
        "Dovecot reads everything after `=` as the value, so `key = value }` sets `value }` and the section stays open: what follows is read inside it, and a number or boolean fails as one (\"Invalid number 5 }\"). Put the `}` on a line of its own.";
    AMBIGUOUS_COMMENT = "svcc::ambiguous-comment", Warning,
        "A `#` with no blank before it.",
        "Dovecot cuts the line at the first `#` outside quotes, so `key = a#b` sets `a`. It warns \"Ambiguous '#' character in line\"; add a blank before the comment or quote the value.";
    NUL_BYTE = "svcc::nul-byte", Warning,
        "A NUL byte in a config file.",
        "Dovecot reads each line as a C string, so a NUL byte ends the line: what follows it on that line is ignored without a word (`mail_debug = yes<NUL>no` sets `yes`). svcc reads the line the same way and warns. Remove the NUL bytes; they are usually a sign of a corrupted or binary file.";
    ENCODING = "svcc::encoding", Error,
        "A file that is not valid UTF-8.",
        "svcc reads configs as UTF-8; invalid bytes are replaced and reported.";
    INVALID_FILTER = "svcc::invalid-filter", Error,
        "A `protocol`, `local`, `remote` or `local_name` filter nested the wrong way (also with a `service` block, or inside a Dovecot 2.4 named filter), a bad network mask, a 2.4 `local_name` with several names, or an auth setting inside `local`/`remote`.",
        "Filters nest in one order: `local` outside `local_name`/`remote`, those outside `protocol`. Dovecot refuses \"Nested protocol { protocol { .. } } block not allowed\", \"protocol { local { .. } } not allowed (use local { protocol { .. } } instead)\" and \"Invalid network mask\" (at most /32 for IPv4, /128 for IPv6). Dovecot 2.4 also refuses a filter or `service` inside a named filter (\"namespace { local { .. } } not allowed\", \"service { .. } not allowed under namespace { .. }\"), a named filter inside one of its own kind, and `local_name \"a b\"` (\"Multiple names no longer supported\"); both versions refuse the auth process's settings (`auth_*`, `passdb`, `userdb`, `base_dir`, the uid and gid ranges, ...) inside `local`, `remote` and `local_name` (\"Auth settings not supported inside local/remote blocks\").";
    DECIMAL_MODE = "svcc::decimal-mode", Warning,
        "A listener `mode` written without a leading 0, which Dovecot reads as decimal.",
        "Dovecot reads a mode as octal only when it starts with 0: `mode = 666` is decimal 666, i.e. 0o1232 (sticky bit, write for group, nothing for others), never what was meant. Write `mode = 0666`.";
    MODE_IGNORED_BITS = "svcc::mode-ignored-bits", Warning,
        "A listener `mode` with bits beyond the permission bits 0777.",
        "Dovecot creates a unix socket or FIFO under `umask(0777 ^ mode)`, so the setuid, setgid and sticky bits and anything above them never reach the file: `mode = 01660` makes a 0660 socket. svcc's runtime does the same. Write the permission bits alone.";
    FILTERED_SERVICE = "svcc::filtered-service", Warning,
        "An empty filter inside a service block, or an empty `service` block inside a filter, where Dovecot accepts it.",
        "Dovecot's master reads service settings with no filter, so such a block never applies. With nothing in it, it does no harm and Dovecot 2.3 accepts it (2.4 only an empty `protocol` inside a service). With settings or sections in it, or where Dovecot refuses it, it is an error (`svcc::invalid-filter`): Dovecot 2.3 ignores it, or checks it against the built-in service of that name and refuses the config; Dovecot 2.4 refuses a service inside a filter and a `local` or `remote` filter inside a service, and reads the settings in `service x { protocol y { .. } }` as values of the service's `protocol`. Move the settings into the top-level `service` block.";
    MISSPELLED_SECTION = "svcc::misspelled-section", Error,
        "A top-level section whose type is a near miss of `service`.",
        "`servce imap {` or `Service imap {` is no service block: nothing in it is checked, and Dovecot refuses the config with \"Unknown setting: servce { servce\" (2.3) or \"Unknown section name: servce\" (2.4). Write `service NAME {`, in lower case.";
    UNKNOWN_EXECUTABLE = "svcc::unknown-executable", Error,
        "A service's `executable` names no svcc handler (svcc build and svcc::main! only).",
        "A tailored binary serves each service with a handler: a built-in (echo, discard, banner, http, metrics, peer) or a type given to `svcc::main!(..., handlers = { \"name\" => Type })`. The executable of a Dovecot service (imap, pop3, ...) is a Dovecot program svcc cannot run. Fifo listeners are not supported either.";
    HANDLER_SETTING = "svcc::handler-setting", Error,
        "A key or value in a service's `settings { }` section its handler does not take.",
        "A service's `settings { }` section is svcc's own: it configures the service's handler (the banner's `greeting`, the http handler's `max_body`, or what a handler of yours declares with `WithSettings`). A key the handler does not have would be ignored, so it is an error: `svcc check` and `svcc build` check the built-in handlers' keys and values; `svcc::main!` checks a handler of yours at compile time when it lists its keys (`WithSettings::FIELDS`), and the binary checks every value before it forks (and in `--check`), each with the config's location. For a handler svcc does not know, `svcc check` leaves the section alone.";
    NO_SERVICES = "svcc::no-services", Error,
        "The config has no service a tailored binary could run (svcc build and svcc::main! only).",
        "A service runs when it has an `executable` and its `protocol` is empty or listed in `protocols`. A binary built from a config where none does would start, bind nothing and serve nothing.";
    UNSUPPORTED_SETTING = "svcc::unsupported-setting", Error,
        "A setting the tailored binary would not honour (svcc build and svcc::main! only).",
        "Every setting a config accepts must mean what it says in the binary that runs it. Some settings svcc parses (and `svcc check` checks for Dovecot) have no effect in svcc's runtime: `reuse_port`, `type`, `privileged_group`, `extra_groups`, `drop_priv_before_exec`, top-level Dovecot settings and sections that no service reads (mail, auth, TLS settings rustls has no equivalent for, `protocol`/`remote` filters, settings other than `ssl_cert`/`ssl_key` in `local_name`/`local` blocks, ...). Rather than ignore them silently, `svcc build` and `svcc::main!` refuse them, each diagnostic saying what svcc does instead. `svcc check` stays quiet about them: a config checked for Dovecot runs on Dovecot. Global settings another value refers to as `$name` are read through that reference and are fine.";
    SSL_NO_CERT = "svcc::ssl-no-cert", Error,
        "`ssl = yes` on a listener (or STARTTLS) without `ssl_cert`/`ssl_key`.",
        "A TLS listener needs a certificate and its key: `ssl_cert = </path/cert.pem` and `ssl_key = </path/key.pem` (Dovecot's login processes fail every TLS connection with \"there is no certificate\"; svcc's binary refuses to start). Set both, globally or for the `local_name`/`local` block the listener serves, or set `ssl = no` on the listener.";
    SSL_FILE = "svcc::ssl-file", Error,
        "A certificate or key file that cannot be read or holds no PEM certificate or key.",
        "`ssl_cert` must name a PEM file with the certificate chain (leaf first), `ssl_key` a PEM private key (encrypted keys: PKCS#8 with `ssl_key_password`; the legacy `Proc-Type: 4,ENCRYPTED` form is not read). A file svcc cannot read here (permission denied: keys are often root-only) is reported as a warning, since `svcc check` may run as another user or on another host than the server; a file that is absent is `svcc::file-not-found`.";
    SSL_KEY_MISMATCH = "svcc::ssl-key-mismatch", Error,
        "The private key does not belong to the certificate.",
        "The public key in the certificate must be the one of `ssl_key`, or every handshake fails. svcc compares the public keys for RSA keys and for EC keys that carry their public key (as OpenSSL writes them); for other keys the tailored binary checks at start-up (`--check` and when it starts, and again on SIGHUP, keeping the old pair when the new one does not match). Usually the key of a renewed certificate was not deployed with it.";
    SSL_CERT_EXPIRED = "svcc::ssl-cert-expired", Error,
        "A certificate whose validity has ended (or not begun).",
        "Clients refuse an expired certificate. Renew it (and reload the server with SIGHUP: svcc re-reads certificates without refusing a connection).";
    SSL_CERT_EXPIRING = "svcc::ssl-cert-expiring", Warning,
        "A certificate that expires within 30 days.",
        "Renew it before the date in the message; automate renewal and reload with SIGHUP.";
    SSL_NAME_MISMATCH = "svcc::ssl-name-mismatch", Error,
        "A `local_name` certificate that does not cover that name.",
        "Clients asking for the `local_name` by SNI get this certificate and check that it names the host (subjectAltName DNS entries, `*.` wildcards for one label). A certificate that does not cover the name fails verification for every such client.";
    SSL_PORT = "svcc::ssl-port", Warning,
        "A plaintext listener on a TLS-only port (993, 995, 465), or `ssl = yes` on a STARTTLS port (143, 110, 25, 587).",
        "Clients expect implicit TLS on 993 (imaps), 995 (pop3s) and 465 (submissions): a plaintext listener there makes them fail (or, worse, send credentials to whatever answers). On 143, 110, 25 and 587 clients start in plaintext and upgrade with STARTTLS: implicit TLS there is refused by every standard client.";
    SSL_MIN_PROTOCOL = "svcc::ssl-min-protocol", Warning,
        "`ssl_min_protocol` below TLSv1.2.",
        "SSLv3, TLS 1.0 and TLS 1.1 are deprecated (RFC 8996) and broken in ways clients no longer accept. rustls does not offer them at all, so `svcc build` refuses them; for Dovecot, set `ssl_min_protocol = TLSv1.2`.";
    SSL_IGNORED = "svcc::ssl-ignored", Warning,
        "A TLS setting, or part of one, that svcc's rustls cannot honour (svcc build and svcc::main! only).",
        "rustls implements only modern TLS: ECDHE key exchange with AES-GCM or ChaCha20-Poly1305. OpenSSL's cipher-list selectors (`ALL:!LOW`, `HIGH`, `@STRENGTH`) and names of ciphers rustls does not have are ignored (rustls's defaults are a subset of any sensible list); `ssl_dh` is not needed since there is no finite-field DH. The warning names what is ignored.";
    HAPROXY_UNTRUSTED = "svcc::haproxy-no-trusted-networks", Warning,
        "`haproxy = yes` on a listener while `haproxy_trusted_networks` is empty.",
        "A `haproxy = yes` listener expects every connection to start with a PROXY protocol header (v1 or v2) that tells the server the client's real address. Such a header is accepted only from a peer in `haproxy_trusted_networks` (addresses and networks such as `10.0.0.0/8`), because any client could send one and claim any address. With no trusted network, every connection to the listener is closed (Dovecot: \"HAProxy connection from untrusted IP\"). List the load balancers' addresses in `haproxy_trusted_networks`, or remove `haproxy = yes` if clients connect directly.";
    UNUSED_SUPPRESSION = "svcc::unused-suppression", Warning,
        "A `# svcc: disable=` comment that silenced nothing (or names no code).",
        "`# svcc: disable=CODE[,CODE]` at the end of a line, or alone on the line before it, silences those codes on that line; `# svcc: disable-file=CODE` among a file's first comment lines silences them in the file. A suppression whose finding is gone would silently hide the next, different problem on that line, so it is reported: remove it. `--no-suppressions` shows every finding regardless.";
    LIMIT = "svcc::limit", Error,
        "Includes nest too deep, too many files, or a file too large.",
        "svcc bounds the work one config can cause: at most 32 nested includes, 4096 files, and 16 MiB per file.";
}

/// The entry for a code (with or without the `svcc::` prefix).
pub fn lookup(code: &str) -> Option<&'static Code> {
    let want = code.strip_prefix("svcc::").unwrap_or(code);
    ALL.iter()
        .find(|c| c.code.strip_prefix("svcc::") == Some(want))
}

/// The fragment of a code's heading (`` ## `svcc::syntax` ``) in
/// `docs/checks.md` as GitHub and most Markdown renderers make it: the
/// heading's text lower-cased, without punctuation other than `-` and `_`
/// (`svccsyntax`).
pub fn anchor(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// The file name of a code's own page: `svcc-syntax.md`.
pub fn page_name(code: &str) -> String {
    format!("{}.md", code.replace("::", "-"))
}

/// A code's own page: what `svcc explain CODE` prints, as Markdown.
pub fn page(c: &Code) -> String {
    format!(
        "# {} ({})\n\n{}\n\n{}\n",
        c.code,
        c.severity.as_str(),
        c.summary,
        c.explanation
    )
}

/// Where a code's documentation is: the one rule behind SARIF's
/// `helpUri` and the language server's `codeDescription.href`. `base` is
/// either a directory of per-code pages, ending in `/` (each named by
/// [`page_name`]), or the URI of one page that holds them all
/// (`docs/checks.md`), whose heading the fragment ([`anchor`]) names.
pub fn help_uri(base: &str, code: &str) -> String {
    if base.ends_with('/') {
        format!("{base}{}", page_name(code))
    } else {
        format!("{base}#{}", anchor(code))
    }
}

/// `docs/checks.md`, generated from the catalogue.
pub fn markdown() -> String {
    let mut s = String::from(
        "# svcc's checks\n\nGenerated from `compiler/src/check/codes.rs` (a test keeps this file in step). `svcc explain CODE` prints the same text.\n\n| code | severity | when |\n|---|---|---|\n",
    );
    for c in ALL {
        s.push_str(&format!(
            "| `{}` | {} | {} |\n",
            c.code,
            c.severity.as_str(),
            c.summary.replace('|', "\\|")
        ));
    }
    for c in ALL {
        s.push_str(&format!("\n## `{}`\n\n{}\n", c.code, c.explanation));
    }
    s
}
