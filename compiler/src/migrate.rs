//! `svcc migrate`: one file of a Dovecot 2.3 config rewritten into 2.4,
//! text in, text out (the command line reads and writes the files).
//!
//! Line by line, so comments, blank lines, indentation and `!include`s stay
//! where they are. The renames are the 2.4 catalogue's ([`catalogue::renames`]); a value that
//! appends to its own setting (`mail_plugins = $mail_plugins quota`) becomes
//! 2.4's boollist; `$name` becomes `$SET:name`; a nameless `passdb {` or
//! `userdb {` takes its driver's name. A line this cannot convert safely (a
//! setting 2.4 does not know, a section it refuses) is kept as a
//! `# svcc migrate: ` comment and reported as a [`Note`]: hand work.

use crate::model::catalogue::{self, Dovecot, Scope};

/// A line that needs hand work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// 1-based line in the original file.
    pub line: usize,
    /// What to do.
    pub message: String,
}

/// One file converted.
#[derive(Debug, Clone)]
pub struct Migrated {
    /// The 2.4 text.
    pub text: String,
    /// The lines kept as comments, for a human.
    pub notes: Vec<Note>,
}

/// The prefix of every line kept for hand work.
pub const MARK: &str = "# svcc migrate: ";

/// What a section is, for the settings inside it.
#[derive(Debug, Clone, PartialEq)]
enum Ctx {
    /// Top level, or a filter (`protocol`, `local`, `remote`, ...) whose
    /// settings are global ones.
    Global,
    Service,
    Inet,
    Listener,
    /// A named section whose settings are `KIND_setting` in 2.4.
    Named(String),
    /// 2.3's `plugin { }`: its settings are top-level ones in 2.4.
    Plugin,
    /// Kept as a comment, with its contents.
    Commented,
}

const FILTERS: &[&str] = &["protocol", "local", "remote", "local_name"];

