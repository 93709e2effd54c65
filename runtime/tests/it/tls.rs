//! TLS listeners with real clients: `openssl s_client`, Python's `ssl`, a
//! rustls client; a plaintext client on a TLS port; SNI; certificate
//! rotation by SIGHUP. Certificates are generated here (rcgen), never
//! committed.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::util::*;

/// A self-signed ECDSA P-256 certificate for `names` (CN = the first),
/// written as `STEM.pem` / `STEM.key`.
pub fn write_cert(dir: &Path, stem: &str, names: &[&str]) -> (PathBuf, PathBuf) {
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, names[0]);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let (c, k) = (
        dir.join(format!("{stem}.pem")),
        dir.join(format!("{stem}.key")),
    );
    std::fs::write(&c, cert.pem()).unwrap();
    std::fs::write(&k, key.serialize_pem()).unwrap();
    (c, k)
}

fn start(cert: &Path, key: &Path, handler: &str, extra: &[&str]) -> Server {
    let mut args = vec![
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    // `handler` may carry more service settings: "echo-blocking cl=1".
    let mut words = handler.split(' ');
    let h = format!("handler={}", words.next().unwrap());
    args.extend_from_slice(&["--service", "svc", &h, "pl=2", "tls-listen=127.0.0.1:0"]);
    args.extend(words);
    Server::start(&args)
}

const GET: &str = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

/// `openssl s_client` with `args`, the request on stdin; (stdout, stderr).
fn s_client(addr: SocketAddr, args: &[&str]) -> (String, String) {
    let mut child = Command::new("openssl")
        .arg("s_client")
        .arg("-connect")
        .arg(addr.to_string())
        .arg("-brief")
        .arg("-ign_eof")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl (Debian package openssl)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(GET.as_bytes())
        .unwrap();
    let pid = child.id() as i32;
    let out = wait_for(Duration::from_secs(10), || {
        matches!(child.try_wait(), Ok(Some(_))).then_some(())
    });
    if out.is_none() {
        unsafe_kill(pid, libc::SIGKILL);
    }
    let o = child.wait_with_output().unwrap();
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn openssl_s_client_tls12_and_tls13_with_sni() {
    let dir = temp_dir();
    let (c, k) = write_cert(dir.path(), "global", &["localhost"]);
    let (mc, mk) = write_cert(dir.path(), "mail", &["mail.example.com"]);
    let sni = format!("mail.example.com={},{}", mc.display(), mk.display());
    let srv = start(&c, &k, "http", &["--tls-sni", &sni]);
    let addr = srv.addr("svc");
    for version in ["-tls1_2", "-tls1_3"] {
        let (out, err) = s_client(addr, &[version, "-servername", "localhost"]);
        assert!(out.contains("HTTP/1.1 200"), "{version}: {out}\n{err}");
        assert!(out.ends_with("hello\n"), "{version}: {out}\n{err}");
        let want = if version == "-tls1_2" {
            "TLSv1.2"
        } else {
            "TLSv1.3"
        };
        assert!(err.contains(&format!("Protocol version: {want}")), "{err}");
        assert!(err.contains("CN = localhost"), "{err}");
    }
    // SNI picks the local_name certificate; no SNI gets the global one.
    let (_, err) = s_client(addr, &["-servername", "mail.example.com"]);
    assert!(err.contains("CN = mail.example.com"), "{err}");
    let (out, err) = s_client(addr, &["-noservername"]);
    assert!(err.contains("CN = localhost"), "{err}");
    assert!(out.contains("HTTP/1.1 200"), "{out}");
}

#[test]
fn a_local_block_picks_the_certificate_by_local_address() {
    let dir = temp_dir();
    let (c, k) = write_cert(dir.path(), "global", &["localhost"]);
    let (lc, lk) = write_cert(dir.path(), "local", &["local.example.com"]);
    let (mc, mk) = write_cert(dir.path(), "mail", &["mail.example.com"]);
    let here = format!("127.0.0.0/8={},{}", lc.display(), lk.display());
    let sni = format!("mail.example.com={},{}", mc.display(), mk.display());
    let srv = start(&c, &k, "http", &["--tls-local", &here, "--tls-sni", &sni]);
    let addr = srv.addr("svc");
    let (out, err) = s_client(addr, &["-noservername"]);
    assert!(err.contains("CN = local.example.com"), "{err}");
    assert!(out.contains("HTTP/1.1 200"), "{out}");
    // SNI still wins for its name.
    let (_, err) = s_client(addr, &["-servername", "mail.example.com"]);
    assert!(err.contains("CN = mail.example.com"), "{err}");
    // A network the connection is not on leaves the global certificate.
    let other = format!("192.0.2.0/24={},{}", lc.display(), lk.display());
    let srv = start(&c, &k, "http", &["--tls-local", &other]);
    let (_, err) = s_client(srv.addr("svc"), &["-noservername"]);
    assert!(err.contains("CN = localhost"), "{err}");
}

#[test]
fn python_ssl_client_verifies_and_is_served() {
    let dir = temp_dir();
    let (c, k) = write_cert(dir.path(), "global", &["localhost"]);
    let srv = start(&c, &k, "http", &[]);
    let addr = srv.addr("svc");
    let script = format!(
        "import socket, ssl\n\
         ctx = ssl.create_default_context(cafile={cafile:?})\n\
         s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', {port}), timeout=10), server_hostname='localhost')\n\
         s.sendall(b'GET / HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n')\n\
         data = b''\n\
         while True:\n    b = s.recv(4096)\n    if not b: break\n    data += b\n\
         print(s.version())\n\
         print(data.decode())\n",
        cafile = c.to_str().unwrap(),
        port = addr.port()
    );
    let o = Command::new("python3")
        .arg("-c")
        .arg(&script)
        .output()
        .expect("python3");
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    // A clean close (close_notify) is what lets recv() return b'' here
    // without "EOF occurred in violation of protocol".
    assert!(o.status.success(), "{out}\n{err}");
    assert!(out.starts_with("TLSv1.3"), "{out}");
    assert!(
        out.contains("HTTP/1.1 200") && out.contains("hello"),
        "{out}"
    );
}

/// What a plaintext client gets from a port: every byte until the server
/// closes (bounded).
fn plaintext_exchange(addr: SocketAddr, send: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = s.write_all(send);
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
        if got.len() > 1 << 20 {
            break;
        }
    }
    got
}

#[test]
fn a_plaintext_client_on_a_tls_port_gets_no_plaintext() {
    let dir = temp_dir();
    let (c, k) = write_cert(dir.path(), "global", &["localhost"]);
    // banner greets in `open`: a plaintext server would send it at once.
    let srv = start(&c, &k, "banner", &[]);
    let got = plaintext_exchange(srv.addr("svc"), b"");
    assert!(!contains(&got, b"svcc ready"), "{got:?}");
    let srv = start(&c, &k, "http", &[]);
    let got = plaintext_exchange(srv.addr("svc"), GET.as_bytes());
    let workers = srv.workers();
    assert!(!workers.is_empty());
    assert!(
        !contains(&got, b"HTTP/1.1") && !contains(&got, b"hello"),
        "{got:?}"
    );
    // At most a TLS alert record (content type 21).
    assert!(got.is_empty() || got[0] == 21, "{got:?}");
    // Failed handshakes never kill a worker.
    for _ in 0..50 {
        let _ = plaintext_exchange(srv.addr("svc"), b"\x16\x03\x01\x00\x05hello garbage\r\n");
    }
    assert_eq!(srv.workers(), workers);
    let (out, _) = s_client(srv.addr("svc"), &["-servername", "localhost"]);
    assert!(out.contains("HTTP/1.1 200"), "{out}");
    // Counted and logged (rate-limited) with the client's address.
    assert!(
        srv.wait_log("TLS handshake with 127.0.0.1:", Duration::from_secs(5))
            .is_some(),
        "{}",
        srv.log()
    );
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A rustls client trusting `ca`.
pub fn client_config(ca: &Path) -> Arc<rustls::ClientConfig> {
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls_pki_types::CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    Arc::new(
        rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth(),
    )
}

/// One full handshake and request; the server's leaf certificate.
fn fetch(cfg: &Arc<rustls::ClientConfig>, addr: SocketAddr) -> Result<Vec<u8>, String> {
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(cfg.clone(), name).map_err(|e| e.to_string())?;
    let sock = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, sock);
    tls.write_all(GET.as_bytes()).map_err(|e| e.to_string())?;
    // rustls reports a close without close_notify as an error here.
    let mut body = Vec::new();
    tls.read_to_end(&mut body).map_err(|e| e.to_string())?;
    if !contains(&body, b"hello") {
        return Err(format!("bad answer {body:?}"));
    }
    let leaf = tls.conn.peer_certificates().ok_or("no certificate")?[0].to_vec();
    Ok(leaf)
}

pub fn der_of(pem: &Path) -> Vec<u8> {
    use rustls_pki_types::pem::PemObject;
    rustls_pki_types::CertificateDer::from_pem_file(pem)
        .unwrap()
        .to_vec()
}

#[test]
fn sighup_rotates_the_certificate_under_load_without_a_failed_handshake() {
    let dir = temp_dir();
    let (c, k) = write_cert(dir.path(), "live", &["localhost"]);
    let old = der_of(&c);
    let srv = start(&c, &k, "http", &[]);
    let addr = srv.addr("svc");
    // Clients trust both the old and the new certificate.
    let (nc, nk) = write_cert(dir.path(), "next", &["localhost"]);
    let new = der_of(&nc);
    let both = dir.path().join("both.pem");
    let mut pem = std::fs::read(&c).unwrap();
    pem.extend(std::fs::read(&nc).unwrap());
    std::fs::write(&both, pem).unwrap();
    let cfg = client_config(&both);

    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let saw_new = Arc::new(AtomicBool::new(false));
    let load: Vec<_> = (0..4)
        .map(|_| {
            let (cfg, stop, ok, failed, saw_new, new) = (
                cfg.clone(),
                stop.clone(),
                ok.clone(),
                failed.clone(),
                saw_new.clone(),
                new.clone(),
            );
            std::thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(30);
                let mut errors = Vec::new();
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    match fetch(&cfg, addr) {
                        Ok(leaf) => {
                            ok.fetch_add(1, Ordering::Relaxed);
                            if leaf == new {
                                saw_new.store(true, Ordering::Relaxed);
                            }
                        }
                        Err(e) => {
                            failed.fetch_add(1, Ordering::Relaxed);
                            errors.push(e);
                        }
                    }
                }
                errors
            })
        })
        .collect();
    assert!(
        wait_for(Duration::from_secs(10), || (ok.load(Ordering::Relaxed)
            > 50)
            .then_some(()))
        .is_some()
    );
    // Renew in place (as certbot's deploy hook would), then reload.
    std::fs::copy(&nc, &c).unwrap();
    std::fs::copy(&nk, &k).unwrap();
    srv.signal(libc::SIGHUP);
    assert!(srv
        .wait_log("TLS: certificates reloaded", Duration::from_secs(10))
        .is_some());
    let before = ok.load(Ordering::Relaxed);
    let rotated = wait_for(Duration::from_secs(15), || {
        (saw_new.load(Ordering::Relaxed) && ok.load(Ordering::Relaxed) > before + 50).then_some(())
    });
    stop.store(true, Ordering::Relaxed);
    let errors: Vec<String> = load.into_iter().flat_map(|t| t.join().unwrap()).collect();
    assert!(rotated.is_some(), "the new certificate was never served");
    assert_eq!(failed.load(Ordering::Relaxed), 0, "{errors:?}");
    assert!(ok.load(Ordering::Relaxed) > 100);
    assert_eq!(fetch(&cfg, addr).unwrap(), new);
    assert_ne!(old, new);

    // A key that fails to load keeps the current certificate and says why.
    std::fs::write(&k, "not a key\n").unwrap();
    srv.signal(libc::SIGHUP);
    let log = srv
        .wait_log(
            "TLS: reload failed, keeping the old certificates",
            Duration::from_secs(10),
        )
        .expect("reload failure logged");
    assert!(log.contains(k.to_str().unwrap()), "{log}");
    std::thread::sleep(Duration::from_millis(300));
    for _ in 0..5 {
        assert_eq!(fetch(&cfg, addr).unwrap(), new);
    }
}

