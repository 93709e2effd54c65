//! svcc: a Dovecot-style config compiled into a checked, tailored pre-fork server.
//!
//! Depend on this crate alone: it re-exports the runtime ([`runtime`]) and the
//! [`main!`] macro, which reads a config at compile time, checks it, and
//! generates a `main` that runs the configured services on the runtime.
#![deny(missing_docs)]

pub use svcc_macros::main;
pub use svcc_runtime as runtime;
