//! Debian's stock Dovecot 2.3 configuration (package dovecot-core) checks
//! with no errors. `.ci/run` installs the package; under CI a missing file
//! fails the test instead of skipping it.

use svcc_compiler::{HostLimits, Options, Severity};

const STOCK: &str = "/usr/share/dovecot/dovecot.conf";

#[test]
fn stock_dovecot_config_has_no_errors() {
    if !std::path::Path::new(STOCK).exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{STOCK} missing: install dovecot-core"
        );
        eprintln!("skipping: {STOCK} missing (install dovecot-core)");
        return;
    }
    let opts = Options {
        host: HostLimits {
            somaxconn: Some(4096),
            nofile: Some(65536),
            managesieve: None,
            users: None,
        },
        ..Options::default()
    };
    let checked = svcc_compiler::check_path(STOCK, &opts).unwrap();
    let bad: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.severity >= Severity::Warning)
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
    assert!(
        checked.doc.sources.files().count() > 10,
        "conf.d was not included"
    );
    assert!(checked.model.services.len() >= 5);
}
