//! Text → syntax tree: the pest grammar, include expansion (globs, cycles,
//! limits), and the section tree with byte spans.
//!
//! [`load`] never stops at a mistake: every problem becomes a [`Diagnostic`]
//! and reading goes on at the next line, so one run reports everything.

mod include;
mod parse;
mod source;

#[doc(hidden)]
pub use include::{expand_braces, expand_glob, read_regular, Limit, ReadError};
pub use parse::{parse, Stmt};
pub use source::{FileId, LineCol, SourceFile, SourceMap, Span};

use crate::check::codes;
use crate::report::Diagnostic;
use foldhash::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Deepest include nesting svcc follows.
pub const MAX_INCLUDE_DEPTH: usize = 32;
/// Largest file svcc reads.
pub const MAX_FILE_SIZE: u64 = 16 << 20;
/// Most files one config may read.
pub const MAX_FILES: usize = 4096;
/// Most bytes one config may read, all files together.
pub const MAX_TOTAL_BYTES: u64 = 64 << 20;
/// Deepest section nesting svcc keeps (deeper sections are flattened).
pub const MAX_SECTION_DEPTH: usize = 64;
/// Most paths one include pattern's `{a,b}` alternatives may expand to.
pub const MAX_BRACE_RESULTS: usize = 1024;
/// Most `{` one include pattern may hold.
pub const MAX_BRACE_GROUPS: usize = 1024;
/// Most directory entries the globs of one config may look at.
pub const MAX_GLOB_ENTRIES: usize = 100_000;
/// Largest value `$name` expansion may build (a longer value as written may
/// keep its length).
pub const MAX_VALUE_SIZE: usize = 64 << 10;
/// Most bytes `$name` expansion may build, all values together.
pub const MAX_EXPANDED_BYTES: usize = 64 << 20;
/// Most problems svcc describes per file at each stage (reading, then
/// modelling); the others are counted in one `svcc::limit` diagnostic (a
/// file of garbage has one per line, millions in 16 MiB).
pub const MAX_DIAGNOSTICS_PER_FILE: usize = 1000;
/// Most `$name` look-ups that get a "did you mean" (each compares the name
/// with every setting name).
pub const MAX_SUGGESTIONS: usize = 100;

/// `key = value` with spans.
#[derive(Debug, Clone)]
pub struct Setting {
    /// The key.
    pub key: String,
    /// Where the key is.
    pub key_span: Span,
    /// The value as Dovecot reads it (unquoted, continuations joined).
    pub value: String,
    /// Where the value is (as written, quotes included).
    pub value_span: Span,
    /// Whether Dovecot unquoted the value (it started and ended with the
    /// same quote).
    pub quoted: bool,
}

impl Setting {
    /// Whether Dovecot reads the value for `$name` references and `<file`:
    /// only a value that does not start with a quote (config-parser.c
    /// checks the first character, so `"a" $b` is text too).
    pub fn expands(&self) -> bool {
        !self.quoted && !self.value.starts_with(['"', '\''])
    }

    /// From the key's start to the value's end.
    pub fn span(&self) -> Span {
        self.key_span.to(self.value_span)
    }
}

/// `kind name { ... }` with spans.
#[derive(Debug, Clone)]
pub struct Section {
    /// The section type (`service`, `unix_listener`, `protocol`, ...).
    pub kind: String,
    /// Where the type is.
    pub kind_span: Span,
    /// The name, unquoted.
    pub name: Option<String>,
    /// Where the name is.
    pub name_span: Option<Span>,
    /// The whole header line, up to and including `{`.
    pub header: Span,
    /// The contents, includes expanded in place.
    pub items: Vec<Item>,
}

/// An entry of a section (or of the top level).
#[derive(Debug, Clone)]
pub enum Item {
    /// `key = value`.
    Setting(Setting),
    /// `kind name { ... }`.
    Section(Section),
}

/// A config read with all its includes.
#[derive(Debug)]
pub struct Document {
    /// Every file read, top file first.
    pub sources: SourceMap,
    /// The top level's entries.
    pub items: Vec<Item>,
    /// Every `!include`/`!include_try`: its pattern's span and the files it
    /// read.
    pub includes: Vec<(Span, Vec<FileId>)>,
}

/// Unsaved editor buffers by canonical path: read instead of the files on
/// disk.
pub type Overlay = std::collections::HashMap<PathBuf, String>;

/// Why the top file could not be read at all (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Reading failed.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path as given.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is over [`MAX_FILE_SIZE`].
    #[error("{path} is {size} bytes, over svcc's limit of {MAX_FILE_SIZE} bytes")]
    TooLarge {
        /// The path as given.
        path: String,
        /// Its size.
        size: u64,
    },
}

/// Reads the config at `path` (`-` for standard input) with every include.
pub fn load_path(path: &str) -> Result<(Document, Vec<Diagnostic>), LoadError> {
    let (name, canon, bytes) = if path == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(std::io::stdin(), MAX_FILE_SIZE + 1),
            &mut buf,
        )
        .map_err(|source| LoadError::Io {
            path: "<stdin>".into(),
            source,
        })?;
        if buf.len() as u64 > MAX_FILE_SIZE {
            return Err(LoadError::TooLarge {
                path: "<stdin>".into(),
                size: buf.len() as u64,
            });
        }
        ("<stdin>".to_string(), None, buf)
    } else {
        let bytes = read_top(Path::new(path)).map_err(|e| match e {
            ReadError::Io(source) => LoadError::Io {
                path: path.into(),
                source,
            },
            ReadError::TooLarge(size) => LoadError::TooLarge {
                path: path.into(),
                size,
            },
            ReadError::NotRegular(what) => LoadError::Io {
                path: path.into(),
                source: std::io::Error::other(format!("it is {what}")),
            },
        })?;
        (path.to_string(), std::fs::canonicalize(path).ok(), bytes)
    };
    Ok(load_bytes(name, canon, bytes, &Overlay::new()))
}

/// The top file: named by the user, so a pipe (`svcc check <(cmd)`) or
/// `/dev/stdin` is read as it comes; only a directory is refused.
fn read_top(path: &Path) -> Result<Vec<u8>, ReadError> {
    let f = std::fs::File::open(path).map_err(ReadError::Io)?;
    let meta = f.metadata().map_err(ReadError::Io)?;
    if meta.is_dir() {
        return Err(ReadError::NotRegular("a directory"));
    }
    // Sized from fstat (0 for a pipe): one read and the one that sees the end.
    let mut buf = Vec::with_capacity((meta.len().min(MAX_FILE_SIZE) + 1) as usize);
    std::io::Read::read_to_end(&mut std::io::Read::take(f, MAX_FILE_SIZE + 1), &mut buf)
        .map_err(ReadError::Io)?;
    if buf.len() as u64 > MAX_FILE_SIZE {
        return Err(ReadError::TooLarge(buf.len() as u64));
    }
    Ok(buf)
}

