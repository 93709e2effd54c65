//! No input panics, hangs, or yields a span outside its file; includes are
//! bounded.

use proptest::prelude::*;
use svcc_compiler::{check_str, Options};

const SEED: &str = include_str!("../data/checks/recovery.conf");

fn check_spans(text: &str) {
    let checked = check_str("<fuzz>", text, &Options::default());
    let map = &checked.doc.sources;
    for d in &checked.diagnostics {
        for l in &d.labels {
            let f = map.get(l.span.file);
            assert!(
                l.span.start <= l.span.end && l.span.end as usize <= f.text.len(),
                "{d:?}"
            );
            assert!(
                f.text.is_char_boundary(l.span.start as usize)
                    && f.text.is_char_boundary(l.span.end as usize)
            );
        }
        let _ = svcc_compiler::report::render_human(map, d, Default::default());
        let _ = svcc_compiler::report::render_short(map, d);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_text(s in "[ -~\t\n{}=#\"'\\\\$<!é]{0,400}") {
        check_spans(&s);
    }

    #[test]
    fn mutated_config(pos in 0usize..SEED.len(), len in 0usize..20, ins in "[ -~\n{}\"\\\\]{0,8}") {
        let mut s = SEED.to_string();
        let mut at = pos.min(s.len());
        while !s.is_char_boundary(at) { at -= 1; }
        let mut end = (at + len).min(s.len());
        while !s.is_char_boundary(end) { end -= 1; }
        s.replace_range(at..end, &ins);
        check_spans(&s);
    }
}

#[test]
fn deep_and_large_inputs_are_bounded() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    // A chain of 40 includes.
    for i in 0..40 {
        std::fs::write(
            dir.join(format!("f{i}.conf")),
            format!("k{i} = 1\n!include f{}.conf\n", i + 1),
        )
        .unwrap();
    }
    std::fs::write(dir.join("f40.conf"), "end = 1\n").unwrap();
    let top = dir.join("f0.conf");
    let checked = svcc_compiler::check_path(top.to_str().unwrap(), &Options::default()).unwrap();
    assert!(
        checked.diagnostics.iter().any(|d| d.code == "svcc::limit"),
        "{:?}",
        checked.diagnostics
    );
    // A deeply nested but well-formed file and many sections parse quickly.
    let mut deep = String::new();
    for _ in 0..150_000 {
        deep.push_str("a {\n");
    }
    for _ in 0..150_000 {
        deep.push_str("}\n");
    }
    let checked = check_str("<deep>", &deep, &Options::default());
    let codes: Vec<&str> = checked.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(
        codes,
        ["svcc::limit"],
        "one limit error, no unbalanced braces"
    );
    // Lines of only carriage returns, a BOM, a `{` on its own line.
    check_spans("a = 1\n\r\r\n\r");
    check_spans("\u{feff}service imap {\n}\n");
    check_spans("{\n}\nservice x\n{\n");
    // An unterminated quote and a lone backslash at the end.
    check_spans("a = \"unterminated\nb = x\\");
}

/// Runs a check on another thread and fails (instead of hanging) if it does
/// not finish within `secs`.
fn check_within(secs: u64, name: &str, text: &str) -> svcc_compiler::Checked {
    let (tx, rx) = std::sync::mpsc::channel();
    let (name, owned) = (name.to_string(), text.to_string());
    std::thread::spawn(move || {
        let _ = tx.send(check_str(&name, &owned, &Options::default()));
    });
    rx.recv_timeout(std::time::Duration::from_secs(secs))
        .unwrap_or_else(|_| panic!("checking {text:.80?} did not finish in {secs} s"))
}

fn codes(c: &svcc_compiler::Checked) -> Vec<&'static str> {
    c.diagnostics.iter().map(|d| d.code).collect()
}

fn messages(c: &svcc_compiler::Checked) -> String {
    c.diagnostics
        .iter()
        .map(|d| format!("{}: {}\n", d.code, d.full_message()))
        .collect()
}

#[test]
fn brace_bombs_are_limits() {
    // 2^24 alternatives: counted, refused, not built.
    let c = check_within(
        20,
        "<braces>",
        &format!("!include_try /nonexistent/{}\n", "x{a,b}".repeat(24)),
    );
    assert_eq!(codes(&c), ["svcc::limit"], "{}", messages(&c));
    // 30,000 one-alternative groups once overflowed the stack.
    let c = check_within(
        20,
        "<braces>",
        &format!("!include_try /nonexistent/{}\n", "{a}".repeat(30_000)),
    );
    assert_eq!(codes(&c), ["svcc::limit"]);
    // Nested a million deep once took gigabytes.
    let deep = format!(
        "!include_try /x/{}y{}\n",
        "{".repeat(1_000_000),
        "}".repeat(1_000_000)
    );
    let c = check_within(20, "<braces>", &deep);
    assert_eq!(codes(&c), ["svcc::limit"]);
    // A sane pattern still works.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("a.conf"), "x = 1\n").unwrap();
    std::fs::write(tmp.path().join("b.conf"), "y = 1\n").unwrap();
    let top = tmp.path().join("top.conf");
    let c = check_within(20, top.to_str().unwrap(), "!include {a,b,c}.conf\n");
    assert_eq!(c.doc.sources.files().count(), 3, "{}", messages(&c));
}

