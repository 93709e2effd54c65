//! Diagnostics and their renderers: `human` (miette's graphical report),
//! `short` (`FILE:LINE:COL: SEVERITY[CODE]: MESSAGE`), `json` (NDJSON),
//! `sarif` (SARIF 2.1.0) and `github` (Actions workflow commands).
//!
//! A [`Diagnostic`] stores byte spans only; each renderer converts them to
//! lines and columns through the [`SourceMap`]'s line index.

#[cfg(feature = "cli")]
mod excerpt;
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

use crate::syntax::{FileId, SourceMap, Span};

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

/// Texts of a diagnostic longer than this are cut (they quote the config:
/// a 16 MiB value must not become a 16 MiB message in every format).
const MAX_TEXT: usize = 4096;

/// `s`, cut to its first kilobyte and an ellipsis when over [`MAX_TEXT`].
fn clip(mut s: String) -> String {
    if s.len() > MAX_TEXT {
        let mut end = 1024;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        let cut = s.len() - end;
        s.truncate(end);
        s.push_str(&format!("… ({cut} more bytes)"));
    }
    s
}

impl Diagnostic {
    /// A new diagnostic with no labels.
    pub fn new(severity: Severity, code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            code,
            message: clip(message.into()),
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
            message: clip(message.into()),
        });
        self
    }

    /// Sets the help text.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(clip(help.into()));
        self
    }

    /// Adds a note.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(clip(note.into()));
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

/// A character that must not reach a terminal raw, as an escape: C0 and C1
/// control characters (but tab and newline) as `\x1b`, `\r` or `\u{85}`,
/// and the bidirectional overrides that can make text read differently
/// from what it is, as `\u{202e}`.
pub(crate) fn escape_char(c: char) -> Option<String> {
    match c {
        '\t' | '\n' => None,
        '\r' => Some("\\r".into()),
        '\0'..='\x1f' | '\x7f' => Some(format!("\\x{:02x}", c as u32)),
        '\u{80}'..='\u{9f}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}' => Some(format!("\\u{{{:x}}}", c as u32)),
        _ => None,
    }
}

/// `s` with [`escape_char`] applied (borrowed when nothing needs it).
pub fn escape_controls(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(|c| escape_char(c).is_some()) {
        return s.into();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match escape_char(c) {
            Some(e) => out.push_str(&e),
            None => out.push(c),
        }
    }
    out.into()
}

/// Counts each file's problems at one stage; past
/// [`MAX_DIAGNOSTICS_PER_FILE`](crate::syntax::MAX_DIAGNOSTICS_PER_FILE)
/// a problem is only counted, before anything is formatted for it.
#[derive(Debug, Default)]
pub(crate) struct FileBudget {
    /// Per file: described, counted only, where the first counted one is,
    /// the most serious counted one.
    files: std::collections::HashMap<FileId, (usize, usize, Span, Severity)>,
}

impl FileBudget {
    /// Whether to describe an error at `at` (else it is counted).
    pub(crate) fn admit(&mut self, at: Span) -> bool {
        self.admit_as(at, Severity::Error)
    }

    /// Whether to describe a finding of this severity at `at` (else it is
    /// counted).
    pub(crate) fn admit_as(&mut self, at: Span, severity: Severity) -> bool {
        let e = self
            .files
            .entry(at.file)
            .or_insert((0, 0, at, Severity::Advice));
        if e.0 < crate::syntax::MAX_DIAGNOSTICS_PER_FILE {
            e.0 += 1;
            true
        } else {
            if e.1 == 0 {
                e.2 = at;
            }
            e.1 += 1;
            e.3 = e.3.max(severity);
            false
        }
    }

    /// Whether file `file` has used up its budget.
    pub(crate) fn full(&self, file: FileId) -> bool {
        self.files
            .get(&file)
            .is_some_and(|e| e.0 >= crate::syntax::MAX_DIAGNOSTICS_PER_FILE)
    }

