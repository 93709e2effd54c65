//! Dovecot's value types (settings-parser.c): numbers, sizes, times,
//! booleans, modes, ports and enums, with Dovecot's exact acceptance rules.

use crate::model::table::Kind;

/// A value that does not parse: what is wrong, and how to write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    /// What is wrong.
    pub message: String,
    /// How to write it.
    pub help: String,
}

fn err(message: impl Into<String>, help: impl Into<String>) -> ValueError {
    ValueError {
        message: message.into(),
        help: help.into(),
    }
}

/// A decimal number 0…2³²−1.
pub fn uint(v: &str) -> Result<u32, ValueError> {
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        let help = if v.starts_with('-') {
            "write a number from 0 to 4294967295; negative numbers are not allowed".to_string()
        } else if v.starts_with('$') {
            "Dovecot's `doveconf -n` does not expand `$name` in numbers (\"Invalid number\"); write the number itself".to_string()
        } else {
            "write a plain decimal number such as `100` (no sign, unit or blanks)".to_string()
        };
        let what = if v.is_empty() {
            "an empty value".to_string()
        } else {
            format!("`{v}`")
        };
        return Err(err(format!("{what} is not a valid number"), help));
    }
    v.parse::<u64>()
        .ok()
        .filter(|&n| n <= u32::MAX as u64)
        .map(|n| n as u32)
        .ok_or_else(|| {
            err(
                format!("`{v}` is too large"),
                "the largest number is 4294967295",
            )
        })
}

/// A size: digits, optional blanks, an optional unit `B K M G T` (any case,
/// ×1024) that may be followed by `i` and then `b` (`1k 1KiB 256 M 256MB`).
pub fn size(v: &str) -> Result<u64, ValueError> {
    let bad = || {
        err(
            format!("`{v}` is not a valid size"),
            "write whole digits with an optional unit B, K, M, G or T (powers of 1024), e.g. `256M` or `1 G`",
        )
    };
    let digits_end = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    if digits_end == 0 {
        return Err(bad());
    }
    let n: u64 = v[..digits_end].parse().map_err(|_| too_large_size(v))?;
    let unit = v[digits_end..].trim_start_matches(' ').to_ascii_lowercase();
    let mut chars = unit.chars();
    let mult: u64 = match chars.next() {
        None => 1,
        Some('b') => {
            if chars.next().is_some() {
                return Err(bad());
            }
            1
        }
        Some(c) => {
            let m = match c {
                'k' => 1u64 << 10,
                'm' => 1 << 20,
                'g' => 1 << 30,
                't' => 1 << 40,
                _ => return Err(bad()),
            };
            let rest: String = chars.collect();
            if !matches!(rest.as_str(), "" | "b" | "i" | "ib") {
                return Err(bad());
            }
            m
        }
    };
    n.checked_mul(mult).ok_or_else(|| too_large_size(v))
}

fn too_large_size(v: &str) -> ValueError {
    err(
        format!("size `{v}` is too large"),
        "the largest size is 16777215 T",
    )
}

/// A time interval in milliseconds. The unit is required unless the value is
/// 0; milliseconds only where they make whole seconds (as Dovecot's
/// service settings require).
pub fn time(v: &str) -> Result<u64, ValueError> {
    interval(v, true)
}

/// A time interval in milliseconds, any number of them (Dovecot's
/// millisecond settings; the tables do not tell them from the others, so
/// every setting outside service blocks is read so).
pub fn time_msecs(v: &str) -> Result<u64, ValueError> {
    interval(v, false)
}

