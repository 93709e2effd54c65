//! A self-signed demo certificate for `localhost` in `certs/` (ignored by
//! git; never committed), made with `openssl` on the first build so that
//! `mail-login.conf`'s `ssl_cert`/`ssl_key` name files that exist. Replace
//! them with a real certificate and key; the binary reads them at start-up
//! and on SIGHUP.

use std::path::Path;
use std::process::Command;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("certs");
    let (cert, key) = (dir.join("login.pem"), dir.join("login.key"));
    println!("cargo:rerun-if-changed={}", cert.display());
    println!("cargo:rerun-if-changed={}", key.display());
    if cert.exists() && key.exists() {
        return;
    }
    std::fs::create_dir_all(&dir).expect("create certs/");
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-days", "3650", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status();
    match status {
        Ok(s) if s.success() => {}
        _ => println!(
            "cargo:warning=openssl could not make a demo certificate in {}; TLS will not start",
            dir.display()
        ),
    }
}
