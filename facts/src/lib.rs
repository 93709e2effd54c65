//! The facts svcc's checker and its runtime both rely on, each stated once:
//! how many descriptors a worker needs, the listen backlog Dovecot asks
//! for, where the kernel's cap on it is read, and the hash that names a
//! config (and a generated crate).
//!
//! No dependencies and no configuration parsing: the runtime links this,
//! and so do the compiler and the `svcc` command.
#![deny(missing_docs)]

/// Descriptors a worker holds besides its clients and listeners: stdio, the
/// status and master pipes, the event loop, the signalfd, logging and a
/// margin.
pub const OWN_FDS: u64 = 16;

/// The descriptors one worker process needs: one per client, one per
/// listener, and [`OWN_FDS`].
pub const fn fds_needed(client_limit: u32, listeners: usize) -> u64 {
    client_limit as u64 + listeners as u64 + OWN_FDS
}

/// The listen backlog Dovecot's master asks for: `client_limit ×
/// process_limit` (the client limit after the `service_count` cap), at
/// least 4 and at most `INT_MAX` (what `listen(2)` takes).
pub const fn listen_backlog(client_limit: u32, process_limit: u32) -> u32 {
    let b = client_limit as u64 * process_limit as u64;
    if b < 4 {
        4
    } else if b > i32::MAX as u64 {
        i32::MAX as u32
    } else {
        b as u32
    }
}

/// Whether a service may have this client limit: a blocking handler serves
/// one client at a time, so with more than one client per process every
/// other client of the process stalls behind a blocking request. The rule
/// behind `svcc::blocking-client-limit`, the compile-time check of a user's
/// handler, and the runtime's refusal to start.
pub const fn client_limit_fits(blocking: bool, client_limit: u32) -> bool {
    !blocking || client_limit <= 1
}

/// Where Linux publishes `net.core.somaxconn`, the cap on every listen
/// queue.
pub const SOMAXCONN_PATH: &str = "/proc/sys/net/core/somaxconn";

/// Whether this host's Dovecot has Pigeonhole's managesieve: its settings
/// plugin declares the `managesieve` services, without which Dovecot 2.3
/// refuses `protocols = sieve` ("Unknown protocol: sieve"). `None` when no
/// Dovecot settings plugin directory is found here.
pub fn managesieve_installed() -> Option<bool> {
    const DIRS: &[&str] = &[
        "/usr/lib/dovecot/modules/settings",
        "/usr/lib64/dovecot/settings",
        "/usr/lib/dovecot/settings",
    ];
    let dir = DIRS.iter().map(std::path::Path::new).find(|d| d.is_dir())?;
    Some(dir.join("libmanagesieve_settings.so").exists())
}

/// This host's `net.core.somaxconn`, if it can be read.
pub fn read_somaxconn() -> Option<u32> {
    std::fs::read_to_string(SOMAXCONN_PATH)
        .ok()
        .and_then(|s| s.trim().parse().ok())
}

/// 64-bit FNV-1a: a stable, dependency-free hash for naming things (a
/// config's digest, a generated crate's directory). Not for security.
#[derive(Debug, Clone, Copy)]
pub struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv1a {
    /// Feeds bytes.
    pub fn write(&mut self, bytes: &[u8]) -> &mut Self {
        for &b in bytes {
            self.0 ^= b as u64;
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        self
    }

    /// The hash so far.
    pub fn finish(&self) -> u64 {
        self.0
    }

    /// The hash of one byte string, as 16 hex digits.
    pub fn hex(bytes: &[u8]) -> String {
        format!("{:016x}", Fnv1a::default().write(bytes).finish())
    }
}

/// An IP network: an address and a prefix length (`10.0.0.0/8`,
/// `2001:db8::/32`, or one address). The one rule for Dovecot's network
/// values (`haproxy_trusted_networks`, `local NET { }`), which the checker
/// validates, generated code carries, and the runtime matches against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    /// The network's address (IPv4-mapped IPv6 addresses are stored as
    /// IPv4).
    pub addr: std::net::IpAddr,
    /// Prefix length: 0 to 32 (IPv4) or 128 (IPv6).
    pub bits: u8,
}

