//! svcc compiler.
