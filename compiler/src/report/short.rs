//! `FILE:LINE:COL: SEVERITY[CODE]: MESSAGE`, one line per diagnostic, for
//! editors' problem matchers and vim's quickfix.

use super::{escape_controls, location, Diagnostic};
use crate::syntax::SourceMap;

/// One line (no newline) for a diagnostic.
pub fn render_short(map: &SourceMap, d: &Diagnostic) -> String {
    let (file, at, _) = location(map, d);
    format!(
        "{}:{}:{}: {}[{}]: {}",
        escape_controls(&file),
        at.line,
        at.column,
        d.severity.as_str(),
        d.code,
        escape_controls(&d.message.replace('\n', " "))
    )
}
