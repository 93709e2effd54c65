//! Include patterns → files, with bounded work: brace alternatives counted
//! before they are built (and built without recursion), globs walked with a
//! budget of directory entries, and only regular files read, without ever
//! blocking.
//!
//! The limits themselves live with the others in `syntax/mod.rs`; this file
//! returns [`Limit`] and the loader turns it into an `svcc::limit`
//! diagnostic.

use super::{MAX_BRACE_GROUPS, MAX_BRACE_RESULTS, MAX_FILE_SIZE, MAX_GLOB_ENTRIES};
use std::io;
use std::path::Path;

/// Most bytes brace expansion builds for one pattern (all levels together).
const MAX_BRACE_WORK: usize = 1 << 20;

/// A bound of svcc's own was reached; the text says which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit(pub String);

/// One part of a brace sequence.
enum Part {
    /// Literal bytes `start..end` of the pattern.
    Lit(usize, usize),
    /// `{a,b,...}`: the alternatives, as sequence ids.
    Group(Vec<usize>),
}

/// `a{b,c}d` → `abd`, `acd`, as glibc's `glob(GLOB_BRACE)`: nested groups,
/// empty alternatives, a `{` that is never closed makes the rest literal.
///
/// The number of results is computed first (saturating), so a pattern that
/// would expand to more than [`MAX_BRACE_RESULTS`] paths costs time linear
/// in its length; nothing recurses, so any nesting depth is safe.
pub fn expand_braces(s: &str) -> Result<Vec<String>, Limit> {
    let b = s.as_bytes();
    let braces = memchr::memchr_iter(b'{', b).count();
    if braces == 0 {
        return Ok(vec![s.to_string()]);
    }
    if braces > MAX_BRACE_GROUPS {
        return Err(Limit(format!(
            "the pattern has more than {MAX_BRACE_GROUPS} `{{`"
        )));
    }
    // The `}` matching each `{`, by nesting; unmatched ones stay in `opens`
    // (in increasing order).
    let mut close_of = std::collections::HashMap::new();
    let mut opens = Vec::new();
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'{' => opens.push(i),
            b'}' => {
                if let Some(o) = opens.pop() {
                    close_of.insert(o, i);
                }
            }
            _ => {}
        }
    }
    // From the first `{` that is never closed on, the pattern is literal
    // (it cannot be inside a group: a group's contents are balanced).
    let literal_from = opens.first().copied().unwrap_or(b.len());
    // Parse into sequences; a group's alternatives get higher ids than the
    // sequence holding the group, so reverse id order is bottom-up.
    struct Frame {
        close: usize,
        alts: Vec<usize>,
        parent: usize,
    }
    let mut seqs: Vec<Vec<Part>> = vec![Vec::new()];
    let mut frames: Vec<Frame> = Vec::new();
    let mut cur = 0usize;
    let mut lit = 0usize;
    for (i, &c) in b[..literal_from].iter().enumerate() {
        match c {
            b'{' => {
                let Some(&close) = close_of.get(&i) else {
                    continue;
                };
                seqs[cur].push(Part::Lit(lit, i));
                let id = seqs.len();
                seqs.push(Vec::new());
                frames.push(Frame {
                    close,
                    alts: vec![id],
                    parent: cur,
                });
                cur = id;
                lit = i + 1;
            }
            b',' if !frames.is_empty() => {
                seqs[cur].push(Part::Lit(lit, i));
                let id = seqs.len();
                seqs.push(Vec::new());
                if let Some(f) = frames.last_mut() {
                    f.alts.push(id);
                }
                cur = id;
                lit = i + 1;
            }
            b'}' if frames.last().is_some_and(|f| f.close == i) => {
                seqs[cur].push(Part::Lit(lit, i));
                if let Some(f) = frames.pop() {
                    cur = f.parent;
                    seqs[cur].push(Part::Group(f.alts));
                }
                lit = i + 1;
            }
            _ => {}
        }
    }
    seqs[cur].push(Part::Lit(lit, b.len()));

    // Count first: a product of sums, saturating just past the limit.
    let cap = MAX_BRACE_RESULTS + 1;
    let mut count = vec![1usize; seqs.len()];
    for id in (0..seqs.len()).rev() {
        let mut n = 1usize;
        for p in &seqs[id] {
            if let Part::Group(alts) = p {
                let sum = alts
                    .iter()
                    .fold(0usize, |acc, &a| acc.saturating_add(count[a]))
                    .min(cap);
                n = n.saturating_mul(sum).min(cap);
            }
        }
        count[id] = n;
    }
    if count[0] > MAX_BRACE_RESULTS {
        return Err(Limit(format!(
            "the pattern's `{{…}}` alternatives expand to more than {MAX_BRACE_RESULTS} paths"
        )));
    }

    // Build bottom-up; no list has more than MAX_BRACE_RESULTS strings.
    let mut built: Vec<Vec<String>> = Vec::new();
    built.resize_with(seqs.len(), Vec::new);
    let mut work = 0usize;
    for id in (0..seqs.len()).rev() {
        let mut acc = vec![String::new()];
        for p in &seqs[id] {
            match p {
                // The delimiters are ASCII, so these are char boundaries.
                Part::Lit(a, z) => {
                    let piece = s.get(*a..*z).unwrap_or_default();
                    work = work.saturating_add(acc.len().saturating_mul(piece.len()));
                    if work > MAX_BRACE_WORK {
                        return Err(work_limit());
                    }
                    for x in &mut acc {
                        x.push_str(piece);
                    }
                }
                Part::Group(alts) => {
                    let mut next = Vec::new();
                    for prefix in &acc {
                        for &alt in alts {
                            for tail in &built[alt] {
                                work = work.saturating_add(prefix.len() + tail.len());
                                if work > MAX_BRACE_WORK {
                                    return Err(work_limit());
                                }
                                next.push(format!("{prefix}{tail}"));
                            }
                        }
                    }
                    for &alt in alts {
                        built[alt] = Vec::new();
                    }
                    acc = next;
                }
            }
        }
        built[id] = acc;
    }
    Ok(std::mem::take(&mut built[0]))
}

