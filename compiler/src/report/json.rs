//! One JSON object per diagnostic (NDJSON), for editors and scripts.

use super::{location, Diagnostic};
use crate::syntax::SourceMap;
use serde::Serialize;

#[derive(Serialize)]
struct JsonLabel<'a> {
    message: &'a str,
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

#[derive(Serialize)]
struct JsonDiag<'a> {
    severity: &'a str,
    code: &'a str,
    message: String,
    help: Option<&'a str>,
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    labels: Vec<JsonLabel<'a>>,
    rendered: &'a str,
    /// The Dovecot version the config was checked as.
    dovecot: &'a str,
}

/// One line of JSON (no newline). `rendered` is the human report without
/// colour.
/// `dovecot` names the version the config was checked as (`2.3`, `2.4`).
pub fn render_json(map: &SourceMap, d: &Diagnostic, rendered: &str, dovecot: &str) -> String {
    let (file, a, b) = location(map, d);
    let labels = d
        .labels
        .iter()
        .map(|l| {
            let (s, e) = map.range(l.span);
            JsonLabel {
                message: &l.message,
                file: &map.get(l.span.file).name,
                line: s.line,
                column: s.column,
                end_line: e.line,
                end_column: e.column,
            }
        })
        .collect();
    let j = JsonDiag {
        severity: d.severity.as_str(),
        code: d.code,
        message: d.full_message(),
        help: d.help.as_deref(),
        file,
        line: a.line,
        column: a.column,
        end_line: b.line,
        end_column: b.column,
        labels,
        rendered,
        dovecot,
    };
    serde_json::to_string(&j).unwrap_or_default()
}