#[test]
fn check_flag_loads_the_certificates() {
    let dir = temp_dir();
    let (c, _) = write_cert(dir.path(), "a", &["localhost"]);
    let (_, other_key) = write_cert(dir.path(), "b", &["localhost"]);
    let out = Command::new(crate::TESTD)
        .args(["--tls-cert", c.to_str().unwrap(), "--tls-key"])
        .arg(&other_key)
        .args([
            "--service",
            "svc",
            "handler=http",
            "tls-listen=127.0.0.1:0",
            "--",
            "--check",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("error: TLS: key file") && text.contains("does not belong"),
        "{text}"
    );
    let ok = Command::new(crate::TESTD)
        .args(["--tls-cert", c.to_str().unwrap(), "--tls-key"])
        .arg(c.with_extension("key"))
        .args([
            "--service",
            "svc",
            "handler=http",
            "tls-listen=127.0.0.1:0",
            "--",
            "--check",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&ok.stdout);
    assert!(
        text.contains("ok: TLS: certificates and keys load and match"),
        "{text}"
    );
}

#[test]
fn a_missing_key_refuses_to_start() {
    let dir = temp_dir();
    let (c, _) = write_cert(dir.path(), "global", &["localhost"]);
    let missing = dir.path().join("nope.key");
    let (code, srv) = Server::start_failing(&[
        "--tls-cert",
        c.to_str().unwrap(),
        "--tls-key",
        missing.to_str().unwrap(),
        "--service",
        "svc",
        "handler=http",
        "tls-listen=127.0.0.1:0",
    ]);
    assert_ne!(code, Some(0));
    assert!(srv.log().contains("nope.key"), "{}", srv.log());
}

#[test]
fn blocking_handlers_get_tls_too() {
    let dir = temp_dir();
    let (c, k) = write_cert(dir.path(), "global", &["localhost"]);
    let srv = start(&c, &k, "echo-blocking cl=1", &[]);
    let cfg = client_config(&c);
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(cfg, name).unwrap();
    let sock = TcpStream::connect(srv.addr("svc")).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, sock);
    tls.write_all(b"over tls\n").unwrap();
    let mut buf = [0u8; 9];
    tls.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"over tls\n");
    // And no plaintext on that port either.
    let got = plaintext_exchange(srv.addr("svc"), b"plain\n");
    assert!(!contains(&got, b"plain"), "{got:?}");
}

