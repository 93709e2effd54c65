//! One file's text → a flat list of statements, by the pest grammar in
//! `grammar.pest`. The grammar accepts every input (unknown lines become
//! [`Stmt::Garbage`]), so this never fails and never stops early.

use pest::Parser as _;
use pest_derive::Parser;

/// The pest parser generated from `grammar.pest`.
#[derive(Parser)]
#[grammar = "syntax/grammar.pest"]
pub struct DovecotParser;

/// A byte range within one file (`start..end`).
pub type Range = std::ops::Range<usize>;

/// One line of a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stmt {
    /// `key = value`.
    Assign {
        /// The key's range.
        key: Range,
        /// The value's range as written (quotes included, trailing blanks
        /// trimmed; empty at the end of the line for an empty value).
        value: Range,
        /// The value as Dovecot reads it: unquoted, escapes resolved,
        /// continuations joined with one space.
        text: String,
        /// Whether the value was quoted.
        quoted: bool,
    },
    /// `kind {` / `kind name {`.
    Open {
        /// The whole header's range.
        header: Range,
        /// The section type (`service`, `inet_listener`, `protocol`, ...).
        kind: Range,
        /// The section name, unquoted, with its range.
        name: Option<(String, Range)>,
    },
    /// `}`.
    Close(Range),
    /// `!include PAT` / `!include_try PAT`.
    Include {
        /// The whole statement's range.
        stmt: Range,
        /// `!include_try`.
        try_: bool,
        /// The pattern as Dovecot reads it, with its range.
        pattern: String,
        /// The pattern's range.
        pattern_range: Range,
    },
    /// A line the grammar does not accept (its range, trailing blanks
    /// trimmed).
    Garbage(Range),
    /// A `#` with no blank before it, which Dovecot takes as a comment with a
    /// warning (its offset).
    AmbiguousHash(usize),
}

/// Parses one file's text.
///
/// Blank and comment-only lines carry no statement, and real configs are
/// mostly comments (93% of Debian's stock files); most other lines are plain
/// `key = value`, `kind name {` or `}`, which [`fast_statement`] reads directly.
/// Only the runs of remaining lines go through pest, each run parsed as a
/// whole. Either way the statements are the grammar's: a test holds
/// [`fast_statement`] to pest's answer on generated lines.
///
/// Statements come out lazily, so a file of millions of lines never holds
/// all of them at once.
pub fn parse(text: &str) -> Parse<'_> {
    Parse {
        text,
        pos: 0,
        continued: false,
        block: None,
        run: 0,
        ready: std::collections::VecDeque::new(),
    }
}

/// The statements of one file, in order (see [`parse`]).
pub struct Parse<'a> {
    text: &'a str,
    /// The next line's offset.
    pos: usize,
    /// Whether the line before `pos` ended in `\`.
    continued: bool,
    /// Where the run of lines for pest started, if one is open.
    block: Option<usize>,
    /// Lines in that run: long runs are cut (between statements), so
    /// pest's token queue stays small however long the file.
    run: usize,
    /// Statements read but not yet handed out.
    ready: std::collections::VecDeque<Stmt>,
}

impl Iterator for Parse<'_> {
    type Item = Stmt;

    fn next(&mut self) -> Option<Stmt> {
        while self.ready.is_empty() && self.pos < self.text.len() {
            self.line();
        }
        if self.ready.is_empty() {
            if let Some(start) = self.block.take() {
                self.flush(start, self.text.len());
            }
        }
        self.ready.pop_front()
    }
}

