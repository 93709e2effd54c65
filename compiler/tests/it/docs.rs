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