fn work_limit() -> Limit {
    Limit(format!(
        "expanding the pattern's `{{…}}` alternatives would build more than {} KiB of paths",
        MAX_BRACE_WORK >> 10
    ))
}

/// What a glob found, and what it could not look at.
#[derive(Debug, Default)]
pub struct Found {
    /// Matching paths, each brace alternative's sorted.
    pub paths: Vec<String>,
    /// Paths that exist (or may) but could not be examined, with why.
    pub problems: Vec<(String, io::Error)>,
}

/// `glob(GLOB_BRACE)` over the file system: brace alternatives expanded,
/// each alternative's matches sorted. `*` stays within one path component
/// and a leading dot must be matched literally. A pattern without glob
/// characters matches itself if it exists (even a directory, so reading it
/// reports why); a glob matches no directories.
///
/// `budget` is how many more directory entries may be looked at; when it
/// runs out the walk stops with a [`Limit`].
pub fn expand_glob(full: &str, budget: &mut usize) -> Result<Found, Limit> {
    let mut found = Found::default();
    for alt in expand_braces(full)? {
        let mut paths = Vec::new();
        walk(&alt, budget, &mut paths, &mut found.problems)?;
        paths.sort();
        found.paths.extend(paths);
    }
    Ok(found)
}

fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

fn walk(
    pattern: &str,
    budget: &mut usize,
    out: &mut Vec<String>,
    problems: &mut Vec<(String, io::Error)>,
) -> Result<(), Limit> {
    let absolute = pattern.starts_with('/');
    let comps: Vec<&str> = pattern.split('/').filter(|c| !c.is_empty()).collect();
    let mut current = vec![if absolute {
        "/".to_string()
    } else {
        String::new()
    }];
    let opts = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: true,
    };
    let globbed = comps.iter().any(|c| is_glob(c));
    for (k, comp) in comps.iter().enumerate() {
        let last = k + 1 == comps.len();
        let pat = if is_glob(comp) {
            glob::Pattern::new(comp).ok()
        } else {
            None
        };
        let Some(pat) = pat else {
            for c in &mut current {
                *c = join(c, comp);
            }
            continue;
        };
        let mut next = Vec::new();
        for dir in &current {
            let entries = match std::fs::read_dir(if dir.is_empty() { "." } else { dir }) {
                Ok(e) => e,
                Err(e) => {
                    if !matches!(
                        e.kind(),
                        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                    ) {
                        problems.push((
                            if dir.is_empty() {
                                ".".into()
                            } else {
                                dir.clone()
                            },
                            e,
                        ));
                    }
                    continue;
                }
            };
            for entry in entries {
                if *budget == 0 {
                    return Err(Limit(format!(
                        "the glob looks at more than {MAX_GLOB_ENTRIES} directory entries"
                    )));
                }
                *budget -= 1;
                let Ok(entry) = entry else { continue };
                let name = entry.file_name();
                let Some(name) = name.to_str() else { continue };
                if !pat.matches_with(name, opts) {
                    continue;
                }
                let kind = entry.file_type().ok();
                // Only directories (or links, which may lead to one) can
                // hold the next component.
                if !last && kind.is_some_and(|t| !t.is_dir() && !t.is_symlink()) {
                    continue;
                }
                // A regular file, as the directory entry says: a match
                // without a stat (the common `conf.d/*.conf`).
                if last && kind.is_some_and(|t| t.is_file()) {
                    out.push(join(dir, name));
                    continue;
                }
                next.push(join(dir, name));
            }
        }
        current = next;
    }
    for path in current {
        match std::fs::metadata(&path) {
            Ok(m) if globbed && m.is_dir() => {}
            Ok(_) => out.push(path),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) => {}
            Err(e) => problems.push((path, e)),
        }
    }
    Ok(())
}