impl Parse<'_> {
    /// Reads the line at `pos`: a fast statement, or one more line of the
    /// run for pest (parsed when the run ends).
    fn line(&mut self) {
        let (text, pos) = (self.text, self.pos);
        let end = line_end(text, pos);
        let line = &text[pos..end];
        let body = line.strip_suffix('\n').unwrap_or(line);
        let body = body.strip_suffix('\r').unwrap_or(body);
        let lead = body.trim_start_matches([' ', '\t']);
        let quiet = !self.continued && (lead.is_empty() || lead.starts_with('#'));
        // (Only a line with a `\` is scanned for its comment.)
        let ends_in_backslash = memchr::memchr(b'\\', body.as_bytes()).is_some()
            && code(body).trim_end_matches([' ', '\t']).ends_with('\\');
        let fast = match self.continued || quiet {
            true => None,
            false => fast_statement(text, pos),
        };
        self.continued = ends_in_backslash && fast.is_none();
        match (quiet || fast.is_some(), self.block) {
            (true, Some(start)) => {
                self.flush(start, pos);
                self.block = None;
            }
            (false, None) => {
                self.block = Some(pos);
                self.run = 0;
            }
            _ => {}
        }
        self.pos = match fast {
            Some((stmt, hash, end)) => {
                self.ready.push_back(stmt);
                self.ready.extend(hash.map(Stmt::AmbiguousHash));
                end
            }
            None => end,
        };
        if let Some(start) = self.block {
            self.run += 1;
            if self.run >= MAX_RUN && !self.continued {
                self.flush(start, self.pos);
                self.block = None;
            }
        }
    }

    /// Parses `text[start..end]` (whole lines) with pest, queueing its
    /// statements with offsets into the file.
    fn flush(&mut self, start: usize, end: usize) {
        let mut out = Vec::new();
        parse_text(&self.text[start..end], &mut out);
        for mut stmt in out {
            shift(&mut stmt, start);
            self.ready.push_back(stmt);
        }
    }
}

/// The statement that starts at `pos` (a line not continued from the one
/// before), read without pest when it has one of the shapes configs are
/// made of: `key = value` (bare or quoted, continued with `\` or not, with
/// a trailing comment), `kind [name] {`, `}`, or bare words with no `=` or
/// brace (a syntax error). Returns the statement, the offset of a `#` that
/// follows a non-blank (a warning), and the offset after its last line.
/// `None` for anything else (includes, headers continued over lines, CRs
/// where the grammar cares), which pest reads. Linear in the statement's
/// length, whatever its quotes.
fn fast_statement(text: &str, pos: usize) -> Option<(Stmt, Option<usize>, usize)> {
    let end = line_end(text, pos);
    let line = &text[pos..end];
    // The grammar's line end is `\n` or `\r\n`: a CR anywhere else is text.
    let body = match line.strip_suffix('\n') {
        Some(b) => b.strip_suffix('\r').unwrap_or(b),
        None => line,
    };
    let lead = body.trim_start_matches([' ', '\t']);
    // Includes, and the blank and comment lines the caller skips.
    if lead.is_empty() || lead.starts_with(['!', '#']) {
        return None;
    }
    let at = pos + (body.len() - lead.len());
    // 2.4's quoted key (`"a b" = no`): up to its closing quote, then `=`.
    if lead.starts_with('"') {
        let close = closing_quote(text.as_bytes(), at)?;
        let after = text[close + 1..].trim_start_matches([' ', '\t']);
        if !after.starts_with('=') {
            return None;
        }
        let v_start = text.len() - after.len() + 1;
        let v_start = v_start + blanks(&text[v_start..]);
        return assignment(text, at..close + 1, v_start);
    }
    // A `#` right after a non-blank starts a comment with a warning.
    let hash = |h: usize| {
        let before = text[..h].chars().next_back();
        matches!(before, Some(c) if c != ' ' && c != '\t' && c != '\n').then_some(h)
    };
    // The key: up to a blank, `=`, a brace, `#` or a CR (the grammar's `key`).
    let key_len = lead
        .find([' ', '\t', '=', '{', '}', '#', '\r'])
        .unwrap_or(lead.len());
    let after_key = lead[key_len..].trim_start_matches([' ', '\t']);
    if key_len > 0 && after_key.starts_with('=') {
        let v_start = at + (lead.len() - after_key.len()) + 1;
        let v_start = v_start + blanks(&text[v_start..]);
        return assignment(text, at..at + key_len, v_start);
    }
    // A `\` at the end continues the statement when it can be a blank of
    // the grammar's (after a blank, a quote or a brace); after any other
    // character it ends a word, and the line stands alone.
    let trimmed = code(lead).trim_end_matches([' ', '\t']);
    if let Some(before) = trimmed.strip_suffix('\\') {
        if matches!(
            before.chars().next_back(),
            None | Some(' ' | '\t' | '"' | '\'' | '{' | '}')
        ) {
            return None;
        }
    }
    // A line with no `=` and no brace is a syntax error whatever else it
    // holds (its comment included in its range).
    if !lead.contains(['=', '{', '}']) {
        let whole = lead.trim_end_matches([' ', '\t', '\r']);
        if whole.is_empty() {
            return None;
        }
        return Some((Stmt::Garbage(at..at + whole.len()), None, end));
    }
    if trimmed.ends_with('\\') || lead.contains(['"', '\'', '\\']) {
        return None;
    }
    // Statement and comment.
    let hash_at = lead.find('#');
    let code = lead[..hash_at.unwrap_or(lead.len())].trim_end_matches([' ', '\t']);
    let comment = hash_at.and_then(|h| hash(at + h));
    if code.is_empty() || code.contains(['=', '\r']) {
        return None;
    }
    if code == "}" {
        return Some((Stmt::Close(at..at + 1), comment, end));
    }
    let braces = code.bytes().filter(|&b| b == b'{' || b == b'}').count();
    if braces == 0 {
        let whole = lead.trim_end_matches([' ', '\t', '\r']);
        return Some((Stmt::Garbage(at..at + whole.len()), None, end));
    }
    let words: Vec<&str> = code.split([' ', '\t']).filter(|w| !w.is_empty()).collect();
    let group = words.len() == 4 && words[1].len() > 1 && words[1].starts_with('@');
    if braces != 1 || !(matches!(words.len(), 2 | 3) || group) || words[words.len() - 1] != "{" {
        return None;
    }
    let off = |w: &str| at + (w.as_ptr() as usize - lead.as_ptr() as usize);
    let range = |w: &str| off(w)..off(w) + w.len();
    let name = match words.len() {
        3 => Some((words[1].to_string(), range(words[1]))),
        // 2.4's `group @LABEL NAME {`.
        4 => Some((
            format!("{} {}", words[1], words[2]),
            off(words[1])..off(words[2]) + words[2].len(),
        )),
        _ => None,
    };
    let stmt = Stmt::Open {
        header: at..at + code.len(),
        kind: range(words[0]),
        name,
    };
    Some((stmt, comment, end))
}

