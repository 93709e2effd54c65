//! Diagnostics and their renderers: `human` (miette's graphical report),
//! `short` (`FILE:LINE:COL: SEVERITY[CODE]: MESSAGE`), `json` (NDJSON),
//! `sarif` (SARIF 2.1.0) and `github` (Actions workflow commands).
//!
//! A [`Diagnostic`] stores byte spans only; each renderer converts them to
//! lines and columns through the [`SourceMap`]'s line index.

mod github;
#[cfg(feature = "cli")]
mod human;
#[cfg(feature = "cli")]
mod json;
mod plain;
#[cfg(feature = "cli")]
mod sarif;
mod short;

pub use github::render_github;
#[cfg(feature = "cli")]
pub use human::{render_human, HumanOptions};
#[cfg(feature = "cli")]
pub use json::render_json;
pub use plain::render_plain;
#[cfg(feature = "cli")]
pub use sarif::render_sarif;
pub use short::render_short;

use crate::syntax::{SourceMap, Span};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth knowing; never fails a check.
    Advice,
    /// Probably wrong; fails only under `--deny-warnings`.
    Warning,
    /// Wrong: the config is rejected.
    Error,
}

impl Severity {
    /// `error`, `warning` or `advice`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Advice => "advice",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A labelled span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What is there.
    pub message: String,
}

/// One finding: a code from the catalogue, a message stating the fact with
/// its numbers, the spans involved, and help saying what to change and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Severity.
    pub severity: Severity,
    /// Stable code, `svcc::...`.
    pub code: &'static str,
    /// One line stating the fact.
    pub message: String,
    /// What to change and why.
    pub help: Option<String>,
    /// The primary label first, then the others. Empty when the finding has
    /// no place in the config (it is then reported at the top file's start).
    pub labels: Vec<Label>,
    /// Extra notes (e.g. that the service is currently disabled).
    pub notes: Vec<String>,
}

impl Diagnostic {
    /// A new diagnostic with no labels.
    pub fn new(severity: Severity, code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            code,
            message: message.into(),
            help: None,
            labels: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// An error.
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, message)
    }

    /// A warning.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message)
    }

    /// Adds a label.
    pub fn label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// Sets the help text.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a note.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// The primary span, if any.
    pub fn primary(&self) -> Option<Span> {
        self.labels.first().map(|l| l.span)
    }

    /// The message and notes as one text (notes on their own lines).
    pub fn full_message(&self) -> String {
        let mut s = self.message.clone();
        for n in &self.notes {
            s.push_str("\nnote: ");
            s.push_str(n);
        }
        s
    }
}

/// Sorts diagnostics into file order (by file as read, then position), keeping
/// the order of findings at the same place.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by_key(|d| d.primary().map(|s| (s.file, s.start)).unwrap_or_default());
}

/// The location the `short` and `json` formats print for a diagnostic: the
/// primary span, or the top file's start when it has none.
pub(crate) fn location(
    map: &SourceMap,
    d: &Diagnostic,
) -> (String, crate::syntax::LineCol, crate::syntax::LineCol) {
    match d.primary() {
        Some(span) => {
            let (a, b) = map.range(span);
            (map.get(span.file).name.clone(), a, b)
        }
        None => {
            let name = map
                .files()
                .next()
                .map(|(_, f)| f.name.clone())
                .unwrap_or_default();
            let at = crate::syntax::LineCol { line: 1, column: 1 };
            (name, at, at)
        }
    }
}