/// Converts the text of one 2.3 config file; `top` adds the
/// `dovecot_config_version` line 2.4 requires first.
pub fn migrate(text: &str, top: bool) -> Migrated {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = String::with_capacity(text.len() + 128);
    let mut notes = Vec::new();
    if top {
        out.push_str("dovecot_config_version = 2.4.0\ndovecot_storage_version = 2.4.0\n");
    }
    let mut stack: Vec<Ctx> = Vec::new();
    for (i, raw) in lines.iter().enumerate() {
        let line_no = i + 1;
        let (body, eol) = match raw.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (*raw, ""),
        };
        let trimmed = body.trim();
        let indent = &body[..body.len() - body.trim_start().len()];
        let commented = stack.contains(&Ctx::Commented);
        let mut hand = |out: &mut String, why: Option<String>| {
            out.push_str(indent);
            out.push_str(MARK);
            out.push_str(trimmed);
            out.push_str(eol);
            if let Some(message) = why {
                notes.push(Note {
                    line: line_no,
                    message,
                });
            }
        };
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('!') {
            out.push_str(raw);
            continue;
        }
        if trimmed == "}" {
            match stack.pop() {
                Some(Ctx::Commented) | Some(Ctx::Plugin) => hand(&mut out, None),
                _ if commented => hand(&mut out, None),
                _ => out.push_str(raw),
            }
            continue;
        }
        if let Some(header) = trimmed.strip_suffix('{') {
            let mut words = header.split_whitespace();
            let kind = words.next().unwrap_or("").to_string();
            let name: Vec<&str> = words.collect();
            if commented {
                stack.push(Ctx::Commented);
                hand(&mut out, None);
                continue;
            }
            let parent = stack.last().cloned().unwrap_or(Ctx::Global);
            let removed = kind == "service" && name.first().is_some_and(|n| removed_service(n));
            let ctx = match (parent, kind.as_str()) {
                (Ctx::Global, "service") if removed => Ctx::Commented,
                (Ctx::Global, "service") => Ctx::Service,
                (Ctx::Service, k) if k.ends_with("_listener") && name.is_empty() => Ctx::Commented,
                (Ctx::Global, k) if FILTERS.contains(&k) => Ctx::Global,
                (Ctx::Global, "plugin") if name.is_empty() => Ctx::Plugin,
                (Ctx::Service, "inet_listener") => Ctx::Inet,
                (Ctx::Service, "unix_listener" | "fifo_listener") => Ctx::Listener,
                (Ctx::Global | Ctx::Named(_), k)
                    if catalogue::is_dovecot24_setting(k) || is_list_filter(k) =>
                {
                    Ctx::Named(k.to_string())
                }
                _ => Ctx::Commented,
            };
            match ctx {
                Ctx::Commented => {
                    let has_settings = section_has_settings(&lines[i + 1..]);
                    stack.push(Ctx::Commented);
                    let why = has_settings.then(|| match kind.as_str() {
                        "service" => format!("service `{}` is gone in Dovecot 2.4: drop it or convert by hand", name.join(" ")),
                        k if k.ends_with("_listener") => format!("a `{k}` needs a name in Dovecot 2.4"),
                        _ => format!("`{kind} {{ }}` is not a Dovecot 2.4 section: convert its settings by hand"),
                    });
                    hand(&mut out, why);
                }
                Ctx::Plugin => {
                    stack.push(Ctx::Plugin);
                    hand(&mut out, None);
                }
                _ if name.is_empty() && matches!(kind.as_str(), "passdb" | "userdb") => {
                    // 2.4 names every passdb/userdb; 2.3's driver is the usual name.
                    match driver_of(&lines[i + 1..]) {
                        Some(driver) => {
                            out.push_str(&format!("{indent}{kind} {driver} {{{eol}"));
                            stack.push(ctx);
                        }
                        None => {
                            stack.push(Ctx::Commented);
                            hand(
                                &mut out,
                                Some(format!(
                                    "`{kind} {{` needs a name in Dovecot 2.4 (`{kind} NAME {{`)"
                                )),
                            );
                        }
                    }
                }
                _ => {
                    out.push_str(raw);
                    stack.push(ctx);
                }
            }
            continue;
        }
        let Some((key, value)) = trimmed.split_once('=') else {
            hand(
                &mut out,
                Some("not a setting, section or include: fix by hand".into()),
            );
            continue;
        };
        if commented {
            hand(&mut out, None);
            continue;
        }
        let (key, value) = (key.trim(), value.trim());
        let ctx = stack.last().cloned().unwrap_or(Ctx::Global);
        match setting(&ctx, key, value) {
            Ok(new) => {
                // One line or several (a boollist, mail_location's parts),
                // each at this line's indentation.
                for (n, l) in new.lines().enumerate() {
                    if n > 0 {
                        out.push('\n');
                    }
                    out.push_str(indent);
                    out.push_str(l);
                }
                out.push_str(eol);
            }
            Err(why) => hand(&mut out, Some(why)),
        }
    }
    Migrated { text: out, notes }
}

/// A service Dovecot 2.3 has built in and 2.4 does not.
fn removed_service(name: &str) -> bool {
    let builtin = |v| {
        crate::model::builtin_services_of(v)
            .iter()
            .any(|s| s.name == name)
    };
    builtin(Dovecot::V23) && !builtin(Dovecot::V24)
}

/// The named list filters of 2.4 whose name is free (`passdb NAME`).
fn is_list_filter(kind: &str) -> bool {
    matches!(
        kind,
        "passdb" | "userdb" | "namespace" | "mailbox" | "dict_server"
    )
}