/// How many blanks (spaces, tabs) `s` starts with.
fn blanks(s: &str) -> usize {
    s.len() - s.trim_start_matches([' ', '\t']).len()
}

/// The length of the line end (`\n` or `\r\n`) at the start of `s`; 0 if
/// there is none there.
fn newline(s: &[u8]) -> usize {
    match s {
        [b'\n', ..] => 1,
        [b'\r', b'\n', ..] => 2,
        _ => 0,
    }
}

/// Where a quoted string that opens at `open` (its quote) closes, on the
/// same line: the offset of the closing quote (`\x` escapes one character,
/// never the line end).
fn closing_quote(t: &[u8], open: usize) -> Option<usize> {
    let q = t[open];
    let mut j = open + 1;
    while j < t.len() && newline(&t[j..]) == 0 {
        match t[j] {
            b'\\' if j + 1 < t.len() && newline(&t[j + 1..]) == 0 => j += 2,
            c if c == q => return Some(j),
            _ => j += 1,
        }
    }
    None
}

/// `key = value` with the value starting at `v_start`, as the grammar reads
/// it, in one pass: the value runs to a `#` outside quotes or the end of
/// its last line, `\` and a line end continuing it. A quote that does not
/// close on its line hides the rest of that line from the comment search,
/// as in Dovecot, so each line is scanned at most twice.
fn assignment(text: &str, key: Range, v_start: usize) -> Option<(Stmt, Option<usize>, usize)> {
    let t = text.as_bytes();
    // `=` followed by a continued line: the blanks around `=` go on (pest).
    if continuation(text, v_start) > 0 {
        return None;
    }
    let hash = |h: usize| {
        let before = text[..h].chars().next_back();
        matches!(before, Some(c) if c != ' ' && c != '\t' && c != '\n').then_some(h)
    };
    let mut i = v_start;
    while i < t.len() {
        match t[i] {
            b'#' | b'\n' => break,
            b'\r' if newline(&t[i..]) > 0 => break,
            b'"' | b'\'' => match closing_quote(t, i) {
                Some(close) => i = close + 1,
                None => {
                    // The rest of the line is text; a final `\` (and
                    // blanks) still continues it.
                    let eol = memchr::memchr(b'\n', &t[i..]).map_or(t.len(), |n| i + n);
                    let body = text[i..eol].strip_suffix('\r').unwrap_or(&text[i..eol]);
                    let continued =
                        eol < t.len() && body.trim_end_matches([' ', '\t']).ends_with('\\');
                    if !continued {
                        i += body.len();
                        break;
                    }
                    i = eol + 1;
                }
            },
            b'\\' => i += continuation(text, i).max(1),
            _ => i += 1,
        }
    }
    let raw = &text[v_start..i];
    let trimmed = raw.trim_end_matches([' ', '\t', '\r']);
    let (value_text, quoted) = read_value(trimmed);
    let stmt = Stmt::Assign {
        key,
        value: v_start..v_start + trimmed.len(),
        text: value_text,
        quoted,
    };
    let comment = (t.get(i) == Some(&b'#')).then(|| hash(i)).flatten();
    Some((stmt, comment, line_end(text, i)))
}

