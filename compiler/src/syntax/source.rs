//! Source files, byte spans, and the one line index that turns a byte offset
//! into a line and column at each output edge.

use std::path::PathBuf;
use std::sync::Arc;

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A byte range `start..end` in one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    /// The file the range is in.
    pub file: FileId,
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// A span of `start..end` in `file`.
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both (which must be in the same file).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    /// Whether the span is empty.
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// A 1-based line and column; the column counts Unicode characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineCol {
    /// 1-based line.
    pub line: usize,
    /// 1-based column in characters.
    pub column: usize,
}

/// One configuration file as read.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as it was resolved from the command line (`conf.d/10-master.conf`
    /// beside a top file given as `conf/dovecot.conf` reads
    /// `conf/conf.d/10-master.conf`); `<stdin>` for standard input.
    pub name: String,
    /// The canonical path, used for cycle detection; `None` for stdin.
    pub path: Option<PathBuf>,
    /// The text (invalid UTF-8 replaced, and reported).
    pub text: Arc<str>,
    line_starts: Vec<u32>,
    /// UTF-8 continuation bytes before each multiple of [`BLOCK`], so a
    /// column costs at most one block's scan, however long the line.
    continuations: Vec<u32>,
    /// The file began with a byte-order mark, kept in `text` as three
    /// blanks (so offsets stay): one character for columns.
    bom: bool,
}

/// The stride of [`SourceFile`]'s continuation-byte index.
const BLOCK: usize = 4096;

fn is_continuation(b: u8) -> bool {
    b & 0xc0 == 0x80
}

impl SourceFile {
    /// Wraps `text` and indexes its lines.
    pub fn new(name: String, path: Option<PathBuf>, text: Arc<str>) -> SourceFile {
        let mut line_starts = vec![0u32];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| (i + 1) as u32));
        let mut continuations = Vec::with_capacity(text.len() / BLOCK + 1);
        let mut n = 0u32;
        for block in text.as_bytes().chunks(BLOCK) {
            continuations.push(n);
            n += block.iter().filter(|&&b| is_continuation(b)).count() as u32;
        }
        SourceFile {
            name,
            path,
            text,
            line_starts,
            continuations,
            bom: false,
        }
    }

    /// Marks the file as read from one that began with a byte-order mark,
    /// which `text` holds as three blanks.
    pub fn with_bom(mut self) -> SourceFile {
        self.bom = self.text.starts_with("   ");
        self
    }

    /// Continuation bytes in `text[..at]`.
    fn continuations_before(&self, at: usize) -> usize {
        let k = at / BLOCK;
        let base = self.continuations.get(k).copied().unwrap_or(0) as usize;
        let from = (k * BLOCK).min(at);
        base + self.text.as_bytes()[from..at]
            .iter()
            .filter(|&&b| is_continuation(b))
            .count()
    }

    /// Line and column (both 1-based, column in characters) of a byte offset.
    pub fn line_col(&self, offset: u32) -> LineCol {
        let offset = offset.min(self.text.len() as u32);
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line] as usize;
        let mut end = offset as usize;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let mut column =
            (end - start) - (self.continuations_before(end) - self.continuations_before(start)) + 1;
        // The mark's three bytes are one character.
        if self.bom && line == 0 {
            column -= column.saturating_sub(1).min(2);
        }
        LineCol {
            line: line + 1,
            column,
        }
    }

    /// The byte range of 1-based line `line`, without its line terminator.
    pub fn line_range(&self, line: usize) -> std::ops::Range<usize> {
        let start = self.line_starts[line - 1] as usize;
        let end = self
            .line_starts
            .get(line)
            .map(|&e| e as usize - 1)
            .unwrap_or(self.text.len());
        let end = if end > start && self.text.as_bytes()[end - 1] == b'\r' {
            end - 1
        } else {
            end
        };
        start..end
    }
}

/// Every file read for one config, top file first.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// Adds a file and returns its id.
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId(self.files.len() as u32 - 1)
    }

    /// The file with this id.
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// All files, in the order they were read.
    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    /// Shows paths under `base` relative to it (the macro reports paths
    /// relative to the crate's manifest).
    pub fn relativize(&mut self, base: &std::path::Path) {
        for f in &mut self.files {
            if let Ok(rel) = std::path::Path::new(&f.name).strip_prefix(base) {
                f.name = rel.to_string_lossy().into_owned();
            }
        }
    }

    /// The text a span covers.
    pub fn text(&self, span: Span) -> &str {
        &self.get(span.file).text[span.start as usize..span.end as usize]
    }

    /// Start and (exclusive) end of a span as lines and columns.
    pub fn range(&self, span: Span) -> (LineCol, LineCol) {
        let f = self.get(span.file);
        (f.line_col(span.start), f.line_col(span.end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_byte_order_mark_is_one_column() {
        // Read from "\u{feff}a = 1\nb = 2\n": the mark kept as blanks.
        let f = SourceFile::new("t".into(), None, Arc::from("   a = 1\nb = 2\n")).with_bom();
        let col = |at| f.line_col(at).column;
        assert_eq!((col(0), col(3), col(4), col(7)), (1, 2, 3, 6));
        assert_eq!(f.line_col(9), LineCol { line: 2, column: 1 });
    }

    #[test]
    fn columns_count_characters_across_blocks() {
        let text: String = (0..3000)
            .map(|i| match i % 7 {
                0 => "é",
                1 => "\n",
                2 => "€uro",
                _ => "ab",
            })
            .collect::<String>()
            + &"ü".repeat(5000);
        let f = SourceFile::new("t".into(), None, Arc::from(text.as_str()));
        for (at, _) in text.char_indices().step_by(7).chain([(text.len(), ' ')]) {
            let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
            let want = text[line_start..at].chars().count() + 1;
            assert_eq!(f.line_col(at as u32).column, want, "at {at}");
        }
    }
}