fn interval(v: &str, whole_secs: bool) -> Result<u64, ValueError> {
    let digits_end = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let bad = || {
        err(
            format!("`{v}` is not a valid time interval"),
            "write a number and a unit: secs, mins, hours, days or weeks (e.g. `60 secs`, `1 min`)",
        )
    };
    if digits_end == 0 {
        return Err(bad());
    }
    let n: u64 = v[..digits_end].parse().map_err(|_| too_large_time(v))?;
    let unit = v[digits_end..].trim_start_matches(' ').to_ascii_lowercase();
    let is = |full: &str| !unit.is_empty() && full.starts_with(unit.as_str());
    let mult: u64 = if unit.is_empty() {
        if n != 0 {
            return Err(err(
                format!("time interval `{v}` has no unit"),
                format!("add a unit, e.g. `{n} secs` or `{n} mins` (Dovecot: \"Time interval '{v}' is missing units\")"),
            ));
        }
        1000
    } else if is("secs") || is("seconds") {
        1000
    } else if is("mins") || is("minutes") {
        60_000
    } else if is("hours") {
        3_600_000
    } else if is("days") {
        86_400_000
    } else if is("weeks") {
        604_800_000
    } else if is("msecs") || is("milliseconds") {
        if whole_secs && !n.is_multiple_of(1000) {
            return Err(err(
                format!("milliseconds are not supported for this setting: `{v}`"),
                "write a whole number of seconds, e.g. `2 secs`",
            ));
        }
        1
    } else {
        return Err(bad());
    };
    let ms = n.checked_mul(mult).ok_or_else(|| too_large_time(v))?;
    if ms / 1000 > u32::MAX as u64 {
        return Err(too_large_time(v));
    }
    Ok(ms)
}

fn too_large_time(v: &str) -> ValueError {
    err(
        format!("time interval `{v}` is too large"),
        "the longest interval is 4294967295 secs",
    )
}

/// `yes`/`y`/`1` or `no` (any case).
pub fn boolean(v: &str) -> Result<bool, ValueError> {
    let l = v.to_ascii_lowercase();
    match l.as_str() {
        "yes" | "y" | "1" => Ok(true),
        "no" => Ok(false),
        _ => Err(err(
            format!("`{v}` is not a boolean"),
            "write `yes` or `no` (Dovecot rejects `true`, `on`, `0` and `n`)",
        )),
    }
}

/// One of an enum's values (`mail_fsync = never`), as Dovecot compares
/// them: the whole word, case and all.
pub fn one_of(v: &str, kind: Kind) -> Result<String, ValueError> {
    // (Blanks a quoted value keeps are part of it: `" no"` is no value.)
    // (Any value of a setting the version does not have: reported as such.)
    if !matches!(kind, Kind::Enum(_)) || kind.values().any(|w| w == v) {
        return Ok(v.to_string());
    }
    let words: Vec<&str> = kind.values().filter(|w| !w.is_empty()).collect();
    let lower = v.to_ascii_lowercase();
    let near = words
        .iter()
        .find(|w| w.eq_ignore_ascii_case(&lower))
        .copied()
        .or_else(|| crate::model::catalogue::suggest(&lower, words.iter().copied()));
    let list = words
        .iter()
        .map(|w| format!("`{w}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let empty = if kind.values().any(str::is_empty) {
        ", or nothing"
    } else {
        ""
    };
    let help = match near {
        Some(w) => format!(
            "did you mean `{w}`? The values are {list}{empty} (Dovecot: \"Invalid value: {v}\")"
        ),
        None => format!("write one of {list}{empty} (Dovecot: \"Invalid value: {v}\")"),
    };
    let shown = if v.is_empty() {
        "an empty value".to_string()
    } else {
        format!("`{v}`")
    };
    Err(err(format!("{shown} is not one of its values"), help))
}

/// Dovecot 2.4's boollist set with `=` (`protocols = imap "pop3"`; its
/// settings_parse_boollist_string): words separated by blanks or commas,
/// a word `"`-quoted as need be (`\x` inside is `x`), then each word's
/// `\e \s \_ \+ \\ \.` read as `= / space , \` and nothing. The words, or
/// Dovecot's error.
pub fn boollist(v: &str) -> Result<Vec<String>, ValueError> {
    let fail = |what: &str| {
        err(
            format!("{what} (Dovecot 2.4 reads this value as a list)"),
            "separate the words with blanks or commas, and quote a whole word only (`\"a b\", c`); a `\"` inside a word is refused",
        )
    };
    let mut out = Vec::new();
    let mut word = String::new();
    let (mut quoted, mut closed) = (false, false);
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' if !quoted && !word.is_empty() => return Err(fail("`\"` in the middle of a word")),
            '"' if !quoted => quoted = true,
            '"' if closed => return Err(fail("no blank or comma after a closing `\"`")),
            '"' => closed = true,
            ' ' | ',' if quoted && !closed => word.push(c),
            ' ' | ',' => {
                if quoted || !word.is_empty() {
                    out.push(section_unescape(&std::mem::take(&mut word)));
                }
                (quoted, closed) = (false, false);
            }
            _ if closed => return Err(fail("no blank or comma after a closing `\"`")),
            '\\' if quoted => match chars.next() {
                Some(n) => word.push(n),
                None => return Err(fail("the value ends with `\\`")),
            },
            _ => word.push(c),
        }
    }
    if quoted && !closed {
        return Err(fail("a `\"` is not closed"));
    }
    if quoted || !word.is_empty() {
        out.push(section_unescape(&word));
    }
    Ok(out)
}