/// Reads a config given as text; includes are resolved relative to `name`'s
/// directory.
pub fn load_str(name: &str, text: &str) -> (Document, Vec<Diagnostic>) {
    load_overlay(name, text, &Overlay::new())
}

/// Like [`load_str`], with included files read from `overlay` where it has
/// them (an editor's unsaved buffers).
pub fn load_overlay(name: &str, text: &str, overlay: &Overlay) -> (Document, Vec<Diagnostic>) {
    load_overlay_bytes(name, text.as_bytes().to_vec(), overlay)
}

/// Like [`load_overlay`], the top file given as bytes (read from disk:
/// not necessarily UTF-8).
pub fn load_overlay_bytes(
    name: &str,
    bytes: Vec<u8>,
    overlay: &Overlay,
) -> (Document, Vec<Diagnostic>) {
    let canon = std::fs::canonicalize(name).ok();
    load_bytes(name.to_string(), canon, bytes, overlay)
}

fn load_bytes(
    name: String,
    canon: Option<PathBuf>,
    bytes: Vec<u8>,
    overlay: &Overlay,
) -> (Document, Vec<Diagnostic>) {
    let mut loader = Loader {
        overlay,
        includes: Vec::new(),
        sources: SourceMap::default(),
        diags: Vec::new(),
        stack: Vec::new(),
        canon_dirs: Default::default(),
        set_keys: HashSet::default(),
        total_bytes: 0,
        limit_reported: false,
        glob_budget: MAX_GLOB_ENTRIES,
        glob_limit_reported: false,
        suggestions: 0,
        budget: Default::default(),
        v24: None,
    };
    let mut items = Vec::new();
    let id = loader.add_file(name, canon.clone(), bytes);
    if let Some(c) = canon {
        loader.stack.push((c, loader.sources.get(id).name.clone()));
    }
    loader.file(id, &mut items, 0, 0);
    loader.budget.finish(&mut loader.diags);
    (
        Document {
            sources: loader.sources,
            items,
            includes: loader.includes,
        },
        loader.diags,
    )
}

struct Loader<'o> {
    /// Unsaved buffers read instead of disk.
    overlay: &'o Overlay,
    /// Each include and the files it read.
    includes: Vec<(Span, Vec<FileId>)>,
    sources: SourceMap,
    diags: Vec<Diagnostic>,
    /// Canonical paths of the files being read (cycle detection).
    stack: Vec<(PathBuf, String)>,
    /// Canonical directories resolved so far (most includes share one).
    canon_dirs: std::collections::HashMap<PathBuf, Option<PathBuf>>,
    /// Keys assigned so far, for `$name` references.
    set_keys: HashSet<String>,
    /// Bytes read so far.
    total_bytes: u64,
    /// Whether a size or count limit was reported (once is enough).
    limit_reported: bool,
    /// Directory entries the globs may still look at.
    glob_budget: usize,
    /// Whether running out of it was reported.
    glob_limit_reported: bool,
    /// "Did you mean" look-ups made so far.
    suggestions: usize,
    /// Problems described per file.
    budget: crate::report::FileBudget,
    /// Whether the top file is a Dovecot 2.4 config (its first statement
    /// sets `dovecot_config_version`), once it is read.
    v24: Option<bool>,
}

/// A section being read, before its `}`.
struct Open {
    section: Section,
}

