//! GitHub Actions workflow commands, one per diagnostic:
//! `::error file=F,line=L,col=C,endLine=L,endColumn=C,title=CODE::MESSAGE`,
//! which the runner turns into annotations on the pull request.

use super::{location, Diagnostic, Severity};
use crate::syntax::SourceMap;

/// The runner's escaping of a command's message.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// The runner's escaping of a property value (`:` and `,` end properties).
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One workflow command (no newline).
pub fn render_github(map: &SourceMap, d: &Diagnostic) -> String {
    let (file, a, b) = location(map, d);
    let command = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Advice => "notice",
    };
    // Columns are inclusive for the runner; svcc's ends are exclusive.
    let end_column = if b.line == a.line {
        b.column.saturating_sub(1).max(a.column)
    } else {
        b.column.max(1)
    };
    let mut message = d.full_message();
    if let Some(h) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(h);
    }
    format!(
        "::{command} file={},line={},col={},endLine={},endColumn={end_column},title={}::{}",
        escape_property(&file),
        a.line,
        a.column,
        b.line,
        escape_property(d.code),
        escape_data(&message)
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_what_the_runner_requires() {
        assert_eq!(super::escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
        assert_eq!(super::escape_data("50%\r\nok: yes"), "50%25%0D%0Aok: yes");
    }
}
