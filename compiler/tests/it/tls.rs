//! The TLS checks on certificates generated here (rcgen; never committed):
//! key mismatch, expiry, local_name coverage, implicit TLS on a STARTTLS
//! port, and what `svcc build` says about TLS settings rustls cannot honour.

use std::path::Path;
use svcc_compiler::check::codes;
use svcc_compiler::report;
use svcc_compiler::Options;

/// Year, month, day.
type Ymd = (i32, u8, u8);

enum Alg {
    Ec,
    Rsa,
}

/// Writes `STEM.pem`/`STEM.key` for `names`, valid between the two dates
/// (`None`: rcgen's defaults, 1975 to 4096).
fn cert(dir: &Path, stem: &str, names: &[&str], alg: Alg, validity: Option<(Ymd, Ymd)>) {
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap();
    if let Some(((y0, m0, d0), (y1, m1, d1))) = validity {
        params.not_before = rcgen::date_time_ymd(y0, m0, d0);
        params.not_after = rcgen::date_time_ymd(y1, m1, d1);
    }
    let key = match alg {
        Alg::Ec => rcgen::KeyPair::generate().unwrap(),
        Alg::Rsa => rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap(),
    };
    let c = params.self_signed(&key).unwrap();
    std::fs::write(dir.join(format!("{stem}.pem")), c.pem()).unwrap();
    std::fs::write(dir.join(format!("{stem}.key")), key.serialize_pem()).unwrap();
}

/// Checks `conf` written as `dir/svcc.conf`; the short rendering of every
/// finding, with the directory shown as `[DIR]`.
fn check(dir: &Path, conf: &str, for_build: bool) -> Vec<String> {
    let path = dir.join("svcc.conf");
    std::fs::write(&path, conf).unwrap();
    let opts = Options {
        for_build,
        ..Options::default()
    };
    let checked = svcc_compiler::check_path(path.to_str().unwrap(), &opts).unwrap();
    let d = dir.to_str().unwrap();
    checked
        .diagnostics
        .iter()
        .map(|x| report::render_short(&checked.doc.sources, x).replace(d, "[DIR]"))
        .collect()
}

fn with_code(found: &[String], code: &str) -> Vec<String> {
    found
        .iter()
        .filter(|l| l.contains(&format!("[{code}]")))
        .cloned()
        .collect()
}

const SERVICE: &str = "protocols = imap\nservice imap-login {\n  inet_listener imaps {\n    port = 993\n    ssl = yes\n  }\n}\n";

#[test]
fn a_matching_pair_is_quiet_and_a_foreign_key_is_an_error() {
    for (alg, other) in [(Alg::Ec, Alg::Ec), (Alg::Rsa, Alg::Rsa)] {
        let dir = tempfile::tempdir().unwrap();
        cert(dir.path(), "a", &["mail.example.com"], alg, None);
        cert(dir.path(), "b", &["mail.example.com"], other, None);
        let good = format!("ssl_cert = <a.pem\nssl_key = <a.key\n{SERVICE}");
        let found = check(dir.path(), &good, false);
        assert!(found.is_empty(), "{found:#?}");
        let bad = format!("ssl_cert = <a.pem\nssl_key = <b.key\n{SERVICE}");
        let found = check(dir.path(), &bad, false);
        let m = with_code(&found, codes::SSL_KEY_MISMATCH);
        assert_eq!(m.len(), 1, "{found:#?}");
        insta::assert_snapshot!("ssl-key-mismatch.short", m[0].clone());
    }
}

#[test]
fn expired_and_expiring_certificates() {
    let dir = tempfile::tempdir().unwrap();
    cert(
        dir.path(),
        "old",
        &["mail.example.com"],
        Alg::Ec,
        Some(((2019, 1, 1), (2020, 1, 1))),
    );
    let found = check(
        dir.path(),
        &format!("ssl_cert = <old.pem\nssl_key = <old.key\n{SERVICE}"),
        false,
    );
    let m = with_code(&found, codes::SSL_CERT_EXPIRED);
    assert_eq!(m.len(), 1, "{found:#?}");
    insta::assert_snapshot!("ssl-cert-expired.short", m[0].clone());

    // Ten days from now.
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        + 10 * 86400
        + 3600;
    let (y, mo, d) = civil(secs / 86400);
    cert(
        dir.path(),
        "soon",
        &["mail.example.com"],
        Alg::Ec,
        Some(((2020, 1, 1), (y, mo, d))),
    );
    let found = check(
        dir.path(),
        &format!("ssl_cert = <soon.pem\nssl_key = <soon.key\n{SERVICE}"),
        false,
    );
    let m = with_code(&found, codes::SSL_CERT_EXPIRING);
    assert_eq!(m.len(), 1, "{found:#?}");
    let date = format!("{y:04}-{mo:02}-{d:02}");
    assert!(m[0].contains(&date), "{m:?}");
    assert!(m[0].starts_with("[DIR]/svcc.conf:1:1: warning"), "{m:?}");
}

fn civil(days: i64) -> (i32, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        (yoe + era * 400 + i64::from(m <= 2)) as i32,
        m as u8,
        d as u8,
    )
}