/// Why a file was not read.
#[derive(Debug)]
pub enum ReadError {
    /// The OS said no.
    Io(io::Error),
    /// Over [`MAX_FILE_SIZE`].
    TooLarge(u64),
    /// Not a regular file (a FIFO, a device, a socket, a directory, or a
    /// kernel interface under /proc or /sys): never opened or never read.
    NotRegular(&'static str),
}

/// What a file is, for a message, when it is not a regular file.
fn kind_of(ft: std::fs::FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_file() {
        None
    } else if ft.is_dir() {
        Some("a directory")
    } else if ft.is_fifo() {
        Some("a FIFO (named pipe)")
    } else if ft.is_char_device() {
        Some("a character device")
    } else if ft.is_block_device() {
        Some("a block device")
    } else if ft.is_socket() {
        Some("a socket")
    } else {
        Some("not a regular file")
    }
}

/// Reads a regular file of at most [`MAX_FILE_SIZE`] bytes, never blocking.
///
/// Anything else is refused before it is read: the path is checked first
/// (so a device is never even opened), then opened with `O_NONBLOCK` (a
/// FIFO swapped in meanwhile cannot block) and checked again on the open
/// descriptor (`fstat`, same inode), so what is read is what was checked.
/// Files on Linux's kernel pseudo file systems (`/proc`, `/sys`, debugfs,
/// tracefs, ...) look like regular files but are kernel interfaces: reading
/// one can block or have side effects (`/proc/kmsg` consumes the kernel
/// log), so they are refused too.
pub fn read_regular(path: &Path) -> Result<Vec<u8>, ReadError> {
    use rustix::fs::{Mode, OFlags};
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).map_err(ReadError::Io)?;
    if let Some(k) = kind_of(meta.file_type()) {
        return Err(ReadError::NotRegular(k));
    }
    // `/dev/stdout`, `/dev/fd/N` and the like are links to whatever the
    // running svcc has open (a terminal, a pipe, its own log file): never a
    // config file, whatever they point at.
    if path.starts_with("/dev") {
        return Err(ReadError::NotRegular(
            "a link under /dev to a file svcc has open",
        ));
    }
    let fd = rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| ReadError::Io(e.into()))?;
    let file = std::fs::File::from(fd);
    let now = file.metadata().map_err(ReadError::Io)?;
    if let Some(k) = kind_of(now.file_type()) {
        return Err(ReadError::NotRegular(k));
    }
    if (now.dev(), now.ino()) != (meta.dev(), meta.ino()) {
        return Err(ReadError::Io(io::Error::other(
            "the file changed while it was being opened",
        )));
    }
    if on_kernel_fs(&file, now.dev()) {
        return Err(ReadError::NotRegular(
            "a kernel interface (/proc, /sys or the like), not a config file",
        ));
    }
    if now.len() > MAX_FILE_SIZE {
        return Err(ReadError::TooLarge(now.len()));
    }
    // Sized from fstat: one read and the one that sees the end.
    let mut buf = Vec::with_capacity(now.len() as usize + 1);
    io::Read::read_to_end(&mut io::Read::take(file, MAX_FILE_SIZE + 1), &mut buf)
        .map_err(ReadError::Io)?;
    if buf.len() as u64 > MAX_FILE_SIZE {
        return Err(ReadError::TooLarge(buf.len() as u64));
    }
    Ok(buf)
}

