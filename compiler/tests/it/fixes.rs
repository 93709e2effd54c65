//! Every quick fix `ide::fixes` offers does what its title says: applied to
//! the text and checked again, the finding it was offered for is gone and
//! nothing new appears (no unused suppression, no syntax error).

use std::collections::BTreeSet;
use svcc_compiler::syntax::Span;
use svcc_compiler::{check_str, ide, Checked, Options};

fn check(text: &str) -> Checked {
    check_str("<t>", text, &Options::default())
}

fn apply(text: &str, edits: &[(Span, String)]) -> String {
    let mut edits = edits.to_vec();
    edits.sort_by_key(|(s, _)| std::cmp::Reverse(s.start));
    let mut out = text.to_string();
    for (s, new) in edits {
        assert_eq!(s.file.0, 0, "one file");
        out.replace_range(s.start as usize..s.end as usize, &new);
    }
    out
}

fn count(c: &Checked, code: &str) -> usize {
    c.diagnostics.iter().filter(|d| d.code == code).count()
}

/// Each case and the titles of the fixes (besides suppressions) it must offer.
const CASES: &[(&str, &[&str])] = &[
    // A value set in the block is changed...
    (
        "protocols = imap\nservice imap {\n  client_limit = 5\n}\n",
        &["Set client_limit = 1 in service imap"],
    ),
    // ...one left at its default is added under the header.
    (
        "service store {\n  executable = echo\n  blocking = yes\n}\n",
        &["Set client_limit = 1 in service store"],
    ),
    (
        "service store {\n  executable = echo\n  process_limit = 2\n  process_min_avail = 3\n}\n",
        &["Raise process_limit to 3 in service store"],
    ),
    (
        "service store {\n  executable = echo\n  process_min_avail = 200\n}\n",
        &["Raise process_limit to 200 in service store"],
    ),
    (
        "service x {\n  executable = echo\n  client_limt = 4\n}\n",
        &["Change to `client_limit`"],
    ),
    (
        "dovecot_config_version = 2.4.0\nservice x {\n  executable = echo\n  service_count = 3\n}\n",
        &["Rewrite as `restart_request_count = 3`"],
    ),
    // A finding with no obvious fix still has its suppression.
    ("service x {\n  executable = echo\n  process_limit = 7x\n}\n", &[]),
];

#[test]
fn every_fix_fixes_its_finding() {
    for (text, titles) in CASES {
        let before = check(text);
        let codes_before: BTreeSet<&str> = before.diagnostics.iter().map(|d| d.code).collect();
        let mut offered = Vec::new();
        for d in &before.diagnostics {
            let fixes = ide::fixes(&before, d);
            assert!(
                fixes.iter().any(|f| f.title.starts_with("Suppress")),
                "{text:?}: {} has no suppression fix",
                d.code
            );
            for f in fixes {
                let fixed = apply(text, &f.edits);
                let after = check(&fixed);
                assert!(
                    count(&after, d.code) < count(&before, d.code),
                    "{text:?}: `{}` left {} in place:\n{fixed}",
                    f.title,
                    d.code
                );
                let new: Vec<&str> = after
                    .diagnostics
                    .iter()
                    .map(|d| d.code)
                    .filter(|c| !codes_before.contains(c))
                    .collect();
                assert!(
                    new.is_empty(),
                    "{text:?}: `{}` brought {new:?}:\n{fixed}",
                    f.title
                );
                offered.push(f.title);
            }
        }
        for t in *titles {
            assert!(
                offered.iter().any(|o| o == t),
                "{text:?}: no `{t}` in {offered:?}"
            );
        }
    }
}

/// In an included file the fixes edit that file, and the root's check
/// sees the finding gone.
#[test]
fn fixes_in_an_included_file_edit_that_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("dovecot.conf");
    let part = dir.path().join("10-master.conf");
    std::fs::write(&root, "protocols = imap\n!include 10-master.conf\n").unwrap();
    let text =
        "service imap {\n  client_limit = 5\n  process_limit = 2\n  process_min_avail = 4\n}\n";
    std::fs::write(&part, text).unwrap();
    let root = root.to_str().unwrap();
    let before = svcc_compiler::check_path(root, &Options::default()).unwrap();
    for d in &before.diagnostics {
        for f in ide::fixes(&before, d) {
            let mut files: Vec<_> = f.edits.iter().map(|(s, _)| s.file).collect();
            files.dedup();
            assert_eq!(files.len(), 1, "{}", f.title);
            let file = before.doc.sources.get(files[0]);
            assert!(
                file.name.ends_with("10-master.conf"),
                "{}: {}",
                f.title,
                file.name
            );
            let edits: Vec<(Span, String)> = f
                .edits
                .iter()
                .map(|(s, t)| {
                    (
                        Span::new(
                            svcc_compiler::syntax::FileId(0),
                            s.start as usize,
                            s.end as usize,
                        ),
                        t.clone(),
                    )
                })
                .collect();
            std::fs::write(&part, apply(text, &edits)).unwrap();
            let after = svcc_compiler::check_path(root, &Options::default()).unwrap();
            assert!(
                count(&after, d.code) < count(&before, d.code),
                "`{}` left {}",
                f.title,
                d.code
            );
            std::fs::write(&part, text).unwrap();
        }
    }
    assert!(before.diagnostics.len() >= 2, "{:?}", before.diagnostics);
}