/// One setting in 2.4's spelling, or why it needs a human.
fn setting(ctx: &Ctx, key: &str, value: &str) -> Result<String, String> {
    let scope = match ctx {
        Ctx::Service => Some(Scope::Service),
        Ctx::Inet => Some(Scope::InetListener),
        Ctx::Global | Ctx::Plugin => Some(Scope::Global),
        _ => None,
    };
    let (key, value) = match scope.and_then(|s| catalogue::renamed(s, key)) {
        Some(r) if r.old == key => {
            let v = crate::model::rename_value(r, Dovecot::V24, value);
            if r.file && !value.starts_with('<') && !value.is_empty() {
                return Err(format!(
                    "`{key}` holds the PEM text itself: write it to a file and set `{} = FILE`",
                    r.new
                ));
            }
            (r.new.to_string(), v)
        }
        _ => (key.to_string(), value.to_string()),
    };
    let (key, value) = match key.as_str() {
        // 2.3's 0 is "no limit"; 2.4 says so.
        "restart_request_count" if value == "0" => (key, "unlimited".to_string()),
        "ssl_prefer_server_ciphers" => (
            "ssl_server_prefer_ciphers".to_string(),
            if value == "yes" { "server" } else { "client" }.to_string(),
        ),
        // 2.3's `no_compression` asked for its default; 2.4 refuses the word.
        "ssl_options" => {
            // (The words of the value as Dovecot reads it, quotes off.)
            let inner = ['"', '\'']
                .iter()
                .find_map(|q| value.strip_prefix(*q).and_then(|v| v.strip_suffix(*q)))
                .unwrap_or(&value);
            let words = inner
                .split([' ', ','])
                .filter(|w| !w.is_empty() && !w.eq_ignore_ascii_case("no_compression"));
            (key, words.collect::<Vec<_>>().join(" "))
        }
        _ => (key, value),
    };
    if key == "mail_location" && matches!(ctx, Ctx::Global | Ctx::Named(_)) {
        return mail_location(&value);
    }
    let cat = catalogue::catalogue(Dovecot::V24);
    let known = match ctx {
        Ctx::Service => {
            cat.get(Scope::Service, &key).is_some() || catalogue::is_dovecot24_setting(&key)
        }
        Ctx::Inet => cat.get(Scope::InetListener, &key).is_some(),
        Ctx::Listener => cat.get(Scope::UnixListener, &key).is_some(),
        Ctx::Named(kind) => {
            catalogue::is_dovecot24_setting(&key)
                || catalogue::is_dovecot24_setting(&format!("{kind}_{key}"))
                || (kind == "passdb" || kind == "userdb")
                    && catalogue::is_dovecot24_setting(&format!("{kind}_sql_{key}"))
        }
        Ctx::Global | Ctx::Plugin => catalogue::is_dovecot24_setting(&key),
        Ctx::Commented => false,
    };
    if !known {
        return Err(format!(
            "`{key}` is not a Dovecot 2.4 setting here: convert it by hand"
        ));
    }
    // A 2.4 string list is set as a section of `KEY = VALUE` lines, which
    // adds to the list: 2.3's `import_environment = TZ LANG=C` replaced it,
    // so the list is emptied first (`KEY =`), unless 2.3 appended to it
    // (`$import_environment TZ`). A bare name imports the variable.
    if matches!(ctx, Ctx::Global)
        && cat
            .get(Scope::Global, &key)
            .is_some_and(|d| d.kind == catalogue::Kind::StrList)
    {
        let (mut s, items) = match value.strip_prefix(&format!("${key}")) {
            Some(rest) if rest.is_empty() || rest.starts_with(' ') => (String::new(), rest),
            _ => (format!("{key} =\n"), value.as_str()),
        };
        if items.trim().is_empty() {
            return Ok(s.trim_end().to_string());
        }
        s.push_str(&format!("{key} {{\n"));
        for item in items.split_whitespace() {
            match item.split_once('=') {
                Some((k, v)) => s.push_str(&format!("  {k} = {}\n", variables(v)?)),
                None if key == "import_environment" => {
                    s.push_str(&format!("  {item} = %{{env:{item}}}\n"))
                }
                None => {
                    return Err(format!(
                        "`{key}` is a string list in 2.4 (`{key} {{ KEY = VALUE }}`): `{item}` names no value, convert it by hand"
                    ))
                }
            }
        }
        s.push('}');
        return Ok(s);
    }
    // `K = $K a b`: appending to a list is 2.4's boollist.
    if let Some(rest) = value.strip_prefix(&format!("${key}")) {
        if rest.is_empty() || rest.starts_with(' ') {
            let mut s = format!("{key} {{\n");
            for item in rest.split([' ', ',']).filter(|s| !s.is_empty()) {
                s.push_str(&format!("  {item} = yes\n"));
            }
            s.push('}');
            return Ok(s);
        }
    }
    Ok(format!("{key} = {}", variables(&value)?))
}

