//! TLS checks: listeners with `ssl = yes` and no certificate, certificate
//! and key files (readable, PEM, the key belongs to the certificate),
//! expiry, `local_name` coverage, TLS on the wrong conventional port, and
//! `ssl_min_protocol` below TLS 1.2.
//!
//! Certificates are parsed (x509-parser), never verified: no crypto here.
//! Whether a key matches is decided by comparing public keys where the key
//! file carries or implies its public key (RSA; EC keys as OpenSSL and
//! rcgen write them); otherwise the tailored binary checks at start-up.

use super::codes;
use crate::model::tls::{self as t, FileRef, SslMode};
use crate::model::{ListenerKind, Model};
use crate::report::Diagnostic;
use crate::syntax::Span;
use std::time::{SystemTime, UNIX_EPOCH};

/// Ports where clients expect implicit TLS.
const TLS_ONLY_PORTS: &[(u16, &str)] = &[(993, "imaps"), (995, "pop3s"), (465, "submissions")];
/// Ports where clients start in plaintext and upgrade with STARTTLS.
const STARTTLS_PORTS: &[(u16, &str)] = &[
    (143, "imap"),
    (110, "pop3"),
    (25, "smtp"),
    (587, "submission"),
];

/// A certificate, its key, the `local_name`s it serves, the block's header.
type Pair<'a> = (
    Option<&'a FileRef>,
    Option<&'a FileRef>,
    Vec<&'a str>,
    Option<Span>,
);

/// Days before expiry that draw a warning.
const EXPIRY_WARNING_DAYS: i64 = 30;