#[test]
fn a_stalled_handshake_ends_at_the_idle_timeout() {
    let dir = temp_dir();
    let (c, k) = write_cert(dir.path(), "global", &["localhost"]);
    let mut args = vec![
        "--tls-cert",
        c.to_str().unwrap(),
        "--tls-key",
        k.to_str().unwrap(),
    ];
    args.extend_from_slice(&[
        "--service",
        "svc",
        "handler=http",
        "idle-ms=300",
        "tls-listen=127.0.0.1:0",
    ]);
    let srv = Server::start(&args);
    let start = Instant::now();
    // Connected, never says hello.
    let got = plaintext_exchange(srv.addr("svc"), b"");
    assert!(got.is_empty(), "{got:?}");
    let took = start.elapsed();
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert!(srv
        .wait_log(
            "timed out (the client sent no complete handshake)",
            Duration::from_secs(5)
        )
        .is_some());
}

/// A CA (`ca.pem`), a client certificate it signed (`good.pem`/`good.key`)
/// and a self-signed one (`rogue.pem`/`rogue.key`), in `dir`.
fn write_client_certs(dir: &Path) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "svcc test CA");
    ca.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    std::fs::write(dir.join("ca.pem"), ca.self_signed(&ca_key).unwrap().pem()).unwrap();
    let issuer = rcgen::Issuer::new(ca, ca_key);
    for (stem, signed) in [("good", true), ("rogue", false)] {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut p = rcgen::CertificateParams::new(vec![format!("{stem}.client")]).unwrap();
        p.distinguished_name
            .push(rcgen::DnType::CommonName, format!("{stem} client"));
        p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let cert = match signed {
            true => p.signed_by(&key, &issuer).unwrap(),
            false => p.self_signed(&key).unwrap(),
        };
        std::fs::write(dir.join(format!("{stem}.pem")), cert.pem()).unwrap();
        std::fs::write(dir.join(format!("{stem}.key")), key.serialize_pem()).unwrap();
    }
}