/// Dovecot 2.4's escapes in a section name or list word
/// (settings_section_unescape): `\e` `=`, `\s` `/`, `\_` a space, `\+` `,`,
/// `\\` `\`, `\.` nothing; any other `\` stays.
fn section_unescape(w: &str) -> String {
    if !w.contains('\\') {
        return w.to_string();
    }
    let mut out = String::with_capacity(w.len());
    let mut chars = w.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('e') => out.push('='),
            Some('s') => out.push('/'),
            Some('_') => out.push(' '),
            Some('+') => out.push(','),
            Some('\\') => out.push('\\'),
            Some('.') => {}
            Some(n) => {
                out.push('\\');
                out.push(n);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// A list of a word table's words (`imap_client_workarounds =
/// delay-newmail tb-lsub-flags`), separated by spaces or commas, as
/// Dovecot's settings checks read them; the first word not in the table is
/// the error (Dovecot's: "Unknown workaround: x").
pub fn words(v: &str, kind: Kind, v24: bool) -> Result<String, ValueError> {
    let Kind::Words {
        exact,
        spaces,
        boollist: list,
        ..
    } = kind
    else {
        return Ok(v.to_string());
    };
    let seps: &[char] = if spaces { &[' '] } else { &[' ', ','] };
    let same = |a: &str, b: &str| {
        if exact {
            a == b
        } else {
            a.eq_ignore_ascii_case(b)
        }
    };
    let known = |w: &str| {
        kind.values().any(|t| {
            let head = w.get(..t.len()).is_some_and(|h| same(h, t));
            match t.as_bytes().last() {
                // `content-type=` starts a word (any rest, even none);
                // `throttle:` takes three numbers (`throttle:50:16000:500`).
                Some(b'=') => head,
                Some(b':') => {
                    head && {
                        let nums: Vec<&str> = w[t.len()..].split(':').collect();
                        nums.len() == 3
                            && nums.iter().all(|n| {
                                !n.is_empty()
                                    && n.bytes().all(|b| b.is_ascii_digit())
                                    && n.parse::<u32>().is_ok()
                            })
                    }
                }
                _ => same(w, t),
            }
        })
    };
    // A quote is part of its word in 2.3; 2.4 reads a list's words as a
    // boollist, whose words may be quoted (`"delay-newmail"`).
    let unquote = |w: &'_ str| -> String {
        match w.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
            Some(inner) if v24 => inner.to_string(),
            _ => w.to_string(),
        }
    };
    let bad = match list && v24 {
        true => boollist(v)?
            .into_iter()
            .find(|w| !w.is_empty() && !known(w)),
        false => v
            .split(seps)
            .map(unquote)
            .find(|w| !w.is_empty() && !known(w)),
    };
    let Some(bad) = bad else {
        return Ok(v.to_string());
    };
    let list = kind
        .values()
        .map(|w| format!("`{w}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let lower = bad.to_ascii_lowercase();
    let help = match crate::model::catalogue::suggest(&lower, kind.values()) {
        Some(w) => format!("did you mean `{w}`? The words are {list}, separated by spaces"),
        None => format!("the words are {list}, separated by spaces; Dovecot refuses to start with an unknown one"),
    };
    let help = if bad.to_ascii_lowercase().starts_with("throttle:") {
        "write `throttle:INIT:MAX:SHRINK`, three numbers of milliseconds (e.g. `throttle:50:16000:500`)".to_string()
    } else {
        help
    };
    Err(err(format!("`{bad}` is not one of its words"), help))
}

/// Dovecot's hash methods (lib/hash-method.c) and their digest sizes in
/// bytes (`size` is the length, a 64-bit number).
const HASH_METHODS: &[(&str, u32)] = &[
    ("md4", 16),
    ("md5", 16),
    ("sha1", 20),
    ("sha256", 32),
    ("sha384", 48),
    ("sha512", 64),
    ("sha3-256", 32),
    ("sha3-512", 64),
    ("size", 8),
];

/// A hash method's digest size in bits, by Dovecot's name for it.
pub fn hash_bits(method: &str) -> Option<u32> {
    HASH_METHODS
        .iter()
        .find(|(m, _)| *m == method)
        .map(|(_, bytes)| bytes * 8)
}

/// A hash format (`mail_attachment_hash = %{sha1}`; 2.4's
/// `mail_ext_attachment_hash`), as the mail settings check reads it
/// (lib/hash-format.c): `%{METHOD}` or `%{METHOD:BITS}`, optionally `%B`
/// (base64) or `%X` (short hex) before the brace, with no `/` and, after
/// the format is read, no `-` (so not `sha3-256` either).
pub fn hash_format(v: &str) -> Result<String, ValueError> {
    let help =
        "write `%{sha1}` (or another of md4, md5, sha256, sha384, sha512, size; `%{sha256:128}` \
                for the first 128 bits, `%B{...}` for base64), with no `/` or `-` in the value";
    let bad = |what: String| Err(err(format!("invalid hash format `{v}`: {what}"), help));
    if v.contains('/') {
        return bad("it must not contain `/` (\"mail_attachment_hash setting must not contain '/' characters\")".into());
    }
    let b = v.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'%' {
            i += 1;
            continue;
        }
        i += 1;
        if matches!(b.get(i), Some(b'B' | b'X')) {
            i += 1;
        }
        if b.get(i) != Some(&b'{') {
            return bad("no `{` after `%`".into());
        }
        i += 1;
        let Some(len) = v[i..].find('}') else {
            return bad("missing `}`".into());
        };
        let inside = &v[i..i + len];
        let (name, bits) = match inside.split_once(':') {
            Some((n, b)) => (n, Some(b)),
            None => (inside, None),
        };
        let Some(digest) = hash_bits(name) else {
            return bad(format!("unknown hash method `{name}`"));
        };
        if let Some(bits) = bits {
            match uint(bits) {
                Ok(n) if n > 0 && n <= digest && n % 8 == 0 => {}
                Ok(n) if n > 0 && n <= digest => {
                    return bad(format!("`:{bits}`: the bits must be a multiple of 8"))
                }
                _ => {
                    return bad(format!(
                        "`:{bits}`: not a number of bits from 8 to {digest}"
                    ))
                }
            }
        }
        i += len + 1;
    }
    if v.contains('-') {
        return bad("it must not contain `-` (\"mail_attachment_hash setting must not contain '-' characters\")".into());
    }
    Ok(v.to_string())
}

/// A list of mail cache fields (`mail_cache_fields = flags hdr.Subject`),
/// as the mail settings check reads it: a `hdr.` field names a header
/// (printable ASCII, no `:`); 2.4 reads the list as a boollist and refuses
/// `*` among other fields (`default_kept`: the setting's default fields
/// count as others, as at 2.4's top level).
pub fn cache_fields(v: &str, v24: bool, default_kept: bool) -> Result<String, ValueError> {
    let fields: Vec<String> = if v24 {
        boollist(v)?
    } else {
        v.split([' ', ','])
            .filter(|f| !f.is_empty())
            .map(str::to_string)
            .collect()
    };
    let help =
        "name headers as `hdr.NAME` with printable ASCII and no `:` or blank (`hdr.Message-ID`), \
                and the other fields by name (`flags`, `imap.envelope`, ...)";
    for f in &fields {
        let header = f
            .get(..4)
            .filter(|p| p.eq_ignore_ascii_case("hdr."))
            .map(|_| &f[4..]);
        if let Some(name) = header {
            if !name.bytes().all(|c| (33..=126).contains(&c) && c != b':') {
                return Err(err(format!("`{f}` is not a valid header name"), help));
            }
        }
    }
    // (An empty list has no `*`: nothing to count.)
    let many = fields.len() + usize::from(default_kept) > 1;
    if v24 && many && fields.iter().any(|f| f == "*") {
        let why = if default_kept && fields.len() == 1 {
            " (at the top level Dovecot 2.4 counts the default's fields too; set it in a `protocol` block instead)"
        } else {
            ""
        };
        return Err(err(
            format!("`*` (every field) among other fields{why}"),
            "write `*` alone, or list the fields without it (Dovecot 2.4: \"has multiple values while having \\\"*\\\" set\")",
        ));
    }
    Ok(fields.join(" "))
}

/// `auth_verbose_passwords`, as auth's settings check reads it (both
/// versions): `no`, `plain`, `sha1` or `yes` (`plain`), each optionally
/// `:N` to log only the first N characters (N a number above 0).
pub fn verbose_passwords(v: &str) -> Result<String, ValueError> {
    let (word, cut) = match v.split_once(':') {
        Some((w, n)) => (w, Some(n)),
        None => (v, None),
    };
    if let Some(n) = cut {
        if !matches!(uint(n), Ok(1..)) {
            return Err(err(
                format!("`{n}` is no truncation length"),
                "write `plain:N` or `sha1:N` with N a number above 0, the characters to log (Dovecot: \"Invalid truncation number\")",
            ));
        }
    }
    match word {
        "no" | "plain" | "sha1" | "yes" => Ok(v.to_string()),
        _ => Err(err(
            format!("`{word}` is not one of its values"),
            "write `no`, `plain`, `sha1` or `yes` (the same as `plain`), optionally with `:N` to log only the first N characters (Dovecot: \"auth_verbose_passwords: Invalid value\")",
        )),
    }
}

/// `pop3_uidl_format`, as the mail storage settings check reads it: 2.3's
/// `%` variables (`%08Xu%08Xv`: width and modifiers, then one of `v u m f
/// g`, `%%` for `%`), 2.4's `%{uidvalidity}`, `%{uid}`, `%{md5}`,
/// `%{filename}` or `%{guid}` (with filters, `%{uid | hex(8)}`); at least
/// one variable.
pub fn pop3_uidl_format(v: &str, v24: bool) -> Result<String, ValueError> {
    let (vars, help) = if v24 {
        (
            "`%{uidvalidity}`, `%{uid}`, `%{md5}`, `%{filename}` or `%{guid}`",
            "Dovecot 2.4 spells variables `%{name}`: write `%{uidvalidity | hex(8)}%{uid | hex(8)}` for 2.3's `%08Xv%08Xu`",
        )
    } else {
        (
            "`%v`, `%u`, `%m`, `%f` or `%g`",
            "write e.g. `%08Xu%08Xv` (Dovecot's default)",
        )
    };
    let mut found = false;
    if v24 {
        // (`%%` is a literal `%`.)
        let unescaped = v.replace("%%", "");
        let mut rest = unescaped.as_str();
        while let Some(at) = rest.find("%{") {
            let body = &rest[at + 2..];
            let end = body.find('}').unwrap_or(body.len());
            let name = body[..end].split('|').next().unwrap_or_default().trim();
            if !["uidvalidity", "uid", "md5", "filename", "guid"].contains(&name) {
                return Err(err(
                    format!("unknown variable `%{{{name}}}`"),
                    format!("the variables are {vars}; {help}"),
                ));
            }
            found = true;
            rest = &body[end..];
        }
    } else {
        let b = v.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] != b'%' || i + 1 >= b.len() {
                i += 1;
                continue;
            }
            // [<offset>.]<width>[<modifiers>]<variable>
            let mut k = i + 1;
            let digits = |k: &mut usize| {
                while *k < b.len() && (b[*k].is_ascii_digit() || b[*k] == b'-') {
                    *k += 1;
                }
            };
            digits(&mut k);
            if k < b.len() && b[k] == b'.' {
                k += 1;
                digits(&mut k);
            }
            while k < b.len() && b"LUEXRHNMDT".contains(&b[k]) {
                k += 1;
            }
            match b.get(k) {
                Some(b'v' | b'u' | b'm' | b'f' | b'g') => found = true,
                Some(b'%') => {}
                other => {
                    let shown = other.map_or(String::new(), |c| (*c as char).to_string());
                    return Err(err(
                        format!("unknown variable `%{shown}`"),
                        format!("the variables are {vars}; {help}"),
                    ));
                }
            }
            i += 2;
        }
    }
    if found {
        Ok(v.to_string())
    } else {
        Err(err(
            format!("`{v}` holds no variable"),
            format!("Dovecot refuses a format without one of {vars}; {help}"),
        ))
    }
}

