//! Embeds the svcc sources a tailored binary is built from into the `svcc`
//! command (feature `cli`), so that an installed `svcc build` works from
//! any directory and after the clone it came from is moved or deleted:
//! `svcc build` unpacks them once into its cache directory and the crate it
//! generates depends on that copy.
//!
//! Only what a generated crate compiles is embedded: the facade, the
//! runtime, the macro and the compiler (the macro's dependency), their
//! manifests and the lock file, with the workspace's member list cut down to
//! those crates.

use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

/// Files and directories (relative to the workspace root) a generated crate
/// needs.
const ROOTS: &[&str] = &[
    "Cargo.toml",
    "Cargo.lock",
    "build.rs",
    "src",
    "compiler/Cargo.toml",
    "compiler/build.rs",
    "compiler/src",
    "compiler/data",
    "facts/Cargo.toml",
    "facts/src",
    "macros/Cargo.toml",
    "macros/src",
    "runtime/Cargo.toml",
    "runtime/src",
];

/// The workspace members of the embedded copy.
const MEMBERS: &str = r#"members = ["compiler", "facts", "macros", "runtime"]"#;

fn walk(dir: &Path, rel: &str, out: &mut Vec<(String, PathBuf)>) {
    let mut entries: Vec<_> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(Result::ok).collect(),
        Err(e) => panic!("cannot read {}: {e}", dir.display()),
    };
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let path = e.path();
        let rel = format!("{rel}/{name}");
        if path.is_dir() {
            walk(&path, &rel, out);
        } else if path.is_file() {
            out.push((rel, path));
        }
    }
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var_os("CARGO_FEATURE_CLI").is_none() {
        return;
    }
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let mut files = Vec::new();
    for r in ROOTS {
        let p = root.join(r);
        println!("cargo:rerun-if-changed={}", p.display());
        if p.is_dir() {
            walk(&p, r, &mut files);
        } else if p.is_file() {
            files.push((r.to_string(), p));
        } else {
            panic!("svcc's build script: {} is missing", p.display());
        }
    }
    let mut hasher = std::hash::DefaultHasher::new();
    let mut table = String::from("&[\n");
    for (rel, path) in &files {
        let mut bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut src = path.clone();
        if rel == "Cargo.toml" {
            // The embedded workspace has only the crates a generated crate
            // builds (no examples).
            let text = String::from_utf8(bytes).expect("Cargo.toml is UTF-8");
            let start = text.find("members = [").expect("a members list");
            let end = start + text[start..].find(']').expect("members list closed") + 1;
            let text = format!("{}{MEMBERS}{}", &text[..start], &text[end..]);
            src = out_dir.join("workspace-Cargo.toml");
            std::fs::write(&src, &text).expect("write the embedded manifest");
            bytes = text.into_bytes();
        }
        rel.hash(&mut hasher);
        bytes.hash(&mut hasher);
        writeln!(
            table,
            "    ({rel:?}, include_bytes!({:?})),",
            src.display().to_string()
        )
        .unwrap();
    }
    table.push(']');
    let code = format!(
        "/// Every embedded file: its path in the workspace and its bytes.\n\
         pub static FILES: &[(&str, &[u8])] = {table};\n\
         /// A digest of every embedded file and its path.\n\
         pub const DIGEST: &str = \"{:016x}\";\n",
        hasher.finish()
    );
    std::fs::write(out_dir.join("sources.rs"), code).expect("write sources.rs");
}