impl IpNet {
    /// Parses `ADDR` or `ADDR/BITS` (brackets around an IPv6 address
    /// allowed). The error says what is wrong.
    pub fn parse(text: &str) -> Result<IpNet, String> {
        let (ip, bits) = match text.split_once('/') {
            Some((ip, b)) => (ip, Some(b)),
            None => (text, None),
        };
        let ip: std::net::IpAddr = ip
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .map_err(|_| format!("`{text}` is not an IP address or network"))?;
        let ip = canonical_ip(ip);
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let bits = match bits {
            Some(b) => b
                .parse::<u8>()
                .ok()
                .filter(|b| *b <= max)
                .ok_or_else(|| format!("`{text}`: the mask must be 0 to {max}"))?,
            None => max,
        };
        Ok(IpNet { addr: ip, bits })
    }

    /// Whether `ip` is inside this network (an IPv4-mapped IPv6 address
    /// counts as its IPv4 address).
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        match (canonical_ip(ip), self.addr) {
            (IpAddr::V4(a), IpAddr::V4(n)) => {
                let mask = u32::MAX.checked_shl(32 - self.bits as u32).unwrap_or(0);
                u32::from(a) & mask == u32::from(n) & mask
            }
            (IpAddr::V6(a), IpAddr::V6(n)) => {
                let mask = u128::MAX.checked_shl(128 - self.bits as u32).unwrap_or(0);
                u128::from(a) & mask == u128::from(n) & mask
            }
            _ => false,
        }
    }
}

/// An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) as IPv4; others as
/// they are.
pub fn canonical_ip(ip: std::net::IpAddr) -> std::net::IpAddr {
    match ip {
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map(std::net::IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// The keys the built-in `banner` handler takes in its service's
/// `settings { }` section.
pub const BANNER_SETTINGS: &[&str] = &["greeting"];
/// The keys the built-in `http` handler takes.
pub const HTTP_SETTINGS: &[&str] = &["max_body"];

/// The `settings { }` keys of built-in handler `name` (none for the
/// built-ins that take no settings).
pub fn builtin_handler_settings(name: &str) -> &'static [&'static str] {
    match name {
        "banner" => BANNER_SETTINGS,
        "http" => HTTP_SETTINGS,
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backlog_is_clamped_like_dovecot() {
        assert_eq!(listen_backlog(1, 1), 4);
        assert_eq!(listen_backlog(1000, 100), 100_000);
        assert_eq!(listen_backlog(u32::MAX, u32::MAX), i32::MAX as u32);
    }

    #[test]
    fn fnv1a_matches_the_reference_vectors() {
        // Test vectors of the FNV reference implementation.
        assert_eq!(Fnv1a::default().finish(), 0xcbf2_9ce4_8422_2325);
        assert_eq!(Fnv1a::default().write(b"a").finish(), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(Fnv1a::hex(b"foobar"), "85944171f73967e8");
    }

    #[test]
    fn fds_needed_counts_clients_listeners_and_own() {
        assert_eq!(fds_needed(1000, 2), 1000 + 2 + OWN_FDS);
    }

    #[test]
    fn networks_parse_and_match_by_prefix() {
        let n = IpNet::parse("192.0.2.0/24").unwrap();
        assert!(n.contains("192.0.2.7".parse().unwrap()));
        assert!(!n.contains("192.0.3.7".parse().unwrap()));
        assert!(n.contains("::ffff:192.0.2.9".parse().unwrap()));
        let one = IpNet::parse("127.0.0.2").unwrap();
        assert_eq!(one.bits, 32);
        assert!(one.contains("127.0.0.2".parse().unwrap()));
        assert!(!one.contains("127.0.0.3".parse().unwrap()));
        let v6 = IpNet::parse("[2001:db8::]/32").unwrap();
        assert!(v6.contains("2001:db8:1::5".parse().unwrap()));
        assert!(!v6.contains("2001:db9::5".parse().unwrap()));
        assert!(!v6.contains("10.0.0.1".parse().unwrap()));
        let all = IpNet::parse("0.0.0.0/0").unwrap();
        assert!(all.contains("203.0.113.1".parse().unwrap()));
        assert!(IpNet::parse("::/0")
            .unwrap()
            .contains("::1".parse().unwrap()));
        assert!(IpNet::parse("10.0.0.0/33").is_err());
        assert!(IpNet::parse("::1/129").is_err());
        assert!(IpNet::parse("mail.example.com").is_err());
        assert!(IpNet::parse("10.0.0.0/x").is_err());
    }
}
