//! svcc's runtime: a mio + nix pre-fork master and its workers.
//!
//! It runs services described as plain data ([`spec`]) and never parses
//! config text.
#![deny(missing_docs)]

pub mod spec;