impl Loader<'_> {
    /// `std::fs::canonicalize(path)`, with the directory's resolution
    /// cached: `realpath` reads a link per path component, and a config's
    /// includes mostly share a directory. A file that is itself a link is
    /// resolved whole.
    fn canonical(&mut self, path: &Path) -> Option<PathBuf> {
        let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
            return std::fs::canonicalize(path).ok();
        };
        if name == ".." || name == "." || dir.as_os_str().is_empty() {
            return std::fs::canonicalize(path).ok();
        }
        let meta = std::fs::symlink_metadata(path).ok()?;
        if meta.file_type().is_symlink() {
            return std::fs::canonicalize(path).ok();
        }
        let dir = self
            .canon_dirs
            .entry(dir.to_path_buf())
            .or_insert_with(|| std::fs::canonicalize(dir).ok())
            .clone()?;
        Some(dir.join(name))
    }

    fn add_file(&mut self, name: String, canon: Option<PathBuf>, mut bytes: Vec<u8>) -> FileId {
        self.total_bytes += bytes.len() as u64;
        // A byte-order mark becomes blanks (offsets stay), with a warning.
        let bom = bytes.starts_with(b"\xEF\xBB\xBF");
        if bom {
            bytes[..3].copy_from_slice(b"   ");
        }
        // Dovecot reads each line as a C string: a NUL byte ends it. The
        // NUL and the rest of its line become blanks (offsets stay), with a
        // warning on the first.
        let mut nul_lines = 0usize;
        let mut first_nul = None;
        let mut at = 0;
        while let Some(i) = memchr::memchr(0, &bytes[at..]).map(|i| at + i) {
            let end = memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |e| i + e);
            bytes[i..end].fill(b' ');
            first_nul.get_or_insert(i);
            nul_lines += 1;
            at = end;
        }
        // Dovecot 2.4 takes a vertical tab, form feed or lone CR for a
        // blank where it looks for blanks (2.3 for text).
        if *self.v24.get_or_insert_with(|| starts_24(&bytes)) {
            blanks_24(&mut bytes);
        }
        let (text, bad_at) = match String::from_utf8(bytes) {
            Ok(s) => (s, None),
            Err(e) => {
                let at = first_bad_outside_comment(e.as_bytes());
                (String::from_utf8_lossy(e.as_bytes()).into_owned(), at)
            }
        };
        // A `\` continuing the top file's last line onto the end of the
        // file continues it onto nothing: Dovecot drops the statement, as it
        // does one continued onto a blank line (which a final newline makes
        // it). (An included file's continues into the including file.)
        let mut text = text;
        let last = &text[text.rfind('\n').map_or(0, |i| i + 1)..];
        let top = self.sources.files().count() == 0;
        if top
            && parse::code(last)
                .trim_end_matches([' ', '\t', '\r'])
                .ends_with('\\')
        {
            text.push('\n');
        }
        let file = SourceFile::new(name, canon, Arc::from(text));
        let id = self.sources.add(if bom { file.with_bom() } else { file });
        if bom {
            self.diags.push(
                Diagnostic::error(codes::ENCODING, "this file starts with a byte-order mark")
                    .label(Span::new(id, 0, 3), "U+FEFF")
                    .help("save the file as UTF-8 without a BOM: Dovecot reads the mark as part of the first line's key and fails with \"Unknown setting\""),
            );
        }
        if let Some(at) = first_nul {
            let more = match nul_lines {
                1 => String::new(),
                n => format!(" ({n} lines hold one)"),
            };
            self.diags.push(
                Diagnostic::warning(codes::NUL_BYTE, format!("a NUL byte ends this line for Dovecot{more}"))
                    .label(Span::new(id, at, at + 1), "NUL byte: Dovecot ignores the rest of the line")
                    .help("remove the NUL bytes (`tr -d '\\000'`): Dovecot reads each line up to its first NUL and drops the rest without a word, and svcc reads it so too"),
            );
        }
        if let Some(at) = bad_at {
            let end = self.sources.get(id).text[at..]
                .char_indices()
                .nth(1)
                .map(|(i, _)| at + i)
                .unwrap_or(at);
            self.diags.push(
                Diagnostic::error(codes::ENCODING, "this file is not valid UTF-8")
                    .label(Span::new(id, at, end), "invalid byte sequence here")
                    .help("Dovecot configs are UTF-8 text: re-save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)"),
            );
        }
        id
    }

    /// Reads one file's statements into `parent`. `depth` is the include
    /// depth, `outer` the number of sections open in the including files.
    fn file(&mut self, id: FileId, parent: &mut Vec<Item>, depth: usize, outer: usize) {
        let text = self.sources.get(id).text.clone();
        let mut open: Vec<Open> = Vec::new();
        // Sections past MAX_SECTION_DEPTH: counted, not kept.
        let mut skipped = 0usize;
        // The previous line, when it was a header-like garbage line (for a
        // `{` on the next line).
        let mut prev_garbage: Option<std::ops::Range<usize>> = None;
        for stmt in parse(&text) {
            let garbage_now = matches!(stmt, Stmt::Garbage(_));
            let prev = if garbage_now {
                prev_garbage.take()
            } else {
                None
            };
            prev_garbage = None;
            // A statement continued onto a blank or comment-only line, or
            // past the end of the file: Dovecot drops it.
            let (what, last) = match &stmt {
                Stmt::Assign { key, value, .. } => (Some(key.clone()), value.end.max(key.end)),
                Stmt::Open { header, .. } => (Some(header.clone()), header.end),
                Stmt::Close(r) | Stmt::Garbage(r) => (Some(r.clone()), r.end),
                Stmt::Include { stmt, .. } => (Some(stmt.clone()), stmt.end),
                Stmt::AmbiguousHash(_) => (None, 0),
            };
            if let Some(what) = what {
                if let Some(bs) = parse::continued_onto_nothing(&text, last.saturating_sub(1)) {
                    self.dropped(id, &text, what, bs, matches!(stmt, Stmt::Assign { .. }));
                    continue;
                }
            }
            match stmt {
                Stmt::Assign {
                    key,
                    value,
                    text: v,
                    quoted,
                } => {
                    let key_span = Span::new(id, key.start, key.end);
                    let value_span = Span::new(id, value.start, value.end);
                    // `executable = imap }`: Dovecot reads `imap }` as the
                    // value (a number then fails as one) and keeps the
                    // section open, as svcc does; say so.
                    if !quoted && !open.is_empty() {
                        let raw = &text[value.clone()];
                        // Only a `}` the value never opened: `%{ domain }` is a value.
                        let unbalanced = raw.matches('}').count() > raw.matches('{').count();
                        if unbalanced && (raw == "}" || raw.ends_with(" }") || raw.ends_with("\t}")) {
                            let brace = Span::new(id, value.end - 1, value.end);
                            if self.budget.admit_as(brace, crate::Severity::Warning) {
                                self.diags.push(
                                    Diagnostic::warning(codes::BRACE_IN_VALUE, format!("`}}` after the value of `{}` is part of the value", &text[key.clone()]))
                                        .label(brace, "Dovecot reads this `}` as part of the value; the section stays open")
                                        .help("put the `}` on a line of its own; as written, Dovecot keeps the section open, so what follows is read inside it"),
                                );
                            }
                        }
                    }
                    // 2.3 ends a key at a blank or `=`, quotes or not: `"a
                    // b" = c` is the key `"a` and text it refuses.
                    let raw_key = &text[key.clone()];
                    if self.v24 != Some(true) && raw_key.starts_with('"') && raw_key.contains([' ', '\t', '=']) {
                        if self.budget.admit(key_span) {
                            self.diags.push(
                                Diagnostic::error(codes::SYNTAX, "Dovecot 2.3 reads no quoted key")
                                    .label(key_span, "the key ends at the first blank or `=` for Dovecot 2.3")
                                    .help("write the key without quotes and blanks; Dovecot 2.3 fails here with \"Expecting '{'\" (2.4 reads quoted keys: start the config with `dovecot_config_version = 2.4.0`)"),
                            );
                        }
                        continue;
                    }
                    // 2.4 reads a key that starts with `"` up to its
                    // closing quote (`"process_limit" = 5`), escapes kept.
                    let (key, key_span) = match quoted_key(&text[key.clone()]) {
                        Some(inner) if self.v24 == Some(true) => (
                            inner.to_string(),
                            Span::new(id, key.start + 1, key.end - 1),
                        ),
                        _ => (text[key].to_string(), key_span),
                    };
                    let setting = Setting {
                        key,
                        key_span,
                        value: v,
                        value_span,
                        quoted,
                    };
                    self.check_value(id, &setting);
                    if !self.set_keys.contains(&setting.key) {
                        self.set_keys.insert(setting.key.clone());
                    }
                    target(&mut open, parent).push(Item::Setting(setting));
                }
                Stmt::Open { header, kind, name } => {
                    // A quote in the header that does not close hides the
                    // comment after `{` from Dovecot ("Garbage after '{'").
                    let line_start = text[..header.start].rfind('\n').map_or(0, |i| i + 1);
                    let line = text[line_start..].split('\n').next().unwrap_or("");
                    let (len, unclosed) = parse::code_len(line.as_bytes());
                    let seen = line[..len].trim_end_matches([' ', '\t', '\r']);
                    if unclosed && !seen.ends_with('{') && !text[header.clone()].contains('\n') {
                        let after = line_start + seen.rfind('{').map_or(0, |b| b + 1);
                        let span = Span::new(id, after, line_start + seen.len());
                        if self.budget.admit(span) {
                            self.diags.push(
                                Diagnostic::error(codes::SYNTAX, "text after `{` on a section header")
                                    .label(span, "a comment to svcc, but not to Dovecot")
                                    .help("a quote in the header that never closes makes Dovecot read the rest of the line, comment included (it fails with \"Garbage after '{'\"); close the quote or drop the comment"),
                            );
                        }
                    }
                    // (2.4 reads a quoted type as it reads a quoted key.)
                    let (kind_s, kind) = match quoted_key(&text[kind.clone()]) {
                        Some(inner) if self.v24 == Some(true) => {
                            (inner.to_string(), kind.start + 1..kind.end - 1)
                        }
                        _ => (text[kind.clone()].to_string(), kind),
                    };
                    if outer + open.len() >= MAX_SECTION_DEPTH {
                        self.too_deep(Span::new(id, header.start, header.end), &mut skipped);
                        continue;
                    }
                    open.push(Open {
                        section: Section {
                            kind: kind_s,
                            kind_span: Span::new(id, kind.start, kind.end),
                            name_span: name.as_ref().map(|(_, r)| Span::new(id, r.start, r.end)),
                            name: name.map(|(n, _)| n),
                            header: Span::new(id, header.start, header.end),
                            items: Vec::new(),
                        },
                    });
                }
                Stmt::Close(r) => {
                    if skipped > 0 {
                        skipped -= 1;
                    } else if open.is_empty() {
                        if !self.budget.admit(Span::new(id, r.start, r.end)) {
                            continue;
                        }
                        self.diags.push(
                            Diagnostic::error(codes::UNEXPECTED_CLOSE, "`}` closes no section")
                                .label(Span::new(id, r.start, r.end), "no section is open here")
                                .help("remove this `}`, or add the section header it was meant to close; every `{` and its `}` must be in the same file"),
                        );
                    } else {
                        close(&mut open, parent, &mut skipped);
                    }
                }
                Stmt::Include {
                    stmt,
                    try_,
                    pattern,
                    pattern_range,
                } => {
                    let stmt_span = Span::new(id, stmt.start, stmt.end);
                    let pat_span = Span::new(id, pattern_range.start, pattern_range.end);
                    let sections = outer + open.len();
                    self.include(id, stmt_span, pat_span, &pattern, try_, target(&mut open, parent), (depth, sections));
                }
                Stmt::Garbage(r) => {
                    let header_like = {
                        let l = text[r.clone()].trim();
                        !l.is_empty() && !l.contains(['{', '}', '=', '!', '#'])
                    };
                    let muted = !self.budget.admit(Span::new(id, r.start, r.end));
                    if !self.garbage(id, &text, r.clone(), prev, &mut open, parent, &mut skipped, muted) && header_like {
                        prev_garbage = Some(r);
                    }
                }
                Stmt::AmbiguousHash(at)
                    if !self
                        .budget
                        .admit_as(Span::new(id, at, at + 1), crate::Severity::Warning) => {}
                Stmt::AmbiguousHash(at) => self.diags.push(
                    Diagnostic::warning(codes::AMBIGUOUS_COMMENT, "`#` with no blank before it starts a comment")
                        .label(Span::new(id, at, at + 1), "the rest of the line is ignored")
                        .help("add a space before `#` if it is meant as a comment, or quote the value (`\"a#b\"`) if `#` is part of it; Dovecot warns about this too"),
                ),
            }
        }
        // Sections still open at the end of their file.
        while let Some(o) = open.pop() {
            let what = match &o.section.name {
                Some(n) => format!("`{} {}`", o.section.kind, n),
                None => format!("`{}`", o.section.kind),
            };
            self.diags.push(
                Diagnostic::error(codes::UNCLOSED_SECTION, format!("section {what} is never closed"))
                    .label(o.section.header, "this `{` has no matching `}` in this file")
                    .help("add a `}` on a line of its own where the section ends; svcc requires each section to end in the file it starts in (Dovecot would report \"Missing '}'\" or silently continue it in the next file)"),
            );
            target(&mut open, parent).push(Item::Section(o.section));
        }
    }

    /// Reports a line the grammar rejects, and recovers so that the lines
    /// after it keep their meaning. Returns whether it opened a section.
    #[allow(clippy::too_many_arguments)]
    fn garbage(
        &mut self,
        id: FileId,
        text: &str,
        r: std::ops::Range<usize>,
        prev: Option<std::ops::Range<usize>>,
        open: &mut Vec<Open>,
        parent: &mut Vec<Item>,
        skipped: &mut usize,
        muted: bool,
    ) -> bool {
        let line = &text[r.clone()];
        let span = Span::new(id, r.start, r.end);
        let code_part = line.split(" #").next().unwrap_or(line).trim_end();
        if muted {
            // Past the file's budget: the same recovery, nothing described.
            if code_part.split_whitespace().next().is_none() {
                return false;
            }
            if code_part == "{" {
                let (hspan, h) = match &prev {
                    Some(p) => (
                        Span::new(id, p.start, p.end),
                        text[p.clone()].trim().to_string(),
                    ),
                    None => (span, String::new()),
                };
                self.recover_open(id, hspan, &h, open, skipped);
                return true;
            }
            if line.starts_with('}') {
                close(open, parent, skipped);
                return false;
            }
            if let Some(brace) = code_part.find('{') {
                if !code_part.ends_with('}') {
                    self.recover_open(id, span, code_part[..brace].trim_end(), open, skipped);
                    return true;
                }
            }
            return false;
        }
        let first = line.split([' ', '\t']).next().unwrap_or("");
        let words: Vec<&str> = code_part.split_whitespace().collect();
        if words.is_empty() {
            let d = if line.trim_matches([' ', '\t']).bytes().all(|b| b == b'\r') {
                // Only carriage returns (a file converted to CRLF twice).
                Diagnostic::error(codes::SYNTAX, "stray carriage return")
                    .label(span, "a line of only `\\r` characters")
                    .help("convert the file's line endings once (`dos2unix FILE`); Dovecot rejects this line too")
            } else {
                Diagnostic::error(codes::SYNTAX, "a line of blanks Dovecot does not skip")
                    .label(span, "vertical tab, form feed or carriage return")
                    .help("remove them: Dovecot skips only spaces and tabs here and rejects this line (\"Expecting '{'\")")
            };
            self.diags.push(d);
            return false;
        }
        if code_part == "{" {
            // A `{` on the line after its header.
            let mut d = Diagnostic::error(codes::SYNTAX, "`{` must end its section header's line")
                .label(
                    Span::new(
                        id,
                        r.start + line.find('{').unwrap_or(0),
                        r.start + line.find('{').unwrap_or(0) + 1,
                    ),
                    "on a line of its own",
                );
            let header = prev
                .clone()
                .map(|p| (text[p.clone()].trim().to_string(), p));
            if let Some((h, p)) = &header {
                // The header's own "expected key = value" is this mistake.
                if self.diags.last().and_then(|d| d.primary())
                    == Some(Span::new(id, p.start, p.end))
                {
                    self.diags.pop();
                }
                d = d
                    .label(Span::new(id, p.start, p.end), "the header")
                    .help(format!(
                        "write `{h} {{` on one line (Dovecot fails here with \"Expecting '{{'\")"
                    ));
            } else {
                d = d.help("a section starts with `TYPE [NAME] {` on one line");
            }
            self.diags.push(d);
            let (hspan, h) = match &header {
                Some((h, p)) => (Span::new(id, p.start, p.end), h.clone()),
                None => (span, String::new()),
            };
            self.recover_open(id, hspan, &h, open, skipped);
            return true;
        }
        if let Some(rest) = line.strip_prefix('}') {
            // `};` or `} x`: treat as the close it was meant to be.
            let rest = rest.trim_start();
            let at = r.end - rest.len();
            self.diags.push(
                Diagnostic::error(codes::SYNTAX, "`}` must stand alone on its line")
                    .label(Span::new(id, at, r.end), "unexpected text after `}`")
                    .help(
                        "remove what follows the `}` (Dovecot fails here with \"Expecting '{'\")",
                    ),
            );
            close(open, parent, skipped);
            return false;
        }
        if let Some(brace) = code_part.find('{') {
            let after = code_part[brace + 1..].trim();
            let header = code_part[..brace].trim_end();
            let separate = brace > 0 && code_part[..brace].ends_with([' ', '\t']);
            let (message, label, help) = if !after.is_empty() {
                (
                    "text after `{` on a section header".to_string(),
                    "nothing may follow `{` on its line",
                    "put each setting on its own line after the header, and the closing `}` on a line of its own (Dovecot fails here with \"Garbage after '{'\")".to_string(),
                )
            } else if separate && {
                // The name after the type: a quote that never closes?
                let rest = header
                    .trim_start()
                    .split_once([' ', '\t'])
                    .map_or("", |(_, r)| r.trim_start());
                // (Only `"` quotes a name, and its next `"` closes it:
                // Dovecot reads no escape there.)
                rest.strip_prefix('"').is_some_and(|r| !r.contains('"'))
            } {
                (
                    "the quoted section name is not closed".to_string(),
                    "no closing quote before `{`",
                    "close the quote (`service \"imap\" {`) or drop it (Dovecot fails here with \"Expecting '{'\")".to_string(),
                )
            } else if separate {
                (
                    "a section header has at most a type and one name before `{`".to_string(),
                    "too many words before `{`",
                    "write `TYPE {` or `TYPE NAME {`, quoting a name with blanks (`mailbox \"Sent Items\" {`) (Dovecot fails here with \"Expecting '{'\")".to_string(),
                )
            } else {
                (
                    "`{` must be a separate word".to_string(),
                    "write a blank before `{`",
                    format!("write `{header} {{` (Dovecot fails here with \"Expecting '{{'\")"),
                )
            };
            let lspan = if !after.is_empty() {
                let tail = &code_part[brace + 1..];
                let off = r.start + brace + 1 + (tail.len() - tail.trim_start().len());
                Span::new(id, off, r.start + code_part.len())
            } else if separate {
                Span::new(id, r.start, r.start + header.len())
            } else {
                Span::new(id, r.start + brace, r.start + brace + 1)
            };
            self.diags.push(
                Diagnostic::error(codes::SYNTAX, message)
                    .label(lspan, label)
                    .help(help),
            );
            // Recover: a header that opens a block keeps the following `}`
            // balanced, unless the block closes on the same line.
            if !code_part.ends_with('}') {
                self.recover_open(id, span, header, open, skipped);
                return true;
            }
            return false;
        }
        if first == "!include" || first == "!include_try" {
            self.empty_include(first == "!include_try", span);
        } else if first.starts_with('!') {
            self.diags.push(
                Diagnostic::error(codes::SYNTAX, format!("unknown directive `{first}`"))
                    .label(span, "not `!include` or `!include_try`")
                    .help(match crate::model::catalogue::suggest(first, ["!include", "!include_try"]) {
                        Some(s) => format!("did you mean `{s}`? The only directives are `!include PATTERN` and `!include_try PATTERN`"),
                        None => "the only directives are `!include PATTERN` and `!include_try PATTERN`".to_string(),
                    }),
            );
        } else {
            let help = if words.len() == 1 {
                format!("a setting needs `=`: write `{} = VALUE`", words[0])
            } else {
                format!(
                    "write `{} = {}` for a setting, or end the line with ` {{` to open a section (Dovecot fails here with \"Expecting '{{'\")",
                    words[0],
                    words[1..].join(" ")
                )
            };
            self.diags.push(
                Diagnostic::error(
                    codes::SYNTAX,
                    "expected `key = value`, a section header or `}`",
                )
                .label(span, "this line is neither a setting nor a section")
                .help(help),
            );
        }
        false
    }

    /// Opens the section a broken header meant (`kind [name]`), so the
    /// lines up to its `}` keep their place.
    fn recover_open(
        &mut self,
        id: FileId,
        header_span: Span,
        header: &str,
        open: &mut Vec<Open>,
        skipped: &mut usize,
    ) {
        let base = header_span.start as usize;
        let mut words = header.split([' ', '\t']).filter(|w| !w.is_empty());
        let kind = words.next().unwrap_or("").trim_end_matches('{').to_string();
        let name = words.next().map(|n| n.trim_matches('"').to_string());
        let name_span = name.as_ref().and_then(|n| {
            let at = header.find(n.as_str())?;
            Some(Span::new(id, base + at, base + at + n.len()))
        });
        let at = self.sources.get(id).text[base..]
            .find(kind.as_str())
            .unwrap_or(0);
        let section = Section {
            kind_span: Span::new(id, base + at, base + at + kind.len()),
            kind,
            name,
            name_span,
            header: header_span,
            items: Vec::new(),
        };
        if open.len() >= MAX_SECTION_DEPTH {
            self.too_deep(header_span, skipped);
        } else {
            open.push(Open { section });
        }
    }

    /// A section past [`MAX_SECTION_DEPTH`]: reported once, its contents
    /// flattened into the enclosing section.
    fn too_deep(&mut self, header: Span, skipped: &mut usize) {
        if *skipped == 0 && !self.limit_reported {
            self.limit_reported = true;
            self.diags.push(
                Diagnostic::error(
                    codes::LIMIT,
                    format!("sections nest deeper than {MAX_SECTION_DEPTH} levels"),
                )
                .label(header, "this section and those inside it are flattened")
                .help("no Dovecot config nests this deep; check for `{` without a matching `}`"),
            );
        }
        *skipped += 1;
    }

    /// A statement (`what`: a setting's key, else the statement) Dovecot
    /// drops because the `\\` at `bs` continues it onto a blank or
    /// comment-only line or past the end of the file.
    fn dropped(
        &mut self,
        id: FileId,
        text: &str,
        what: std::ops::Range<usize>,
        bs: usize,
        setting: bool,
    ) {
        // (Its first line, without the continuation.)
        let first = text[what.clone()].split('\n').next().unwrap_or("");
        let what = what.start..what.start + first.trim_end_matches([' ', '\t', '\r', '\\']).len();
        let span = Span::new(id, what.start, what.end);
        if !self.budget.admit_as(span, crate::Severity::Warning) {
            return;
        }
        let (message, label) = match setting {
            true => (
                format!("Dovecot drops `{}`", &text[what]),
                "this setting is not set",
            ),
            false => (
                format!("Dovecot drops `{}`", elide(&text[what])),
                "this line is not read",
            ),
        };
        self.diags.push(
            Diagnostic::warning(codes::DROPPED_CONTINUATION, format!("{message}: its `\\` continues it onto a blank or comment-only line"))
                .label(span, label)
                .label(Span::new(id, bs, bs + 1), "continued onto a blank or comment line")
                .help("remove this `\\` (or the blank line after it): Dovecot discards a statement whose continuation meets a blank or comment line, and svcc does not read it either"),
        );
    }

    /// `$name` references and `<file` values.
    fn check_value(&mut self, id: FileId, s: &Setting) {
        if !s.expands() {
            return;
        }
        if let Some(path) = s.value.strip_prefix('<') {
            // Past the file's budget, not even looked up.
            if self.budget.full(id) {
                return;
            }
            let path = path.trim();
            let full = self.relative_to(id, path);
            if !Path::new(&full).exists()
                && self.budget.admit_as(s.value_span, crate::Severity::Warning)
            {
                self.diags.push(
                    Diagnostic::warning(codes::FILE_NOT_FOUND, format!("`{}` reads file `{full}`, which does not exist", s.key))
                        .label(s.value_span, "file reference")
                        .help("create the file or fix the path (relative to this config file); `doveconf -n` does not read it, but the service fails when it starts"),
                );
            }
            return;
        }
        if !s.value.contains('$') {
            return;
        }
        let base = s.value_span.start as usize;
        let raw = self.sources.text(s.value_span).to_string();
        // Dovecot splits the value at spaces and skips blanks before a
        // token: a `$` after a tab alone is inside a token (`/x\t$y` is
        // text).
        let token_start = |i: usize| {
            let before = &raw[..i];
            let word = before.trim_end_matches([' ', '\t']);
            word.is_empty() || before[word.len()..].contains(' ')
        };
        for (i, c) in raw.char_indices() {
            if c == '$' && token_start(i) {
                let rest = &raw[i + 1..];
                // 2.4 (its config sets `dovecot_config_version` first)
                // expands only `$SET:name`: a bare `$name` is text there.
                if rest.starts_with("ENV:")
                    || (!rest.starts_with("SET:")
                        && self.set_keys.contains("dovecot_config_version"))
                {
                    continue;
                }
                // As Dovecot: the whole space-separated token names it
                // (2.4 spells it `$SET:name`).
                let name_len = rest.find([' ', '\n', '\r']).unwrap_or(rest.len());
                let (name, known) = match rest[..name_len].strip_prefix("SET:") {
                    Some(n) => (n, crate::model::catalogue::is_dovecot24_setting(n)),
                    None => (
                        &rest[..name_len],
                        crate::model::catalogue::is_dovecot_setting(&rest[..name_len]),
                    ),
                };
                let span = Span::new(id, base + i, base + i + 1 + name_len);
                if !name.is_empty()
                    && !self.set_keys.contains(name)
                    && !known
                    && self.budget.admit(span)
                {
                    let mut d = Diagnostic::error(
                        codes::UNDEFINED_VARIABLE,
                        format!("unknown variable `${name}`"),
                    )
                    .label(
                        span,
                        "names no setting set earlier and no setting Dovecot 2.3 knows",
                    );
                    // Each look-up compares with every setting name: only
                    // the first MAX_SUGGESTIONS get one.
                    let suggestion = if self.suggestions < MAX_SUGGESTIONS {
                        self.suggestions += 1;
                        crate::model::catalogue::suggest_dovecot_setting(
                            name,
                            self.set_keys.iter().map(String::as_str),
                        )
                    } else {
                        None
                    };
                    d = match suggestion {
                        Some(s) => d.help(format!("did you mean `${s}`? A `$name` expands to a setting's value; Dovecot fails with \"Unknown variable\"")),
                        None => d.help("a `$name` expands to a setting's value: set it earlier in the config, use `$ENV:NAME` for an environment variable, or quote the value to keep the `$` literal"),
                    };
                    self.diags.push(d);
                }
            }
        }
    }

    fn relative_to(&self, id: FileId, path: &str) -> String {
        if Path::new(path).is_absolute() {
            return path.to_string();
        }
        let name = &self.sources.get(id).name;
        let dir = if name == "<stdin>" {
            Path::new("")
        } else {
            Path::new(name).parent().unwrap_or(Path::new(""))
        };
        dir.join(path).to_string_lossy().into_owned()
    }

    /// `!include` or `!include_try` with nothing after it: Dovecot fails on
    /// the first ("No matches") and includes nothing for the second.
    fn empty_include(&mut self, try_: bool, stmt: Span) {
        self.diags.push(if try_ {
            Diagnostic::warning(codes::EMPTY_INCLUDE, "`!include_try` names no file")
                .label(stmt, "includes nothing")
                .help("write the file or glob to include, e.g. `!include_try conf.d/*.conf`, or delete the line (Dovecot accepts it and includes nothing)")
        } else {
            Diagnostic::error(codes::INCLUDE_NOT_FOUND, "`!include` names no file")
                .label(stmt, "nothing to include")
                .help("write the file or glob to include, e.g. `!include conf.d/*.conf` (Dovecot reads this as the config's own directory and includes nothing, or fails with \"No matches\" for a config named without a directory)")
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn include(
        &mut self,
        id: FileId,
        stmt: Span,
        pat_span: Span,
        pattern: &str,
        try_: bool,
        items: &mut Vec<Item>,
        (depth, sections): (usize, usize),
    ) {
        let directive = if try_ { "!include_try" } else { "!include" };
        if pattern.is_empty() {
            self.empty_include(try_, stmt);
            return;
        }
        let full = self.relative_to(id, pattern);
        // Messages quote at most a few lines' worth of the pattern.
        let (pat_s, full_s) = (elide(pattern), elide(&full));
        let found = match expand_glob(&full, &mut self.glob_budget) {
            Ok(found) => found,
            Err(Limit(why)) => {
                // The glob budget is the config's: reported once.
                if self.glob_budget == 0 {
                    if self.glob_limit_reported {
                        return;
                    }
                    self.glob_limit_reported = true;
                }
                self.diags.push(
                    Diagnostic::error(codes::LIMIT, format!("`{directive} {pat_s}` is not expanded: {why}"))
                        .label(pat_span, "this pattern is not read")
                        .help(format!("narrow the pattern; svcc expands at most {MAX_BRACE_RESULTS} `{{…}}` alternatives and looks at most at {MAX_GLOB_ENTRIES} directory entries per config, to bound the work a config can cause")),
                );
                return;
            }
        };
        let inc = self.includes.len();
        self.includes.push((pat_span, Vec::new()));
        if found.paths.is_empty() {
            if !try_ {
                let mut d = match found.problems.first() {
                    // Say what happened, not just that nothing matched.
                    Some((path, e)) => Diagnostic::error(
                        codes::INCLUDE_NOT_FOUND,
                        format!("`!include {pat_s}` matches no readable file: cannot access `{path}`: {}", io_reason(e)),
                    )
                    .label(pat_span, format!("looked for `{full_s}`"))
                    .help("make the path accessible to the user running svcc and Dovecot (permissions, symbolic links), or use `!include_try` for a file that may be absent; Dovecot refuses to start with \"No matches\""),
                    None => Diagnostic::error(codes::INCLUDE_NOT_FOUND, format!("`!include {pat_s}` matches no file"))
                        .label(pat_span, format!("looked for `{full_s}`"))
                        .help(match ['"', '\''].iter().find_map(|q| pattern.strip_prefix(*q).and_then(|p| p.strip_suffix(*q))) {
                            Some(bare) if !bare.is_empty() => format!("write `!include {}` without the quotes: Dovecot takes them as part of the file name (and refuses to start with \"No matches\")", elide(bare)),
                            _ => "fix the path (it is relative to the including file's directory), or use `!include_try` for a file that may be absent; Dovecot refuses to start with \"No matches\"".to_string(),
                        }),
                };
                if found.problems.len() > 1 {
                    d = d.note(format!(
                        "{} more paths could not be accessed",
                        found.problems.len() - 1
                    ));
                }
                self.diags.push(d);
            }
            return;
        }
        let matches = found.paths;
        // Files that are no regular files: skipped, reported once per
        // include (Dovecot would block on a FIFO or a device).
        let mut not_regular: Vec<(String, &'static str)> = Vec::new();
        for path in matches {
            if depth + 1 > MAX_INCLUDE_DEPTH {
                self.diags.push(
                    Diagnostic::error(codes::LIMIT, format!("includes nest deeper than {MAX_INCLUDE_DEPTH} levels"))
                        .label(stmt, "this include is not read")
                        .help("flatten the include chain; svcc stops here to bound the work a config can cause"),
                );
                return;
            }
            if self.sources.files().count() >= MAX_FILES || self.total_bytes > MAX_TOTAL_BYTES {
                if !self.limit_reported {
                    self.limit_reported = true;
                    self.diags.push(
                        Diagnostic::error(
                            codes::LIMIT,
                            format!(
                                "the config reads more than {MAX_FILES} files or {} MiB",
                                MAX_TOTAL_BYTES >> 20
                            ),
                        )
                        .label(stmt, "this include (and every later one) is not read")
                        .help(
                            "narrow the glob; svcc stops here to bound the work a config can cause",
                        ),
                    );
                }
                return;
            }
            let canon = self.canonical(Path::new(&path));
            if let Some(c) = &canon {
                if let Some(start) = self.stack.iter().position(|(p, _)| p == c) {
                    self.diags.push(
                        Diagnostic::error(
                            codes::INCLUDE_CYCLE,
                            format!("`{path}` includes itself"),
                        )
                        .label(pat_span, "this include closes a cycle")
                        .help(format!(
                            "remove this include; the chain is {}",
                            self.stack[start..]
                                .iter()
                                .map(|(_, name)| name.as_str())
                                .chain(std::iter::once(path.as_str()))
                                .collect::<Vec<_>>()
                                .join(" → ")
                        )),
                    );
                    continue;
                }
            }
            let read = match canon.as_ref().and_then(|c| self.overlay.get(c)) {
                Some(text) => Ok(text.clone().into_bytes()),
                None => read_regular(Path::new(&path)),
            };
            match read {
                Ok(bytes) => {
                    let fid = self.add_file(path.clone(), canon.clone(), bytes);
                    self.includes[inc].1.push(fid);
                    if let Some(c) = canon {
                        self.stack.push((c, path.clone()));
                    }
                    self.file(fid, items, depth + 1, sections);
                    if self.sources.get(fid).path.is_some() {
                        self.stack.pop();
                    }
                }
                // `!include_try` never errors (Dovecot ignores every open failure).
                Err(ReadError::Io(_)) if try_ => {}
                Err(ReadError::Io(e)) => {
                    self.diags.push(
                        Diagnostic::error(codes::INCLUDE_NOT_FOUND, format!("cannot read included file `{path}`: {e}"))
                            .label(pat_span, "included here")
                            .help("make the file readable by the user running svcc and Dovecot, or remove the include"),
                    );
                }
                Err(ReadError::TooLarge(size)) => {
                    self.diags.push(
                        Diagnostic::error(codes::LIMIT, format!("included file `{path}` is {size} bytes, over svcc's limit of {MAX_FILE_SIZE}"))
                            .label(pat_span, "this file is not read")
                            .help("a config file this large is almost certainly not a config; check the glob"),
                    );
                }
                Err(ReadError::NotRegular(what)) => not_regular.push((path.clone(), what)),
            }
        }
        if let Some((path, what)) = not_regular.first() {
            let more = match not_regular.len() {
                1 => String::new(),
                n => format!(" (and {} more that are no regular files)", n - 1),
            };
            let message =
                format!("`{directive} {pat_s}` matches `{path}`, which is {what}{more}: not read");
            let help = if *what == "a directory" {
                format!("write `{directive} {}/*.conf` to include the files in it: Dovecot includes nothing for a directory, so what it holds is silently left out", pat_s.trim_end_matches('/'))
            } else {
                "svcc reads only regular files; point the include at config files (Dovecot would block on a FIFO or device, or read a kernel interface as config)".to_string()
            };
            let d = if try_ {
                Diagnostic::warning(codes::INCLUDE_NOT_FOUND, message)
            } else {
                Diagnostic::error(codes::INCLUDE_NOT_FOUND, message)
            };
            self.diags.push(
                d.label(pat_span, "matches a file that is not a regular file")
                    .help(help),
            );
        }
    }
}

/// Where (in the text with each invalid sequence replaced by U+FFFD, as
/// `String::from_utf8_lossy` makes it) the first invalid UTF-8 sequence
/// outside a comment is. Dovecot never reads a comment, so a Latin-1 `#`
/// line is harmless; where a comment starts is `parse::code`'s rule.
fn first_bad_outside_comment(bytes: &[u8]) -> Option<usize> {
    let mut at = 0;
    for line in bytes.split(|&b| b == b'\n') {
        let lossy = String::from_utf8_lossy(line);
        let code_len = parse::code(&lossy).len();
        let mut pos = 0;
        for chunk in line.utf8_chunks() {
            pos += chunk.valid().len();
            if !chunk.invalid().is_empty() {
                if pos < code_len {
                    return Some(at + pos);
                }
                pos += char::REPLACEMENT_CHARACTER.len_utf8();
            }
        }
        at += lossy.len() + 1;
    }
    None
}

/// Whether a config's first statement sets `dovecot_config_version` (a
/// Dovecot 2.4 config).
fn starts_24(bytes: &[u8]) -> bool {
    let blank = |b: &u8| b" \t\r\x0b\x0c".contains(b);
    bytes
        .split(|&b| b == b'\n')
        .map(|l| &l[l.iter().position(|b| !blank(b)).unwrap_or(l.len())..])
        .find(|l| !l.is_empty() && l[0] != b'#')
        .is_some_and(|l| {
            l.strip_prefix(b"dovecot_config_version").is_some_and(|r| {
                matches!(
                    r.first(),
                    Some(b'=') | Some(b' ' | b'\t' | b'\x0b' | b'\x0c')
                )
            })
        })
}

/// Dovecot 2.4's blanks (`i_isspace`: also a vertical tab, a form feed, a
/// CR) where its line parser skips or trims blanks: around a key, `=` and
/// the words of a header, at a line's start and end. A value keeps those
/// between its words (`a\vb`), on the line of its `=` and on the lines
/// that continue it, and so does a header's quoted name. Each becomes a
/// space, so offsets stay.
fn blanks_24(bytes: &mut [u8]) {
    // (Most configs hold none: no pass over their lines.)
    if memchr::memchr3(b'\x0b', b'\x0c', b'\r', bytes).is_none() {
        return;
    }
    let odd = |b: u8| matches!(b, b'\x0b' | b'\x0c' | b'\r');
    let blank = |b: u8| matches!(b, b' ' | b'\t') || odd(b);
    let mut start = 0;
    let mut continued = false;
    while start < bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        // (A CR before the line's `\n` is the line end's.)
        let body_end = if end > start && end < bytes.len() && bytes[end - 1] == b'\r' {
            end - 1
        } else {
            end
        };
        let line = &mut bytes[start..body_end];
        let code = parse::code_len(line).0;
        // What keeps its blanks: a value's text from its first non-blank
        // to its last (a continued line's whole text), or a quoted name.
        let kept = {
            let from = match continued {
                true => Some(0),
                false => line[..code]
                    .iter()
                    .position(|&b| b == b'=')
                    .map(|eq| eq + 1),
            };
            match from {
                Some(from) => {
                    let first = line[from..code]
                        .iter()
                        .position(|&b| !blank(b))
                        .map(|i| from + i);
                    let last = line[..code].iter().rposition(|&b| !blank(b));
                    match (first, last) {
                        (Some(f), Some(l)) if l >= f => f..l + 1,
                        _ => 0..0,
                    }
                }
                None => {
                    let open = line[..code].iter().position(|&b| b == b'"');
                    let close = open.and_then(|o| {
                        line[o + 1..code]
                            .iter()
                            .position(|&b| b == b'"')
                            .map(|c| o + 1 + c)
                    });
                    match (open, close) {
                        (Some(o), Some(c)) => o..c,
                        _ => 0..0,
                    }
                }
            }
        };
        if line.iter().any(|&b| odd(b)) {
            for (i, b) in line.iter_mut().enumerate() {
                if odd(*b) && !kept.contains(&i) {
                    *b = b' ';
                }
            }
        }
        // (Blanking moved no byte: `code` still ends the line's text.)
        let text = &bytes[start..start + code];
        continued = text
            .iter()
            .rposition(|&b| !blank(b))
            .is_some_and(|l| text[l] == b'\\');
        start = end + 1;
    }
}

/// A key written `"KEY"` (Dovecot 2.4): what is between the quotes, when
/// its closing quote (`\x` escapes one character) ends the key.
fn quoted_key(k: &str) -> Option<&str> {
    let inner = k.strip_prefix('"')?.strip_suffix('"')?;
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next()?;
            }
            '"' => return None,
            _ => {}
        }
    }
    Some(inner)
}

/// Text from the config quoted in a message, cut in the middle past 160
/// bytes (a pattern can be megabytes long).
pub(crate) fn elide(s: &str) -> std::borrow::Cow<'_, str> {
    const MAX: usize = 160;
    if s.len() <= MAX {
        return s.into();
    }
    let mut head = MAX / 2;
    while !s.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = s.len() - MAX / 2;
    while !s.is_char_boundary(tail) {
        tail += 1;
    }
    format!("{}…{}", &s[..head], &s[tail..]).into()
}

/// An OS error as a phrase ("permission denied", "too many levels of
/// symbolic links").
fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

fn target<'a>(open: &'a mut [Open], parent: &'a mut Vec<Item>) -> &'a mut Vec<Item> {
    match open.last_mut() {
        Some(o) => &mut o.section.items,
        None => parent,
    }
}

/// Ends the innermost section: a flattened one first, else the innermost
/// kept one, which joins its parent.
fn close(open: &mut Vec<Open>, parent: &mut Vec<Item>, skipped: &mut usize) {
    if *skipped > 0 {
        *skipped -= 1;
    } else if let Some(o) = open.pop() {
        target(open, parent).push(Item::Section(o.section));
    }
}
