//! Dovecot's TLS settings, resolved: the global `ssl` mode, the default
//! certificate and key, the per-name (`local_name NAME { ... }`, chosen by
//! SNI) and per-address (`local IP { ... }`) certificates, and the protocol
//! and cipher settings, each with its origin.
//!
//! Certificates and keys are *paths* here (Dovecot's `ssl_cert = </path`):
//! the tailored binary reads the files at start-up and on SIGHUP, never at
//! build time, so secrets never end up in a binary.

use super::{Origin, Val};
use crate::syntax::{SourceMap, Span};

/// The global `ssl` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// `ssl = no`: listeners with `ssl = yes` are skipped (not bound), as
    /// Dovecot's master does; STARTTLS is not offered.
    No,
    /// `ssl = yes` (Dovecot's default).
    Yes,
    /// `ssl = required`: as `yes`, and no plaintext authentication.
    Required,
}

impl SslMode {
    /// Dovecot's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::No => "no",
            SslMode::Yes => "yes",
            SslMode::Required => "required",
        }
    }

    /// Parses Dovecot's values.
    pub fn parse(v: &str) -> Option<SslMode> {
        // (Exact, as Dovecot's enum: a quoted `" no"` is no value.)
        match v {
            "no" => Some(SslMode::No),
            "yes" => Some(SslMode::Yes),
            "required" => Some(SslMode::Required),
            _ => None,
        }
    }
}

/// A `<path` file reference (`ssl_cert = </etc/ssl/mail.pem`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRef {
    /// The path, resolved against the directory of the config file that
    /// sets it, as that file's path was given (for messages and reading).
    pub path: String,
    /// The same path made absolute (for the tailored binary, which runs
    /// elsewhere).
    pub abs: String,
    /// Whether the value was a `<path` reference; `false` means the value
    /// is the PEM text itself, which svcc does not embed.
    pub is_file: bool,
    /// Where it was set.
    pub origin: Origin,
}

/// A certificate and key pair.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertPair {
    /// `ssl_cert`.
    pub cert: Option<FileRef>,
    /// `ssl_key`.
    pub key: Option<FileRef>,
}

/// `local_name NAMES { ssl_cert = …  ssl_key = … }` (SNI) or
/// `local NETWORK { … }` (the local address a client connected to).
#[derive(Debug, Clone)]
pub struct FilterCert {
    /// The names (`local_name`, space-separated, `*.` wildcards allowed) or
    /// the network (`local`, an address with an optional `/bits`).
    pub selector: Vec<String>,
    /// The section header.
    pub header: Span,
    /// The certificate and key of the filter; a missing one falls back to
    /// the global setting.
    pub pair: CertPair,
}

/// The TLS settings of a config.
#[derive(Debug, Clone)]
pub struct Tls {
    /// `ssl`.
    pub ssl: Val<SslMode>,
    /// The global `ssl_cert`/`ssl_key`: the certificate for clients that
    /// send no SNI name (or one no `local_name` matches).
    pub global: CertPair,
    /// `ssl_ca`: the CAs client certificates must chain to.
    pub ca: Option<FileRef>,
    /// `ssl_verify_client_cert`.
    pub verify_client_cert: Val<bool>,
    /// `ssl_min_protocol` as written (Dovecot's default: `TLSv1.2`).
    pub min_protocol: Val<String>,
    /// `ssl_cipher_list` (TLS 1.2 ciphers, OpenSSL syntax).
    pub cipher_list: Val<String>,
    /// `ssl_cipher_suites` (TLS 1.3 suites, OpenSSL names).
    pub cipher_suites: Val<String>,
    /// `ssl_curve_list` (key-exchange groups, OpenSSL names).
    pub curve_list: Val<String>,
    /// `ssl_prefer_server_ciphers`.
    pub prefer_server_ciphers: Val<bool>,
    /// `ssl_options` (svcc honours `no_ticket`).
    pub options: Val<String>,
    /// Per-name certificates.
    pub names: Vec<FilterCert>,
    /// Per-address certificates.
    pub locals: Vec<FilterCert>,
    /// `ssl_key_password`.
    pub key_password: Option<KeyPassword>,
}

