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
    let dir = tmp.path();
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
