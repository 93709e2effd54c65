//! miette's graphical report. Byte spans go to miette unchanged; labels in
//! other files than the primary one become related reports with their own
//! source.

use super::{Diagnostic, Severity};
use crate::syntax::{FileId, SourceMap};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};
use std::fmt;
use std::sync::Arc;

/// How to draw.
#[derive(Debug, Clone, Copy)]
pub struct HumanOptions {
    /// ANSI colours.
    pub color: bool,
    /// Unicode box drawing (else ASCII).
    pub unicode: bool,
    /// Wrap width.
    pub width: usize,
}

impl Default for HumanOptions {
    fn default() -> Self {
        HumanOptions {
            color: false,
            unicode: true,
            width: 100,
        }
    }
}

struct Report {
    message: String,
    code: Option<&'static str>,
    severity: Severity,
    help: Option<String>,
    source: Option<NamedSource<Arc<str>>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code.map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Advice => miette::Severity::Advice,
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(
                self.related.iter().map(|r| r as &dyn miette::Diagnostic),
            ))
        }
    }
}

fn source(map: &SourceMap, id: FileId) -> NamedSource<Arc<str>> {
    let f = map.get(id);
    NamedSource::new(f.name.clone(), f.text.clone())
}

fn labels_in(map: &SourceMap, d: &Diagnostic, id: FileId) -> Vec<LabeledSpan> {
    let _ = map;
    d.labels
        .iter()
        .enumerate()
        .filter(|(_, l)| l.span.file == id)
        .map(|(i, l)| {
            let text = (!l.message.is_empty()).then(|| l.message.clone());
            if i == 0 {
                LabeledSpan::new_primary_with_span(text, (l.span.start as usize, l.span.len()))
            } else {
                LabeledSpan::new_with_span(text, (l.span.start as usize, l.span.len()))
            }
        })
        .collect()
}

/// The graphical report for one diagnostic.
pub fn render_human(map: &SourceMap, d: &Diagnostic, opts: HumanOptions) -> String {
    let primary = d.primary().map(|s| s.file);
    let mut related = Vec::new();
    let mut others: Vec<FileId> = d
        .labels
        .iter()
        .map(|l| l.span.file)
        .filter(|f| Some(*f) != primary)
        .collect();
    others.dedup();
    for f in others {
        if related
            .iter()
            .any(|r: &Report| r.source.as_ref().map(|s| s.name()) == Some(map.get(f).name.as_str()))
        {
            continue;
        }
        related.push(Report {
            message: format!("see also {}", map.get(f).name),
            code: None,
            severity: Severity::Advice,
            help: None,
            source: Some(source(map, f)),
            labels: labels_in(map, d, f),
            related: Vec::new(),
        });
    }
    let report = Report {
        message: d.full_message(),
        code: Some(d.code),
        severity: d.severity,
        help: d.help.clone(),
        source: primary.map(|f| source(map, f)),
        labels: primary.map(|f| labels_in(map, d, f)).unwrap_or_default(),
        related,
    };
    let theme = match (opts.unicode, opts.color) {
        (true, true) => GraphicalTheme::unicode(),
        (true, false) => GraphicalTheme::unicode_nocolor(),
        (false, true) => GraphicalTheme::ascii(),
        (false, false) => GraphicalTheme::none(),
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(opts.width)
        .with_context_lines(1);
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        out = format!("{}[{}]: {}\n", d.severity.as_str(), d.code, d.message);
    }
    out
}