/// `ssl_key_password`: the text itself (built into the binary like the rest
/// of the config), or `<path` to a file the binary reads at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyPassword {
    /// The password as written.
    Text(Val<String>),
    /// `<path`.
    File(FileRef),
}

impl Default for Tls {
    fn default() -> Self {
        Tls {
            ssl: Val::default(SslMode::Yes),
            global: CertPair::default(),
            ca: None,
            verify_client_cert: Val::default(false),
            min_protocol: Val::default("TLSv1.2".into()),
            cipher_list: Val::default(String::new()),
            cipher_suites: Val::default(String::new()),
            curve_list: Val::default(String::new()),
            prefer_server_ciphers: Val::default(false),
            options: Val::default(String::new()),
            names: Vec::new(),
            locals: Vec::new(),
            key_password: None,
        }
    }
}

/// The TLS versions rustls offers, from `ssl_min_protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MinProtocol {
    /// TLS 1.2 and 1.3.
    Tls12,
    /// TLS 1.3 only.
    Tls13,
}

/// `ssl_min_protocol` → what rustls can do: `Err` names a value rustls does
/// not offer (SSLv3, TLSv1, TLSv1.1, `ANY`) or one Dovecot does not know.
pub fn min_protocol(v: &str) -> Result<MinProtocol, MinProtocolError> {
    match v.trim() {
        "" | "TLSv1.2" => Ok(MinProtocol::Tls12),
        "TLSv1.3" | "LATEST" => Ok(MinProtocol::Tls13),
        "SSLv3" | "TLSv1" | "TLSv1.1" | "ANY" => Err(MinProtocolError::TooOld),
        _ => Err(MinProtocolError::Unknown),
    }
}

/// Why an `ssl_min_protocol` value cannot be honoured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MinProtocolError {
    /// Below TLS 1.2: deprecated (RFC 8996) and not in rustls.
    TooOld,
    /// Not a value Dovecot knows.
    Unknown,
}

/// One value of a `key = <path` setting.
pub(super) fn file_ref(map: &SourceMap, value: &str, origin: Origin, at: Span) -> FileRef {
    match value.trim().strip_prefix('<') {
        Some(p) => FileRef {
            path: shown(map, at, p.trim()),
            abs: resolve(map, at, p.trim()),
            is_file: true,
            origin,
        },
        None => FileRef {
            path: String::new(),
            abs: String::new(),
            is_file: false,
            origin,
        },
    }
}

/// A path relative to the config file that holds `at`, as Dovecot (and the
/// syntax layer's `<path` check) resolve it.
fn shown(map: &SourceMap, at: Span, path: &str) -> String {
    let p = std::path::Path::new(path);
    if p.is_absolute() || map.files().next().is_none() {
        return path.to_string();
    }
    let name = &map.get(at.file).name;
    let dir = if name == "<stdin>" {
        std::path::Path::new("")
    } else {
        std::path::Path::new(name)
            .parent()
            .unwrap_or(std::path::Path::new(""))
    };
    dir.join(p).to_string_lossy().into_owned()
}

/// A path relative to the config file that holds `at`, made absolute when
/// the file's location is known (a tailored binary runs elsewhere).
fn resolve(map: &SourceMap, at: Span, path: &str) -> String {
    let p = std::path::Path::new(path);
    if p.is_absolute() || map.files().next().is_none() {
        return path.to_string();
    }
    let f = map.get(at.file);
    let dir = match &f.path {
        Some(canon) => canon.parent().map(|d| d.to_path_buf()),
        None if f.name == "<stdin>" => None,
        None => std::path::Path::new(&f.name)
            .parent()
            .map(|d| d.to_path_buf()),
    };
    match dir {
        Some(d) => d.join(p).to_string_lossy().into_owned(),
        None => path.to_string(),
    }
}

