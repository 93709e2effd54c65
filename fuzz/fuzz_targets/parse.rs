//! Any text: parsing, checking and every renderer finish without a panic,
//! and every label lies inside its file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use svcc_compiler::report;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let checked = svcc_compiler::check_str("<fuzz>", &text, &Default::default());
    let map = &checked.doc.sources;
    for p in report::cap_per_file(&checked.diagnostics, report::MAX_PRINTED_PER_FILE) {
        let report::Printed::Diagnostic(d) = p else {
            continue;
        };
        for l in &d.labels {
            assert!(l.span.start <= l.span.end);
            assert!(l.span.end as usize <= map.get(l.span.file).text.len());
        }
        let human = report::render_human(map, d, Default::default());
        let _ = report::render_json(map, d, &human, checked.model.version.as_str());
        let _ = report::render_short(map, d);
        let _ = report::render_plain(map, d);
    }
});