/// A namespace's hierarchy separator: one character at most (Dovecot
/// compares bytes).
pub fn separator(v: &str) -> Result<String, ValueError> {
    if v.len() <= 1 {
        return Ok(v.to_string());
    }
    Err(err(
        format!("`{v}` is more than one character"),
        "write one character, e.g. `separator = /`: Dovecot refuses the config with \"Hierarchy separator must be only one character long\"",
    ))
}

/// A file mode as Dovecot reads one: octal when it starts with `0` (any
/// value of 64 bits), otherwise decimal (at most 32 bits; so `666` is
/// 0o1232, which is almost never meant). Dovecot creates the socket or FIFO
/// under `umask(0777 ^ mode)`, so only the permission bits 0777 take effect
/// (`check/listeners.rs` warns about the rest); 0 disables the listener.
pub fn mode(v: &str) -> Result<u64, ValueError> {
    let bad = || {
        err(
            format!("`{v}` is not a valid mode"),
            "write an octal mode with a leading 0, e.g. `0660`",
        )
    };
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    if v.starts_with('0') {
        if v.bytes().any(|b| b > b'7') {
            return Err(bad());
        }
        u64::from_str_radix(v, 8).map_err(|_| {
            err(
                format!("mode `{v}` is out of range"),
                "a mode is a permission mask such as `0660` (Dovecot fails here with \"Number too large\")",
            )
        })
    } else {
        v.parse::<u32>().map(u64::from).map_err(|_| {
            err(
                format!("mode `{v}` is out of range"),
                format!("without a leading 0 Dovecot reads `{v}` as a decimal number, at most 4294967295; write `0{v}` for octal"),
            )
        })
    }
}