/// 2.3's `mail_location = DRIVER:PATH:KEY=VALUE…` as 2.4's separate
/// settings.
fn mail_location(value: &str) -> Result<String, String> {
    let hand = || {
        format!("`mail_location = {value}` has parts svcc cannot convert safely: convert by hand (mail_driver, mail_path, …)")
    };
    let mut parts = value.split(':');
    let driver = parts.next().unwrap_or("").trim();
    if !matches!(
        driver,
        "mbox" | "maildir" | "sdbox" | "mdbox" | "imapc" | "pop3c"
    ) {
        return Err(hand());
    }
    let home = |p: &str| match p.strip_prefix("~/") {
        Some(rest) => format!("%{{home}}/{rest}"),
        None if p == "~" => "%{home}".to_string(),
        None => p.to_string(),
    };
    let mut out = format!("mail_driver = {driver}");
    if let Some(path) = parts.next().filter(|p| !p.is_empty()) {
        out.push_str(&format!("\nmail_path = {}", home(&variables(path)?)));
    }
    for part in parts {
        let (k, v) = part.split_once('=').ok_or_else(hand)?;
        let key = match k {
            "INBOX" => "mail_inbox_path",
            "INDEX" => "mail_index_path",
            "CONTROL" => "mail_control_path",
            "VOLATILEDIR" => "mail_volatile_path",
            "LAYOUT" => "mailbox_list_layout",
            _ => return Err(hand()),
        };
        out.push_str(&format!("\n{key} = {}", home(&variables(v)?)));
    }
    Ok(out)
}

/// `$name` → `$SET:name`; 2.3's one-letter `%` variables → 2.4's `%{…}`.
fn variables(value: &str) -> Result<String, String> {
    let mut out = String::with_capacity(value.len());
    for (n, tok) in value.split(' ').enumerate() {
        if n > 0 {
            out.push(' ');
        }
        match tok.strip_prefix('$') {
            Some(name)
                if !name.starts_with("ENV:") && !name.starts_with("SET:") && !name.is_empty() =>
            {
                out.push_str("$SET:");
                out.push_str(name);
            }
            _ => out.push_str(tok),
        }
    }
    if !out.contains('%') {
        return Ok(out);
    }
    let mut res = String::with_capacity(out.len());
    let mut chars = out.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            res.push(c);
            continue;
        }
        let var = match chars.next() {
            Some('%') => "%",
            Some('{') => {
                return Err(format!(
                    "`{value}` uses 2.3's `%{{…}}` variables, whose names changed in 2.4: convert by hand"
                ))
            }
            Some('u') => "%{user}",
            Some('n') => "%{user | username}",
            Some('d') => "%{user | domain}",
            Some('h') => "%{home}",
            Some('s') => "%{protocol}",
            Some('r') => "%{remote_ip}",
            Some('l') => "%{local_ip}",
            Some('p') => "%{pid}",
            other => {
                return Err(format!(
                    "`%{}` in `{value}` has no safe 2.4 spelling: convert by hand",
                    other.map(String::from).unwrap_or_default()
                ))
            }
        };
        res.push_str(var);
    }
    Ok(res)
}

