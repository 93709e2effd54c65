//! Inline suppressions: `# svcc: disable=CODE[,CODE]` at the end of a line,
//! or alone on the line(s) before it, silences those codes on that line;
//! `# svcc: disable-file=CODE[,CODE]` among a file's leading comment lines
//! silences them in the whole file. A code may omit `svcc::`. A suppression
//! that silenced nothing is itself reported (`svcc::unused-suppression`),
//! as ruff's RUF100 does, so stale ones do not pile up.
//!
//! Suppressions are read from the source text of every file, after all
//! findings (the build-only ones included) exist, so the checker, `svcc
//! build`, the macro and the language server honour the same comments.

use crate::check::codes;
use crate::report::Diagnostic;
use crate::syntax::{FileId, SourceFile, SourceMap, Span};

/// One code named in one directive.
struct Entry {
    /// The code, with the `svcc::` prefix (as written if unknown).
    code: String,
    /// Where the code is written in the comment.
    span: Span,
    /// The line it silences (1-based); `None`: the whole file.
    line: Option<usize>,
    /// Whether a known code.
    known: bool,
    used: bool,
}

const DIRECTIVE: &str = "svcc:";

/// Removes the findings that suppressions silence and adds one
/// `svcc::unused-suppression` warning for each code that silenced nothing.
pub fn apply(map: &SourceMap, diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut entries: Vec<Entry> = Vec::new();
    for (id, f) in map.files() {
        scan(id, f, &mut entries);
    }
    if entries.is_empty() {
        return diags;
    }
    let mut kept = Vec::with_capacity(diags.len());
    for d in diags {
        let Some(span) = d.primary() else {
            kept.push(d);
            continue;
        };
        let line = map.get(span.file).line_col(span.start).line;
        let mut silenced = false;
        for e in entries.iter_mut().filter(|e| e.span.file == span.file) {
            if e.code == d.code && e.line.is_none_or(|l| l == line) {
                e.used = true;
                silenced = true;
            }
        }
        if !silenced {
            kept.push(d);
        }
    }
    for e in entries.iter().filter(|e| !e.used) {
        let (message, label) = if e.known {
            (
                format!("unused suppression: no `{}` finding here", e.code),
                "silences nothing",
            )
        } else {
            (
                format!("unknown code `{}` in a suppression", e.code),
                "not a code of svcc",
            )
        };
        let help = if e.known {
            "remove it (or the code from its list): the finding it silenced is gone, and a stale suppression would hide the next one"
                .to_string()
        } else {
            "`svcc explain` lists every code; the `svcc::` prefix may be omitted".to_string()
        };
        kept.push(
            Diagnostic::warning(codes::UNUSED_SUPPRESSION, message)
                .label(e.span, label)
                .help(help),
        );
    }
    crate::report::sort(&mut kept);
    kept
}

/// The start of a line's comment: a `#` at the start or after a blank,
/// outside double quotes.
fn comment_start(line: &str) -> Option<usize> {
    let mut quoted = false;
    let mut prev_blank = true;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted && prev_blank => return Some(i),
            _ => {}
        }
        prev_blank = c.is_whitespace();
    }
    None
}