/// A TCP port 0…65535 (0 disables the listener).
pub fn port(v: &str) -> Result<u16, ValueError> {
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(p) = v.parse::<u16>() {
            return Ok(p);
        }
    }
    Err(err(
        format!("`{v}` is not a valid port number"),
        "write a port from 1 to 65535, or 0 to disable the listener",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cache field lists, empty ones included (no field, no `*`).
    #[test]
    fn cache_fields_star_and_headers() {
        for (v, v24, kept, ok) in [
            ("", false, false, true),
            ("", true, true, true),
            ("*", true, false, true),
            ("*", true, true, false),
            ("* flags", true, false, false),
            ("* flags", false, false, true),
            ("flags, hdr.Subject HDR.x-y", false, false, true),
            ("hdr.a:b", false, false, false),
            ("hdr.a:b", true, false, false),
        ] {
            assert_eq!(
                cache_fields(v, v24, kept).is_ok(),
                ok,
                "{v:?} 2.4: {v24}, kept: {kept}"
            );
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(uint("0100"), Ok(100));
        assert!(uint("-1").is_err());
        assert!(uint("5 }").is_err());
        assert!(uint("4294967296").is_err());
        assert!(uint("").is_err());
    }

    #[test]
    fn sizes() {
        for (s, n) in [
            ("1k", 1024),
            ("1KiB", 1024),
            ("256 M", 256 << 20),
            ("256MB", 256 << 20),
            ("1b", 1),
            ("7", 7),
        ] {
            assert_eq!(size(s), Ok(n), "{s}");
        }
        for s in ["1.5M", "1P", "1BB", "unlimited", "-1", ""] {
            assert!(size(s).is_err(), "{s}");
        }
    }

    #[test]
    fn times() {
        assert_eq!(time("60 secs"), Ok(60_000));
        assert_eq!(time("1 m"), Ok(60_000));
        assert_eq!(time("1mi"), Ok(60_000));
        assert_eq!(time("2000 ms"), Ok(2000));
        assert_eq!(time("0"), Ok(0));
        assert_eq!(time("4294967295 secs"), Ok(4_294_967_295_000));
        assert!(time("60").is_err());
        assert!(time("1500ms").is_err());
        assert!(time("1 fortnight").is_err());
    }

    #[test]
    fn bools_modes_ports() {
        assert_eq!(boolean("Y"), Ok(true));
        assert_eq!(boolean("No"), Ok(false));
        assert!(boolean("true").is_err());
        assert!(boolean("0").is_err());
        assert_eq!(mode("0600"), Ok(0o600));
        assert_eq!(mode("666"), Ok(0o1232));
        assert!(mode("0999").is_err());
        // As Dovecot: octal up to 64 bits, decimal up to 32.
        assert_eq!(mode("010000"), Ok(0o10000));
        assert_eq!(mode("01777777777777777777777"), Ok(u64::MAX));
        assert!(mode("02000000000000000000000").is_err());
        assert_eq!(mode("4294967295"), Ok(4294967295));
        assert!(mode("4294967296").is_err());
        assert!(mode("-1").is_err() && mode("0x1").is_err() && mode("").is_err());
        assert_eq!(port("143"), Ok(143));
        assert!(port("65536").is_err());
    }

    #[test]
    fn enums_take_their_words_exactly() {
        let fsync = Kind::Enum("optimized:always:never");
        assert_eq!(one_of("never", fsync), Ok("never".to_string()));
        assert!(one_of(" never", fsync).is_err());
        // Dovecot compares the whole word, case and all.
        let e = one_of("Never", fsync).unwrap_err();
        assert!(e.help.starts_with("did you mean `never`?"), "{e:?}");
        assert!(one_of("", fsync).is_err() && one_of("nev", fsync).is_err());
        // An empty first value is a value (`fts_decoder_driver =`).
        let driver = Kind::Enum(":script:tika");
        assert_eq!(one_of("", driver), Ok(String::new()));
        assert!(one_of("x", driver).unwrap_err().help.contains("or nothing"));
    }

    #[test]
    fn word_lists_take_their_words() {
        let w = Kind::Words {
            list: "delay-newmail tb-lsub-flags throttle:",
            exact: false,
            spaces: false,
            boollist: true,
        };
        assert!(words("delay-newmail, TB-LSUB-FLAGS throttle:1:2:3", w, false).is_ok());
        assert!(words("", w, false).is_ok());
        assert!(
            words("\"tb-lsub-flags\"", w, true).is_ok()
                && words("\"tb-lsub-flags\"", w, false).is_err()
        );
        assert!(words("throttle:+1:2:3", w, false).is_err());
        let e = words("delay-newmail tb-lsub-flag", w, false).unwrap_err();
        assert!(e.message.contains("`tb-lsub-flag`"), "{e:?}");
        assert!(e.help.starts_with("did you mean `tb-lsub-flags`?"), "{e:?}");
        // `throttle:` takes three numbers; `content-type=` anything.
        assert!(words("throttle:", w, false).is_err() && words("throttle:1:2", w, false).is_err());
        let exact = Kind::Words {
            list: "add-flags content-type=",
            exact: true,
            spaces: true,
            boollist: false,
        };
        assert!(words(
            "add-flags content-type=text/html content-type=",
            exact,
            false
        )
        .is_ok());
        assert!(words("Add-Flags", exact, false).is_err());
        // Where only spaces separate words, a comma is part of one.
        assert!(words("add-flags,add-flags", exact, false).is_err());
    }

    /// Dovecot 2.4's own cases (test-settings-parser.c), and a word list
    /// read that way.
    #[test]
    fn boollists_as_dovecot_24_reads_them() {
        for (v, words) in [
            ("", &[][..]),
            ("foo bar,baz", &["foo", "bar", "baz"][..]),
            (", foo, ,  b\\\\sa  ", &["foo", "b\\sa"][..]),
            (", a\\s\\e\\_\\+, ", &["a/= ,"][..]),
            ("\"\"", &[""][..]),
            ("\",.\"", &[",."][..]),
            ("\"esc\\\\\\\\str\"", &["esc\\str"][..]),
            ("\"quotes\\\"str\"", &["quotes\"str"][..]),
            ("\"val1\", \"val2\" \"val3\"", &["val1", "val2", "val3"][..]),
        ] {
            assert_eq!(boollist(v).unwrap(), words, "{v:?}");
        }
        for bad in ["\"", "\"foo\\", "x\"", "\"v1\"x", "\"v1\"\""] {
            assert!(boollist(bad).is_err(), "{bad:?}");
        }
        let w = Kind::Words {
            list: "delay-newmail tb-lsub-flags",
            exact: false,
            spaces: false,
            boollist: true,
        };
        assert!(words("\"delay-newmail\",tb-lsub-flags", w, true).is_ok());
        assert!(words("delay-newmail\"", w, true).is_err());
    }

    #[test]
    fn verbose_passwords_as_auth_checks_them() {
        for ok in ["no", "plain", "sha1", "yes", "plain:8", "sha1:4294967295"] {
            assert!(verbose_passwords(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "foo",
            "plain:0",
            "plain:",
            "sha1:x",
            "Plain",
            "plain:-1",
            "plain:4294967296",
        ] {
            assert!(verbose_passwords(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn pop3_uidl_formats_as_each_version_checks_them() {
        for ok in ["%08Xu%08Xv", "%v.%u", "%%%m", "x%-3.2Lg"] {
            assert!(pop3_uidl_format(ok, false).is_ok(), "{ok}");
        }
        for bad in ["", "uid", "%%", "%x", "%{uid}", "%08X"] {
            assert!(pop3_uidl_format(bad, false).is_err(), "{bad}");
        }
        for ok in [
            "%{uid | hex(8)}%{uidvalidity | hex(8)}",
            "%{md5}",
            "x%{guid}y",
        ] {
            assert!(pop3_uidl_format(ok, true).is_ok(), "{ok}");
        }
        for bad in ["%08Xu%08Xv", "", "%{user}", "%%{uid}"] {
            assert!(pop3_uidl_format(bad, true).is_err(), "{bad}");
        }
    }
}
