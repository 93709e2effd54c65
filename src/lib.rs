//! svcc: a Dovecot-style config compiled into a checked, tailored pre-fork server.
//!
//! Depend on this crate alone: it re-exports the runtime ([`runtime`]) and the
//! [`main!`] macro, which reads a config at compile time, checks it, and
//! generates a `main` that runs the configured services on the runtime.
//!
//! This page is the handler guide: how to write the code that serves a
//! connection, what the runtime promises it, and where it runs.
//!
//! # The shape of a program
//!
//! A config names services; each service's `executable` names a handler,
//! either a built-in one ([`runtime::handlers`]: `echo`, `discard`,
//! `banner`, `http`, `peer`) or a type of yours, given to the macro:
//!
//! ```text
//! svcc::main!(config = "svcc.conf", handlers = { "upper" => Upper, "lookup" => Lookup });
//! ```
//!
//! The macro reads the config (relative to `CARGO_MANIFEST_DIR`) and every
//! file it includes, checks it like `svcc check` does, and turns each
//! problem into a compile error that points into the config
//! (`FILE:LINE:COL`). A clean config becomes `static` specs and a `main`
//! that runs them. A handler is a type that implements one of two traits:
//!
//! * [`EventHandler`](runtime::handler::EventHandler): callbacks on a
//!   non-blocking [`Conn`](runtime::handler::Conn) inside the worker's
//!   event loop; one process serves up to `client_limit` clients. For
//!   protocols that wait on the network: login fronts, proxies, servers
//!   whose answers are in memory.
//! * [`BlockingHandler`](runtime::handler::BlockingHandler): one call per
//!   client on a blocking [`Stream`](runtime::handler::Stream)
//!   (`Read + Write`), free to block on disk or locks; the service must
//!   have `client_limit = 1` (concurrency comes from `process_limit`), and
//!   a blocking handler on any other service is a compile error.
//!
//! The handler value is created with `Default`, once per worker process.
//!
//! # An event handler
//!
//! `upper` answers every line with the line in upper case. It keeps the
//! unanswered input per connection, answers only while the connection's
//! write queue has room for a whole answer, and picks up again in
//! `writable` (see [bounded writes](#bounded-writes)):
//!
//! ```no_run
//! use std::io::ErrorKind;
//! use svcc::runtime::handler::{Conn, EventHandler};
//!
//! /// One per worker process.
//! #[derive(Default)]
//! struct Upper;
//!
//! /// The longest line (and so the longest answer).
//! const MAX_LINE: usize = 4096;
//!
//! impl Upper {
//!     /// Answers complete lines while an answer fits; reads when none is left.
//!     fn serve(&mut self, input: &mut Vec<u8>, conn: &mut Conn<'_>) {
//!         let mut buf = [0u8; 4096];
//!         loop {
//!             while let Some(end) = input.iter().position(|&b| b == b'\n') {
//!                 if conn.write_room() < MAX_LINE + 1 {
//!                     return; // `writable` comes once the client has read.
//!                 }
//!                 let line: Vec<u8> = input.drain(..=end).collect();
//!                 // Fits, so it is taken whole; an error means the
//!                 // connection broke, and the runtime ends it.
//!                 let _ = conn.write(&line.to_ascii_uppercase());
//!             }
//!             if input.len() > MAX_LINE {
//!                 let _ = conn.write(b"line too long\n");
//!                 return conn.close();
//!             }
//!             match conn.read(&mut buf) {
//!                 Ok(0) => return conn.close(), // the client is done
//!                 Ok(n) => input.extend_from_slice(&buf[..n]),
//!                 Err(e) if e.kind() == ErrorKind::WouldBlock => return,
//!                 Err(_) => return conn.close(),
//!             }
//!         }
//!     }
//! }
//!
//! impl EventHandler for Upper {
//!     /// Per connection: input not answered yet.
//!     type State = Vec<u8>;
//!
//!     fn open(&mut self, conn: &mut Conn<'_>) -> Vec<u8> {
//!         let hello = format!(
//!             "hello {} on {}\n",
//!             conn.peer_addr().map_or("?".into(), |a| a.to_string()),
//!             conn.listener_name(),
//!         );
//!         let _ = conn.write(hello.as_bytes()); // an empty queue: taken whole
//!         Vec::new()
//!     }
//!
//!     fn readable(&mut self, input: &mut Vec<u8>, conn: &mut Conn<'_>) {
//!         self.serve(input, conn);
//!     }
//!
//!     fn writable(&mut self, input: &mut Vec<u8>, conn: &mut Conn<'_>) {
//!         self.serve(input, conn);
//!     }
//! }
//!
//! svcc::main!(config = "tests/data/guide/upper.conf", handlers = { "upper" => Upper });
//! ```
//!
//! with this config:
//!
//! ```text
//! service upper {
//!   executable = upper
//!   client_limit = 1000
//!   process_limit = 2
//!   inet_listener upper {
//!     address = 127.0.0.1
//!     port = 7110
//!   }
//! }
//! ```
//!
//! The other callbacks have defaults: `timeout` (the client was idle for
//! `client_idle_timeout`) and `shutdown` (the worker is stopping) close the
//! connection, `closed` drops the state. Callbacks must not block: they
//! share the process with every other client of the worker.
//!
//! # A blocking handler
//!
//! `lookup` answers one question per line after "looking it up on disk";
//! it may block as long as it likes, since its process serves nobody else:
//!
//! ```no_run
//! use std::io::{BufRead, BufReader, Write};
//! use svcc::runtime::handler::{BlockingHandler, Stream};
//!
//! #[derive(Default)]
//! struct Lookup;
//!
//! impl BlockingHandler for Lookup {
//!     fn serve(&mut self, stream: &mut Stream) -> std::io::Result<()> {
//!         writeln!(stream, "ready, {} of {}", stream.listener_name(), stream.service_name())?;
//!         // One reader for the whole session: what it buffered past one
//!         // line is the next question.
//!         let mut reader = BufReader::new(stream);
//!         let mut line = String::new();
//!         while reader.read_line(&mut line)? > 0 {
//!             let name = line.trim();
//!             let found = std::path::Path::new("/var/lib/lookup").join(name).exists();
//!             writeln!(reader.get_mut(), "{name}: {found}")?;
//!             line.clear();
//!         }
//!         Ok(()) // the runtime flushes and closes (lingering close)
//!     }
//! }
//!
//! svcc::main!(config = "tests/data/guide/lookup.conf", handlers = { "lookup" => Lookup });
//! ```
//!
//! with `blocking = yes` and `client_limit = 1` in its service:
//!
//! ```text
//! service lookup {
//!   executable = lookup
//!   blocking = yes
//!   client_limit = 1
//!   process_limit = 4
//!   unix_listener lookup.sock {
//!     mode = 0600
//!   }
//! }
//! ```
//!
//! The stream's reads fail with `TimedOut` after `client_idle_timeout`, and
//! with `ConnectionAborted` once the worker is told to stop while it waits
//! for the client. Returning ends the connection either way.
//!
//! # Settings
//!
//! A handler built with `Default` takes no settings. One that implements
//! [`WithSettings`](runtime::settings::WithSettings) instead is built from
//! its service's `settings { }` section, deserialized through serde into
//! the type it names:
//!
//! ```text
//! service kv {
//!   executable = kv
//!   settings {
//!     max_keys = 100
//!   }
//! }
//! ```
//!
//! ```ignore
//! #[derive(serde::Deserialize)]
//! #[serde(deny_unknown_fields)]
//! pub struct KvSettings {
//!     #[serde(default = "KvSettings::default_max_keys")]
//!     max_keys: usize,
//! }
//!
//! impl WithSettings for Kv {
//!     type Settings = KvSettings;
//!     // Listing the keys lets svcc::main! refuse an unknown one at compile
//!     // time, at the key in the config.
//!     const FIELDS: Option<&'static [&'static str]> = Some(&["max_keys"]);
//!     fn new(s: &KvSettings) -> Self {
//!         Kv { store: HashMap::new(), max_keys: s.max_keys }
//!     }
//! }
//! ```
//!
//! A `settings` section uses Dovecot's syntax (why a section, not prefixed
//! keys: it keeps the handler's keys apart from Dovecot's service settings,
//! as Dovecot's own `plugin { }` section does for plugins): values are read
//! as Dovecot reads them (`yes`/`no`, numbers, sizes such as `64k`, lists
//! separated by blanks, an empty value as `None`), nested sections are
//! nested structs or maps. A wrong type, a missing value or an unknown key
//! is reported with the config's `FILE:LINE:COL` by the binary's
//! `--check` and at start-up (before anything is bound or forked, exit 1),
//! and an unknown key at compile time when `FIELDS` lists the keys. `svcc
//! config` and `--print-config` show the section. The built-in `banner`
//! takes `greeting`, `http` takes `max_body`; `svcc check` checks those.
//! A service with a `settings` section whose handler takes none does not
//! compile. `examples/custom-handler` uses it.
//!
//! # Who is connected
//!
//! [`Conn`](runtime::handler::Conn) and [`Stream`](runtime::handler::Stream)
//! both say, for the connection's whole life:
//!
//! * `peer_addr()`: the client's address (`None` on a unix socket);
//! * `local_addr()`: the address it connected to (`None` on a unix socket);
//! * `listener_name()`: the `inet_listener`'s name (`imap`, `imaps`), or a
//!   `unix_listener`'s path as the config wrote it;
//! * `service_name()`: the `service` block's name.
//!
//! They are read once at the accept (the names are the specs' `&'static
//! str`, nothing is allocated per connection), so asking is free.
//!
//! # Bounded writes
//!
//! [`Conn::write`](runtime::handler::Conn::write) never queues without
//! limit. It has the contract of a non-blocking socket, with a queue of
//! [`Conn::write_limit`](runtime::handler::Conn::write_limit) bytes
//! ([`Conn::WRITE_LIMIT`](runtime::handler::Conn::WRITE_LIMIT), 256 KiB,
//! unless `set_write_limit` changed it) in front of the kernel's buffer:
//!
//! * `Ok(n)`: the first `n` bytes are taken (sent at once if nothing was
//!   waiting, the rest queued); `n < data.len()` when the queue filled up.
//! * `Err(WouldBlock)`: the queue is full, nothing was taken.
//! * `Err(BrokenPipe)`: the connection broke; it ends after the callback.
//!
//! A write of at most [`Conn::write_room`](runtime::handler::Conn::write_room)
//! bytes is always taken whole. The runtime calls `readable` only while at
//! most half the bound is queued, and calls `writable` when the queue,
//! after having to wait, drains to half or less. Two patterns follow:
//!
//! * Request/response: answer a request only when `write_room()` covers
//!   the longest answer, else return and continue in `writable` (as
//!   `upper` above). A client that sends requests without reading the
//!   answers then costs the server at most the bound.
//! * Large responses: write what fits, remember how far you got, and
//!   produce the rest in `writable`; the response goes out at the client's
//!   pace, never held whole. `examples/stream` streams any number of
//!   generated bytes this way, and its test holds the worker's resident
//!   size flat while a slow client reads 48 MiB.
//!
//! A [`Stream`](runtime::handler::Stream) needs none of this: its writes
//! block (up to `client_idle_timeout`) until the kernel takes the data.
//!
//! # Panics
//!
//! A panic in a handler, in any callback or in `Default`, ends its worker
//! process: the worker exits with status 70 and the master logs
//! `child PID exited with status 70 (handler panicked)`. Every client that
//! worker held, not only the one being served, sees its connection end:
//! output still in the worker's queue is lost, and the socket is closed
//! without a lingering close, so the client reads EOF, or a reset if it had
//! sent data the worker had not read. Clients waiting in the listen queue
//! are not affected. The master replaces the worker like any other that
//! exited (a panic before the worker reported ready counts as a failed
//! start-up and throttles the service, 2 s doubling to 60 s; so do more
//! than 10 failed exits within a second before the service's first
//! clean one). An event handler holds many clients per
//! process, so return errors rather than panic; a blocking handler's panic
//! costs one client.
//!
//! # What runs where
//!
//! The generated `main` runs the runtime's master; nothing of the handler
//! runs there.
//!
//! * **Master** (the process you start, usually as root): parses the
//!   command line, binds every listener, reads the TLS certificates and
//!   keys, forks the drainer and the workers, and afterwards only watches
//!   them (signals, status reports, reaping, replacing, throttling).
//!   `SIGTERM` drains and exits, `SIGHUP` replaces every worker on the same
//!   sockets. It must be single-threaded when it starts (it forks without
//!   exec), so call nothing that starts a thread before `main`.
//! * **Workers** (one or more per service): a forked copy that changes
//!   user, group and chroot as the service says, then creates the handler
//!   (`H::default()`), accepts clients and runs every callback (or `serve`)
//!   for the life of the process: `service_count` clients in total, until
//!   idle-killed, or until told to stop. Anything the handler keeps in
//!   `self` lives as long as the worker, and is per process, not shared.
//! * **Drainer** (one, unprivileged): finishes the lingering closes of
//!   workers that exit while clients are still sending, so no process
//!   slot is held for them. No handler code runs there.
#![deny(missing_docs)]

pub use svcc_macros::main;
pub use svcc_runtime as runtime;
