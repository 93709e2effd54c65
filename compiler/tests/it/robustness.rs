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
        let h = svcc_compiler::report::render_human(map, d, Default::default());
        let short = svcc_compiler::report::render_short(map, d);
        let _ = svcc_compiler::report::render_json(map, d, &h, "2.3");
        // Every format names the same place, and nothing raw reaches a
        // terminal.
        if d.primary().is_some() && !h.contains("see also") {
            let at = short.split(": ").next().unwrap_or_default();
            assert_eq!(human_at(&h).as_deref(), Some(at), "{h}");
        }
        for out in [&h, &short] {
            assert!(
                !out.chars()
                    .any(|c| c.is_control() && c != '\n' && c != '\t'),
                "{out:?}"
            );
        }
    }
}

/// A directory for generated includes: config files, a subdirectory, a
/// FIFO and a symbolic link loop.
fn include_dir() -> &'static std::path::Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        std::fs::write(
            p.join("a.conf"),
            "a = 1\nservice x {\n  client_limit = 2\n}\n",
        )
        .unwrap();
        std::fs::write(p.join("b.conf"), "b = $a\r\nk v\r").unwrap();
        std::fs::create_dir(p.join("sub")).unwrap();
        std::fs::write(p.join("sub/c.conf"), "!include ../a.conf\n").unwrap();
        let _ = std::process::Command::new("mkfifo")
            .arg(p.join("f.conf"))
            .status();
        let _ = std::os::unix::fs::symlink(p.join("l1"), p.join("l2"));
        let _ = std::os::unix::fs::symlink(p.join("l2"), p.join("l1"));
        d
    })
    .path()
}

fn check_spans_in(dir: &std::path::Path, text: &str) {
    let top = dir.join("top.conf");
    let (tx, rx) = std::sync::mpsc::channel();
    let (name, owned) = (top.to_string_lossy().into_owned(), text.to_string());
    std::thread::spawn(move || {
        check_spans_named(&name, &owned);
        let _ = tx.send(());
    });
    rx.recv_timeout(std::time::Duration::from_secs(20))
        .unwrap_or_else(|_| panic!("{text:?} did not finish"));
}