/// The length of the continuation at `at` (a `\`, blanks, a comment,
/// the line end), or 0 when the `\` there does not end its line's text.
fn continuation(text: &str, at: usize) -> usize {
    let t = text.as_bytes();
    if t.get(at) != Some(&b'\\') {
        return 0;
    }
    let mut i = at + 1 + blanks(&text[at + 1..]);
    if t.get(i) == Some(&b'#') {
        i = memchr::memchr(b'\n', &t[i..]).map_or(t.len(), |n| i + n);
        // The grammar's line end: `\n`, or `\r\n` (the CR is then not
        // part of the comment).
        if i > at && t[i - 1] == b'\r' {
            i -= 1;
        }
    }
    match newline(&t[i..]) {
        0 => 0,
        n => i + n - at,
    }
}

/// Where the `\\` is that continues the line holding offset `at` (a
/// statement's last character) onto a blank or comment-only line, or past
/// the end of the file, if it does: Dovecot then drops the whole statement
/// without a word, whatever it is (a setting, a section header, a `}`, an
/// `!include`, a line it would refuse).
pub(super) fn continued_onto_nothing(text: &str, at: usize) -> Option<usize> {
    let t = text.as_bytes();
    let start = memchr::memrchr(b'\n', &t[..at]).map_or(0, |i| i + 1);
    let end = line_end(text, at);
    // (Most lines hold no `\\`: no comment search for them.)
    memchr::memchr(b'\\', &t[start..end])?;
    let line = code(text[start..end].trim_end_matches('\n'));
    let cont = line.trim_end_matches([' ', '\t', '\r']);
    if !cont.ends_with('\\') {
        return None;
    }
    // (Lines that are only a `\\` add nothing and go on.)
    let mut end = end;
    loop {
        let next_end = line_end(text, end);
        let next = code(&text[end..next_end]).trim_matches([' ', '\t', '\r', '\n']);
        match next {
            "" => return Some(start + cont.len() - 1),
            "\\" if next_end > end => end = next_end,
            _ => return None,
        }
    }
}

/// A line's text without its comment: up to the first `#` outside a
/// quoted string, as Dovecot cuts it (none after a quote that does not
/// close on the line).
pub(super) fn code(line: &str) -> &str {
    &line[..code_len(line.as_bytes()).0]
}