#[test]
fn client_certificates_are_verified_against_ssl_ca() {
    let dir = temp_dir();
    let (cert, key) = write_cert(dir.path(), "server", &["localhost"]);
    write_client_certs(dir.path());
    let ca = dir.path().join("ca.pem");
    let s = start(
        &cert,
        &key,
        "http",
        &["--tls-ca", ca.to_str().unwrap(), "--tls-verify-client"],
    );
    let addr = s.addr("svc");
    let with = |stem: &str| {
        let c = dir.path().join(format!("{stem}.pem"));
        let k = dir.path().join(format!("{stem}.key"));
        s_client(
            addr,
            &["-cert", c.to_str().unwrap(), "-key", k.to_str().unwrap()],
        )
    };
    // Signed by ssl_ca: served, and the server asked for it.
    let (out, err) = with("good");
    assert!(out.contains("hello"), "good client: {out}\n{err}");
    // Self-signed: refused during the handshake, never served.
    let (out, err) = with("rogue");
    assert!(
        !out.contains("hello"),
        "rogue client was served: {out}\n{err}"
    );
    assert!(
        err.contains("alert") || err.contains("error"),
        "rogue client: no TLS error in {err}"
    );
    // No certificate at all: served (Dovecot asks, the auth process decides).
    let (out, err) = s_client(addr, &[]);
    assert!(
        out.contains("hello"),
        "client without a certificate: {out}\n{err}"
    );
}

