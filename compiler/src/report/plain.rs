//! A rustc-style plain-text rendering (no colour, no miette): what
//! `svcc::main!` puts in each `compile_error!` and build-time warning.
//!
//! ```text
//! error[svcc::blocking-client-limit]: service `imap` is blocking but ...
//!   --> conf.d/10-master.conf:14:3
//!    |
//! 14 |   client_limit = 10
//!    |   ^^^^^^^^^^^^^^^^^ client_limit = 10
//!    |
//!    = help: set `client_limit = 1` ...
//! ```

use super::Diagnostic;
use crate::syntax::SourceMap;
use std::fmt::Write;

/// The diagnostic as plain text (several lines, no trailing newline).
pub fn render_plain(map: &SourceMap, d: &Diagnostic) -> String {
    let mut out = format!("{}[{}]: {}", d.severity.as_str(), d.code, d.message);
    let pad = d
        .labels
        .iter()
        .map(|l| map.range(l.span).0.line.to_string().len())
        .max()
        .unwrap_or(1);
    for l in &d.labels {
        let f = map.get(l.span.file);
        let (a, b) = map.range(l.span);
        let line_text = &f.text[f.line_range(a.line)];
        let gutter = pad;
        let width = if b.line == a.line {
            b.column.saturating_sub(a.column).max(1)
        } else {
            line_text
                .chars()
                .count()
                .saturating_sub(a.column - 1)
                .max(1)
        };
        let _ = write!(
            out,
            "\n{:gutter$}--> {}:{}:{}\n{:gutter$} |\n{:>gutter$} | {}\n{:gutter$} | {}{} {}",
            "",
            f.name,
            a.line,
            a.column,
            "",
            a.line,
            line_text,
            "",
            " ".repeat(a.column - 1),
            "^".repeat(width),
            l.message,
            gutter = gutter
        );
    }
    if d.labels.is_empty() {
        if let Some((_, f)) = map.files().next() {
            let _ = write!(out, "\n --> {}", f.name);
        }
    }
    for n in &d.notes {
        let _ = write!(out, "\n{:pad$} = note: {n}", "");
    }
    if let Some(h) = &d.help {
        let _ = write!(out, "\n{:pad$} = help: {h}", "");
    }
    out
}
