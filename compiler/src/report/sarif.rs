//! SARIF 2.1.0: one log with one run, the catalogue of codes as the tool's
//! rules and every diagnostic as a result, for code-scanning services.

use super::{Diagnostic, Severity};
use crate::check::codes;
use crate::syntax::SourceMap;
use serde_json::{json, Value};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Advice => "note",
    }
}

/// A relative path as a URI reference against `%SRCROOT%`, an absolute one
/// as a `file://` URI (percent-encoding what a URI cannot hold).
fn artifact(name: &str) -> Value {
    let mut uri = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    if name.starts_with('/') {
        json!({ "uri": format!("file://{uri}") })
    } else {
        json!({ "uri": uri, "uriBaseId": "%SRCROOT%" })
    }
}

fn region(map: &SourceMap, span: crate::syntax::Span) -> Value {
    let (a, b) = map.range(span);
    json!({
        "startLine": a.line,
        "startColumn": a.column,
        "endLine": b.line,
        "endColumn": b.column,
    })
}

/// The whole SARIF document for one run. Each rule's `helpUri` is
/// [`codes::help_uri`] of `help_base` (a directory of per-code pages ending
/// in `/`, or the URI of `docs/checks.md`); it must be an absolute URI.
pub fn render_sarif(map: &SourceMap, diags: &[Diagnostic], help_base: &str) -> String {
    let rules: Vec<Value> = codes::ALL
        .iter()
        .map(|c| {
            json!({
                "id": c.code,
                "name": c.code.trim_start_matches("svcc::"),
                "shortDescription": { "text": c.summary },
                "fullDescription": { "text": c.explanation },
                "help": { "text": format!("{}\n\nsvcc explain {}", c.explanation, c.code) },
                "helpUri": codes::help_uri(help_base, c.code),
                "defaultConfiguration": { "level": level(c.severity) },
            })
        })
        .collect();
    let results: Vec<Value> = diags
        .iter()
        .map(|d| {
            let index = codes::ALL.iter().position(|c| c.code == d.code);
            let mut text = d.full_message();
            if let Some(h) = &d.help {
                text.push_str("\nhelp: ");
                text.push_str(h);
            }
            let location = |span: crate::syntax::Span, message: Option<&str>| {
                let mut l = json!({
                    "physicalLocation": {
                        "artifactLocation": artifact(&map.get(span.file).name),
                        "region": region(map, span),
                    }
                });
                if let Some(m) = message {
                    l["message"] = json!({ "text": m });
                }
                l
            };
            let locations: Vec<Value> = match d.labels.first() {
                Some(l) => vec![location(l.span, None)],
                None => match map.files().next() {
                    Some((_, f)) => vec![json!({
                        "physicalLocation": { "artifactLocation": artifact(&f.name) }
                    })],
                    None => vec![],
                },
            };
            let related: Vec<Value> = d
                .labels
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let mut v = location(l.span, Some(&l.message));
                    v["id"] = json!(i);
                    v
                })
                .collect();
            let mut r = json!({
                "ruleId": d.code,
                "level": level(d.severity),
                "message": { "text": text },
                "locations": locations,
            });
            if let Some(i) = index {
                r["ruleIndex"] = json!(i);
            }
            if !related.is_empty() {
                r["relatedLocations"] = json!(related);
            }
            r
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "svcc",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": { "%SRCROOT%": { "description": { "text": "the directory svcc check ran in" } } },
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&log).unwrap_or_default()
}
