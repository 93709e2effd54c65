//! Any include pattern: brace expansion stays within its limits and the
//! include expander finishes (a scratch directory with a few files, a
//! subdirectory, a FIFO and a symbolic link loop to find).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;
use svcc_compiler::syntax;

fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("svcc-fuzz-include-{}", std::process::id()));
        let _ = std::fs::create_dir_all(d.join("sub"));
        let _ = std::fs::write(d.join("a.conf"), "a = 1\n");
        let _ = std::fs::write(d.join("b.conf"), "!include_try {a,sub/*}.conf\n");
        let _ = std::fs::write(d.join("sub/c.conf"), "!include ../a.conf\n");
        let _ = std::process::Command::new("mkfifo").arg(d.join("f.conf")).status();
        let _ = std::os::unix::fs::symlink(d.join("l1"), d.join("l2"));
        let _ = std::os::unix::fs::symlink(d.join("l2"), d.join("l1"));
        d
    })
}

fuzz_target!(|data: &[u8]| {
    let pattern = String::from_utf8_lossy(data);
    if let Ok(paths) = syntax::expand_braces(&pattern) {
        assert!(paths.len() <= syntax::MAX_BRACE_RESULTS);
    }
    // Relative patterns only: the scratch directory, not the whole disk.
    let line = pattern.replace(['\n', '/'], "_");
    let top = scratch().join("top.conf");
    for directive in ["!include", "!include_try"] {
        let text = format!("{directive} {line}\n");
        let _ = svcc_compiler::check_str(&top.to_string_lossy(), &text, &Default::default());
    }
});