/// [`code`] on bytes: the length of a line's text before its comment, and
/// whether a quote that does not close ended the search.
pub(super) fn code_len(t: &[u8]) -> (usize, bool) {
    let mut i = 0;
    while i < t.len() {
        match t[i] {
            b'#' => return (i, false),
            // (A quote that does not close hides the rest of the line.)
            b'"' | b'\'' => match closing_quote(t, i) {
                Some(c) => i = c + 1,
                None => return (t.len(), true),
            },
            _ => i += 1,
        }
    }
    (t.len(), false)
}

/// The offset after the line that holds `pos` (after its `\n`).
fn line_end(text: &str, pos: usize) -> usize {
    memchr::memchr(b'\n', &text.as_bytes()[pos..]).map_or(text.len(), |i| pos + i + 1)
}

/// Most lines parsed by pest at once.
const MAX_RUN: usize = 512;

fn shift(stmt: &mut Stmt, by: usize) {
    let mv = |r: &mut Range| {
        r.start += by;
        r.end += by;
    };
    match stmt {
        Stmt::Assign { key, value, .. } => {
            mv(key);
            mv(value);
        }
        Stmt::Open { header, kind, name } => {
            mv(header);
            mv(kind);
            if let Some((_, r)) = name {
                mv(r);
            }
        }
        Stmt::Close(r) | Stmt::Garbage(r) => mv(r),
        Stmt::Include {
            stmt,
            pattern_range,
            ..
        } => {
            mv(stmt);
            mv(pattern_range);
        }
        Stmt::AmbiguousHash(at) => *at += by,
    }
}

/// Parses text with the pest grammar.
fn parse_text(text: &str, out: &mut Vec<Stmt>) {
    let file = match DovecotParser::parse(Rule::file, text) {
        Ok(mut pairs) => pairs.next().expect("file rule yields one pair"),
        // The grammar accepts every input; if that ever breaks, report the
        // whole text rather than panic.
        Err(_) => {
            out.push(Stmt::Garbage(0..text.len()));
            return;
        }
    };
    for pair in file.into_inner() {
        match pair.as_rule() {
            Rule::assign => {
                let mut inner = pair.into_inner();
                let key = inner.next().expect("assign has a key");
                let value = inner.next().expect("assign has a value");
                let range = value_range(&value);
                let (text_v, quoted) = read_value(&text[range.clone()]);
                out.push(Stmt::Assign {
                    key: key.as_span().start()..key.as_span().end(),
                    value: range,
                    text: text_v,
                    quoted,
                });
                check_comment(out, inner, text);
            }
            Rule::section => {
                let header = pair.as_span().start()..pair.as_span().end();
                let mut inner = pair.into_inner();
                let kind = inner.next().expect("section has a kind");
                let mut name = None;
                let mut rest = Vec::new();
                for p in inner {
                    match p.as_rule() {
                        // `@LABEL NAME`, one name with one blank.
                        Rule::group_name => {
                            let r = p.as_span().start()..p.as_span().end();
                            let s = p.as_str().split_whitespace().collect::<Vec<_>>().join(" ");
                            name = Some((s, r));
                        }
                        Rule::section_name => {
                            let r = p.as_span().start()..p.as_span().end();
                            let n = p.into_inner().next().expect("name has a body");
                            let s = match n.as_rule() {
                                Rule::name_quoted => unescape(n.into_inner().as_str()),
                                _ => n.as_str().to_string(),
                            };
                            name = Some((s, r));
                        }
                        _ => rest.push(p),
                    }
                }
                let header_end = rest
                    .first()
                    .map(|c| c.as_span().start())
                    .unwrap_or(header.end);
                let header = header.start..trim_end(text, header.start, header_end);
                out.push(Stmt::Open {
                    header,
                    kind: kind.as_span().start()..kind.as_span().end(),
                    name,
                });
                check_comment(out, rest.into_iter(), text);
            }
            Rule::close => {
                let s = pair.as_span().start();
                out.push(Stmt::Close(s..s + 1));
                check_comment(out, pair.into_inner(), text);
            }
            Rule::include => {
                let start = pair.as_span().start();
                let mut inner = pair.into_inner();
                let kw = inner.next().expect("include has a keyword");
                let value = inner.next().expect("include has a pattern");
                // Dovecot takes an include's quotes literally: `!include
                // "a.conf"` looks for a file named with the quotes.
                let range = value_range(&value);
                let pattern = join_continuations(&text[range.clone()]);
                out.push(Stmt::Include {
                    stmt: start..range.end,
                    try_: kw.as_rule() == Rule::include_try_kw,
                    pattern,
                    pattern_range: range,
                });
                check_comment(out, inner, text);
            }
            Rule::garbage => {
                let s = pair.as_span();
                out.push(Stmt::Garbage(s.start()..trim_end(text, s.start(), s.end())));
            }
            _ => {}
        }
    }
}

