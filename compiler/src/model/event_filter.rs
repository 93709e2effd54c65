//! Dovecot's event filters (`log_debug`, `log_core_filter`,
//! `process_shutdown_filter`, a 2.3 `metric`'s `filter`): the syntax its
//! lexer and parser take, and the one rule its parser adds (only fields
//! compare with `<` or `>`). Checked as doveconf checks them, so a filter
//! Dovecot refuses at start-up is reported with the config.

use pest::Parser;
use pest_derive::Parser;

use super::value::ValueError;

#[derive(Parser)]
#[grammar = "model/event_filter.pest"]
struct FilterParser;

/// Parentheses and `NOT`s past this many are refused: the parser recurses
/// once for each (Dovecot's bison stack gives up near 10,000).
const MAX_NESTING: usize = 1000;

/// Checks an event filter; `v24` takes 2.4's tokens (`/` and `%` in words).
pub(crate) fn check(v: &str, v24: bool) -> Result<(), ValueError> {
    let syntax = |what: String| {
        ValueError {
        message: format!("event filter: {what}"),
        help: "write conditions as `KEY=VALUE` (`event`, `category`, `source_location` or a field; \
               fields also take `<`, `>`, `<=`, `>=`), joined with `AND`, `OR`, `NOT` and parentheses; \
               quote a value with other characters: `source_location=\"imap-client.c:42\"`"
            .to_string(),
    }
    };
    if nesting(v) > MAX_NESTING {
        return Err(syntax(format!(
            "more than {MAX_NESTING} parentheses and NOTs (svcc reads no deeper)"
        )));
    }
    let pairs = FilterParser::parse(Rule::filter, v).map_err(|e| {
        let at = match e.location {
            pest::error::InputLocation::Pos(p) | pest::error::InputLocation::Span((p, _)) => p,
        };
        let near: String = v[at..].chars().take(20).collect();
        syntax(if near.is_empty() {
            "syntax error at its end".to_string()
        } else {
            format!("syntax error at `{near}` (byte {})", at + 1)
        })
    })?;
    for pair in pairs.flatten() {
        match pair.as_rule() {
            Rule::token if !v24 && pair.as_str().contains(['/', '%']) => {
                return Err(syntax(format!(
                    "`{}`: Dovecot 2.3 takes `/` and `%` only in quotes",
                    pair.as_str()
                )));
            }
            Rule::key_value => {
                let mut parts = pair.into_inner();
                let (Some(key), Some(op)) = (parts.next(), parts.next()) else {
                    continue;
                };
                let name = key_name(key.as_str(), v24);
                let compares = op.as_str() != "=";
                if compares && matches!(name.as_str(), "event" | "category" | "source_location") {
                    return Err(syntax(format!(
                        "`{name}` compares only with `=` (\"Only fields support inequality comparisons\")"
                    )));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// A key as Dovecot compares it: a quoted one unescaped (2.3's lexer keeps
/// a backslash before other characters; 2.4 also unescapes those).
fn key_name(key: &str, v24: bool) -> String {
    let Some(inner) = key.strip_prefix('"').and_then(|k| k.strip_suffix('"')) else {
        return key.to_string();
    };
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(n) if v24 || n == '\\' || n == '"' => out.push(n),
            Some(n) => {
                out.push('\\');
                out.push(n);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Parentheses and `NOT` words outside quotes: a bound on the parser's
/// depth.
fn nesting(v: &str) -> usize {
    let mut n = 0;
    let mut quoted = false;
    let mut escaped = false;
    let b = v.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if quoted {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => quoted = false,
                _ => {}
            }
            continue;
        }
        match c {
            b'"' => quoted = true,
            b'(' => n += 1,
            b'n' | b'N' if b[i..].len() >= 3 && b[i..i + 3].eq_ignore_ascii_case(b"not") => n += 1,
            _ => {}
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::check;

    /// What doveconf 2.3 and 2.4 said of each (`doveconf -n` with
    /// `log_debug = ...`).
    #[test]
    fn takes_what_dovecot_takes() {
        for (v, ok23, ok24) in [
            ("", true, true),
            ("category=auth", true, true),
            (
                "event=imap_command_finished AND NOT (user=a* OR user=\"b c\")",
                true,
                true,
            ),
            ("not(a=b)", true, true),
            ("a > = 5", true, true),
            ("a>=5 and b<3", true, true),
            ("a=and", true, true),
            ("\"abc", true, true),
            ("a=b \"xyz", true, true),
            ("a=x/y%z", false, true),
            ("a=\"x/y\"", true, true),
            ("(", false, false),
            ("a=b c=d", false, false),
            ("and=b", false, false),
            ("a=b and", false, false),
            ("a=\"xyz", false, false),
            ("a=b \\\"xyz", false, false),
            ("a=é", false, false),
            ("event < 5", false, false),
            ("category>=x", false, false),
            ("\"source_location\"<x", false, false),
            ("a => 5", false, false),
        ] {
            assert_eq!(check(v, false).is_ok(), ok23, "2.3: {v}");
            assert_eq!(check(v, true).is_ok(), ok24, "2.4: {v}");
        }
    }

    /// Deep nesting is refused, not a stack overflow.
    #[test]
    fn deep_nesting_is_refused() {
        let v = format!("{}a=b{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(check(&v, false).is_err());
        let v = format!("{}a=b", "not ".repeat(100_000));
        assert!(check(&v, true).is_err());
        let v = format!("{}a=b{}", "(".repeat(500), ")".repeat(500));
        assert!(check(&v, true).is_ok());
    }
}