#[test]
fn cipher_and_curve_lists_restrict_the_handshake() {
    let dir = temp_dir();
    let (cert, key) = write_cert(dir.path(), "server", &["localhost"]);
    let s = start(
        &cert,
        &key,
        "http",
        &[
            "--tls12-suites",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "--tls13-suites",
            "TLS13_AES_256_GCM_SHA384",
            "--tls-groups",
            "secp384r1",
        ],
    );
    let addr = s.addr("svc");
    let served = |args: &[&str]| s_client(addr, args).0.contains("hello");
    // TLS 1.2: only the listed suite. (A TLS 1.2 client's groups also say
    // which ECDSA certificates it takes: P-256 for the server's.)
    let groups = ["-groups", "P-384:P-256"];
    let tls12 = |cipher: &str| served(&[&["-tls1_2", "-cipher", cipher][..], &groups].concat());
    assert!(tls12("ECDHE-ECDSA-AES256-GCM-SHA384"));
    assert!(!tls12("ECDHE-ECDSA-AES128-GCM-SHA256"));
    // TLS 1.3: only the listed suite.
    assert!(served(&[
        "-tls1_3",
        "-ciphersuites",
        "TLS_AES_256_GCM_SHA384",
        "-groups",
        "P-384"
    ]));
    assert!(!served(&[
        "-tls1_3",
        "-ciphersuites",
        "TLS_AES_128_GCM_SHA256",
        "-groups",
        "P-384"
    ]));
    // Key exchange: only the listed group.
    assert!(!served(&["-tls1_3", "-groups", "X25519"]));
}

/// `key` encrypted with `password` by `openssl pkcs8` (PBES2, AES-256-CBC),
/// written next to it as `STEM.enc.key`.
fn encrypt_key(key: &Path, password: &str) -> PathBuf {
    let out = key.with_extension("enc.key");
    let st = Command::new("openssl")
        .args(["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-passout"])
        .arg(format!("pass:{password}"))
        .arg("-in")
        .arg(key)
        .arg("-out")
        .arg(&out)
        .status()
        .expect("openssl (Debian package openssl)");
    assert!(st.success());
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .contains("ENCRYPTED PRIVATE KEY"));
    out
}

#[test]
fn an_encrypted_key_is_read_with_ssl_key_password() {
    let dir = temp_dir();
    let (cert, key) = write_cert(dir.path(), "server", &["localhost"]);
    let enc = encrypt_key(&key, "s3cret pass");
    // The password as text, and from a file (`ssl_key_password = <FILE`).
    let pw_file = dir.path().join("password");
    std::fs::write(&pw_file, "s3cret pass\n").unwrap();
    for extra in [
        ["--tls-key-password", "s3cret pass"],
        ["--tls-key-password-file", pw_file.to_str().unwrap()],
    ] {
        let s = start(&cert, &enc, "http", &extra);
        let (out, err) = s_client(s.addr("svc"), &[]);
        assert!(out.contains("hello"), "{extra:?}: {out}\n{err}");
    }
    // A wrong password, or none: the server does not start, and says why.
    for (extra, why) in [
        (&["--tls-key-password", "wrong"][..], "cannot decrypt"),
        (&[][..], "no ssl_key_password"),
    ] {
        let mut args = vec![
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            enc.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--service", "svc", "handler=http", "tls-listen=127.0.0.1:0"]);
        let (code, srv) = Server::start_failing(&args);
        assert_ne!(code, Some(0));
        assert!(srv.log().contains(why), "{extra:?}: {}", srv.log());
    }
}