/// Whether an open file (on device `dev`) lives on one of Linux's kernel
/// pseudo file systems.
#[cfg(target_os = "linux")]
fn on_kernel_fs(file: &std::fs::File, dev: u64) -> bool {
    // They have no backing device: their st_dev is an anonymous one (major
    // 0), as tmpfs's, overlayfs's or NFS's are. A file on a disk's file
    // system needs no statfs.
    if rustix::fs::major(dev) != 0 {
        return false;
    }
    // statfs(2) magic numbers: proc, sysfs, debugfs, tracefs, securityfs,
    // cgroup, cgroup2, configfs, bpf, efivarfs, pstore.
    const KERNEL_FS: &[u64] = &[
        0x9fa0,
        0x6265_6572,
        0x6462_6720,
        0x7472_6163,
        0x7363_6673,
        0x0027_e0eb,
        0x6367_7270,
        0x6265_6570,
        0xcafe_4a11,
        0xde5e_81e4,
        0x6165_676c,
    ];
    match rustix::fs::fstatfs(file) {
        #[allow(clippy::unnecessary_cast)]
        Ok(st) => KERNEL_FS.contains(&(st.f_type as u64)),
        // Unknown: the descriptor is non-blocking and the read capped.
        Err(_) => false,
    }
}

#[cfg(not(target_os = "linux"))]
fn on_kernel_fs(_: &std::fs::File, _: u64) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces() {
        let e = |s: &str| expand_braces(s).unwrap();
        assert_eq!(e("a{b,c}d"), ["abd", "acd"]);
        assert_eq!(e("x{1,{2,3}}"), ["x1", "x2", "x3"]);
        assert_eq!(e("plain"), ["plain"]);
        assert_eq!(e("open{"), ["open{"]);
        assert_eq!(e("a{b{c,d}"), ["a{b{c,d}"]);
        assert_eq!(e("{x,y}a{"), ["xa{", "ya{"]);
        assert_eq!(e("{a}"), ["a"]);
        assert_eq!(e("{,a}b"), ["b", "ab"]);
        assert_eq!(e("}{a,b}}"), ["}a}", "}b}"]);
        assert_eq!(e("{a,b}{1,2}"), ["a1", "a2", "b1", "b2"]);
        assert_eq!(e("{a{1,2},b}c"), ["a1c", "a2c", "bc"]);
        assert_eq!(e("é{ü,ß}"), ["éü", "éß"]);
    }

    #[test]
    fn brace_bombs_are_bounded() {
        // 2^24 results: refused after counting, not built.
        assert!(expand_braces(&"x{a,b}".repeat(24)).is_err());
        assert!(expand_braces(&"x{a,b}".repeat(10_000)).is_err());
        // 30,000 single groups, braces nested a million deep: refused
        // after one pass (no recursion, no allocation per brace).
        assert!(expand_braces(&"{a}".repeat(30_000)).is_err());
        let deep = format!("{}x{}", "{".repeat(1_000_000), "}".repeat(1_000_000));
        assert!(expand_braces(&deep).is_err());
        // Up to the limit, deep nesting and many groups work.
        let n = MAX_BRACE_GROUPS;
        let deep = format!("{}x{}", "{".repeat(n), "}".repeat(n));
        assert_eq!(expand_braces(&deep).unwrap(), ["x"]);
        assert_eq!(expand_braces(&"{a}".repeat(n)).unwrap(), ["a".repeat(n)]);
        let deep = format!("{}x{}", "{a,".repeat(n), "}".repeat(n));
        assert!(expand_braces(&deep).is_err());
        let deep = format!("{}x{}", "{a,".repeat(1000), "}".repeat(1000));
        assert_eq!(expand_braces(&deep).unwrap().len(), 1001);
    }
}