fn check_spans_named(name: &str, text: &str) {
    let checked = check_str(name, text, &Options::default());
    let map = &checked.doc.sources;
    for d in &checked.diagnostics {
        for l in &d.labels {
            let f = map.get(l.span.file);
            assert!(l.span.start <= l.span.end && l.span.end as usize <= f.text.len());
        }
        let h = svcc_compiler::report::render_human(map, d, Default::default());
        let _ = svcc_compiler::report::render_json(map, d, &h, "2.3");
        let short = svcc_compiler::report::render_short(map, d);
        for out in [&h, &short] {
            assert!(
                !out.chars()
                    .any(|c| c.is_control() && c != '\n' && c != '\t'),
                "{out:?}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_text(s in "[ -~\t\n\r\x1b{}=#\"'\\\\$<!é*?,]{0,400}") {
        check_spans(&s);
    }

    /// Includes with braces, globs, quotes and carriage returns (the
    /// brace, glob and FIFO hazards were missed while this never did).
    #[test]
    fn includes(lines in proptest::collection::vec(
        ("!include(_try)? ", "[\"']?", "(sub/\\.\\./|sub/|\\./)?", "[abflsu*?{},\\[\\]\\.12c\r]{0,12}", "(\\.conf)?", "[\"'\r]?")
            .prop_map(|(d, q1, pre, body, ext, q2)| format!("{d}{q1}{pre}{body}{ext}{q2}")),
        0..6,
    ), tail in "[ -~\r\n{}]{0,40}") {
        let text = lines.join("\n") + "\n" + &tail;
        check_spans_in(include_dir(), &text);
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
        deep.push_str("plugin {\n");
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
    let text = "login_greeting = a\n".to_string()
        + &"login_greeting = $login_greeting $login_greeting\n".repeat(26);
    let c = check_within(20, "<vars>", &text);
    assert_eq!(codes(&c), ["svcc::limit"], "{}", messages(&c));
    assert!(
        c.model
            .globals
            .all
            .get("login_greeting")
            .is_some_and(|v| v.value.len() <= 64 << 10),
        "the value stays bounded"
    );
    // Small self-references still expand.
    let text = "login_greeting = a\nlogin_greeting = $login_greeting b\n";
    let c = check_str("<vars>", text, &Options::default());
    assert_eq!(
        c.model
            .globals
            .all
            .get("login_greeting")
            .map(|v| v.value.as_str()),
        Some("a b")
    );
}

#[test]
fn did_you_mean_is_linear() {
    // 20,000 unknown settings, each naming an unknown variable: every
    // look-up used to compare with every earlier setting (minutes in a
    // debug build); each unknown name is compared with Dovecot's.
    let text: String = (0..20_000).map(|i| format!("k{i} = $zz{i}\n")).collect();
    let c = check_within(30, "<chain>", &text);
    // Of each finding, 1,000 described (the per-file budget), the rest
    // counted in one more.
    assert_eq!(c.diagnostics.len(), 2002);
    for code in ["svcc::undefined-variable", "svcc::unknown-setting"] {
        let n = c.diagnostics.iter().filter(|d| d.code == code).count();
        assert_eq!(n, 1000, "{code}");
    }
}

fn human(c: &svcc_compiler::Checked, d: &svcc_compiler::Diagnostic) -> String {
    svcc_compiler::report::render_human(&c.doc.sources, d, Default::default())
}

/// The `[FILE:LINE:COL]` of a human report.
fn human_at(rendered: &str) -> Option<String> {
    let start = rendered.find("─[")? + "─[".len();
    let end = start + rendered[start..].find(']')?;
    Some(rendered[start..end].to_string())
}

#[test]
fn diagnostics_past_column_65535_render() {
    // miette pads to a label's column with `{:width$}`, which panics past
    // 65,535 ("Formatting argument out of range").
    let text = format!("login_greeting = {} $nope\nk v\n", "a".repeat(70_000));
    let c = check_str("<long>", &text, &Options::default());
    assert_eq!(codes(&c), ["svcc::undefined-variable", "svcc::syntax"]);
    for d in &c.diagnostics {
        let h = human(&c, d);
        let json =
            svcc_compiler::report::render_json(&c.doc.sources, d, &h, c.model.version.as_str());
        let short = svcc_compiler::report::render_short(&c.doc.sources, d);
        assert!(h.len() < 4_000, "the long line is cut: {} bytes", h.len());
        let at = short.split(": ").next().unwrap();
        assert_eq!(human_at(&h).as_deref(), Some(at), "{h}");
        assert!(json.len() < 8_000);
    }
    assert!(human(&c, &c.diagnostics[0]).contains("…aaa"));
}

#[test]
fn every_format_agrees_on_lines_with_lone_carriage_returns() {
    // Only `\n` ends a line (as in Dovecot); miette counted a lone `\r` too.
    for text in [
        "a = 1\r\rbad line\nk v\n",
        "\r\r\nk v\n",
        "x = 1\rservice imap {\n  bogus = 1\n}\nk v\r\n",
    ] {
        let c = check_str("<cr>", text, &Options::default());
        assert!(!c.diagnostics.is_empty(), "{text:?}");
        for d in &c.diagnostics {
            let h = human(&c, d);
            let short = svcc_compiler::report::render_short(&c.doc.sources, d);
            let at = short.split(": ").next().unwrap();
            assert_eq!(human_at(&h).as_deref(), Some(at), "{text:?}\n{h}");
            assert!(!h.contains('\r') && !short.contains('\r'), "{h:?}");
        }
    }
}

#[test]
fn control_characters_are_escaped() {
    let text = "k\x1b[2J\x07 v\nservice imap {\n  bad\u{202e}key = 1\n}\n";
    let c = check_str("<ctl\x1b>", text, &Options::default());
    assert_eq!(c.diagnostics.len(), 2, "{}", messages(&c));
    for d in &c.diagnostics {
        let h = human(&c, d);
        let short = svcc_compiler::report::render_short(&c.doc.sources, d);
        for out in [&h, &short] {
            assert!(
                !out.chars()
                    .any(|ch| ch.is_control() && ch != '\n' || ch == '\u{202e}'),
                "{out:?}"
            );
        }
    }
    let h = human(&c, &c.diagnostics[0]);
    assert!(h.contains("k\\x1b[2J\\x07 v"), "{h}");
    let short = svcc_compiler::report::render_short(&c.doc.sources, &c.diagnostics[0]);
    assert!(short.starts_with("<ctl\\x1b>:1:1:"), "{short}");
}

#[test]
fn rendering_is_linear_in_the_number_of_diagnostics() {
    // 20,000 bad lines in a 2 MB file: miette read the file from its start
    // for every diagnostic (20,000 × 1 MB on average; minutes in a debug
    // build). Now each report reads only its own lines.
    let line = format!("bad {}\n", "x".repeat(95));
    let text = line.repeat(20_000);
    let mut c = check_str("<garbage>", &text, &Options::default());
    // The checker describes 1,000 per file; render one per line anyway.
    let file = c.diagnostics[0].labels[0].span.file;
    c.diagnostics = (0..20_000)
        .map(|i| {
            let at = i * line.len();
            svcc_compiler::Diagnostic::error("svcc::syntax", "bad line")
                .label(svcc_compiler::syntax::Span::new(file, at, at + 3), "here")
        })
        .collect();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = 0;
        for d in &c.diagnostics {
            let h = human(&c, d);
            bytes +=
                svcc_compiler::report::render_json(&c.doc.sources, d, &h, c.model.version.as_str())
                    .len();
        }
        let _ = tx.send(bytes);
    });
    let bytes = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("rendering 20,000 diagnostics took over 60 s");
    assert!(bytes > 0);
}

#[test]
fn printing_is_capped_per_file() {
    use svcc_compiler::report::{cap_per_file, render_more, Printed, MAX_PRINTED_PER_FILE};
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("inc.conf"), "k v\n".repeat(300)).unwrap();
    let top = tmp.path().join("top.conf");
    let text = "k v\n".repeat(500) + "!include inc.conf\n";
    let c = check_str(top.to_str().unwrap(), &text, &Options::default());
    assert_eq!(c.diagnostics.len(), 800);
    let printed = cap_per_file(&c.diagnostics, MAX_PRINTED_PER_FILE);
    let shown = printed
        .iter()
        .filter(|p| matches!(p, Printed::Diagnostic(_)))
        .count();
    assert_eq!(shown, 2 * MAX_PRINTED_PER_FILE);
    let more: Vec<String> = printed
        .iter()
        .filter_map(|p| match p {
            Printed::More { file, count } => Some(render_more(
                &c.doc.sources,
                *file,
                *count,
                MAX_PRINTED_PER_FILE,
            )),
            _ => None,
        })
        .collect();
    assert_eq!(more.len(), 2, "{more:?}");
    assert!(
        more[0].ends_with(
            "top.conf: 300 more diagnostics not shown (svcc prints at most 200 per file)"
        ),
        "{more:?}"
    );
    assert!(
        more[1].ends_with(
            "inc.conf: 100 more diagnostics not shown (svcc prints at most 200 per file)"
        ),
        "{more:?}"
    );
    // Each "more" line follows its file's last printed diagnostic.
    assert!(matches!(
        printed[MAX_PRINTED_PER_FILE],
        Printed::More { count: 300, .. }
    ));
}

#[test]
fn problems_described_per_file_are_capped() {
    // A file of garbage: one problem per line, millions in 16 MiB. The
    // first 1,000 are described, the rest counted in one limit error.
    let c = check_str("<garbage>", &"k v\n".repeat(100_000), &Options::default());
    assert_eq!(c.diagnostics.len(), 1001);
    let last = c.diagnostics.last().unwrap();
    assert_eq!(last.code, "svcc::limit");
    assert!(
        last.message.starts_with("99000 more problems"),
        "{}",
        last.message
    );
    // The same for every kind of line: `}`, `$name`, values, unknown settings.
    for (line, code) in [
        ("}\n", "svcc::unexpected-close"),
        ("x = $nope\n", "svcc::undefined-variable"),
        ("default_process_limit = x\n", "svcc::invalid-value"),
    ] {
        let c = check_str("<many>", &line.repeat(5_000), &Options::default());
        let n = c.diagnostics.iter().filter(|d| d.code == code).count();
        assert_eq!(n, 1000, "{line:?}");
        assert!(
            c.diagnostics.iter().any(|d| d.code == "svcc::limit"),
            "{line:?}"
        );
    }
    let text = "service x {\n".to_string() + &"bogus = 1\n".repeat(5_000) + "}\n";
    let c = check_str("<many>", &text, &Options::default());
    assert_eq!(
        codes(&c)
            .iter()
            .filter(|c| **c == "svcc::unknown-setting")
            .count(),
        1000
    );
    // Recovery goes on past the budget: the section still closes.
    let text = "k v\n".repeat(2_000) + "service imap {\n  client_limit = 5\n}\n";
    let c = check_str("<many>", &text, &Options::default());
    assert!(
        codes(&c).contains(&"svcc::blocking-client-limit"),
        "{:?}",
        codes(&c).last()
    );
    // Limit errors are always printed, past the per-file print cap.
    let printed = svcc_compiler::report::cap_per_file(&c.diagnostics, 200);
    assert!(printed.iter().any(
        |p| matches!(p, svcc_compiler::report::Printed::Diagnostic(d) if d.code == "svcc::limit")
    ));
}

#[test]
fn findings_of_the_checks_are_capped_per_file_too() {
    // 1,500 services on one port: 1,499 conflicts (one per pair of
    // listeners, though `*` and `::` both clash), 1,000 described.
    let text: String = (0..1500)
        .map(|i| format!("service s{i} {{\n  inet_listener l {{\n    port = 1430\n  }}\n}}\n"))
        .collect();
    let c = check_str("<many>", &text, &Options::default());
    let n = codes(&c)
        .iter()
        .filter(|c| **c == "svcc::listener-conflict")
        .count();
    assert_eq!(n, 1000);
    let last = c.diagnostics.iter().find(|d| d.code == "svcc::limit");
    assert!(
        last.is_some_and(|d| d.message.starts_with("499 more problems")),
        "{}",
        messages(&c)
    );
}

#[test]
fn many_listeners_are_checked_in_linear_time() {
    // One service with 50,000 listeners (each looked up by name when its
    // block is read), and 50,000 addresses on one port (each compared with
    // the others for `*` overlaps): quadratic before, minutes in a debug build.
    let text = "service x {\n".to_string()
        + &(0..50_000)
            .map(|i| format!("  unix_listener l{i} {{\n  }}\n"))
            .collect::<String>()
        + "}\n";
    let c = check_within(60, "<listeners>", &text);
    assert!(c.diagnostics.is_empty(), "{}", messages(&c));
    let text: String = (0..50_000)
        .map(|i| {
            format!(
                "service s{i} {{\n  inet_listener l {{\n    address = 10.0.{}.{}\n    port = 143\n  }}\n}}\n",
                i >> 8,
                i & 255
            )
        })
        .collect();
    let c = check_within(60, "<addresses>", &text);
    assert!(
        !codes(&c).contains(&"svcc::listener-conflict"),
        "{}",
        messages(&c)
    );
}

#[test]
fn quotes_and_backslashes_are_read_in_linear_time() {
    // Unclosed quotes and escapes on one line were rescanned from every
    // quote (a 40 KB line: more than 30 s; then, in the comment search of a
    // line with a `\`, a 256 KB line: 23 s); lines of `a\` made one
    // statement of the whole file for pest.
    for text in [
        format!("a = {}\n", "\"\\".repeat(200_000)),
        format!("a = {}\n", "\"".repeat(1 << 20)),
        format!("a = {}\n", "'$".repeat(200_000)),
        "a = \"\n".repeat(100_000),
        "a\\\n".repeat(200_000),
        format!("a = x {}\\\n  y\n", "\" '".repeat(100_000)),
    ] {
        let c = check_within(60, "<quotes>", &text);
        assert!(c.diagnostics.len() <= 1001, "{}", c.diagnostics.len());
    }
}

#[test]
fn a_huge_token_does_not_make_a_huge_message() {
    let text = format!(
        "service x {{\n  process_limit = {}\n}}\n",
        "9".repeat(1 << 20)
    );
    let c = check_within(60, "<token>", &text);
    let d = c
        .diagnostics
        .iter()
        .find(|d| d.code == "svcc::invalid-value")
        .expect("invalid value");
    assert!(d.message.len() < 2048, "{} bytes", d.message.len());
    let human = human(&c, d);
    assert!(human.len() < 16 << 10, "{} bytes", human.len());
}

#[test]
fn certificate_files_are_read_like_includes() {
    // `std::fs::read` of `/dev/zero` grew to gigabytes; of a FIFO, blocked.
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("key.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let top = tmp.path().join("top.conf");
    for (setting, want) in [
        ("ssl_cert = </dev/zero\nssl_key = </dev/zero\n", "a character device"),
        (
            &*format!("ssl_cert = </dev/zero\nssl_key = <{}\n", fifo.display()),
            "a FIFO",
        ),
        (
            "dovecot_config_version = 2.4.1\nssl_server_cert_file = /dev/zero\nssl_server_key_file = /dev/zero\n",
            "a character device",
        ),
        (
            "ssl = no\nlocal_name x {\n  ssl_cert = </dev/zero\n  ssl_key = </dev/zero\n}\n",
            "a character device",
        ),
    ] {
        let c = check_within(10, top.to_str().unwrap(), setting);
        let m = messages(&c);
        assert!(
            c.diagnostics
                .iter()
                .any(|d| d.code == "svcc::ssl-file" && d.message.contains(want)),
            "{setting}: {m}"
        );
    }
}

#[test]
fn no_error_hides_behind_the_print_cap_and_advice_never_fails() {
    use svcc_compiler::report::{cap_per_file, Printed};
    // 250 warnings (`#` right after a value), then two errors.
    let mut text = String::from("protocols = imap\n");
    for i in 0..250 {
        text.push_str(&format!("login_greeting = g{i}#x\n"));
    }
    text.push_str("service imap {\n  client_limit = 5\n  bogus_setting = 1\n}\n");
    let c = check_str("<cap>", &text, &Options::default());
    let errors = c
        .diagnostics
        .iter()
        .filter(|d| d.severity == svcc_compiler::Severity::Error)
        .count();
    assert_eq!(errors, 2, "{}", messages(&c));
    let printed = cap_per_file(&c.diagnostics, 200);
    let shown = |p: &&Printed| matches!(p, Printed::Diagnostic(d) if d.severity == svcc_compiler::Severity::Error);
    assert_eq!(printed.iter().filter(shown).count(), 2);
    let total: usize = printed
        .iter()
        .filter(|p| matches!(p, Printed::Diagnostic(_)))
        .count();
    assert_eq!(total, 200);
    // More warnings than a file's findings are described: the one line
    // that counts the rest is a warning too, so the check still passes.
    let text = "login_greeting = g#x\n".repeat(1001);
    let c = check_within(20, "<warnings>", &text);
    assert!(!c.has_errors(), "{}", messages(&c));
    assert!(c
        .diagnostics
        .iter()
        .any(|d| d.code == "svcc::limit" && d.severity == svcc_compiler::Severity::Warning));
}

/// Dovecot never reads a comment: a Latin-1 `#` comment (also after a
/// value) is no encoding error, while a Latin-1 byte in a value, quoted or
/// not, and a `#` inside quotes, which starts no comment, still are.
#[test]
fn a_latin1_comment_is_harmless_a_latin1_value_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let codes_of = |bytes: &[u8]| -> Vec<(&'static str, u32)> {
        let p = dir.path().join("c.conf");
        std::fs::write(&p, bytes).unwrap();
        let checked = svcc_compiler::check_path(p.to_str().unwrap(), &Options::default()).unwrap();
        checked
            .diagnostics
            .iter()
            .filter(|d| d.code == "svcc::encoding")
            .map(|d| (d.code, d.labels[0].span.start))
            .collect()
    };
    assert_eq!(codes_of(b"# caf\xe9\nmail_debug = yes # d\xe9bug\n"), []);
    // The value's byte, where it is in the text as read (the comment's
    // byte became a 3-byte U+FFFD): offset 18.
    assert_eq!(
        codes_of(b"# caf\xe9\nx = \"a # \xe9\"\n"),
        [("svcc::encoding", 18)]
    );
    assert_eq!(codes_of(b"login_greeting = caf\xe9\n").len(), 1);
    // Single quotes quote too.
    assert_eq!(codes_of(b"x = 'a # \xe9'\n"), [("svcc::encoding", 9)]);
}