pub(super) fn check(model: &Model, out: &mut Vec<Diagnostic>) {
    let g = &model.globals;
    let tls = &model.tls;
    let on = tls.ssl.value != SslMode::No;
    // Listeners the config declares (built-in listeners a config never
    // mentions are Dovecot's business).
    let services = model.services.iter().filter(|s| s.enabled(g));
    for svc in services {
        for l in svc
            .listeners
            .iter()
            .filter(|l| l.kind == ListenerKind::Inet && l.enabled() && l.header.is_some())
        {
            let port = l.port.value;
            let anchor = l.port.origin.span().or(l.header);
            if l.ssl.value && on && (tls.global.cert.is_none() || tls.global.key.is_none()) {
                let missing = match (&tls.global.cert, &tls.global.key) {
                    (None, None) => "ssl_cert and ssl_key are",
                    (None, _) => "ssl_cert is",
                    _ => "ssl_key is",
                };
                let mut d = Diagnostic::error(
                    codes::SSL_NO_CERT,
                    format!(
                        "inet_listener `{}` of service `{}` has ssl = yes, but {missing} not set",
                        l.name, svc.name
                    ),
                );
                if let Some(s) = l.ssl.origin.span().or(l.header) {
                    d = d.label(s, "TLS listener");
                }
                out.push(d.help("set `ssl_cert = </path/fullchain.pem` and `ssl_key = </path/privkey.pem` (globally: clients without SNI get that certificate), or `ssl = no` on this listener"));
            }
            let eff_ssl = l.ssl.value && on;
            let Some(anchor) = anchor else { continue };
            if !eff_ssl {
                if let Some((_, name)) = TLS_ONLY_PORTS.iter().find(|(p, _)| *p == port) {
                    let why = if l.ssl.value {
                        " (its ssl = yes is switched off by the global ssl = no, and Dovecot then does not listen here at all)"
                    } else {
                        ""
                    };
                    out.push(
                        Diagnostic::warning(
                            codes::SSL_PORT,
                            format!(
                                "inet_listener `{}` of service `{}` serves plaintext on port {port}, where clients expect implicit TLS ({name}){why}",
                                l.name, svc.name
                            ),
                        )
                        .label(anchor, format!("port {port} is {name}"))
                        .help(format!("add `ssl = yes` to the listener (with ssl_cert and ssl_key), or move plaintext to the STARTTLS port; a client configured for {name} fails the handshake here")),
                    );
                }
            } else if let Some((_, name)) = STARTTLS_PORTS.iter().find(|(p, _)| *p == port) {
                out.push(
                    Diagnostic::warning(
                        codes::SSL_PORT,
                        format!(
                            "inet_listener `{}` of service `{}` has ssl = yes on port {port}, a STARTTLS port ({name})",
                            l.name, svc.name
                        ),
                    )
                    .label(l.ssl.origin.span().unwrap_or(anchor), format!("implicit TLS on {name}'s port"))
                    .help(format!("clients connect to port {port} in plaintext and upgrade with STARTTLS: remove `ssl = yes` here, and serve implicit TLS on the TLS port instead (993, 995 or 465)")),
                );
            }
        }
    }

    if let (Err(t::MinProtocolError::TooOld), Some(span)) = (
        t::min_protocol(&tls.min_protocol.value),
        tls.min_protocol.origin.span(),
    ) {
        out.push(
            Diagnostic::warning(
                codes::SSL_MIN_PROTOCOL,
                format!(
                    "ssl_min_protocol = {} allows TLS versions below 1.2",
                    tls.min_protocol.value
                ),
            )
            .label(span, "deprecated by RFC 8996")
            .help("set `ssl_min_protocol = TLSv1.2`: SSLv3, TLS 1.0 and 1.1 are broken, refused by current clients, and not offered by svcc's rustls (svcc build refuses this value)"),
        );
    }

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let has_password = model.globals.all.contains_key("ssl_key_password");
    let mut pairs: Vec<Pair<'_>> = vec![(
        tls.global.cert.as_ref(),
        tls.global.key.as_ref(),
        Vec::new(),
        None,
    )];
    for f in &tls.names {
        let names = f.selector.iter().map(String::as_str).collect();
        pairs.push((
            f.pair.cert.as_ref(),
            f.pair.key.as_ref(),
            names,
            Some(f.header),
        ));
    }
    for f in &tls.locals {
        pairs.push((f.pair.cert.as_ref(), f.pair.key.as_ref(), Vec::new(), None));
    }
    for (cert, key, names, header) in pairs {
        // A filter without its own key uses the global one.
        let key = key.or(tls.global.key.as_ref());
        let cert = cert.filter(|c| c.is_file);
        let parsed = cert.and_then(|c| read_cert(c, out));
        let key_pub = key
            .filter(|k| k.is_file)
            .and_then(|k| read_key(k, has_password, out));
        let (Some(c), Some(info)) = (cert, parsed) else {
            continue;
        };
        let Some(span) = c.origin.span() else {
            continue;
        };
        if let (Some((k, kp)), Some(cp)) = (&key_pub, &info.public) {
            if !kp.matches(cp) {
                let mut d = Diagnostic::error(
                    codes::SSL_KEY_MISMATCH,
                    format!(
                        "the key in {} does not belong to the certificate in {}",
                        k.path, c.path
                    ),
                )
                .label(span, "this certificate");
                if let Some(ks) = k.origin.span() {
                    d = d.label(ks, "has another public key than this key");
                }
                out.push(d.help("deploy the key the certificate was issued for (a renewal writes both); every TLS handshake fails with this pair"));
            }
        }
        if info.not_after < now || info.not_before > now {
            let what = if info.not_after < now {
                format!("expired on {}", date(info.not_after))
            } else {
                format!("is not valid before {}", date(info.not_before))
            };
            out.push(
                Diagnostic::error(codes::SSL_CERT_EXPIRED, format!("the certificate in {} {what}", c.path))
                    .label(span, "clients refuse this certificate")
                    .help("renew it, then reload (SIGHUP): the tailored binary re-reads certificates without refusing a connection"),
            );
        } else if info.not_after - now < EXPIRY_WARNING_DAYS * 86400 {
            let days = (info.not_after - now) / 86400;
            out.push(
                Diagnostic::warning(
                    codes::SSL_CERT_EXPIRING,
                    format!(
                        "the certificate in {} expires on {} (in {days} day{})",
                        c.path,
                        date(info.not_after),
                        if days == 1 { "" } else { "s" }
                    ),
                )
                .label(span, format!("valid until {}", date(info.not_after)))
                .help("renew it before then (and reload with SIGHUP); automate renewal"),
            );
        }
        for n in names {
            if !info.names.iter().any(|c| covers(c, n)) {
                let mut d = Diagnostic::error(
                    codes::SSL_NAME_MISMATCH,
                    format!(
                        "the certificate for local_name {n} does not cover {n} (it names {})",
                        if info.names.is_empty() {
                            "no host".to_string()
                        } else {
                            info.names.join(", ")
                        }
                    ),
                )
                .label(span, format!("chosen for clients asking for {n}"));
                if let Some(h) = header {
                    d = d.label(h, "the local_name block");
                }
                out.push(d.help(format!("use a certificate whose subjectAltName includes {n} (or a matching *. wildcard): clients verify the name and refuse this one")));
            }
        }
    }
}