#[test]
fn a_local_name_certificate_must_cover_the_name() {
    let dir = tempfile::tempdir().unwrap();
    cert(dir.path(), "global", &["mx.example.com"], Alg::Ec, None);
    cert(dir.path(), "other", &["other.example.org"], Alg::Ec, None);
    cert(dir.path(), "wild", &["*.example.com"], Alg::Ec, None);
    let conf = |c: &str| {
        format!(
            "ssl_cert = <global.pem\nssl_key = <global.key\n{SERVICE}local_name mail.example.com {{\n  ssl_cert = <{c}.pem\n  ssl_key = <{c}.key\n}}\n"
        )
    };
    let found = check(dir.path(), &conf("wild"), false);
    assert!(found.is_empty(), "{found:#?}");
    let found = check(dir.path(), &conf("other"), false);
    let m = with_code(&found, codes::SSL_NAME_MISMATCH);
    assert_eq!(m.len(), 1, "{found:#?}");
    insta::assert_snapshot!("ssl-name-mismatch.short", m[0].clone());
}

#[test]
fn implicit_tls_on_a_starttls_port_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    cert(dir.path(), "c", &["mail.example.com"], Alg::Ec, None);
    let conf = "ssl_cert = <c.pem\nssl_key = <c.key\nprotocols = imap\nservice imap-login {\n  inet_listener imap {\n    port = 143\n    ssl = yes\n  }\n}\n";
    let found = check(dir.path(), conf, false);
    let m = with_code(&found, codes::SSL_PORT);
    assert_eq!(m.len(), 1, "{found:#?}");
    assert!(m[0].contains("STARTTLS port"), "{m:?}");
    // The same listener without ssl is fine.
    let found = check(dir.path(), &conf.replace("    ssl = yes\n", ""), false);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn build_reports_what_rustls_cannot_honour() {
    let dir = tempfile::tempdir().unwrap();
    cert(dir.path(), "c", &["mail.example.com"], Alg::Ec, None);
    let conf = "ssl_cert = <c.pem\nssl_key = <c.key\nssl_cipher_list = ECDHE-ECDSA-AES128-GCM-SHA256:ALL:!aNULL\nssl_curve_list = X25519:brainpoolP256r1\nssl_dh = </usr/share/dovecot/dh.pem\nssl_min_protocol = TLSv1.1\nssl_key_password = secret\nprotocols = imap\nservice imap-login {\n  executable = echo\n  inet_listener imaps {\n    port = 993\n    ssl = yes\n  }\n}\nlocal_name mail.example.com {\n  ssl_cert = <c.pem\n  ssl_key = <c.key\n  mail_location = maildir:~/M\n}\n";
    let found = check(dir.path(), conf, true);
    let ignored = with_code(&found, codes::SSL_IGNORED);
    assert_eq!(ignored.len(), 3, "{found:#?}");
    assert!(ignored[0].contains("ALL:!aNULL"), "{ignored:?}");
    assert!(ignored[1].contains("brainpoolP256r1"), "{ignored:?}");
    assert!(ignored[2].contains("ssl_dh"), "{ignored:?}");
    let refused = with_code(&found, codes::UNSUPPORTED_SETTING);
    assert_eq!(refused.len(), 2, "{found:#?}");
    assert!(refused
        .iter()
        .any(|r| r.contains("ssl_min_protocol = TLSv1.1")));
    // ssl_key_password is honoured (encrypted PKCS#8 keys).
    assert!(!refused.iter().any(|r| r.contains("`ssl_key_password`")));
    assert!(refused
        .iter()
        .any(|r| r.contains("`mail_location` in `local_name")));
    // svcc check (for Dovecot) stays quiet about all of it but the old protocol.
    let found = check(dir.path(), conf, false);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].contains("ssl-min-protocol"), "{found:#?}");
}

#[test]
fn ssl_key_password_reaches_the_spec_and_stays_hidden() {
    let dir = tempfile::tempdir().unwrap();
    cert(dir.path(), "c", &["mail.example.com"], Alg::Ec, None);
    let base = "ssl_cert = <c.pem\nssl_key = <c.key\nprotocols = imap\nservice imap-login {\n  executable = echo\n  inet_listener imaps {\n    port = 993\n    ssl = yes\n  }\n}\n";
    for (line, spec, shown) in [
        (
            "ssl_key_password = s3cret\n",
            "KeyPassword :: Text (\"s3cret\")",
            "# hidden",
        ),
        ("ssl_key_password = <pw.txt\n", "KeyPassword :: File (", "<"),
    ] {
        let path = dir.path().join("svcc.conf");
        std::fs::write(&path, format!("{base}{line}")).unwrap();
        let opts = Options {
            for_build: true,
            ..Options::default()
        };
        let checked = svcc_compiler::check_path(path.to_str().unwrap(), &opts).unwrap();
        assert!(
            checked
                .diagnostics
                .iter()
                .all(|d| d.code != codes::UNSUPPORTED_SETTING),
            "{line}"
        );
        let tokens = svcc_compiler::codegen::generate(&svcc_compiler::codegen::Input {
            checked: &checked,
            handlers: &[],
            krate: quote::quote!(::svcc),
        })
        .to_string();
        assert!(tokens.contains(spec), "{line}: {tokens}");
        let printed = svcc_compiler::model::print::render(&checked.model, &checked.doc.sources);
        let shown_line = printed
            .lines()
            .find(|l| l.contains("ssl_key_password"))
            .unwrap_or("");
        assert!(shown_line.contains(shown), "{line}: {printed}");
        assert!(
            !printed.contains("s3cret"),
            "the password is printed: {printed}"
        );
    }
}
