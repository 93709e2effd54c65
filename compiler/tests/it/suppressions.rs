//! `# svcc: disable=` as the macro sees it: the build-only findings (what
//! `svcc build` and `svcc::main!` add) are suppressed like any other, and a
//! suppressed error becomes no `compile_error!`.

use svcc_compiler::check::codes;
use svcc_compiler::{check_path, codegen, Options};

fn expand(text: &str) -> (Vec<&'static str>, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("svcc.conf");
    std::fs::write(&path, text).unwrap();
    let opts = Options {
        for_build: true,
        ..Options::default()
    };
    let checked = check_path(path.to_str().unwrap(), &opts).unwrap();
    let tokens = codegen::generate(&codegen::Input {
        checked: &checked,
        handlers: &[],
        krate: quote::quote!(::svcc),
    })
    .to_string();
    (checked.diagnostics.iter().map(|d| d.code).collect(), tokens)
}

const CONF: &str = "service web {\n  executable = http\n  inet_listener web {\n    port = 8080\n    reuse_port = yes MARK\n  }\n}\n";

#[test]
fn the_macro_honours_suppressions() {
    let (found, tokens) = expand(&CONF.replace(" MARK", ""));
    assert_eq!(found, [codes::UNSUPPORTED_SETTING]);
    assert!(tokens.contains("compile_error") && tokens.contains("unsupported-setting"));

    let (found, tokens) = expand(&CONF.replace("MARK", "# svcc: disable=unsupported-setting"));
    assert_eq!(found, Vec::<&str>::new());
    assert!(!tokens.contains("compile_error"), "{tokens}");

    // A suppression of what is not there is reported, as a warning.
    let (found, tokens) = expand(&CONF.replace(
        "MARK",
        "# svcc: disable=unsupported-setting\n# svcc: disable=listener-conflict",
    ));
    assert_eq!(found, [codes::UNUSED_SUPPRESSION]);
    assert!(
        !tokens.contains("compile_error") && tokens.contains("unused-suppression"),
        "{tokens}"
    );
}