/// Whether certificate name `c` (maybe `*.x`) covers host `n`.
fn covers(c: &str, n: &str) -> bool {
    if c.eq_ignore_ascii_case(n) {
        return true;
    }
    match (c.strip_prefix("*."), n.split_once('.')) {
        (Some(suffix), Some((label, rest))) => {
            !label.is_empty() && rest.eq_ignore_ascii_case(suffix)
        }
        _ => false,
    }
}

/// `2026-12-31`.
fn date(secs: i64) -> String {
    // Days since the epoch → civil date (Howard Hinnant's algorithm).
    let z = secs.div_euclid(86400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A public key in comparable form.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PublicKey {
    /// RSA modulus and exponent (leading zeros stripped).
    Rsa(Vec<u8>, Vec<u8>),
    /// An EC point as encoded in the certificate.
    Ec(Vec<u8>),
}

impl PublicKey {
    fn matches(&self, other: &PublicKey) -> bool {
        self == other
    }
}

struct CertInfo {
    not_before: i64,
    not_after: i64,
    names: Vec<String>,
    public: Option<PublicKey>,
}

fn file_problem(f: &FileRef, what: String, out: &mut Vec<Diagnostic>, warning: bool) {
    let Some(span) = f.origin.span() else { return };
    let d = if warning {
        Diagnostic::warning(codes::SSL_FILE, what)
    } else {
        Diagnostic::error(codes::SSL_FILE, what)
    };
    out.push(d.label(span, "this file").help(
        "point the setting at a readable PEM file (`ssl_cert`: the chain, leaf first; `ssl_key`: the unencrypted private key); if this host is not the server, check the config there",
    ));
}

/// The file's bytes; `None` when absent (reported by the syntax layer),
/// unreadable (a warning: `svcc check` may run as another user), or not a
/// regular file of a sane size (an error: a device, FIFO or huge file is no
/// PEM file, and is never read, as an `!include` of one is not).
fn read(f: &FileRef, out: &mut Vec<Diagnostic>) -> Option<Vec<u8>> {
    use crate::syntax::{read_regular, ReadError};
    match read_regular(std::path::Path::new(&f.path)) {
        Ok(b) => Some(b),
        Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(ReadError::Io(e)) => {
            file_problem(f, format!("cannot read {}: {e}", f.path), out, true);
            None
        }
        Err(ReadError::TooLarge(n)) => {
            let what = format!(
                "{} is {n} bytes, over the {} MiB svcc reads: not a PEM file",
                f.path,
                crate::syntax::MAX_FILE_SIZE >> 20
            );
            file_problem(f, what, out, false);
            None
        }
        Err(ReadError::NotRegular(kind)) => {
            let what = format!("{} is {kind}, not a PEM file", f.path);
            file_problem(f, what, out, false);
            None
        }
    }
}

fn read_cert(f: &FileRef, out: &mut Vec<Diagnostic>) -> Option<CertInfo> {
    let bytes = read(f, out)?;
    let pem = x509_parser::pem::Pem::iter_from_buffer(&bytes)
        .filter_map(Result::ok)
        .find(|p| p.label == "CERTIFICATE");
    let Some(pem) = pem else {
        file_problem(
            f,
            format!(
                "{} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
                f.path
            ),
            out,
            false,
        );
        return None;
    };
    let cert = match pem.parse_x509() {
        Ok(c) => c,
        Err(e) => {
            file_problem(
                f,
                format!("the certificate in {} cannot be parsed: {e}", f.path),
                out,
                false,
            );
            return None;
        }
    };
    let v = cert.validity();
    let mut names: Vec<String> = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for n in &san.value.general_names {
            if let x509_parser::extensions::GeneralName::DNSName(d) = n {
                names.push(d.to_string());
            }
        }
    }
    if names.is_empty() {
        names.extend(
            cert.subject()
                .iter_common_name()
                .filter_map(|a| a.as_str().ok())
                .map(str::to_string),
        );
    }
    let spki = cert.public_key();
    let oid = spki.algorithm.algorithm.to_id_string();
    let data = &spki.subject_public_key.data;
    let public = match oid.as_str() {
        "1.2.840.113549.1.1.1" => rsa_public(data),
        "1.2.840.10045.2.1" => Some(PublicKey::Ec(data.to_vec())),
        _ => None,
    };
    Some(CertInfo {
        not_before: v.not_before.timestamp(),
        not_after: v.not_after.timestamp(),
        names,
        public,
    })
}

/// The key's public half, when derivable without crypto.
fn read_key<'a>(
    f: &'a FileRef,
    has_password: bool,
    out: &mut Vec<Diagnostic>,
) -> Option<(&'a FileRef, PublicKey)> {
    let bytes = read(f, out)?;
    let pems: Vec<_> = x509_parser::pem::Pem::iter_from_buffer(&bytes)
        .filter_map(Result::ok)
        .collect();
    let Some(pem) = pems.iter().find(|p| p.label.ends_with("PRIVATE KEY")) else {
        file_problem(
            f,
            format!(
                "{} holds no PEM private key (-----BEGIN PRIVATE KEY-----)",
                f.path
            ),
            out,
            false,
        );
        return None;
    };
    let public = match pem.label.as_str() {
        "ENCRYPTED PRIVATE KEY" => {
            if !has_password {
                file_problem(
                    f,
                    format!(
                        "the key in {} is encrypted and no ssl_key_password is set",
                        f.path
                    ),
                    out,
                    false,
                );
            }
            None
        }
        "PRIVATE KEY" => pkcs8_public(&pem.contents),
        "RSA PRIVATE KEY" => rsa_private_public(&pem.contents),
        "EC PRIVATE KEY" => sec1_public(&pem.contents),
        _ => None,
    };
    public.map(|p| (f, p))
}

