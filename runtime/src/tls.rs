//! TLS configuration: the files named by [`TlsSpec`] read into rustls
//! `ServerConfig`s, one per local-address filter plus the default, each
//! choosing its certificate by SNI (`local_name`) with the global one for
//! clients that send no name.
//!
//! The master loads them before it forks (keys are usually readable by root
//! only) and again on SIGHUP; a reload that fails keeps the old contexts and
//! says why. Workers inherit the loaded contexts at fork.
//!
//! The crypto provider is aws-lc-rs: on x86_64 and aarch64 its assembly
//! P-256, X25519 and RSA make full handshakes cheaper than ring's, and it
//! is rustls's default.

use std::net::IpAddr;
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::spec::{KeyPassword, SslMode, TlsSpec, TlsVersion};
use svcc_facts::IpNet;

/// The loaded TLS contexts of a binary.
#[derive(Clone)]
pub(crate) struct Contexts {
    /// For connections no `local` filter matches.
    default: Arc<ServerConfig>,
    /// `local NET { ... }`: (network, context).
    by_local: Vec<(IpNet, Arc<ServerConfig>)>,
    /// `ssl = required`.
    pub required: bool,
}

impl std::fmt::Debug for Contexts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contexts")
            .field("by_local", &self.by_local.len())
            .field("required", &self.required)
            .finish_non_exhaustive()
    }
}

impl Contexts {
    /// Whether this spec asks for TLS contexts at all: some listener has
    /// `ssl = yes`, or `ssl` is on and a certificate is configured (for
    /// STARTTLS).
    pub fn wanted(spec: &TlsSpec, any_ssl_listener: bool) -> bool {
        spec.mode != SslMode::No && (any_ssl_listener || !spec.cert.is_empty())
    }

    /// Reads every certificate and key named by `spec` and builds the
    /// contexts; the error names the file and what is wrong with it.
    pub fn load(spec: &TlsSpec) -> Result<Contexts, String> {
        if spec.cert.is_empty() || spec.key.is_empty() {
            return Err("ssl = yes, but ssl_cert or ssl_key is not set".into());
        }
        let provider = Arc::new(provider(spec)?);
        let global = load_pair(spec.cert, spec.key, spec.key_password, &provider)?;
        let mut names = Vec::new();
        for c in spec.names {
            let ck = load_pair(c.cert, c.key, spec.key_password, &provider)?;
            for n in c.selector {
                names.push((n.to_ascii_lowercase(), ck.clone()));
            }
        }
        let default = config(spec, &provider, global.clone(), names.clone())?;
        let mut by_local = Vec::new();
        for c in spec.locals {
            let ck = load_pair(c.cert, c.key, spec.key_password, &provider)?;
            let cfg = config(spec, &provider, ck, names.clone())?;
            for net in c.selector {
                let net = IpNet::parse(net).map_err(|e| format!("local {e}"))?;
                by_local.push((net, cfg.clone()));
            }
        }
        Ok(Contexts {
            default,
            by_local,
            required: spec.mode == SslMode::Required,
        })
    }

    /// The context for a connection to `local`.
    pub fn for_local(&self, local: Option<IpAddr>) -> &Arc<ServerConfig> {
        if let Some(ip) = local {
            for (net, cfg) in &self.by_local {
                if net.contains(ip) {
                    return cfg;
                }
            }
        }
        &self.default
    }
}

/// aws-lc-rs restricted to the spec's suites and groups.
fn provider(spec: &TlsSpec) -> Result<CryptoProvider, String> {
    let mut p = rustls::crypto::aws_lc_rs::default_provider();
    let all = rustls::crypto::aws_lc_rs::ALL_CIPHER_SUITES;
    let named = |want: &str| {
        all.iter()
            .find(|s| {
                let n = format!("{:?}", s.suite());
                n == want || n == want.replacen("TLS_", "TLS13_", 1)
            })
            .copied()
    };
    if !spec.tls12_suites.is_empty() || !spec.tls13_suites.is_empty() {
        let mut suites = Vec::new();
        for (list, v13) in [(spec.tls13_suites, true), (spec.tls12_suites, false)] {
            if list.is_empty() {
                // That version's defaults.
                suites.extend(
                    p.cipher_suites
                        .iter()
                        .filter(|s| matches!(s, rustls::SupportedCipherSuite::Tls13(_)) == v13)
                        .copied(),
                );
            }
            for n in list {
                suites.push(named(n).ok_or_else(|| format!("unknown cipher suite {n}"))?);
            }
        }
        p.cipher_suites = suites;
    }
    if !spec.groups.is_empty() {
        let all = rustls::crypto::aws_lc_rs::ALL_KX_GROUPS;
        let mut groups = Vec::new();
        for n in spec.groups {
            let g = all
                .iter()
                .find(|g| format!("{:?}", g.name()) == *n)
                .ok_or_else(|| format!("unknown key-exchange group {n}"))?;
            groups.push(*g);
        }
        p.kx_groups = groups;
    }
    Ok(p)
}