/// The `driver = X` directly inside the section that starts after a header.
fn driver_of(rest: &[&str]) -> Option<String> {
    let mut depth = 0;
    for l in rest {
        let t = l.trim();
        if t.ends_with('{') {
            depth += 1;
        } else if t == "}" {
            if depth == 0 {
                return None;
            }
            depth -= 1;
        } else if depth == 0 {
            if let Some((k, v)) = t.split_once('=') {
                if k.trim() == "driver" && !v.trim().is_empty() {
                    return Some(v.trim().to_string());
                }
            }
        }
    }
    None
}

/// Whether a section (after its header) sets anything.
fn section_has_settings(rest: &[&str]) -> bool {
    let mut depth = 0;
    for l in rest {
        let t = l.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if t == "}" {
            if depth == 0 {
                return false;
            }
            depth -= 1;
        } else if t.ends_with('{') {
            depth += 1;
        } else {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(text: &str) -> Migrated {
        migrate(text, false)
    }

    #[test]
    fn renames_keep_layout_and_comments() {
        let r = m("# hello\nservice imap-login {\n  service_count = 1 \n  idle_kill = 5 mins\n  inet_listener imap {\n    address = 127.0.0.1\n    port = 143\n  }\n}\nssl_cert = </etc/c.pem\nssl_prefer_server_ciphers = yes\nssl_options = \"no_compression, no_ticket\"\n");
        assert_eq!(
            r.text,
            "# hello\nservice imap-login {\n  restart_request_count = 1\n  idle_kill_interval = 5 mins\n  inet_listener imap {\n    listen = 127.0.0.1\n    port = 143\n  }\n}\nssl_server_cert_file = /etc/c.pem\nssl_server_prefer_ciphers = server\nssl_options = no_ticket\n"
        );
        assert!(r.notes.is_empty());
    }

    #[test]
    fn the_top_file_starts_with_the_version() {
        let r = migrate("protocols = imap\n", true);
        assert!(r
            .text
            .starts_with("dovecot_config_version = 2.4.0\ndovecot_storage_version = 2.4.0\n"));
    }

    #[test]
    fn appending_to_a_list_becomes_a_boollist_and_variables_change_spelling() {
        let r = m("protocol lmtp {\n  mail_plugins = $mail_plugins quota sieve\n}\nmail_home = /home/%d/%n\nuser = $default_internal_user\n");
        assert_eq!(
            r.text,
            "protocol lmtp {\n  mail_plugins {\n    quota = yes\n    sieve = yes\n  }\n}\nmail_home = /home/%{user | domain}/%{user | username}\n# svcc migrate: user = $default_internal_user\n"
        );
        assert_eq!(r.notes.len(), 1, "`user` is no global: {:?}", r.notes);
    }

    #[test]
    fn a_string_list_becomes_a_section() {
        let r = m("import_environment = TZ LANG=C\n");
        assert_eq!(
            r.text,
            "import_environment =\nimport_environment {\n  TZ = %{env:TZ}\n  LANG = C\n}\n"
        );
        let r = m("import_environment = $import_environment TZ\n");
        assert_eq!(r.text, "import_environment {\n  TZ = %{env:TZ}\n}\n");
        assert!(r.notes.is_empty(), "{:?}", r.notes);
    }

    #[test]
    fn what_cannot_be_converted_is_kept_as_a_comment_and_noted() {
        let r = m("mail_location = maildir:~/Maildir:UTF-8\npassdb {\n  driver = sql\n  args = /etc/dovecot/sql.conf\n}\ndict {\n}\nplugin {\n  quota = maildir\n}\n");
        assert_eq!(
            r.text,
            "# svcc migrate: mail_location = maildir:~/Maildir:UTF-8\npassdb sql {\n  driver = sql\n  # svcc migrate: args = /etc/dovecot/sql.conf\n}\n# svcc migrate: dict {\n# svcc migrate: }\n# svcc migrate: plugin {\n  # svcc migrate: quota = maildir\n# svcc migrate: }\n"
        );
        let lines: Vec<usize> = r.notes.iter().map(|n| n.line).collect();
        assert_eq!(lines, [1, 4, 9], "{:?}", r.notes);
    }
}
