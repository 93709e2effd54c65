//! Every syscall wrapper and every `unsafe` block of the runtime.
//!
//! The rest of the crate is safe code. Each wrapper turns a failing call into
//! an [`std::io::Error`] in one place and carries a `SAFETY` comment saying
//! why the call is sound.

pub mod io;
pub mod net;
pub mod proc;
pub mod title;
