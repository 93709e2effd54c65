//! miette's graphical report. Byte spans go to miette unchanged; labels in
//! other files than the primary one become related reports with their own
//! source.

use super::excerpt::Excerpt;
use super::{escape_controls, Diagnostic, Severity};
use crate::syntax::{FileId, SourceMap};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan};
use std::fmt;

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
    source: Option<Excerpt>,
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

/// The excerpt of file `id` this diagnostic's labels need, and the labels
/// in it.
fn excerpt(map: &SourceMap, d: &Diagnostic, id: FileId) -> (Excerpt, Vec<LabeledSpan>) {
    let f = map.get(id);
    let spans: Vec<_> = d
        .labels
        .iter()
        .filter(|l| l.span.file == id)
        .map(|l| l.span)
        .collect();
    let ex = Excerpt::new(&f.name, f, &spans);
    let labels = d
        .labels
        .iter()
        .enumerate()
        .filter(|(_, l)| l.span.file == id)
        .map(|(i, l)| {
            let text = (!l.message.is_empty()).then(|| escape_controls(&l.message).into_owned());
            let span = ex.span(f, &l.span);
            if i == 0 {
                LabeledSpan::new_primary_with_span(text, span)
            } else {
                LabeledSpan::new_with_span(text, span)
            }
        })
        .collect();
    (ex, labels)
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
        let (ex, labels) = excerpt(map, d, f);
        related.push(Report {
            message: format!("see also {}", escape_controls(&map.get(f).name)),
            code: None,
            severity: Severity::Advice,
            help: None,
            source: Some(ex),
            labels,
            related: Vec::new(),
        });
    }
    let (source, labels) = match primary.map(|f| excerpt(map, d, f)) {
        Some((ex, labels)) => (Some(ex), labels),
        None => (None, Vec::new()),
    };
    let report = Report {
        message: escape_controls(&d.full_message()).into_owned(),
        code: Some(d.code),
        severity: d.severity,
        help: d.help.as_deref().map(|h| escape_controls(h).into_owned()),
        source,
        labels,
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
        out = format!(
            "{}[{}]: {}\n",
            d.severity.as_str(),
            d.code,
            escape_controls(&d.message)
        );
    }
    out
}