/// Flags a comment that starts right after a non-blank character.
fn check_comment<'a>(
    out: &mut Vec<Stmt>,
    rest: impl Iterator<Item = pest::iterators::Pair<'a, Rule>>,
    text: &str,
) {
    for p in rest {
        if p.as_rule() == Rule::comment {
            let at = p.as_span().start();
            let before = text[..at].chars().next_back();
            if matches!(before, Some(c) if c != ' ' && c != '\t' && c != '\n') {
                out.push(Stmt::AmbiguousHash(at));
            }
        }
    }
}

fn trim_end(text: &str, start: usize, end: usize) -> usize {
    start + text[start..end].trim_end_matches([' ', '\t', '\r']).len()
}

/// A value's range as written, trailing blanks (and a CR) trimmed.
fn value_range(value: &pest::iterators::Pair<'_, Rule>) -> Range {
    let span = value.as_span();
    let trimmed = span.as_str().trim_end_matches([' ', '\t', '\r']);
    span.start()..span.start() + trimmed.len()
}

/// A value as written → the text Dovecot reads and whether it unquoted it
/// (config-parser.c): continuations joined with one space, then a value
/// that starts and ends with the same quote (`"`, `'`) loses both, and
/// `\x` inside becomes `x`. Anything else is taken verbatim, quotes and
/// all (`"a" b` is the four characters).
fn read_value(raw: &str) -> (String, bool) {
    let joined = join_continuations(raw);
    let b = joined.as_bytes();
    match b.first() {
        Some(&q @ (b'"' | b'\'')) if b[b.len() - 1] == q => {
            // (A lone quote starts and ends the value: it reads as empty.)
            let inner = joined.get(1..joined.len() - 1).unwrap_or("");
            (unescape(inner), true)
        }
        _ => (joined, false),
    }
}