/// One DER element: (tag, contents, rest).
fn tlv(d: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = d.split_first()?;
    let (&l0, rest) = rest.split_first()?;
    let (len, rest) = if l0 < 0x80 {
        (l0 as usize, rest)
    } else {
        let n = (l0 & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |a, b| (a << 8) | *b as usize);
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

fn strip(i: &[u8]) -> Vec<u8> {
    let first = i.iter().position(|b| *b != 0).unwrap_or(i.len());
    i[first..].to_vec()
}

/// RSAPublicKey ::= SEQUENCE { n, e }.
fn rsa_public(d: &[u8]) -> Option<PublicKey> {
    let (0x30, seq, _) = tlv(d)? else { return None };
    let (0x02, n, rest) = tlv(seq)? else {
        return None;
    };
    let (0x02, e, _) = tlv(rest)? else {
        return None;
    };
    Some(PublicKey::Rsa(strip(n), strip(e)))
}

/// RSAPrivateKey ::= SEQUENCE { version, n, e, ... }.
fn rsa_private_public(d: &[u8]) -> Option<PublicKey> {
    let (0x30, seq, _) = tlv(d)? else { return None };
    let (0x02, _, rest) = tlv(seq)? else {
        return None;
    };
    rsa_public_from_ints(rest)
}

fn rsa_public_from_ints(d: &[u8]) -> Option<PublicKey> {
    let (0x02, n, rest) = tlv(d)? else {
        return None;
    };
    let (0x02, e, _) = tlv(rest)? else {
        return None;
    };
    Some(PublicKey::Rsa(strip(n), strip(e)))
}

/// ECPrivateKey ::= SEQUENCE { 1, privateKey, [0] params OPTIONAL,
/// [1] publicKey BIT STRING OPTIONAL }.
fn sec1_public(d: &[u8]) -> Option<PublicKey> {
    let (0x30, seq, _) = tlv(d)? else { return None };
    let (_, _, mut rest) = tlv(seq)?; // version
    let (_, _, r) = tlv(rest)?; // private key
    rest = r;
    while !rest.is_empty() {
        let (tag, body, r) = tlv(rest)?;
        if tag == 0xa1 {
            let (0x03, bits, _) = tlv(body)? else {
                return None;
            };
            // The first byte counts unused bits (0 for a point).
            return Some(PublicKey::Ec(bits.get(1..)?.to_vec()));
        }
        rest = r;
    }
    None
}

/// PKCS#8 PrivateKeyInfo ::= SEQUENCE { version, AlgorithmIdentifier,
/// privateKey OCTET STRING, ... }.
fn pkcs8_public(d: &[u8]) -> Option<PublicKey> {
    let (0x30, seq, _) = tlv(d)? else { return None };
    let (_, _, rest) = tlv(seq)?; // version
    let (0x30, alg, rest) = tlv(rest)? else {
        return None;
    };
    let (0x06, oid, _) = tlv(alg)? else {
        return None;
    };
    let (0x04, key, _) = tlv(rest)? else {
        return None;
    };
    match oid {
        // rsaEncryption
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01] => rsa_private_public(key),
        // ecPublicKey
        [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01] => sec1_public(key),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_names() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(1_798_675_200), "2026-12-31");
        assert!(covers("*.example.com", "mail.example.com"));
        assert!(!covers("*.example.com", "example.com"));
        assert!(covers("Mail.example.com", "mail.example.com"));
    }
}
