//! Turns the settings tables (`data/*.tsv`) into static data: the rows as
//! `model/table.rs` reads them, so `svcc check` starts with its catalogue
//! in place instead of parsing and indexing ~1,000 rows on every run.

use std::fmt::Write;

#[allow(dead_code)]
#[path = "src/model/table.rs"]
mod table;

fn main() {
    let read = |name: &str| -> &'static str {
        let path = format!("data/{name}");
        println!("cargo:rerun-if-changed={path}");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        Box::leak(text.into_boxed_str())
    };
    println!("cargo:rerun-if-changed=src/model/table.rs");
    let svcc = read("svcc-settings.tsv");
    let mut out = String::new();
    for (version, file) in [("23", "settings-2.3.tsv"), ("24", "settings-2.4.tsv")] {
        let defs = table::read(read(file), svcc);
        // A row's `Debug` is the Rust expression that builds it.
        let _ = writeln!(out, "pub static DEFS_{version}: &[Def] = &[");
        for d in &defs {
            let _ = writeln!(out, "    {d:?},");
        }
        let _ = writeln!(out, "];");
        let order = table::order(&defs);
        let _ = writeln!(out, "pub static ORDER_{version}: &[u16] = &{order:?};");
        if version == "24" {
            let _ = writeln!(out, "pub static RENAMES: &[Rename] = &[");
            for r in table::renames(&defs) {
                let _ = writeln!(out, "    {r:?},");
            }
            let _ = writeln!(out, "];");
        }
    }
    let dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(format!("{dir}/catalogue.rs"), out).expect("OUT_DIR is writable");
}