/// `\x` → `x` (Dovecot has no `\n`).
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A `\` at a line's end joins the next line with one space.
fn join_continuations(s: &str) -> String {
    if !s.contains('\n') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut lines = s.split('\n').peekable();
    while let Some(line) = lines.next() {
        let line = line.trim_end_matches('\r');
        if lines.peek().is_some() {
            let l = code(line).trim_end_matches([' ', '\t']);
            let l = l
                .strip_suffix('\\')
                .unwrap_or(l)
                .trim_end_matches([' ', '\t']);
            // (A line that is only `\` adds nothing, not even the blank.)
            if !l.is_empty() {
                out.push_str(l);
                out.push(' ');
            }
        } else {
            out.push_str(line.trim_start_matches([' ', '\t']));
        }
    }
    // (A value continued onto a blank or comment-only line ends with the
    // joining blank: the loader drops such a statement, as Dovecot does.)
    let end = out.trim_end_matches([' ', '\t']).len();
    out.truncate(end);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `\\` that continues a statement onto a blank or comment-only
    /// line is found (Dovecot drops the statement); one continued onto a
    /// value is not.
    #[test]
    fn a_continuation_onto_a_blank_line_is_found() {
        // (text, the statement's last character, the `\\`)
        for (text, last, at) in [
            ("k = yes\\\n", 6, 7),
            ("k = yes \\\n# c", 6, 8),
            ("k = \\\n  ", 0, 4),
            ("k = a\\\nb\\\n", 7, 8),
            ("k = a \\ # note\r\n\r\n", 4, 6),
            ("service imap {\\\n\nx = 1\n", 13, 14),
            ("}\\", 0, 1),
            ("k = \"a \\\n", 5, 7),
        ] {
            assert_eq!(continued_onto_nothing(text, last), Some(at), "{text:?}");
            assert_eq!(&text[at..at + 1], "\\", "{text:?}");
        }
        assert_eq!(continued_onto_nothing("k = a\\\nb", 7), None);
        assert_eq!(continued_onto_nothing("k = a\nb = 2\n", 4), None);
        assert_eq!(continued_onto_nothing("k = a \\\n  b", 4), None);
        // Through lines of only a `\\`.
        assert_eq!(continued_onto_nothing("}\\#c\n\\#c\n\n", 0), Some(1));
        assert_eq!(continued_onto_nothing("}\\\n \\\nx\n", 0), None);
    }

    fn texts(src: &str) -> Vec<String> {
        parse(src)
            .map(|s| match s {
                Stmt::Assign { key, text, .. } => format!("{}={}", &src[key], text),
                Stmt::Open { kind, name, .. } => {
                    format!("{}{{{}", &src[kind], name.map(|n| n.0).unwrap_or_default())
                }
                Stmt::Close(_) => "}".into(),
                Stmt::Include { try_, pattern, .. } => format!("inc{try_}:{pattern}"),
                Stmt::Garbage(r) => format!("?{}", &src[r]),
                Stmt::AmbiguousHash(_) => "#".into(),
            })
            .collect()
    }

    #[test]
    fn statements() {
        let src = "# c\n\nkey = value # c\nk2=v2\nservice imap {\n  inet_listener \"a b\" {\n }\n}\n!include conf.d/*.conf\n!include_try x\n";
        assert_eq!(
            texts(src),
            [
                "key=value",
                "k2=v2",
                "service{imap",
                "inet_listener{a b",
                "}",
                "}",
                "incfalse:conf.d/*.conf",
                "inctrue:x"
            ]
        );
    }

    #[test]
    fn values() {
        assert_eq!(texts("a = \"x \\\" y\"\n"), ["a=x \" y"]);
        assert_eq!(texts("a = 'q'\n"), ["a=q"]);
        assert_eq!(texts("a = \"q\" z\n"), ["a=\"q\" z"]);
        assert_eq!(texts("a = one \\\n   two\n"), ["a=one two"]);
        // Dovecot cuts the comment and trims before it looks for the `\`.
        assert_eq!(texts("a = \\ # c\n  7\n"), ["a=7"]);
        assert_eq!(texts("a = 1\\ # c\r\n  7\n"), ["a=1 7"]);
        assert_eq!(texts("a = \"x#\" \\ # c\n  7\n"), ["a=\"x#\" 7"]);
        assert_eq!(texts("a = x#y\n"), ["a=x", "#"]);
        assert_eq!(texts("a = \"x#y\"\n"), ["a=x#y"]);
        assert_eq!(texts("a =\n"), ["a="]);
        assert_eq!(texts("a = b\r\nc = d\r\n"), ["a=b", "c=d"]);
    }

    #[test]
    fn parsing_in_blocks_equals_parsing_whole_files() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/checks");
        let mut texts: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| std::fs::read(e.ok()?.path()).ok())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .collect();
        texts.push(crate::model::catalogue::BUILTIN_SERVICES.to_string());
        texts.push("# c \\\nk = v \\\n  # not a comment\n\n\r\r\n  # x\r\na=b".to_string());
        // Runs longer than MAX_RUN, cut between statements, never inside a
        // continued value.
        texts.push("k = v \\\n  w\n".repeat(700) + &"x y {\n}\n".repeat(600));
        for t in texts {
            let mut whole = Vec::new();
            parse_text(&t, &mut whole);
            assert_eq!(parse(&t).collect::<Vec<_>>(), whole, "{t}");
        }
    }

    /// A deterministic xorshift64 generator.
    fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
        move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        }
    }

    /// Every line [`fast_statement`] reads, pest reads the same way: lines drawn
    /// from the characters that matter to the grammar, with and without
    /// `\n` / `\r\n` endings.
    #[test]
    fn fast_lines_are_read_as_pest_reads_them() {
        const ALPHABET: [&str; 17] = [
            "a", "key", " ", "\t", "=", "{", "}", "\r", "#", "\"", "'", "\\", "!", "é", " = ",
            " {", "@",
        ];
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15u64);
        let (mut fast, mut total) = (0, 0);
        for _ in 0..150_000 {
            let len = (next() % 12) as usize;
            // Half the lines start as an assignment, to reach its cases.
            let mut line = [
                "", " k = ", "k=", "k =\"", "k = '", "s n {", "group @", "\"k",
            ][(next() % 8) as usize]
                .to_string();
            line.extend((0..len).map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize]));
            line.push_str(["", "\n", "\r\n"][(next() % 3) as usize]);
            total += 1;
            if let Some((stmt, hash, end)) = fast_statement(&line, 0) {
                fast += 1;
                assert_eq!(end, line.len(), "{line:?}");
                let mut pest = Vec::new();
                parse_text(&line, &mut pest);
                let mine: Vec<Stmt> = std::iter::once(stmt)
                    .chain(hash.map(Stmt::AmbiguousHash))
                    .collect();
                assert_eq!(pest, mine, "{line:?}");
            }
        }
        // The generator reaches the fast path, and not only it.
        assert!(fast > total / 20 && fast < total, "{fast} of {total}");
        for line in [
            "a = b\n",
            "  service imap {\r\n",
            "group @label name {\n",
            "group\t@l \t n {\n",
            "}\n",
            "k v\n",
            "a =  \r\r\n",
            "a = \"x \\\" y\" # c\n",
            "a = x#y\n",
            "service imap { # c\n",
        ] {
            let mut pest = Vec::new();
            parse_text(line, &mut pest);
            let (stmt, hash, _) = fast_statement(line, 0).expect(line);
            let mine: Vec<Stmt> = std::iter::once(stmt)
                .chain(hash.map(Stmt::AmbiguousHash))
                .collect();
            assert_eq!(mine, pest, "{line:?}");
        }
    }

    /// Every continued value [`fast_statement`] reads, pest reads the same way.
    #[test]
    fn fast_continued_values_are_read_as_pest_reads_them() {
        const PIECES: [&str; 16] = [
            "a",
            " ",
            "\t",
            "\\",
            "\\\n",
            " \\ \n",
            "\\\r\n",
            "\n",
            "\r",
            "#",
            "\"",
            "=",
            "{",
            "",
            "\\ # c\n",
            "\\#\\\r\n",
        ];
        let mut next = xorshift(0x2545_f491_4f6c_dd1du64);
        let mut fast = 0;
        for _ in 0..200_000 {
            let mut text = ["k = a \\\n", "k=\\\n", " k =x\\ \r\n", "k = \\\n"]
                [(next() % 4) as usize]
                .to_string();
            text.extend((0..next() % 10).map(|_| PIECES[(next() % PIECES.len() as u64) as usize]));
            if let Some((stmt, hash, end)) = fast_statement(&text, 0) {
                fast += 1;
                let mut pest = Vec::new();
                parse_text(&text[..end], &mut pest);
                let mine: Vec<Stmt> = std::iter::once(stmt)
                    .chain(hash.map(Stmt::AmbiguousHash))
                    .collect();
                assert_eq!(pest, mine, "{text:?}");
                // What follows starts a new statement.
                assert!(end == text.len() || text[..end].ends_with('\n'), "{text:?}");
            }
        }
        assert!(fast > 1000, "{fast}");
    }

    #[test]
    fn garbage_lines_do_not_stop_parsing() {
        let src = "k v\nservice imap{\n};\nservice imap { x\nok = 1\n";
        assert_eq!(
            texts(src),
            ["?k v", "?service imap{", "?};", "?service imap { x", "ok=1"]
        );
    }
}