fn scan(id: FileId, f: &SourceFile, out: &mut Vec<Entry>) {
    let text: &str = &f.text;
    if !text.contains(DIRECTIVE) {
        return;
    }
    let lines = f.line_col(text.len() as u32).line;
    let mut leading = true; // still among the file's first comment lines
                            // Directives alone on their line wait for the next line with content.
    let mut pending: Vec<usize> = Vec::new();
    for line in 1..=lines {
        let range = f.line_range(line);
        let start = range.start;
        let src = text[range].trim_end_matches(['\r', '\n']);
        let hash = comment_start(src);
        let content = src[..hash.unwrap_or(src.len())].trim();
        if !content.is_empty() {
            leading = false;
            for i in pending.drain(..) {
                out[i].line = Some(line);
            }
        }
        let Some(hash) = hash else { continue };
        let comment = src[hash + 1..].trim_start();
        let Some(rest) = comment.strip_prefix(DIRECTIVE) else {
            continue;
        };
        let rest = rest.trim_start();
        let (file_wide, list) = if let Some(l) = rest.strip_prefix("disable-file=") {
            (true, l)
        } else if let Some(l) = rest.strip_prefix("disable=") {
            (false, l)
        } else {
            continue;
        };
        if file_wide && !leading {
            continue; // only among the first comment lines, as documented
        }
        let list_at = start + (list.as_ptr() as usize - src.as_ptr() as usize);
        let list = list.split_whitespace().next().unwrap_or("");
        let mut offset = 0;
        for raw in list.split(',') {
            let at = list_at + offset;
            offset += raw.len() + 1;
            if raw.is_empty() {
                continue;
            }
            let code = if raw.starts_with("svcc::") {
                raw.to_string()
            } else {
                format!("svcc::{raw}")
            };
            let known = codes::lookup(&code).is_some();
            let span = Span::new(id, at, at + raw.len());
            let line = if file_wide {
                None
            } else if content.is_empty() {
                pending.push(out.len());
                Some(0) // no line yet: silences nothing unless one follows
            } else {
                Some(line)
            };
            out.push(Entry {
                code,
                span,
                line,
                known,
                used: false,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    fn check(text: &str, suppress: bool) -> Vec<(String, usize)> {
        let opts = crate::Options {
            no_suppressions: !suppress,
            ..Default::default()
        };
        let c = crate::check_str("<t>", text, &opts);
        c.diagnostics
            .iter()
            .map(|d| {
                let line = d
                    .primary()
                    .map(|s| c.doc.sources.get(s.file).line_col(s.start).line)
                    .unwrap_or(0);
                (d.code.to_string(), line)
            })
            .collect()
    }

    const BAD: &str = "service imap {\n  client_limit = 4\n}\n";

    #[test]
    fn end_of_line_and_line_before_silence_that_line() {
        assert!(check(BAD, true)
            .iter()
            .any(|(c, _)| c == "svcc::blocking-client-limit"));
        let eol = "service imap {\n  client_limit = 4 # svcc: disable=blocking-client-limit\n}\n";
        assert_eq!(check(eol, true), vec![]);
        let before = "service imap {\n  # svcc: disable=svcc::blocking-client-limit,decimal-mode\n  client_limit = 4\n}\n";
        // decimal-mode silenced nothing: reported, on its own span.
        assert_eq!(
            check(before, true),
            vec![("svcc::unused-suppression".to_string(), 2)]
        );
        // --no-suppressions shows everything.
        assert!(check(before, false)
            .iter()
            .any(|(c, _)| c == "svcc::blocking-client-limit"));
    }

    #[test]
    fn a_suppression_on_another_line_does_not_apply() {
        let text = "# svcc: disable=blocking-client-limit\nservice imap {\n  client_limit = 4\n}\n";
        let got = check(text, true);
        assert!(
            got.contains(&("svcc::blocking-client-limit".to_string(), 3)),
            "{got:?}"
        );
        assert!(
            got.contains(&("svcc::unused-suppression".to_string(), 1)),
            "{got:?}"
        );
    }

    #[test]
    fn file_wide_among_leading_comments_only() {
        let text = format!("# my config\n# svcc: disable-file=blocking-client-limit\n\n{BAD}");
        assert_eq!(check(&text, true), vec![]);
        let late = format!("{BAD}# svcc: disable-file=blocking-client-limit\n");
        assert!(check(&late, true)
            .iter()
            .any(|(c, _)| c == "svcc::blocking-client-limit"));
    }

    #[test]
    fn unknown_codes_and_quoted_hashes() {
        let text = "service imap {\n  client_limit = 4 # svcc: disable=no-such-code\n}\n";
        let got = check(text, true);
        assert!(
            got.contains(&("svcc::unused-suppression".to_string(), 2)),
            "{got:?}"
        );
        // A `#` inside quotes is not a comment.
        let quoted = "service imap {\n  client_limit = 4\n}\nx = \"# svcc: disable=syntax\"\n";
        assert!(!check(quoted, true)
            .iter()
            .any(|(c, _)| c == "svcc::unused-suppression"));
    }
}