fn config(
    spec: &TlsSpec,
    provider: &Arc<CryptoProvider>,
    default: Arc<CertifiedKey>,
    names: Vec<(String, Arc<CertifiedKey>)>,
) -> Result<Arc<ServerConfig>, String> {
    let versions: &[&rustls::SupportedProtocolVersion] = match spec.min_protocol {
        TlsVersion::Tls12 => &[&rustls::version::TLS13, &rustls::version::TLS12],
        TlsVersion::Tls13 => &[&rustls::version::TLS13],
    };
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .map_err(|e| format!("TLS settings: {e}"))?;
    let builder = if spec.verify_client_cert {
        let ca = spec
            .ca
            .ok_or("ssl_verify_client_cert = yes, but ssl_ca is not set")?;
        let mut roots = RootCertStore::empty();
        for c in read_certs(ca)? {
            roots
                .add(c)
                .map_err(|e| format!("ssl_ca {ca}: a certificate is not usable as a CA: {e}"))?;
        }
        let v = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .allow_unauthenticated()
            .build()
            .map_err(|e| format!("ssl_ca {ca}: {e}"))?;
        builder.with_client_cert_verifier(v)
    } else {
        builder.with_no_client_auth()
    };
    let mut cfg = builder.with_cert_resolver(Arc::new(Resolver { default, names }));
    cfg.ignore_client_order = spec.prefer_server_ciphers;
    if spec.no_ticket {
        cfg.send_tls13_tickets = 0;
    }
    Ok(Arc::new(cfg))
}

/// Certificates by SNI name, else the default.
#[derive(Debug)]
struct Resolver {
    default: Arc<CertifiedKey>,
    names: Vec<(String, Arc<CertifiedKey>)>,
}

impl ResolvesServerCert for Resolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        if let Some(sni) = hello.server_name() {
            // Exact names first, then wildcards.
            let exact = self.names.iter().find(|(n, _)| n.eq_ignore_ascii_case(sni));
            let wild = || self.names.iter().find(|(n, _)| wildcard_matches(n, sni));
            if let Some((_, ck)) = exact.or_else(wild) {
                return Some(ck.clone());
            }
        }
        Some(self.default.clone())
    }
}

/// `*.example.com` matches exactly one label before `.example.com`.
fn wildcard_matches(pattern: &str, name: &str) -> bool {
    let Some(suffix) = pattern.strip_prefix("*.") else {
        return false;
    };
    match name.split_once('.') {
        Some((label, rest)) => !label.is_empty() && rest.eq_ignore_ascii_case(suffix),
        None => false,
    }
}

/// Reads a PEM certificate chain (leaf first).
fn read_certs(path: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("cannot read certificate file {path}: {}", pem_error(e)))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("certificate file {path}: {}", pem_error(e)))?;
    if certs.is_empty() {
        return Err(format!(
            "certificate file {path} holds no PEM certificate (\"-----BEGIN CERTIFICATE-----\")"
        ));
    }
    Ok(certs)
}

/// Reads a certificate chain and its key; checks that they belong together.
fn load_pair(
    cert: &str,
    key: &str,
    password: KeyPassword,
    provider: &CryptoProvider,
) -> Result<Arc<CertifiedKey>, String> {
    let certs = read_certs(cert)?;
    let der = read_key(key, password)?;
    let signer = provider
        .key_provider
        .load_private_key(der)
        .map_err(|e| format!("key file {key}: not a usable private key: {e}"))?;
    let ck = CertifiedKey::new(certs, signer);
    match ck.keys_match() {
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {
            Ok(Arc::new(ck))
        }
        Err(rustls::Error::InconsistentKeys(_)) => Err(format!(
            "key file {key} does not belong to the certificate in {cert} (their public keys differ)"
        )),
        Err(e) => Err(format!("certificate file {cert}: {e}")),
    }
}

/// Reads a PEM private key; an encrypted PKCS#8 one (`ENCRYPTED PRIVATE
/// KEY`) is decrypted with `ssl_key_password`.
fn read_key(key: &str, password: KeyPassword) -> Result<PrivateKeyDer<'static>, String> {
    let text =
        std::fs::read_to_string(key).map_err(|e| format!("cannot read key file {key}: {e}"))?;
    if text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(format!("key file {key} is encrypted the legacy OpenSSL way, which svcc cannot read: convert it once with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in {key} -out NEW.pem`"));
    }
    if !text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        return PrivateKeyDer::from_pem_slice(text.as_bytes())
            .map_err(|e| format!("key file {key}: {}", pem_error(e)));
    }
    let password = match password {
        KeyPassword::None => {
            return Err(format!(
                "key file {key} is encrypted and no ssl_key_password is set"
            ))
        }
        KeyPassword::Text(p) => p.to_string(),
        KeyPassword::File(f) => {
            let p = std::fs::read_to_string(f)
                .map_err(|e| format!("cannot read ssl_key_password file {f}: {e}"))?;
            p.lines().next().unwrap_or("").to_string()
        }
    };
    let (_, doc) = pkcs8::SecretDocument::from_pem(&text)
        .map_err(|e| format!("key file {key}: not a PEM encrypted private key: {e}"))?;
    let info = pkcs8::EncryptedPrivateKeyInfo::try_from(doc.as_bytes())
        .map_err(|e| format!("key file {key}: not a PKCS#8 encrypted private key: {e}"))?;
    let plain = info.decrypt(password.as_bytes()).map_err(|e| {
        format!("key file {key}: cannot decrypt it with ssl_key_password (wrong password, or an unsupported cipher: {e})")
    })?;
    Ok(PrivateKeyDer::Pkcs8(plain.as_bytes().to_vec().into()))
}

fn pem_error(e: rustls_pki_types::pem::Error) -> String {
    use rustls_pki_types::pem::Error as E;
    match e {
        E::Io(e) => e.to_string(),
        E::NoItemsFound => "no PEM private key found".into(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_one_label() {
        assert!(wildcard_matches("*.example.com", "mail.example.com"));
        assert!(wildcard_matches("*.example.com", "MAIL.Example.COM"));
        assert!(!wildcard_matches("*.example.com", "a.b.example.com"));
        assert!(!wildcard_matches("*.example.com", "example.com"));
        assert!(!wildcard_matches("mail.example.com", "mail.example.com"));
    }
}
