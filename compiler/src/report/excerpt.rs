//! What miette is given to draw: not a whole file, but an excerpt of the
//! lines a diagnostic's labels touch (with one line of context), so drawing
//! costs the size of the excerpt, not of the file.
//!
//! Long lines are cut to a window around the labels (miette pads with
//! `{:width$}`, which panics past 65,535 columns), control characters are
//! escaped (`\x1b`) so config text never reaches the terminal raw, and lines
//! are numbered by svcc's own line index (only `\n` ends a line, as in
//! Dovecot), so every format gives the same line and column.

use super::escape_char;
use crate::syntax::{SourceFile, Span};
use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};
use std::collections::BTreeSet;

/// Longest line drawn whole; a longer one is cut to this many bytes around
/// its labels.
const WINDOW: usize = 240;
/// Bytes shown before the first label on a cut line.
const LEAD: usize = 60;
/// A label over more lines than this is drawn on its first line only.
const MAX_LABEL_LINES: usize = 8;

/// One line of an excerpt.
#[derive(Debug)]
struct ExLine {
    /// Byte range in [`Excerpt::text`] (without the `\n`).
    start: usize,
    end: usize,
    /// 0-based line in the file.
    line: usize,
    /// The file's byte range shown (`from..to`), and the line's start.
    from: usize,
    to: usize,
    /// Where in the excerpt text the file's byte `from` is.
    shown_at: usize,
    /// File offsets just past each escaped character on this line, with the
    /// bytes the excerpt added up to there (sorted), for mapping offsets.
    grow: Vec<(usize, usize)>,
    /// The column (0-based, characters) of `from` in the file.
    col0: usize,
    /// The file's text `from..to`.
    orig: String,
}

/// A diagnostic's lines from one file, ready for miette.
#[derive(Debug)]
pub(crate) struct Excerpt {
    name: String,
    text: String,
    lines: Vec<ExLine>,
}

impl Excerpt {
    /// The lines of `file` that `spans` touch, with a line of context each.
    pub(crate) fn new(name: &str, file: &SourceFile, spans: &[Span]) -> Excerpt {
        let text = &*file.text;
        let mut wanted = BTreeSet::new();
        // Positions labels start or end at, per line (for windows).
        let mut marks: Vec<(usize, usize)> = Vec::new();
        let last_line = file.line_col(text.len() as u32).line;
        for s in spans {
            let (start, end) = clip(file, s);
            let a = file.line_col(start as u32).line;
            let b = file.line_col(end as u32).line;
            for l in a.saturating_sub(1).max(1)..=(b + 1).min(last_line) {
                wanted.insert(l);
            }
            marks.push((a, start));
            marks.push((b, end));
        }
        let mut out = Excerpt {
            name: escape(name),
            text: String::new(),
            lines: Vec::new(),
        };
        for l in wanted {
            let r = file.line_range(l);
            let (mut from, mut to) = (r.start, r.end);
            if to - from > WINDOW {
                let first = marks
                    .iter()
                    .filter(|m| m.0 == l)
                    .map(|m| m.1)
                    .min()
                    .unwrap_or(from);
                from = floor(text, first.saturating_sub(LEAD).max(r.start));
                to = floor(text, (from + WINDOW).min(r.end));
            }
            if !out.lines.is_empty() {
                out.text.push('\n');
            }
            let start = out.text.len();
            if from > r.start {
                out.text.push('…');
            }
            let shown_at = out.text.len();
            let mut grow = Vec::new();
            let mut added = 0usize;
            for (i, c) in text[from..to].char_indices() {
                match escape_char(c) {
                    Some(e) => {
                        out.text.push_str(&e);
                        added += e.len() - c.len_utf8();
                        grow.push((from + i + c.len_utf8(), added));
                    }
                    None => out.text.push(c),
                }
            }
            if to < r.end {
                out.text.push('…');
            }
            let end = out.text.len();
            out.lines.push(ExLine {
                start,
                end,
                line: l - 1,
                from,
                to,
                shown_at,
                grow,
                col0: file.line_col(from as u32).column - 1,
                orig: text[from..to].to_string(),
            });
        }
        out
    }

    /// The excerpt offset of file offset `at` (clamped to what is shown).
    fn map(&self, at: usize) -> usize {
        let i = self
            .lines
            .partition_point(|l| l.from <= at)
            .saturating_sub(1);
        let Some(l) = self.lines.get(i) else {
            return 0;
        };
        if at < l.from {
            return l.start;
        }
        if at > l.to {
            return l.end;
        }
        let k = l.grow.partition_point(|g| g.0 <= at);
        let added = if k == 0 { 0 } else { l.grow[k - 1].1 };
        l.shown_at + (at - l.from) + added
    }

    /// A label's span, in excerpt offsets.
    pub(crate) fn span(&self, file: &SourceFile, s: &Span) -> SourceSpan {
        let (start, end) = clip(file, s);
        let (a, z) = (self.map(start), self.map(end));
        (a, z.saturating_sub(a)).into()
    }

    /// The name shown.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }
}

/// A span's start and end, the end moved to its first line's end when the
/// span covers more than [`MAX_LABEL_LINES`] lines.
fn clip(file: &SourceFile, s: &Span) -> (usize, usize) {
    let len = file.text.len();
    let start = (s.start as usize).min(len);
    let end = (s.end as usize).clamp(start, len);
    let a = file.line_col(start as u32).line;
    let b = file.line_col(end as u32).line;
    if b - a > MAX_LABEL_LINES {
        (start, file.line_range(a).end.max(start))
    } else {
        (start, end)
    }
}

fn floor(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn escape(s: &str) -> String {
    super::escape_controls(s).into_owned()
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let at = |o: usize| {
            self.lines
                .partition_point(|l| l.start <= o)
                .saturating_sub(1)
        };
        if self.lines.is_empty() {
            return Err(MietteError::OutOfBounds);
        }
        let first = at(span.offset());
        let last = at(span.offset() + span.len().saturating_sub(1)).max(first);
        // Only lines that follow each other in the file form one snippet.
        for w in self.lines[first..=last].windows(2) {
            if w[0].line + 1 != w[1].line {
                return Err(MietteError::OutOfBounds);
            }
        }
        let mut a = first;
        while a > 0 && first - a < before && self.lines[a - 1].line + 1 == self.lines[a].line {
            a -= 1;
        }
        let mut z = last;
        while z + 1 < self.lines.len()
            && z - last < after
            && self.lines[z].line + 1 == self.lines[z + 1].line
        {
            z += 1;
        }
        let (from, to) = (self.lines[a].start, self.lines[z].end);
        let column = if before == 0 {
            self.file_column(first, span.offset())
        } else {
            0
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            &self.text.as_bytes()[from..to],
            (from, to - from).into(),
            self.lines[a].line,
            column,
            z - a + 1,
        )))
    }
}

impl Excerpt {
    /// The column (0-based, characters) in the file of excerpt offset `at`
    /// on excerpt line `i`.
    fn file_column(&self, i: usize, at: usize) -> usize {
        let l = &self.lines[i];
        let mut col = l.col0;
        let mut pos = l.shown_at;
        for c in l.orig.chars() {
            if pos >= at {
                break;
            }
            pos += escape_char(c).map_or(c.len_utf8(), |e| e.len());
            col += 1;
        }
        col
    }
}