/// OpenSSL cipher-list names (TLS 1.2, ECDHE with AES-GCM or ChaCha20) →
/// rustls's suite names.
pub const TLS12_SUITES: &[(&str, &str)] = &[
    (
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    ),
    (
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    ),
    (
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    ),
    (
        "ECDHE-RSA-AES128-GCM-SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    ),
    (
        "ECDHE-RSA-AES256-GCM-SHA384",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    ),
    (
        "ECDHE-RSA-CHACHA20-POLY1305",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    ),
];

/// OpenSSL's TLS 1.3 suite names are the IANA names; these are rustls's.
pub const TLS13_SUITES: &[&str] = &[
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
];

/// OpenSSL group names → rustls's.
pub const GROUPS: &[(&str, &str)] = &[
    ("X25519", "X25519"),
    ("x25519", "X25519"),
    ("P-256", "secp256r1"),
    ("prime256v1", "secp256r1"),
    ("secp256r1", "secp256r1"),
    ("P-384", "secp384r1"),
    ("secp384r1", "secp384r1"),
    ("P-521", "secp521r1"),
    ("secp521r1", "secp521r1"),
    ("X25519MLKEM768", "X25519MLKEM768"),
];

/// What svcc makes of a cipher, suite or group list: the rustls names it
/// maps to, and the parts it cannot honour.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapped {
    /// rustls names, in the list's order (empty: rustls's defaults).
    pub names: Vec<String>,
    /// Tokens that name something rustls does not offer, or OpenSSL
    /// selector syntax (`HIGH`, `!aNULL`, `@STRENGTH`) svcc does not
    /// evaluate.
    pub ignored: Vec<String>,
}

/// Maps `ssl_cipher_list`: explicit TLS 1.2 cipher names rustls offers are
/// kept; OpenSSL's selector language (`ALL:!LOW`, `HIGH`, …) is not
/// evaluated, so such a list means rustls's defaults (a subset of any
/// sensible list: ECDHE with AES-GCM or ChaCha20 only).
pub fn map_cipher_list(v: &str) -> Mapped {
    let mut m = Mapped::default();
    for tok in v.split([':', ' ', ',']).filter(|t| !t.is_empty()) {
        match TLS12_SUITES.iter().find(|(o, _)| *o == tok) {
            Some((_, r)) => m.names.push(r.to_string()),
            None => m.ignored.push(tok.to_string()),
        }
    }
    m
}

/// Maps `ssl_cipher_suites` (TLS 1.3).
pub fn map_cipher_suites(v: &str) -> Mapped {
    let mut m = Mapped::default();
    for tok in v.split([':', ' ', ',']).filter(|t| !t.is_empty()) {
        match TLS13_SUITES.iter().find(|s| **s == tok) {
            Some(s) => m.names.push(s.to_string()),
            None => m.ignored.push(tok.to_string()),
        }
    }
    m
}

/// Maps `ssl_curve_list`.
pub fn map_curve_list(v: &str) -> Mapped {
    let mut m = Mapped::default();
    for tok in v.split([':', ' ', ',']).filter(|t| !t.is_empty()) {
        match GROUPS.iter().find(|(o, _)| *o == tok) {
            Some((_, r)) => {
                if !m.names.iter().any(|n| n == r) {
                    m.names.push(r.to_string())
                }
            }
            None => m.ignored.push(tok.to_string()),
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cipher_lists_map_what_rustls_has_and_report_the_rest() {
        let m = map_cipher_list("ECDHE-RSA-AES128-GCM-SHA256:ALL:!aNULL:DHE-RSA-AES256-SHA");
        assert_eq!(m.names, ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]);
        assert_eq!(m.ignored, ["ALL", "!aNULL", "DHE-RSA-AES256-SHA"]);
        let m = map_curve_list("X25519:prime256v1:P-256:brainpoolP256r1");
        assert_eq!(m.names, ["X25519", "secp256r1"]);
        assert_eq!(m.ignored, ["brainpoolP256r1"]);
        assert_eq!(min_protocol("TLSv1.1"), Err(MinProtocolError::TooOld));
        assert_eq!(min_protocol("TLSv1.3"), Ok(MinProtocol::Tls13));
    }
}