    /// One `svcc::limit` finding per file with problems only counted, as
    /// serious as the most serious of them (advice left undescribed does
    /// not fail a check).
    pub(crate) fn finish(self, diags: &mut Vec<Diagnostic>) {
        let mut over: Vec<_> = self.files.into_values().filter(|e| e.1 > 0).collect();
        over.sort_by_key(|e| (e.2.file, e.2.start));
        for (_, n, at, severity) in over {
            let s = if n == 1 { "" } else { "s" };
            diags.push(
                Diagnostic::new(
                    severity,
                    crate::check::codes::LIMIT,
                    format!(
                        "{n} more problem{s} in this file not described: svcc describes at most {} per file",
                        crate::syntax::MAX_DIAGNOSTICS_PER_FILE
                    ),
                )
                .label(at, "the first one not described")
                .help("fix the problems reported above and check again; a file this broken is probably not a Dovecot config"),
            );
        }
    }
}

/// Most diagnostics `svcc check` prints per file; the rest are counted in
/// one "N more" line (a file of garbage has a diagnostic per line).
pub const MAX_PRINTED_PER_FILE: usize = 200;

/// What to print, in order: diagnostics, and after a file's last printed
/// one, how many more that file has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Printed<'a> {
    /// A diagnostic to render.
    Diagnostic(&'a Diagnostic),
    /// `count` more diagnostics of file `file` were left out.
    More {
        /// The file (the top file for diagnostics without a place).
        file: FileId,
        /// How many were left out.
        count: usize,
    },
}

/// At most `max` diagnostics per file (the first ones, in the order given),
/// each file's left-out ones counted in a [`Printed::More`] after its last
/// printed one. `svcc::limit` diagnostics are always printed: they say
/// what svcc did not look at.
pub fn cap_per_file(diags: &[Diagnostic], max: usize) -> Vec<Printed<'_>> {
    let file_of = |d: &Diagnostic| d.primary().map(|s| s.file).unwrap_or_default();
    // Errors are shown first: a file's warnings and advice get what its
    // errors leave of `max`, so no error hides behind them.
    let mut errors: std::collections::HashMap<FileId, usize> = Default::default();
    for d in diags.iter().filter(|d| d.severity == Severity::Error) {
        *errors.entry(file_of(d)).or_default() += 1;
    }
    let mut shown_errors: std::collections::HashMap<FileId, usize> = Default::default();
    let mut out = Vec::new();
    let mut shown: std::collections::HashMap<FileId, usize> = Default::default();
    let mut hidden: Vec<(FileId, usize)> = Vec::new();
    let mut run: Option<FileId> = None;
    for d in diags {
        let file = file_of(d);
        if run != Some(file) {
            flush(&mut out, &mut hidden);
            run = Some(file);
        }
        let room = if d.severity == Severity::Error {
            let n = shown_errors.entry(file).or_default();
            *n += 1;
            *n <= max
        } else {
            let n = shown.entry(file).or_default();
            *n += 1;
            *n <= max.saturating_sub(errors.get(&file).copied().unwrap_or(0))
        };
        if d.code == crate::check::codes::LIMIT || room {
            out.push(Printed::Diagnostic(d));
        } else {
            match hidden.last_mut() {
                Some((f, c)) if *f == file => *c += 1,
                _ => hidden.push((file, 1)),
            }
        }
    }
    flush(&mut out, &mut hidden);
    out
}

fn flush<'a>(out: &mut Vec<Printed<'a>>, hidden: &mut Vec<(FileId, usize)>) {
    for (file, count) in hidden.drain(..) {
        out.push(Printed::More { file, count });
    }
}

/// The line for a [`Printed::More`]: `FILE: N more diagnostics not shown
/// (svcc prints at most MAX per file)`.
pub fn render_more(map: &SourceMap, file: FileId, count: usize, max: usize) -> String {
    let name = map
        .files()
        .find(|(id, _)| *id == file)
        .map(|(_, f)| escape_controls(&f.name).into_owned())
        .unwrap_or_default();
    let s = if count == 1 { "" } else { "s" };
    format!("{name}: {count} more diagnostic{s} not shown (svcc prints at most {max} per file)")
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