#[test]
fn glob_walks_are_bounded() {
    let tmp = tempfile::tempdir().unwrap();
    // 8 × 8 × 8 × 8 directories = 4,680 entries per walk of `*/*/*/*/*`.
    let mut dirs = vec![tmp.path().to_path_buf()];
    for _ in 0..4 {
        let mut next = Vec::new();
        for d in &dirs {
            for i in 0..8 {
                let sub = d.join(format!("d{i}"));
                std::fs::create_dir(&sub).unwrap();
                next.push(sub);
            }
        }
        dirs = next;
    }
    let top = tmp.path().join("top.conf");
    // 30 walks of 4,680 entries each: over the budget of 100,000.
    let text = "!include_try */*/*/*/*.conf\n".repeat(30);
    let c = check_within(60, top.to_str().unwrap(), &text);
    assert_eq!(codes(&c), ["svcc::limit"], "{}", messages(&c));
    assert!(
        messages(&c).contains("directory entries"),
        "{}",
        messages(&c)
    );
    // The whole file system: stops at the budget, with a limit error.
    let c = check_within(60, "<root>", "!include_try /*/*/*/*/*/*\n");
    assert!(codes(&c).contains(&"svcc::limit"), "{}", messages(&c));
}

#[test]
fn only_regular_files_are_read() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("fifo.conf");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    let top = tmp.path().join("top.conf");
    let top = top.to_str().unwrap();
    // A FIFO once hung the check.
    let c = check_within(20, top, "!include fifo.conf\n");
    assert_eq!(codes(&c), ["svcc::include-not-found"], "{}", messages(&c));
    assert!(messages(&c).contains("FIFO"), "{}", messages(&c));
    let c = check_within(20, top, "!include_try *.conf\n");
    assert_eq!(
        c.diagnostics
            .iter()
            .map(|d| (d.code, d.severity))
            .collect::<Vec<_>>(),
        [("svcc::include-not-found", svcc_compiler::Severity::Warning)],
        "{}",
        messages(&c)
    );
    // Devices are refused without being opened (`/dev/console` blocked).
    let c = check_within(20, top, "!include_try /dev/*\n");
    assert!(messages(&c).contains("device"), "{}", messages(&c));
    assert!(c.doc.sources.files().count() == 1, "{}", messages(&c));
    let c = check_within(20, top, "!include /dev/null\n");
    assert!(
        messages(&c).contains("character device"),
        "{}",
        messages(&c)
    );
    // Kernel interfaces look like regular files but are never read
    // (`/proc/kmsg` blocks and consumes the kernel log).
    let c = check_within(20, top, "!include /proc/self/status\n");
    assert_eq!(codes(&c), ["svcc::include-not-found"], "{}", messages(&c));
    assert!(
        messages(&c).contains("kernel interface"),
        "{}",
        messages(&c)
    );
    let c = check_within(30, top, "!include_try /proc/*\n");
    assert_eq!(c.doc.sources.files().count(), 1, "{}", messages(&c));
}

#[test]
fn inaccessible_includes_say_why() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::os::unix::fs::symlink(dir.join("loop-a.conf"), dir.join("loop-b.conf")).unwrap();
    std::os::unix::fs::symlink(dir.join("loop-b.conf"), dir.join("loop-a.conf")).unwrap();
    let top = dir.join("top.conf");
    let c = check_within(20, top.to_str().unwrap(), "!include loop-a.conf\n");
    let m = messages(&c);
    assert_eq!(codes(&c), ["svcc::include-not-found"], "{m}");
    assert!(m.contains("symbolic links"), "{m}");
    // A plain missing file still says it matches nothing.
    let c = check_within(20, top.to_str().unwrap(), "!include missing.conf\n");
    assert!(messages(&c).contains("matches no file"), "{}", messages(&c));
}

#[test]
fn variable_expansion_is_capped() {
    // Each line doubles `x`: 2^26 × 3 bytes unchecked (31 lines took 10 GB).
    let text = "x = a\n".to_string() + &"x = $x $x\n".repeat(26);
    let c = check_within(20, "<vars>", &text);
    assert_eq!(codes(&c), ["svcc::limit"], "{}", messages(&c));
    assert!(
        c.model
            .globals
            .all
            .get("x")
            .is_some_and(|v| v.value.len() <= 64 << 10),
        "the value stays bounded"
    );
    // Small self-references still expand.
    let c = check_str("<vars>", "x = a\nx = $x b\n", &Options::default());
    assert_eq!(
        c.model.globals.all.get("x").map(|v| v.value.as_str()),
        Some("a b")
    );
}

#[test]
fn did_you_mean_is_linear() {
    // 20,000 settings, each naming an unknown variable: every look-up used
    // to compare with every earlier setting (minutes in a debug build).
    let text: String = (0..20_000).map(|i| format!("k{i} = $zz{i}\n")).collect();
    let c = check_within(30, "<chain>", &text);
    assert_eq!(c.diagnostics.len(), 20_000);
    assert!(c
        .diagnostics
        .iter()
        .all(|d| d.code == "svcc::undefined-variable"));
}
