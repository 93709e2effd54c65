//! docs/checks.md is generated from the catalogue; keep it in step.

#[test]
fn checks_md_matches_the_catalogue() {
    let want = svcc_compiler::check::codes::markdown();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/checks.md");
    let have = std::fs::read_to_string(path).unwrap_or_default();
    if have != want && std::env::var_os("SVCC_BLESS").is_some() {
        std::fs::write(path, &want).unwrap();
        return;
    }
    assert!(
        have == want,
        "docs/checks.md is stale: run `SVCC_BLESS=1 cargo test -p svcc-compiler --test it docs`"
    );
}

/// Each code's help URI (SARIF's `helpUri`, the LSP's `codeDescription`)
/// names a heading that docs/checks.md has, or a page of its own; no two
/// codes share one.
#[test]
fn help_uris_name_each_codes_heading() {
    use svcc_compiler::check::codes;
    let md = codes::markdown();
    // The fragments GitHub gives the `## ` headings, by its own rule
    // (lower case; letters, digits, `-`, `_` kept; spaces become `-`).
    let slugs: Vec<String> = md
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .map(|h| {
            h.chars()
                .filter_map(|c| match c {
                    ' ' => Some('-'),
                    c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                    _ => None,
                })
                .flat_map(char::to_lowercase)
                .collect()
        })
        .collect();
    let base = "https://example.org/svcc/blob/main/docs/checks.md";
    let mut seen = std::collections::HashSet::new();
    for c in codes::ALL {
        let uri = codes::help_uri(base, c.code);
        let (page, fragment) = uri.split_once('#').expect("a fragment");
        assert_eq!(page, base);
        assert!(
            slugs.iter().any(|s| s == fragment),
            "{uri}: no such heading"
        );
        assert!(seen.insert(fragment.to_string()), "{uri} twice");
        let dir = codes::help_uri("file:///cache/docs/", c.code);
        assert_eq!(
            dir,
            format!("file:///cache/docs/{}", codes::page_name(c.code))
        );
        assert!(codes::page(c).contains(c.explanation));
    }
    assert_eq!(
        codes::help_uri(base, "svcc::unused-suppression"),
        format!("{base}#svccunused-suppression")
    );
}

/// docs/settings.md is generated from the catalogue too.
#[test]
fn settings_md_matches_the_catalogue() {
    let want = svcc_compiler::model::settings_doc::markdown();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/settings.md");
    let have = std::fs::read_to_string(path).unwrap_or_default();
    if have != want && std::env::var_os("SVCC_BLESS").is_some() {
        std::fs::write(path, &want).unwrap();
        return;
    }
    assert!(
        have == want,
        "docs/settings.md is stale: run `SVCC_BLESS=1 cargo test -p svcc-compiler --test it docs`"
    );
    // Both versions' names are there, and svcc's own settings.
    for name in [
        "restart_request_count",
        "service_count",
        "client_idle_timeout",
        "max_body",
    ] {
        assert!(want.contains(&format!("`{name}`")), "{name} missing");
    }
}
